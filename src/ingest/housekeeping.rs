//! After the clips: health and attention, recording gaps, the wipe policy, clock correction.
//!
//! Everything here that writes to the camera (wipe, TIMESET.TXT, USB clock frames) runs only when
//! every clip of the session is committed: a failed or interrupted session touches nothing.

use super::facts::DockFacts;
use super::session::{ClipLog, Ingestor, lock};
use crate::camera::attention::Attention;
use crate::camera::health::{self, Health};
use crate::camera::profile::Driver;
use crate::camera::{clock, clock_window};
use crate::ledger::{EventKind, NewEvent};
use camdock_record::detail::{
    CameraWipeRefusedDetail, CameraWipedDetail, ClockCorrectedDetail, ClockCorrectionFailedDetail,
    HealthReadDetail, ReadWriteWindow, RecordingGapsDetail,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::path::Path;

/// A TIMESET.TXT found on the card at dock, judged once against the ledger when the session opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimesetOnCard {
    Absent,
    /// Our last recorded correction, still there: the camera has not applied it.
    NotApplied,
    /// Matches no recorded correction: a session cut off between writing and recording it, or
    /// another tool. Recorded as found in `clock-checked`.
    Unrecorded,
}

pub struct SessionStats<'a> {
    pub camera: &'a str,
    pub timeset_on_card: TimesetOnCard,
    pub session: i64,
    pub clips: &'a ClipLog,
    pub read_errors: u32,
    pub read_bytes: u64,
    pub read_secs: f64,
    pub failed: usize,
    pub interrupted: bool,
    pub usb_serial: Option<&'a str>,
    pub prepared: Option<&'a crate::camera::amba_usb::Prepared>,
    /// Gaps and resets in the camera's clip numbers found at dock.
    pub sequence: &'a [crate::camera::filename::SequenceFinding],
}

pub use camdock_record::facts::Gap;

#[derive(Clone, Debug, Serialize)]
pub struct Housekeeping {
    pub health: Health,
    pub attention: Vec<Attention>,
    pub gaps: Vec<Gap>,
    pub wiped: Vec<String>,
    pub wipe_refused: Option<String>,
    /// The correction written (Ok) or why none could be (Err); None when none was due.
    pub clock_correction: Option<Result<ClockFix, String>>,
}

/// A recording that starts this much before the previous one ended is an overlap, not a gap.
const OVERLAP_SLACK_S: f64 = 1.0;

