//! A generated corpus of hostile volumes, each docked through the real binary: odd names, links
//! out of the volume and in loops, fifos, sockets and device nodes, huge sparse files, 100,000 tiny
//! files, malformed control files, absurd clocks, and seeded random mixes of all of them.
//!
//! For every volume the same promises hold: `camdock ingest` ends (exit 0 or 1, never a panic or a
//! signal) within a time limit; every clip is stored byte for byte or failed by name; nothing from
//! outside the volume reaches the store; the card's files are unchanged; `verify` passes.
//!
//! Bounded by default; `CAMDOCK_CORPUS_TINY_CLIPS=100000 CAMDOCK_CORPUS_RANDOM=200` is the full
//! run (`./dev proof`). `CAMDOCK_CORPUS_SEED` replays a random mix.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MEDIA: &str = "DCIM/100MEDIA";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn special(path: &Path, kind: rustix::fs::FileType, dev: u64) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        kind,
        rustix::fs::Mode::from_raw_mode(0o644),
        dev,
    )
    .unwrap();
}

/// SHA-256 of every regular file under `dir` (links never followed), by path.
fn regular_files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                todo.push(p);
            } else if meta.is_file() && meta.len() < 1 << 30 {
                let digest = hex::encode(Sha256::digest(fs::read(&p).unwrap()));
                found.insert(p, digest);
            }
        }
    }
    found
}

/// What one docking of a hostile volume gave.
struct Docked {
    report: serde_json::Value,
    stored: BTreeSet<String>,
}

/// Docks `vol` with `camdock ingest` and checks the promises every volume must keep.
fn dock_and_check(s: &Scratch, vol: &Path, outside: &[&Path], limit: Duration) -> Docked {
    let card_before = regular_files(vol);
    let data = s.join("data");
    let started = Instant::now();
    let mut child = Command::new(bin())
        .args(["--data-dir", data.to_str().unwrap(), "ingest"])
        .arg(vol)
        .args(["--camera", "6660666", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut out, &mut text).unwrap();
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("ingest of {} hung past {limit:?}", vol.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut err, &mut stderr).unwrap();
    let stdout = reader.join().unwrap();
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{}: exit {status} (a panic is 101, a signal has no code)\n{stderr}",
        vol.display()
    );
    let report = json(&stdout);

    let clips = report["clips"].as_array().unwrap();
    let count = |o: &str| clips.iter().filter(|c| c["outcome"] == o).count() as u64;
    assert_eq!(
        report["stored"].as_u64().unwrap()
            + report["already_stored"].as_u64().unwrap()
            + report["failed"].as_u64().unwrap(),
        clips.len() as u64,
        "every listed clip has one outcome"
    );
    assert_eq!(count("failed"), report["failed"].as_u64().unwrap());
    for c in clips.iter().filter(|c| c["outcome"] == "failed") {
        let name = c["source"].as_str().unwrap().rsplit('/').next().unwrap();
        let error = c["error"].as_str().unwrap();
        assert!(error.contains(name), "the error names the clip: {error}");
    }
    // Stored means: the bytes of a file on this card, under its SHA-256, and nothing else.
    let on_card: BTreeSet<&String> = card_before.values().collect();
    let mut stored = BTreeSet::new();
    for c in clips.iter().filter(|c| c["outcome"] != "failed") {
        let sha = c["sha256"].as_str().unwrap().to_string();
        assert!(
            on_card.contains(&sha) || c["bytes"].as_u64() > Some(1 << 30),
            "stored {sha} for {} is no file of the card",
            c["source"]
        );
        stored.insert(sha);
    }
    for o in outside {
        let sha = hex::encode(Sha256::digest(fs::read(o).unwrap()));
        assert!(
            !stored.contains(&sha),
            "{} outside the volume was stored",
            o.display()
        );
    }
    // Never written to the card (no wipe policy here); the clock file is the one thing the
    // station may leave, and only after the clips were committed.
    let mut card_after = regular_files(vol);
    card_after.retain(|p, _| p.file_name() != Some(OsStr::new("TIMESET.TXT")));
    let mut card_before = card_before;
    card_before.retain(|p, _| p.file_name() != Some(OsStr::new("TIMESET.TXT")));
    assert!(
        card_after == card_before,
        "the card changed: {}",
        vol.display()
    );

    let (code, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "verify"]);
    assert_eq!(code, 0, "verify after {}: {out}", vol.display());
    Docked { report, stored }
}

fn sources(d: &Docked, outcome: &str) -> Vec<String> {
    d.report["clips"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == outcome)
        .map(|c| c["source"].as_str().unwrap().to_string())
        .collect()
}

fn skipped(d: &Docked) -> String {
    d.report["skipped"].to_string()
}

