//! Custody workflows: overdue episodes and notifications, handovers, holds and purges, the access
//! register, evidence packages checked by the ASC MHL reference tool, and signed checkpoints.

mod common;

use camdock::custody::{attention, checkpoint, handover, overdue, retention};
use camdock::ingest::IngestOptions;
use camdock::station::Station;
use chrono::{Duration, Utc};
use common::*;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

const APPROVED: retention::Approval<'static> = retention::Approval {
    actor: "Admin Wu",
    approved_by: "Chief Sun",
    reason: "retention ended (annual review 2027)",
};

fn count(station: &Station, kind: &str) -> i64 {
    station
        .ledger()
        .conn()
        .query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn an_overdue_episode_is_recorded_and_notified_once() {
    let s = Scratch::new();
    let log = s.join("notified.txt");
    let recorder = s.join("record-args.sh");
    fs::write(
        &recorder,
        format!(
            "#!/bin/sh\nprintf '%s|' \"$@\" >> {}\necho >> {}\n",
            log.display(),
            log.display()
        ),
    )
    .unwrap();
    fs::set_permissions(
        &recorder,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    // An argument with shell metacharacters must arrive as one literal argument.
    let cfg = format!(
        "[notify]\ncommand = [\"{}\", \"{{kind}}\", \"{{camera}}\", \"$(touch {}/pwned); x\"]\n",
        recorder.display(),
        s.path().display()
    );
    let station = Station::open(config(&cfg), Some(&s.join("data"))).unwrap();
    camera(&s.join("cam"), "3456789", 1);
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();

    assert!(
        overdue::record_episodes(&station, Utc::now() + Duration::hours(1))
            .unwrap()
            .is_empty()
    );
    let later = Utc::now() + Duration::hours(25);
    assert_eq!(
        overdue::record_episodes(&station, later).unwrap(),
        vec!["3456789".to_string()]
    );
    assert!(
        overdue::record_episodes(&station, later + Duration::hours(5))
            .unwrap()
            .is_empty(),
        "one event per episode"
    );
    assert_eq!(count(&station, "camera-overdue"), 1);
    let lines = fs::read_to_string(&log).unwrap();
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        vec![format!(
            "camera-overdue|3456789|$(touch {}/pwned); x|",
            s.path().display()
        )]
    );
    assert!(
        !s.join("pwned").exists(),
        "arguments never pass through a shell"
    );

    // Back in the dock, out again, overdue again: a second episode.
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!(
        overdue::record_episodes(&station, Utc::now() + Duration::hours(30))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(count(&station, "camera-overdue"), 2);
}

#[test]
fn handovers_show_who_had_which_camera_when() {
    let s = Scratch::new();
    let station = station(&s.join("data"));
    camera(&s.join("cam"), "5550001", 1);
    handover::assign(&station, "5550001", "100777", "Sgt. Wu").unwrap();
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap(); // docked then out
    handover::assign(&station, "5550001", "100888", "Sgt. Wu").unwrap();
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap(); // back, then out again
    let periods = handover::history(&station, Some("5550001")).unwrap();
    // Handed out at the counter (never docked before), back, out again (undock), handed to
    // another officer in the field, back, out again.
    let who: Vec<(Option<&str>, bool)> = periods
        .iter()
        .map(|p| (p.officer.as_deref(), p.checked_in_at.is_some()))
        .collect();
    assert_eq!(
        who,
        vec![
            (Some("100777"), true),
            (Some("100777"), true),
            (Some("100888"), false)
        ]
    );
    let fleet = station
        .ledger()
        .fleet(Utc::now(), std::time::Duration::from_secs(86400))
        .unwrap();
    assert_eq!(
        fleet[0].officer.as_deref(),
        Some("100888"),
        "fleet shows the current holder"
    );
}

/// Issue: a camera assigned and never docked was never overdue, and handovers did not list it.
#[test]
fn a_camera_handed_out_and_never_docked_becomes_overdue() {
    let s = Scratch::new();
    let station = station(&s.join("data"));
    let handed_out = Utc::now();
    handover::assign(&station, "7770001", "100999", "Sgt. Wu").unwrap();
    let day = std::time::Duration::from_secs(86400);
    assert!(
        station
            .ledger()
            .overdue_at(handed_out + Duration::hours(20), day)
            .unwrap()
            .is_empty()
    );
    let late = station
        .ledger()
        .overdue_at(handed_out + Duration::hours(48), day)
        .unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].camera, "7770001");
    assert!(late[0].hours_out >= 47.9, "{}", late[0].hours_out);
    let fleet = station
        .ledger()
        .fleet(handed_out + Duration::hours(48), day)
        .unwrap();
    assert_eq!(fleet[0].state, "overdue");
    assert!(
        fleet[0].attention[0].code == "overdue",
        "{:?}",
        fleet[0].attention
    );
    let periods = handover::history(&station, Some("7770001")).unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(periods[0].officer.as_deref(), Some("100999"));
    assert!(periods[0].checked_in_at.is_none());
    // Docked at last: the period ends, nothing is overdue.
    camera(&s.join("cam"), "7770001", 1);
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert!(
        handover::history(&station, Some("7770001")).unwrap()[0]
            .checked_in_at
            .is_some()
    );
}

