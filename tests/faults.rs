//! Faults a station meets: power cuts (kill -9) at random moments of an ingest, and a store disk
//! that fills up. After each: every clip stored exactly once or still on the camera, nothing half
//! counted, the chain intact, and nothing written to the camera before its clips were committed.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn card_digests(vol: &Path) -> BTreeMap<String, String> {
    let media = vol.join("DCIM/100MEDIA");
    std::fs::read_dir(&media)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                tool_digest("sha256sum", &p),
            )
        })
        .collect()
}

fn count_events(data: &Path, kind: &str) -> i64 {
    let db = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
    db.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
        r.get(0)
    })
    .unwrap()
}

/// `CAMDOCK_CRASH_RUNS` runs (default 50): kill -9 at a random instant, then re-dock.
#[test]
fn kill_9_at_random_moments_loses_nothing_and_stores_nothing_twice() {
    let runs: u64 = std::env::var("CAMDOCK_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let s = Scratch::new();
    let vol = s.join("cam");
    // A camera an hour fast, so a completed session writes TIMESET.TXT: it must never appear
    // before every clip is committed.
    let spec = camdock::simulate::CameraSpec {
        serial: "9090909".into(),
        clips: 2,
        seconds: 1,
        clock_offset_s: 3600,
        ..Default::default()
    };
    camdock::simulate::write_volume(&vol, &spec).unwrap();
    for i in 0..4 {
        random_file(
            &vol.join(format!(
                "DCIM/100MEDIA/9090909_100234_2026112312{i}000_{:04}.MP4",
                3 + i
            )),
            3 << 20,
            100 + i,
        );
    }
    let before = card_digests(&vol);
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut killed_mid_way = 0;
    for run in 0..runs {
        let data = s.join(&format!("data{run}"));
        let d = data.to_str().unwrap();
        let _ = std::fs::remove_file(vol.join("TIMESET.TXT"));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // 12 MiB at 40 MB/s is ~0.35 s of reading; kill anywhere in 0..500 ms.
        let delay = Duration::from_millis(seed % 500);
        let mut child = Command::new(bin())
            .args([
                "--data-dir",
                d,
                "ingest",
                vol.to_str().unwrap(),
                "--throttle",
                "40",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        if !finished {
            killed_mid_way += 1;
        }
        // The invariant: nothing is written to the camera before every clip is committed. (A kill
        // between writing TIMESET.TXT and recording it can leave the file without its event.)
        let committed = data.join(camdock::station::LEDGER_FILE).exists()
            && count_events(&data, "clip-stored") == 6;
        assert!(
            !vol.join("TIMESET.TXT").exists() || committed,
            "run {run}: the camera was written to before its clips were committed"
        );
        assert_eq!(
            card_digests(&vol),
            before,
            "run {run}: the clips on the camera changed"
        );

        // Restart and re-dock: the job finishes, nothing doubled.
        let (code, out, err) =
            camdock(&["--data-dir", d, "ingest", vol.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "run {run}: re-dock failed: {err}");
        let r = json(&out);
        assert_eq!(
            r["stored"].as_u64().unwrap() + r["already_stored"].as_u64().unwrap(),
            6,
            "run {run}"
        );
        let (_, out, _) = camdock(&["--data-dir", d, "clips", "--json"]);
        assert_eq!(
            json(&out).as_array().unwrap().len(),
            6,
            "run {run}: every clip exactly once"
        );
        assert_eq!(
            count_events(&data, "clip-stored"),
            6,
            "run {run}: one clip-stored per clip"
        );
        let (code, out, _) = camdock(&["--data-dir", d, "verify", "--json"]);
        assert_eq!(code, 0, "run {run}: verify after recovery: {out}");
        assert!(
            staged_files(&data).is_empty(),
            "run {run}: staging left behind"
        );
        let _ = Command::new("chattr")
            .args(["-R", "-i"])
            .arg(&data)
            .status();
        std::fs::remove_dir_all(&data).unwrap();
    }
    assert!(
        killed_mid_way * 2 >= runs,
        "most kills must land mid-ingest ({killed_mid_way} of {runs})"
    );
    println!(
        "crash suite: {runs} runs, {killed_mid_way} killed mid-ingest, 0 clips lost, 0 duplicated"
    );
}

/// The store on a small ext4 image that fills up: a clear error naming the clip, the clip not
/// counted, nothing wiped from the camera; with space freed, a re-dock finishes the job.
#[test]
fn a_full_store_disk_fails_clearly_and_recovers_when_space_is_freed() {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "8080808", 1);
    random_file(
        &vol.join("DCIM/100MEDIA/8080808_100234_20261123120000_0002.MP4"),
        24 << 20,
        7,
    );
    let before = card_digests(&vol);
    let image = s.join("store.img");
    let mnt = s.join("store");
    std::fs::create_dir_all(&mnt).unwrap();
    let sh = |cmd: &str| {
        assert!(
            Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .status()
                .unwrap()
                .success(),
            "{cmd}"
        )
    };
    // 16 MiB of filesystem for a 24 MiB clip; a private mount namespace keeps the host clean.
    sh(&format!(
        "truncate -s 16M {0} && mkfs.ext4 -q -F {0}",
        image.display()
    ));
    let cfg = s.join("wipe.toml");
    std::fs::write(&cfg, "[policy]\nwipe_after_ingest = true\n").unwrap();
    let ingest = format!(
        "mount -o loop {img} {mnt} && {bin} --config {cfg} --data-dir {mnt}/data ingest {vol} --json; rc=$?; umount {mnt}; exit $rc",
        img = image.display(),
        mnt = mnt.display(),
        bin = bin(),
        cfg = cfg.display(),
        vol = vol.display()
    );
    // Mounts the image in a private namespace, ingests, unmounts; the exit code must be `want`.
    let dock = |want: i32| {
        let out = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &ingest])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(want),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8_lossy(&out.stdout))
    };
    let r = dock(1); // a failed clip is exit 1
    assert_eq!(
        (r["stored"].as_u64(), r["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let failed = r["clips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "failed")
        .unwrap();
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("0002.MP4") && error.contains("writing the clip to the store failed"),
        "{error}"
    );
    assert_eq!(
        r["wiped"].as_array().unwrap().len(),
        0,
        "nothing wiped while a clip is not stored"
    );
    assert_eq!(card_digests(&vol), before);

    // Space freed (the filesystem grown to 64 MiB): the re-dock stores the rest.
    sh(&format!(
        "truncate -s 64M {0} && e2fsck -fy {0} >/dev/null 2>&1; resize2fs {0} >/dev/null 2>&1",
        image.display()
    ));
    let r = dock(0);
    assert_eq!(
        (r["stored"].as_u64(), r["already_stored"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        r["wiped"].as_array().unwrap().len(),
        2,
        "now every clip is committed, the wipe policy runs"
    );
}
