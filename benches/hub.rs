//! The bureau's hub at scale: a simulated bureau of 1,000 stations × 30 cameras writing signed
//! ledger segments to one Object Lock bucket (LocalStack), followed by the hub into PostgreSQL
//! (Debian's, in a temporary directory).
//!
//! `cargo bench --bench hub -- [--stations N] [--cameras C] [--events E] [--pad P] [--rounds R]`
//! (defaults 1,000 × 30, 1,000 events per station in 5 segments, each signed, padded to 10 M
//! events, 5 rounds; `./dev proof` runs it so). Prints:
//! - the load rate of the first pass over every station (events loaded per second, through the
//!   bucket and the projection's transactions as in service; goal ≥ 5,000/s);
//! - new segment to view: a station writes one more signed segment, the hub passes until its
//!   events are in the projection (p50, p95 over the rounds; a pass lists every enrolled
//!   station's objects after its cursor, so this is a pass over the bureau);
//! - the bureau's fleet (every camera, overdue judged across stations) and one station's
//!   statement of returns elsewhere, at the events loaded and again after the events table is
//!   padded by SQL to `--pad` rows (synthetic camera events of the same stations, beyond their
//!   heads): goal < 50 ms, and not growing with the events;
//! - one station's ledger grown by `--long` segments (2,000): its segments listed whole, as a
//!   sweep lists them, against a listing from its cursor, as the passes between sweeps do.

