//! Committing one clip's outcome to the ledger: clip-stored (with its probe), clip-already-stored,
//! or clip-failed, with the recording row in the same transaction.

use super::facts::ClipContext;
use super::session::{ClipOutcome, Ingestor, Outcome, lock};
use super::walk::Entry;
use crate::camera::clock;
use crate::hash::Digests;
use crate::ledger::projections::{ClipRow, RecordingRow};
use crate::ledger::{EventKind, NewEvent};
use crate::media::MediaFacts;
use crate::store::{Immutability, Placement, Staging, StoreError};
use crate::time::stamp;
use camdock_record::detail::{Checked, ClipFailedDetail, ClipProbedDetail, ClipStoredDetail};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

/// Where a read clip stands on its way into the store.
// A clip's landing is made once and moved once (reader → finisher), a few in flight at a time:
// boxing the staged variant would add an allocation per clip and save nothing measurable.
#[allow(clippy::large_enum_variant)]
pub enum Landing {
    /// Read and hashed; waiting to be sealed into the store.
    Staged(Staging),
    Placed(Placement, MediaFacts),
    /// The ledger already had this content: the staged copy was discarded.
    AlreadyInStore,
    /// A recording seen at an earlier dock (same name, size, mtime), compared with the stored
    /// clip at a sample of places and not re-read: the digests are the stored clip's.
    Recognised(super::sample::SampleCheck),
    Failed(StoreError),
}

pub struct Finished {
    pub index: usize,
    pub digests: Digests,
    pub landing: Landing,
}

/// How long a sealed clip's record waits for a full disk to give space back.
const DISK_FULL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

pub fn mtime_text(e: &Entry) -> Option<String> {
    e.mtime.map(|t| stamp(DateTime::<Utc>::from(t)))
}

pub struct ClipSite<'a> {
    pub camera: &'a str,
    pub session: i64,
    pub entry: &'a Entry,
    pub ctx: &'a ClipContext,
    pub offset_ms: Option<i64>,
}

