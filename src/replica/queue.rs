//! The persistent replication queue: one row per stored clip until its replica is confirmed, with
//! retries on an exponential backoff, and a circuit breaker for the endpoint. All of it lives in
//! the ledger database, so it survives restarts and outages of any length.

use crate::config::ReplicaConfig;
use crate::custody::retention::IMPORTANT_SQL;
use crate::time::{parse_stamp, stamp};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::time::Duration;

/// A clip due for upload.
#[derive(Clone, Debug)]
pub struct Due {
    pub sha256: String,
    pub store_path: String,
    pub stored_at: String,
    pub attempts: i64,
    /// Marked important by its camera: its replica is retained as long as the station keeps it.
    pub important: bool,
}

/// Adds every stored, unpurged clip the queue does not know yet. Scanning the clips (rather than
/// hooking the ingest) means a clip can never be missed, whatever crashed when.
pub fn enqueue_new(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT OR IGNORE INTO replication_queue(sha256)
         SELECT sha256 FROM clips WHERE purged_seq IS NULL",
        [],
    )
}

/// Clips whose next attempt is due at `now`, oldest first.
pub fn due(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<Due>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT q.sha256, c.store_path, c.stored_at, q.attempts, {IMPORTANT_SQL}
         FROM replication_queue q JOIN clips c ON c.sha256 = q.sha256
         WHERE q.done_seq IS NULL AND c.purged_seq IS NULL
           AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= ?1)
         ORDER BY c.stored_seq",
    ))?;
    stmt.query_map([stamp(now)], |r| {
        Ok(Due {
            sha256: r.get(0)?,
            store_path: r.get(1)?,
            stored_at: r.get(2)?,
            attempts: r.get(3)?,
            important: r.get(4)?,
        })
    })?
    .collect()
}

/// Marks a clip replicated by the event `seq`.
pub fn mark_done(conn: &Connection, sha256: &str, seq: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE replication_queue SET done_seq = ?2, last_error = NULL WHERE sha256 = ?1",
        params![sha256, seq],
    )?;
    Ok(())
}

/// Records a failed attempt and schedules the next one.
pub fn mark_failed(
    conn: &Connection,
    cfg: &ReplicaConfig,
    sha256: &str,
    error: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<DateTime<Utc>> {
    let attempts: i64 = conn.query_row(
        "SELECT attempts FROM replication_queue WHERE sha256 = ?1",
        [sha256],
        |r| r.get(0),
    )?;
    let next = now + chrono::Duration::from_std(backoff(cfg, attempts + 1)).unwrap_or_default();
    conn.execute(
        "UPDATE replication_queue SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
         WHERE sha256 = ?1",
        params![sha256, stamp(next), error],
    )?;
    Ok(next)
}

/// The wait after the `attempts`-th failure: `retry_base`, doubling, at most `retry_max`.
pub fn backoff(cfg: &ReplicaConfig, attempts: i64) -> Duration {
    let doublings = (attempts.max(1) - 1).min(30) as u32;
    cfg.retry_base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(cfg.retry_max)
}

/// Clips stored and not yet confirmed in the replica.
pub fn backlog(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM clips c LEFT JOIN replication_queue q ON q.sha256 = c.sha256
         WHERE c.purged_seq IS NULL AND q.done_seq IS NULL",
        [],
        |r| r.get(0),
    )
}

/// The newest error of a clip still waiting, if any (for reports).
pub fn failing(conn: &Connection) -> rusqlite::Result<Vec<(String, i64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT sha256, attempts, last_error FROM replication_queue
         WHERE done_seq IS NULL AND last_error IS NOT NULL ORDER BY sha256",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

/// Until when the breaker keeps passes away from the endpoint (None: closed).
pub fn breaker_open_until(
    conn: &Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let until: Option<String> = conn
        .query_row(
            "SELECT open_until FROM replica_breaker WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(until.and_then(|u| parse_stamp(&u)).filter(|u| *u > now))
}

/// An endpoint failure: after `breaker_failures` in a row the breaker opens for the cool-down.
/// Returns the time it opened until, if it did.
pub fn endpoint_failed(
    conn: &Connection,
    cfg: &ReplicaConfig,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    conn.execute(
        "INSERT INTO replica_breaker(id, failures) VALUES (1, 1)
         ON CONFLICT(id) DO UPDATE SET failures = failures + 1",
        [],
    )?;
    let failures: i64 = conn.query_row(
        "SELECT failures FROM replica_breaker WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    if failures >= i64::from(cfg.breaker_failures.max(1)) {
        let until = now + chrono::Duration::from_std(cfg.breaker_cooldown).unwrap_or_default();
        conn.execute(
            "UPDATE replica_breaker SET failures = 0, open_until = ?1 WHERE id = 1",
            [stamp(until)],
        )?;
        return Ok(Some(until));
    }
    Ok(None)
}

/// The endpoint answered: the breaker closes and its count restarts.
pub fn endpoint_ok(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO replica_breaker(id, failures, open_until) VALUES (1, 0, NULL)
         ON CONFLICT(id) DO UPDATE SET failures = 0, open_until = NULL",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn cfg() -> ReplicaConfig {
        let mut c = Config::defaults().replica;
        c.retry_base = Duration::from_secs(30);
        c.retry_max = Duration::from_secs(3600);
        c.breaker_failures = 3;
        c.breaker_cooldown = Duration::from_secs(300);
        c
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = cfg();
        assert_eq!(backoff(&c, 1), Duration::from_secs(30));
        assert_eq!(backoff(&c, 2), Duration::from_secs(60));
        assert_eq!(backoff(&c, 5), Duration::from_secs(480));
        assert_eq!(backoff(&c, 9), Duration::from_secs(3600));
        assert_eq!(backoff(&c, 1000), Duration::from_secs(3600));
    }

    #[test]
    fn breaker_opens_after_consecutive_failures_and_closes_on_success() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::ledger::Ledger::open(&dir.path().join("l.sqlite3"), "t").unwrap();
        let conn = ledger.conn();
        let c = cfg();
        let now = Utc::now();
        assert!(endpoint_failed(conn, &c, now).unwrap().is_none());
        endpoint_ok(conn).unwrap();
        assert!(endpoint_failed(conn, &c, now).unwrap().is_none());
        assert!(endpoint_failed(conn, &c, now).unwrap().is_none());
        let until = endpoint_failed(conn, &c, now).unwrap().expect("opens");
        assert_eq!(
            breaker_open_until(conn, now).unwrap(),
            Some(until).map(|u| { parse_stamp(&stamp(u)).unwrap() })
        );
        assert!(
            breaker_open_until(conn, now + chrono::Duration::seconds(301))
                .unwrap()
                .is_none()
        );
        endpoint_ok(conn).unwrap();
        assert!(breaker_open_until(conn, now).unwrap().is_none());
    }
}