#[test]
fn odd_names_are_stored_and_printable() {
    let s = Scratch::new();
    let vol = s.join("names");
    camera(&vol, "6660666", 1);
    let media = vol.join(MEDIA);
    let names: Vec<&[u8]> = vec![
        b"line\nbreak.mp4",
        b"bad\xff\xfename.wav",
        b"-rf .mp4",
        b"   .mp4",
        "\u{202e}4pm.exe.mp4".as_bytes(),
        b"back\\slash%00.mp4",
        b"a..b.mp4",
        b"tab\there\r.mp4",
        "视频 证据.MP4".as_bytes(),
        b"\x1b[31mred.mp4",
    ];
    for (i, n) in names.iter().enumerate() {
        fs::write(media.join(OsStr::from_bytes(n)), format!("clip {i}")).unwrap();
    }
    let long = format!("{}.MP4", "y".repeat(251));
    fs::write(media.join(&long), b"long").unwrap();
    let d = dock_and_check(&s, &vol, &[], Duration::from_secs(60));
    assert_eq!(
        d.report["stored"].as_u64(),
        Some(names.len() as u64 + 2),
        "{}",
        d.report["clips"]
    );
    for source in sources(&d, "stored") {
        assert!(
            !source.chars().any(|c| c.is_control() || c == '\u{202E}'),
            "printable: {source:?}"
        );
    }
}

#[test]
fn links_fifos_sockets_and_devices_are_never_followed_or_opened() {
    let s = Scratch::new();
    let outside = s.join("outside");
    fs::create_dir_all(outside.join(MEDIA)).unwrap();
    let secret = outside
        .join(MEDIA)
        .join("6660666_100001_20261123080000_0009.MP4");
    fs::write(&secret, b"a clip that is not on this card").unwrap();
    let vol = s.join("links");
    camera(&vol, "6660666", 1);
    let media = vol.join(MEDIA);
    symlink(&secret, media.join("escape.MP4")).unwrap();
    symlink("../../../outside/DCIM/100MEDIA", media.join("escape-dir")).unwrap();
    symlink(outside.join("DCIM"), vol.join("DCIM2")).unwrap();
    symlink("loop-b", media.join("loop-a.MP4")).unwrap();
    symlink("loop-a.MP4", media.join("loop-b")).unwrap();
    symlink(".", media.join("self")).unwrap();
    symlink("/nonexistent/x.MP4", media.join("dangling.MP4")).unwrap();
    special(&media.join("fifo.MP4"), rustix::fs::FileType::Fifo, 0);
    // /dev/zero (1, 5): a reader that followed it would copy forever.
    special(
        &media.join("zero.MP4"),
        rustix::fs::FileType::CharacterDevice,
        rustix::fs::makedev(1, 5),
    );
    let _socket = std::os::unix::net::UnixListener::bind(media.join("socket.MP4")).unwrap();
    // The control files as links and fifos: read through, they would leak or block.
    symlink("/etc/shadow", vol.join("DEVICE.TXT.tmp")).unwrap();
    fs::rename(vol.join("DEVICE.TXT.tmp"), vol.join("DEVICE.TXT")).unwrap();
    special(&vol.join("CAMDOCK.INI"), rustix::fs::FileType::Fifo, 0);
    let d = dock_and_check(&s, &vol, &[&secret], Duration::from_secs(60));
    assert_eq!(
        d.report["stored"].as_u64(),
        Some(1),
        "{}",
        d.report["clips"]
    );
    let skipped = skipped(&d);
    for name in [
        "escape.MP4",
        "escape-dir",
        "loop-a.MP4",
        "self",
        "dangling.MP4",
        "fifo.MP4",
        "zero.MP4",
        "socket.MP4",
    ] {
        assert!(
            skipped.contains(name),
            "{name} reported as skipped: {skipped}"
        );
    }
}

#[test]
fn huge_sparse_and_empty_files_fail_or_store_without_filling_the_disk() {
    let s = Scratch::new();
    let vol = s.join("sparse");
    camera(&vol, "6660666", 1);
    let media = vol.join(MEDIA);
    // 8 TiB that occupy nothing on the card: far more than the store's disk holds.
    let huge = media.join("6660666_100001_20261123090000_0005.MP4");
    fs::File::create(&huge).unwrap().set_len(8 << 40).unwrap();
    fs::write(media.join("6660666_100001_20261123090000_0006.MP4"), b"").unwrap();
    let d = dock_and_check(&s, &vol, &[], Duration::from_secs(60));
    let error = failed_clip_error(&d.report);
    assert!(
        error.contains("0005.MP4") && error.contains("not enough for this clip"),
        "{error}"
    );
    assert_eq!(
        d.report["stored"].as_u64(),
        Some(2),
        "the real and the empty clip"
    );
    assert!(staged_files(&s.join("data")).is_empty());
}