#[test]
fn an_attention_item_seen_to_stays_marked_until_the_camera_docks_again() {
    let s = Scratch::new();
    let station = Station::open(
        config("[policy]\noverdue_after = \"2s\"\n"),
        Some(&s.join("data")),
    )
    .unwrap();
    let cam = s.join("cam");
    camera(&cam, "7770002", 1);
    station.ingest(&cam, &IngestOptions::default()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let items = |station: &Station| {
        station
            .ledger()
            .fleet(Utc::now(), std::time::Duration::from_secs(2))
            .unwrap()
            .remove(0)
            .attention
    };
    let before = items(&station);
    assert_eq!(before[0].code, "overdue", "{before:?}");
    assert!(before.iter().all(|a| a.acknowledged.is_none()));

    // Only an item the camera has now, and only with a note that says what was done.
    let absent = attention::acknowledge(&station, "7770002", "low-battery", "swapped", "Sgt. Wu")
        .unwrap_err()
        .to_string();
    assert!(
        absent.contains("no attention item low-battery") && absent.contains("overdue"),
        "{absent}"
    );
    let blank = attention::acknowledge(&station, "7770002", "overdue", "  ", "Sgt. Wu");
    assert!(blank.unwrap_err().to_string().contains("a note is needed"));
    let unknown = attention::acknowledge(&station, "9999999", "overdue", "x", "Sgt. Wu");
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("no camera 9999999")
    );

    let note = "officer 100234 on a 36 h operation; phoned, back Thursday";
    let seq = attention::acknowledge(&station, "7770002", "overdue", note, "Sgt. Wu").unwrap();
    let after = items(&station);
    let overdue = after.iter().find(|a| a.code == "overdue").unwrap();
    let ack = overdue.acknowledged.as_ref().expect("marked");
    assert_eq!(
        (ack.by.as_str(), ack.note.as_str(), ack.seq),
        ("Sgt. Wu", note, seq)
    );
    assert!(
        after
            .iter()
            .filter(|a| a.code != "overdue")
            .all(|a| a.acknowledged.is_none()),
        "only the item seen to is marked: {after:?}"
    );
    assert_eq!(count(&station, "attention-acknowledged"), 1);

    // The next dock judges the camera afresh: nothing carries a mark from before it.
    // Overdue again after it: a new episode, not the one acknowledged.
    station.ingest(&cam, &IngestOptions::default()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let redocked = items(&station);
    assert_eq!(redocked[0].code, "overdue", "{redocked:?}");
    assert!(
        redocked.iter().all(|a| a.acknowledged.is_none()),
        "{redocked:?}"
    );
}

#[test]
fn holds_block_purge_and_expired_clips_are_purged_on_the_record() {
    let s = Scratch::new();
    let station = station(&s.join("data"));
    camera(&s.join("cam"), "1234567", 2);
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    let (held, free) = (
        report.clips.all()[0].sha256.clone().unwrap(),
        report.clips.all()[1].sha256.clone().unwrap(),
    );
    retention::hold(&station, &held, "complaint 2026-17", "auditor").unwrap();

    let not_yet = retention::purge(
        &station,
        Utc::now() + Duration::days(300),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert!(not_yet.purged.is_empty(), "nothing expires before 365 days");
    let dry = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        true,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(dry.purged.len(), 1);
    assert!(
        station.store.locate(&dry.purged[0].store_path).exists(),
        "a dry run deletes nothing"
    );

    let done = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(
        done.purged
            .iter()
            .map(|p| p.sha256.clone())
            .collect::<Vec<_>>(),
        vec![free.clone()]
    );
    assert_eq!(done.held, vec![held.clone()]);
    assert!(!station.store.locate(&done.purged[0].store_path).exists());
    assert_eq!(count(&station, "clip-purged"), 1);
    let v = camdock::audit::verify::verify(&station).unwrap();
    assert!(v.ok, "a purged clip is not missing: {:?}", v.problems);
    assert_eq!(v.clips_checked, 1);

    retention::release(&station, &held, "complaint closed", "auditor").unwrap();
    let after = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(after.purged.len(), 1, "released, the held clip expires too");
}

/// A store whose purge removes the file and then the process dies: the power cut between the
/// unlink and the ledger's `clip-purged`.
struct DiesAfterUnlink(camdock::store::LocalStore);

impl camdock::store::ClipStore for DiesAfterUnlink {
    fn stage(&self) -> std::io::Result<camdock::store::Staging> {
        self.0.stage()
    }
    fn place(
        &self,
        staging: camdock::store::Staging,
        expected: &camdock::hash::Digests,
        ext: &str,
    ) -> Result<camdock::store::Placement, camdock::store::StoreError> {
        self.0.place(staging, expected, ext)
    }
    fn open(&self, p: &str) -> std::io::Result<fs::File> {
        self.0.open(p)
    }
    fn locate(&self, p: &str) -> PathBuf {
        self.0.locate(p)
    }
    fn is_immutable(&self, p: &str) -> Option<bool> {
        self.0.is_immutable(p)
    }
    fn list(&self) -> std::io::Result<Vec<camdock::store::StoredObject>> {
        self.0.list()
    }
    fn purge(&self, p: &str) -> std::io::Result<()> {
        self.0.purge(p)?;
        Err(std::io::Error::other("power cut right after the unlink"))
    }
    fn clean_abandoned_staging(&self) -> std::io::Result<Vec<String>> {
        self.0.clean_abandoned_staging()
    }
}

/// Issue: cases lost their clips to a later tag, and holds on a case covered only the clips
/// tagged before them.
#[test]
fn a_clip_stays_in_every_case_it_was_tagged_with_and_case_holds_cover_later_clips() {
    use camdock::custody::tags;
    let s = Scratch::new();
    let station = station(&s.join("data"));
    camera(&s.join("cam"), "1234567", 3);
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    let shas: Vec<String> = report
        .clips
        .all()
        .iter()
        .map(|c| c.sha256.clone().unwrap())
        .collect();
    let tag = |sha: &str, case: Option<&str>, party: Option<&str>| {
        tags::tag(
            &station,
            sha,
            &tags::Tag {
                case,
                party,
                matter: None,
            },
            "Insp. Ma",
        )
        .unwrap()
    };
    // Point 2: tag A C1, then A party X: A is still in C1, and in C3 too once tagged.
    tag(&shas[0], Some("C1"), None);
    tag(&shas[0], None, Some("X"));
    tag(&shas[0], Some("C3"), None);
    assert_eq!(
        tags::clips_of_case(&station, "C1").unwrap(),
        vec![shas[0].clone()]
    );
    let view = station.ledger().clips(None).unwrap();
    let a = view.iter().find(|c| c.sha256 == shas[0]).unwrap();
    assert_eq!(a.cases, vec!["C1".to_string(), "C3".to_string()]);

    // A hold on a case with no clip yet; a clip tagged afterwards is covered.
    retention::hold_case(&station, "C2", "complaint 2026-31", "Chief Sun").unwrap();
    assert!(tags::clips_of_case(&station, "C2").unwrap().is_empty());
    tag(&shas[1], Some("C2"), None);
    let err = tags::untag(&station, &shas[1], "C2", "mistake", "Insp. Ma").unwrap_err();
    assert!(err.to_string().contains("on hold"), "{err}");

    // Years later: the case clips are evidence, the rest ordinary.
    let report = retention::purge(
        &station,
        Utc::now() + Duration::days(4000),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    let purged: Vec<&str> = report.purged.iter().map(|p| p.sha256.as_str()).collect();
    assert_eq!(
        purged,
        vec![shas[2].as_str()],
        "only the clip in no case is purged"
    );
    assert_eq!(report.evidence.len(), 2);

    // Released and taken out of its cases, a clip is ordinary again: the record shows each act.
    retention::release_case(&station, "C2", "complaint closed", "Chief Sun").unwrap();
    assert!(tags::untag(&station, &shas[1], "C2", "complaint closed", "Insp. Ma").unwrap());
    assert!(!tags::untag(&station, &shas[1], "C2", "again", "Insp. Ma").unwrap());
    assert_eq!(count(&station, "clip-untagged"), 1);
    let report = retention::purge(
        &station,
        Utc::now() + Duration::days(4000),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(report.purged.len(), 1);
    assert_eq!(report.purged[0].sha256, shas[1]);
}

/// The camera's "important" mark on the first recording of `vol` (by name): `_IMP` before the
/// extension, as the camera's button writes it.
fn mark_first_important(vol: &std::path::Path) {
    let first = fs::read_dir(vol.join("DCIM/100MEDIA"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let name = first
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .replace(".MP4", "_IMP.MP4");
    fs::rename(&first, first.with_file_name(name)).unwrap();
}

/// Issue: purge needed no reason or approval, kept `_IMP` clips no longer than others, and
/// unlinked the file before recording anything.
#[test]
fn a_purge_needs_two_people_keeps_important_clips_longer_and_survives_a_cut_between_unlink_and_commit()
 {
    let s = Scratch::new();
    let data = s.join("data");
    let station = station(&data);
    let vol = s.join("cam");
    camera(&vol, "1234567", 2);
    mark_first_important(&vol);
    let report = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert_eq!(report.stored, 2);

    for bad in [
        retention::Approval {
            actor: "Admin Wu",
            approved_by: "Admin Wu",
            reason: "cleanup",
        },
        retention::Approval {
            actor: "Admin Wu",
            approved_by: "Chief Sun",
            reason: " ",
        },
    ] {
        let err = retention::purge(
            &station,
            Utc::now() + Duration::days(400),
            false,
            &bad,
            None,
        )
        .unwrap_err();
        assert_eq!(camdock::error::exit_code_for(&err), 2, "{err}");
    }
    let ordinary = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        true,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(
        ordinary.purged.len(),
        1,
        "the _IMP clip outlives ordinary retention"
    );
    assert!(
        ordinary
            .purged
            .iter()
            .all(|p| p.class == retention::RetentionClass::Ordinary)
    );
    drop(station);

    // The power goes between the unlink and the commit.
    let dying = Station::with_store(
        config("[station]\nid = \"test-station\"\n"),
        &data,
        Box::new(DiesAfterUnlink(
            camdock::store::LocalStore::open(&data).unwrap(),
        )),
    )
    .unwrap();
    assert!(
        retention::purge(
            &dying,
            Utc::now() + Duration::days(400),
            false,
            &APPROVED,
            None
        )
        .is_err()
    );
    drop(dying);
    let station = common::station(&data);
    assert_eq!(
        (
            count(&station, "clip-purge-started"),
            count(&station, "clip-purged")
        ),
        (1, 0)
    );
    let v = camdock::audit::verify::verify(&station).unwrap();
    assert!(
        v.ok,
        "an interrupted purge is explained, not a missing clip: {:?}",
        v.problems
    );
    assert_eq!(v.unfinished_purges.len(), 1);
    let resumed = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(resumed.resumed, v.unfinished_purges);
    assert!(resumed.purged.is_empty());
    assert_eq!(count(&station, "clip-purged"), 1);
    let v = camdock::audit::verify::verify(&station).unwrap();
    assert!(v.ok && v.unfinished_purges.is_empty());

    let later = retention::purge(
        &station,
        Utc::now() + Duration::days(3700),
        false,
        &APPROVED,
        None,
    )
    .unwrap();
    assert_eq!(later.purged.len(), 1);
    assert_eq!(later.purged[0].class, retention::RetentionClass::Important);
    let detail: String = station
        .ledger()
        .conn()
        .query_row("SELECT detail_json FROM events WHERE kind = 'clip-purge-started' ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(
        detail.contains("Chief Sun") && detail.contains("annual review"),
        "{detail}"
    );
}

/// `ascmhl-debug`, or None and one skip line under plain `cargo test` without the reference tool.
fn ascmhl_debug() -> Option<PathBuf> {
    camdock_testkit::ascmhl()
        .find("the ASC MHL check of evidence packages (tests/custody.rs)")
        .map(|p| p.with_file_name("ascmhl-debug"))
}

#[test]
fn an_export_by_case_in_two_copies_verifies_with_standard_and_ascmhl_tools() {
    let s = Scratch::new();
    let data = s.join("data");
    let d = data.to_str().unwrap();
    camera(&s.join("cam"), "4567890", 3);
    let (code, out, _) = camdock(&[
        "--data-dir",
        d,
        "ingest",
        s.join("cam").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0);
    let clips: Vec<String> = json(&out)["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap().to_string())
        .collect();
    for sha in &clips[..2] {
        let (code, _, err) = camdock(&[
            "--data-dir",
            d,
            "tag",
            sha,
            "--case",
            "CASE-118",
            "--party",
            "Zhang",
            "--matter",
            "traffic",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let pkg = s.join("pkg");
    // A bench station: no accounts, set open, so the approver is typed.
    let open = open_config(&s);
    let (code, _, err) = camdock(&[
        "--config",
        &open,
        "--data-dir",
        d,
        "export",
        "--case",
        "CASE-118",
        "--out",
        pkg.to_str().unwrap(),
        "--copies",
        "2",
        "--approved-by",
        "Auditor Li",
        "--reason",
        "court",
    ]);
    assert_eq!(code, 0, "{err}");
    for copy in ["copy-1", "copy-2"] {
        let dir = pkg.join(copy);
        for (tool, sums) in [("sha256sum", "SHA256SUMS"), ("b3sum", "B3SUMS")] {
            let st = Command::new(tool)
                .args(["--quiet", "-c", sums])
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(st.success(), "{tool} -c in {copy}");
        }
        assert_eq!(
            fs::read_to_string(dir.join("SHA256SUMS"))
                .unwrap()
                .lines()
                .count(),
            2,
            "exactly the case's clips"
        );
        let label = fs::read_to_string(dir.join("LABEL.txt")).unwrap();
        assert!(
            label.contains("CASE-118")
                && label.contains("Auditor Li")
                && label.contains("2 identical")
        );
        if let Some(mhl) = ascmhl_debug() {
            let out = Command::new(mhl)
                .arg("verify")
                .arg(&dir)
                .output()
                .expect("ascmhl-debug runs");
            assert!(
                out.status.success(),
                "ascmhl verify {copy}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    assert_eq!(
        fs::read(pkg.join("copy-1/custody.json")).unwrap(),
        fs::read(pkg.join("copy-2/custody.json")).unwrap()
    );
    // A changed byte in a copy is caught by the MHL tool too.
    let clip_file = fs::read_dir(pkg.join("copy-2/clips"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = fs::read(&clip_file).unwrap();
    bytes[500] ^= 1;
    fs::write(&clip_file, bytes).unwrap();
    if let Some(mhl) = ascmhl_debug() {
        assert!(
            !Command::new(mhl)
                .arg("verify")
                .arg(pkg.join("copy-2"))
                .output()
                .unwrap()
                .status
                .success()
        );
    }

    let (code, _, err) = camdock(&[
        "--config",
        &open,
        "--data-dir",
        d,
        "export",
        "--clip",
        &clips[0],
        "--out",
        s.join("nope").to_str().unwrap(),
        "--reason",
        "no approver",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--approved-by"), "{err}");
    assert!(!s.join("nope").exists());

    // Secure by default: the same station not set open takes no typed approver, and says how to
    // make the first account.
    let (code, _, err) = camdock(&[
        "--data-dir",
        d,
        "export",
        "--clip",
        &clips[0],
        "--out",
        s.join("nope").to_str().unwrap(),
        "--approved-by",
        "Anyone At All",
        "--reason",
        "court",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no accounts yet") && err.contains("camdock account init"),
        "{err}"
    );
    assert!(!s.join("nope").exists());
}

#[test]
fn every_access_is_on_the_register() {
    let s = Scratch::new();
    let data = s.join("data");
    let d = data.to_str().unwrap();
    camera(&s.join("cam"), "4567891", 1);
    let (_, out, _) = camdock(&[
        "--data-dir",
        d,
        "ingest",
        s.join("cam").to_str().unwrap(),
        "--json",
    ]);
    let sha = json(&out)["clips"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    // Secure by default: a station with no accounts shows no clip to a name typed by hand.
    let (code, _, err) = camdock(&[
        "--data-dir",
        d,
        "view",
        &sha[..12],
        "--actor",
        "Insp. Ma",
        "--reason",
        "complaint review",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("camdock account init"), "{err}");
    // A bench station: no accounts, set open, so acts name their people by hand.
    let open = open_config(&s);
    let (code, _, err) = camdock(&["--config", &open, "--data-dir", d, "view", &sha[..12]]);
    assert_eq!(code, 2, "a view without actor and reason is refused: {err}");
    assert_eq!(
        camdock(&[
            "--config",
            &open,
            "--data-dir",
            d,
            "view",
            &sha[..12],
            "--actor",
            "Insp. Ma",
            "--reason",
            "complaint review"
        ])
        .0,
        0
    );
    let copy = s.join("copy.mp4");
    assert_eq!(
        camdock(&[
            "--config",
            &open,
            "--data-dir",
            d,
            "copy",
            &sha,
            "--to",
            copy.to_str().unwrap(),
            "--actor",
            "Insp. Ma",
            "--reason",
            "court",
            "--approved-by",
            "Chief Sun"
        ])
        .0,
        0
    );
    assert_eq!(tool_digest("sha256sum", &copy), sha);
    let (_, out, _) = camdock(&["--data-dir", d, "access-log", "--clip", &sha, "--json"]);
    let log = json(&out);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["view", "copy"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "Insp. Ma")
    );
}

#[test]
fn a_signed_checkpoint_detects_a_truncated_or_rewritten_ledger_tail() {
    for attack in [
        "DELETE FROM events WHERE seq > (SELECT max(seq) - 3 FROM events)",
        "rewrite",
    ] {
        let s = Scratch::new();
        let data = s.join("data");
        camera(&s.join("cam"), "1234567", 2);
        {
            let station = station(&data);
            station
                .ingest(&s.join("cam"), &IngestOptions::default())
                .unwrap();
            checkpoint::write(&station).unwrap();
            assert!(camdock::audit::verify::verify(&station).unwrap().ok);
        }
        let db = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
        db.execute_batch("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")
            .unwrap();
        if attack == "rewrite" {
            // Rewrite event 2's actor and re-chain from there on: the chain alone cannot tell.
            db.execute("UPDATE events SET actor = 'someone-else' WHERE seq = 2", [])
                .unwrap();
            rechain(&db);
        } else {
            db.execute(attack, []).unwrap();
        }
        drop(db);
        let station = station(&data);
        let v = camdock::audit::verify::verify(&station).unwrap();
        assert!(v.ledger.chain_ok, "{attack}: the chain itself still links");
        assert!(
            !v.ok && v.problems.iter().any(|p| p.kind == "checkpoint"),
            "{attack}: {:?}",
            v.problems
        );
    }
}

/// The `_IMP` mark cleared in the table behind the chain: the purge that ordinary retention would
/// allow is refused from the clip's events, and `verify` names the recording.
#[test]
fn an_important_mark_cleared_in_the_table_purges_nothing_early() {
    let s = Scratch::new();
    let data = s.join("data");
    let station = station(&data);
    let vol = s.join("cam");
    camera(&vol, "1234567", 1);
    mark_first_important(&vol);
    station.ingest(&vol, &IngestOptions::default()).unwrap();
    let sha: String = station
        .ledger()
        .conn()
        .query_row("SELECT sha256 FROM clips", [], |r| r.get(0))
        .unwrap();
    rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE))
        .unwrap()
        .execute("UPDATE recordings SET important = 0", [])
        .unwrap();
    let err = retention::purge(
        &station,
        Utc::now() + Duration::days(400),
        false,
        &APPROVED,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&sha) && err.contains("marked it important"),
        "{err}"
    );
    let verified = camdock::audit::verify::verify(&station).unwrap();
    assert!(
        verified.problems.iter().any(|p| p.kind == "custody"
            && p.detail
                .contains(&format!("recordings row {sha} (important)"))),
        "{:?}",
        verified.problems
    );
}
