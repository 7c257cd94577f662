//! What the rules ask of supervisors, through the command line. Spot checks: a draw by a seed on
//! record repeats, anyone can recompute it, findings are recorded against the checklist by their
//! reviewer, and the inspection register lists draws, viewings and findings. Interruptions: each
//! gap found at a dock is open until its written reason is on record. Compliance per officer:
//! recordings, stored in time, gaps explained, findings.

mod common;

use camdock::simulate::{CameraSpec, write_volume};
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

const FROM: &str = "2026-11-01T00:00:00Z";
const TO: &str = "2026-12-01T00:00:00Z";

/// Every item answered, `sound-usable` as given.
const CHECKS: [&str; 4] = [
    "recorded-throughout=pass",
    "statement-at-start=pass",
    "interruptions-explained=not-applicable",
    "picture-usable=pass",
];

fn run(data: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--data-dir", data.to_str().unwrap()];
    all.extend_from_slice(args);
    camdock(&all)
}

fn ok(data: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(data, args);
    assert_eq!(code, 0, "camdock {args:?}: {out}{err}");
    out
}

/// Two officers' cameras docked: six clips and four.
fn station(s: &Scratch) -> std::path::PathBuf {
    let data = s.join("data");
    for (serial, officer, clips) in [("7100001", "100301", 6), ("7100002", "100302", 4)] {
        let vol = s.join(serial);
        write_volume(
            &vol,
            &CameraSpec {
                serial: serial.into(),
                officer: officer.into(),
                clips,
                seconds: 1,
                ..CameraSpec::default()
            },
        )
        .unwrap();
        ok(&data, &["ingest", vol.to_str().unwrap()]);
    }
    data
}

fn draw(data: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["review", "draw", "--from", FROM, "--to", TO, "--json"];
    args.extend_from_slice(extra);
    json(&ok(data, &args))
}

