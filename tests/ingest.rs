//! The clip pipeline end to end: hashes, read-back, dedup, hostile cards, crashes.

mod common;

use camdock::hash::Digests;
use camdock::ingest::IngestOptions;
use camdock::station::Station;
use camdock::store::{ClipStore, LocalStore, Placement, Staging, StoreError, StoredObject};
use common::*;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[test]
fn stored_hashes_are_those_of_sha256sum_and_b3sum() {
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 3);
    let station = station(&s.join("data"));
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!((report.stored, report.failed), (3, 0));
    for clip in &clips {
        let sha = tool_digest("sha256sum", clip);
        let b3 = tool_digest("b3sum", clip);
        let outcome = report
            .clips
            .all()
            .into_iter()
            .find(|c| c.sha256.as_deref() == Some(&sha))
            .expect("clip reported with sha256sum's hash");
        assert_eq!(outcome.blake3.as_deref(), Some(b3.as_str()));
        let stored = station.store.locate(outcome.store_path.as_ref().unwrap());
        assert_eq!(
            tool_digest("sha256sum", &stored),
            sha,
            "the stored copy is byte-identical"
        );
        assert!(fs::metadata(&stored).unwrap().permissions().readonly());
        assert!(stored.to_string_lossy().ends_with(&format!(
            "store/sha256/{}/{}/{sha}.mp4",
            &sha[..2],
            &sha[2..4]
        )));
    }
}

