//! One dock session: docked → clips → health → clock correction → (undocked).
//!
//! Clips stream from the camera one at a time; while clip N+1 is read, a finisher thread reads
//! clip N back from disk, seals it into the store and probes it, so the card is never idle.
//! Every clip's event is committed as soon as its placement is done. Nothing is written to the
//! camera until every clip of the session is committed.

use super::cancel::{Cancel, StopReason};
use super::copy::{CopyError, copy_clip};
use super::progress::{Progress, ProgressMeter};
use super::walk::{Entry, Skipped, walk};
use crate::camera::{clock, filename, health, identity, status_file};
use crate::config::Config;
use crate::hash::Digests;
use crate::ledger::projections::{ClipRow, RecordingRow};
use crate::ledger::{EventKind, Ledger, NewEvent};
use crate::media::{self, Integrity, MediaFacts};
use crate::store::{ClipStore, Immutability, Placement, Staging, StoreError};
use crate::time::{StationZone, stamp};
use crate::usage;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What a session needs from the station.
pub struct Ingestor<'a> {
    pub store: &'a dyn ClipStore,
    pub ledger: &'a Mutex<Ledger>,
    pub config: &'a Config,
}

#[derive(Default)]
pub struct IngestOptions<'a> {
    /// The operator's `--camera`, used when the camera does not say who it is.
    pub camera: Option<String>,
    /// iSerial when the camera came in over USB.
    pub usb_serial: Option<String>,
    /// Cap the read rate (bytes/s), as a USB 2.0 card would.
    pub throttle_bytes_per_s: Option<u64>,
    /// The daemon keeps the session open until the volume disappears; a one-shot ingest closes it.
    pub keep_docked: bool,
    /// Stops the session early (undock, shutdown).
    pub cancel: Option<&'a Cancel>,
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClipOutcome {
    pub source: String,
    pub sha256: Option<String>,
    pub blake3: Option<String>,
    pub bytes: u64,
    /// stored, already-stored or failed.
    pub outcome: &'static str,
    pub error: Option<String>,
    pub store_path: Option<String>,
    pub integrity: Option<Integrity>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IngestReport {
    pub camera: String,
    pub identity_source: &'static str,
    pub session: i64,
    pub volume: String,
    pub stored: usize,
    pub already_stored: usize,
    pub failed: usize,
    /// True when the session stopped before every clip was handled (undock, shutdown).
    pub interrupted: bool,
    pub clips: Vec<ClipOutcome>,
    pub skipped: Vec<Skipped>,
    pub other_files: Vec<String>,
    pub clock: Option<clock::ClockCheck>,
    pub clock_correction: Option<String>,
    pub health: health::Health,
    pub attention: Vec<String>,
}

/// Where a read clip stands on its way into the store.
enum Landing {
    /// Read and hashed; waiting to be sealed into the store.
    Staged(Staging),
    Placed(Placement, MediaFacts),
    /// The ledger already had this content: the staged copy was discarded.
    AlreadyInStore,
    Failed(StoreError),
}

struct Finished {
    index: usize,
    digests: Digests,
    landing: Landing,
}

/// Facts of one clip that come from the camera side (file name, listing), for its recording row.
struct ClipContext {
    officer: Option<String>,
    sequence: Option<u32>,
    important: bool,
    recorded_at: Option<DateTime<Utc>>,
}

fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    // A panic in another slot must not stop this one from recording its evidence.
    ledger.lock().unwrap_or_else(|p| p.into_inner())
}

fn mtime_text(e: &Entry) -> Option<String> {
    e.mtime.map(|t| stamp(DateTime::<Utc>::from(t)))
}

