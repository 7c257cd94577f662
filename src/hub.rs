//! The bureau's hub, driven from here: the bucket read with the replica's S3 client, each
//! enrolled station's new objects followed (`camdock_hub::follow`) and loaded into the PostgreSQL
//! projection (`camdock_hub::projection`). The bucket is the system of record: besides what the
//! stations write, the hub keeps there only its enrolments, so `rebuild` knows whom to follow.

use crate::replica::s3::{Bucket, Version};
use anyhow::Context;
use camdock_hub::{Alarm, Enrolled, Object, Projection, Segments, follow};
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
    /// Object versions settled (read, and nothing in them left waiting).
    pub objects: usize,
    /// Events loaded.
    pub events: usize,
    pub head: i64,
    /// Raised by this pass (an alarm already on record is not raised again).
    pub alarms: Vec<Alarm>,
    /// Why the pass over this station could not be made (the other stations' passes go on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// One pass over every enrolled station (one that fails is reported, the others go on); a
/// station whose newest event is older than `silent_before` (an instant as the ledger writes
/// them) is silent.
pub async fn sync(
    bucket: &Bucket,
    hub: &mut Projection,
    silent_before: &str,
) -> anyhow::Result<Vec<Pass>> {
    let mut passes = Vec::new();
    for station in hub.stations().await? {
        let mut pass = match sync_station(bucket, hub, &station).await {
            Ok(pass) => pass,
            Err(e) => Pass {
                station: station.station.clone(),
                failed: Some(format!("{e:#}")),
                ..Pass::default()
            },
        };
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

/// Reads every version of `station`'s segments and checkpoints not settled before, follows them
/// from the head the hub holds (`camdock_hub::follow`: only what a signed checkpoint vouches for
/// loads) and loads the pass in one transaction.
async fn sync_station(
    bucket: &Bucket,
    hub: &mut Projection,
    station: &Enrolled,
) -> anyhow::Result<Pass> {
    let name = station.station.as_str();
    let head = hub.head(name).await?;
    let seen = hub.versions_read(name).await?;
    let fresh = |listed: Vec<Version>| -> Vec<Version> {
        listed
            .into_iter()
            .filter(|v| !seen.contains(&(v.key.clone(), v.version_id.clone())))
            .collect()
    };
    let read = |versions: Vec<Version>| async move {
        let mut objects = Vec::with_capacity(versions.len());
        for v in &versions {
            objects.push(Object {
                key: v.key.clone(),
                body: bucket.get_version(&v.key, &v.version_id).await?,
            });
        }
        anyhow::Ok((versions, objects))
    };
    let (segment_versions, segment_objects) =
        read(fresh(bucket.list_versions(&segments_prefix(name)).await?)).await?;
    let (checkpoint_versions, checkpoint_objects) = read(fresh(
        bucket.list_versions(&checkpoints_prefix(name)).await?,
    ))
    .await?;
    let segments = Segments::read(name, &segment_objects);
    // The hub's hashes of every seq at or below its head that the objects repeat (read from
    // their content, not their names).
    let lowest = segments
        .lowest()
        .into_iter()
        .chain(
            checkpoint_objects
                .iter()
                .filter_map(|o| serde_json::from_slice::<Checkpoint>(&o.body).ok())
                .map(|c| c.seq),
        )
        .min()
        .unwrap_or(i64::MAX);
    let held = if lowest <= head.seq {
        hub.hashes_between(name, lowest, head.seq).await?
    } else {
        HashMap::new()
    };
    let followed = follow(station, &head, &held, &segments, &checkpoint_objects);
    let settled: Vec<(String, String)> = followed
        .settled_segments
        .iter()
        .map(|i| &segment_versions[*i])
        .chain(
            followed
                .settled_checkpoints
                .iter()
                .map(|i| &checkpoint_versions[*i]),
        )
        .map(|v| (v.key.clone(), v.version_id.clone()))
        .collect();
    hub.load(name, &head, &followed, &settled).await?;
    Ok(Pass {
        station: name.into(),
        objects: settled.len(),
        events: followed.events.len(),
        head: followed.head.seq,
        alarms: followed.alarms,
        failed: None,
    })
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
