//! Replication against a real S3 server on loopback: LocalStack (S3 only, no Docker), started
//! here from the venv `./dev test` installs under target/localstack. LocalStack enforces Object
//! Lock and checks `x-amz-checksum-sha256`.
//! Without that venv, plain `cargo test` says so in one line and runs none of these; `./dev test`
//! installs it, and fails them if it is missing.

mod common;

use camdock::config::Config;
use camdock::replica::s3::{Bucket, b64_of_hex};
use camdock::replica::{block_on, composite_of};
use common::localstack::{LocalStack, venv_python};
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A bench station (no accounts, set open: acts name their people by hand) replicating to `bucket`.
fn replica_toml(endpoint: &str, bucket: &str, extra: &str) -> String {
    format!(
        "[station]\nid = \"test-station\"\nopen = true\n\n[replica]\nenabled = true\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\naccess_key = \"test\"\nsecret_key = \"test\"\nretry_base = \"1ms\"\n{extra}"
    )
}

/// Writes a config file and returns its path.
fn config_file(dir: &Path, name: &str, toml: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    config(toml); // it must be valid
    path.display().to_string()
}

fn create_bucket(endpoint: &str, bucket: &str, lock: bool) {
    let cfg = config(&replica_toml(endpoint, bucket, "")).replica;
    block_on(|| async {
        let b = Bucket::connect(&cfg).await;
        b.client()
            .create_bucket()
            .bucket(bucket)
            .object_lock_enabled_for_bucket(lock)
            .send()
            .await
            .expect("bucket created");
    });
}

fn bucket_of(cfg_toml: &str) -> camdock::config::ReplicaConfig {
    config(cfg_toml).replica
}

/// Ingests a simulated camera with `clips` clips into `data`; returns the clips' SHA-256s.
fn ingest(scratch: &Scratch, cfg: &str, data: &Path, clips: u32) -> Vec<String> {
    let vol = scratch.join("cam");
    camera(&vol, "CAM-R1", clips);
    let (code, out, err) = camdock(&[
        "--config",
        cfg,
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        vol.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "ingest: {out}{err}");
    let data_dir = data.to_path_buf();
    let st = Station::open(Config::defaults(), Some(&data_dir)).unwrap();
    let conn = st.ledger();
    let mut stmt = conn
        .conn()
        .prepare("SELECT sha256 FROM clips ORDER BY sha256")
        .unwrap();
    let shas: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(shas.len(), clips as usize);
    shas
}

use camdock::station::Station;

fn run(cfg: &str, data: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--config", cfg, "--data-dir", data.to_str().unwrap()];
    all.extend_from_slice(args);
    camdock(&all)
}

fn replicated_events(data: &Path) -> Vec<(String, serde_json::Value)> {
    let st = Station::open(Config::defaults(), Some(data)).unwrap();
    let l = st.ledger();
    let mut stmt = l
        .conn()
        .prepare("SELECT clip_sha256, detail_json FROM events WHERE kind = 'clip-replicated'")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            serde_json::from_str(&r.get::<_, String>(1)?).unwrap(),
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Versions stored under `key` (a duplicate upload would make two).
fn versions(cfg: &camdock::config::ReplicaConfig, key: &str) -> usize {
    block_on(|| async {
        let b = Bucket::connect(cfg).await;
        b.client()
            .list_object_versions()
            .bucket(&b.name)
            .prefix(key)
            .send()
            .await
            .unwrap()
            .versions()
            .len()
    })
}

/// A station with `clips` clips ingested, configured to replicate to `bucket` (created with
/// Object Lock) on a LocalStack of its own.
struct Locked {
    s: Scratch,
    ls: LocalStack,
    toml: String,
    cfg: String,
    data: PathBuf,
    shas: Vec<String>,
}

fn locked_station(bucket: &str, clips: u32) -> Option<Locked> {
    let s = Scratch::new();
    let ls = LocalStack::start(s.path())?;
    create_bucket(&ls.endpoint(), bucket, true);
    let toml = replica_toml(&ls.endpoint(), bucket, "");
    let cfg = config_file(s.path(), "camdock.toml", &toml);
    let data = s.join("data");
    let shas = ingest(&s, &cfg, &data, clips);
    Some(Locked {
        s,
        ls,
        toml,
        cfg,
        data,
        shas,
    })
}

#[test]
fn clips_replicate_locked_with_their_checksum_and_the_replica_verifies() {
    let Some(Locked {
        s: _s,
        ls: _ls,
        toml,
        cfg,
        data,
        shas,
    }) = locked_station("evidence", 3)
    else {
        return;
    };

    let (code, out, err) = run(&cfg, &data, &["status", "--json"]);
    assert_eq!(json(&out)["replication_backlog"], 3, "{out}{err}");
    let _ = code;

    let (code, out, err) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0, "replicate: {out}{err}");
    let r = json(&out);
    assert_eq!(r["replicated"].as_array().unwrap().len(), 3, "{out}");
    assert_eq!(r["object_lock"], true);
    assert_eq!(r["backlog"], 0);
    assert!(r["ledger"]["segments"].as_u64().unwrap() >= 1, "{out}");

    // Each object: the clip's SHA-256 as the server computed it, COMPLIANCE, retained a year.
    let rc = bucket_of(&toml);
    let events = replicated_events(&data);
    assert_eq!(events.len(), 3);
    for (sha, d) in &events {
        assert!(shas.contains(sha));
        let key = d["key"].as_str().unwrap().to_string();
        let version = d["version_id"].as_str().unwrap().to_string();
        let head = block_on(|| async {
            Bucket::connect(&rc)
                .await
                .head(&key, Some(&version))
                .await
                .unwrap()
                .expect("object present")
        });
        assert_eq!(head.checksum_sha256, b64_of_hex(sha), "{key}");
        assert_eq!(head.lock_mode.as_deref(), Some("COMPLIANCE"));
        let until =
            chrono::DateTime::parse_from_rfc3339(head.retain_until.as_deref().unwrap()).unwrap();
        let days = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
        assert!((363..=366).contains(&days), "retained {days} days");

        // The server refuses to delete a locked version.
        let deleted = block_on(|| async {
            let b = Bucket::connect(&rc).await;
            b.client()
                .delete_object()
                .bucket(&b.name)
                .key(&key)
                .version_id(&version)
                .send()
                .await
        });
        assert!(deleted.is_err(), "a locked version was deleted");
    }

    // A second pass finds nothing to do and uploads nothing twice.
    let (code, out, err) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["replicated"].as_array().unwrap().len(), 0);
    assert_eq!(replicated_events(&data).len(), 3);

    let (code, out, err) = run(&cfg, &data, &["verify", "--replica", "--json"]);
    assert_eq!(code, 0, "verify --replica: {out}{err}");
    let v = json(&out);
    assert_eq!(v["clips_checked"], 3);
    assert_eq!(v["chain_ok"], true);
    assert!(v["checkpoints"].as_u64().unwrap() >= 1);
    let (_, out, _) = run(&cfg, &data, &["status", "--json"]);
    assert_eq!(json(&out)["replication_backlog"], 0);
}