impl Ingestor<'_> {
    pub(super) fn commit_landing(
        &self,
        site: &ClipSite<'_>,
        digests: Digests,
        landing: Landing,
    ) -> anyhow::Result<ClipOutcome> {
        let ClipSite {
            camera,
            session,
            entry,
            ctx,
            offset_ms,
        } = *site;
        // What this dock itself established about the bytes: the ledger states no hash it did
        // not compute in this session.
        let checked = match &landing {
            Landing::Recognised(sample) => Checked {
                how: "sample".into(),
                offsets: Some(sample.offsets.clone()),
                window_bytes: Some(super::sample::WINDOW),
                bytes_compared: Some(sample.bytes_compared),
                note: Some("name, size and mtime match a recording stored earlier and the sampled bytes match the stored clip; the clip was not re-read or re-hashed at this dock".into()),
            },
            _ => Checked {
                how: "read and hashed in full".into(),
                ..Default::default()
            },
        };
        let hashed_now = !matches!(landing, Landing::Recognised(_));
        let (placement, media) = match landing {
            Landing::Failed(e) => {
                return self.record_failure(site, Some(&digests), "store", &e.to_string());
            }
            Landing::Placed(p, m) => (Some(p), Some(m)),
            Landing::AlreadyInStore | Landing::Recognised(_) => (None, None),
            Landing::Staged(_) => {
                unreachable!("the finisher seals staged clips before committing them")
            }
        };
        let recorded_at = ctx.recorded_at;
        let corrected = recorded_at
            .zip(offset_ms)
            .map(|(t, off)| clock::corrected(t, off));

        // A sealed clip's event waits out a moment of a full disk (another camera's copy filling
        // it, then failing and giving the space back) rather than leave the clip sealed and
        // unrecorded; the ledger is free between tries.
        let started = std::time::Instant::now();
        let commit = |w: &mut crate::ledger::Writer<'_>| -> anyhow::Result<ClipOutcome> {
            let newly = placement.is_some() && !w.has_clip(&digests.sha256)?;
            let (store_path, stored_media): (String, Option<String>) = match &placement {
                Some(p) => (p.store_path.clone(), None),
                None => w
                    .tx()
                    .query_row(
                        "SELECT store_path, media_json FROM clips WHERE sha256 = ?1",
                        [&digests.sha256],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "clip {} is in neither the store nor the ledger",
                            digests.sha256
                        )
                    })?,
            };
            let media = media
                .clone()
                .or_else(|| stored_media.and_then(|m| serde_json::from_str::<MediaFacts>(&m).ok()));
            let duration = media.as_ref().and_then(|m| m.duration_s);
            let ended = corrected.or(recorded_at).map(|t| {
                t + chrono::Duration::milliseconds((duration.unwrap_or(0.0) * 1000.0) as i64)
            });
            let late = ended.is_some_and(|e| {
                (w.now() - e)
                    .to_std()
                    .is_ok_and(|d| d > self.config.policy.late_after)
            });
            let kind = if newly {
                EventKind::ClipStored
            } else {
                EventKind::ClipAlreadyStored
            };
            let seq = w.append(
                NewEvent::new(kind, self.actor())
                    .camera(camera)
                    .clip(&digests.sha256)
                    .typed(&ClipStoredDetail {
                        session,
                        source: entry.source.clone(),
                        bytes: digests.bytes,
                        blake3: hashed_now.then(|| digests.blake3.clone()),
                        checked: checked.clone(),
                        store_path: store_path.clone(),
                        immutable: placement.as_ref().map(|p| p.immutable.clone()),
                        officer: ctx.officer.clone(),
                        sequence: ctx.sequence,
                        recorded_at: recorded_at.map(stamp),
                        recorded_at_corrected: corrected.map(stamp),
                        late,
                        important: Some(ctx.important),
                    }),
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
                            .typed(&ClipProbedDetail {
                                session,
                                media: Some(m.clone()),
                                probed_again: None,
                            }),
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
                outcome: if newly {
                    Outcome::Stored
                } else {
                    Outcome::AlreadyStored
                },
                error: None,
                store_path: Some(store_path),
                integrity: media.as_ref().map(|m| m.integrity),
                duration_s: duration,
            })
        };
        loop {
            // (The guard is a temporary of this statement: the ledger is free while we wait.)
            let tried = lock(self.ledger).write(commit);
            match tried {
                Err(e)
                    if crate::ledger::is_disk_full(&e)
                        && started.elapsed() < DISK_FULL_PATIENCE =>
                {
                    tracing::warn!(
                        camera,
                        source = entry.source,
                        "the disk is full: the clip's record waits for space"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    pub(super) fn record_copy_failure(
        &self,
        camera: &str,
        session: i64,
        entry: &Entry,
        e: &super::copy::CopyError,
    ) -> anyhow::Result<ClipOutcome> {
        let stage = if e.is_camera_fault() { "read" } else { "write" };
        self.record_failure(
            &ClipSite {
                camera,
                session,
                entry,
                ctx: &NO_CONTEXT,
                offset_ms: None,
            },
            None,
            stage,
            &e.to_string(),
        )
    }

    /// A clip that could not be stored: on the record, notified, and reported naming the clip.
    fn record_failure(
        &self,
        site: &ClipSite<'_>,
        digests: Option<&Digests>,
        stage: &str,
        error: &str,
    ) -> anyhow::Result<ClipOutcome> {
        let detail = ClipFailedDetail {
            session: site.session,
            source: site.entry.source.clone(),
            stage: stage.into(),
            error: error.into(),
        };
        let mut event = NewEvent::new(EventKind::ClipFailed, self.actor())
            .camera(site.camera)
            .typed(&detail);
        if let Some(d) = digests {
            event = event.clip(&d.sha256);
        }
        lock(self.ledger).append(event)?;
        tracing::warn!(
            camera = site.camera,
            source = site.entry.source,
            error,
            "clip failed"
        );
        let clip = digests.map(|d| d.sha256.as_str());
        for failure in crate::notification::send(
            &self.config.notify,
            "clip-failed",
            Some(site.camera),
            clip,
            &serde_json::to_value(&detail)?,
        ) {
            tracing::error!("{failure}");
        }
        Ok(ClipOutcome::failed(
            site.entry,
            digests,
            format!("{}: {error}", site.entry.source),
        ))
    }
}

/// Clip facts for a failure before any were gathered.
const NO_CONTEXT: ClipContext = ClipContext {
    officer: None,
    sequence: None,
    important: false,
    recorded_at: None,
};
