//! One dock session: docked → clips → housekeeping (health, wipe, clock) → (undocked).
//!
//! Clips stream from the camera one at a time on this thread; while clip N+1 is read, a finisher
//! thread reads clip N back from disk, seals it into the store, probes it and commits it, so the
//! card is never idle. Nothing is written to the camera until every clip of the session is
//! committed (see `housekeeping`).

use super::cancel::{Cancel, StopReason};
use super::commit::{ClipSite, Finished, Landing, mtime_text};
use super::copy::{CopyError, copy_clip};
use super::facts::{self, DockFacts, Inputs};
use super::housekeeping::{SessionStats, TimesetOnCard};
use super::presence::{PULL_GRACE, Presence};
use super::progress::{Progress, ProgressMeter};
use super::walk::Skipped;
use crate::camera::clock;
use crate::camera::filename::{self, SequenceFinding};
use crate::camera::health::Health;
use crate::camera::profile::Profiles;
use crate::config::Config;
use crate::hash::Digests;
use crate::keys::StationKey;
use crate::ledger::{EventKind, Ledger, NewEvent};
use crate::media;
use crate::store::ClipStore;
use camdock_record::detail::{
    CameraDockedDetail, CameraUndockedDetail, ClockCheckedDetail, FilesSkippedDetail,
    PreviousCorrection, RecordingChangedDetail, SequenceGapDetail, SessionInterruptedDetail,
};
use chrono::Utc;
use serde::Serialize;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// What a session needs from the station.
pub struct Ingestor<'a> {
    pub store: &'a dyn ClipStore,
    pub ledger: &'a Mutex<Ledger>,
    pub config: &'a Config,
    pub profiles: &'a Profiles,
    pub key: &'a StationKey,
}

#[derive(Default)]
pub struct IngestOptions<'a> {
    /// The operator's `--camera`, used when the camera does not say who it is.
    pub camera: Option<String>,
    /// The USB device the card is on (iSerial, VID:PID, port), when the kernel knows it.
    pub usb: Option<crate::camera::sysfs::UsbDevice>,
    /// The dock slot's name, as the station's staff know it.
    pub slot: Option<String>,
    /// What the station did over the vendor protocol before this camera's storage appeared.
    pub prepared: Option<crate::camera::amba_usb::Prepared>,
    /// Cap the read rate (bytes/s), as a USB 2.0 card would.
    pub throttle_bytes_per_s: Option<u64>,
    /// The daemon keeps the session open until the volume disappears; a one-shot ingest closes it.
    pub keep_docked: bool,
    /// Stops the session early (undock, shutdown).
    pub cancel: Option<&'a Cancel>,
    pub progress: Option<&'a (dyn Fn(&Progress) + Sync)>,
}

pub use super::clip_log::{ClipLog, ClipOutcome, Outcome};

#[derive(Debug, Serialize)]
pub struct IngestReport {
    pub camera: String,
    pub identity_source: &'static str,
    pub profile: String,
    pub session: i64,
    pub volume: String,
    pub stored: usize,
    pub already_stored: usize,
    pub failed: usize,
    /// True when the session stopped before every clip was handled (undock, shutdown).
    pub interrupted: bool,
    /// Each clip's outcome, in the card's order (read back from the session's clip log).
    pub clips: ClipLog,
    pub skipped: Vec<Skipped>,
    pub other_files: Vec<String>,
    pub clock: Option<clock::ClockCheck>,
    pub clock_correction: Option<String>,
    pub health: Health,
    pub attention: Vec<crate::camera::attention::Attention>,
    pub wiped: Vec<String>,
    /// Gaps and resets in the camera's clip numbers (also in `attention`).
    pub sequence: Vec<SequenceFinding>,
}

pub(super) fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    // A panic in another slot must not stop this one from recording its evidence.
    ledger.lock().unwrap_or_else(|p| p.into_inner())
}

/// What the clip loop found, for housekeeping and the report.
struct ClipRun {
    log: ClipLog,
    interrupted: bool,
    read_errors: u32,
    read_bytes: u64,
    read_secs: f64,
}