impl Ingestor<'_> {
    fn actor(&self) -> &str {
        &self.config.station.id
    }

    pub fn ingest(&self, volume: &Path, opts: &IngestOptions<'_>) -> anyhow::Result<IngestReport> {
        let meta = std::fs::metadata(volume)
            .map_err(|e| usage!("camera volume {} cannot be opened: {e}", volume.display()))?;
        if !meta.is_dir() {
            return Err(usage!(
                "camera volume {} is not a folder (a mounted camera is a folder)",
                volume.display()
            ));
        }
        let volume_text = volume.display().to_string();
        let zone: StationZone = self.config.zone();
        let listing = walk(volume)
            .map_err(|e| usage!("camera volume {} cannot be listed: {e}", volume.display()))?;
        let names: Vec<Option<filename::ClipName>> = listing
            .clips
            .iter()
            .map(|e| filename::parse(&e.file_name))
            .collect();
        let status = status_file::read(volume);
        let volume_name = volume
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parsed: Vec<_> = names.iter().flatten().cloned().collect();
        let ident = identity::identify(
            opts.usb_serial.as_deref(),
            status.as_ref(),
            &parsed,
            opts.camera.as_deref(),
            &volume_name,
        );
        let camera = ident.camera.clone();
        let officer = status
            .as_ref()
            .and_then(|s| s.officer.clone())
            .or_else(|| parsed.first().map(|n| n.officer.clone()));

        let tolerance_ms = self.config.policy.clock_tolerance.as_millis() as i64;
        let clock_check = status
            .as_ref()
            .and_then(|s| s.clock)
            .and_then(|w| clock::check(w, Utc::now(), &zone, tolerance_ms));
        let offset_ms = clock_check.as_ref().map(|c| c.offset_ms);

        // Docked: one transaction for the session, the camera, the clock reading and the listing's findings.
        let superseded = lock(self.ledger).open_session_on(&volume_text)?;
        let session = lock(self.ledger).write(|w| {
            if let Some((old, _)) = superseded {
                // A session left open by a shutdown or crash: this dock session takes over.
                w.set_session_state(old, "superseded")?;
                w.close_session(old)?;
            }
            let session = w.open_session(&camera, &volume_text)?;
            w.camera_docked(&camera, officer.as_deref())?;
            w.append(NewEvent::new(EventKind::CameraDocked, self.actor()).camera(&camera).detail(json!({
                "session": session,
                "volume": volume_text,
                "identity_source": ident.source,
                "identity_flags": ident.flags,
                "officer": officer,
                "usb_serial": opts.usb_serial,
                "resumes_session": superseded.map(|s| s.0),
                "clips_listed": listing.clips.len(),
                "status_file": status.as_ref().map(|s| &s.raw),
                "status_file_problems": status.as_ref().map(|s| &s.problems),
            })))?;
            if let Some(c) = &clock_check {
                w.append(NewEvent::new(EventKind::ClockChecked, self.actor()).camera(&camera).detail(json!({
                    "session": session, "check": c,
                })))?;
            }
            if !listing.skipped.is_empty() || !listing.other.is_empty() {
                w.append(NewEvent::new(EventKind::FilesSkipped, self.actor()).camera(&camera).detail(json!({
                    "session": session,
                    "skipped": listing.skipped,
                    "other_files": listing.other.iter().map(|e| &e.source).collect::<Vec<_>>(),
                })))?;
            }
            let previous = w.last_sequence(&camera)?;
            let seqs = parsed.iter().filter(|n| n.serial == camera).map(|n| n.sequence).collect();
            for (first, last) in filename::sequence_gaps(previous, seqs) {
                w.append(NewEvent::new(EventKind::SequenceGap, self.actor()).camera(&camera).detail(json!({
                    "session": session, "missing_from": first, "missing_to": last,
                    "note": "clip numbers missing on the camera: a possible deletion the officer must explain",
                })))?;
            }
            Ok(session)
        })?;
        tracing::info!(camera, session, volume = %volume_text, clips = listing.clips.len(), "camera docked");

        let meter = ProgressMeter::new(
            Progress {
                camera: camera.clone(),
                state: "ingesting",
                clips_total: listing.clips.len(),
                bytes_total: listing.clips.iter().map(|e| e.bytes).sum(),
                ..Default::default()
            },
            opts.progress,
        );
        meter.report();
        let on_read = |n: usize| meter.bytes_read(n as u64);

        let contexts: Vec<ClipContext> = listing
            .clips
            .iter()
            .zip(&names)
            .map(|(e, n)| ClipContext {
                officer: n
                    .as_ref()
                    .map(|n| n.officer.clone())
                    .or_else(|| officer.clone()),
                sequence: n.as_ref().map(|n| n.sequence),
                important: n.as_ref().is_some_and(|n| n.important),
                recorded_at: n
                    .as_ref()
                    .and_then(|n| zone.wall_to_utc(n.started))
                    .or_else(|| e.mtime.map(DateTime::<Utc>::from)),
            })
            .collect();

        let no_cancel = Cancel::new();
        let cancel = opts.cancel.unwrap_or(&no_cancel);
        let mut outcomes: Vec<Option<ClipOutcome>> = vec![None; listing.clips.len()];
        let mut interrupted = false;
        let mut read_errors = 0u32;
        let (mut read_bytes, mut read_secs) = (0u64, 0f64);

        // This thread only reads from the camera; the finisher seals, probes and commits, so the
        // card streams without waiting for disk flushes or ledger commits.
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let (job_tx, job_rx) = sync_channel::<Finished>(1);
            let (done_tx, done_rx) = channel::<anyhow::Result<(usize, ClipOutcome)>>();
            let clips = &listing.clips;
            let finish = |f: Finished| -> anyhow::Result<(usize, ClipOutcome)> {
                let entry = &clips[f.index];
                let outcome = self.commit_landing(
                    &camera,
                    session,
                    entry,
                    &contexts[f.index],
                    offset_ms,
                    f.digests,
                    f.landing,
                )?;
                meter.clip_done();
                Ok((f.index, outcome))
            };
            let finisher = scope.spawn(move || {
                for job in job_rx {
                    let landing = match job.landing {
                        Landing::Staged(staging) => {
                            match self
                                .store
                                .place(staging, &job.digests, &clips[job.index].ext)
                            {
                                Ok(p) => {
                                    let media = media::probe(&self.store.locate(&p.store_path));
                                    Landing::Placed(p, media)
                                }
                                Err(e) => Landing::Failed(e),
                            }
                        }
                        other => other,
                    };
                    let _ = done_tx.send(finish(Finished { landing, ..job }));
                }
            });

            for (index, entry) in clips.iter().enumerate() {
                if cancel.reason().is_some() {
                    interrupted = true;
                    break;
                }
                let mtime = mtime_text(entry);
                let known = lock(self.ledger).known_recording(
                    &camera,
                    &entry.source,
                    entry.bytes,
                    mtime.as_deref(),
                )?;
                if let Some(k) = known {
                    on_read(entry.bytes as usize);
                    let digests = Digests {
                        sha256: k.sha256,
                        blake3: k.blake3,
                        bytes: k.bytes,
                    };
                    job_tx
                        .send(Finished {
                            index,
                            digests,
                            landing: Landing::AlreadyInStore,
                        })
                        .expect("the finisher outlives the clip loop");
                    continue;
                }
                let started = Instant::now();
                if read_bytes == 0 && read_secs == 0.0 {
                    // The moment the card is first read: dock latency is measured from this line.
                    tracing::info!(camera, source = entry.source, "reading the first clip");
                }
                match copy_clip(
                    self.store,
                    entry,
                    opts.throttle_bytes_per_s,
                    cancel,
                    &on_read,
                ) {
                    Ok((digests, staging)) => {
                        read_secs += started.elapsed().as_secs_f64();
                        read_bytes += digests.bytes;
                        let landing = if lock(self.ledger).has_clip(&digests.sha256)? {
                            let _ = std::fs::remove_file(&staging.path);
                            Landing::AlreadyInStore
                        } else {
                            Landing::Staged(staging)
                        };
                        job_tx
                            .send(Finished {
                                index,
                                digests,
                                landing,
                            })
                            .expect("the finisher outlives the clip loop");
                    }
                    Err(CopyError::Stopped(_)) => {
                        interrupted = true;
                        break;
                    }
                    Err(e) => {
                        if e.is_camera_fault() {
                            read_errors += 1;
                        }
                        let gone = !volume.exists();
                        outcomes[index] =
                            Some(self.record_copy_failure(&camera, session, entry, &e)?);
                        if gone {
                            interrupted = true;
                            break;
                        }
                    }
                }
            }
            drop(job_tx);
            finisher.join().expect("the finisher does not panic");
            for done in done_rx {
                let (index, outcome) = done?;
                outcomes[index] = Some(outcome);
            }
            Ok(())
        })?;

        let clips: Vec<ClipOutcome> = outcomes.into_iter().flatten().collect();
        let count = |o: &str| clips.iter().filter(|c| c.outcome == o).count();
        let (stored, already_stored, failed) =
            (count("stored"), count("already-stored"), count("failed"));
        interrupted |= clips.len() < listing.clips.len();

        // Health, then (only with every clip committed) clock correction, then close.
        meter.set_state("housekeeping");
        let storage = health::storage(volume);
        let health = health::Health {
            battery_percent: status.as_ref().and_then(|s| s.battery_percent),
            storage_total_bytes: storage.map(|s| s.0),
            storage_free_bytes: storage.map(|s| s.1),
            firmware: status.as_ref().and_then(|s| s.firmware.clone()),
            read_errors,
            read_mb_per_s: (read_secs > 0.0 && read_bytes > 0)
                .then(|| read_bytes as f64 / read_secs / 1e6),
        };
        let attention = health::attention(&self.config.policy, &health, offset_ms, &ident.flags);
        let clock_correction = match &clock_check {
            Some(c) if !c.within_tolerance => {
                Some(if failed > 0 || interrupted {
                    Err("deferred: not every clip is committed, so nothing is written to the camera".to_string())
                } else {
                    let line = clock::timeset_line(Utc::now(), &zone);
                    clock::write_timeset(volume, &line)
                        .map(|_| line)
                        .map_err(|e| format!("writing TIMESET.TXT failed: {e}"))
                })
            }
            _ => None,
        };
        let state = if interrupted {
            "interrupted"
        } else if failed > 0 {
            "failed"
        } else {
            "done"
        };
        lock(self.ledger).write(|w| {
            w.append(NewEvent::new(EventKind::HealthRead, self.actor()).camera(&camera).detail(json!({
                "session": session, "health": health, "attention": attention,
            })))?;
            w.camera_health(&camera, &health, offset_ms, &attention)?;
            match &clock_correction {
                Some(Ok(line)) => {
                    w.append(NewEvent::new(EventKind::ClockCorrected, self.actor()).camera(&camera).detail(json!({
                        "session": session, "driver": "timeset-file", "timeset": line, "offset_ms_before": offset_ms,
                        "note": "applied by the camera at next power-on; verified at the next dock",
                    })))?;
                }
                Some(Err(why)) => {
                    w.append(NewEvent::new(EventKind::ClockCorrectionFailed, self.actor()).camera(&camera).detail(json!({
                        "session": session, "reason": why, "offset_ms": offset_ms,
                    })))?;
                }
                None => {}
            }
            if interrupted {
                w.append(NewEvent::new(EventKind::SessionInterrupted, self.actor()).camera(&camera).detail(json!({
                    "session": session, "clips_listed": listing.clips.len(), "clips_handled": clips.len(),
                    "why": match cancel.reason() {
                        Some(StopReason::Undocked) => "the camera left the dock",
                        Some(StopReason::Shutdown) => "the station shut down",
                        None => "the volume could not be read to the end",
                    },
                })))?;
            }
            w.set_session_state(session, state)?;
            // A shutdown leaves the camera in its dock and the session open: the restart resumes it.
            let left_dock = cancel.reason() == Some(StopReason::Undocked) || (interrupted && cancel.reason().is_none());
            if !opts.keep_docked || left_dock {
                w.append(NewEvent::new(EventKind::CameraUndocked, self.actor()).camera(&camera).detail(json!({
                    "session": session, "state": state, "stored": stored, "already_stored": already_stored, "failed": failed,
                })))?;
                w.close_session(session)?;
                w.camera_undocked(&camera)?;
            }
            Ok(())
        })?;
        meter.finish(if interrupted {
            "interrupted"
        } else if failed > 0 {
            "failed"
        } else {
            "done"
        });
        tracing::info!(
            camera,
            session,
            stored,
            already_stored,
            failed,
            interrupted,
            "dock session finished"
        );

        Ok(IngestReport {
            camera,
            identity_source: ident.source,
            session,
            volume: volume_text,
            stored,
            already_stored,
            failed,
            interrupted,
            clips,
            skipped: listing.skipped,
            other_files: listing.other.iter().map(|e| e.source.clone()).collect(),
            clock: clock_check,
            clock_correction: clock_correction.map(|r| r.unwrap_or_else(|e| e)),
            health,
            attention,
        })
    }

    /// Commits one clip's landing: clip-stored (with its probe), clip-already-stored, or clip-failed.
    #[allow(clippy::too_many_arguments)]
    fn commit_landing(
        &self,
        camera: &str,
        session: i64,
        entry: &Entry,
        ctx: &ClipContext,
        offset_ms: Option<i64>,
        digests: Digests,
        landing: Landing,
    ) -> anyhow::Result<ClipOutcome> {
        let (placement, media) = match landing {
            Landing::Failed(e) => {
                let error = format!("{}: {e}", entry.source);
                lock(self.ledger).append(NewEvent::new(EventKind::ClipFailed, self.actor()).camera(camera).clip(&digests.sha256).detail(json!({
                    "session": session, "source": entry.source, "stage": "store", "error": e.to_string(),
                })))?;
                tracing::warn!(camera, source = entry.source, error = %e, "clip failed");
                return Ok(ClipOutcome {
                    source: entry.source.clone(),
                    sha256: Some(digests.sha256),
                    blake3: Some(digests.blake3),
                    bytes: digests.bytes,
                    outcome: "failed",
                    error: Some(error),
                    store_path: None,
                    integrity: None,
                });
            }
            Landing::Placed(p, m) => (Some(p), Some(m)),
            Landing::AlreadyInStore => (None, None),
            Landing::Staged(_) => {
                unreachable!("the finisher seals staged clips before committing them")
            }
        };
        let recorded_at = ctx.recorded_at;
        let corrected = recorded_at
            .zip(offset_ms)
            .map(|(t, off)| clock::corrected(t, off));
        let duration = media.as_ref().and_then(|m| m.duration_s).unwrap_or(0.0);
        let ended = corrected
            .or(recorded_at)
            .map(|t| t + chrono::Duration::milliseconds((duration * 1000.0) as i64));

        lock(self.ledger).write(|w| {
            let late = ended.is_some_and(|e| {
                (w.now() - e)
                    .to_std()
                    .is_ok_and(|d| d > self.config.policy.late_after)
            });
            let newly = placement.is_some() && !w.has_clip(&digests.sha256)?;
            let kind = if newly {
                EventKind::ClipStored
            } else {
                EventKind::ClipAlreadyStored
            };
            let store_path = match &placement {
                Some(p) => p.store_path.clone(),
                None => w.tx().query_row(
                    "SELECT store_path FROM clips WHERE sha256 = ?1",
                    [&digests.sha256],
                    |r| r.get(0),
                )?,
            };
            let seq = w.append(
                NewEvent::new(kind, self.actor())
                    .camera(camera)
                    .clip(&digests.sha256)
                    .detail(json!({
                        "session": session,
                        "source": entry.source,
                        "bytes": digests.bytes,
                        "blake3": digests.blake3,
                        "store_path": store_path,
                        "immutable": placement.as_ref().map(|p| &p.immutable),
                        "officer": ctx.officer,
                        "sequence": ctx.sequence,
                        "recorded_at": recorded_at.map(stamp),
                        "recorded_at_corrected": corrected.map(stamp),
                    })),
            )?;
            if newly {
                let p = placement.as_ref().expect("newly placed");
                w.insert_clip(&ClipRow {
                    sha256: &digests.sha256,
                    blake3: &digests.blake3,
                    bytes: digests.bytes,
                    store_path: &store_path,
                    stored_seq: seq,
                    immutable: p.immutable == Immutability::Set,
                    media_json: media.as_ref().map(serde_json::to_string).transpose()?,
                })?;
                if let Some(m) = &media {
                    w.append(
                        NewEvent::new(EventKind::ClipProbed, self.actor())
                            .camera(camera)
                            .clip(&digests.sha256)
                            .detail(json!({
                                "session": session, "media": m,
                            })),
                    )?;
                }
            }
            w.insert_recording(&RecordingRow {
                sha256: &digests.sha256,
                camera,
                session_id: session,
                source: &entry.source,
                source_bytes: entry.bytes,
                source_mtime: mtime_text(entry),
                officer: ctx.officer.as_deref(),
                sequence: ctx.sequence,
                important: ctx.important,
                recorded_at: recorded_at.map(stamp),
                recorded_at_corrected: corrected.map(stamp),
                late,
                seq,
            })?;
            Ok(ClipOutcome {
                source: entry.source.clone(),
                sha256: Some(digests.sha256.clone()),
                blake3: Some(digests.blake3.clone()),
                bytes: digests.bytes,
                outcome: if newly { "stored" } else { "already-stored" },
                error: None,
                store_path: Some(store_path),
                integrity: media.as_ref().map(|m| m.integrity),
            })
        })
    }

    fn record_copy_failure(
        &self,
        camera: &str,
        session: i64,
        entry: &Entry,
        e: &CopyError,
    ) -> anyhow::Result<ClipOutcome> {
        lock(self.ledger).append(NewEvent::new(EventKind::ClipFailed, self.actor()).camera(camera).detail(json!({
            "session": session, "source": entry.source, "stage": if e.is_camera_fault() { "read" } else { "write" }, "error": e.to_string(),
        })))?;
        tracing::warn!(camera, source = entry.source, error = %e, "clip failed");
        Ok(ClipOutcome {
            source: entry.source.clone(),
            sha256: None,
            blake3: None,
            bytes: entry.bytes,
            outcome: "failed",
            error: Some(format!("{}: {e}", entry.source)),
            store_path: None,
            integrity: None,
        })
    }
}
