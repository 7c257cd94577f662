//! libav behind a wall (media/sandbox.rs): each stored clip is probed in a child process that can
//! read that clip and write its answer, nothing else. A child that crashes or hangs costs the
//! clip its media facts ("unknown: probe failed"), never the clip, the ingest or the daemon.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FAULT: &str = camdock::media::sandbox::FAULT_ENV;

/// `camdock probe-clip` given `clip` over its socket, as the station hands it one, with an
/// optional fault; the socket then ends and the child exits.
fn probe_child(clip: &Path, fault: Option<&str>) -> (Option<i32>, String) {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut cmd = Command::new(bin());
    cmd.arg("probe-clip")
        .stdin(std::os::fd::OwnedFd::from(theirs))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(f) = fault {
        cmd.env(FAULT, f);
    }
    let child = cmd.spawn().unwrap();
    camdock::media::sandbox::send_clip(&ours, &std::fs::File::open(clip).unwrap(), 5).unwrap();
    drop(ours);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn ffmpeg(args: &[&str]) {
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "ffmpeg {args:?}");
}

#[test]
fn the_walled_probe_reads_real_media_and_can_open_nothing_else() {
    let s = Scratch::new();
    let mp4 = s.join("clip.mp4");
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=3:size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=duration=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
        ]
        .into_iter()
        .chain([mp4.to_str().unwrap()])
        .collect::<Vec<_>>(),
    );
    let (code, out) = probe_child(&mp4, None);
    assert_eq!(code, Some(0));
    let facts = json(&out);
    assert_eq!(facts["integrity"], "ok", "{out}");
    assert_eq!(
        (facts["video_codec"].as_str(), facts["width"].as_u64()),
        (Some("h264"), Some(640))
    );

    // Damage is still found behind the wall: the index at the front promises what is cut off.
    let cut = s.join("cut.mp4");
    let bytes = std::fs::read(&mp4).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (_, out) = probe_child(&cut, None);
    assert_eq!(json(&out)["integrity"], "damaged", "{out}");

    // What a demuxer bug could do once it runs code in the child: open a file, open a socket.
    // Both are refused by the child's seccomp filter (EPERM = errno 1).
    let (code, out) = probe_child(&mp4, Some("escape"));
    assert_eq!(code, Some(0));
    let tried = json(&out);
    assert_eq!(tried["open"], "errno 1", "{out}");
    assert_eq!(tried["socket"], "errno 1", "{out}");
}

#[test]
fn a_probe_that_crashes_leaves_every_clip_stored_with_the_probe_failure_on_record() {
    for (fault, signal) in [
        ("crash", "signal 11 (a crash)"),
        ("abort", "signal 6 (an abort)"),
    ] {
        crashing_probe(fault, signal);
    }
}

/// `camdock ingest VOLUME --json` into `data` with the probe child's `fault`.
/// `camdock run` on `data` with an empty media root under `s` (docked into by rename), no
/// dashboard, `extra` config and the probe child's `fault`; its log in `s/daemon.log`. Stopped when
/// dropped, so a failing test leaves no daemon behind.
fn daemon_with_fault(s: &Scratch, data: &Path, extra: &str, fault: &str) -> Running {
    let media = s.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let cfg = s.join("camdock.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"\"\n{extra}",
            media.display()
        ),
    )
    .unwrap();
    Command::new(bin())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "run",
        ])
        .env(FAULT, fault)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(s.join("daemon.log")).unwrap())
        .spawn()
        .map(Running)
        .unwrap()
}

fn ingest_with_fault(data: &Path, volume: &Path, fault: &str) -> std::process::Output {
    Command::new(bin())
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "ingest",
            volume.to_str().unwrap(),
            "--json",
        ])
        .env(FAULT, fault)
        .output()
        .unwrap()
}

fn crashing_probe(fault: &str, signal: &str) {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "7070707", 3);
    let data = s.join("data");
    let started = Instant::now();
    let out = ingest_with_fault(&data, &vol, fault);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{fault}: a crash is seen at once"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&text)["stored"], 3, "{text}");
    let (_, clips, _) = camdock(&["--data-dir", data.to_str().unwrap(), "clips", "--json"]);
    for clip in json(&clips).as_array().unwrap() {
        assert_eq!(clip["media"]["integrity"], "unknown", "{clip}");
        let why = clip["media"]["problems"][0].as_str().unwrap();
        assert_eq!(
            why,
            format!("probe failed: the probe was killed by {signal}"),
            "{fault}"
        );
    }
    let (code, out, err) = camdock(&["--data-dir", data.to_str().unwrap(), "verify"]);
    assert_eq!(code, 0, "the clips themselves are intact: {out}{err}");
}

