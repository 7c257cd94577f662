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

/// Every event's detail is of its kind's type (camdock_record::detail): a writer whose detail
/// drifted (a field the type lacks, another kind's shape) is refused, and nothing is appended.
#[test]
fn a_detail_that_does_not_fit_its_kind_is_never_appended() {
    use camdock::ledger::{EventKind, Ledger, NewEvent};
    use camdock_record::detail::{CameraWipedDetail, HoldDetail};
    let s = Scratch::new();
    let mut ledger = Ledger::open(&s.join("ledger.db"), "station-test").unwrap();
    #[derive(serde::Serialize)]
    struct Drifted {
        session: i64,
        source: String,
        officer_note: String,
    }
    let drifted = Drifted {
        session: 1,
        source: "DCIM/1.MP4".into(),
        officer_note: "x".into(),
    };
    let e = ledger
        .append(NewEvent::new(EventKind::CameraWiped, "t").typed(&drifted))
        .unwrap_err();
    assert!(
        format!("{e:#}").contains("camera-wiped event's detail does not fit"),
        "{e:#}"
    );
    let hold = HoldDetail {
        case: None,
        reason: "r".into(),
    };
    assert!(
        ledger
            .append(NewEvent::new(EventKind::CameraWiped, "t").typed(&hold))
            .is_err()
    );
    assert_eq!(ledger.event_count().unwrap(), 0);
    let fits = CameraWipedDetail {
        session: 1,
        source: "DCIM/1.MP4".into(),
    };
    assert_eq!(
        ledger
            .append(NewEvent::new(EventKind::CameraWiped, "t").typed(&fits))
            .unwrap(),
        1
    );
}

