//! `verify --replica`: the station's custody trail checked from the bucket alone. The ledger
//! segments are replayed and every hash recomputed, the checkpoints' signatures and the heads they
//! vouch for are checked, and every clip the replicated ledger says was replicated must be in the
//! bucket, at the recorded version, with the recorded checksum and its retention.

use super::s3::{Bucket, S3Error, b64_of_hex};
use crate::station::Station;
use crate::time::parse_stamp;
use camdock_record::segment::{self, checkpoints_prefix, segments_prefix};
use camdock_record::{Chain, Checkpoint, StoredEvent};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplicaReport {
    pub ok: bool,
    pub bucket: String,
    pub segments: usize,
    pub events: i64,
    pub chain_ok: bool,
    pub checkpoints: usize,
    pub clips_checked: usize,
    /// Clips the replicated ledger shows stored but not (yet) replicated.
    pub not_yet_replicated: usize,
    pub problems: Vec<String>,
}

pub fn verify(station: &Station) -> anyhow::Result<ReplicaReport> {
    super::block_on(|| verify_async(station))
}

async fn verify_async(station: &Station) -> anyhow::Result<ReplicaReport> {
    let bucket = Bucket::connect(&station.config.replica).await;
    let fail = |e: S3Error| anyhow::anyhow!("replica bucket {}: {e}", bucket.name);
    let mut r = ReplicaReport {
        bucket: bucket.name.clone(),
        chain_ok: true,
        ..Default::default()
    };

    // The chain, replayed from the segments in order.
    let mut hashes: BTreeMap<i64, String> = BTreeMap::new();
    let mut events: Vec<StoredEvent> = Vec::new();
    let mut chain = Chain::default();
    for key in bucket
        .list(&segments_prefix(station.actor()))
        .await
        .map_err(fail)?
    {
        r.segments += 1;
        let body = bucket.get(&key).await.map_err(fail)?;
        for line in segment::decode(&body) {
            let Ok(e) = line else {
                r.problems
                    .push(format!("segment {key} holds a line that is not an event"));
                r.chain_ok = false;
                continue;
            };
            if let Some(broken) = chain.push(&e)
                && r.chain_ok
            {
                r.chain_ok = false;
                r.problems.push(format!("{broken} (in {key})"));
            }
            hashes.insert(e.seq, e.hash.clone());
            r.events += 1;
            events.push(e);
        }
    }
    let head_seq = chain.head_seq;
    if r.segments == 0 {
        r.problems
            .push("the bucket holds no ledger segments for this station".into());
    }

    // The replica against this station's own ledger, event by event: the bucket's copy is out of
    // the station's reach (Object Lock), so where they differ the station's ledger was rewritten,
    // and events the bucket holds beyond it were cut off.
    if head_seq > 0 {
        let ledger = station.ledger();
        let mut stmt = ledger
            .conn()
            .prepare("SELECT seq, kind, hash FROM events WHERE seq <= ?1 ORDER BY seq")?;
        let mut rows = stmt.query([head_seq])?;
        let mut local_head = 0i64;
        while let Some(row) = rows.next()? {
            let (seq, kind, hash): (i64, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
            local_head = seq;
            if hashes.get(&seq).is_some_and(|h| *h != hash) {
                r.problems.push(format!(
                    "event {seq} ({kind}) in the station's ledger differs from its witnessed copy in the bucket: the ledger was rewritten from there"
                ));
                break;
            }
        }
        if local_head < head_seq {
            r.problems.push(format!(
                "the bucket holds events up to {head_seq}, the station's ledger only up to {local_head}: events {}..{head_seq} were cut off the station's ledger",
                local_head + 1
            ));
        }
    }

    // Checkpoints: signed, all by one key (this station's), vouching for heads the replica holds.
    let ours = station.key.signing_key().verifying_key();
    for key in bucket
        .list(&checkpoints_prefix(station.actor()))
        .await
        .map_err(fail)?
    {
        r.checkpoints += 1;
        let body = bucket.get(&key).await.map_err(fail)?;
        let Ok(cp) = serde_json::from_slice::<Checkpoint>(&body) else {
            r.problems.push(format!("checkpoint {key} is unreadable"));
            continue;
        };
        match cp.signer() {
            Some(k) if k == ours => {}
            Some(_) => r.problems.push(format!(
                "checkpoint {key} is signed by another key than this station's"
            )),
            None => r
                .problems
                .push(format!("checkpoint {key} has no valid signature")),
        }
        match hashes.get(&cp.seq) {
            Some(h) if *h == cp.head_hash => {}
            Some(_) => r.problems.push(format!(
                "event {} in the replica is not the one checkpoint {key} signed",
                cp.seq
            )),
            None => r.problems.push(format!(
                "the replicated ledger ends before event {} that checkpoint {key} vouches for",
                cp.seq
            )),
        }
    }

    // Clips: the newest clip-replicated event of each clip names its object.
    let mut replicated: BTreeMap<String, Value> = BTreeMap::new();
    let mut stored: BTreeSet<String> = BTreeSet::new();
    for e in &events {
        match (e.kind.as_str(), &e.clip_sha256) {
            ("clip-stored", Some(sha)) => {
                stored.insert(sha.clone());
            }
            ("clip-replicated", Some(sha)) => {
                let detail = serde_json::from_str(&e.detail_json).unwrap_or(Value::Null);
                replicated.insert(sha.clone(), detail);
            }
            _ => {}
        }
    }
    r.not_yet_replicated = stored
        .difference(&replicated.keys().cloned().collect())
        .count();
    for (sha, d) in &replicated {
        r.clips_checked += 1;
        let key = d["key"].as_str().unwrap_or_default();
        let version = d["version_id"].as_str();
        let recorded = d["checksum_sha256"].as_str().unwrap_or_default();
        let retention_over = d["retain_until"]
            .as_str()
            .and_then(parse_stamp)
            .is_some_and(|t| t < Utc::now());
        let Some(head) = bucket.head(key, version).await.map_err(fail)? else {
            if !retention_over {
                r.problems.push(format!(
                    "clip {sha} is missing from the bucket ({key}, version {})",
                    version.unwrap_or("-")
                ));
            }
            continue;
        };
        if head.checksum_sha256.as_deref() != Some(recorded) {
            r.problems.push(format!(
                "clip {sha} in the bucket has checksum {:?}, the ledger recorded {recorded}",
                head.checksum_sha256
            ));
        }
        // A single-part object's checksum is the clip's own SHA-256: the bytes are the ledger's.
        if d["parts"].is_null() && b64_of_hex(sha).as_deref() != Some(recorded) {
            r.problems.push(format!(
                "clip {sha} was recorded with checksum {recorded}, which is not its SHA-256"
            ));
        }
        // A multipart object's checksum is over its parts: tie it to the clip's SHA-256 by
        // computing it from the stored clip, whose own SHA-256 is checked in the same read.
        if let Some(part_size) = d["part_size"].as_u64().filter(|_| !d["parts"].is_null()) {
            match multipart_matches(station, sha, part_size, recorded) {
                Ok(None) => {}
                Ok(Some(problem)) => r.problems.push(problem),
                Err(e) => r.problems.push(format!(
                    "clip {sha}: its stored copy could not be read to check the bucket's multipart object: {e}"
                )),
            }
        }
        if d["object_lock"].as_str() == Some("COMPLIANCE")
            && head.lock_mode.as_deref() != Some("COMPLIANCE")
        {
            r.problems.push(format!(
                "clip {sha} in the bucket has lost its COMPLIANCE retention"
            ));
        }
    }
    r.ok = r.problems.is_empty();
    Ok(r)
}

/// Whether the bucket's multipart checksum `recorded` is that of the clip's bytes: computed from
/// the stored clip with the same part size, the stored clip's SHA-256 checked in the same read.
fn multipart_matches(
    station: &Station,
    sha: &str,
    part_size: u64,
    recorded: &str,
) -> anyhow::Result<Option<String>> {
    let store_path: String = station.ledger().conn().query_row(
        "SELECT store_path FROM clips WHERE sha256 = ?1",
        [sha],
        |r| r.get(0),
    )?;
    let (composite, whole) =
        super::composite_and_sha256_of(&station.store.locate(&store_path), part_size)?;
    Ok(if whole != sha {
        Some(format!(
            "clip {sha}: the station's stored copy no longer hashes to it, so its multipart object cannot be vouched for (run `camdock verify`)"
        ))
    } else if composite != recorded {
        Some(format!(
            "clip {sha}: the bucket's multipart object has checksum {recorded}, but the clip's bytes in parts of {part_size} give {composite}: the object is not the clip"
        ))
    } else {
        None
    })
}