#[test]
fn a_probe_that_hangs_is_stopped_and_the_daemon_docks_on() {
    let s = Scratch::new();
    let media = s.join("media");
    let data = s.join("data");
    let mut daemon = daemon_with_fault(&s, &data, "[media]\nprobe_timeout = \"2s\"\n", "hang");
    std::thread::sleep(Duration::from_millis(500));
    let stored = |camera: &str| -> Vec<serde_json::Value> {
        let (_, out, _) = camdock(&[
            "--data-dir",
            data.to_str().unwrap(),
            "clips",
            "--camera",
            camera,
            "--json",
        ]);
        serde_json::from_str::<serde_json::Value>(&out)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    };
    for (serial, n) in [("8080801", 2usize), ("8080802", 1)] {
        let staged = s.join(serial);
        camera(&staged, serial, n as u32);
        std::fs::rename(&staged, media.join(serial)).unwrap();
        let started = Instant::now();
        while stored(serial).len() < n {
            assert!(
                daemon.0.try_wait().unwrap().is_none(),
                "the daemon died: {}",
                std::fs::read_to_string(s.join("daemon.log")).unwrap()
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{serial} not stored"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        for clip in stored(serial) {
            assert_eq!(clip["media"]["integrity"], "unknown", "{clip}");
            let why = clip["media"]["problems"][0].as_str().unwrap();
            assert!(
                why.contains("its CPU time limit") || why.contains("no answer within"),
                "{why}"
            );
        }
    }
    assert!(
        daemon.0.try_wait().unwrap().is_none(),
        "the daemon is still running"
    );
    unsafe { libc::kill(daemon.0.id() as i32, libc::SIGTERM) };
    let status = daemon.0.wait().unwrap();
    assert!(status.success(), "clean stop: {status:?}");
}

/// One probe child serves a card clip after clip; when it dies on one (a demuxer bug met
/// mid-card), that clip's facts are "probe failed" and the next clip is probed by a fresh child.
/// The fault crashes each child on its second clip: clip 2 failing shows clips 1 and 2 went to
/// one child; clip 3 probed shows its replacement.
#[test]
fn a_probe_child_that_dies_mid_card_is_replaced_for_the_next_clip() {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "7171717", 3);
    let data = s.join("data");
    let out = ingest_with_fault(&data, &vol, "crash-on-second");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(json(&text)["stored"], 3, "{text}");
    let (_, clips, _) = camdock(&["--data-dir", data.to_str().unwrap(), "clips", "--json"]);
    let mut clips = json(&clips).as_array().unwrap().clone();
    clips.sort_by_key(|c| c["source"].as_str().unwrap_or_default().to_string());
    let integrity: Vec<&str> = clips
        .iter()
        .map(|c| c["media"]["integrity"].as_str().unwrap())
        .collect();
    assert_eq!(integrity, ["ok", "unknown", "ok"], "{clips:#?}");
    assert_eq!(
        clips[1]["media"]["problems"][0],
        "probe failed: the probe was killed by signal 11 (a crash)"
    );
}

