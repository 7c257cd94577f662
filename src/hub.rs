//! The bureau's hub, driven from here: the bucket read with the replica's S3 client, each
//! enrolled station's new objects followed (`camdock_hub::follow`) and loaded into the PostgreSQL
//! projection (`camdock_hub::projection`). The bucket is the system of record: besides what the
//! stations write, the hub keeps there only its enrolments, so `rebuild` knows whom to follow.

use crate::replica::s3::{Bucket, Version};
use anyhow::Context;
use camdock_hub::{
    Alarm, CheckpointFinding, Enrolled, Object, Projection, check_checkpoint, follow_segments,
};
use camdock_record::checkpoint::Checkpoint;
use camdock_record::segment::{checkpoints_prefix, segments_prefix};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where the hub keeps its enrolments in the bucket.
pub const ENROLMENTS: &str = "hub/stations/";

/// A station enrolled: as the hub writes it to the bucket and reads it back to rebuild.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Enrolment {
    pub station: String,
    pub unit: String,
    pub public_key: String,
}

/// Enrols `e` in the projection (a station already enrolled with another key is refused), then
/// writes the enrolment to the bucket.
pub async fn enrol(bucket: &Bucket, hub: &Projection, e: &Enrolment) -> anyhow::Result<()> {
    hub.enrol(&e.station, &e.unit, &e.public_key).await?;
    let body = serde_json::to_vec_pretty(e)?;
    bucket
        .put_bytes(&format!("{ENROLMENTS}{}.json", e.station), body, None)
        .await
        .with_context(|| {
            format!(
                "station {} is enrolled in the hub's database, but its enrolment could not be written to the bucket (enrol it again)",
                e.station
            )
        })?;
    Ok(())
}

/// What one pass over a station did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Pass {
    pub station: String,
    /// Object versions read (new since the last pass).
    pub objects: usize,
    /// Events loaded.
    pub events: usize,
    pub head: i64,
    /// Raised by this pass (an alarm already on record is not raised again).
    pub alarms: Vec<Alarm>,
}

/// One pass over every enrolled station; a station whose newest event is older than
/// `silent_before` (an instant as the ledger writes them) is silent.
pub async fn sync(
    bucket: &Bucket,
    hub: &mut Projection,
    silent_before: &str,
) -> anyhow::Result<Vec<Pass>> {
    let mut passes = Vec::new();
    for station in hub.stations().await? {
        let mut pass = sync_station(bucket, hub, &station).await?;
        if let Some(since) = hub.last_event_at(&station.station).await?
            && since.as_str() < silent_before
        {
            let silent = Alarm::Silent { since };
            if hub.raise(&station.station, &silent).await? {
                pass.alarms.push(silent);
            }
        }
        passes.push(pass);
    }
    Ok(passes)
}

/// Reads what is new of `station` in the bucket (every version not read before: a version that
/// replaced one already read is compared with it, never loaded in its place), follows it from the
/// head the hub holds and loads it in one transaction. A checkpoint whose event has not arrived
/// yet is read again next pass.
async fn sync_station(
    bucket: &Bucket,
    hub: &mut Projection,
    station: &Enrolled,
) -> anyhow::Result<Pass> {
    let name = station.station.as_str();
    let head = hub.head(name).await?;
    let seen = hub.objects(name).await?;
    let fresh = |listed: Vec<Version>| -> Vec<Version> {
        listed
            .into_iter()
            .filter(|v| !seen.contains(&(v.key.clone(), v.version_id.clone())))
            .collect()
    };
    let segments = fresh(bucket.list_versions(&segments_prefix(name)).await?);
    let mut objects = Vec::with_capacity(segments.len());
    for v in &segments {
        objects.push(Object {
            key: v.key.clone(),
            body: bucket.get_version(&v.key, &v.version_id).await?,
        });
    }
    // The hashes the hub holds for the seqs these objects repeat (a replaced or repeated segment).
    let lowest = segments
        .iter()
        .filter_map(|v| first_seq(&v.key))
        .min()
        .unwrap_or(i64::MAX);
    let held = if lowest <= head.seq {
        hub.hashes(name, lowest, head.seq).await?
    } else {
        HashMap::new()
    };
    let followed = follow_segments(&head, &held, &objects);
    let mut read: Vec<(String, String)> = segments
        .into_iter()
        .map(|v| (v.key, v.version_id))
        .collect();
    let mut alarms = Vec::new();
    let loaded: HashMap<i64, &str> = followed
        .events
        .iter()
        .map(|e| (e.seq, e.hash.as_str()))
        .collect();
    for v in fresh(bucket.list_versions(&checkpoints_prefix(name)).await?) {
        let body = bucket.get_version(&v.key, &v.version_id).await?;
        let hash = match serde_json::from_slice::<Checkpoint>(&body).map(|c| c.seq) {
            Ok(seq) => match loaded.get(&seq) {
                Some(h) => Some(h.to_string()),
                None => hub.event(name, seq).await?.map(|e| e.hash),
            },
            Err(_) => None,
        };
        let object = Object {
            key: v.key.clone(),
            body,
        };
        match check_checkpoint(station, &object, |_| hash) {
            CheckpointFinding::NotYet => continue,
            CheckpointFinding::Holds => {}
            CheckpointFinding::Alarm(a) => alarms.push(a),
        }
        read.push((v.key, v.version_id));
    }
    hub.load(name, &head, &followed, &alarms, &read).await?;
    let mut raised = followed.alarms;
    raised.extend(alarms);
    Ok(Pass {
        station: name.into(),
        objects: read.len(),
        events: followed.events.len(),
        head: followed.head.seq,
        alarms: raised,
    })
}

/// The first seq a segment key names (`…/000000000001-000000000042.jsonl`).
fn first_seq(key: &str) -> Option<i64> {
    key.rsplit('/').next()?.split('-').next()?.parse().ok()
}

/// Empties the projection and makes it again from the bucket alone: the enrolments the hub wrote
/// there, then every station's objects.
pub async fn rebuild(
    bucket: &Bucket,
    hub: &mut Projection,
    silent_before: &str,
) -> anyhow::Result<Vec<Pass>> {
    hub.clear().await?;
    for key in bucket.list(ENROLMENTS).await? {
        let e: Enrolment = serde_json::from_slice(&bucket.get(&key).await?)
            .with_context(|| format!("{key} is not an enrolment"))?;
        hub.enrol(&e.station, &e.unit, &e.public_key).await?;
    }
    sync(bucket, hub, silent_before).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_segment_key_names_its_first_event() {
        assert_eq!(
            super::first_seq(&camdock_record::segment::segment_key("a/b", 42, 99)),
            Some(42)
        );
    }
}
