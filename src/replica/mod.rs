//! Replication to S3-compatible object storage with Object Lock (MinIO, Ceph RGW, AWS S3).
//!
//! A pass uploads the clips the queue says are due, each under its content address with its
//! SHA-256 for the server to check and a COMPLIANCE retention, records each confirmed copy as a
//! `clip-replicated` event, then exports the ledger (segments and signed checkpoints). The station
//! never waits on the bucket: a pass that cannot reach it leaves everything queued.

pub mod holds;
pub mod ledger_export;
pub mod queue;
pub mod returns;
pub mod s3;
pub mod verify;

use crate::custody::checkpoint;
use crate::custody::retention::RetentionClass;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::{parse_stamp, stamp};
use crate::usage;
use camdock_record::detail::ClipReplicatedDetail;
use chrono::{DateTime, Utc};
use s3::{Bucket, Lock, S3Error};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

#[derive(Clone, Debug, Default, Serialize)]
pub struct PassReport {
    pub ok: bool,
    pub object_lock: bool,
    /// Clips confirmed in the bucket in this pass.
    pub replicated: Vec<String>,
    /// Of those, the ones the bucket already held (from a pass that died before recording them).
    pub already_present: usize,
    /// Clips that failed in this pass and their errors (retried after a backoff).
    pub failed: Vec<(String, String)>,
    pub ledger: Option<ledger_export::Exported>,
    /// Replicas whose legal hold was set or cleared to follow the station's holds and cases.
    pub legal_holds_changed: usize,
    /// The endpoint failed: the pass stopped there.
    pub endpoint_error: Option<String>,
    /// The circuit breaker is open: the pass did not call the endpoint.
    pub breaker_open_until: Option<String>,
    /// Clips not yet confirmed in the bucket.
    pub backlog: i64,
    /// The hub's statement of cameras returned elsewhere, where `[hub] public_key` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns: Option<returns::ReturnsRead>,
}

/// The object key of a clip: its content address, as in the local store.
pub fn clip_key(store_path: &str) -> String {
    format!("clips/{}", store_path.trim_start_matches("store/"))
}

/// Clips stored and not yet confirmed in the replica.
pub fn backlog(station: &Station) -> anyhow::Result<i64> {
    Ok(queue::backlog(station.ledger().conn())?)
}

/// How the off-station copy is doing, for `/metrics` and the dashboard: someone must see that it
/// falls behind.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Health {
    pub enabled: bool,
    /// Clips not yet confirmed in the bucket.
    pub backlog: i64,
    /// Clips whose last attempt failed: (clip, attempts, error).
    pub failing: Vec<(String, i64, String)>,
    /// Passes in a row that could not reach the endpoint (the breaker opens at
    /// `replica.breaker_failures` and this count restarts).
    pub endpoint_failures: i64,
    /// The endpoint kept failing: passes stay away from it until then.
    pub breaker_open_until: Option<String>,
    /// When the newest copy was confirmed.
    pub last_replicated_at: Option<String>,
}

pub fn health(station: &Station, now: DateTime<Utc>) -> anyhow::Result<Health> {
    use rusqlite::OptionalExtension;
    let ledger = station.ledger();
    let conn = ledger.conn();
    Ok(Health {
        enabled: station.config.replica.enabled,
        backlog: queue::backlog(conn)?,
        failing: queue::failing(conn)?,
        breaker_open_until: queue::breaker_open_until(conn, now)?.map(stamp),
        endpoint_failures: conn
            .query_row(
                "SELECT failures FROM replica_breaker WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0),
        last_replicated_at: conn
            .query_row(
                "SELECT at FROM events WHERE kind = 'clip-replicated' ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?,
    })
}

/// Runs async S3 work from sync code (commands, the daemon's blocking chores) on a runtime of
/// its own, on a thread of its own, so it works whether or not the caller is inside tokio.
pub fn block_on<T: Send, F: std::future::Future<Output = T>>(make: impl FnOnce() -> F + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime starts")
                .block_on(make())
        })
        .join()
        .expect("the replication thread does not panic")
    })
}

/// One replication pass.
pub fn pass(station: &Station, now: DateTime<Utc>) -> anyhow::Result<PassReport> {
    block_on(|| pass_async(station, now))
}

