//! A simulated bureau for the hub's benchmarks: stations whose cameras dock, store, replicate
//! and leave, written as signed ledger segments and checkpoints to one Object Lock bucket
//! (LocalStack), and enrolled at the hub.
#![allow(dead_code)]

use camdock::replica::s3::Bucket;
use camdock_hub::Projection;
use camdock_record::checkpoint::Checkpoint;
use camdock_record::event::StoredEvent;
use camdock_record::segment;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A port free now (LocalStack's).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `--name N` on the bench's command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .map(|i| args[i + 1].parse().unwrap())
        .unwrap_or(default)
}

pub fn station_name(i: u64) -> String {
    format!("st{i:04}")
}

pub fn station_key(name: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(name.as_bytes()).into())
}

pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    camdock::time::stamp(t)
}

/// The `[replica]` of the bucket on `endpoint`.
pub fn replica_config(endpoint: &str) -> camdock::config::Config {
    camdock::config::Config::from_toml(&format!(
        "[replica]\nenabled = true\nendpoint = \"{endpoint}\"\nbucket = \"bureau\"\naccess_key = \"test\"\nsecret_key = \"test\"\npart_size_mb = 5\nmultipart_threshold_mb = 5\n"
    ))
    .unwrap()
}

/// The one object in the bucket every simulated `clip-replicated` names: the bureau's clips are
/// names, not bytes, but the hub looks at what each record names (a real HEAD each). Uploaded in
/// two parts (`replica_config`'s part size), so its composite checksum is recorded with its parts
/// and, like any multipart clip's, not compared with each clip's name.
pub const CLIP_KEY: &str = "clips/bench/clip.mp4";
const CLIP_PART: usize = 5 * 1024 * 1024;

fn clip_body() -> Vec<u8> {
    (0..CLIP_PART + CLIP_PART / 5)
        .map(|i| (i % 251) as u8)
        .collect()
}

/// The `clip-replicated` detail naming it, its composite checksum computed here (a bench whose
/// passes find an alarm stops, so the server's agreement is checked).
fn replicated_detail() -> &'static str {
    static DETAIL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DETAIL.get_or_init(|| {
        use base64::Engine;
        let body = clip_body();
        let parts: Vec<&[u8]> = body.chunks(CLIP_PART).collect();
        let mut of_parts = Sha256::new();
        for part in &parts {
            of_parts.update(Sha256::digest(part));
        }
        serde_json::to_string(&camdock_record::detail::ClipReplicatedDetail {
            bucket: "bureau".into(),
            key: CLIP_KEY.into(),
            version_id: None,
            checksum_sha256: format!(
                "{}-{}",
                base64::engine::general_purpose::STANDARD.encode(of_parts.finalize()),
                parts.len()
            ),
            parts: Some(parts.len() as u64),
            part_size: Some(CLIP_PART as u64),
            bytes: body.len() as u64,
            ..Default::default()
        })
        .unwrap()
    })
}

