//! The bureau's hub, driven from here: the bucket read with the replica's S3 client, each
//! enrolled station's new objects followed (`camdock_hub::follow`) and loaded into the PostgreSQL
//! projection (`camdock_hub::projection`). The bucket is the system of record: besides what the
//! stations write, the hub keeps there only its signed enrolments, so `rebuild` knows whom to
//! follow, and its signed statements of returns elsewhere to each station.

mod objects;

use crate::replica::s3::{Bucket, Version};
use crate::time::stamp_before;
use anyhow::Context;
use camdock_hub::{
    Alarm, AuditFinding, ENROLMENTS, Enrolled, Enrolment, Listed, Object, Projection, Segments,
    cursor, follow,
};
use camdock_record::checkpoint::Checkpoint;
use camdock_record::returns::{ReturnsBody, ReturnsStatement, STATEMENTS, statement_key};
use camdock_record::segment::{checkpoints_prefix, segments_prefix};
use ed25519_dalek::SigningKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Enrols `station` of `unit` with its checkpoint key in the projection (a station already
/// enrolled with another key is refused), then writes the enrolment, signed with the hub's key,
/// to the bucket.
pub async fn enrol(
    bucket: &Bucket,
    hub: &Projection,
    key: &SigningKey,
    station: &str,
    unit: &str,
    public_key: &str,
) -> anyhow::Result<Enrolment> {
    let enrolled = hub.enrol(station, unit, public_key).await?;
    let e = Enrolment::sign(key, station, unit, &hex::encode(enrolled.key.to_bytes()));
    bucket
        .put_bytes(&e.key(), serde_json::to_vec_pretty(&e)?, None)
        .await
        .with_context(|| {
            format!(
                "station {station} is enrolled in the hub's database, but its enrolment could not be written to the bucket (enrol it again)"
            )
        })?;
    Ok(e)
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
    /// Whether this pass listed all the station's objects (a sweep: `[hub] sweep_every`), not
    /// only those after its cursor.
    pub swept: bool,
    /// Clips the station stored that it has not replicated yet, as far as the hub has loaded.
    pub backlog: i64,
    /// Replicated clips whose objects this pass looked at in the bucket.
    pub clips_checked: usize,
    /// Cameras in the statement of returns elsewhere published to the station in this pass
    /// (none when it was unchanged and not due again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub returns_published: Option<usize>,
    /// Raised by this pass (an alarm already on record is not raised again).
    pub alarms: Vec<Alarm>,
    /// Why the pass over this station could not be made (the other stations' passes go on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// What a pass judges by, at the instant `now`: how old a station's newest event (or the hub's
/// last load of it: `camdock_hub::Heard`) may be before it is silent, and a clip stored before it
/// is replicated; the hub's key with how often its statements are published again unchanged;
/// how it looks at the clips' objects.
pub struct Rules {
    pub now: chrono::DateTime<chrono::Utc>,
    pub silent_after: std::time::Duration,
    pub replicate_within: std::time::Duration,
    pub key: SigningKey,
    pub statements_every: std::time::Duration,
    /// Each replicated clip's object is looked at once, then again after this; at most
    /// `objects_per_pass` in a pass.
    pub recheck_objects_after: std::time::Duration,
    pub objects_per_pass: u32,
    /// Each station's objects are listed whole at least this often (at a random instant in its
    /// second half); the passes between list only what sorts after its cursor.
    pub sweep_every: std::time::Duration,
    /// This pass lists every station's objects whole (`camdock hub sync --sweep`).
    pub sweep_all: bool,
}

impl Rules {
    /// The hub's rules of `[hub]`, now.
    pub fn new(config: &crate::config::HubConfig, key: SigningKey) -> Rules {
        Rules {
            now: chrono::Utc::now(),
            silent_after: config.silent_after,
            replicate_within: config.replicate_within,
            key,
            statements_every: config.statements_every,
            recheck_objects_after: config.recheck_objects_after,
            objects_per_pass: config.objects_per_pass,
            sweep_every: config.sweep_every,
            sweep_all: false,
        }
    }
}

/// One pass over every enrolled station (one that fails is reported, the others go on): new
/// objects loaded, silence and clips not replicated in time raised; then, with every station
/// loaded, each station's statement of cameras returned elsewhere published when it changed or
/// is due.
pub async fn sync(
    bucket: &Bucket,
    hub: &mut Projection,
    rules: &Rules,
) -> anyhow::Result<Vec<Pass>> {
    let mut passes = load(bucket, hub, rules).await?;
    for pass in &mut passes {
        match publish_returns(bucket, hub, &pass.station, rules).await {
            Ok((published, replaced)) => {
                pass.returns_published = published;
                if let Some(alarm) = replaced
                    && hub.raise(&pass.station, &alarm).await?
                {
                    pass.alarms.push(alarm);
                }
            }
            Err(e) => {
                let why = format!("its statement of returns elsewhere was not published: {e:#}");
                pass.failed = Some(match pass.failed.take() {
                    Some(before) => format!("{before}; {why}"),
                    None => why,
                });
            }
        }
    }
    Ok(passes)
}

/// Loads every enrolled station's new objects and judges silence and replication; publishes
/// nothing.
async fn load(bucket: &Bucket, hub: &mut Projection, rules: &Rules) -> anyhow::Result<Vec<Pass>> {
    let mut passes = Vec::new();
    for station in hub.stations().await? {
        let name = station.station.as_str();
        let mut pass = match sync_station(bucket, hub, &station, rules).await {
            Ok(pass) => pass,
            Err(e) => Pass {
                station: name.into(),
                failed: Some(format!("{e:#}")),
                ..Pass::default()
            },
        };
        let mut raised = Vec::new();
        let heard = hub.heard(name).await?;
        if heard.silent(
            &stamp_before(rules.now, rules.silent_after),
            rules.silent_after,
        ) && let Some(since) = heard.last_event_at
        {
            raised.push(Alarm::Silent { since });
        }
        raised.extend(
            hub.unreplicated(name, &stamp_before(rules.now, rules.replicate_within))
                .await?,
        );
        for alarm in raised {
            if hub.raise(name, &alarm).await? {
                pass.alarms.push(alarm);
            }
        }
        passes.push(pass);
    }
    let failed: Vec<String> = passes
        .iter()
        .filter(|p| p.failed.is_some())
        .map(|p| p.station.clone())
        .collect();
    for (station, alarm) in hub.judge_recorded_returns(&failed).await? {
        if let Some(pass) = passes.iter_mut().find(|p| p.station == station) {
            pass.alarms.push(alarm);
        }
    }
    objects::check(bucket, hub, rules, &mut passes).await?;
    let backlog = hub.backlog().await?;
    for pass in &mut passes {
        pass.backlog = backlog.get(&pass.station).copied().unwrap_or(0);
    }
    Ok(passes)
}

/// Publishes `station`'s statement of cameras returned elsewhere, signed with the hub's key, when
/// its returns changed, the last one is older than `statements_every`, or the bucket's current
/// version is not the one the hub wrote (an alarm: someone wrote over it). The number of returns
/// when it did.
async fn publish_returns(
    bucket: &Bucket,
    hub: &Projection,
    station: &str,
    rules: &Rules,
) -> anyhow::Result<(Option<usize>, Option<Alarm>)> {
    let key = statement_key(station);
    let returns = hub.returns_for(station).await?;
    let sha = hex::encode(Sha256::digest(serde_json::to_vec(&returns)?));
    let current = bucket.head(&key, None).await?.and_then(|h| h.version_id);
    let mut replaced = None;
    let due = match hub.published(station).await? {
        Some(last) => {
            if current != last.version {
                replaced = Some(Alarm::StatementReplaced {
                    key: key.clone(),
                    version: current.clone().unwrap_or_else(|| "none: deleted".into()),
                });
            }
            replaced.is_some()
                || last.body_sha256 != sha
                || last.age_seconds >= rules.statements_every.as_secs_f64()
        }
        None => true,
    };
    if !due {
        return Ok((None, None));
    }
    let count = returns.len();
    let statement = ReturnsStatement::sign(
        &rules.key,
        ReturnsBody {
            station: station.into(),
            issued_at: crate::time::stamp(chrono::Utc::now()),
            returns,
        },
    );
    let written = bucket
        .put_bytes(&key, serde_json::to_vec_pretty(&statement)?, None)
        .await?;
    hub.mark_published(station, &sha, written.version_id.as_deref())
        .await?;
    Ok((Some(count), replaced))
}

/// Lists `station`'s segments and checkpoints after its cursor (everything when a sweep is due:
/// `camdock_hub::cursor`), reads every version not settled before, follows them from the head the
/// hub holds (`camdock_hub::follow`: only what a signed checkpoint vouches for loads) and loads
/// the pass, with the cursor it leaves, in one transaction.
async fn sync_station(
    bucket: &Bucket,
    hub: &mut Projection,
    station: &Enrolled,
    rules: &Rules,
) -> anyhow::Result<Pass> {
    let name = station.station.as_str();
    let (head, cursor) = hub.head_and_cursor(name).await?;
    let swept = rules.sweep_all || cursor.sweep_due();
    let (segments_from, checkpoints_from) = if swept {
        (None, None)
    } else {
        (cursor.segments_after, cursor.checkpoints_after)
    };
    let (segments_listed, mut hidden) = bucket
        .list_versions_and_markers_after(&segments_prefix(name), segments_from.as_deref())
        .await?;
    let (checkpoints_listed, markers) = bucket
        .list_versions_and_markers_after(&checkpoints_prefix(name), checkpoints_from.as_deref())
        .await?;
    hidden.extend(markers);
    let mut keys: Vec<&str> = segments_listed
        .iter()
        .chain(&checkpoints_listed)
        .map(|v| v.key.as_str())
        .collect();
    keys.dedup();
    let seen = hub.versions_read(name, &keys).await?;
    let fresh = |listed: &[Version]| -> Vec<Version> {
        listed
            .iter()
            .filter(|v| !seen.contains(&(v.key.clone(), v.version_id.clone())))
            .cloned()
            .collect()
    };
    // Eight objects fetched at once, kept in listing order: a GET's round trip, not the bytes,
    // is most of a segment's cost.
    let read = |versions: Vec<Version>| async move {
        use futures_util::{StreamExt, TryStreamExt};
        let objects: Vec<Object> = futures_util::stream::iter(&versions)
            .map(|v| async move {
                Ok::<_, crate::replica::s3::S3Error>(Object {
                    key: v.key.clone(),
                    body: bucket.get_version(&v.key, &v.version_id).await?,
                })
            })
            .buffered(8)
            .try_collect()
            .await?;
        anyhow::Ok((versions, objects))
    };
    let (segment_versions, segment_objects) = read(fresh(&segments_listed)).await?;
    let (checkpoint_versions, checkpoint_objects) = read(fresh(&checkpoints_listed)).await?;
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
    let mut followed = follow(station, &head, &held, &segments, &checkpoint_objects);
    followed.alarms.extend(hidden.into_iter().map(hidden_by));
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
    let settled_now: std::collections::HashSet<&(String, String)> = settled.iter().collect();
    let is_settled = |key: &str, version: &str| {
        let v = (key.to_string(), version.to_string());
        seen.contains(&v) || settled_now.contains(&v)
    };
    let after = |from: Option<String>, listed: &[Version], prefix: &str| {
        cursor::advance(
            prefix,
            followed.head.seq,
            from.as_deref(),
            listed
                .iter()
                .map(|v| (v.key.as_str(), v.version_id.as_str())),
            is_settled,
        )
    };
    let listed = Listed {
        segments_after: after(segments_from, &segments_listed, &segments_prefix(name)),
        checkpoints_after: after(
            checkpoints_from,
            &checkpoints_listed,
            &checkpoints_prefix(name),
        ),
        next_sweep: swept.then(|| cursor::next_sweep(rules.sweep_every, rand::random::<f64>())),
    };
    let alarms = hub.load(name, &head, &followed, &settled, &listed).await?;
    Ok(Pass {
        station: name.into(),
        objects: settled.len(),
        events: followed.events.len(),
        head: followed.head.seq,
        swept,
        alarms,
        ..Pass::default()
    })
}

/// The alarm for a delete marker on a station's segment or checkpoint.
fn hidden_by(marker: Version) -> Alarm {
    Alarm::Hidden {
        key: marker.key,
        version: marker.version_id,
    }
}

/// Empties the projection and makes it again from the bucket alone: the enrolments the hub wrote
/// there (for each station, its newest version signed by this hub's key; a newer version that is
/// not, or none at all, is reported and the station's pass marked failed), then every station's
/// objects. Publishes nothing (a rebuild made to compare with the live hub must not write to the
/// stations): the hub's next pass does.
pub async fn rebuild(
    bucket: &Bucket,
    hub: &mut Projection,
    rules: &Rules,
) -> anyhow::Result<Vec<Pass>> {
    hub.clear().await?;
    let enrolments = signed_enrolments(bucket, &rules.key.verifying_key()).await?;
    let mut refused: Vec<(String, String)> = Vec::new();
    for e in &enrolments {
        if let Some(signed) = &e.signed {
            hub.enrol(&signed.station, &signed.unit, &signed.public_key)
                .await?;
        }
        if !e.not_signed.is_empty() {
            refused.push((
                e.station.clone(),
                format!(
                    "{} version(s) {} not signed by this hub's key: {}",
                    e.key,
                    e.not_signed.join(", "),
                    if e.signed.is_some() {
                        "followed as the hub last signed it"
                    } else {
                        "not followed"
                    }
                ),
            ));
        }
    }
    let mut passes = load(bucket, hub, rules).await?;
    for (station, why) in refused {
        match passes.iter_mut().find(|p| p.station == station) {
            Some(p) => {
                p.failed = Some(match p.failed.take() {
                    Some(before) => format!("{why}; {before}"),
                    None => why,
                })
            }
            None => passes.push(Pass {
                station,
                failed: Some(why),
                ..Pass::default()
            }),
        }
    }
    Ok(passes)
}

/// One station's enrolment as the bucket keeps it: the newest version `hub` signed, and the
/// versions newer than it (or all, when none is) that it did not.
struct EnrolmentVersions {
    station: String,
    key: String,
    signed: Option<Enrolment>,
    not_signed: Vec<String>,
}

async fn signed_enrolments(
    bucket: &Bucket,
    hub: &ed25519_dalek::VerifyingKey,
) -> anyhow::Result<Vec<EnrolmentVersions>> {
    let versions = bucket.list_versions(ENROLMENTS).await?;
    let mut out = Vec::new();
    for run in versions.chunk_by(|a, b| a.key == b.key) {
        let key = run[0].key.clone();
        let station = station_of(&key, ENROLMENTS).to_string();
        let mut e = EnrolmentVersions {
            station,
            key,
            signed: None,
            not_signed: Vec::new(),
        };
        for v in run.iter().rev() {
            let body = bucket.get_version(&v.key, &v.version_id).await?;
            match serde_json::from_slice::<Enrolment>(&body) {
                Ok(found) if found.signed_by(hub) && found.key() == e.key => {
                    e.signed = Some(found);
                    break;
                }
                _ => e.not_signed.push(v.version_id.clone()),
            }
        }
        out.push(e);
    }
    Ok(out)
}

/// What the bucket alone shows, checked against the hub's public key and nothing else: every
/// enrolment version, every enrolled station's chain recomputed from every version of its objects
/// (the hub's rules, from the genesis), every statement of returns the hub published against
/// those chains (every version of each). No database is read.
pub async fn audit(
    bucket: &Bucket,
    hub: &ed25519_dalek::VerifyingKey,
) -> anyhow::Result<Vec<AuditFinding>> {
    let mut findings = Vec::new();
    let mut chains = HashMap::new();
    for e in signed_enrolments(bucket, hub).await? {
        findings.extend(
            e.not_signed
                .iter()
                .map(|version| AuditFinding::EnrolmentNotSigned {
                    key: e.key.clone(),
                    version: version.clone(),
                }),
        );
        let Some(signed) = e.signed else { continue };
        let station = Enrolled {
            station: signed.station.clone(),
            unit: signed.unit.clone(),
            key: camdock_record::checkpoint::public_key_from_hex(&signed.public_key)
                .with_context(|| format!("{}: not a key", e.key))?,
        };
        let mut hidden = Vec::new();
        let mut objects = async |prefix: String| {
            let (versions, markers) = bucket.list_versions_and_markers(&prefix).await?;
            hidden.extend(markers);
            let mut all = Vec::new();
            for v in versions {
                all.push(Object {
                    body: bucket.get_version(&v.key, &v.version_id).await?,
                    key: v.key,
                });
            }
            anyhow::Ok(all)
        };
        let segments = objects(segments_prefix(&station.station)).await?;
        let checkpoints = objects(checkpoints_prefix(&station.station)).await?;
        findings.extend(hidden.into_iter().map(|m| AuditFinding::Station {
            station: station.station.clone(),
            alarm: hidden_by(m),
        }));
        let followed = follow(
            &station,
            &camdock_hub::Head::default(),
            &HashMap::new(),
            &Segments::read(&station.station, &segments),
            &checkpoints,
        );
        findings.extend(
            followed
                .alarms
                .into_iter()
                .map(|alarm| AuditFinding::Station {
                    station: station.station.clone(),
                    alarm,
                }),
        );
        chains.insert(station.station, followed.events);
    }
    findings.extend(camdock_hub::check_recorded_returns(&chains));
    // Every version: a station acts on whichever it read, so a false return signed once and
    // replaced since is still named.
    for v in bucket.list_versions(STATEMENTS).await? {
        let station = station_of(&v.key, STATEMENTS);
        let body = bucket.get_version(&v.key, &v.version_id).await?;
        match ReturnsStatement::read(&body, hub, station) {
            Ok(statement) => findings.extend(camdock_hub::check_returns(&statement.body, &chains)),
            Err(why) => findings.push(AuditFinding::StatementRefused {
                key: v.key.clone(),
                version: v.version_id.clone(),
                why: why.to_string(),
            }),
        }
    }
    Ok(findings)
}

/// The station a hub object is about: `<prefix><station>.json`.
fn station_of<'a>(key: &'a str, prefix: &str) -> &'a str {
    key.strip_prefix(prefix)
        .and_then(|k| k.strip_suffix(".json"))
        .unwrap_or(key)
}
