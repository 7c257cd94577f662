//! The hub on a highly available PostgreSQL: a primary and a streaming replica under Patroni and
//! etcd (Debian's packages, on loopback, `camdock_testkit::patroni`). A simulated bureau's
//! ledgers are in the bucket (LocalStack); `camdock hub run` loads them, and once a third of the
//! events are in, the primary is killed (SIGKILL to its Patroni and its postmaster). The hub
//! carries on by itself: its connection lost, it connects again through a connection string that
//! names both nodes with `target_session_attrs=read-write`, so it finds the new primary. At the
//! end the events are counted in the bucket (every segment read) and in the hub: equal, as many
//! distinct event hashes as events (none loaded twice under another seq), every station at its
//! signed head, no alarm. Patroni runs in `synchronous_mode`, as the README advises a bureau: a
//! commit the hub was told of is on the replica too (an enrolment, a statement published, which
//! the bucket alone does not give back to a running hub).
//!
//! `cargo bench --bench hub_ha -- [--stations N] [--events E]` (defaults 200 × 1,000: 200,000
//! events, about half a minute of loading; `./dev proof` runs it).

use bureau::*;
use camdock::replica::block_on;
use camdock::replica::s3::Bucket;
use camdock_hub::Projection;
use camdock_record::segment;
use camdock_testkit::patroni::{PatroniCluster, patroni};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/bureau.rs"]
mod bureau;
#[path = "../tests/common/localstack.rs"]
mod localstack;

/// `camdock hub run`, killed when the run ends, a failed assertion included.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// How long the hub may take to load everything, failover included.
const LIMIT: Duration = Duration::from_secs(300);

/// The events in the bucket: every segment of every station read and counted.
async fn events_in_bucket(bucket: &Bucket, stations: u64) -> i64 {
    let mut n = 0;
    for i in 0..stations {
        for key in bucket
            .list(&segment::segments_prefix(&station_name(i)))
            .await
            .unwrap()
        {
            let body = bucket.get(&key).await.unwrap();
            n += segment::decode(&body).filter(Result::is_ok).count() as i64;
        }
    }
    n
}

/// The hub's events now, on whichever node is primary (None while none answers).
async fn events_in_hub(url: &str) -> Option<i64> {
    let (db, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .ok()?;
    tokio::spawn(connection);
    db.query_one("SELECT count(*) FROM hub_events", &[])
        .await
        .ok()
        .map(|r| r.get(0))
}

fn main() {
    let stations = arg("--stations", 200);
    let per_station = arg("--events", 1000) as i64;
    let written = stations as i64 * per_station;
    patroni()
        .find("the hub's high-availability run")
        .expect("Patroni and etcd (./dev proof installs them)");
    let dir = tempfile::tempdir().unwrap();
    let ls = localstack::LocalStack::start(dir.path()).expect("LocalStack (./dev installs it)");
    let t = Instant::now();
    let mut cluster = PatroniCluster::start(&dir.path().join("ha"));
    println!(
        "Patroni cluster up in {:.1} s: {} leads, the other streams from it",
        t.elapsed().as_secs_f64(),
        cluster.leader().expect("a leader").name
    );
    let url = cluster.url("camdock_hub");
    let hub_data = dir.path().join("hub");
    let hub_key = camdock::keys::HubKey::load_or_create(&hub_data)
        .unwrap()
        .signing_key();
    let config_file = dir.path().join("hub.toml");
    std::fs::write(
        &config_file,
        format!(
            "[replica]\nenabled = true\nendpoint = \"{}\"\nbucket = \"bureau\"\naccess_key = \"test\"\nsecret_key = \"test\"\n\n[hub]\ndatabase = \"{url}\"\nevery = \"1s\"\n# The simulated events are two days old: neither silence nor replication is judged here.\nsilent_after = \"1000d\"\nreplicate_within = \"1000d\"\n",
            ls.endpoint()
        ),
    )
    .unwrap();
    let config = replica_config(&ls.endpoint());
    let admin_url = cluster.url("postgres");
    let bucket = block_on(|| async {
        let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        admin
            .batch_execute("CREATE DATABASE camdock_hub")
            .await
            .unwrap();
        let bucket = Arc::new(Bucket::connect(&config.replica).await);
        let t = Instant::now();
        write_bureau(&bucket, stations, 30, per_station, 5).await;
        println!(
            "bureau written: {stations} stations, {written} events in {} signed segments, {:.1} s",
            stations * 5,
            t.elapsed().as_secs_f64()
        );
        let hub = Projection::connect(&url).await.unwrap();
        enrol_all(&bucket, &hub, &hub_key, stations).await;
        bucket
    });

    // The hub as a bureau runs it.
    let log = dir.path().join("hub-run.log");
    let hub = Stopped(
        std::process::Command::new(env!("CARGO_BIN_EXE_camdock"))
            .arg("--config")
            .arg(&config_file)
            .arg("--data-dir")
            .arg(&hub_data)
            .args(["hub", "run"])
            .env("CAMDOCK_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let count = |url: &str| block_on(|| events_in_hub(url));
    let at_kill = loop {
        assert!(started.elapsed() < LIMIT, "the hub loads nothing");
        match count(&url) {
            Some(n) if n >= written / 3 => break n,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let dead = cluster.kill_leader();
    let killed = Instant::now();
    let failover = cluster.failover(&dead, Duration::from_secs(90));
    let leader = cluster.leader().expect("a leader").name.clone();
    let loaded = loop {
        let n = count(&url);
        if n == Some(written) {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < LIMIT,
            "the hub stopped at {n:?} of {written} events after the failover:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let back = killed.elapsed();
    drop(hub);
    let said = std::fs::read_to_string(&log).unwrap();
    println!(
        "primary {dead} killed at {at_kill} of {written} events loaded; {leader} led {:.1} s later; every event in the hub {:.1} s after the kill, {:.1} s after the hub started",
        failover.as_secs_f64(),
        back.as_secs_f64(),
        loaded.as_secs_f64()
    );
    assert_ne!(dead, leader, "a new primary");
    assert!(
        said.contains("the hub's database is back"),
        "the hub lost its primary and connected again:\n{said}"
    );

    // Counted: the bucket, every segment read; the hub, on the new primary.
    block_on(|| async {
        let in_bucket = events_in_bucket(&bucket, stations).await;
        let (db, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let row = db
            .query_one(
                "SELECT count(*), count(DISTINCT hash),
                    (SELECT count(*) FROM hub_heads WHERE seq = $1 AND NOT broken),
                    (SELECT count(*) FROM hub_alarms)
                 FROM hub_events",
                &[&per_station],
            )
            .await
            .unwrap();
        let (in_hub, distinct, at_head, alarms): (i64, i64, i64, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        println!(
            "events in the bucket {in_bucket}, in the hub {in_hub} ({distinct} distinct hashes); stations at their signed head {at_head} of {stations}; alarms {alarms}"
        );
        assert_eq!(in_bucket, written);
        assert_eq!(in_hub, in_bucket, "no event lost");
        assert_eq!(distinct, in_hub, "none loaded twice");
        assert_eq!(at_head, stations as i64);
        assert_eq!(alarms, 0, "a failover is not tampering");
    });
    drop(cluster);
    drop(ls);
}
