//! The bureau's hub on real parts: LocalStack (S3 with Object Lock and versions) shared by three
//! stations that ingest and replicate as they do in service, and a PostgreSQL of the test's own
//! (Debian's server binaries, a Unix socket). The hub follows only enrolled stations, loads every
//! event a station signed once and nothing it did not (an event chained to its public head by
//! someone without its key), raises an alarm naming station and seq when a segment is rewritten
//! (a new version of a locked object, a new key), keeps one fleet across the stations (a camera
//! undocked at one and docked at another is judged from its last undock anywhere, and the station
//! it left closes its overdue episode on record from the hub's signed statement, never from a
//! forged or stale one), raises a station's silence and a clip not replicated in time once, and a
//! rebuild into an empty database from the bucket alone gives the same projection.

mod common;

use camdock::replica::block_on;
use camdock::replica::s3::Bucket;
use camdock_record::chain::{EventFields, event_hash};
use camdock_record::segment;
use common::localstack::LocalStack;
use common::*;
use serde_json::Value;
use std::path::Path;

const BUCKET: &str = "bureau";

/// A station's config (`hub_db` "") or the hub's; `hub_key`, the hub's statement key a station
/// holds.
fn toml(endpoint: &str, station: &str, hub_db: &str, hub_key: &str) -> String {
    format!(
        "[station]\nid = \"{station}\"\nopen = true\n\n[replica]\nenabled = true\nendpoint = \"{endpoint}\"\nbucket = \"{BUCKET}\"\naccess_key = \"test\"\nsecret_key = \"test\"\nretry_base = \"1ms\"\n\n[hub]\ndatabase = \"{hub_db}\"\npublic_key = \"{hub_key}\"\n"
    )
}

fn with(cfg: &Path, data: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--config", cfg.to_str().unwrap()];
    if let Some(d) = data {
        all.extend_from_slice(&["--data-dir", d.to_str().unwrap()]);
    }
    all.extend_from_slice(args);
    camdock(&all)
}

/// camdock at a station with its clock moved by `shift` (faketime: "-2d", "-25h"), which must
/// succeed.
fn ago(shift: &str, cfg: &Path, data: &Path, args: &[&str]) {
    let out = std::process::Command::new("faketime")
        .args(["-f", shift, bin(), "--config"])
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} at {shift}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ok(cfg: &Path, data: Option<&Path>, args: &[&str]) -> String {
    let (code, out, err) = with(cfg, data, args);
    assert_eq!(code, 0, "camdock {args:?}: {out}{err}");
    out
}