fn drawn(d: &Value) -> Vec<String> {
    d["drawn"]["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_draw_by_the_same_seed_draws_the_same_sample_and_anyone_can_recompute_it() {
    let s = Scratch::new();
    let data = station(&s);
    let clips = json(&ok(&data, &["clips", "--json"]));
    let in_case = clips[3]["sha256"].as_str().unwrap().to_string();
    ok(
        &data,
        &[
            "tag",
            &in_case,
            "--case",
            "C-2026-17",
            "--actor",
            "Clerk Ma",
        ],
    );

    // A new draw takes its seed at random and records it; drawn again with it, the same sample.
    let first = draw(&data, &["--size", "4", "--actor", "Inspector Li"]);
    let seed = first["drawn"]["seed"].as_str().unwrap().to_string();
    let again = draw(
        &data,
        &["--seed", &seed, "--size", "4", "--actor", "Inspector Li"],
    );
    assert_eq!(drawn(&first).len(), 4);
    assert_eq!(
        drawn(&first),
        drawn(&again),
        "the same seed, the same sample"
    );
    assert_eq!(first["drawn"]["candidates"], 10);
    assert!(seed.parse::<u64>().is_ok(), "{seed}");
    assert_ne!(first["draw"], again["draw"], "each draw is its own event");

    // The sample again from the record and the rules alone: SHA-256 of "<seed>:<clip>", then
    // ln(u) / weight, the highest keys, over every clip of the period.
    let mut keyed: Vec<(f64, String)> = clips
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let sha = c["sha256"].as_str().unwrap().to_string();
            let d = Sha256::digest(format!("{seed}:{sha}").as_bytes());
            let x = u64::from_be_bytes(d[..8].try_into().unwrap());
            let u = (x as f64 + 0.5) / 2f64.powi(64);
            (u.ln() / weight_by_rule(&clips, &sha, &in_case), sha)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let recomputed: Vec<String> = keyed.into_iter().take(4).map(|(_, s)| s).collect();
    for c in first["drawn"]["clips"].as_array().unwrap() {
        let sha = c["sha256"].as_str().unwrap();
        assert_eq!(
            c["weight"].as_f64().unwrap(),
            weight_by_rule(&clips, sha, &in_case),
            "{c}"
        );
        let why = c["why"].as_array().unwrap();
        assert_eq!(why.contains(&Value::from("case")), sha == in_case, "{c}");
    }
    assert_eq!(recomputed, drawn(&first), "recomputed from the record");

    // A seed chosen by the reviewer (one that would fall on chosen clips) is refused: a given seed
    // only draws a recorded draw again. A period that does not run forward is refused too.
    let (code, _, err) = run(
        &data,
        &["review", "draw", "--from", FROM, "--to", TO, "--seed", "43"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("seed 43 is on no earlier spot check"), "{err}");
    let (code, _, err) = run(&data, &["review", "draw", "--from", TO, "--to", FROM]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("runs forward"), "{err}");
    // The register shows each draw's seed and scope.
    let text = ok(&data, &["review", "register"]);
    assert!(
        text.contains(&format!("seed {seed}, 4 of 10 clips recorded")),
        "{text}"
    );
    // One officer's draw holds only that officer's clips.
    let one = draw(&data, &["--officer", "100302", "--size", "10"]);
    assert_eq!(drawn(&one).len(), 4, "officer 100302 recorded four clips");
    for c in one["drawn"]["clips"].as_array().unwrap() {
        assert_eq!(c["officer"], "100302");
    }
    // A draw without a seed picks one and records it: drawn again with it, the same sample.
    let picked = one["drawn"]["seed"].as_str().unwrap().to_string();
    let repeat = draw(
        &data,
        &["--officer", "100302", "--size", "10", "--seed", &picked],
    );
    assert_eq!(drawn(&repeat), drawn(&one));

    let (code, _, err) = run(
        &data,
        &["review", "draw", "--from", FROM, "--to", TO, "--size", "0"],
    );
    assert_eq!(code, 2, "{err}");
    ok(&data, &["verify"]);
}

/// The weight the rules give a clip: 1, +3 in a case, +2 after a gap (every clip but the first
/// of its card here), +2 docked late (the fixture's clips were recorded on 2026-11-23).
fn weight_by_rule(clips: &Value, sha: &str, in_case: &str) -> f64 {
    let clip = clips
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sha256"] == sha)
        .unwrap();
    let first_of_card = clip["sequence"] == 1;
    let late = clip["late"] == true;
    1.0 + if sha == in_case { 3.0 } else { 0.0 }
        + if first_of_card { 0.0 } else { 2.0 }
        + if late { 2.0 } else { 0.0 }
}

#[test]
fn findings_are_on_the_record_with_their_reviewer_and_the_register_lists_draws_viewings_and_findings()
 {
    let s = Scratch::new();
    let data = station(&s);
    let d = draw(&data, &["--size", "2", "--actor", "Inspector Li"]);
    let draw_seq = d["draw"].as_i64().unwrap().to_string();
    let [a, b] = <[String; 2]>::try_from(drawn(&d)).unwrap();
    let not_drawn = json(&ok(&data, &["clips", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap().to_string())
        .find(|c| *c != a && *c != b)
        .unwrap();

    // Watching a drawn clip for the spot check goes on the access register like any viewing and
    // names the draw (an open bench station: no accounts, a typed reason; with accounts the
    // approval's request names it). Another viewing of the same clip is not the spot check's, and
    // a viewing for the spot check of a clip it did not draw is refused.
    let cfg = open_config(&s);
    let view = |clip: &str, who: &str, review: Option<&str>| {
        let mut args = vec![
            "--config",
            &cfg,
            "view",
            clip,
            "--actor",
            who,
            "--reason",
            "spot check",
        ];
        if let Some(d) = review {
            args.extend_from_slice(&["--review", d]);
        }
        run(&data, &args)
    };
    let (code, out, err) = view(&a, "Inspector Li", Some(&draw_seq));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = view(&a, "Auditor Wang", None);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = view(&not_drawn, "Inspector Li", Some(&draw_seq));
    assert_eq!(
        code, 2,
        "a viewing for the spot check of a clip it did not draw"
    );
    assert!(
        err.contains(&not_drawn) && err.contains("not drawn"),
        "{err}"
    );

    let finding = |clip: &str, checks: &[&str], who: &str| {
        let mut args = vec![
            "review",
            "finding",
            "--draw",
            &draw_seq,
            clip,
            "--note",
            "seen in full",
            "--actor",
            who,
        ];
        for c in checks {
            args.extend_from_slice(&["--check", c]);
        }
        run(&data, &args)
    };
    let all: Vec<&str> = CHECKS
        .iter()
        .copied()
        .chain(["sound-usable=fail"])
        .collect();
    let (code, out, err) = finding(&a, &all, "Inspector Li");
    assert_eq!(code, 0, "{out}{err}");

    // Refused, each naming what is wrong: a clip not drawn, an item left out, an unknown item.
    let (code, _, err) = finding(&not_drawn, &all, "Inspector Li");
    assert_eq!(code, 2);
    assert!(
        err.contains(&not_drawn) && err.contains("not drawn"),
        "{err}"
    );
    let (code, _, err) = finding(&b, &CHECKS, "Inspector Li");
    assert_eq!(code, 2);
    assert!(err.contains(&b) && err.contains("sound-usable"), "{err}");
    let (code, _, err) = finding(&a, &all, "Inspector Ma");
    assert_eq!(
        code, 2,
        "a second finding on the same clip of the same draw"
    );
    assert!(err.contains(&a) && err.contains("already"), "{err}");
    let (code, _, err) = finding(&b, &["loudness=pass"], "Inspector Li");
    assert_eq!(code, 2);
    assert!(err.contains("loudness"), "{err}");

    // The finding on the ledger: its reviewer, its clip, every answer.
    let custody = json(&ok(&data, &["custody", &a, "--json"]));
    let f = custody["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "review-finding")
        .expect("the finding is in the clip's custody trail");
    assert_eq!(f["actor"], "Inspector Li");
    assert_eq!(f["detail"]["draw"].to_string(), draw_seq);
    let answers: Vec<(String, String)> = f["detail"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["item"].as_str().unwrap().into(),
                c["answer"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(answers.len(), 5);
    assert!(answers.contains(&("sound-usable".into(), "fail".into())));

    let register = json(&ok(&data, &["review", "register", "--json"]));
    let entries: Vec<(String, String, Option<String>)> = register["register"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entry"].as_str().unwrap().into(),
                e["actor"].as_str().unwrap().into(),
                e["clip"].as_str().map(Into::into),
            )
        })
        .collect();
    let li = || "Inspector Li".to_string();
    assert_eq!(
        entries,
        vec![
            ("draw".into(), li(), None),
            ("viewing".into(), li(), Some(a.clone())),
            ("finding".into(), li(), Some(a.clone())),
        ],
        "the register: the draw, the viewing of a drawn clip, the finding"
    );
    ok(&data, &["verify"]);
}

#[test]
fn each_gap_is_open_until_its_reason_is_on_record_and_the_report_counts_both() {
    let s = Scratch::new();
    let data = station(&s);
    let gaps = json(&ok(&data, &["gaps", "--json"]));
    let gaps = gaps.as_array().unwrap();
    // Six clips ten minutes apart, and four: five gaps and three, each the resumed clip's officer's.
    assert_eq!(gaps.len(), 8, "{gaps:?}");
    let of = |officer: &str| gaps.iter().filter(|g| g["officer"] == officer).count();
    assert_eq!((of("100301"), of("100302")), (5, 3));
    assert!(gaps.iter().all(|g| g["explained"].is_null()));
    let first = gaps.iter().find(|g| g["officer"] == "100301").unwrap();
    let id = first["id"].as_str().unwrap();

    ok(
        &data,
        &[
            "explain-gap",
            id,
            "--reason",
            "battery-or-storage",
            "--text",
            "battery swapped at the scene",
            "--actor",
            "PC 100301",
        ],
    );
    let open = json(&ok(&data, &["gaps", "--open", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 7);
    assert!(open.as_array().unwrap().iter().all(|g| g["id"] != id));
    let all = json(&ok(&data, &["gaps", "--json"]));
    let explained = &all
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap()["explained"];
    assert_eq!(explained["reason"], "battery-or-storage");
    assert_eq!(explained["by"], "PC 100301");
    assert_eq!(explained["officer"], "100301");

    // Refused, each saying why: explained already, `other` without words, no such gap, no such
    // reason.
    let refused = |args: &[&str], says: &str| {
        let (code, _, err) = run(&data, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["explain-gap", id, "--reason", "weather"],
        "explained already",
    );
    let other = gaps[1]["id"].as_str().unwrap();
    refused(&["explain-gap", other, "--reason", "other"], "--text");
    refused(&["explain-gap", "999.0", "--reason", "weather"], "999.0");
    refused(&["explain-gap", other, "--reason", "bored"], "bored");

    // A spot check's finding with a failed item, for the report.
    let d = draw(&data, &["--officer", "100301", "--size", "1"]);
    let clip = drawn(&d).remove(0);
    let draw_seq = d["draw"].to_string();
    let mut args = vec![
        "review",
        "finding",
        "--draw",
        &draw_seq,
        &clip,
        "--check",
        "sound-usable=fail",
    ];
    for c in CHECKS {
        args.extend_from_slice(&["--check", c]);
    }
    ok(&data, &args);

    let report = json(&ok(
        &data,
        &["report", "--from", FROM, "--to", TO, "--json"],
    ));
    let officers = report["officers"].as_array().unwrap();
    let row = |o: &str| officers.iter().find(|r| r["officer"] == o).unwrap().clone();
    let a = row("100301");
    assert_eq!(a["recordings"], 6);
    assert_eq!(
        (
            a["gaps"].as_u64(),
            a["gaps_explained"].as_u64(),
            a["gaps_open"].as_u64()
        ),
        (Some(5), Some(1), Some(4))
    );
    assert_eq!(
        (a["findings"].as_u64(), a["findings_failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(a["failed_items"]["sound-usable"], 1);
    // Recorded on 2026-11-23, docked today: late by the 24-hour policy (the fixture's date).
    let docked_late = json(&ok(&data, &["clips", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["officer"] == "100301" && c["late"] == true)
        .count() as u64;
    assert_eq!(a["stored_late"].as_u64(), Some(docked_late));
    assert_eq!(a["stored_in_time"].as_u64(), Some(6 - docked_late));
    let hours = a["hours_recorded"].as_f64().unwrap();
    assert!(
        hours > 5.0 / 3600.0 && hours < 13.0 / 3600.0,
        "six clips of about 2 s: {hours} h"
    );
    let b = row("100302");
    assert_eq!(
        (
            b["recordings"].as_u64(),
            b["gaps_open"].as_u64(),
            b["findings"].as_u64()
        ),
        (Some(4), Some(3), Some(0))
    );
    // The same figures for a spreadsheet, and as the page a person files.
    let csv = ok(&data, &["report", "--from", FROM, "--to", TO, "--csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("officer,recordings,hours_recorded,"),
        "{csv}"
    );
    let row = lines
        .iter()
        .find(|l| l.starts_with("100301,"))
        .expect("a row for 100301");
    assert!(
        row.starts_with("100301,6,") && row.ends_with(",sound-usable: 1"),
        "{row}"
    );
    assert_eq!(lines.len(), 3, "a header and two officers: {csv}");
    let html = ok(&data, &["report", "--from", FROM, "--to", TO, "--html"]);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    for part in [
        "<td>100301</td><td>6</td>",
        "<td>100302</td><td>4</td>",
        "Reviewed by:",
        "2026-11-01T00:00:00.000Z",
    ] {
        assert!(html.contains(part), "the report shows {part}: {html}");
    }
    // One officer, and a period with nothing in it.
    let one = json(&ok(
        &data,
        &[
            "report",
            "--from",
            FROM,
            "--to",
            TO,
            "--officer",
            "100302",
            "--json",
        ],
    ));
    assert_eq!(one["officers"].as_array().unwrap().len(), 1);
    let none = json(&ok(
        &data,
        &[
            "report",
            "--from",
            "2025-01-01T00:00:00Z",
            "--to",
            "2025-02-01T00:00:00Z",
            "--json",
        ],
    ));
    assert!(none["officers"].as_array().unwrap().is_empty());
    ok(&data, &["verify"]);
}