#[test]
fn an_edited_event_breaks_the_chain_at_that_event() {
    let s = Scratch::new();
    let path = ingested(&s);
    let data = s.join("data");
    assert_eq!(chain_ok(&data), (true, None));
    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "PRAGMA foreign_keys = OFF; DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;",
    )
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
        // The first digit replaced by one it is not (a fixed 'f' left one hash
        // in sixteen unchanged, and the check then failed at random).
        "UPDATE events SET hash = (CASE WHEN substr(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END) || substr(hash, 2) WHERE seq = 1",
    ] {
        let s = Scratch::new();
        let path = ingested(&s);
        let db = Connection::open(&path).unwrap();
        db.execute_batch("PRAGMA foreign_keys = OFF; DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
            .unwrap();
        let before: String = db
            .query_row("SELECT group_concat(seq || hash) FROM events", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(db.execute(attack, []).unwrap(), 1, "{attack}");
        let after: String = db
            .query_row("SELECT group_concat(seq || hash) FROM events", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_ne!(before, after, "the attack changed nothing: {attack}");
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

/// A station with a checkpoint (also carried off as a witness), then a hold and a viewing.
fn with_history(s: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    let path = ingested(s);
    let data = s.join("data");
    let station = station(&data);
    camdock::custody::checkpoint::write(&station).unwrap();
    let sha: String = station
        .ledger()
        .conn()
        .query_row("SELECT sha256 FROM clips LIMIT 1", [], |r| r.get(0))
        .unwrap();
    camdock::custody::retention::hold(&station, &sha, "complaint 2026-40", "Chief Sun").unwrap();
    let access = camdock::custody::access::Access {
        actor: "Insp. Ma",
        reason: "review",
    };
    camdock::custody::access::record_view(&station, &sha, &access, "cli", None).unwrap();
    let (_, witness) = camdock::custody::checkpoint::write(&station).unwrap();
    let carried = s.join("auditor-copy.json");
    std::fs::copy(&witness, &carried).unwrap();
    drop(station);
    let (code, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "verify", "--json"]);
    assert_eq!(code, 0, "{out}");
    (path, carried)
}

fn verify_fails(data: &std::path::Path, extra: &[&str], want: &str) {
    let mut args = vec!["--data-dir", data.to_str().unwrap(), "verify", "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = camdock(&args);
    assert_eq!(code, 1, "verify passed a rewritten history: {out}{err}");
    assert!(out.contains(want), "{want} not in {out}");
}

/// Attack 1: the last events (a hold, a viewing, the checkpoint of them) deleted, the triggers put
/// back, the checkpoints folder removed. Before: "ok, chain intact".
#[test]
fn deleting_the_newest_events_and_the_checkpoints_is_caught() {
    let s = Scratch::new();
    let (path, carried) = with_history(&s);
    let data = s.join("data");
    rewrite_history(
        &path,
        "DELETE FROM holds WHERE placed_seq > (SELECT max(seq) - 4 FROM events);
         DELETE FROM events WHERE seq > (SELECT max(seq) - 4 FROM events);",
    );
    std::fs::remove_dir_all(data.join("checkpoints")).unwrap();
    // The ledger's own record of its first checkpoint names a file that is gone.
    verify_fails(&data, &[], "checkpoints were removed");
    // The auditor's copy of the last checkpoint vouches for events the ledger no longer has.
    verify_fails(
        &data,
        &["--witness", carried.to_str().unwrap()],
        "were cut off",
    );
}

/// Attack 2: the actor and reason of a viewing rewritten and every hash after it recomputed.
#[test]
fn rewriting_an_access_event_and_rechaining_is_caught() {
    let s = Scratch::new();
    let (path, carried) = with_history(&s);
    let data = s.join("data");
    rewrite_history(
        &path,
        "UPDATE events SET actor = 'nobody', detail_json = replace(detail_json, 'review', 'routine')
         WHERE kind = 'clip-accessed';",
    );
    assert_eq!(
        chain_ok(&data),
        (true, None),
        "the re-chained ledger is consistent in itself"
    );
    // The heads the ledger recorded after the viewing no longer match it...
    verify_fails(&data, &[], "no longer holds");
    // ...and the witness kept off the station names a hash the ledger no longer has.
    verify_fails(
        &data,
        &["--witness", carried.to_str().unwrap()],
        "was rewritten",
    );
}

/// Custody rows edited behind the chain (a hold deleted, a case membership ended, a clip
/// backdated): the purge that the tables would allow is refused from the clip's own events, and
/// `verify` names each row.
#[test]
fn custody_rows_edited_behind_the_chain_decide_nothing_and_verify_names_them() {
    use camdock::custody::{retention, tags};
    let s = Scratch::new();
    let path = ingested(&s);
    let data = s.join("data");
    let station = station(&data);
    let shas: Vec<String> = station
        .ledger()
        .conn()
        .prepare("SELECT sha256 FROM clips ORDER BY stored_seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    retention::hold(&station, &shas[0], "complaint 2026-7", "Chief Sun").unwrap();
    tags::tag(
        &station,
        &shas[1],
        &tags::Tag {
            case: Some("C9"),
            party: None,
            matter: None,
        },
        "Insp. Ma",
    )
    .unwrap();
    let verified = camdock::audit::verify::verify(&station).unwrap();
    assert!(verified.ok, "{:?}", verified.problems);
    drop(station);

    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "DELETE FROM holds;
         UPDATE case_clips SET removed_seq = (SELECT max(seq) FROM events);
         UPDATE clips SET stored_at = '2020-01-01T00:00:00.000Z';",
    )
    .unwrap();
    drop(db);
    let station = common::station(&data);
    let approval = retention::Approval {
        actor: "Admin Wu",
        approved_by: "Chief Sun",
        reason: "retention ended",
    };
    let err = retention::purge(&station, chrono::Utc::now(), false, &approval, None).unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains(&format!("refusing to purge clip {}", shas[0])) && said.contains("hold"),
        "{said}"
    );
    for sha in &shas {
        let clip = station.ledger().clip(sha).unwrap().unwrap();
        assert!(std::path::Path::new(&station.locate(&clip.store_path)).exists());
    }
    let verified = camdock::audit::verify::verify(&station).unwrap();
    assert!(!verified.ok);
    let custody: Vec<&str> = verified
        .problems
        .iter()
        .filter(|p| p.kind == "custody")
        .map(|p| p.detail.as_str())
        .collect();
    for named in [
        format!("holds row {} placed at event", shas[0]),
        format!("case_clips row {} in case C9", shas[1]),
        format!("clips row {} differs", shas[0]),
        format!("clips row {} differs", shas[1]),
    ] {
        assert!(
            custody.iter().any(|d| d.contains(&named)),
            "{named} not in {custody:#?}"
        );
    }
    let recorded: i64 = station
        .ledger()
        .conn()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'custody-tables-differ'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(recorded, 1, "verify puts the difference on the record");
}

/// The guard checked by its definition: same-named triggers that do nothing are replaced, and a
/// trigger camdock never makes is reported.
#[test]
fn a_hollow_guard_is_replaced_and_a_foreign_trigger_reported() {
    let s = Scratch::new();
    let path = ingested(&s);
    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;
         CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT 1; END;
         CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT 1; END;
         CREATE TRIGGER events_quiet BEFORE INSERT ON events WHEN NEW.kind = 'clip-purged' BEGIN SELECT RAISE(IGNORE); END;",
    )
    .unwrap();
    drop(db);
    let data = s.join("data");
    let station = station(&data);
    let db = Connection::open(&path).unwrap();
    let upd = db
        .execute("UPDATE events SET actor = 'x' WHERE seq = 1", [])
        .unwrap_err();
    assert!(upd.to_string().contains("append-only"), "{upd}");
    let restored: String = db
        .query_row(
            "SELECT detail_json FROM events WHERE kind = 'ledger-guard-restored'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        restored.contains("events_no_update") && restored.contains("events_no_delete"),
        "{restored}"
    );
    let verified = camdock::audit::verify::verify(&station).unwrap();
    assert!(!verified.ok);
    assert!(
        verified
            .problems
            .iter()
            .any(|p| p.kind == "trigger" && p.detail.contains("events_quiet")),
        "{:?}",
        verified.problems
    );
}
