//! The bucket keeps what the station keeps. A replica is uploaded with a COMPLIANCE retention as
//! long as its retention class (ordinary or important); a clip the station keeps beyond that, in a
//! case or under a hold, carries an Object Lock legal hold on its replica for exactly as long, so
//! the bucket can never expire a copy of evidence the station still keeps. Each pass sets or
//! clears the legal holds whose state differs from what the station keeps, and records each change
//! as a `replica-hold-changed` event.

use super::s3::{Bucket, S3Error};
use crate::custody::retention::{HELD_SQL, IN_A_CASE_SQL};
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::ReplicaHoldChangedDetail;

/// A replica whose legal hold must change.
struct Change {
    sha256: String,
    key: String,
    version_id: Option<String>,
    on: bool,
}

/// Brings every replica's legal hold in line with the station's cases and holds; returns how many
/// changed.
pub async fn mirror(station: &Station, bucket: &Bucket) -> Result<usize, S3Error> {
    let db = |e: rusqlite::Error| S3Error::Local(format!("ledger: {e}"));
    let changes: Vec<Change> = {
        let ledger = station.ledger();
        let mut stmt = ledger
            .conn()
            .prepare(&format!(
                "SELECT sha256, key, version_id, keep FROM (
                   SELECT c.sha256, json_extract(e.detail_json, '$.key') AS key,
                          json_extract(e.detail_json, '$.version_id') AS version_id,
                          ({IN_A_CASE_SQL} OR {HELD_SQL}) AS keep,
                          coalesce(l.on_hold, 0) AS on_hold
                   FROM clips c
                   JOIN replication_queue q ON q.sha256 = c.sha256 AND q.done_seq IS NOT NULL
                   JOIN events e ON e.seq = q.done_seq
                   LEFT JOIN replica_legal_holds l ON l.sha256 = c.sha256
                   WHERE c.purged_seq IS NULL)
                 WHERE keep != on_hold AND key IS NOT NULL
                 ORDER BY sha256"
            ))
            .map_err(db)?;
        stmt.query_map([], |r| {
            Ok(Change {
                sha256: r.get(0)?,
                key: r.get(1)?,
                version_id: r.get(2)?,
                on: r.get(3)?,
            })
        })
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?
    };
    for change in &changes {
        bucket
            .set_legal_hold(&change.key, change.version_id.as_deref(), change.on)
            .await?;
        station
            .ledger()
            .write(|w| {
                let seq = w.append(
                    NewEvent::new(EventKind::ReplicaHoldChanged, station.actor())
                        .clip(&change.sha256)
                        .typed(&ReplicaHoldChangedDetail {
                            bucket: bucket.name.clone(),
                            key: change.key.clone(),
                            version_id: change.version_id.clone(),
                            legal_hold: change.on,
                        }),
                )?;
                w.tx().execute(
                    "INSERT INTO replica_legal_holds(sha256, on_hold, changed_seq) VALUES (?1, ?2, ?3)
                     ON CONFLICT(sha256) DO UPDATE SET on_hold = ?2, changed_seq = ?3",
                    rusqlite::params![change.sha256, change.on, seq],
                )?;
                Ok(())
            })
            .map_err(|e| S3Error::Local(format!("ledger: {e}")))?;
    }
    Ok(changes.len())
}