impl Ingestor<'_> {
    pub(super) fn actor(&self) -> &str {
        &self.config.station.id
    }

    pub fn ingest(&self, volume: &Path, opts: &IngestOptions<'_>) -> anyhow::Result<IngestReport> {
        let zone = self.config.zone();
        let facts = facts::gather(
            volume,
            &Inputs {
                usb: opts.usb.as_ref().map(|u| (u.vid, u.pid)),
                usb_serial: opts.usb.as_ref().and_then(|u| u.serial.as_deref()),
                operator_camera: opts.camera.as_deref(),
                zone: &zone,
                tolerance_ms: self.config.policy.clock_tolerance.as_millis() as i64,
                profiles: self.profiles,
                key: self.key,
            },
        )?;
        let volume_text = volume.display().to_string();
        let camera = facts.identity.camera.clone();
        let (session, timeset_on_card, sequence) = self.open_session(&volume_text, &facts, opts)?;
        tracing::info!(camera, session, volume = %volume_text, clips = facts.listing.clips.len(), profile = facts.profile.name, "camera docked");

        let meter = ProgressMeter::new(
            Progress {
                camera: camera.clone(),
                state: "ingesting",
                clips_total: facts.listing.clips.len(),
                bytes_total: facts.listing.clips.total_bytes(),
                ..Default::default()
            },
            opts.progress,
        );
        meter.report();
        let no_cancel = Cancel::new();
        let cancel = opts.cancel.unwrap_or(&no_cancel);
        let run = self.run_clips(volume, &facts, session, opts, cancel, &meter)?;

        let count = |o| run.log.count(o);
        let (stored, already_stored, failed) = (
            count(Outcome::Stored),
            count(Outcome::AlreadyStored),
            count(Outcome::Failed),
        );
        let interrupted = run.interrupted || run.log.len() < facts.listing.clips.len();

        meter.set_state("housekeeping");
        let stats = SessionStats {
            camera: &camera,
            timeset_on_card,
            session,
            clips: &run.log,
            read_errors: run.read_errors,
            read_bytes: run.read_bytes,
            read_secs: run.read_secs,
            failed,
            interrupted,
            usb_serial: opts.usb.as_ref().and_then(|u| u.serial.as_deref()),
            prepared: opts.prepared.as_ref(),
            sequence: &sequence,
        };
        let hk = self.housekeeping(volume, &facts, &stats)?;

        let state = if interrupted {
            "interrupted"
        } else if failed > 0 {
            "failed"
        } else {
            "done"
        };
        self.close_session(
            session,
            &camera,
            &facts,
            run.log.len(),
            state,
            cancel,
            opts,
            [stored, already_stored, failed],
        )?;
        meter.finish(state);
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
            identity_source: facts.identity.source,
            profile: facts.profile.name.clone(),
            session,
            volume: volume_text,
            stored,
            already_stored,
            failed,
            interrupted,
            clips: run.log,
            skipped: facts.listing.skipped.clone(),
            other_files: facts
                .listing
                .other
                .iter()
                .map(|e| e.source.clone())
                .collect(),
            clock: facts.clock.clone(),
            clock_correction: hk
                .clock_correction
                .map(|r| r.map_or_else(|e| e, |fix| fix.timeset)),
            health: hk.health,
            attention: hk.attention,
            wiped: hk.wiped,
            sequence,
        })
    }

    /// Docked: one transaction for the session, the camera, the clock reading and the card's findings.
    fn open_session(
        &self,
        volume_text: &str,
        facts: &DockFacts,
        opts: &IngestOptions<'_>,
    ) -> anyhow::Result<(i64, TimesetOnCard, Vec<SequenceFinding>)> {
        let camera = &facts.identity.camera;
        let superseded = lock(self.ledger).open_session_on(volume_text)?;
        let last_timeset = lock(self.ledger).last_timeset(camera)?;
        let timeset_on_card = match &facts.timeset_on_card {
            None => TimesetOnCard::Absent,
            Some(t) if last_timeset.as_ref() == Some(t) => TimesetOnCard::NotApplied,
            Some(_) => TimesetOnCard::Unrecorded,
        };
        lock(self.ledger).write(|w| {
            if let Some((old, _)) = superseded {
                // A session left open by a shutdown or crash: this dock session takes over.
                w.set_session_state(old, "superseded")?;
                w.close_session(old)?;
            }
            let session = w.open_session(camera, volume_text)?;
            w.camera_docked(camera, facts.officer.as_deref())?;
            let ev = |kind| NewEvent::new(kind, self.actor()).camera(camera);
            w.append(ev(EventKind::CameraDocked).typed(&CameraDockedDetail {
                session,
                volume: volume_text.to_string(),
                profile: facts.profile.name.clone(),
                driver: facts.profile.driver,
                identity_source: facts.identity.source.to_string(),
                identity_flags: facts.identity.flags.clone(),
                binding: facts.binding.clone(),
                officer: facts.officer.clone(),
                slot: opts.slot.clone(),
                usb_serial: opts.usb.as_ref().and_then(|u| u.serial.clone()),
                usb_id: opts.usb.as_ref().map(|u| u.vid_pid()),
                usb_port: opts.usb.as_ref().map(|u| u.port.clone()),
                resumes_session: superseded.map(|s| s.0),
                clips_listed: facts.listing.clips.len() as u64,
                status_file: facts.status.as_ref().map(|s| s.raw.clone()),
                status_file_problems: facts.status.as_ref().map(|s| s.problems.clone()),
            }))?;
            // Our last correction is verified now: a status-file camera by its new offset, a
            // timeset-file camera by having consumed the file.
            let previous_correction = last_timeset.as_ref().map(|t| PreviousCorrection {
                timeset: t.clone(),
                applied: facts.timeset_on_card.as_deref() != Some(t.as_str()),
            });
            let unrecorded_timeset = facts.timeset_on_card.as_ref().filter(|_| timeset_on_card == TimesetOnCard::Unrecorded);
            if facts.clock.is_some() || previous_correction.is_some() || unrecorded_timeset.is_some() {
                w.append(ev(EventKind::ClockChecked).typed(&ClockCheckedDetail {
                    session,
                    check: facts.clock.clone(),
                    previous_correction,
                    unrecorded_timeset_on_card: unrecorded_timeset.cloned(),
                }))?;
            }
            if !facts.listing.skipped.is_empty() || !facts.listing.other.is_empty() {
                w.append(ev(EventKind::FilesSkipped).typed(&FilesSkippedDetail {
                    session,
                    skipped: facts.listing.skipped.clone(),
                    other_files: facts.listing.other.iter().map(|e| e.source.clone()).collect(),
                }))?;
            }
            // The clips new since the last dock, in the order the camera recorded them.
            let previous = w.last_sequence(camera)?;
            let mut new_clips = Vec::new();
            for entry in facts.listing.clips.iter() {
                if let Some(n) = facts.clip_name(&entry).filter(|n| &n.serial == camera)
                    && !w.has_recording(camera, &entry.source)?
                {
                    new_clips.push((n.started, n.sequence));
                }
            }
            new_clips.sort_unstable();
            let seqs: Vec<u32> = new_clips.iter().map(|c| c.1).collect();
            let mut findings = Vec::new();
            for f in filename::sequence_findings(previous, &seqs) {
                let detail = match f {
                    SequenceFinding::Missing(first, last) => SequenceGapDetail {
                        session,
                        missing_from: Some(first),
                        missing_to: Some(last),
                        note: "clip numbers missing on the camera: a possible deletion the officer must explain".into(),
                        ..Default::default()
                    },
                    SequenceFinding::Reset { from, to } => SequenceGapDetail {
                        session,
                        counter_reset_from: Some(from),
                        to: Some(to),
                        note: "the camera's clip counter went back without reaching 9999 (a format or firmware reset): clips after number {from} may be gone".into(),
                        ..Default::default()
                    },
                };
                w.append(ev(EventKind::SequenceGap).typed(&detail))?;
                findings.push(f);
            }
            Ok((session, timeset_on_card, findings))
        })
    }

    /// Reads every clip once (this thread) and hands it to the finisher (another thread).
    fn run_clips(
        &self,
        volume: &Path,
        facts: &DockFacts,
        session: i64,
        opts: &IngestOptions<'_>,
        cancel: &Cancel,
        meter: &ProgressMeter<'_>,
    ) -> anyhow::Result<ClipRun> {
        let camera = facts.identity.camera.as_str();
        let offset_ms = facts.clock.as_ref().map(|c| c.offset_ms);
        let clips = &facts.listing.clips;
        let on_read = |n: usize| meter.bytes_read(n as u64);
        let presence = Presence::of(volume);
        let mut run = ClipRun {
            log: ClipLog::default(),
            interrupted: false,
            read_errors: 0,
            read_bytes: 0,
            read_secs: 0.0,
        };

        std::thread::scope(|scope| -> anyhow::Result<()> {
            let (job_tx, job_rx) = sync_channel::<Finished>(1);
            let (done_tx, done_rx) = channel::<anyhow::Result<(usize, ClipOutcome)>>();
            let finish = |f: Finished| -> anyhow::Result<(usize, ClipOutcome)> {
                let entry = clips.get(f.index);
                let site = ClipSite {
                    camera,
                    session,
                    entry: &entry,
                    ctx: &facts.context(&entry),
                    offset_ms,
                };
                let outcome = self.commit_landing(&site, f.digests, f.landing)?;
                meter.clip_done();
                Ok((f.index, outcome))
            };
            let finisher = scope.spawn(move || {
                let timeout = self.config.media.probe_timeout;
                // The sealed clip whose probe runs while the next one is sealed and this one's
                // outcome waits to be committed: the probe child's libav work overlaps the
                // station's fsyncs (one clip in the child at a time).
                let mut probing: Option<Probing> = None;
                for Finished {
                    index,
                    digests,
                    landing,
                } in job_rx
                {
                    let landing = match landing {
                        Landing::Staged(staging) => self
                            .store
                            .place(staging, &digests, &clips.get(index).ext)
                            .map_err(Landing::Failed),
                        other => Err(other),
                    };
                    let previous = probing.take().map(Probing::answered);
                    let this = match landing {
                        Ok(placement) => {
                            let at = self.store.locate(&placement.store_path);
                            probing = Some(Probing {
                                index,
                                digests,
                                placement,
                                probe: media::start_probe(&at, timeout),
                            });
                            None
                        }
                        Err(landing) => Some(Finished {
                            index,
                            digests,
                            landing,
                        }),
                    };
                    for done in previous.into_iter().chain(this) {
                        let _ = done_tx.send(finish(done));
                    }
                }
                if let Some(last) = probing.take() {
                    let _ = done_tx.send(finish(last.answered()));
                }
            });
            let hand_over =
                |f: Finished| job_tx.send(f).expect("the finisher outlives the clip loop");
            // The finisher's outcomes go to the log as they come, not held to the end.
            let take_done = |log: &mut ClipLog| -> anyhow::Result<()> {
                while let Ok(done) = done_rx.try_recv() {
                    let (index, outcome) = done?;
                    log.put(index, outcome)?;
                }
                Ok(())
            };

            for (index, entry) in clips.iter().enumerate() {
                take_done(&mut run.log)?;
                if cancel.reason().is_some() {
                    run.interrupted = true;
                    break;
                }
                let mtime = mtime_text(&entry);
                // Bound first: the ledger lock must not be held while handing over to the finisher.
                let known = lock(self.ledger).known_recording(
                    camera,
                    &entry.source,
                    entry.bytes,
                    mtime.as_deref(),
                )?;
                if let Some(k) = known {
                    // The same file as at an earlier dock, by name, size and mtime: compared with
                    // the stored clip at a sample of places instead of read again whole.
                    match self.sample_known(camera, session, &entry, &k) {
                        Some(check) if check.matched() => {
                            on_read(entry.bytes as usize);
                            let digests = Digests {
                                sha256: k.sha256,
                                blake3: k.blake3,
                                bytes: k.bytes,
                            };
                            hand_over(Finished {
                                index,
                                digests,
                                landing: Landing::Recognised(check),
                            });
                            continue;
                        }
                        // Changed on the camera, or not compared: read whole, like a new clip.
                        _ => {}
                    }
                }
                if run.read_bytes == 0 && run.read_secs == 0.0 {
                    // The moment the card is first read: dock latency is measured from this line.
                    tracing::info!(camera, source = entry.source, "reading the first clip");
                }
                let started = Instant::now();
                match copy_clip(
                    self.store,
                    &entry,
                    opts.throttle_bytes_per_s,
                    cancel,
                    &on_read,
                ) {
                    Ok((digests, staging)) => {
                        run.read_secs += started.elapsed().as_secs_f64();
                        run.read_bytes += digests.bytes;
                        let landing = if lock(self.ledger).has_clip(&digests.sha256)? {
                            let _ = std::fs::remove_file(&staging.path);
                            Landing::AlreadyInStore
                        } else {
                            Landing::Staged(staging)
                        };
                        hand_over(Finished {
                            index,
                            digests,
                            landing,
                        });
                    }
                    Err(CopyError::Stopped(_)) => {
                        run.interrupted = true;
                        break;
                    }
                    Err(e) => {
                        // A camera pulled mid-copy fails its read before it is unmounted: that is
                        // an interruption (the clip stays on the camera for the next dock), not a
                        // failed clip. A read error while the card stays docked is a failing card.
                        if e.is_camera_fault() && presence.left_within(PULL_GRACE) {
                            tracing::info!(
                                camera,
                                source = entry.source,
                                "the camera left its dock mid-copy: {e}"
                            );
                            run.interrupted = true;
                            break;
                        }
                        if e.is_camera_fault() {
                            run.read_errors += 1;
                        }
                        let failed = self.record_copy_failure(camera, session, &entry, &e)?;
                        run.log.put(index, failed)?;
                    }
                }
            }
            drop(job_tx);
            finisher.join().expect("the finisher does not panic");
            for done in done_rx {
                let (index, outcome) = done?;
                run.log.put(index, outcome)?;
            }
            run.log.flush()?;
            Ok(())
        })?;
        Ok(run)
    }

    /// Compares a recognised recording with its stored clip at a sample of places; None when no
    /// sample is configured or the comparison could not be made (then the clip is read whole). A
    /// difference is recorded as `recording-changed`: the card's bytes are no longer those stored
    /// under the same name, size and mtime.
    fn sample_known(
        &self,
        camera: &str,
        session: i64,
        entry: &super::walk::Entry,
        known: &crate::ledger::queries::KnownRecording,
    ) -> Option<super::sample::SampleCheck> {
        let windows = self.config.dock.redock_sample_windows;
        if windows == 0 {
            return None;
        }
        let stored = self.store.open(&known.store_path).ok()?;
        let check = super::sample::compare(entry, &stored, windows).ok()?;
        if !check.matched() {
            tracing::warn!(
                camera,
                source = entry.source,
                "a recording changed on the camera since it was stored (same name, size and mtime)"
            );
            let event = NewEvent::new(EventKind::RecordingChanged, self.actor())
                .camera(camera)
                .clip(&known.sha256)
                .typed(&RecordingChangedDetail {
                    session,
                    source: entry.source.clone(),
                    bytes: entry.bytes,
                    first_difference_at: check.first_difference,
                    offsets_compared: check.offsets.clone(),
                    note: "the card's file differs from the clip stored under the same name, size and mtime: it is read whole and stored as what it is now".into(),
                });
            if let Err(e) = lock(self.ledger).append(event) {
                tracing::error!("recording a changed recording failed: {e:#}");
            }
        }
        Some(check)
    }

    #[allow(clippy::too_many_arguments)]
    fn close_session(
        &self,
        session: i64,
        camera: &str,
        facts: &DockFacts,
        handled: usize,
        state: &str,
        cancel: &Cancel,
        opts: &IngestOptions<'_>,
        [stored, already_stored, failed]: [usize; 3],
    ) -> anyhow::Result<()> {
        let interrupted = state == "interrupted";
        lock(self.ledger).write(|w| {
            let ev = |kind| NewEvent::new(kind, self.actor()).camera(camera);
            if interrupted {
                w.append(
                    ev(EventKind::SessionInterrupted).typed(&SessionInterruptedDetail {
                        session,
                        clips_listed: facts.listing.clips.len() as u64,
                        clips_handled: handled as u64,
                        why: match cancel.reason() {
                            Some(StopReason::Undocked) => "the camera left the dock",
                            Some(StopReason::Shutdown) => "the station shut down",
                            None => "the camera left the dock mid-copy",
                        }
                        .into(),
                    }),
                )?;
            }
            w.set_session_state(session, state)?;
            // A shutdown leaves the camera in its dock and the session open: the restart resumes it.
            let left_dock = cancel.reason() == Some(StopReason::Undocked)
                || (interrupted && cancel.reason().is_none());
            // The daemon records a pull when it sees the volume go (`Station::record_undock`),
            // not once this session has finished the clip it had read (seconds of fsync,
            // read-back and probe while other cameras copy): `undock` writes nothing then.
            if !opts.keep_docked || left_dock {
                let undocked = ev(EventKind::CameraUndocked).typed(&CameraUndockedDetail {
                    session,
                    state: Some(state.to_string()),
                    stored: Some(stored as u64),
                    already_stored: Some(already_stored as u64),
                    failed: Some(failed as u64),
                    at: Some(crate::time::stamp(Utc::now())),
                    ..Default::default()
                });
                w.undock(session, camera, undocked)?;
            }
            Ok(())
        })
    }
}

/// A clip sealed in the store whose probe is running.
struct Probing {
    index: usize,
    digests: crate::hash::Digests,
    placement: crate::store::Placement,
    probe: media::PendingProbe,
}

impl Probing {
    /// Waits for the probe's answer: the clip is ready to be committed.
    fn answered(self) -> Finished {
        Finished {
            index: self.index,
            digests: self.digests,
            landing: Landing::Placed(self.placement, self.probe.wait()),
        }
    }
}
