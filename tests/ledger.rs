//! The custody ledger's guarantees, tested against the SQLite file as an attacker would touch it.

mod common;

use camdock::ingest::IngestOptions;
use common::*;
use rusqlite::Connection;

fn ingested(s: &Scratch) -> std::path::PathBuf {
    camera(&s.join("cam"), "7654321", 2);
    let data = s.join("data");
    station(&data)
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    data.join(camdock::station::LEDGER_FILE)
}

fn chain_ok(data: &std::path::Path) -> (bool, Option<i64>) {
    let r = station(data).ledger().verify_chain().unwrap();
    (r.chain_ok, r.broken_at)
}

#[test]
fn the_guard_refuses_update_and_delete() {
    let s = Scratch::new();
    let db = Connection::open(ingested(&s)).unwrap();
    let upd = db
        .execute("UPDATE events SET actor = 'x' WHERE seq = 1", [])
        .unwrap_err();
    assert!(upd.to_string().contains("append-only"), "{upd}");
    assert!(db.execute("DELETE FROM events WHERE seq = 1", []).is_err());
}

#[test]
fn an_edited_event_breaks_the_chain_at_that_event() {
    let s = Scratch::new();
    let path = ingested(&s);
    let data = s.join("data");
    assert_eq!(chain_ok(&data), (true, None));
    let db = Connection::open(&path).unwrap();
    db.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
        .unwrap();
    db.execute(
        "UPDATE events SET detail_json = replace(detail_json, '7654321', '7654329') WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(db);
    assert_eq!(chain_ok(&data), (false, Some(3)));
    // Opening the ledger re-armed the guard and recorded that it had to.
    let db = Connection::open(&path).unwrap();
    let restored: i64 = db
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'ledger-guard-restored'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(restored, 1);
    assert!(
        db.execute("UPDATE events SET actor = 'x' WHERE seq = 1", [])
            .is_err()
    );
}

#[test]
fn a_deleted_or_inserted_event_breaks_the_chain() {
    for attack in [
        "DELETE FROM events WHERE seq = 2",
        "INSERT INTO events SELECT seq + 1000, at, kind, camera, clip_sha256, actor, detail_json, prev_hash, hash || 'x' FROM events WHERE seq = 2",
        "UPDATE events SET hash = 'f' || substr(hash, 2) WHERE seq = 1",
    ] {
        let s = Scratch::new();
        let path = ingested(&s);
        let db = Connection::open(&path).unwrap();
        db.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
            .unwrap();
        db.execute(attack, []).unwrap();
        drop(db);
        assert!(!chain_ok(&s.join("data")).0, "undetected: {attack}");
    }
}

#[test]
fn verify_names_the_altered_clip_and_exits_1() {
    let s = Scratch::new();
    ingested(&s);
    let data = s.join("data");
    let (_, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "clips", "--json"]);
    let clips = json(&out);
    let victim = clips[0]["sha256"].as_str().unwrap().to_string();
    let path = clips[0]["store_path"].as_str().unwrap().to_string();
    let _ = std::process::Command::new("chattr")
        .args(["-i", &path])
        .status();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::fs::write(&path, b"replaced").unwrap();
    let (code, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "verify", "--json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    let p = &v["problems"][0];
    assert_eq!(
        (p["kind"].as_str(), p["sha256"].as_str()),
        (Some("altered"), Some(victim.as_str()))
    );
    assert!(p["detail"].as_str().unwrap().contains(&victim));
}

#[test]
fn bad_config_and_usage_exit_2_with_one_sentence() {
    let s = Scratch::new();
    let cfg = s.join("bad.toml");
    std::fs::write(&cfg, "[policy]\nclock_tolerence = \"2s\"\n").unwrap();
    let (code, _, err) = camdock(&["--config", cfg.to_str().unwrap(), "clips"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("policy.clock_tolerence") && err.lines().count() == 1,
        "{err}"
    );
    let data = s.join("data");
    let (code, _, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        "/nonexistent/volume",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/volume"), "{err}");
    let (code, _, err) = camdock(&["--data-dir", data.to_str().unwrap(), "custody", "abc"]);
    assert_eq!(code, 2, "{err}");
}
