//! Signed checkpoints of the chain head. A hash chain shows any change to the events it has, but
//! not that its newest events were cut off; a checkpoint signed with the station's ed25519 key
//! and kept outside the ledger file does. Each checkpoint is `checkpoints/<seq>.json` in the data
//! directory, a `checkpoint` event in the ledger, an object under Object Lock in the replica
//! bucket (when one is configured), and may be carried away by an auditor (`verify --witness`).
//!
//! What each copy is worth against whoever can write the data directory (root on the station, who
//! also holds the key): the files and the events can be rewritten together, consistently, so
//! only a copy out of the station's reach (the bucket, an auditor's file) proves the past. Checked
//! here, without one: every checkpoint the ledger recorded still exists as a file and still
//! matches the chain, and every head the ledger recorded (checkpoint, verify-run) is still the hash
//! of its event: a deletion, cut or rewrite that did not also rewrite those records shows.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::stamp;
pub use camdock_record::Checkpoint;
use camdock_record::detail::CheckpointDetail;
use chrono::Utc;
use rusqlite::OptionalExtension;
use std::path::PathBuf;

pub const DIR: &str = "checkpoints";

/// Signs the current head, writes the checkpoint file, and records a `checkpoint` event.
pub fn write(station: &Station) -> anyhow::Result<(Checkpoint, PathBuf)> {
    let chain = station.ledger().verify_chain()?;
    anyhow::ensure!(
        chain.head_seq > 0,
        "the ledger is empty: there is nothing to vouch for yet"
    );
    anyhow::ensure!(
        chain.chain_ok,
        "the ledger chain is broken ({}); a checkpoint would vouch for it",
        chain.detail.unwrap_or_default()
    );
    let cp = Checkpoint::sign(
        &station.key.signing_key(),
        station.actor(),
        chain.head_seq,
        &chain.head_hash,
        &stamp(Utc::now()),
    );
    let dir = station.data_dir.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:012}.json", cp.seq));
    std::fs::write(&path, serde_json::to_string_pretty(&cp)?)?;
    std::fs::File::open(&path)?.sync_all()?;
    station
        .ledger()
        .append(
            NewEvent::new(EventKind::Checkpoint, station.actor()).typed(&CheckpointDetail {
                seq: cp.seq,
                head_hash: cp.head_hash.clone(),
                public_key: cp.public_key.clone(),
                file: path.display().to_string(),
            }),
        )?;
    Ok((cp, path))
}

/// The daemon's periodic checkpoint: only when events were added since the last one.
pub fn write_if_new(station: &Station) -> anyhow::Result<Option<Checkpoint>> {
    let last_kind: Option<String> = station
        .ledger()
        .conn()
        .query_row(
            "SELECT kind FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    match last_kind.as_deref() {
        None | Some("checkpoint") => Ok(None),
        Some(_) => write(station).map(|(cp, _)| Some(cp)),
    }
}

/// The file a checkpoint of event `seq` is kept in.
fn file_of(station: &Station, seq: i64) -> PathBuf {
    station.data_dir.join(DIR).join(format!("{seq:012}.json"))
}

