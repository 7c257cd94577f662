//! The custody ledger: SQLite (WAL), an append-only hash-chained `events` table, and projections
//! (clips, recordings, sessions, cameras) written in the same transaction as their events.

pub mod chain;
pub mod projections;
pub mod queries;
pub mod replay;
pub mod schema;

pub use camdock_record::{EventKind, NewEvent};
pub use chain::{ChainReport, verify_chain};

use crate::time::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;

pub struct Ledger {
    conn: Connection,
}

/// An open write transaction: events appended through it and the projection rows written with
/// them commit together or not at all.
pub struct Writer<'a> {
    tx: Transaction<'a>,
    now: DateTime<Utc>,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `e` is SQLite finding the disk full (SQLITE_FULL).
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DiskFull
        )
    })
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path`, applies migrations and re-arms the
    /// append-only guard.
    pub fn open(path: &Path, station: &str) -> anyhow::Result<Ledger> {
        // Processes opening a fresh ledger together (cameras docked at once) can meet SQLITE_BUSY
        // where SQLite does not wait (switching to WAL while another connection sets it up):
        // try again for as long as the busy timeout would have waited.
        let started = std::time::Instant::now();
        loop {
            match Self::open_once(path, station) {
                Err(e)
                    if started.elapsed() < BUSY_TIMEOUT
                        && e.downcast_ref::<rusqlite::Error>()
                            .and_then(|e| e.sqlite_error_code())
                            == Some(rusqlite::ErrorCode::DatabaseBusy) =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                result => return result,
            }
        }
    }

    fn open_once(path: &Path, station: &str) -> anyhow::Result<Ledger> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed event survives power loss, which is the point of committing it.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        let mut ledger = Ledger { conn };
        let restored = schema::ensure_guards(&ledger.conn)?;
        if !restored.is_empty() && ledger.event_count()? > 0 {
            ledger.write(|w| {
                w.append(NewEvent::new(EventKind::LedgerGuardRestored, station).typed(
                    &camdock_record::detail::LedgerGuardRestoredDetail {
                        restored_triggers: restored.iter().map(|t| t.to_string()).collect(),
                        note: "the append-only guard was missing or redefined; someone with file access changed it".into(),
                    },
                ))
            })?;
        }
        Ok(ledger)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` inside one IMMEDIATE transaction (taking the write lock up front, so two processes
    /// never deadlock upgrading a read lock) and commits if it succeeds.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut w = Writer {
            tx,
            now: Utc::now(),
        };
        let out = f(&mut w)?;
        w.tx.commit()?;
        Ok(out)
    }

    /// Appends one event in its own transaction.
    pub fn append(&mut self, event: NewEvent) -> anyhow::Result<i64> {
        self.write(|w| w.append(event))
    }

    pub fn event_count(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
    }

    pub fn verify_chain(&self) -> rusqlite::Result<ChainReport> {
        chain::verify_chain(&self.conn)
    }
}

impl Writer<'_> {
    /// The time stamped on every event of this transaction.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn tx(&self) -> &Transaction<'_> {
        &self.tx
    }

    /// Appends an event at the head of the chain; returns its sequence number.
    pub fn append(&mut self, e: NewEvent) -> anyhow::Result<i64> {
        // A writer whose detail drifted from its kind's type (a field added here and not there)
        // fails here, in the tests, before a record that its readers would misread.
        camdock_record::detail::Details::check(e.kind, &e.detail)?;
        let (head_seq, head_hash): (i64, String) = self
            .tx
            .query_row(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, chain::GENESIS.to_string()));
        let seq = head_seq + 1;
        let at = stamp(self.now);
        let detail_json = serde_json::to_string(&e.detail)?;
        let hash = chain::event_hash(
            &chain::EventFields {
                seq,
                at: &at,
                kind: e.kind.as_str(),
                camera: e.camera.as_deref(),
                clip: e.clip.as_deref(),
                actor: &e.actor,
                detail_json: &detail_json,
            },
            &head_hash,
        );
        self.tx.execute(
            "INSERT INTO events(seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![seq, at, e.kind.as_str(), e.camera, e.clip, e.actor, detail_json, head_hash, hash],
        )?;
        Ok(seq)
    }
}

#[cfg(test)]
mod disk_full_tests {
    use super::is_disk_full;

    #[test]
    fn sqlite_finding_no_room_is_told_apart() {
        // SQLITE_FULL without filling a real disk: a database capped at a few pages.
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("PRAGMA max_page_count = 3; CREATE TABLE t(x BLOB);")
            .unwrap();
        let full = (0..100)
            .map(|_| db.execute("INSERT INTO t VALUES (zeroblob(4000))", []))
            .find_map(Result::err)
            .expect("the capped database fills up");
        assert!(is_disk_full(
            &anyhow::Error::new(full).context("appending an event")
        ));
        let other = db
            .execute("INSERT INTO nowhere VALUES (1)", [])
            .unwrap_err();
        assert!(!is_disk_full(&anyhow::Error::new(other)));
    }
}