use bureau::*;
use camdock::hub::{Rules, sync};
use camdock::replica::block_on;
use camdock::replica::s3::Bucket;
use camdock_hub::{ClipQuery, Projection};
use camdock_record::segment;
use ed25519_dalek::SigningKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/bureau.rs"]
mod bureau;
#[path = "../tests/common/localstack.rs"]
mod localstack;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let stations = arg("--stations", 1000);
    let cameras = arg("--cameras", 30);
    let per_station = arg("--events", 1000) as i64;
    let pad = arg("--pad", 10_000_000) as i64;
    let rounds = arg("--rounds", 5);
    let segments = 5;
    let dir = tempfile::tempdir().unwrap();
    let pg_bin = camdock_testkit::postgres()
        .find("the hub benchmark")
        .expect("PostgreSQL's server binaries (./dev installs them)");
    let pg = camdock_testkit::TempPostgres::start(&pg_bin, &dir.path().join("pg"));
    let ls = localstack::LocalStack::start(dir.path()).expect("LocalStack (./dev installs it)");
    let config = replica_config(&ls.endpoint());
    let hub_key = SigningKey::from_bytes(&[1; 32]);
    let rules_looking_at = |objects_per_pass: u32| Rules {
        // The simulated events are two days old: neither silence nor replication is judged.
        now: chrono::Utc::now(),
        silent_after: Duration::MAX,
        replicate_within: Duration::MAX,
        key: hub_key.clone(),
        statements_every: Duration::from_secs(3600),
        recheck_objects_after: Duration::from_secs(30 * 86_400),
        objects_per_pass,
        // As the default: the passes after the first list only what is new.
        sweep_every: Duration::from_secs(3600),
        sweep_all: false,
    };
    let rules = || rules_looking_at(2000);
    let url = pg.url();
    let url = &url;
    let (rules, rules_looking_at, hub_key) = (&rules, &rules_looking_at, &hub_key);
    block_on(|| async move {
        let bucket = Arc::new(Bucket::connect(&config.replica).await);
        let mut hub = Projection::connect(url).await.unwrap();

        // The bureau writes: every station's segments, each signed, 16 uploads at a time.
        let t = Instant::now();
        let mut heads = write_bureau(&bucket, stations, cameras, per_station, segments).await;
        let written = stations as i64 * per_station;
        println!(
            "bureau written: {stations} stations × {cameras} cameras, {written} events in {} signed segments, {:.1} s",
            stations as i64 * segments,
            t.elapsed().as_secs_f64()
        );
        enrol_all(&bucket, &hub, hub_key, stations).await;

        // The first pass over the bureau: the load rate.
        let t = Instant::now();
        let passes = sync(&bucket, &mut hub, &rules()).await.unwrap();
        let took = t.elapsed().as_secs_f64();
        let loaded: usize = passes.iter().map(|p| p.events).sum();
        assert_eq!(loaded as i64, written, "every event signed loads");
        assert!(
            passes
                .iter()
                .all(|p| p.failed.is_none() && p.alarms.is_empty())
        );
        let looked: usize = passes.iter().map(|p| p.clips_checked).sum();
        println!(
            "first pass: {loaded} events of {stations} stations in {took:.1} s: {:.0} events/s (goal ≥ 5,000), {looked} clips' objects looked at",
            loaded as f64 / took
        );

        // A new segment to its view at the hub; and what looking at 2,000 clips' objects in the
        // bucket adds to a pass.
        let t = Instant::now();
        sync(&bucket, &mut hub, &rules_looking_at(0)).await.unwrap();
        let idle = t.elapsed().as_secs_f64();
        println!("an idle pass over the bureau: {idle:.2} s");
        let t = Instant::now();
        let passes = sync(&bucket, &mut hub, &rules()).await.unwrap();
        let looking = t.elapsed().as_secs_f64();
        let looked: usize = passes.iter().map(|p| p.clips_checked).sum();
        assert!(passes.iter().all(|p| p.alarms.is_empty()));
        println!(
            "  the same pass looking at {looked} clips' objects: {looking:.2} s ({:.0} objects/s)",
            looked as f64 / (looking - idle).max(1e-3)
        );
        // Where an idle pass goes: the bucket's listings of one station, against the hub's own
        // queries for it.
        let t = Instant::now();
        for i in 0..20 {
            let name = station_name(i * stations / 20);
            bucket
                .list_versions(&segment::segments_prefix(&name))
                .await
                .unwrap();
            bucket
                .list_versions(&segment::checkpoints_prefix(&name))
                .await
                .unwrap();
        }
        println!(
            "  listing one station's segments and checkpoints: {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3 / 20.0
        );
        let mut latency = Vec::new();
        for r in 0..rounds {
            let i = (r * 7919) % stations;
            let name = station_name(i);
            let seq = hub.head(&name).await.unwrap().seq;
            let evs = events(i, stations, cameras, seq + 1, 20);
            let head = write_segment(&bucket, &name, &heads[i as usize].1, evs).await;
            heads[i as usize].1 = head;
            let written_at = Instant::now();
            loop {
                sync(&bucket, &mut hub, &rules()).await.unwrap();
                if hub.head(&name).await.unwrap().seq == seq + 20 {
                    break;
                }
            }
            latency.push(written_at.elapsed().as_secs_f64());
        }
        latency.sort_by(f64::total_cmp);
        println!(
            "new segment to view ({rounds} rounds): p50 {:.2} s, p95 {:.2} s",
            percentile(&latency, 0.5),
            percentile(&latency, 0.95)
        );

        // The bureau's views, at the events loaded and padded.
        let views = |label: String| {
            let hub = &hub;
            async move {
                let cutoff = stamp(chrono::Utc::now() - chrono::Duration::hours(24));
                let mut fleet_ms = Vec::new();
                let mut returns_ms = Vec::new();
                let mut n = 0;
                for k in 0..11 {
                    let t = Instant::now();
                    let fleet = hub.fleet(&cutoff).await.unwrap();
                    fleet_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    n = fleet.len();
                    let t = Instant::now();
                    hub.returns_for(&station_name((k * 31) % stations))
                        .await
                        .unwrap();
                    returns_ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                fleet_ms.sort_by(f64::total_cmp);
                returns_ms.sort_by(f64::total_cmp);
                println!(
                    "{label}: fleet and overdue of {n} cameras median {:.1} ms (goal < 50), one station's returns elsewhere median {:.2} ms",
                    fleet_ms[5], returns_ms[5]
                );
                // The dashboard's search across the bureau: one camera's recordings, and an hour
                // of every camera's (median of 3 each).
                let search = |q: ClipQuery| async move {
                    let mut ms = Vec::new();
                    let mut found = 0;
                    for _ in 0..3 {
                        let t = Instant::now();
                        found = hub.find_clips(&q).await.unwrap().len();
                        ms.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    ms.sort_by(f64::total_cmp);
                    (ms[1], found)
                };
                let by_camera = search(ClipQuery {
                    camera: Some("0000001".into()),
                    ..ClipQuery::default()
                })
                .await;
                let hour = chrono::Utc::now() - chrono::Duration::days(2);
                let by_hour = search(ClipQuery {
                    from: Some(stamp(hour)),
                    to: Some(stamp(hour + chrono::Duration::hours(1))),
                    ..ClipQuery::default()
                })
                .await;
                println!(
                    "{label}: clip search by camera {:.1} ms ({} found), by an hour of recording {:.1} ms ({} found)",
                    by_camera.0, by_camera.1, by_hour.0, by_hour.1
                );
            }
        };
        let count = hub.event_count(None).await.unwrap();
        views(format!("at {count} events")).await;
        if pad > count {
            let t = Instant::now();
            // Synthetic camera events of the same stations and cameras, past their heads.
            let (db, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            let (n, st, cams) = (pad - count, stations as i64, cameras as i64);
            let step = 1_000_000;
            for from in (0..n).step_by(step as usize) {
                db.execute(
                    "INSERT INTO hub_events(station, seq, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash)
                     SELECT 'st' || lpad((g % $2)::text, 4, '0'), 1000000000 + g,
                            '2026-01-01T00:00:00.000Z', 'clip-probed',
                            lpad(((g % $2) * 1000 + (g / $2) % $3)::text, 7, '0'), NULL, 'pad', '{}', '', ''
                     FROM generate_series($1::bigint, $4::bigint) g",
                    &[&from, &st, &cams, &((from + step).min(n) - 1)],
                )
                .await
                .unwrap();
            }
            db.batch_execute("ANALYZE hub_events").await.unwrap();
            let count = hub.event_count(None).await.unwrap();
            println!(
                "padded to {count} events in {:.0} s",
                t.elapsed().as_secs_f64()
            );
            views(format!("at {count} events")).await;
        }

        // A station whose ledger grew long (a year of exports at ~5 a day): what a sweep lists
        // of it, against what a pass from its cursor lists.
        let name = station_name(0);
        let long = arg("--long", 2000) as i64;
        let t = Instant::now();
        let first = hub.head(&name).await.unwrap().seq + 1;
        for seq in first..first + long {
            let evs = events(0, stations, cameras, seq, 1);
            heads[0].1 = write_segment(&bucket, &name, &heads[0].1, evs).await;
        }
        println!(
            "{name}'s ledger grown by {long} segments, each with its checkpoint, in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        sync(&bucket, &mut hub, &rules()).await.unwrap();
        let cursor = hub.cursor(&name).await.unwrap();
        let listing = |after: Option<String>| {
            let (bucket, name) = (&bucket, &name);
            async move {
                let mut ms = Vec::new();
                let mut n = 0;
                for _ in 0..5 {
                    let t = Instant::now();
                    n = bucket
                        .list_versions_and_markers_after(
                            &segment::segments_prefix(name),
                            after.as_deref(),
                        )
                        .await
                        .unwrap()
                        .0
                        .len();
                    ms.push(t.elapsed().as_secs_f64() * 1e3);
                }
                ms.sort_by(f64::total_cmp);
                (ms[2], n)
            }
        };
        let (whole, n) = listing(None).await;
        let (after, m) = listing(cursor.segments_after.clone()).await;
        println!(
            "  its segments listed whole (a sweep): {whole:.1} ms ({n} versions, {} requests); from its cursor: {after:.1} ms ({m}, 1 request): {:.1}×",
            n.div_ceil(1000).max(1),
            whole / after
        );
    });
    drop(ls);
}