#[test]
fn the_hub_loads_enrolled_stations_once_alarms_on_a_rewritten_segment_and_rebuilds_the_same() {
    let Some(pg_bin) = camdock_testkit::postgres().find("the bureau's hub (tests/hub.rs)") else {
        return;
    };
    let s = Scratch::new();
    let Some(ls) = LocalStack::start(s.path()) else {
        return;
    };
    let pg = camdock_testkit::TempPostgres::start(&pg_bin, &s.join("pg"));
    pg.create_database("rebuilt");
    let endpoint = ls.endpoint();
    let hub_cfg = s.join("hub.toml");
    std::fs::write(&hub_cfg, toml(&endpoint, "hub", &pg.url(), "")).unwrap();
    let replica = config(&toml(&endpoint, "hub", "", "")).replica;
    // The hub's data directory holds its statement key; each station is given the public half.
    let hub_data = s.join("hub-data");
    let hub_dir = Some(hub_data.as_path());
    let hub_key = ok(&hub_cfg, hub_dir, &["hub", "key"]).trim().to_string();
    assert_eq!(hub_key.len(), 64, "{hub_key}");
    block_on(|| async {
        Bucket::connect(&replica)
            .await
            .client()
            .create_bucket()
            .bucket(BUCKET)
            .object_lock_enabled_for_bucket(true)
            .send()
            .await
            .expect("bucket created");
    });

    // Three stations, a camera docked at each, each replicating to the bureau's bucket. At
    // station-c one stored clip is damaged before its first pass, so the bucket refuses it (its
    // SHA-256 differs) and it is never replicated, while the ledger is.
    let mut stations = Vec::new();
    let mut unreplicated = String::new();
    for (name, serial) in [
        ("station-a", "7100001"),
        ("station-b", "7100002"),
        ("station-c", "7100005"),
    ] {
        let cfg = s.join(&format!("{name}.toml"));
        std::fs::write(&cfg, toml(&endpoint, name, "", &hub_key)).unwrap();
        let data = s.join(name);
        let vol = s.join(serial);
        camera(&vol, serial, 2);
        ok(&cfg, Some(&data), &["ingest", vol.to_str().unwrap()]);
        if name == "station-c" {
            let found = std::process::Command::new("find")
                .arg(data.join("store/sha256"))
                .args(["-type", "f"])
                .output()
                .unwrap();
            let stored = String::from_utf8(found.stdout).unwrap();
            let stored = Path::new(stored.lines().next().expect("a stored clip"));
            unreplicated = stored.file_stem().unwrap().to_str().unwrap().to_string();
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(stored)
                .status();
            std::fs::set_permissions(stored, std::os::unix::fs::PermissionsExt::from_mode(0o644))
                .unwrap();
            let mut bytes = std::fs::read(stored).unwrap();
            bytes[100] ^= 0xff;
            std::fs::write(stored, bytes).unwrap();
            let (code, out, err) = with(&cfg, Some(&data), &["replicate"]);
            assert_eq!(code, 1, "{out}{err}");
            assert!(out.contains(&unreplicated), "{out}");
        } else {
            ok(&cfg, Some(&data), &["replicate"]);
        }
        let key: Value = serde_json::from_str(&ok(&cfg, Some(&data), &["key", "--json"])).unwrap();
        assert_eq!(key["station"], name);
        stations.push((
            name,
            cfg,
            data,
            key["public_key"].as_str().unwrap().to_string(),
        ));
    }
    // What the station has signed in the bucket: its newest checkpoint's event.
    let signed_seq = |station: &str| -> i64 {
        block_on(|| async {
            let keys = Bucket::connect(&replica)
                .await
                .list(&segment::checkpoints_prefix(station))
                .await
                .unwrap();
            let last = keys.last().expect("checkpoints in the bucket").clone();
            last.rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".json")
                .parse()
                .unwrap()
        })
    };
    let put = |key: &str, body: Vec<u8>| {
        block_on(|| async {
            Bucket::connect(&replica)
                .await
                .put_bytes(key, body, None)
                .await
                .expect("the bucket takes it")
        });
    };

    // Only station-a enrolled: station-b is not followed.
    let (name_a, _, _, key_a) = &stations[0];
    ok(
        &hub_cfg,
        hub_dir,
        &["hub", "enrol", name_a, "--key", key_a, "--unit", "squad 1"],
    );
    let passes: Value =
        serde_json::from_str(&ok(&hub_cfg, hub_dir, &["hub", "sync", "--json"])).unwrap();
    assert_eq!(passes.as_array().unwrap().len(), 1, "{passes}");
    // Every event the station signed, and nothing it has not.
    assert!(signed_seq("station-a") > 5);
    assert_eq!(
        passes[0]["events"].as_i64().unwrap(),
        signed_seq("station-a")
    );
    assert_eq!(passes[0]["head"].as_i64().unwrap(), signed_seq("station-a"));
    // Every clip it replicated looked at in the bucket, each as its ledger records it.
    let replicated_a: i64 =
        rusqlite::Connection::open(stations[0].2.join(camdock::station::LEDGER_FILE))
            .unwrap()
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'clip-replicated' AND seq <= ?1",
                [signed_seq("station-a")],
                |r| r.get(0),
            )
            .unwrap();
    assert!(replicated_a > 0);
    assert_eq!(passes[0]["clips_checked"].as_i64().unwrap(), replicated_a);
    assert_eq!(passes[0]["alarms"], serde_json::json!([]), "{passes}");
    let (name_b, cfg_b, data_b, key_b) = &stations[1];
    let (code, _, err) = with(
        &hub_cfg,
        hub_dir,
        &["hub", "enrol", name_a, "--key", key_b, "--unit", "squad 1"],
    );
    assert_eq!(
        code, 1,
        "another key for an enrolled station is refused: {err}"
    );
    assert!(err.contains("another key"), "{err}");
    ok(
        &hub_cfg,
        hub_dir,
        &["hub", "enrol", name_b, "--key", key_b, "--unit", "squad 2"],
    );
    let (name_c, _, _, key_c) = &stations[2];
    ok(
        &hub_cfg,
        hub_dir,
        &["hub", "enrol", name_c, "--key", key_c, "--unit", "squad 2"],
    );
    let b_head = |passes: &Value| -> i64 {
        passes
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["station"] == "station-b")
            .unwrap()["head"]
            .as_i64()
            .unwrap()
    };
    let first_b: Value =
        serde_json::from_str(&ok(&hub_cfg, hub_dir, &["hub", "sync", "--json"])).unwrap();
    let head_b = b_head(&first_b);
    assert_eq!(head_b, signed_seq("station-b"));
    // An insider with the bucket's credentials but not the station's key chains a forged event
    // to station-b's public head, under a key of its own: not loaded.
    let tip = block_on(|| async {
        let keys = Bucket::connect(&replica)
            .await
            .list(&segment::segments_prefix("station-b"))
            .await
            .unwrap();
        let mut events = Vec::new();
        for k in keys {
            let body = Bucket::connect(&replica).await.get(&k).await.unwrap();
            events.extend(segment::decode(&body).map(Result::unwrap));
        }
        events.into_iter().find(|e| e.seq == head_b).unwrap()
    });
    let mut forged = tip.clone();
    forged.seq = head_b + 1;
    forged.kind = "camera-undocked".into();
    forged.actor = "station-b".into();
    forged.at = "9999-01-01T00:00:00.000Z".into();
    forged.prev_hash = tip.hash.clone();
    forged.hash = event_hash(&EventFields::of(&forged), &tip.hash);
    let forged_key = segment::segment_key("station-b", head_b + 1, head_b + 1);
    put(&forged_key, segment::encode(&[forged]));
    let after: Value =
        serde_json::from_str(&ok(&hub_cfg, hub_dir, &["hub", "sync", "--json"])).unwrap();
    assert_eq!(
        b_head(&after),
        head_b,
        "the forged event is not loaded: {after}"
    );
    // More at station-b since: its own events load past the forgery, which is named where it is;
    // a repeated pass loads nothing.
    let vol = s.join("7100003");
    camera(&vol, "7100003", 1);
    ok(cfg_b, Some(data_b), &["ingest", vol.to_str().unwrap()]);
    ok(cfg_b, Some(data_b), &["replicate"]);
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        b_head(&serde_json::from_str(&out).unwrap()),
        signed_seq("station-b")
    );
    let again: Value =
        serde_json::from_str(&ok(&hub_cfg, hub_dir, &["hub", "sync", "--json"])).unwrap();
    assert!(
        again.as_array().unwrap().iter().all(|p| p["events"] == 0),
        "{again}"
    );
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "alarms", "--json"]);
    assert_eq!(code, 1);
    let alarms: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(alarms.as_array().unwrap().len(), 1, "{alarms}");
    assert_eq!(
        (
            alarms[0]["station"].as_str(),
            alarms[0]["code"].as_str(),
            alarms[0]["seq"].as_i64()
        ),
        (Some("station-b"), Some("rewritten"), Some(head_b + 1)),
    );
    assert_eq!(alarms[0]["alarm"]["key"], forged_key.as_str());

    // Custody across stations: camera 7100009 undocked at station-b two days ago (faketime moves
    // that ingest's clock back), docked at station-a now. Station-b alone judges it overdue; the
    // bureau sees it back at station-a (though station-b's events load after station-a's), and
    // judges it from its last undock anywhere.
    let (_, cfg_a, data_a, _) = &stations[0];
    let vol = s.join("7100009");
    camera(&vol, "7100009", 1);
    ago("-2d", cfg_b, data_b, &["ingest", vol.to_str().unwrap()]);
    // Its battery ran down since: station-a reads 12 %, and says why it needs attention.
    let device = vol.join("DEVICE.TXT");
    let read = std::fs::read_to_string(&device).unwrap();
    assert!(read.contains("battery=87\n"), "{read}");
    std::fs::write(&device, read.replace("battery=87\n", "battery=12\n")).unwrap();
    ok(cfg_a, Some(data_a), &["ingest", vol.to_str().unwrap()]);
    ok(cfg_a, Some(data_a), &["replicate"]);
    ok(cfg_b, Some(data_b), &["replicate"]);
    let at_b: Value =
        serde_json::from_str(&ok(cfg_b, Some(data_b), &["overdue", "--json"])).unwrap();
    assert!(
        at_b.to_string().contains("7100009"),
        "station-b alone: overdue {at_b}"
    );
    ok(&hub_cfg, hub_dir, &["hub", "sync"]);
    let fleet = |at: Option<String>| -> Value {
        let mut args = vec!["hub", "fleet", "--json"];
        if let Some(at) = &at {
            args.extend_from_slice(&["--at", at]);
        }
        let all: Value = serde_json::from_str(&ok(&hub_cfg, hub_dir, &args)).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|c| c["camera"] == "7100009")
            .expect("in the bureau's fleet")
            .clone()
    };
    let now = fleet(None);
    assert_eq!(now["docked_station"], "station-a", "{now}");
    assert_eq!(now["undocked_station"], "station-a", "{now}");
    assert_eq!(now["overdue"], false, "{now}");
    // Its battery, clock and attention as last read anywhere (station-a's, though station-b's
    // older reading loaded after it).
    assert_eq!(now["health"]["station"], "station-a", "{now}");
    assert_eq!(now["health"]["battery_percent"], 12, "{now}");
    assert_eq!(
        now["health"]["attention"][0]["code"], "low-battery",
        "{now}"
    );
    assert_eq!(now["clock"]["within_tolerance"], true, "{now}");
    let later = |hours: i64| {
        Some(camdock::time::stamp(
            chrono::Utc::now() + chrono::Duration::hours(hours),
        ))
    };
    assert_eq!(fleet(later(23))["overdue"], false);
    assert_eq!(
        fleet(later(25))["overdue"],
        true,
        "overdue from its last undock anywhere"
    );

    // Station-b closes its episode from the hub's signed statement, and from nothing else: not
    // from a statement older than it allows, not from one signed by another key.
    let overdue_at_b =
        || -> bool { ok(cfg_b, Some(data_b), &["overdue", "--json"]).contains("7100009") };
    let replicate_b = |cfg: &Path| -> Value {
        let (code, out, err) = with(cfg, Some(data_b), &["replicate", "--json"]);
        assert_eq!(code, 0, "a statement refused fails no pass: {out}{err}");
        serde_json::from_str::<Value>(&out).unwrap_or_else(|_| panic!("{out}{err}"))["returns"]
            .clone()
    };
    let strict_b = s.join("station-b-strict.toml");
    std::fs::write(
        &strict_b,
        toml(&endpoint, "station-b", "", &hub_key) + "statement_stale_after = \"1ms\"\n",
    )
    .unwrap();
    // A pass at station-b that refuses the statement for `why` and leaves the camera overdue.
    let refused = |cfg: &Path, why: &str| {
        let read = replicate_b(cfg);
        assert!(read["refused"].as_str().unwrap().contains(why), "{read}");
        assert!(overdue_at_b(), "a statement refused ({why}) closes nothing");
    };
    refused(&strict_b, "stale");
    let statement_key = camdock_record::returns::statement_key("station-b");
    let genuine: camdock_record::returns::ReturnsStatement = serde_json::from_slice(
        &block_on(|| async { Bucket::connect(&replica).await.get(&statement_key).await }).unwrap(),
    )
    .unwrap();
    assert_eq!(genuine.body.returns.len(), 1, "{genuine:?}");
    assert_eq!(genuine.body.returns[0].docked_station, "station-a");
    // Station-a's genuine statement put where station-b's is: signed, but not addressed to it.
    let for_a = block_on(|| async {
        Bucket::connect(&replica)
            .await
            .get(&camdock_record::returns::statement_key("station-a"))
            .await
    })
    .unwrap();
    put(&statement_key, for_a);
    refused(cfg_b, "addressed to station station-a");
    let insider = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let mut forged_body = genuine.body.clone();
    forged_body.issued_at = camdock::time::stamp(chrono::Utc::now());
    let forged = camdock_record::returns::ReturnsStatement::sign(&insider, forged_body);
    put(&statement_key, serde_json::to_vec(&forged).unwrap());
    refused(cfg_b, "not signed by the hub's key");
    // The hub sees its statement written over: an alarm, and the statement published again.
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("statement-replaced"), "{out}");
    let closed = replicate_b(cfg_b);
    assert_eq!(closed["closed"], serde_json::json!(["7100009"]), "{closed}");
    assert!(!overdue_at_b(), "back at station-a, by the hub's statement");
    let at_b: Value = serde_json::from_str(&ok(cfg_b, Some(data_b), &["fleet", "--json"])).unwrap();
    let seen = at_b
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["camera"] == "7100009")
        .unwrap();
    assert_eq!(seen["state"], "elsewhere", "{seen}");
    assert_eq!(seen["returned_elsewhere"]["docked_station"], "station-a");
    // A new camera handed out at station-c's desk (never docked there: a checkout, 25 hours ago)
    // and docked at station-a since: its episode began with the checkout, and the hub's statement
    // closes it too.
    let (_, cfg_c, data_c, _) = &stations[2];
    ago(
        "-25h",
        cfg_c,
        data_c,
        &["assign", "7100006", "--officer", "100777"],
    );
    let overdue_at_c = || ok(cfg_c, Some(data_c), &["overdue", "--json"]).contains("\"7100006\"");
    assert!(overdue_at_c(), "checked out 25 h ago at station-c");
    let vol = s.join("7100006");
    camera(&vol, "7100006", 1);
    ok(cfg_a, Some(data_a), &["ingest", vol.to_str().unwrap()]);
    ok(cfg_a, Some(data_a), &["replicate"]);
    // Station-c's damaged clip fails each of its passes; the rest of the pass is done.
    let replicate_c = || with(cfg_c, Some(data_c), &["replicate", "--json"]).1;
    replicate_c();
    ok(&hub_cfg, hub_dir, &["hub", "sync"]);
    let read: Value = serde_json::from_str(&replicate_c()).unwrap();
    assert_eq!(
        read["returns"]["closed"],
        serde_json::json!(["7100006"]),
        "{read}"
    );
    assert!(!overdue_at_c(), "back at station-a, by the hub's statement");

    // On station-b's own ledger, once: a second pass closes nothing again.
    assert_eq!(replicate_b(cfg_b)["closed"], serde_json::json!([]));
    let ledger = rusqlite::Connection::open(data_b.join(camdock::station::LEDGER_FILE)).unwrap();
    let returned: Vec<(String, String)> = ledger
        .prepare(
            "SELECT camera, json_extract(detail_json, '$.docked_station') FROM events
             WHERE kind = 'camera-returned-elsewhere'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(returned, [("7100009".to_string(), "station-a".to_string())]);
    // The hub's alarms of one kind on record.
    let alarms_coded = |code: &str| -> Vec<Value> {
        let (_, out, _) = with(&hub_cfg, hub_dir, &["hub", "alarms", "--json"]);
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["code"] == code)
            .cloned()
            .collect()
    };
    // The hub judged that return (its own statement's) and found it shown.
    assert_eq!(alarms_coded("return-not-shown"), Vec::<Value>::new());
    // Station-b's admin, with the station's ledger and key, appends two returns the hub never
    // stated: a copy of the genuine one (its undock is no longer the camera's latest episode
    // event: the return itself came after it), and one whose dock at station-c never happened.
    // The ledger takes them and the station signs them, but the hub names both.
    let (genuine_seq, genuine_camera, genuine_detail): (i64, String, String) = ledger
        .query_row(
            "SELECT seq, camera, detail_json FROM events WHERE kind = 'camera-returned-elsewhere'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let (undocked_seq, undocked_at, forged_camera): (i64, String, String) = ledger
        .query_row(
            "SELECT seq, at, camera FROM events u WHERE kind = 'camera-undocked' AND NOT EXISTS (
                 SELECT 1 FROM events x WHERE x.camera = u.camera AND x.seq > u.seq AND x.kind IN
                     ('camera-docked', 'camera-undocked', 'camera-assigned', 'camera-returned-elsewhere'))
             ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    drop(ledger);
    let docked_at = camdock::time::stamp(chrono::Utc::now());
    use camdock_record::detail::CameraReturnedElsewhereDetail;
    let copied: CameraReturnedElsewhereDetail = serde_json::from_str(&genuine_detail).unwrap();
    let mut ledger_b =
        camdock::ledger::Ledger::open(&data_b.join(camdock::station::LEDGER_FILE), "station-b")
            .unwrap();
    let mut append_return = |camera: &str, detail: &CameraReturnedElsewhereDetail| -> i64 {
        ledger_b
            .append(
                camdock::ledger::NewEvent::new(
                    camdock_record::kind::EventKind::CameraReturnedElsewhere,
                    "station-b",
                )
                .camera(camera)
                .typed(detail),
            )
            .unwrap()
    };
    let copied_seq = append_return(&genuine_camera, &copied);
    let forged_seq = append_return(
        &forged_camera,
        &CameraReturnedElsewhereDetail {
            undocked_seq,
            undocked_at,
            docked_station: "station-c".into(),
            docked_at: docked_at.clone(),
            statement_issued_at: docked_at.clone(),
            statement_sha256: "0".repeat(64),
        },
    );
    drop(ledger_b);
    ok(cfg_b, Some(data_b), &["replicate"]);
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    let not_shown = alarms_coded("return-not-shown");
    assert_eq!(not_shown.len(), 2, "{not_shown:?}");
    assert!(
        not_shown.iter().all(|a| a["station"] == "station-b"),
        "{not_shown:?}"
    );
    assert_eq!(not_shown[0]["seq"], copied_seq);
    assert_eq!(not_shown[0]["alarm"]["camera"], genuine_camera.as_str());
    assert_eq!(
        not_shown[0]["alarm"]["why"],
        serde_json::json!({
            "fault": "not-latest", "undocked_seq": copied.undocked_seq,
            "kind": "camera-returned-elsewhere", "seq": genuine_seq,
        })
    );
    assert!(
        not_shown[0]["says"].as_str().unwrap().ends_with(&format!(
            "camera-returned-elsewhere {genuine_seq} came after it"
        )),
        "{not_shown:?}"
    );
    assert_eq!(not_shown[1]["seq"], forged_seq);
    assert_eq!(not_shown[1]["alarm"]["camera"], forged_camera.as_str());
    assert_eq!(
        not_shown[1]["alarm"]["why"],
        serde_json::json!({ "fault": "no-dock", "station": "station-c", "at": docked_at })
    );
    assert!(
        not_shown[1]["says"].as_str().unwrap().ends_with(&format!(
            "station-c's chain has no dock of it at {docked_at}"
        )),
        "{not_shown:?}"
    );

    // Station-a's clock set a month ahead (a clip tagged there, and its replication pass, which
    // signs a checkpoint): by its own stamps it would never fall silent; the hub judges silence by
    // its own clock as well (below).
    let clip_a: String = rusqlite::Connection::open(data_a.join(camdock::station::LEDGER_FILE))
        .unwrap()
        .query_row(
            "SELECT clip_sha256 FROM events WHERE kind = 'clip-stored' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    ago(
        "+30d",
        cfg_a,
        data_a,
        &["tag", &clip_a, "--matter", "clock ahead"],
    );
    ago("+30d", cfg_a, data_a, &["replicate"]);
    let newest_a: String = rusqlite::Connection::open(data_a.join(camdock::station::LEDGER_FILE))
        .unwrap()
        .query_row("SELECT at FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        newest_a > camdock::time::stamp(chrono::Utc::now() + chrono::Duration::days(29)),
        "station-a's newest event is the one stamped ahead: {newest_a}"
    );

    // Station-a's first segment rewritten: a new version of the locked object, event 2's actor
    // changed and its hash recomputed (so the chain within the object still holds).
    let first_key = block_on(|| async {
        Bucket::connect(&replica)
            .await
            .list(&segment::segments_prefix("station-a"))
            .await
            .unwrap()[0]
            .clone()
    });
    let body = block_on(|| async {
        Bucket::connect(&replica)
            .await
            .get(&first_key)
            .await
            .unwrap()
    });
    let mut events: Vec<_> = segment::decode(&body).map(Result::unwrap).collect();
    events[1].actor = "someone else".into();
    events[1].hash = event_hash(&EventFields::of(&events[1]), &events[1].prev_hash);
    let forged = segment::encode(&events);
    block_on(|| async {
        Bucket::connect(&replica)
            .await
            .put_bytes(&first_key, forged, None)
            .await
            .expect("a new version is accepted")
    });
    // A pass lists only the keys after those it has settled: the rewrite sorts before them, and
    // is found when the station's objects are next listed whole (`sweep_every`).
    // A pass with `flags`: its exit code, and whether every station's pass listed everything.
    let pass_sweeping = |flags: &[&str], code: i32, swept: bool| {
        let (c, out, _) = with(
            &hub_cfg,
            hub_dir,
            &[&["hub", "sync", "--json"], flags].concat(),
        );
        assert_eq!(c, code, "a pass that raises an alarm says so: {out}");
        let passes: Value = serde_json::from_str(&out).unwrap();
        assert!(
            passes
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["swept"] == swept),
            "{passes}"
        );
    };
    pass_sweeping(&[], 0, false);
    pass_sweeping(&["--sweep"], 1, true);
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "alarms", "--json"]);
    assert_eq!(code, 1);
    let alarms: Value = serde_json::from_str(&out).unwrap();
    let alarms: Vec<&Value> = alarms
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["station"] == "station-a")
        .collect();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    assert_eq!(
        (
            alarms[0]["station"].as_str(),
            alarms[0]["code"].as_str(),
            alarms[0]["seq"].as_i64()
        ),
        (Some("station-a"), Some("rewritten"), Some(events[1].seq)),
        "{alarms:?}"
    );
    assert_eq!(alarms[0]["alarm"]["key"], first_key.as_str());
    let (_, text, _) = with(&hub_cfg, hub_dir, &["hub", "alarms"]);
    assert!(
        text.contains("station-a") && text.contains(&format!("event {}", events[1].seq)),
        "{text}"
    );

    // One of station-a's clips written over in the bucket (a new version over the locked one):
    // the ledger's version still holds the clip, but a read of the key gets other bytes. The
    // hub looks again once `recheck_objects_after` has passed, and names clip, key and version.
    let (clip_seq, clip, clip_key): (i64, String, String) =
        rusqlite::Connection::open(stations[0].2.join(camdock::station::LEDGER_FILE))
            .unwrap()
            .query_row(
                "SELECT seq, clip_sha256, json_extract(detail_json, '$.key') FROM events
                 WHERE kind = 'clip-replicated' ORDER BY seq LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
    let over = block_on(|| async {
        Bucket::connect(&replica)
            .await
            .put_bytes(&clip_key, b"not the clip".to_vec(), None)
            .await
            .expect("a new version is accepted")
    });
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 0, "looked at once already, not yet again: {out}");
    let recheck_cfg = s.join("recheck.toml");
    std::fs::write(
        &recheck_cfg,
        std::fs::read_to_string(&hub_cfg).unwrap() + "recheck_objects_after = \"0s\"\n",
    )
    .unwrap();
    let (code, out, _) = with(&recheck_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    let differs = alarms_coded("object-differs");
    assert_eq!(differs.len(), 1, "{differs:?}");
    assert_eq!(differs[0]["station"], "station-a");
    assert_eq!(differs[0]["seq"], clip_seq);
    assert_eq!(
        differs[0]["alarm"],
        serde_json::json!({
            "alarm": "object-differs", "clip": clip, "seq": clip_seq, "key": clip_key,
            "fault": { "fault": "written-over", "version": over.version_id },
        })
    );
    let (_, text, _) = with(&hub_cfg, hub_dir, &["hub", "alarms"]);
    assert!(text.contains(&format!("{clip} at {clip_key}")), "{text}");

    // One of station-c's segments deleted without a version: Object Lock keeps every version,
    // but a delete marker hides the key from a plain read. The hub names key and marker.
    let hidden_key = block_on(|| async {
        let bucket = Bucket::connect(&replica).await;
        let key = bucket
            .list(&segment::segments_prefix("station-c"))
            .await
            .unwrap()[0]
            .clone();
        let marker = bucket
            .client()
            .delete_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .expect("a delete marker is accepted");
        assert_eq!(marker.delete_marker(), Some(true));
        key
    });
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--sweep", "--json"]);
    assert_eq!(code, 1, "{out}");
    let hidden = alarms_coded("hidden");
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    assert_eq!(
        (&hidden[0]["station"], &hidden[0]["alarm"]["key"]),
        (&Value::from("station-c"), &Value::from(hidden_key.as_str()))
    );

    // Rebuilt from the bucket alone into an empty database: the same projection.
    let digest = ok(&hub_cfg, hub_dir, &["hub", "digest"]);
    let rebuilt_cfg = s.join("rebuilt.toml");
    std::fs::write(
        &rebuilt_cfg,
        toml(&endpoint, "hub", &pg.url_of("rebuilt"), ""),
    )
    .unwrap();
    // Someone with the bucket swaps station-b's enrolled key for one of their own before the
    // rebuild: not signed by the hub's key, so the rebuild says so and follows the key the hub
    // signed.
    let swapped = serde_json::json!({
        "station": "station-b",
        "unit": "squad 2",
        "public_key": hex::encode(ed25519_dalek::SigningKey::from_bytes(&[9; 32]).verifying_key().to_bytes()),
        "signature": "00",
    });
    put(
        "hub/stations/station-b.json",
        serde_json::to_vec(&swapped).unwrap(),
    );
    let (code, out, err) = with(&rebuilt_cfg, hub_dir, &["hub", "rebuild"]);
    assert!(
        out.contains("station-b.json version(s)")
            && out.contains("not signed by this hub's key: followed as the hub last signed it"),
        "{out}{err}"
    );
    assert_eq!(
        code, 1,
        "the rebuild finds the rewritten segment too: {out}{err}"
    );
    assert_eq!(ok(&rebuilt_cfg, hub_dir, &["hub", "digest"]), digest);

    // Silence: with a hub that allows five seconds, a pass six seconds after the stations' last
    // events raises one alarm per station, once; a station that writes again is not silent.
    let strict_cfg = s.join("strict.toml");
    std::fs::write(
        &strict_cfg,
        toml(&endpoint, "hub", &pg.url_of("rebuilt"), "")
            + "silent_after = \"5s\"\nreplicate_within = \"5s\"\n",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(6));
    let (code, out, _) = with(&strict_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    let silent = |passes: &Value| -> Vec<String> {
        passes
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["alarms"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["alarm"] == "silent")
            })
            .map(|p| p["station"].as_str().unwrap().to_string())
            .collect()
    };
    let passes: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(silent(&passes), ["station-a", "station-b", "station-c"]);
    // Station-a's by the hub's clock: the hub holds its last event as stamped, a month ahead.
    let since_a = passes
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["station"] == "station-a")
        .and_then(|p| {
            p["alarms"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["alarm"] == "silent")
        })
        .unwrap()["since"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        since_a > camdock::time::stamp(chrono::Utc::now() + chrono::Duration::days(29)),
        "{since_a}"
    );
    // Station-c's damaged clip, stored and never replicated: its alarm names it, and it is the
    // station's backlog.
    let c = passes
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["station"] == "station-c")
        .unwrap();
    assert_eq!(c["backlog"], 1, "{c}");
    let late: Vec<&Value> = c["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["alarm"] == "unreplicated")
        .collect();
    assert_eq!(late.len(), 1, "{c}");
    assert_eq!(late[0]["clip"], unreplicated.as_str());
    let vol = s.join("7100004");
    camera(&vol, "7100004", 1);
    ok(cfg_b, Some(data_b), &["ingest", vol.to_str().unwrap()]);
    ok(cfg_b, Some(data_b), &["replicate"]);
    let (code, out, _) = with(&strict_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(
        code, 0,
        "station-a's and station-c's silence and the clip are on record once, station-b spoke: {out}"
    );
    let (_, out, _) = with(&strict_cfg, hub_dir, &["hub", "alarms", "--json"]);
    let codes: Vec<(String, String)> = serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["station"].as_str().unwrap().into(),
                a["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("station-a", "rewritten"),
            ("station-b", "rewritten"),
            ("station-c", "hidden"),
            ("station-b", "return-not-shown"),
            ("station-b", "return-not-shown"),
            ("station-a", "object-differs"),
            ("station-a", "silent"),
            ("station-b", "silent"),
            ("station-c", "silent"),
            ("station-c", "unreplicated"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
    );

    // An auditor with the bucket and the hub's public key alone: the tampering above is named
    // (both rewritten segments, the swapped enrolment, station-c's hidden segment, station-b's
    // forged return, the two
    // statements put at station-b's key that are not the hub's for it), and the hub's genuine
    // statements, every version, hold.
    let audit = |expect: i32| -> Vec<Value> {
        let (code, out, err) = camdock(&[
            "--config",
            hub_cfg.to_str().unwrap(),
            "hub",
            "audit",
            "--hub-key",
            &hub_key,
            "--json",
        ]);
        assert_eq!(code, expect, "{out}{err}");
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let found = audit(1);
    let named: Vec<(String, String)> = found
        .iter()
        .map(|f| {
            (
                f["finding"].as_str().unwrap().to_string(),
                f["station"]
                    .as_str()
                    .or(f["key"].as_str())
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("station", "station-a"),
            ("enrolment-not-signed", "hub/stations/station-b.json"),
            ("station", "station-b"),
            ("station", "station-c"),
            ("station", "station-b"),
            ("station", "station-b"),
            ("statement-refused", "hub/returns/station-b.json"),
            ("statement-refused", "hub/returns/station-b.json"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "{found:?}"
    );
    assert_eq!(found[3]["alarm"]["alarm"], "hidden", "{found:?}");
    assert_eq!(found[4]["alarm"]["alarm"], "return-not-shown", "{found:?}");
    assert_eq!(found[4]["alarm"]["seq"], copied_seq);
    assert_eq!(found[5]["alarm"]["alarm"], "return-not-shown", "{found:?}");
    assert_eq!(found[5]["alarm"]["seq"], forged_seq);
    // A hub whose database was altered signs what it is told: a return the chains do not show,
    // under the hub's own key, is named.
    let hub_secret = camdock::keys::HubKey::load_or_create(&hub_data)
        .unwrap()
        .signing_key();
    let told = camdock_record::returns::ReturnsStatement::sign(
        &hub_secret,
        camdock_record::returns::ReturnsBody {
            station: "station-c".into(),
            issued_at: camdock::time::stamp(chrono::Utc::now()),
            returns: vec![camdock_record::returns::Return {
                camera: "7100005".into(),
                undocked_seq: 3,
                undocked_at: "2026-12-01T00:00:00.000Z".into(),
                docked_station: "station-a".into(),
                docked_at: "2026-12-02T00:00:00.000Z".into(),
            }],
        },
    );
    put(
        &camdock_record::returns::statement_key("station-c"),
        serde_json::to_vec(&told).unwrap(),
    );
    let found = audit(1);
    let untrue: Vec<&Value> = found
        .iter()
        .filter(|f| f["finding"] == "return-not-shown")
        .collect();
    assert_eq!(untrue.len(), 1, "{found:?}");
    assert_eq!(
        (untrue[0]["station"].as_str(), untrue[0]["camera"].as_str()),
        (Some("station-c"), Some("7100005"))
    );

    // The hub's dashboard, on the rebuilt projection: a camera undocked at station-a 30 hours ago
    // (by its clock under faketime) and docked nowhere since is overdue across the bureau.
    let vol = s.join("7100007");
    camera(&vol, "7100007", 1);
    ago("-30h", cfg_a, data_a, &["ingest", vol.to_str().unwrap()]);
    ok(cfg_a, Some(data_a), &["replicate"]);
    // One of station-b's clips is tagged to a case there: the bureau's search finds it by case.
    let listed: Value = serde_json::from_str(&ok(
        cfg_b,
        Some(data_b),
        &["clips", "--camera", "7100002", "--json"],
    ))
    .unwrap();
    let tagged = listed[0]["sha256"].as_str().unwrap().to_string();
    ok(cfg_b, Some(data_b), &["tag", &tagged, "--case", "CASE-20"]);
    ok(cfg_b, Some(data_b), &["replicate"]);
    with(&strict_cfg, hub_dir, &["hub", "sync"]);

    // Objects planted where they sort after every key station-b exports next (its newest
    // checkpoint copied under a far seq's key, a misnamed segment) are named, and do not carry
    // the hub's listing cursor past its next exports: those load at the next pass, not at the
    // next sweep.
    let signed_b = || -> i64 {
        rusqlite::Connection::open(data_b.join(camdock::station::LEDGER_FILE))
            .unwrap()
            .query_row(
                "SELECT max(json_extract(detail_json, '$.seq')) FROM events WHERE kind = 'checkpoint'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let newest_b = segment::checkpoint_key("station-b", signed_b());
    let copied = block_on(|| async {
        Bucket::connect(&replica)
            .await
            .get(&newest_b)
            .await
            .unwrap()
    });
    let planted_checkpoint = segment::checkpoint_key("station-b", 999_999_999_999);
    let planted_segment = segment::segment_key("station-b", 999_999_999_999, 999_999_999_999);
    put(&planted_checkpoint, copied);
    put(&planted_segment, b"not a segment".to_vec());
    let b_pass = |out: &str| -> Value {
        serde_json::from_str::<Value>(out)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["station"] == "station-b")
            .unwrap()
            .clone()
    };
    let (code, out, _) = with(&hub_cfg, hub_dir, &["hub", "sync", "--json"]);
    assert_eq!(code, 1, "{out}");
    let named: Vec<(Value, Value)> = b_pass(&out)["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["key"].as_str().is_some_and(|k| k.starts_with("ledger/")))
        .map(|a| (a["alarm"].clone(), a["key"].clone()))
        .collect();
    assert_eq!(
        named,
        [
            ("unreadable", planted_segment.as_str()),
            ("bad-checkpoint", planted_checkpoint.as_str())
        ]
        .map(|(a, k)| (Value::from(a), Value::from(k))),
        "{out}"
    );
    let vol = s.join("7100010");
    camera(&vol, "7100010", 1);
    ok(cfg_b, Some(data_b), &["ingest", vol.to_str().unwrap()]);
    ok(cfg_b, Some(data_b), &["replicate"]);
    let pass = b_pass(&ok(&hub_cfg, hub_dir, &["hub", "sync", "--json"]));
    assert_eq!(
        (pass["swept"].as_bool(), pass["head"].as_i64()),
        (Some(false), Some(signed_b())),
        "{pass}"
    );

    let port = free_port();
    let web_cfg = s.join("dashboard.toml");
    std::fs::write(
        &web_cfg,
        toml(&endpoint, "hub", &pg.url_of("rebuilt"), "")
            + &format!("silent_after = \"5s\"\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let _dashboard = Running(
        std::process::Command::new(bin())
            .args(["--config", web_cfg.to_str().unwrap(), "--data-dir"])
            .arg(&hub_data)
            .args(["hub", "serve"])
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(s.join("dashboard.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_http(&base);
    // A hub without accounts serves its page and nothing of the bureau, even with `[station]
    // open` in its config (as this one has: a station's bench setting).
    let mut answer = ureq::get(&format!("{base}/api/v1/bureau/fleet"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(answer.status(), 403);
    let why = answer.body_mut().read_to_string().unwrap();
    assert!(why.contains("this hub has no accounts yet"), "{why}");
    // Its accounts are made as a station's are, in its data directory.
    const PASSWORD: &str = "a bureau's own password";
    let account = |args: &[&str], password: Option<&str>| -> String {
        let mut c = std::process::Command::new(bin());
        c.args(["--config", web_cfg.to_str().unwrap(), "--data-dir"])
            .arg(&hub_data)
            .args(["account"])
            .args(args);
        if let Some(p) = password {
            c.env("CAMDOCK_PASSWORD", p);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let own = |name: &str, printed: &str| {
        set_own_password(
            Some(&web_cfg),
            &hub_data,
            name,
            &secret_of(printed),
            PASSWORD,
        );
    };
    own("admin", &account(&["init", "admin"], None));
    for (name, role) in [("keeper", "equipment-manager"), ("officer1", "officer")] {
        own(
            name,
            &account(
                &["add", name, "--role", role, "--as", "admin"],
                Some(PASSWORD),
            ),
        );
    }
    const SHOTS: &[&str] = &[
        "bureau-fleet-en.png",
        "bureau-fleet-zh.png",
        "bureau-overdue-en.png",
        "bureau-overdue-zh.png",
        "bureau-stations-en.png",
        "bureau-stations-zh.png",
        "bureau-alarms-en.png",
        "bureau-alarms-zh.png",
        "bureau-clips-en.png",
        "bureau-clips-zh.png",
    ];
    if camdock_testkit::browser()
        .find("the hub's dashboard in a browser (tests/hub.rs)")
        .is_none()
    {
        return;
    }
    browser_test(
        "bureau.test.mjs",
        &[
            ("BASE_URL", &base),
            ("KEEPER", "keeper"),
            ("OFFICER", "officer1"),
            ("PASSWORD", PASSWORD),
            ("RETURNED", "7100009"),
            ("STATION", "station-a"),
            ("OVERDUE", "7100007"),
            ("UNIT", "squad 1"),
            ("SEARCHED", "7100001"),
            ("BACKLOG_STATION", "station-c"),
            ("CASE", "CASE-20"),
            ("TAGGED", &tagged),
        ],
        SHOTS,
        &s.join("dashboard.log"),
    );
}