impl Ingestor<'_> {
    pub(super) fn housekeeping(
        &self,
        volume: &Path,
        facts: &DockFacts,
        s: &SessionStats<'_>,
    ) -> anyhow::Result<Housekeeping> {
        let storage = facts.storage;
        let health = Health {
            battery_percent: facts.status.as_ref().and_then(|st| st.battery_percent),
            storage_total_bytes: storage.map(|x| x.0),
            storage_free_bytes: storage.map(|x| x.1),
            firmware: facts.status.as_ref().and_then(|st| st.firmware.clone()),
            fs_dirty: facts.fs_dirty,
            read_errors: s.read_errors,
            read_mb_per_s: (s.read_secs > 0.0 && s.read_bytes >= 1 << 20)
                .then(|| s.read_bytes as f64 / s.read_secs / 1e6),
        };
        let offset_ms = facts.clock.as_ref().map(|c| c.offset_ms);
        let mut attention = health::attention(
            &self.config.policy,
            &health,
            offset_ms,
            &facts.identity.flags,
        );
        if let (Some(now), Some(usual)) = (
            health.read_mb_per_s,
            lock(self.ledger).usual_read_rate(s.camera)?,
        ) && now < usual * 0.5
        {
            attention.push(Attention::new(
                "reads-slowing",
                json!({ "now": format!("{now:.1}"), "usual": format!("{usual:.1}") }),
                format!(
                    "reads slowing: {now:.1} MB/s against a usual {usual:.1} MB/s (a failing card?)"
                ),
            ));
        }
        attention.extend(s.sequence.iter().map(crate::camera::filename::describe));
        if let Some(first) = facts.listing.other.first() {
            // Not a recording by its extension, so not stored: never left unmentioned.
            let count = facts.listing.other.len();
            attention.push(Attention::new(
                "not-recordings",
                json!({ "count": count, "first": first.source.to_string() }),
                format!(
                    "{count} file(s) on the card are not recordings by their type and were not stored (first: {}); add the type to the camera's profile if they are evidence",
                    first.source
                ),
            ));
        }
        match s.timeset_on_card {
            TimesetOnCard::NotApplied => attention.push(Attention::plain("clock-correction-not-applied", "clock correction from the last dock was not applied (TIMESET.TXT still on the card)")),
            TimesetOnCard::Unrecorded => attention.push(Attention::plain("timeset-unrecorded", "TIMESET.TXT on the card matches no recorded correction: written by a session that was cut off, or by another tool (recorded as found)")),
            TimesetOnCard::Absent => {}
        }
        let gaps = gaps(facts, s.clips)?;
        if gaps.iter().any(|g| g.seconds < -OVERLAP_SLACK_S) {
            attention.push(Attention::plain(
                "recordings-overlap",
                "recordings overlap in time: the camera clock jumped, or clips were altered",
            ));
        }

        let complete = s.failed == 0 && !s.interrupted;
        let (wiped, wipe_refused) = if self.config.policy.wipe_after_ingest {
            self.wipe(volume, facts, s, complete)
        } else {
            (Vec::new(), None)
        };
        let clock_correction = self.correct_clock(volume, facts, s, complete);

        lock(self.ledger).write(|w| {
            let ev = |kind| NewEvent::new(kind, self.actor()).camera(s.camera);
            w.append(ev(EventKind::HealthRead).typed(&HealthReadDetail {
                session: s.session,
                health: health.clone(),
                attention: attention.clone(),
            }))?;
            w.camera_health(s.camera, &health, offset_ms, &attention)?;
            if !gaps.is_empty() {
                w.append(ev(EventKind::RecordingGaps).typed(&RecordingGapsDetail {
                    session: s.session,
                    gaps: gaps.clone(),
                    note: "interruptions between recordings; the rules ask officers to explain them".into(),
                }))?;
            }
            for (source, sha) in &wiped {
                w.append(ev(EventKind::CameraWiped).clip(sha).typed(&CameraWipedDetail {
                    session: s.session,
                    source: source.clone(),
                }))?;
            }
            if let Some(why) = &wipe_refused {
                w.append(ev(EventKind::CameraWipeRefused).typed(&CameraWipeRefusedDetail {
                    session: s.session,
                    reason: why.clone(),
                }))?;
            }
            match &clock_correction {
                Some(Ok(fix)) => w.append(ev(EventKind::ClockCorrected).typed(&ClockCorrectedDetail {
                    session: s.session,
                    driver: facts.profile.driver,
                    timeset: fix.timeset.clone(),
                    offset_ms_before: offset_ms,
                    read_write_window: fix.window.as_ref().map(|w| ReadWriteWindow {
                        opened_at: w.opened_at.clone(),
                        closed_at: w.closed_at.clone(),
                        by: "camdock clock-window (privileged step, after every clip was committed)".into(),
                    }),
                    note: "applied by the camera at next power-on; verified at the next dock".into(),
                }))?,
                Some(Err(why)) => w.append(ev(EventKind::ClockCorrectionFailed).typed(&ClockCorrectionFailedDetail {
                    session: s.session,
                    driver: facts.profile.driver,
                    reason: why.clone(),
                    offset_ms,
                }))?,
                None => 0,
            };
            Ok(())
        })?;
        Ok(Housekeeping {
            health,
            attention,
            gaps,
            wiped: wiped.into_iter().map(|(src, _)| src).collect(),
            wipe_refused,
            clock_correction,
        })
    }

    /// Deletes committed clips from the camera, one by one; refuses unless every clip is committed.
    fn wipe(
        &self,
        volume: &Path,
        facts: &DockFacts,
        s: &SessionStats<'_>,
        complete: bool,
    ) -> (Vec<(String, String)>, Option<String>) {
        if !complete {
            return (
                Vec::new(),
                Some("not every clip is committed; nothing is deleted from the camera".into()),
            );
        }
        if read_only(volume) {
            return (
                Vec::new(),
                Some("the camera is mounted read-only; wiping needs a writable mount".into()),
            );
        }
        let waits = self.config.policy.wipe_waits_for_replica;
        if waits && !self.config.replica.enabled {
            return (
                Vec::new(),
                Some("the wipe waits for each clip to be in the bucket ([policy] wipe_waits_for_replica), and this station replicates to none ([replica] enabled = false): nothing is deleted from the camera".into()),
            );
        }
        let mut wiped = Vec::new();
        let mut kept = 0usize;
        let read = s.clips.for_each(|index, outcome| {
            let (true, Some(sha)) = (outcome.outcome.committed(), outcome.sha256) else {
                return;
            };
            let entry = facts.listing.clips.get(index);
            // Re-check the ledger: the clip must be there before its only other copy goes (and,
            // where the policy says so, in the bucket too).
            let ledger = lock(self.ledger);
            let stored = ledger.has_clip(&sha).unwrap_or(false);
            let in_bucket = !waits || ledger.clip_replicated(&sha).unwrap_or(false);
            drop(ledger);
            if stored && !in_bucket {
                kept += 1;
            } else if stored && std::fs::remove_file(&entry.path).is_ok() {
                wiped.push((entry.source, sha));
            }
        });
        match read {
            Ok(()) if kept > 0 => (
                wiped,
                Some(format!(
                    "{kept} clip(s) not yet in the bucket stay on the camera ([policy] wipe_waits_for_replica): a dock after their replication deletes them"
                )),
            ),
            Ok(()) => (wiped, None),
            Err(e) => (
                wiped,
                Some(format!(
                    "the session's clip log could not be read back ({e}): the clips after it are left on the camera"
                )),
            ),
        }
    }

    fn correct_clock(
        &self,
        volume: &Path,
        facts: &DockFacts,
        s: &SessionStats<'_>,
        complete: bool,
    ) -> Option<Result<ClockFix, String>> {
        let driver = facts.profile.driver;
        let due = match &facts.clock {
            Some(c) => !c.within_tolerance,
            None => driver.sets_blind(),
        };
        if !due || driver == Driver::Generic {
            return None;
        }
        if !complete {
            return Some(Err(
                "deferred: not every clip is committed, so nothing is written to the camera".into(),
            ));
        }
        let zone = self.config.zone();
        if driver.writes_timeset() {
            if read_only(volume) {
                return Some(self.timeset_through_window(volume, s.camera));
            }
            let line = clock::timeset_line(Utc::now(), &zone);
            return Some(
                clock::write_timeset(volume, &line)
                    .map(|_| ClockFix {
                        timeset: line,
                        window: None,
                    })
                    .map_err(|e| format!("writing TIMESET.TXT failed: {e}")),
            );
        }
        if let Some(p) = s.prepared {
            // Set over the vendor protocol when the camera arrived, before it switched to
            // storage mode (its vendor interface is gone now).
            return Some(Ok(ClockFix {
                timeset: p.clock_set.clone(),
                window: None,
            }));
        }
        let wall = zone.utc_to_wall(Utc::now());
        Some(match s.usb_serial {
            Some(serial) => crate::camera::amba_usb::set_clock_over_usb(serial, wall).map(|_| ClockFix {
                timeset: wall.format("%Y-%m-%d %H:%M:%S").to_string(),
                window: None,
            }),
            None => Err("the camera is not on USB here, so its clock cannot be set over the vendor protocol".into()),
        })
    }

    /// A card mounted read-only (every card on a station) gets its TIMESET.TXT through the
    /// privileged step's short read-write window.
    fn timeset_through_window(&self, volume: &Path, camera: &str) -> Result<ClockFix, String> {
        let spool = &self.config.dock.clock_spool;
        if !clock_window::available(spool) {
            return Err(format!(
                "the card is mounted read-only and no clock window is installed ({} missing; see camdock-clock.path)",
                spool.display()
            ));
        }
        let reply = clock_window::request(spool, volume, camera)?;
        match (reply.timeset.clone(), reply.error.clone()) {
            (Some(timeset), None) => Ok(ClockFix {
                timeset,
                window: Some(reply),
            }),
            (_, Some(e)) => Err(e),
            (None, None) => Err("the clock window wrote nothing".into()),
        }
    }
}

