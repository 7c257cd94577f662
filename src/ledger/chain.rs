//! The hash chain of the ledger's `events`, walked from SQLite (the chain's rule and its walk are
//! `camdock_record::chain`, shared with the replica's check and the hub).

use camdock_record::StoredEvent;
pub use camdock_record::chain::{Chain, ChainBreak, EventFields, GENESIS, event_hash};
use rusqlite::Connection;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ChainReport {
    pub events: i64,
    pub chain_ok: bool,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first event where the chain breaks, and why.
    pub broken_at: Option<i64>,
    pub detail: Option<String>,
}

/// Every stored event, oldest first, as it is in the table.
pub const SELECT_EVENTS: &str =
    "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash FROM events";

/// One row of `SELECT_EVENTS`.
pub fn stored_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: row.get(0)?,
        at: row.get(1)?,
        kind: row.get(2)?,
        camera: row.get(3)?,
        clip_sha256: row.get(4)?,
        actor: row.get(5)?,
        detail_json: row.get(6)?,
        prev_hash: row.get(7)?,
        hash: row.get(8)?,
    })
}

/// Walks the whole chain from the first event, recomputing every hash.
pub fn verify_chain(conn: &Connection) -> rusqlite::Result<ChainReport> {
    let mut stmt = conn.prepare(&format!("{SELECT_EVENTS} ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let mut chain = Chain::default();
    while let Some(row) = rows.next()? {
        chain.push(&stored_event(row)?);
    }
    Ok(ChainReport {
        events: chain.events,
        chain_ok: chain.holds(),
        broken_at: chain.first_break.as_ref().map(ChainBreak::seq),
        detail: chain.first_break.as_ref().map(ToString::to_string),
        head_seq: chain.head_seq,
        head_hash: chain.head_hash,
    })
}
