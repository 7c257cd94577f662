//! Read-side views over the ledger: what `clips`, `custody`, `fleet` and `overdue` show.

use super::Ledger;
use crate::camera::attention::{Acknowledgement, Attention};
use crate::time::{parse_stamp, stamp};
use camdock_record::EventKind;
use camdock_record::detail::CameraReturnedElsewhereDetail;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug, Serialize)]
pub struct ClipView {
    pub sha256: String,
    pub blake3: String,
    pub bytes: u64,
    pub camera: String,
    pub source: String,
    pub officer: Option<String>,
    pub sequence: Option<u32>,
    pub important: bool,
    /// Relative to the data directory in the ledger; made absolute by the station for output.
    pub store_path: String,
    pub immutable: bool,
    pub ingested_at: String,
    pub recorded_at: Option<String>,
    pub recorded_at_corrected: Option<String>,
    pub late: bool,
    /// How many times this content was docked (cameras or sources).
    pub recordings: u64,
    pub media: Value,
    /// The case of the clip's latest tag.
    /// Every case the clip belongs to now.
    pub cases: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub camera: Option<String>,
    pub clip: Option<String>,
    pub actor: String,
    pub detail: Value,
    pub hash: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CameraView {
    pub camera: String,
    pub state: &'static str,
    pub officer: Option<String>,
    pub first_seen_at: String,
    pub last_docked_at: Option<String>,
    pub last_undocked_at: Option<String>,
    pub battery_percent: Option<u8>,
    pub storage_total_bytes: Option<u64>,
    pub storage_free_bytes: Option<u64>,
    pub clock_offset_ms: Option<i64>,
    pub firmware: Option<String>,
    pub attention: Vec<Attention>,
    /// Back at another station after its last undock here, by the hub's signed statement.
    pub returned_elsewhere: Option<CameraReturnedElsewhereDetail>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OverdueView {
    pub camera: String,
    pub out_since: String,
    pub hours_out: f64,
    pub officer: Option<String>,
}

/// What the clip list asks for: substrings of camera, officer and case (any case the clip is in),
/// a range of (corrected) recording time, and a page.
#[derive(Clone, Debug, Default)]
pub struct ClipFilter {
    pub camera: Option<String>,
    pub officer: Option<String>,
    pub case: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The cursor a previous page returned: clips stored before it.
    pub before: Option<i64>,
    pub limit: u32,
}

/// A clip as a known recording: enough to answer "already stored" without reading it again.
#[derive(Clone, Debug)]
pub struct KnownRecording {
    pub sha256: String,
    pub blake3: String,
    pub bytes: u64,
    pub store_path: String,
}

const CLIP_COLUMNS: &str = "c.sha256, c.blake3, c.bytes, r.camera, r.source, r.officer, r.sequence, r.important, c.store_path,
    c.immutable, r.ingested_at, r.recorded_at, r.recorded_at_corrected, r.late,
    (SELECT count(*) FROM recordings r2 WHERE r2.sha256 = c.sha256), c.media_json,
    (SELECT json_group_array(case_name) FROM (SELECT case_name FROM case_clips k
        WHERE k.sha256 = c.sha256 AND k.removed_seq IS NULL ORDER BY k.added_seq))";

fn clip_row(row: &Row<'_>) -> rusqlite::Result<ClipView> {
    let media: Option<String> = row.get(15)?;
    Ok(ClipView {
        sha256: row.get(0)?,
        blake3: row.get(1)?,
        bytes: row.get::<_, i64>(2)? as u64,
        camera: row.get(3)?,
        source: row.get(4)?,
        officer: row.get(5)?,
        sequence: row.get(6)?,
        important: row.get(7)?,
        store_path: row.get(8)?,
        immutable: row.get(9)?,
        ingested_at: row.get(10)?,
        recorded_at: row.get(11)?,
        recorded_at_corrected: row.get(12)?,
        late: row.get(13)?,
        recordings: row.get::<_, i64>(14)? as u64,
        media: media
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or(Value::Null),
        cases: serde_json::from_str(&row.get::<_, String>(16)?).unwrap_or_default(),
    })
}

/// Whether the ledger records this content as stored (inside or outside a write transaction).
pub fn has_clip(conn: &rusqlite::Connection, sha256: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM clips WHERE sha256 = ?1",
            [sha256],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Whether a `clip-replicated` event is on record for the clip: the bucket holds it (a decision
/// taken from the chained events, not from the replication queue's row).
pub fn clip_replicated(conn: &rusqlite::Connection, sha256: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM events WHERE clip_sha256 = ?1 AND kind = ?2 LIMIT 1",
            rusqlite::params![sha256, EventKind::ClipReplicated.as_str()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Every event of these kinds, in the record's order (inside or outside a write transaction).
pub fn events_of_kinds(
    conn: &rusqlite::Connection,
    kinds: &[camdock_record::EventKind],
) -> rusqlite::Result<Vec<EventView>> {
    let names = serde_json::to_string(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>())
        .expect("names serialise");
    let mut stmt = conn.prepare(
        "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, hash FROM events
         WHERE kind IN (SELECT value FROM json_each(?1)) ORDER BY seq",
    )?;
    let rows = stmt.query_map([names], event_row)?;
    rows.collect()
}

pub fn event_row(row: &Row<'_>) -> rusqlite::Result<EventView> {
    let detail: String = row.get(6)?;
    Ok(EventView {
        seq: row.get(0)?,
        at: row.get(1)?,
        kind: row.get(2)?,
        camera: row.get(3)?,
        clip: row.get(4)?,
        actor: row.get(5)?,
        detail: serde_json::from_str(&detail).unwrap_or(Value::String(detail)),
        hash: row.get(7)?,
    })
}

impl Ledger {
    /// Every stored clip once, with its first recording (on `camera`, if given).
    pub fn clips(&self, camera: Option<&str>) -> rusqlite::Result<Vec<ClipView>> {
        let sql = match camera {
            Some(_) => format!(
                "SELECT {CLIP_COLUMNS} FROM recordings r JOIN clips c ON c.sha256 = r.sha256
                 WHERE r.id IN (SELECT min(id) FROM recordings WHERE camera = ?1 GROUP BY sha256) AND c.purged_seq IS NULL ORDER BY c.stored_seq, r.id"
            ),
            None => format!(
                "SELECT {CLIP_COLUMNS} FROM recordings r JOIN clips c ON c.sha256 = r.sha256
                 WHERE r.id IN (SELECT min(id) FROM recordings GROUP BY sha256) AND c.purged_seq IS NULL ORDER BY c.stored_seq, r.id"
            ),
        };
        let mut stmt = self.conn().prepare(&sql)?;

        match camera {
            Some(cam) => stmt.query_map([cam], clip_row)?.collect(),
            None => stmt.query_map([], clip_row)?.collect(),
        }
    }

    /// One page of stored clips matching `filter`, newest first, with the cursor of the next page
    /// (None on the last). Filtered and paged by SQLite, so a page costs the same at any size.
    pub fn search_clips(
        &self,
        filter: &ClipFilter,
    ) -> rusqlite::Result<(Vec<ClipView>, Option<i64>)> {
        let sql = format!(
            "SELECT {CLIP_COLUMNS}, c.stored_seq
             FROM clips c JOIN recordings r ON r.id = (SELECT min(id) FROM recordings WHERE sha256 = c.sha256)
             WHERE c.purged_seq IS NULL
               AND (?1 IS NULL OR instr(lower(r.camera), lower(?1)) > 0)
               AND (?2 IS NULL OR instr(lower(r.officer), lower(?2)) > 0)
               AND (?3 IS NULL OR EXISTS(SELECT 1 FROM case_clips k WHERE k.sha256 = c.sha256
                                          AND k.removed_seq IS NULL AND instr(lower(k.case_name), lower(?3)) > 0))
               AND (?4 IS NULL OR julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) >= julianday(?4))
               AND (?5 IS NULL OR julianday(coalesce(r.recorded_at_corrected, r.recorded_at)) < julianday(?5))
               AND (?6 IS NULL OR c.stored_seq < ?6)
             ORDER BY c.stored_seq DESC LIMIT ?7"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let limit = filter.limit.max(1);
        let rows: Vec<(ClipView, i64)> = stmt
            .query_map(
                params![
                    filter.camera,
                    filter.officer,
                    filter.case,
                    filter.from.map(stamp),
                    filter.to.map(stamp),
                    filter.before,
                    limit + 1,
                ],
                |r| Ok((clip_row(r)?, r.get(17)?)),
            )?
            .collect::<Result<_, _>>()?;
        let more = rows.len() > limit as usize;
        let page: Vec<(ClipView, i64)> = rows.into_iter().take(limit as usize).collect();
        let next = more.then(|| page.last().map(|(_, seq)| *seq)).flatten();
        Ok((page.into_iter().map(|(c, _)| c).collect(), next))
    }

    /// One stored (not purged) clip with its first recording: what a view, copy or export of a
    /// single clip needs, without listing the whole store.
    pub fn clip(&self, sha256: &str) -> rusqlite::Result<Option<ClipView>> {
        let sql = format!(
            "SELECT {CLIP_COLUMNS} FROM recordings r JOIN clips c ON c.sha256 = r.sha256
             WHERE r.id = (SELECT min(id) FROM recordings WHERE sha256 = ?1) AND c.purged_seq IS NULL"
        );
        self.conn().query_row(&sql, [sha256], clip_row).optional()
    }

    /// The stored clips as the store should hold them: (sha256, blake3, bytes, store_path).
    pub fn stored_objects(&self) -> rusqlite::Result<Vec<KnownRecording>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT sha256, blake3, bytes, store_path FROM clips WHERE purged_seq IS NULL ORDER BY stored_seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(KnownRecording {
                sha256: r.get(0)?,
                blake3: r.get(1)?,
                bytes: r.get::<_, i64>(2)? as u64,
                store_path: r.get(3)?,
            })
        })?;
        rows.collect()
    }

    /// Resolves a full SHA-256 or a unique prefix of at least 8 hex digits.
    pub fn resolve_clip(&self, prefix: &str) -> Result<String, String> {
        let p = prefix.to_ascii_lowercase();
        if p.len() < 8 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "'{prefix}' is not a clip id: give its SHA-256 or at least 8 hex digits of it"
            ));
        }
        let mut stmt = self
            .conn()
            .prepare("SELECT sha256 FROM clips WHERE sha256 >= ?1 AND sha256 < ?1 || 'g' ORDER BY sha256 LIMIT 2")
            .map_err(|e| e.to_string())?;
        let found: Vec<String> = stmt
            .query_map([&p], |r| r.get(0))
            .and_then(|r| r.collect())
            .map_err(|e| e.to_string())?;
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(format!("no stored clip has an id starting with {p}")),
            _ => Err(format!(
                "more than one stored clip starts with {p}: give more digits"
            )),
        }
    }

    /// A clip's custody trail: every event naming it, and the dock events of the sessions that brought it.
    pub fn custody(&self, sha256: &str) -> rusqlite::Result<Vec<EventView>> {
        let mut stmt = self.conn().prepare(
            "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, hash FROM events
             WHERE clip_sha256 = ?1
                OR (kind IN ('camera-docked', 'camera-undocked', 'clock-checked', 'clock-corrected', 'session-interrupted')
                    AND camera IN (SELECT camera FROM recordings WHERE sha256 = ?1)
                    AND json_extract(detail_json, '$.session') IN (SELECT session_id FROM recordings WHERE sha256 = ?1))
             ORDER BY seq",
        )?;
        let rows = stmt.query_map([sha256], event_row)?;
        rows.collect()
    }

    pub fn known_recording(
        &self,
        camera: &str,
        source: &str,
        bytes: u64,
        mtime: Option<&str>,
    ) -> rusqlite::Result<Option<KnownRecording>> {
        self.conn()
            .query_row(
                "SELECT c.sha256, c.blake3, c.bytes, c.store_path FROM recordings r JOIN clips c ON c.sha256 = r.sha256
                 WHERE r.camera = ?1 AND r.source = ?2 AND r.source_bytes = ?3 AND r.source_mtime IS ?4 LIMIT 1",
                params![camera, source, bytes as i64, mtime],
                |r| Ok(KnownRecording { sha256: r.get(0)?, blake3: r.get(1)?, bytes: r.get::<_, i64>(2)? as u64, store_path: r.get(3)? }),
            )
            .optional()
    }

    pub fn has_clip(&self, sha256: &str) -> rusqlite::Result<bool> {
        has_clip(self.conn(), sha256)
    }

    pub fn clip_replicated(&self, sha256: &str) -> rusqlite::Result<bool> {
        clip_replicated(self.conn(), sha256)
    }

    /// Every camera with its state at `now` and why it needs attention.
    pub fn fleet(
        &self,
        now: DateTime<Utc>,
        overdue_after: Duration,
    ) -> rusqlite::Result<Vec<CameraView>> {
        let mut seen_to = self.acknowledgements()?;
        let mut returned = self.returned_elsewhere()?;
        let mut stmt = self.conn().prepare(
            "SELECT camera, docked, officer, first_seen_at, last_docked_at, last_undocked_at, battery_percent,
                    storage_total_bytes, storage_free_bytes, clock_offset_ms, firmware, attention_json
             FROM cameras ORDER BY camera",
        )?;
        let rows = stmt.query_map([], |r| {
            let docked: bool = r.get(1)?;
            let last_undocked_at: Option<String> = r.get(5)?;
            let attention: String = r.get(11)?;
            let mut attention: Vec<Attention> =
                serde_json::from_str(&attention).unwrap_or_default();
            let out_for = last_undocked_at
                .as_deref()
                .and_then(parse_stamp)
                .map(|t| now - t);
            let camera: String = r.get(0)?;
            let returned_elsewhere = if docked {
                None
            } else {
                returned.remove(&camera)
            };
            let overdue = !docked
                && returned_elsewhere.is_none()
                && out_for.is_some_and(|d| d.to_std().is_ok_and(|d| d > overdue_after));
            if overdue {
                let hours = out_for.map_or(0.0, |d| d.num_seconds() as f64 / 3600.0);
                let limit = humantime::format_duration(overdue_after).to_string();
                attention.insert(
                    0,
                    Attention::new(
                        "overdue",
                        serde_json::json!({ "hours": format!("{hours:.1}"), "limit": limit }),
                        format!("overdue: out {hours:.1} h (limit {limit})"),
                    ),
                );
            }
            for (code, ack) in seen_to.remove(&camera).unwrap_or_default() {
                for item in attention.iter_mut().filter(|a| a.code == code) {
                    item.acknowledged = Some(ack.clone());
                }
            }
            Ok(CameraView {
                camera,
                state: if docked {
                    "docked"
                } else if returned_elsewhere.is_some() {
                    "elsewhere"
                } else if overdue {
                    "overdue"
                } else {
                    "out"
                },
                returned_elsewhere,
                officer: r.get(2)?,
                first_seen_at: r.get(3)?,
                last_docked_at: r.get(4)?,
                last_undocked_at,
                battery_percent: r.get(6)?,
                storage_total_bytes: r.get::<_, Option<i64>>(7)?.map(|b| b as u64),
                storage_free_bytes: r.get::<_, Option<i64>>(8)?.map(|b| b as u64),
                clock_offset_ms: r.get(9)?,
                firmware: r.get(10)?,
                attention,
            })
        })?;
        rows.collect()
    }

    /// The attention items someone has seen to since their camera last docked, by camera, each
    /// camera's oldest first (a later acknowledgement of the same item supersedes an earlier one).
    /// The next dock judges the camera afresh, so an acknowledgement never outlives it. One scan of
    /// the acknowledgements (a person's act, rare), not a query per camera.
    pub fn acknowledgements(
        &self,
    ) -> rusqlite::Result<HashMap<String, Vec<(String, Acknowledgement)>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT camera, json_extract(detail_json, '$.code'), actor, at, json_extract(detail_json, '$.note'), seq
             FROM events AS e
             WHERE kind = 'attention-acknowledged'
               AND seq > coalesce((SELECT max(seq) FROM events WHERE camera = e.camera AND kind = 'camera-docked'), 0)
             ORDER BY seq",
        )?;
        let mut by_camera: HashMap<String, Vec<(String, Acknowledgement)>> = HashMap::new();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Acknowledgement {
                    by: r.get(2)?,
                    at: r.get(3)?,
                    note: r.get(4)?,
                    seq: r.get(5)?,
                },
            ))
        })?;
        for row in rows {
            let (camera, code, ack) = row?;
            by_camera.entry(camera).or_default().push((code, ack));
        }
        Ok(by_camera)
    }

    /// The cameras whose latest dock event here is a return at another station (the hub's
    /// statement closed the episode), with what it said.
    pub fn returned_elsewhere(
        &self,
    ) -> rusqlite::Result<HashMap<String, CameraReturnedElsewhereDetail>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT camera, detail_json, seq FROM events WHERE kind = 'camera-returned-elsewhere'",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (camera, detail, seq) = row?;
            // Only where it is still the camera's latest word here.
            if last_episode_event(self.conn(), &camera)?.is_none_or(|(last, _, _)| last != seq) {
                continue;
            }
            let detail = serde_json::from_str(&detail).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
            })?;
            out.insert(camera, detail);
        }
        Ok(out)
    }

    /// Cameras out past `overdue_after` at instant `at`, judged from the dock events up to `at`
    /// (so an audit can ask about any moment in the past).
    pub fn overdue_at(
        &self,
        at: DateTime<Utc>,
        overdue_after: Duration,
    ) -> rusqlite::Result<Vec<OverdueView>> {
        let at_text = stamp(at);
        let mut stmt = self.conn().prepare(
            // The latest of four kinds, each found by its own walk of events_by_camera_kind
            // from the newest back: one query over the three kinds at once let SQLite walk every
            // event of the camera (411 ms for 1,000 cameras of 1,000 clips, against 6.7 ms).
            "SELECT c.camera, c.officer,
               (SELECT k || ' ' || t FROM (
                  SELECT * FROM (SELECT e.seq AS s, e.kind AS k, e.at AS t FROM events e
                    WHERE e.camera = c.camera AND e.kind = 'camera-docked' AND e.at <= ?1
                    ORDER BY e.seq DESC LIMIT 1)
                  UNION ALL
                  SELECT * FROM (SELECT e.seq, e.kind, e.at FROM events e
                    WHERE e.camera = c.camera AND e.kind = 'camera-undocked' AND e.at <= ?1
                    ORDER BY e.seq DESC LIMIT 1)
                  UNION ALL
                  SELECT * FROM (SELECT e.seq, e.kind, e.at FROM events e
                    WHERE e.camera = c.camera AND e.kind = 'camera-returned-elsewhere' AND e.at <= ?1
                    ORDER BY e.seq DESC LIMIT 1)
                  UNION ALL
                  SELECT * FROM (SELECT e.seq, e.kind, e.at FROM events e
                    WHERE e.camera = c.camera AND e.kind = 'camera-assigned' AND e.at <= ?1
                      AND json_extract(e.detail_json, '$.checked_out')
                    ORDER BY e.seq DESC LIMIT 1)
                ) ORDER BY s DESC LIMIT 1)
             FROM cameras c ORDER BY c.camera",
        )?;
        let rows: Vec<(String, Option<String>, Option<String>)> = stmt
            .query_map([&at_text], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for (camera, officer, last) in rows {
            let Some((kind, since)) = last.as_deref().and_then(|l| l.split_once(' ')) else {
                continue;
            };
            // Out since an undock, or since it was handed out (assigned) while not docked; back
            // once docked here or, by the hub's statement, at another station.
            if kind == EventKind::CameraDocked.as_str()
                || kind == EventKind::CameraReturnedElsewhere.as_str()
            {
                continue;
            }
            let Some(since_t) = parse_stamp(since) else {
                continue;
            };
            let out_for = at - since_t;
            if out_for.to_std().is_ok_and(|d| d > overdue_after) {
                out.push(OverdueView {
                    camera,
                    out_since: since.to_string(),
                    hours_out: (out_for.num_seconds() as f64 / 36.0).round() / 100.0,
                    officer,
                });
            }
        }
        Ok(out)
    }

    /// The open dock session on a volume, if any (the daemon closes it when the volume goes).
    pub fn open_session_on(&self, volume: &str) -> rusqlite::Result<Option<(i64, String)>> {
        self.conn()
            .query_row(
                "SELECT id, camera FROM sessions WHERE volume = ?1 AND undocked_at IS NULL ORDER BY id DESC LIMIT 1",
                [volume],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    /// The median read rate of a camera over its last docks with a measured rate (MB/s), once
    /// there are at least three: the baseline a slowing card is compared with.
    pub fn usual_read_rate(&self, camera: &str) -> rusqlite::Result<Option<f64>> {
        let mut stmt = self.conn().prepare(
            "SELECT json_extract(detail_json, '$.health.read_mb_per_s') AS rate FROM events
             WHERE camera = ?1 AND kind = 'health-read' AND rate IS NOT NULL ORDER BY seq DESC LIMIT 10",
        )?;
        let mut rates: Vec<f64> = stmt
            .query_map([camera], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if rates.len() < 3 {
            return Ok(None);
        }
        rates.sort_by(f64::total_cmp);
        Ok(Some(rates[rates.len() / 2]))
    }

    /// The TIMESET.TXT line written at this camera's last clock correction.
    pub fn last_timeset(&self, camera: &str) -> rusqlite::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT json_extract(detail_json, '$.timeset') FROM events WHERE camera = ?1 AND kind = 'clock-corrected'
                 ORDER BY seq DESC LIMIT 1",
                [camera],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
    }

    /// Every dock session still open (for recovery at start-up).
    pub fn open_sessions(&self) -> rusqlite::Result<Vec<(i64, String, String)>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, camera, volume FROM sessions WHERE undocked_at IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }
}

/// The camera's latest event that opens or closes an episode out of the dock here (seq, kind, at):
/// a dock, an undock, a checkout at the desk, or a return at another station. Each kind found by
/// its own walk of `events_by_camera_kind` from the newest back (one `kind IN (…)` walk reads
/// every event of the camera; see `overdue_at`).
pub fn last_episode_event(
    conn: &rusqlite::Connection,
    camera: &str,
) -> rusqlite::Result<Option<(i64, String, String)>> {
    conn.query_row(
        "SELECT s, k, t FROM (
           SELECT * FROM (SELECT seq AS s, kind AS k, at AS t FROM events
             WHERE camera = ?1 AND kind = 'camera-docked' ORDER BY seq DESC LIMIT 1)
           UNION ALL
           SELECT * FROM (SELECT seq, kind, at FROM events
             WHERE camera = ?1 AND kind = 'camera-undocked' ORDER BY seq DESC LIMIT 1)
           UNION ALL
           SELECT * FROM (SELECT seq, kind, at FROM events
             WHERE camera = ?1 AND kind = 'camera-returned-elsewhere' ORDER BY seq DESC LIMIT 1)
           UNION ALL
           SELECT * FROM (SELECT seq, kind, at FROM events
             WHERE camera = ?1 AND kind = 'camera-assigned' AND json_extract(detail_json, '$.checked_out')
             ORDER BY seq DESC LIMIT 1)
         ) ORDER BY s DESC LIMIT 1",
        [camera],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}