/// A clock correction written to the camera: the line, and the read-write window it went
/// through when the card is mounted read-only.
#[derive(Clone, Debug, Serialize)]
pub struct ClockFix {
    pub timeset: String,
    pub window: Option<clock_window::Reply>,
}

fn read_only(volume: &Path) -> bool {
    rustix::fs::statvfs(volume)
        .is_ok_and(|v| v.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
}

/// Gaps and overlaps between consecutive recordings of this dock, by corrected start time.
fn gaps(facts: &DockFacts, clips: &ClipLog) -> std::io::Result<Vec<Gap>> {
    let offset = facts.clock.as_ref().map_or(0, |c| c.offset_ms);
    // (start, duration, index in the listing): a few dozen bytes a clip; names only for the gaps.
    let mut spans: Vec<(DateTime<Utc>, f64, usize)> = Vec::new();
    clips.for_each(|index, outcome| {
        let Some(duration) = outcome.duration_s else {
            return;
        };
        let entry = facts.listing.clips.get(index);
        if let Some(start) = facts.context(&entry).recorded_at {
            spans.push((clock::corrected(start, offset), duration, index));
        }
    })?;
    spans.sort_by_key(|s| s.0);
    let source = |index| facts.listing.clips.get(index).source;
    Ok(spans
        .windows(2)
        .filter_map(|w| {
            let end = w[0].0 + chrono::Duration::milliseconds((w[0].1 * 1000.0) as i64);
            let seconds = (w[1].0 - end).num_milliseconds() as f64 / 1000.0;
            (seconds.abs() >= OVERLAP_SLACK_S).then(|| Gap {
                after: source(w[0].2),
                before: source(w[1].2),
                seconds,
            })
        })
        .collect())
}