/// A clip whose probe was cut short (a stop's SIGTERM, a power cut, a crash of the child: here the
/// child crashes on every clip at the dock) is probed again at the daemon's next start, on record
/// as a second `clip-probed` saying why. Once: the re-probe of the second clip crashes too
/// (`crash-on-second`: a fresh child crashes on its second clip), and that failure stays; nothing
/// is probed a third time.
#[test]
fn clips_whose_probe_was_cut_are_probed_again_once_at_the_next_start() {
    probe_in_camdock();
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "7272727", 2);
    let data = s.join("data");
    let out = ingest_with_fault(&data, &vol, "crash");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let ledger = data.join("ledger.sqlite3");
    // (integrity, number of clip-probed events, why the last one was made) per clip, in order.
    let probes = || -> Vec<(String, i64, Option<String>)> {
        let db = rusqlite::Connection::open_with_flags(
            &ledger,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut q = db
            .prepare(
                "SELECT json_extract(c.media_json, '$.integrity'),
                        (SELECT count(*) FROM events e WHERE e.clip_sha256 = c.sha256 AND e.kind = 'clip-probed'),
                        (SELECT json_extract(e.detail_json, '$.probed_again') FROM events e
                          WHERE e.clip_sha256 = c.sha256 AND e.kind = 'clip-probed' ORDER BY e.seq DESC LIMIT 1)
                 FROM clips c ORDER BY c.stored_seq",
            )
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let first = probes();
    assert_eq!(first.len(), 2);
    assert!(
        first.iter().all(|p| p.0 == "unknown" && p.1 == 1),
        "{first:?}"
    );

    let mut daemon = daemon_with_fault(&s, &data, "", "crash-on-second");
    let started = Instant::now();
    while probes().iter().any(|p| p.1 < 2) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not probed again: {:?}\n{}",
            probes(),
            std::fs::read_to_string(s.join("daemon.log")).unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    unsafe { libc::kill(daemon.0.id() as i32, libc::SIGTERM) };
    assert!(daemon.0.wait().unwrap().success());
    let again = probes();
    assert_eq!(
        again[0].0, "ok",
        "the first clip's facts are known now: {again:?}"
    );
    assert_eq!(
        again[1].0, "unknown",
        "the second clip failed again: {again:?}"
    );
    assert!(
        again.iter().all(|p| p.1 == 2
            && p.2
                .as_deref()
                .is_some_and(|why| why.contains("probed once more"))),
        "{again:?}"
    );

    // The next start tries nothing a third time.
    let station =
        camdock::station::Station::open(config("[station]\nid = \"test-station\"\n"), Some(&data))
            .unwrap();
    assert!(
        camdock::audit::reprobe::probe_again(&station)
            .unwrap()
            .is_empty()
    );
    assert!(probes().iter().all(|p| p.1 == 2));
}

/// A pull is on the record when the volume goes, not once the session has committed the clips it
/// had already read: here each clip's probe hangs to its deadline (4 s), as a slow commit would
/// under other cameras' load, and the undock comes first, once. (With the undock left to the
/// session's end it came after both deadlines, ~8 s after the pull.)
#[test]
fn a_pull_is_recorded_at_once_while_the_clips_read_before_it_are_still_committing() {
    let s = Scratch::new();
    let media = s.join("media");
    let data = s.join("data");
    let mut daemon = daemon_with_fault(&s, &data, "[media]\nprobe_timeout = \"4s\"\n", "hang");
    let count = |kind: &str| -> i64 {
        rusqlite::Connection::open_with_flags(
            data.join("ledger.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|db| {
            db.query_row(
                "SELECT count(*) FROM events WHERE kind = ?1 AND camera = '8181801'",
                [kind],
                |r| r.get(0),
            )
        })
        .unwrap_or(0)
    };
    let wait = |what: &str, within: Duration, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < within, "{what} not within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        started.elapsed()
    };
    std::thread::sleep(Duration::from_millis(500));
    let staged = s.join("8181801");
    camera(&staged, "8181801", 2);
    std::fs::rename(&staged, media.join("8181801")).unwrap();
    wait("the dock", Duration::from_secs(20), &|| {
        count("camera-docked") == 1
    });
    // Two one-second clips are read in milliseconds; then the first one's probe hangs.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(count("clip-stored"), 0, "the first probe is still hanging");
    std::fs::rename(media.join("8181801"), s.join("pulled")).unwrap();
    let took = wait("the pull on the record", Duration::from_secs(2), &|| {
        count("camera-undocked") == 1
    });
    println!("pull → camera-undocked: {took:?}, with both clips still committing");
    assert_eq!(
        count("clip-stored"),
        0,
        "the undock came before the commits"
    );
    wait("both clips committed", Duration::from_secs(30), &|| {
        count("clip-stored") == 2
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count("camera-undocked"),
        1,
        "the session, ending, does not record the pull again"
    );
    assert!(daemon.0.try_wait().unwrap().is_none(), "the daemon runs on");
    let (code, out, err) = camdock(&["--data-dir", data.to_str().unwrap(), "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
