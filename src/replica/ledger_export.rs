//! The ledger in the bucket: its events as immutable segment objects, each a contiguous run of
//! events as JSON lines (the format is `camdock_record::segment`: every column of `events`, so the
//! chain can be recomputed from the bucket alone, docs/LEDGER.md), plus the signed checkpoints.
//! Segments never overlap: each pass exports the events after the last segment, so the bucket
//! holds the chain once, in order.

use super::s3::{Bucket, Lock, S3Error, b64_sha256};
use crate::custody::checkpoint;
use crate::ledger::chain::{SELECT_EVENTS, stored_event};
use crate::station::Station;
use crate::time::stamp;
use camdock_record::segment::{self, SEGMENT_EVENTS, checkpoints_prefix, segment_key};
use chrono::Utc;
use rusqlite::params;
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Exported {
    pub segments: usize,
    pub checkpoints: usize,
    pub last_seq: i64,
}

/// Uploads the events not yet in the bucket, then the checkpoints not yet there.
pub async fn export(
    station: &Station,
    bucket: &Bucket,
    lock: Option<Lock>,
) -> Result<Exported, S3Error> {
    let db = |e: rusqlite::Error| S3Error::Local(format!("ledger: {e}"));
    let mut out = Exported::default();
    loop {
        let (after, lines) = {
            let ledger = station.ledger();
            let after: i64 = ledger
                .conn()
                .query_row(
                    "SELECT coalesce(max(last_seq), 0) FROM replica_objects",
                    [],
                    |r| r.get(0),
                )
                .map_err(db)?;
            let mut stmt = ledger
                .conn()
                .prepare(&format!(
                    "{SELECT_EVENTS} WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(db)?;
            let lines = stmt
                .query_map(params![after, SEGMENT_EVENTS], stored_event)
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(db)?;
            (after, lines)
        };
        out.last_seq = after;
        let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
            break;
        };
        let key = segment_key(station.actor(), first.seq, last.seq);
        let body = segment::encode(&lines);
        let last_seq = last.seq;
        put_once(bucket, &key, body, lock).await?;
        record(station, &key, Some(last_seq))?;
        out.segments += 1;
        out.last_seq = last_seq;
    }

    let dir = station.data_dir.join(checkpoint::DIR);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let key = format!("{}{name}", checkpoints_prefix(station.actor()));
        let known: bool = station
            .ledger()
            .conn()
            .query_row(
                "SELECT count(*) FROM replica_objects WHERE key = ?1",
                [&key],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(db)?;
        if known {
            continue;
        }
        let body = std::fs::read(&path)
            .map_err(|e| S3Error::Local(format!("cannot read {}: {e}", path.display())))?;
        put_once(bucket, &key, body, lock).await?;
        record(station, &key, None)?;
        out.checkpoints += 1;
    }
    Ok(out)
}

/// Uploads unless the same bytes are already there (a pass that died before recording its
/// upload): a second version of the same object would be a duplicate.
async fn put_once(
    bucket: &Bucket,
    key: &str,
    body: Vec<u8>,
    lock: Option<Lock>,
) -> Result<(), S3Error> {
    if let Some(h) = bucket.head(key, None).await? {
        if h.checksum_sha256.as_deref() == Some(b64_sha256(&body).as_str()) {
            return Ok(());
        }
        return Err(S3Error::Refused(format!(
            "{key} is already in the bucket with other content"
        )));
    }
    bucket.put_bytes(key, body, lock).await.map(|_| ())
}

fn record(station: &Station, key: &str, last_seq: Option<i64>) -> Result<(), S3Error> {
    station
        .ledger()
        .conn()
        .execute(
            "INSERT OR REPLACE INTO replica_objects(key, last_seq, uploaded_at) VALUES (?1, ?2, ?3)",
            params![key, last_seq, stamp(Utc::now())],
        )
        .map(|_| ())
        .map_err(|e| S3Error::Local(format!("ledger: {e}")))
}
