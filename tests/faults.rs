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

/// Events of `kind` in the ledger; 0 when a kill came before the ledger had its tables.
fn count_events(data: &Path, kind: &str) -> i64 {
    let db = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
    match db.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
        r.get(0)
    }) {
        Ok(n) => n,
        Err(e) if e.to_string().contains("no such table") => 0,
        Err(e) => panic!("reading the ledger: {e}"),
    }
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
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0x9e3779b97f4a7c15);
    let mut killed_mid_way = 0;
    for run in 0..runs {
        let data = s.join(&format!("data{run}"));
        let d = data.to_str().unwrap();
        let _ = std::fs::remove_file(vol.join("TIMESET.TXT"));
        // 12 MiB at 40 MB/s is ~0.35 s of reading; kill anywhere in 0..500 ms.
        let delay = Duration::from_millis(rand::Rng::random_range(&mut rng, 0..500));
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
        // between writing TIMESET.TXT and recording it leaves the file without its event; the
        // re-dock records it as found, checked below.)
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

        let timeset_before = std::fs::read_to_string(vol.join("TIMESET.TXT")).ok();
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
        if let Some(line) = timeset_before {
            let db = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
            let recorded: i64 = db
                .query_row(
                    "SELECT count(*) FROM events WHERE instr(detail_json, ?1) > 0",
                    [line.trim()],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(
                recorded > 0,
                "run {run}: TIMESET.TXT {line:?} on the card is in the ledger"
            );
        }
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
    let error = failed_clip_error(&r);
    assert!(
        error.contains("0002.MP4") && error.contains("not enough for this clip"),
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

/// Runs a shell command; panics with the command when it fails.
fn sh(cmd: &str) {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Damages one file of an exFAT image the way a failing card does: from `good_clusters` on, its
/// cluster chain leads to a cluster marked bad, so the exFAT driver answers reads there with EIO.
fn break_exfat_file(image: &Path, name: &str, good_clusters: u32) {
    let mut img = std::fs::read(image).unwrap();
    let u32_at = |img: &[u8], at: usize| u32::from_le_bytes(img[at..at + 4].try_into().unwrap());
    let sector = 1usize << img[108];
    let fat = u32_at(&img, 80) as usize * sector;
    // The name is spread, 15 UTF-16 units at a time, over the 0xC1 entries after the stream entry.
    let utf16: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let name_at = |at: usize| -> Vec<u8> {
        (0..utf16.len().div_ceil(30))
            .flat_map(|k| img[at + 32 * k + 2..at + 32 * k + 32].to_vec())
            .take(utf16.len())
            .collect()
    };
    let name_entry = (0..img.len() / 32 - 8)
        .map(|i| i * 32)
        .find(|&at| img[at] == 0xC1 && img[at - 32] == 0xC0 && name_at(at) == utf16)
        .unwrap_or_else(|| panic!("{name} not found in the image"));
    let (stream, file) = (name_entry - 32, name_entry - 64);
    assert_eq!(
        (img[stream], img[file]),
        (0xC0, 0x85),
        "entry set of {name}"
    );
    // Follow the FAT chain (not "contiguous") and write that chain: good clusters, then a bad one.
    img[stream + 1] &= !0x02;
    let first = u32_at(&img, stream + 20);
    for c in first..first + good_clusters {
        let next = if c + 1 == first + good_clusters {
            0xFFFF_FFF7
        } else {
            c + 1
        };
        img[fat + 4 * c as usize..][..4].copy_from_slice(&u32::to_le_bytes(next));
    }
    // The entry set's checksum covers every byte of the set but the checksum itself.
    let set_len = (img[file + 1] as usize + 1) * 32;
    let mut sum: u16 = 0;
    for (i, b) in img[file..file + set_len].iter().enumerate() {
        if i != 2 && i != 3 {
            sum = sum.rotate_right(1).wrapping_add(*b as u16);
        }
    }
    img[file + 2..file + 4].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(image, img).unwrap();
}

/// A real exFAT card image, mounted read-only through the FUSE exFAT driver over a read-only loop
/// device, with one clip whose second half cannot be read (EIO): that clip fails with the error
/// and its name, the others are stored, and the camera is flagged for attention.
#[test]
fn a_card_that_answers_eio_fails_that_clip_and_the_others_are_stored() {
    let s = Scratch::new();
    let staged = s.join("card-files");
    camera(&staged, "7070707", 2);
    let broken = "7070707_100234_20261123120000_0003.MP4";
    random_file(&staged.join("DCIM/100MEDIA").join(broken), 8 << 20, 3);
    let image = s.join("card.img");
    let mnt = s.join("card");
    std::fs::create_dir_all(&mnt).unwrap();
    let (img, m) = (image.display(), mnt.display());
    // Filled through the driver itself, in a private mount namespace that keeps the host clean.
    sh(&format!(
        "truncate -s 64M {img} && mkfs.exfat {img} >/dev/null"
    ));
    sh(&format!(
        "unshare --mount --propagation private sh -ec 'dev=$(losetup -f --show {img}); \
         mount.exfat-fuse $dev {m} >/dev/null; cp -r {staged}/. {m}/; umount {m}; losetup -d $dev'",
        staged = staged.display()
    ));
    break_exfat_file(&image, broken, 1024); // 4 MiB readable, then EIO

    let data = s.join("data");
    let ingest = format!(
        "dev=$(losetup -r -f --show {img}); mount.exfat-fuse -o ro $dev {m} >/dev/null; \
         {bin} --data-dir {data} ingest {m} --json; rc=$?; umount {m}; losetup -d $dev; exit $rc",
        bin = bin(),
        data = data.display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &ingest])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed clip is exit 1: {stderr}"
    );
    let r = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        (r["stored"].as_u64(), r["failed"].as_u64()),
        (Some(2), Some(1)),
        "{r}"
    );
    let error = failed_clip_error(&r);
    assert!(
        error.contains(broken)
            && error.contains("reading the clip from the camera failed")
            && error.contains("Input/output error"),
        "{error}"
    );
    let attention = r["attention"].to_string();
    assert!(attention.contains("1 read error(s)"), "{attention}");
    // The clips that were readable are stored byte for byte as they are on the card.
    for c in r["clips"].as_array().unwrap() {
        if c["outcome"] == "stored" {
            let source = c["source"].as_str().unwrap();
            let on_card = tool_digest("sha256sum", &staged.join(source));
            assert_eq!(c["sha256"].as_str(), Some(on_card.as_str()), "{source}");
        }
    }
    let (code, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "verify"]);
    assert_eq!(code, 0, "{out}");
}
