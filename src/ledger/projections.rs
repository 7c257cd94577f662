//! Writes to the projection tables, always inside the transaction of the event that justifies them.

use super::{NewEvent, Writer};
use crate::time::stamp;
use rusqlite::OptionalExtension;
use rusqlite::params;

/// A recording of a clip on one camera, as the `recordings` table keeps it.
pub struct RecordingRow<'a> {
    pub sha256: &'a str,
    pub camera: &'a str,
    pub session_id: i64,
    pub source: &'a str,
    pub source_bytes: u64,
    pub source_mtime: Option<String>,
    pub officer: Option<&'a str>,
    pub sequence: Option<u32>,
    pub important: bool,
    pub recorded_at: Option<String>,
    pub recorded_at_corrected: Option<String>,
    pub late: bool,
    pub seq: i64,
}

pub struct ClipRow<'a> {
    pub sha256: &'a str,
    pub blake3: &'a str,
    pub bytes: u64,
    pub store_path: &'a str,
    pub stored_seq: i64,
    pub immutable: bool,
    pub media_json: Option<String>,
}

impl Writer<'_> {
    pub fn has_clip(&self, sha256: &str) -> anyhow::Result<bool> {
        Ok(super::queries::has_clip(self.tx(), sha256)?)
    }

    pub fn open_session(&self, camera: &str, volume: &str) -> anyhow::Result<i64> {
        self.tx().execute(
            "INSERT INTO sessions(camera, volume, docked_at, state) VALUES (?1, ?2, ?3, 'ingesting')",
            params![camera, volume, stamp(self.now())],
        )?;
        Ok(self.tx().last_insert_rowid())
    }

    pub fn set_session_state(&self, session_id: i64, state: &str) -> anyhow::Result<()> {
        self.tx().execute(
            "UPDATE sessions SET state = ?2 WHERE id = ?1",
            params![session_id, state],
        )?;
        Ok(())
    }

    /// A session's camera left its dock: `undocked` (its `camera-undocked` event) goes on the
    /// record once. Whoever sees the pull first writes it: the daemon the moment the volume goes,
    /// or the session at its end (a one-shot ingest, a pull the daemon did not see); a later call
    /// finds the session closed and writes nothing. Returns whether this call wrote it.
    pub fn undock(
        &mut self,
        session_id: i64,
        camera: &str,
        undocked: NewEvent,
    ) -> anyhow::Result<bool> {
        if !self.close_session(session_id)? {
            return Ok(false);
        }
        self.append(undocked)?;
        self.camera_undocked(camera)?;
        Ok(true)
    }

    /// Closes a session; false if it was closed already.
    pub fn close_session(&self, session_id: i64) -> anyhow::Result<bool> {
        let closed = self.tx().execute(
            "UPDATE sessions SET undocked_at = ?2 WHERE id = ?1 AND undocked_at IS NULL",
            params![session_id, stamp(self.now())],
        )?;
        Ok(closed == 1)
    }

    pub fn insert_clip(&self, c: &ClipRow<'_>) -> anyhow::Result<()> {
        self.tx().execute(
            "INSERT INTO clips(sha256, blake3, bytes, store_path, stored_seq, stored_at, immutable, media_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![c.sha256, c.blake3, c.bytes as i64, c.store_path, c.stored_seq, stamp(self.now()), c.immutable, c.media_json],
        )?;
        Ok(())
    }

    /// A stored clip's media facts, probed again (`audit::reprobe`).
    pub fn set_clip_media(&self, sha256: &str, media_json: &str) -> anyhow::Result<()> {
        self.tx().execute(
            "UPDATE clips SET media_json = ?2 WHERE sha256 = ?1",
            params![sha256, media_json],
        )?;
        Ok(())
    }

    pub fn insert_recording(&self, r: &RecordingRow<'_>) -> anyhow::Result<()> {
        self.tx().execute(
            "INSERT OR IGNORE INTO recordings(sha256, camera, session_id, source, source_bytes, source_mtime, officer, sequence,
                 important, recorded_at, recorded_at_corrected, ingested_at, late, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                r.sha256, r.camera, r.session_id, r.source, r.source_bytes as i64, r.source_mtime, r.officer, r.sequence,
                r.important, r.recorded_at, r.recorded_at_corrected, stamp(self.now()), r.late, r.seq
            ],
        )?;
        Ok(())
    }

    /// The camera is in a dock now. The holder is the station's assignment; what the camera
    /// reports only fills in a camera never assigned.
    pub fn camera_docked(&self, camera: &str, officer: Option<&str>) -> anyhow::Result<()> {
        let now = stamp(self.now());
        self.tx().execute(
            "INSERT INTO cameras(camera, first_seen_at, docked, last_docked_at, officer) VALUES (?1, ?2, 1, ?2, ?3)
             ON CONFLICT(camera) DO UPDATE SET docked = 1, last_docked_at = ?2, officer = coalesce(officer, ?3)",
            params![camera, now, officer],
        )?;
        Ok(())
    }

    pub fn camera_undocked(&self, camera: &str) -> anyhow::Result<()> {
        self.tx().execute(
            "UPDATE cameras SET docked = 0, last_undocked_at = ?2 WHERE camera = ?1",
            params![camera, stamp(self.now())],
        )?;
        Ok(())
    }

    pub fn camera_health(
        &self,
        camera: &str,
        health: &crate::camera::health::Health,
        clock_offset_ms: Option<i64>,
        attention: &[crate::camera::attention::Attention],
    ) -> anyhow::Result<()> {
        self.tx().execute(
            "UPDATE cameras SET battery_percent = ?2, storage_total_bytes = ?3, storage_free_bytes = ?4,
                 clock_offset_ms = ?5, firmware = ?6, attention_json = ?7 WHERE camera = ?1",
            params![
                camera,
                health.battery_percent,
                health.storage_total_bytes.map(|b| b as i64),
                health.storage_free_bytes.map(|b| b as i64),
                clock_offset_ms,
                health.firmware,
                serde_json::to_string(attention)?
            ],
        )?;
        Ok(())
    }

    /// The highest sequence number seen from this camera at earlier docks.
    /// The clip number of the camera's latest recording (by recording time, not the highest:
    /// the counter wraps).
    pub fn last_sequence(&self, camera: &str) -> anyhow::Result<Option<u32>> {
        Ok(self
            .tx()
            .query_row(
                "SELECT sequence FROM recordings WHERE camera = ?1 AND sequence IS NOT NULL
                 ORDER BY recorded_at DESC, id DESC LIMIT 1",
                [camera],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether the camera's file `source` was recorded at an earlier dock.
    pub fn has_recording(&self, camera: &str, source: &str) -> anyhow::Result<bool> {
        Ok(self
            .tx()
            .query_row(
                "SELECT 1 FROM recordings WHERE camera = ?1 AND source = ?2 LIMIT 1",
                [camera, source],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
