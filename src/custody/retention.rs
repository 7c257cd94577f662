//! Retention and holds. A clip may be purged only when its retention has passed and no hold is on
//! it; purging is the only deletion camdock ever makes in the store, and each is a `clip-purged`
//! event. Held clips (evidence, complaints, major cases) are never purged.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::{parse_stamp, stamp};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

pub fn hold(station: &Station, sha256: &str, reason: &str, actor: &str) -> anyhow::Result<()> {
    station.ledger().write(|w| {
        let seq = w.append(
            NewEvent::new(EventKind::HoldPlaced, actor)
                .clip(sha256)
                .detail(json!({ "reason": reason })),
        )?;
        w.tx().execute(
            "INSERT INTO holds(sha256, reason, placed_seq) VALUES (?1, ?2, ?3)",
            rusqlite::params![sha256, reason, seq],
        )?;
        Ok(())
    })
}

/// Releases every active hold on a clip; returns how many.
pub fn release(
    station: &Station,
    sha256: &str,
    reason: &str,
    actor: &str,
) -> anyhow::Result<usize> {
    station.ledger().write(|w| {
        let active: i64 = w.tx().query_row(
            "SELECT count(*) FROM holds WHERE sha256 = ?1 AND released_seq IS NULL",
            [sha256],
            |r| r.get(0),
        )?;
        if active == 0 {
            return Ok(0);
        }
        let seq = w.append(
            NewEvent::new(EventKind::HoldReleased, actor)
                .clip(sha256)
                .detail(json!({ "reason": reason })),
        )?;
        w.tx().execute(
            "UPDATE holds SET released_seq = ?2 WHERE sha256 = ?1 AND released_seq IS NULL",
            rusqlite::params![sha256, seq],
        )?;
        Ok(active as usize)
    })
}

#[derive(Debug, Serialize)]
pub struct PurgeCandidate {
    pub sha256: String,
    pub stored_at: String,
    pub expired_at: String,
    pub store_path: String,
}

#[derive(Debug, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub purged: Vec<PurgeCandidate>,
    /// Expired but held: kept.
    pub held: Vec<String>,
}

/// Purges (or with `dry_run`, lists) clips whose retention ended before `now` and that no hold keeps.
pub fn purge(
    station: &Station,
    now: DateTime<Utc>,
    dry_run: bool,
    actor: &str,
) -> anyhow::Result<PurgeReport> {
    let retention = chrono::Duration::from_std(station.config.policy.retention)?;
    let cutoff = stamp(now - retention);
    let (expired, held) = {
        let ledger = station.ledger();
        let mut stmt = ledger.conn().prepare(
            "SELECT sha256, stored_at, store_path, EXISTS(SELECT 1 FROM holds h WHERE h.sha256 = c.sha256 AND h.released_seq IS NULL)
             FROM clips c WHERE purged_seq IS NULL AND stored_at < ?1 ORDER BY stored_seq",
        )?;
        let rows: Vec<(String, String, String, bool)> = stmt
            .query_map([&cutoff], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let (held, expired): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.3);
        (expired, held.into_iter().map(|r| r.0).collect::<Vec<_>>())
    };
    let mut purged = Vec::new();
    for (sha256, stored_at, store_path, _) in expired {
        let expired_at = parse_stamp(&stored_at)
            .map(|t| stamp(t + retention))
            .unwrap_or_default();
        if !dry_run {
            station.store.purge(&store_path)?;
            station.ledger().write(|w| {
                let seq = w.append(NewEvent::new(EventKind::ClipPurged, actor).clip(&sha256).detail(json!({
                    "stored_at": stored_at, "expired_at": expired_at, "store_path": store_path,
                    "retention": humantime::format_duration(station.config.policy.retention).to_string(),
                })))?;
                w.tx().execute("UPDATE clips SET purged_seq = ?2 WHERE sha256 = ?1", rusqlite::params![sha256, seq])?;
                Ok(())
            })?;
        }
        purged.push(PurgeCandidate {
            sha256,
            stored_at,
            expired_at,
            store_path,
        });
    }
    Ok(PurgeReport {
        dry_run,
        purged,
        held,
    })
}
