//! The hash chain: each event's hash covers its fields and the previous event's hash, so changing,
//! inserting or deleting any past event breaks every hash after it.
//!
//! `hash = SHA-256(canonical(seq, at, kind, camera, clip, actor, detail) ‖ prev_hash)`, where the
//! canonical form is the compact JSON array of those seven values (detail as its stored JSON text).
//! An auditor can recompute it with `sqlite3` and a few lines of Python; see docs/LEDGER.md.

use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub struct EventFields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub kind: &'a str,
    pub camera: Option<&'a str>,
    pub clip: Option<&'a str>,
    pub actor: &'a str,
    pub detail_json: &'a str,
}

pub fn event_hash(e: &EventFields<'_>, prev_hash: &str) -> String {
    let canonical = serde_json::to_string(&(
        e.seq,
        e.at,
        e.kind,
        e.camera,
        e.clip,
        e.actor,
        e.detail_json,
    ))
    .expect("plain values serialise");
    let mut h = Sha256::new();
    h.update(canonical.as_bytes());
    h.update(prev_hash.as_bytes());
    hex::encode(h.finalize())
}

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

/// Walks the whole chain from the first event, recomputing every hash.
pub fn verify_chain(conn: &Connection) -> rusqlite::Result<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut report = ChainReport {
        events: 0,
        chain_ok: true,
        head_seq: 0,
        head_hash: GENESIS.to_string(),
        broken_at: None,
        detail: None,
    };
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let at: String = row.get(1)?;
        let kind: String = row.get(2)?;
        let camera: Option<String> = row.get(3)?;
        let clip: Option<String> = row.get(4)?;
        let actor: String = row.get(5)?;
        let detail_json: String = row.get(6)?;
        let prev_hash: String = row.get(7)?;
        let hash: String = row.get(8)?;
        report.events += 1;
        if report.chain_ok {
            let fields = EventFields {
                seq,
                at: &at,
                kind: &kind,
                camera: camera.as_deref(),
                clip: clip.as_deref(),
                actor: &actor,
                detail_json: &detail_json,
            };
            let problem = if seq != report.head_seq + 1 {
                Some(format!(
                    "event {seq} follows event {}: events are missing",
                    report.head_seq
                ))
            } else if prev_hash != report.head_hash {
                Some(format!(
                    "event {seq} does not link to the hash of event {}",
                    report.head_seq
                ))
            } else if event_hash(&fields, &prev_hash) != hash {
                Some(format!(
                    "event {seq} ({kind}) was changed after it was written"
                ))
            } else {
                None
            };
            if let Some(p) = problem {
                report.chain_ok = false;
                report.broken_at = Some(seq);
                report.detail = Some(p);
            }
        }
        report.head_seq = seq;
        report.head_hash = hash;
    }
    Ok(report)
}