#[test]
fn large_clip_streams_through_in_bounded_buffers() {
    let s = Scratch::new();
    let dir = s.join("cam/DCIM/100MEDIA");
    fs::create_dir_all(&dir).unwrap();
    let big = dir.join("BIG.MP4");
    random_file(&big, 96 << 20, 7);
    let station = station(&s.join("data"));
    let report = station
        .ingest(
            &s.join("cam"),
            &IngestOptions {
                camera: Some("9999999".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.stored, 1);
    assert_eq!(
        report.clips.all()[0].sha256.as_deref(),
        Some(tool_digest("sha256sum", &big).as_str())
    );
    assert_eq!(
        report.camera, "9999999",
        "--camera names a camera that does not identify itself"
    );
    assert_eq!(
        report.clips.all()[0].integrity,
        Some(camdock::media::Integrity::NotMedia)
    );
}

/// A store whose disk returns different bytes than were written (a failing disk).
struct CorruptingStore(LocalStore);

impl ClipStore for CorruptingStore {
    fn stage(&self) -> std::io::Result<Staging> {
        self.0.stage()
    }
    fn place(
        &self,
        mut staging: Staging,
        expected: &Digests,
        ext: &str,
    ) -> Result<Placement, StoreError> {
        use std::io::{Seek, SeekFrom};
        staging.file.seek(SeekFrom::Start(100)).unwrap();
        staging.file.write_all(b"X").unwrap();
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
    fn list(&self) -> std::io::Result<Vec<StoredObject>> {
        self.0.list()
    }
    fn clean_abandoned_staging(&self) -> std::io::Result<Vec<String>> {
        self.0.clean_abandoned_staging()
    }
}

#[test]
fn a_read_back_mismatch_fails_the_clip_and_stores_nothing() {
    let s = Scratch::new();
    camera(&s.join("cam"), "1234567", 2);
    let data = s.join("data");
    fs::create_dir_all(&data).unwrap();
    let store = CorruptingStore(LocalStore::open(&data).unwrap());
    let station = Station::with_store(config(""), &data, Box::new(store)).unwrap();
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!((report.stored, report.failed), (0, 2));
    for c in &report.clips.all() {
        let err = c.error.as_deref().unwrap();
        assert!(err.contains("read back from disk does not match"), "{err}");
        assert!(
            err.contains("DCIM/100MEDIA/"),
            "the error names the clip: {err}"
        );
    }
    assert!(station.store.list().unwrap().is_empty(), "nothing placed");
    assert!(station.ledger().clips(None).unwrap().is_empty());
    assert!(staged_files(&data).is_empty());
    // The camera was not touched: a failed session never corrects the clock or wipes.
    assert!(!s.join("cam/TIMESET.TXT").exists());
}

#[test]
fn the_same_content_from_two_cameras_is_stored_once_and_recorded_twice() {
    let s = Scratch::new();
    camera(&s.join("a"), "1111111", 1);
    let dir_b = s.join("b/DCIM/100MEDIA");
    fs::create_dir_all(&dir_b).unwrap();
    let src = fs::read_dir(s.join("a/DCIM/100MEDIA"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::copy(&src, dir_b.join("2222222_100999_20261101080000_0001.MP4")).unwrap();
    let station = station(&s.join("data"));
    assert_eq!(
        station
            .ingest(&s.join("a"), &IngestOptions::default())
            .unwrap()
            .stored,
        1
    );
    let b = station
        .ingest(&s.join("b"), &IngestOptions::default())
        .unwrap();
    assert_eq!(
        (b.camera.as_str(), b.stored, b.already_stored),
        ("2222222", 0, 1)
    );
    assert_eq!(station.store.list().unwrap().len(), 1);
    let clips = station.ledger().clips(None).unwrap();
    assert_eq!(clips.len(), 1);
    assert_eq!(clips[0].recordings, 2);
    assert_eq!(station.ledger().clips(Some("2222222")).unwrap().len(), 1);
}

/// The same bytes under two names and extensions on one card (a clip and a copy of it renamed
/// `.WAV`), both in the pipeline at once: one object in the store, named by whichever copy was
/// sealed first, and a store that `verify` finds whole (once, a second `<sha>.wav` no record named).
#[test]
fn the_same_bytes_under_two_extensions_on_one_card_are_one_object() {
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 1);
    fs::copy(
        &clips[0],
        clips[0].with_file_name("1234567_100001_20261101090000_0002.WAV"),
    )
    .unwrap();
    let station = station(&s.join("data"));
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!((report.stored, report.already_stored), (1, 1));
    let objects = station.store.list().unwrap();
    assert_eq!(objects.len(), 1, "{objects:?}");
    let clips = station.ledger().clips(None).unwrap();
    assert_eq!(clips[0].recordings, 2);
    let v = camdock::audit::verify::verify(&station).unwrap();
    assert!(v.ok, "{:?}", v.problems);
}

#[test]
fn a_hostile_card_is_walked_safely() {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "1234567", 1);
    let media = vol.join("DCIM/100MEDIA");
    // Escapes and loops: never followed.
    std::os::unix::fs::symlink("/etc/passwd", media.join("passwd.mp4")).unwrap();
    std::os::unix::fs::symlink("..", media.join("loop")).unwrap();
    std::os::unix::fs::symlink("/", vol.join("root.jpg")).unwrap();
    // A fifo would block a naive reader forever.
    rustix::fs::mknodat(
        rustix::fs::CWD,
        media.join("pipe.mp4"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    // Odd names: a newline, invalid UTF-8, 255 bytes.
    fs::write(media.join("line\nbreak.mp4"), b"not really video").unwrap();
    let invalid = std::ffi::OsStr::from_bytes(b"bad\xff\xfename.wav");
    fs::write(media.join(invalid), b"RIFF....").unwrap();
    let long = format!("{}.jpg", "x".repeat(251));
    assert_eq!(long.len(), 255);
    fs::write(media.join(&long), b"jpeg?").unwrap();
    // A deep tree and many small files.
    let mut deep = vol.join("DEEP");
    for i in 0..40 {
        deep = deep.join(format!("d{i}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("deep.mp4"), b"too deep").unwrap();
    let many = vol.join("MANY");
    fs::create_dir_all(&many).unwrap();
    for i in 0..2000 {
        fs::write(many.join(format!("f{i:05}.bin")), i.to_string()).unwrap();
    }

    let station = station(&s.join("data"));
    let report = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert_eq!(report.failed, 0, "{:?}", report.clips);
    assert_eq!(
        report.stored, 4,
        "the real clip, the newline, the invalid UTF-8 and the long name: {:?}",
        report.clips
    );
    let clips = report.clips.all();
    let sources: Vec<&str> = clips.iter().map(|c| c.source.as_str()).collect();
    assert!(sources.contains(&"DCIM/100MEDIA/line\\x0Abreak.mp4"));
    assert!(
        sources.contains(&"DCIM/100MEDIA/bad\\xFF\\xFEname.wav"),
        "{sources:?}"
    );
    let skipped = |needle: &str| report.skipped.iter().any(|k| k.source.contains(needle));
    for needle in ["passwd.mp4", "loop", "root.jpg", "pipe.mp4", "d30"] {
        assert!(
            skipped(needle),
            "{needle} is reported as skipped: {:?}",
            report.skipped
        );
    }
    assert!(
        report
            .skipped
            .iter()
            .find(|k| k.source.contains("pipe.mp4"))
            .unwrap()
            .reason
            .contains("fifo")
    );
    assert_eq!(report.other_files.len(), 2000);
    let passwd = tool_digest("sha256sum", Path::new("/etc/passwd"));
    assert!(
        !station.ledger().has_clip(&passwd).unwrap(),
        "nothing outside the volume was read"
    );
}

/// What a run that crashed between placing a clip and committing it leaves: the clip at its
/// address in the store, nothing on record.
fn place_unrecorded(station: &Station, clip: &Path) -> (Digests, Placement) {
    let mut staging = station.store.stage().unwrap();
    let digests =
        camdock::hash::fan_out(fs::File::open(clip).unwrap(), Some(&mut staging.file)).unwrap();
    let placed = station.store.place(staging, &digests, "mp4").unwrap();
    (digests, placed)
}

#[test]
fn a_crash_between_placing_and_committing_leaves_nothing_counted_and_a_redock_finishes() {
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 2);
    let data = s.join("data");
    // The crashed run: the clip reached its address in the store, the ledger commit never happened.
    {
        let station = station(&data);
        place_unrecorded(&station, &clips[0]);
        assert!(
            station.ledger().clips(None).unwrap().is_empty(),
            "not counted as stored"
        );
        let v = camdock::audit::verify::verify(&station).unwrap();
        assert!(!v.ok);
        assert_eq!(v.problems[0].kind, "unexpected");
    }
    // A run that died mid-write: a staging folder whose owner is gone.
    let dead = data.join("store/staging/99999-1");
    fs::create_dir_all(&dead).unwrap();
    fs::write(dead.join(".lock"), b"").unwrap();
    fs::write(dead.join("0.partial"), b"half a clip").unwrap();

    let station = station(&data);
    assert!(!dead.exists(), "abandoned staging is cleaned at start-up");
    let events = station
        .ledger()
        .conn()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'staging-cleaned'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(events, 1, "the cleaning is on the record");
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!((report.stored, report.already_stored), (2, 0));
    assert_eq!(
        station.store.list().unwrap().len(),
        2,
        "nothing stored twice"
    );
    let v = camdock::audit::verify::verify(&station).unwrap();
    assert!(v.ok, "{:?}", v.problems);
}

/// A crash state the replay of the station bed shows is possible where the clip's seal is missing
/// (`broken-clip-copy`): an object under the clip's name that is not the clip. The next dock must
/// not adopt it: the clip fails by name and stays on the camera.
#[test]
fn a_file_under_a_clips_name_that_is_not_the_clip_is_never_adopted() {
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 2);
    let data = s.join("data");
    let station = station(&data);
    let (digests, placed) = place_unrecorded(&station, &clips[0]);
    // What a lost write leaves: the name, with none of the clip's bytes.
    let object = station.locate(&placed.store_path);
    let _ = std::process::Command::new("chattr")
        .arg("-i")
        .arg(&object)
        .status();
    fs::set_permissions(&object, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    fs::write(&object, b"").unwrap();

    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!((report.stored, report.failed), (1, 1));
    let failure = failed_clip_error(&serde_json::to_value(&report).unwrap());
    assert!(
        failure.contains("not this clip") && failure.contains(&digests.sha256[..16]),
        "{failure}"
    );
    assert!(
        !station
            .ledger()
            .clips(None)
            .unwrap()
            .iter()
            .any(|c| c.sha256 == digests.sha256),
        "the damaged file is not on record as the clip"
    );
}

#[test]
fn kill_9_mid_ingest_then_redock_loses_nothing_and_duplicates_nothing() {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "1234567", 2);
    let media = vol.join("DCIM/100MEDIA");
    for i in 0..3 {
        random_file(
            &media.join(format!("1234567_100234_2026112310{i}000_{:04}.MP4", 3 + i)),
            24 << 20,
            i,
        );
    }
    let data = s.join("data");
    let data_s = data.to_str().unwrap();
    // 40 MB/s, like a USB 2.0 card: the whole card takes about two seconds.
    let mut child = std::process::Command::new(bin())
        .args([
            "--data-dir",
            data_s,
            "ingest",
            vol.to_str().unwrap(),
            "--throttle",
            "40",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(900));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (code, out, err) = camdock(&[
        "--data-dir",
        data_s,
        "ingest",
        vol.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    let stored = report["stored"].as_u64().unwrap();
    let already = report["already_stored"].as_u64().unwrap();
    assert_eq!(stored + already, 5);
    assert!(
        stored >= 1,
        "the kill came before the end, so the re-dock had work left"
    );
    let (code, out, _) = camdock(&["--data-dir", data_s, "clips", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        5,
        "every clip stored exactly once"
    );
    let (code, out, _) = camdock(&["--data-dir", data_s, "verify", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert!(staged_files(&data).is_empty());
}

#[test]
fn cameras_docking_at_once_on_a_fresh_station_share_one_ledger() {
    let s = Scratch::new();
    let data = s.join("data");
    let vols: Vec<PathBuf> = (0..4)
        .map(|i| {
            let v = s.join(&format!("cam{i}"));
            camera(&v, &format!("600000{i}"), 2);
            v
        })
        .collect();
    // Four processes open the not-yet-existing ledger at the same moment.
    let handles: Vec<_> = vols
        .iter()
        .map(|v| {
            let (data, v) = (data.clone(), v.clone());
            std::thread::spawn(move || {
                std::process::Command::new(bin())
                    .args([
                        "--data-dir",
                        data.to_str().unwrap(),
                        "ingest",
                        v.to_str().unwrap(),
                        "--json",
                    ])
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, out, _) = camdock(&["--data-dir", data.to_str().unwrap(), "verify", "--json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&out)["clips_checked"], 8);
}

/// Issue: `clips --json | head` panicked with a backtrace when `head` closed the pipe.
#[test]
fn a_listing_piped_into_head_ends_quietly() {
    let s = Scratch::new();
    camera(&s.join("cam"), "1234567", 3);
    let data = s.join("data");
    let (code, _, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        s.join("cam").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // The reader closes its end at once and stays: every write meets a closed pipe (EPIPE).
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' --data-dir '{}' clips --json | {{ exec 0<&-; sleep 1; }}",
            bin(),
            data.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.is_empty(),
        "a closed pipe must end the listing quietly: {stderr}"
    );
}

/// Issue: a re-dock stated a hash for a clip whose bytes were changed on the camera (size and
/// mtime restored), without opening the file. Now the recognised clip is compared with the store
/// at sampled places, the event says exactly that, and a changed clip is found and stored as it is.
#[test]
fn a_clip_changed_on_the_camera_with_size_and_mtime_restored_is_caught_at_the_redock() {
    let s = Scratch::new();
    let station = station(&s.join("data"));
    let vol = s.join("cam");
    let clips = camera(&vol, "1234567", 3);
    let first = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert_eq!(first.stored, 3);

    // The second half of one clip rewritten (as a cut-and-re-encode would), size and mtime kept.
    let victim = &clips[1];
    let mtime = fs::metadata(victim).unwrap().modified().unwrap();
    let mut bytes = fs::read(victim).unwrap();
    let half = bytes.len() / 2;
    for b in &mut bytes[half..] {
        *b = b.wrapping_add(1);
    }
    fs::write(victim, &bytes).unwrap();
    fs::File::options()
        .write(true)
        .open(victim)
        .unwrap()
        .set_modified(mtime)
        .unwrap();

    let again = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert_eq!(
        (again.stored, again.already_stored),
        (1, 2),
        "{:?}",
        again.clips
    );
    let db = station.ledger();
    let changed: i64 = db
        .conn()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'recording-changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(changed, 1);
    let details: Vec<String> = db
        .conn()
        .prepare("SELECT detail_json FROM events WHERE kind = 'clip-already-stored'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for d in &details {
        let d = json(d);
        assert_eq!(d["checked"]["how"], "sample", "{d}");
        assert!(
            d["blake3"].is_null(),
            "no hash is stated for bytes not hashed now: {d}"
        );
        assert!(d["checked"]["bytes_compared"].as_u64().unwrap() > 0);
    }
    let stored_now = &again
        .clips
        .all()
        .into_iter()
        .find(|c| c.outcome == camdock::ingest::Outcome::Stored)
        .unwrap();
    assert_eq!(
        stored_now.sha256.as_deref().unwrap(),
        tool_digest("sha256sum", victim)
    );
}

/// How often a sample finds a single altered byte: about sampled bytes / size (16 windows of
/// 64 KiB over 4 MiB: 25 %), against a change spanning the clip's end: always.
#[test]
fn the_redock_sample_finds_single_byte_changes_at_the_rate_of_its_coverage() {
    use camdock::ingest::sample;
    let s = Scratch::new();
    let stored_path = s.join("stored.bin");
    random_file(&stored_path, 4 << 20, 9);
    let original = fs::read(&stored_path).unwrap();
    let card = s.join("card.bin");
    let stored = fs::File::open(&stored_path).unwrap();
    let entry = |path: &Path| camdock::ingest::walk::Entry {
        path: path.to_path_buf(),
        source: "card.bin".into(),
        file_name: "card.bin".into(),
        ext: "bin".into(),
        bytes: original.len() as u64,
        mtime: None,
        inode: 0,
    };
    let (trials, mut found) = (400, 0);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0x9e3779b97f4a7c15);
    for _ in 0..trials {
        let mut changed = original.clone();
        let at = rand::Rng::random_range(&mut rng, 0..original.len());
        changed[at] ^= 0xff;
        fs::write(&card, &changed).unwrap();
        if !sample::compare(&entry(&card), &stored, 16)
            .unwrap()
            .matched()
        {
            found += 1;
        }
    }
    let rate = found as f64 / trials as f64;
    println!(
        "single-byte changes found by a 16 x 64 KiB sample of 4 MiB: {:.1} % of {trials}",
        rate * 100.0
    );
    assert!((0.15..=0.35).contains(&rate), "rate {rate}");
    let mut tail = original.clone();
    let n = tail.len();
    tail[n - 1000..].fill(0);
    fs::write(&card, &tail).unwrap();
    assert!(
        !sample::compare(&entry(&card), &stored, 16)
            .unwrap()
            .matched()
    );
}