#[test]
fn malformed_control_files_and_absurd_clocks_are_flagged_not_fatal() {
    let s = Scratch::new();
    let garbage: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("binary", garbage.clone(), garbage),
        (
            "clock-1980",
            b"serial=6660666\nclock=1980-01-01 00:00:00\nbattery=250%\n".to_vec(),
            b"serial=6660666\nofficer=100001\nunit=X\nbound_at=2026-01-01\nmac=\n".to_vec(),
        ),
        (
            "clock-2099",
            b"\xef\xbb\xbfserial = 6660666\r\nclock=2099-12-31 23:59:59\r\nofficer=../../etc\r\n"
                .to_vec(),
            b"[binding]\nserial=6660666\nmac=00\n".to_vec(),
        ),
        ("no-newlines", vec![b'='; 70_000], vec![b'\n'; 70_000]),
    ];
    for (name, device, binding) in cases {
        let vol = s.join(name);
        camera(&vol, "6660666", 1);
        fs::write(vol.join("DEVICE.TXT"), device).unwrap();
        fs::write(vol.join("CAMDOCK.INI"), binding).unwrap();
        let d = dock_and_check(&s, &vol, &[], Duration::from_secs(60));
        assert_eq!(d.report["failed"].as_u64(), Some(0), "{name}");
        if name.starts_with("clock") {
            let attention = d.report["attention"].to_string();
            assert!(attention.contains("clock off"), "{name}: {attention}");
        }
    }
}

/// 100,000 tiny files outside the clip folders and many tiny clips inside: listed without
/// blowing up, every clip stored once. `CAMDOCK_CORPUS_TINY_CLIPS` sets the clip count.
#[test]
fn a_card_of_100000_tiny_files_is_walked_and_every_clip_stored() {
    let s = Scratch::new();
    let vol = s.join("many");
    camera(&vol, "6660666", 1);
    let tiny_clips = env_number("CAMDOCK_CORPUS_TINY_CLIPS", 2_000);
    let other = 100_000 - tiny_clips.min(100_000);
    for i in 0..tiny_clips {
        fs::write(
            vol.join(MEDIA).join(format!("T{i:06}.MP4")),
            format!("tiny clip {i}"),
        )
        .unwrap();
    }
    for i in 0..other {
        let dir = vol.join(format!("MISC/{:03}", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir_all(&dir).unwrap();
        }
        fs::write(dir.join(format!("f{i:06}.bin")), i.to_string()).unwrap();
    }
    // Each clip is probed in its own walled-off child process (tens of ms to start).
    let limit = Duration::from_secs(120 + tiny_clips / 10);
    let d = dock_and_check(&s, &vol, &[], limit);
    assert_eq!(d.report["stored"].as_u64(), Some(tiny_clips + 1));
    assert_eq!(d.stored.len() as u64, tiny_clips + 1, "each stored once");
    assert_eq!(
        d.report["other_files"].as_array().unwrap().len() as u64,
        other
    );
}

/// Seeded random volumes mixing every hazard above; `CAMDOCK_CORPUS_RANDOM` volumes (default 6)
/// from `CAMDOCK_CORPUS_SEED` (default: the time; printed so a failure can be replayed).
#[test]
fn random_hostile_volumes_keep_every_promise() {
    let seed = env_number(
        "CAMDOCK_CORPUS_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    let volumes = env_number("CAMDOCK_CORPUS_RANDOM", 6);
    println!("CAMDOCK_CORPUS_SEED={seed}");
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut next = move |n: u64| rand::Rng::random_range(&mut rng, 0..n.max(1));
    let s = Scratch::new();
    let outside = s.join("outside.MP4");
    fs::write(&outside, b"outside the volume").unwrap();
    for v in 0..volumes {
        let vol = s.join(&format!("random{v}"));
        camera(&vol, "6660666", next(3) as u32);
        fs::create_dir_all(vol.join(MEDIA)).unwrap();
        let mut dirs = vec![vol.join(MEDIA), vol.clone()];
        for i in 0..(5 + next(40)) {
            let dir = dirs[next(dirs.len() as u64) as usize].clone();
            // Any byte but '/' and NUL may be in a name.
            let len = 1 + next(60) as usize;
            let mut name: Vec<u8> = (0..len)
                .map(|_| 1 + next(254) as u8)
                .filter(|&b| b != b'/')
                .collect();
            if name.is_empty() || name == b"." || name == b".." {
                name = b"x".to_vec();
            }
            name.extend_from_slice(
                [&b".MP4"[..], b".mp4", b".WAV", b".jpg", b""][next(5) as usize],
            );
            name.truncate(255);
            let path = dir.join(OsStr::from_bytes(&name));
            if fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            match next(10) {
                0 => {
                    fs::create_dir_all(&path).unwrap();
                    dirs.push(path);
                }
                1 => symlink(&outside, &path).unwrap(),
                2 => symlink("..", &path).unwrap(),
                3 => special(&path, rustix::fs::FileType::Fifo, 0),
                4 => {
                    // Sparse: terabytes that no disk here holds, or megabytes of zeros.
                    let len = if next(2) == 0 {
                        (1 + next(8)) << 40
                    } else {
                        next(64) << 20
                    };
                    fs::File::create(&path).unwrap().set_len(len).unwrap()
                }
                _ => random_file(&path, next(300_000), seed ^ i),
            }
        }
        if next(3) == 0 {
            let junk: Vec<u8> = (0..next(5000)).map(|_| next(256) as u8).collect();
            fs::write(vol.join("DEVICE.TXT"), junk).unwrap();
        }
        dock_and_check(&s, &vol, &[&outside], Duration::from_secs(120));
    }
}
