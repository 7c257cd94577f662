//! Signed checkpoints of the chain head. A hash chain shows any change to the events it has, but
//! not that its newest events were cut off; a checkpoint signed with the station's ed25519 key
//! and kept outside the ledger file does. Each checkpoint is `checkpoints/<seq>.json` in the data
//! directory (and may be copied anywhere else, e.g. to an auditor).

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::stamp;
use chrono::Utc;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;

pub const DIR: &str = "checkpoints";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    pub station: String,
    pub seq: i64,
    pub head_hash: String,
    pub at: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Signature over `signed_text()`, hex.
    pub signature: String,
}

impl Checkpoint {
    /// The key that signed this checkpoint, when its signature holds (an auditor with only the
    /// replica checks that every checkpoint names the same key).
    pub fn signer(&self) -> Option<VerifyingKey> {
        let signed = Checkpoint::signed_text(&self.station, self.seq, &self.head_hash, &self.at);
        let sig = hex::decode(&self.signature)
            .ok()
            .and_then(|s| Signature::from_slice(&s).ok())?;
        let key: [u8; 32] = hex::decode(&self.public_key).ok()?.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&key).ok()?;
        key.verify(signed.as_bytes(), &sig).is_ok().then_some(key)
    }

    fn signed_text(station: &str, seq: i64, head_hash: &str, at: &str) -> String {
        format!("camdock-checkpoint\n{station}\n{seq}\n{head_hash}\n{at}\n")
    }
}

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
    let key = station.key.signing_key();
    let at = stamp(Utc::now());
    let text = Checkpoint::signed_text(station.actor(), chain.head_seq, &chain.head_hash, &at);
    let cp = Checkpoint {
        station: station.actor().to_string(),
        seq: chain.head_seq,
        head_hash: chain.head_hash,
        at,
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(key.sign(text.as_bytes()).to_bytes()),
    };
    let dir = station.data_dir.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:012}.json", cp.seq));
    std::fs::write(&path, serde_json::to_string_pretty(&cp)?)?;
    std::fs::File::open(&path)?.sync_all()?;
    station.ledger().append(NewEvent::new(EventKind::Checkpoint, station.actor()).detail(json!({
        "seq": cp.seq, "head_hash": cp.head_hash, "public_key": cp.public_key, "file": path.display().to_string(),
    })))?;
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

/// Problems found checking every checkpoint file against the ledger (empty: all hold).
pub fn check_all(station: &Station) -> anyhow::Result<(usize, Vec<String>)> {
    let dir = station.data_dir.join(DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok((0, Vec::new()));
    };
    let ours = station.key.signing_key().verifying_key();
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path)?;
        let Ok(cp) = serde_json::from_str::<Checkpoint>(&text) else {
            problems.push(format!("checkpoint {} is unreadable", path.display()));
            continue;
        };
        checked += 1;
        let signed = Checkpoint::signed_text(&cp.station, cp.seq, &cp.head_hash, &cp.at);
        let valid = hex::decode(&cp.signature)
            .ok()
            .and_then(|s| Signature::from_slice(&s).ok())
            .zip(
                hex::decode(&cp.public_key)
                    .ok()
                    .and_then(|k| k.try_into().ok())
                    .and_then(|k: [u8; 32]| VerifyingKey::from_bytes(&k).ok()),
            )
            .is_some_and(|(sig, key)| key == ours && key.verify(signed.as_bytes(), &sig).is_ok());
        if !valid {
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