async fn pass_async(station: &Station, now: DateTime<Utc>) -> anyhow::Result<PassReport> {
    let cfg = &station.config.replica;
    if !cfg.enabled {
        return Err(usage!(
            "replication is off: set replica.enabled = true and replica.bucket in the config"
        ));
    }
    let mut report = PassReport::default();
    {
        let ledger = station.ledger();
        queue::enqueue_new(ledger.conn())?;
        if let Some(until) = queue::breaker_open_until(ledger.conn(), now)? {
            report.breaker_open_until = Some(stamp(until));
            report.backlog = queue::backlog(ledger.conn())?;
            return Ok(report);
        }
    }
    let bucket = Bucket::connect(cfg).await;
    report.object_lock = match bucket.object_lock_enabled().await {
        Ok(locked) => locked,
        Err(S3Error::Refused(e)) => return Err(usage!("replica bucket {}: {e}", cfg.bucket)),
        Err(e) => return endpoint_down(station, report, &e, now),
    };
    if !report.object_lock && !cfg.allow_without_object_lock {
        return Err(usage!(
            "bucket {} has no Object Lock, so its copies could be deleted or overwritten; create it with Object Lock enabled, or set replica.allow_without_object_lock = true",
            cfg.bucket
        ));
    }
    queue::endpoint_ok(station.ledger().conn())?;

    let policy = &station.config.policy;
    let retention = chrono::Duration::from_std(policy.retention)?;
    let due = queue::due(station.ledger().conn(), now)?;
    for clip in due {
        let stored_at = parse_stamp(&clip.stored_at).unwrap_or(now);
        // Retained as long as the station must keep the clip by its class; a clip later put in a
        // case is kept by a legal hold instead (holds.rs). Never a retain-until already past.
        let period = RetentionClass::of(false, clip.important)
            .period(policy)?
            .unwrap_or(retention);
        let retain_until = (stored_at + period).max(now + chrono::Duration::days(1));
        let lock = report.object_lock.then_some(Lock { retain_until });
        match replicate_clip(station, &bucket, &clip, lock).await {
            Ok(present) => {
                report.replicated.push(clip.sha256.clone());
                report.already_present += usize::from(present);
            }
            Err(e) => {
                queue::mark_failed(
                    station.ledger().conn(),
                    cfg,
                    &clip.sha256,
                    &e.to_string(),
                    now,
                )?;
                if e.is_endpoint() {
                    return endpoint_down(station, report, &e, now);
                }
                report.failed.push((clip.sha256.clone(), e.to_string()));
            }
        }
    }

    if report.object_lock {
        match holds::mirror(station, &bucket).await {
            Ok(changed) => report.legal_holds_changed = changed,
            Err(e) if e.is_endpoint() => return endpoint_down(station, report, &e, now),
            Err(e) => report.failed.push(("legal holds".into(), e.to_string())),
        }
    }

    // The hub's statement of cameras returned at other stations, read before the ledger goes
    // out so the hub sees the episodes it closed in this pass.
    if !station.config.hub.public_key.trim().is_empty() {
        match returns::read(station, &bucket, now).await {
            Ok(read) => report.returns = Some(read),
            Err(e) if e.is_endpoint() => return endpoint_down(station, report, &e, now),
            Err(e) => report.failed.push(("hub statement".into(), e.to_string())),
        }
    }

    checkpoint::write_if_new(station)?;
    let ledger_lock = report.object_lock.then_some(Lock {
        retain_until: now + retention,
    });
    match ledger_export::export(station, &bucket, ledger_lock).await {
        Ok(done) => report.ledger = Some(done),
        Err(e) if e.is_endpoint() => return endpoint_down(station, report, &e, now),
        Err(e) => report.failed.push(("ledger".into(), e.to_string())),
    }
    report.backlog = queue::backlog(station.ledger().conn())?;
    report.ok = report.failed.is_empty();
    Ok(report)
}

/// The endpoint failed: count it for the breaker and end the pass, everything still queued.
fn endpoint_down(
    station: &Station,
    mut report: PassReport,
    e: &S3Error,
    now: DateTime<Utc>,
) -> anyhow::Result<PassReport> {
    let ledger = station.ledger();
    if let Some(until) = queue::endpoint_failed(ledger.conn(), &station.config.replica, now)? {
        report.breaker_open_until = Some(stamp(until));
    }
    report.endpoint_error = Some(e.to_string());
    report.backlog = queue::backlog(ledger.conn())?;
    report.ok = false;
    Ok(report)
}