#[test]
fn wrong_checksum_is_rejected_and_large_clips_go_in_checked_parts() {
    let s = Scratch::new();
    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    create_bucket(&ls.endpoint(), "parts", true);
    let rc = bucket_of(&replica_toml(
        &ls.endpoint(),
        "parts",
        "multipart_threshold_mb = 5\npart_size_mb = 5\n",
    ));
    let file = s.join("big.bin");
    random_file(&file, 11 * 1024 * 1024 + 123, 7);
    let sha = tool_digest("sha256sum", &file);
    let lock = Some(camdock::replica::s3::Lock {
        retain_until: chrono::Utc::now() + chrono::Duration::days(2),
    });
    let small = s.join("small.bin");
    random_file(&small, 100_000, 8);
    let wrong = tool_digest("sha256sum", &file); // the big file's hash, not the small one's
    let (refused, up, present) = block_on(|| async {
        let b = Bucket::connect(&rc).await;
        let refused = b.put_file("clips/wrong", &small, &wrong, lock).await;
        let up = b.put_file("clips/big", &file, &sha, lock).await.unwrap();
        let present = b.head("clips/wrong", None).await.unwrap();
        (refused, up, present)
    });
    let e = refused.expect_err("a wrong checksum is rejected");
    assert!(!e.is_endpoint(), "{e}");
    assert!(
        present.is_none(),
        "nothing is stored under a rejected upload"
    );
    assert_eq!(up.parts, Some(3));
    assert_eq!(
        up.checksum_sha256,
        composite_of(&file, 5 * 1024 * 1024).unwrap()
    );
}