/// Heads the ledger recorded about itself (`checkpoint` and `verify-run` events) against the chain
/// as it is now, and the checkpoint files those events name. Returns the problems.
pub fn check_recorded(station: &Station) -> anyhow::Result<Vec<String>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT seq, kind, json_extract(detail_json, '$.seq'), json_extract(detail_json, '$.head_hash'),
                json_extract(detail_json, '$.chain_head_seq'), json_extract(detail_json, '$.chain_head')
         FROM events WHERE kind IN ('checkpoint', 'verify-run') ORDER BY seq",
    )?;
    // (event seq, kind, the checkpoint's seq and head, the verify run's seq and head)
    type Recorded = (
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Recorded> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let hash_at = |seq: i64| -> rusqlite::Result<Option<String>> {
        ledger
            .conn()
            .query_row("SELECT hash FROM events WHERE seq = ?1", [seq], |r| {
                r.get(0)
            })
            .optional()
    };
    let seq_of = |hash: &str| -> rusqlite::Result<Option<i64>> {
        ledger
            .conn()
            .query_row("SELECT seq FROM events WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()
    };
    let mut problems = Vec::new();
    for (at_seq, kind, cp_seq, cp_head, run_seq, run_head) in rows {
        let (named_seq, head) = match kind.as_str() {
            "checkpoint" => (cp_seq, cp_head),
            _ => (run_seq, run_head),
        };
        let Some(head) = head else { continue };
        // A verify-run of an empty ledger names the genesis hash, which no event has.
        if head == camdock_record::GENESIS {
            continue;
        }
        let holds = match named_seq {
            Some(seq) => hash_at(seq)?.as_deref() == Some(head.as_str()),
            // verify-run events written before the seq was recorded name the hash alone.
            None => seq_of(&head)?.is_some(),
        };
        if !holds {
            problems.push(format!(
                "the {kind} recorded at event {at_seq} names chain head {} of event {}, which the ledger no longer holds: events before it were deleted or rewritten",
                &head[..head.len().min(16)],
                named_seq.map_or("?".to_string(), |s| s.to_string())
            ));
        }
        if kind == "checkpoint"
            && let Some(seq) = cp_seq
            && !file_of(station, seq).exists()
        {
            problems.push(format!(
                "the checkpoint of event {seq} that the ledger recorded at event {at_seq} is missing from {}: checkpoints were removed",
                station.data_dir.join(DIR).display()
            ));
        }
    }
    Ok(problems)
}

/// Checkpoints carried away from the station (an auditor's copies, the bucket's): each must be
/// signed by this station's key and vouch for an event the ledger still holds, unchanged.
pub fn check_witnesses(
    station: &Station,
    witnesses: &[(String, Checkpoint)],
) -> anyhow::Result<Vec<String>> {
    let ours = station.key.signing_key().verifying_key();
    let mut problems = Vec::new();
    for (name, cp) in witnesses {
        if !cp.signed_by(&ours) {
            problems.push(format!(
                "witness {name} is not signed by this station's key"
            ));
            continue;
        }
        let hash: Option<String> = station
            .ledger()
            .conn()
            .query_row("SELECT hash FROM events WHERE seq = ?1", [cp.seq], |r| {
                r.get(0)
            })
            .optional()?;
        match hash {
            None => problems.push(format!(
                "the ledger ends before event {} that witness {name} vouches for: its newest events were cut off",
                cp.seq
            )),
            Some(h) if h != cp.head_hash => problems.push(format!(
                "event {} is not the one witness {name} vouches for: the ledger was rewritten up to it",
                cp.seq
            )),
            Some(_) => {}
        }
    }
    Ok(problems)
}

/// Problems found checking every checkpoint file against the ledger (empty: all hold).
pub fn check_all(station: &Station) -> anyhow::Result<(usize, Vec<String>)> {
    let mut problems = check_recorded(station)?;
    let dir = station.data_dir.join(DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok((0, problems));
    };
    let ours = station.key.signing_key().verifying_key();
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path)?;
        let Ok(cp) = serde_json::from_str::<Checkpoint>(&text) else {
            problems.push(format!("checkpoint {} is unreadable", path.display()));
            continue;
        };
        checked += 1;
        if !cp.signed_by(&ours) {
            problems.push(format!(
                "checkpoint {} is not signed by this station's key",
                path.display()
            ));
            continue;
        }
        let at_seq: Option<String> = station
            .ledger()
            .conn()
            .query_row("SELECT hash FROM events WHERE seq = ?1", [cp.seq], |r| {
                r.get(0)
            })
            .ok();
        match at_seq {
            None => problems.push(format!(
                "the ledger ends before event {} that checkpoint {} vouches for: its newest events were cut off",
                cp.seq,
                path.display()
            )),
            Some(h) if h != cp.head_hash => problems.push(format!(
                "event {} no longer has the hash checkpoint {} signed: the ledger was rewritten",
                cp.seq,
                path.display()
            )),
            Some(_) => {}
        }
    }
    Ok((checked, problems))
}