/// Uploads one clip (unless the bucket already holds exactly it) and records the confirmed copy.
/// Returns whether it was already there.
async fn replicate_clip(
    station: &Station,
    bucket: &Bucket,
    clip: &queue::Due,
    lock: Option<Lock>,
) -> Result<bool, S3Error> {
    let key = clip_key(&clip.store_path);
    let path = station.store.locate(&clip.store_path);
    let single = s3::b64_of_hex(&clip.sha256)
        .ok_or_else(|| S3Error::Local(format!("'{}' is not a SHA-256", clip.sha256)))?;
    let existing = bucket.head(&key, None).await?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    // Already there (a pass that died after its upload): the record states what the bucket
    // actually holds, retention included, rather than what this pass would have asked for.
    let (uploaded, present, lock_mode, retain_until) = match existing {
        Some(h)
            if h.checksum_sha256.as_deref().is_some_and(|c| {
                c == single || composite_of(&path, part_size(station)).is_ok_and(|mine| mine == c)
            }) =>
        {
            let parts = h
                .checksum_sha256
                .as_deref()
                .and_then(|c| c.split_once('-'))
                .and_then(|(_, n)| n.parse().ok());
            (
                s3::Uploaded {
                    version_id: h.version_id,
                    checksum_sha256: h.checksum_sha256.unwrap_or_default(),
                    parts,
                },
                true,
                h.lock_mode,
                h.retain_until,
            )
        }
        _ => (
            bucket.put_file(&key, &path, &clip.sha256, lock).await?,
            false,
            lock.map(|_| "COMPLIANCE".to_string()),
            lock.map(|l| stamp(l.retain_until)),
        ),
    };
    let detail = ClipReplicatedDetail {
        part_size: uploaded.parts.map(|_| part_size(station)),
        parts: uploaded.parts.map(|p| p as u64),
        bucket: bucket.name.clone(),
        key: key.clone(),
        version_id: uploaded.version_id,
        checksum_sha256: uploaded.checksum_sha256,
        bytes,
        object_lock: lock_mode,
        retain_until,
        already_present: present,
    };
    let sha = clip.sha256.clone();
    station
        .ledger()
        .write(|w| {
            let seq = w.append(
                NewEvent::new(EventKind::ClipReplicated, station.actor())
                    .clip(&sha)
                    .typed(&detail),
            )?;
            queue::mark_done(w.tx(), &sha, seq)?;
            Ok(())
        })
        .map_err(|e| S3Error::Local(format!("ledger: {e}")))?;
    Ok(present)
}

fn part_size(station: &Station) -> u64 {
    station.config.replica.part_size_mb * 1024 * 1024
}

/// The S3 composite checksum a multipart upload of `path` in `part_size` parts gets:
/// base64(SHA-256 of the parts' SHA-256s) + "-" + the number of parts.
pub fn composite_of(path: &Path, part_size: u64) -> std::io::Result<String> {
    composite_and_sha256_of(path, part_size).map(|(composite, _)| composite)
}

/// The composite checksum of `path` in `part_size` parts, and its whole SHA-256 (hex), in one read.
pub fn composite_and_sha256_of(path: &Path, part_size: u64) -> std::io::Result<(String, String)> {
    use base64::Engine;
    let mut file = std::fs::File::open(path)?;
    let (mut outer, mut whole) = (Sha256::new(), Sha256::new());
    let mut parts = 0;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let mut part = Sha256::new();
        let mut n = 0u64;
        while n < part_size {
            let want = buf.len().min((part_size - n) as usize);
            let got = file.read(&mut buf[..want])?;
            if got == 0 {
                break;
            }
            part.update(&buf[..got]);
            whole.update(&buf[..got]);
            n += got as u64;
        }
        if n == 0 && parts > 0 {
            break;
        }
        outer.update(part.finalize());
        parts += 1;
        if n < part_size {
            break;
        }
    }
    Ok((
        format!(
            "{}-{parts}",
            base64::engine::general_purpose::STANDARD.encode(outer.finalize())
        ),
        hex::encode(whole.finalize()),
    ))
}