#[test]
fn an_outage_loses_nothing_and_duplicates_nothing() {
    let s = Scratch::new();
    // The endpoint down: nothing listens on this port.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let dead_cfg = config_file(s.path(), "dead.toml", &replica_toml(&dead, "evidence", ""));
    let data = s.join("data");
    let shas = ingest(&s, &dead_cfg, &data, 3);
    let (code, out, err) = run(&dead_cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let r = json(&out);
    assert!(r["endpoint_error"].is_string(), "{out}");
    assert_eq!(r["backlog"], 3);
    {
        let st = Station::open(config(&replica_toml(&dead, "evidence", "")), Some(&data)).unwrap();
        let h = camdock::replica::health(&st, chrono::Utc::now()).unwrap();
        assert_eq!(h.endpoint_failures, 1, "the failed pass counts: {h:?}");
    }

    // Repeated failures open the breaker: the next passes do not call the endpoint at all.
    let breaker = replica_toml(
        &dead,
        "evidence",
        "breaker_failures = 2\nbreaker_cooldown = \"1h\"\n",
    );
    let breaker_cfg = config_file(s.path(), "breaker.toml", &breaker);
    let (_, out, _) = run(&breaker_cfg, &data, &["replicate", "--json"]);
    assert!(json(&out)["breaker_open_until"].is_string(), "{out}");
    let (code, out, _) = run(&breaker_cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 1);
    assert!(
        json(&out)["endpoint_error"].is_null(),
        "the open breaker skipped the endpoint: {out}"
    );
    // Someone sees it: what /metrics and the dashboard show of the replica names the outage.
    {
        let st = Station::open(config(&breaker), Some(&data)).unwrap();
        let h = camdock::replica::health(&st, chrono::Utc::now()).unwrap();
        assert!(h.enabled && h.backlog == 3, "{h:?}");
        assert!(h.breaker_open_until.is_some(), "{h:?}");
    }

    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    create_bucket(&ls.endpoint(), "evidence", true);
    let toml = replica_toml(&ls.endpoint(), "evidence", "breaker_cooldown = \"1ms\"\n");
    let cfg = config_file(s.path(), "live.toml", &toml);
    // The breaker opened above holds for an hour; let that hour pass.
    {
        let st = Station::open(Config::defaults(), Some(&data)).unwrap();
        st.ledger()
            .conn()
            .execute(
                "UPDATE replica_breaker SET open_until = '2000-01-01T00:00:00.000Z'",
                [],
            )
            .unwrap();
    }

    // A pass that died after uploading a clip but before recording it: the object is there.
    let st = Station::open(Config::defaults(), Some(&data)).unwrap();
    let (first_path, first_sha): (String, String) = st
        .ledger()
        .conn()
        .query_row(
            "SELECT store_path, sha256 FROM clips ORDER BY stored_seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let rc = bucket_of(&toml);
    let local = st.store.locate(&first_path);
    drop(st);
    block_on(|| async {
        Bucket::connect(&rc)
            .await
            .put_file(
                &camdock::replica::clip_key(&first_path),
                &local,
                &first_sha,
                Some(camdock::replica::s3::Lock {
                    retain_until: chrono::Utc::now() + chrono::Duration::days(400),
                }),
            )
            .await
            .unwrap()
    });

    let (code, out, err) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0, "after the outage: {out}{err}");
    let r = json(&out);
    assert_eq!(r["replicated"].as_array().unwrap().len(), 3, "{out}");
    assert_eq!(r["already_present"], 1);
    let (code, out, _) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(json(&out)["replicated"].as_array().unwrap().len(), 0);

    let events = replicated_events(&data);
    assert_eq!(events.len(), 3, "one clip-replicated event per clip");
    for sha in &shas {
        assert_eq!(events.iter().filter(|(s, _)| s == sha).count(), 1);
    }
    for (_, d) in &events {
        assert_eq!(versions(&rc, d["key"].as_str().unwrap()), 1, "{d}");
    }
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn refuses_a_bucket_without_object_lock_and_verify_finds_a_missing_object() {
    let s = Scratch::new();
    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    create_bucket(&ls.endpoint(), "plain", false);
    let cfg = config_file(
        s.path(),
        "a.toml",
        &replica_toml(&ls.endpoint(), "plain", ""),
    );
    let data = s.join("data");
    ingest(&s, &cfg, &data, 2);
    let (code, out, err) = run(&cfg, &data, &["replicate"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("Object Lock"), "{err}");

    let toml = replica_toml(
        &ls.endpoint(),
        "plain",
        "allow_without_object_lock = true\n",
    );
    let cfg = config_file(s.path(), "b.toml", &toml);
    let (code, out, err) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(json(&out)["object_lock"], false);
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica"]);
    assert_eq!(code, 0, "{out}{err}");

    // Someone removes a clip's object from the unlocked bucket: verify --replica names it.
    let events = replicated_events(&data);
    let (sha, d) = &events[0];
    let rc = bucket_of(&toml);
    block_on(|| async {
        let b = Bucket::connect(&rc).await;
        b.client()
            .delete_object()
            .bucket(&b.name)
            .key(d["key"].as_str().unwrap())
            .set_version_id(d["version_id"].as_str().map(str::to_string))
            .send()
            .await
            .unwrap()
    });
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("clip {sha} is missing")), "{out}");
}

/// tools/audit/bucket_audit.py, as an auditor runs it: Python, boto3, the bucket, and the
/// station's ledger file (no camdock). Returns its exit code and output.
fn bucket_audit(endpoint: &str, bucket: &str, ledger_dir: &Path) -> (i32, String) {
    let out = Command::new(venv_python().expect("LocalStack runs, so its Python is there"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/audit/bucket_audit.py"))
        .args([
            "--endpoint",
            endpoint,
            "--bucket",
            bucket,
            "--station",
            "test-station",
            "--download",
        ])
        .arg("--ledger")
        .arg(ledger_dir.join(camdock::station::LEDGER_FILE))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Issue (custody you can defend, point 1): the station's admin deletes the newest events or
/// rewrites a viewing and re-chains the ledger; the copy in the bucket, under Object Lock, shows it.
#[test]
fn the_bucket_witnesses_a_cut_or_rewritten_ledger() {
    let Some(Locked {
        s,
        ls,
        toml: _,
        cfg,
        data,
        shas,
    }) = locked_station("evidence", 2)
    else {
        return;
    };
    let clip = &shas[0][..12];
    for args in [
        vec![
            "hold",
            clip,
            "--reason",
            "complaint 2026-41",
            "--actor",
            "Chief Sun",
        ],
        vec!["view", clip, "--actor", "Insp. Ma", "--reason", "review"],
        vec!["replicate", "--json"],
        vec!["verify", "--replica", "--json"],
    ] {
        let (code, out, err) = run(&cfg, &data, &args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let (code, out) = bucket_audit(&ls.endpoint(), "evidence", &data);
    assert_eq!(code, 0, "the untouched station audits clean: {out}");
    assert!(
        out.contains("2 replicated clips checked") && !out.contains("not checked"),
        "{out}"
    );
    let pristine = s.join("pristine");
    let (code, _, _) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "checkpoint",
        "--out",
        pristine.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let copy = s.join("data-copy");
    assert!(
        Command::new("cp")
            .arg("-a")
            .arg(&data)
            .arg(&copy)
            .status()
            .unwrap()
            .success()
    );

    // Attack 1: the hold and the viewing deleted, with everything after them; checkpoints gone.
    rewrite_history(
        &data.join(camdock::station::LEDGER_FILE),
        "DELETE FROM holds; DELETE FROM events WHERE seq >= (SELECT min(seq) FROM events WHERE kind = 'hold-placed');",
    );
    let _ = std::fs::remove_dir_all(data.join("checkpoints"));
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("were cut off the station's ledger"), "{out}");
    let (code, out) = bucket_audit(&ls.endpoint(), "evidence", &data);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("were cut off the station's ledger"),
        "the auditor's script: {out}"
    );

    // Attack 2: the viewing's actor and reason rewritten, every hash after it recomputed.
    rewrite_history(
        &copy.join(camdock::station::LEDGER_FILE),
        "UPDATE events SET actor = 'nobody', detail_json = replace(detail_json, 'review', 'routine') WHERE kind = 'clip-accessed';",
    );
    let (code, out, err) = run(&cfg, &copy, &["verify", "--replica", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("(clip-accessed) in the station's ledger differs from its witnessed copy"),
        "{out}"
    );
    let (code, out) = bucket_audit(&ls.endpoint(), "evidence", &copy);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("(clip-accessed) in the station's ledger differs from its witnessed copy"),
        "the auditor's script: {out}"
    );
}

/// Issue (point 7): above the multipart threshold nothing tied the bucket's object to the clip's
/// SHA-256, and `verify --replica` skipped it. Here the parts uploaded are not the clip's bytes
/// (the store's copy was altered while it was uploaded, then put back): the replica check finds it.
#[test]
fn a_multipart_object_that_is_not_the_clip_is_caught() {
    let s = Scratch::new();
    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    create_bucket(&ls.endpoint(), "parts", true);
    let toml = replica_toml(
        &ls.endpoint(),
        "parts",
        "multipart_threshold_mb = 5\npart_size_mb = 5\n",
    );
    let cfg = config_file(s.path(), "camdock.toml", &toml);
    let data = s.join("data");
    let vol = s.join("big-cam");
    camera(&vol, "CAM-R2", 1);
    random_file(
        &vol.join("DCIM/100MEDIA/CAMR200_100234_20261123120000_0002.MP4"),
        11 << 20,
        3,
    );
    let (code, out, err) = run(&cfg, &data, &["ingest", vol.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = out;
    let found = Command::new("find")
        .arg(data.join("store/sha256"))
        .args(["-type", "f", "-size", "11M"])
        .output()
        .unwrap();
    let stored = PathBuf::from(String::from_utf8(found.stdout).unwrap().trim());
    assert!(
        stored.is_file(),
        "the stored 11 MiB clip: {}",
        stored.display()
    );
    let flip = |path: &Path| {
        let _ = Command::new("chattr").arg("-i").arg(path).status();
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        bytes[7 << 20] ^= 0xff;
        std::fs::write(path, bytes).unwrap();
    };
    flip(&stored);
    let (code, out, err) = run(&cfg, &data, &["replicate", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    flip(&stored);
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("the object is not the clip"), "{out}");
}

/// The legal hold on each of `shas`' replicas, as the bucket reports it.
fn legal_holds(data: &Path, rc: &camdock::config::ReplicaConfig, shas: &[&str]) -> Vec<bool> {
    let events = replicated_events(data);
    shas.iter()
        .map(|sha| {
            let (_, d) = events.iter().find(|(s, _)| s == sha).expect("replicated");
            let (key, version) = (d["key"].as_str().unwrap(), d["version_id"].as_str());
            block_on(|| async {
                Bucket::connect(rc)
                    .await
                    .legal_hold(key, version)
                    .await
                    .unwrap()
            })
        })
        .collect()
}

#[test]
fn the_bucket_keeps_what_the_station_keeps_by_legal_holds() {
    let Some(Locked {
        s: _s,
        ls: _ls,
        toml,
        cfg,
        data,
        shas,
    }) = locked_station("kept", 3)
    else {
        return;
    };
    let (a, b, c) = (shas[0].as_str(), shas[1].as_str(), shas[2].as_str());
    let rc = bucket_of(&toml);
    let ok = |args: &[&str]| {
        let (code, out, err) = run(&cfg, &data, args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        out
    };
    let replicate = || json(&ok(&["replicate", "--json"]))["legal_holds_changed"].clone();
    assert_eq!(replicate(), 0, "nothing kept yet");
    assert_eq!(legal_holds(&data, &rc, &[a, b, c]), [false, false, false]);

    // Evidence (a clip in a case) and a held clip: both kept beyond their retention, so both
    // replicas get a legal hold; the third stays on its retention alone.
    ok(&["tag", a, "--case", "C-7", "--actor", "Sgt. Lee"]);
    ok(&[
        "hold",
        b,
        "--reason",
        "complaint 2026-41",
        "--actor",
        "Sgt. Lee",
    ]);
    assert_eq!(replicate(), 2);
    assert_eq!(legal_holds(&data, &rc, &[a, b, c]), [true, true, false]);
    assert_eq!(replicate(), 0, "a pass changes only what changed");

    // What a legal hold is worth on its own: a clip's replica is also under COMPLIANCE retention,
    // which refuses any delete whether or not a hold is set, so the hold is tried on a version
    // with no retention: held by the station's own call, the server refuses to delete it; once
    // the call lifts the hold, the same delete goes through.
    // Whether the server deleted the version.
    let delete = |key: &str, version: &str| {
        block_on(|| async {
            let bucket = Bucket::connect(&rc).await;
            bucket
                .client()
                .delete_object()
                .bucket(&bucket.name)
                .key(key)
                .version_id(version)
                .send()
                .await
                .is_ok()
        })
    };
    let probe = "probe/legal-hold-alone";
    let version = block_on(|| async {
        let bucket = Bucket::connect(&rc).await;
        let put = bucket
            .put_bytes(probe, b"held".to_vec(), None)
            .await
            .unwrap();
        let version = put.version_id.expect("a versioned bucket");
        bucket
            .set_legal_hold(probe, Some(&version), true)
            .await
            .unwrap();
        version
    });
    assert!(
        !delete(probe, &version),
        "a version under a legal hold (and no retention) was deleted"
    );
    block_on(|| async {
        let bucket = Bucket::connect(&rc).await;
        bucket
            .set_legal_hold(probe, Some(&version), false)
            .await
            .unwrap()
    });
    assert!(
        delete(probe, &version),
        "without the hold (and no retention) the delete goes through: the hold alone refused it"
    );

    // Out of the case and released: the legal holds go, each change on the record.
    ok(&[
        "untag",
        a,
        "--case",
        "C-7",
        "--reason",
        "filed in error",
        "--actor",
        "Sgt. Lee",
    ]);
    ok(&[
        "release",
        b,
        "--reason",
        "complaint closed",
        "--actor",
        "Sgt. Lee",
    ]);
    assert_eq!(replicate(), 2);
    assert_eq!(legal_holds(&data, &rc, &[a, b, c]), [false, false, false]);
    let st = Station::open(Config::defaults(), Some(&data)).unwrap();
    let recorded: i64 = st
        .ledger()
        .conn()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'replica-hold-changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 4);
    let (code, out, err) = run(&cfg, &data, &["verify", "--replica", "--json"]);
    assert_eq!(code, 0, "verify --replica: {out}{err}");
}

/// With `[policy] wipe_waits_for_replica`, the camera keeps each clip until the bucket holds it:
/// the dock that stores the clips deletes none and says why; a dock after `camdock replicate`
/// deletes them all, and the store still verifies. Without a bucket, nothing is deleted at all.
#[test]
fn the_wipe_waits_for_the_bucket_where_the_policy_says_so() {
    let s = Scratch::new();
    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    create_bucket(&ls.endpoint(), "wipe", true);
    let policy = "\n[policy]\nwipe_after_ingest = true\nwipe_waits_for_replica = true\n";
    let cfg = config_file(
        s.path(),
        "camdock.toml",
        &replica_toml(&ls.endpoint(), "wipe", policy),
    );
    let data = s.join("data");
    let vol = s.join("cam");
    let clips = camera(&vol, "CAM-W1", 3);
    let dock = |cfg: &str, data: &Path| -> serde_json::Value {
        let (code, out, err) = run(cfg, data, &["ingest", vol.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{out}{err}");
        json(&out)
    };
    let refusals = |data: &Path| -> Vec<String> {
        let st = Station::open(Config::defaults(), Some(data)).unwrap();
        let l = st.ledger();
        let mut stmt = l
            .conn()
            .prepare(
                "SELECT detail_json FROM events WHERE kind = 'camera-wipe-refused' ORDER BY seq",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|d| json(&d.unwrap())["reason"].as_str().unwrap().to_string())
            .collect()
    };
    let first = dock(&cfg, &data);
    assert_eq!(first["stored"], 3, "{first}");
    assert_eq!(first["wiped"].as_array().unwrap().len(), 0, "{first}");
    assert!(clips.iter().all(|c| c.exists()), "the camera keeps them");
    assert!(
        refusals(&data)[0].starts_with("3 clip(s) not yet in the bucket stay on the camera"),
        "{:?}",
        refusals(&data)
    );
    let (code, out, err) = run(&cfg, &data, &["replicate"]);
    assert_eq!(code, 0, "{out}{err}");
    let second = dock(&cfg, &data);
    assert_eq!(second["wiped"].as_array().unwrap().len(), 3, "{second}");
    assert!(clips.iter().all(|c| !c.exists()), "in the bucket: deleted");
    assert_eq!(
        refusals(&data).len(),
        1,
        "nothing refused at the second dock"
    );
    let (code, out, err) = run(&cfg, &data, &["verify"]);
    assert_eq!(code, 0, "{out}{err}");

    // The same policy on a station that replicates to no bucket: nothing is ever deleted.
    let alone = config_file(s.path(), "alone.toml", policy);
    let data = s.join("alone");
    let clips = camera(&vol, "CAM-W1", 2);
    dock(&alone, &data);
    assert!(clips.iter().all(|c| c.exists()));
    assert!(
        refusals(&data)[0].contains("replicates to none"),
        "{:?}",
        refusals(&data)
    );
}