/// `n` events of station `i` from seq `first`: a camera docks, its battery and storage are read,
/// it stores and replicates a clip, and leaves again, each camera in turn; after each round of its own cameras the station sees
/// the next station's (cameras roam, so the hub has returns elsewhere to state).
pub fn events(i: u64, stations: u64, cameras: u64, first: i64, n: i64) -> Vec<StoredEvent> {
    let station = station_name(i);
    let start = chrono::Utc::now() - chrono::Duration::days(2);
    let replicated = replicated_detail().to_string();
    (0..n)
        .map(|k| {
            let seq = first + k;
            let cycle = seq as u64 / 5;
            let owner = (i + cycle / cameras) % stations;
            let camera = format!("{owner:04}{:03}", cycle % cameras);
            let (kind, clip, detail) = match seq % 5 {
                0 => ("camera-docked", None, "{}".to_string()),
                1 => (
                    "health-read",
                    None,
                    format!(
                        r#"{{"session":{cycle},"health":{{"battery_percent":{},"storage_total_bytes":64000000000,"storage_free_bytes":32000000000,"firmware":null,"fs_dirty":null,"read_errors":0,"read_mb_per_s":null}},"attention":[]}}"#,
                        20 + cycle % 80
                    ),
                ),
                2 => (
                    "clip-stored",
                    Some(format!("{:064x}", seq as u128 * 7919)),
                    format!(r#"{{"officer":"{owner:04}{:02}","recorded_at":"{}"}}"#, cycle % 50, stamp(start + chrono::Duration::seconds(seq - 60))),
                ),
                3 => (
                    "clip-replicated",
                    Some(format!("{:064x}", (seq - 1) as u128 * 7919)),
                    replicated.clone(),
                ),
                _ => ("camera-undocked", None, "{}".to_string()),
            };
            StoredEvent {
                seq,
                at: stamp(start + chrono::Duration::seconds(seq)),
                kind: kind.into(),
                camera: Some(camera),
                clip_sha256: clip,
                actor: station.clone(),
                detail_json: detail,
                prev_hash: String::new(),
                hash: String::new(),
            }
        })
        .collect()
}

/// Writes `events` (chained after `prev`) as one segment and a checkpoint signed by the station;
/// returns the new head hash.
pub async fn write_segment(
    bucket: &Bucket,
    station: &str,
    prev: &str,
    mut events: Vec<StoredEvent>,
) -> String {
    camdock_record::chain::link_after(prev, &mut events);
    let (first, last) = (events[0].seq, events.last().unwrap().seq);
    let head = events.last().unwrap().hash.clone();
    bucket
        .put_bytes(
            &segment::segment_key(station, first, last),
            segment::encode(&events),
            None,
        )
        .await
        .unwrap();
    let cp = Checkpoint::sign(
        &station_key(station),
        station,
        last,
        &head,
        &stamp(chrono::Utc::now()),
    );
    bucket
        .put_bytes(
            &segment::checkpoint_key(station, last),
            serde_json::to_vec(&cp).unwrap(),
            None,
        )
        .await
        .unwrap();
    head
}

/// Makes the bucket (Object Lock on) with the clip object every record names, and writes every station's `per_station` events in
/// `segments` signed segments, 16 uploads at a time; each station's head hash, by station.
pub async fn write_bureau(
    bucket: &Arc<Bucket>,
    stations: u64,
    cameras: u64,
    per_station: i64,
    segments: i64,
) -> Vec<(u64, String)> {
    bucket
        .client()
        .create_bucket()
        .bucket("bureau")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let clip = tempfile::NamedTempFile::new().unwrap();
    let body = clip_body();
    std::fs::write(clip.path(), &body).unwrap();
    bucket
        .put_file(
            CLIP_KEY,
            clip.path(),
            &hex::encode(Sha256::digest(&body)),
            None,
        )
        .await
        .unwrap();
    let mut heads = Vec::new();
    let per_segment = per_station / segments;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..stations {
        let bucket = bucket.clone();
        tasks.spawn(async move {
            let name = station_name(i);
            let mut head = camdock_record::GENESIS.to_string();
            for s in 0..segments {
                let evs = events(i, stations, cameras, 1 + s * per_segment, per_segment);
                head = write_segment(&bucket, &name, &head, evs).await;
            }
            (i, head)
        });
        if tasks.len() >= 16 {
            heads.push(tasks.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(h) = tasks.join_next().await {
        heads.push(h.unwrap());
    }
    heads.sort();
    heads
}

/// Enrols every station at the hub (units of 50 stations).
pub async fn enrol_all(bucket: &Bucket, hub: &Projection, hub_key: &SigningKey, stations: u64) {
    for i in 0..stations {
        let name = station_name(i);
        let key = hex::encode(station_key(&name).verifying_key().to_bytes());
        camdock::hub::enrol(
            bucket,
            hub,
            hub_key,
            &name,
            &format!("unit {}", i / 50),
            &key,
        )
        .await
        .unwrap();
    }
}
