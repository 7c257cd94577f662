//! Camera knowledge end to end: time zones, sequence gaps, bindings, drivers, damaged media, wipe.

mod common;

use camdock::ingest::IngestOptions;
use camdock::station::Station;
use chrono::{Duration, Utc};
use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

fn events(station: &Station, kind: &str) -> Vec<serde_json::Value> {
    let ledger = station.ledger();
    let mut stmt = ledger
        .conn()
        .prepare("SELECT detail_json FROM events WHERE kind = ?1 ORDER BY seq")
        .unwrap();
    stmt.query_map([kind], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
        .collect()
}

#[test]
fn a_camera_keeping_utc_plus_8_wall_time_is_read_in_the_station_zone() {
    let s = Scratch::new();
    let vol = s.join("cam");
    let started_utc = Utc::now() - Duration::hours(3);
    let shanghai = chrono_tz::Asia::Shanghai;
    let wall = |t: chrono::DateTime<Utc>| t.with_timezone(&shanghai).naive_local();
    let name = format!(
        "3333333_100555_{}_0001.MP4",
        wall(started_utc).format("%Y%m%d%H%M%S")
    );
    fs::create_dir_all(vol.join("DCIM")).unwrap();
    camdock::simulate::encode_clip(&vol.join("DCIM").join(&name), 1, &[], 1).unwrap();
    fs::write(
        vol.join("DEVICE.TXT"),
        format!(
            "serial=3333333\nclock={}\n",
            wall(Utc::now()).format("%Y-%m-%d %H:%M:%S")
        ),
    )
    .unwrap();

    let station = Station::open(
        config("[station]\ntimezone = \"Asia/Shanghai\"\n"),
        Some(&s.join("data")),
    )
    .unwrap();
    let report = station.ingest(&vol, &IngestOptions::default()).unwrap();
    let offset = report.clock.as_ref().unwrap().offset_ms;
    assert!(
        offset.abs() < 3000,
        "a camera on Shanghai time is not 8 h off in a Shanghai station: {offset} ms"
    );
    let clip = &station.ledger().clips(None).unwrap()[0];
    let recorded = camdock::time::parse_stamp(clip.recorded_at.as_deref().unwrap()).unwrap();
    assert!(
        (recorded - started_utc).num_seconds().abs() <= 1,
        "recorded_at {recorded} is the UTC instant {started_utc}"
    );
    assert!(
        !s.join("cam/TIMESET.TXT").exists(),
        "a clock within tolerance is not corrected"
    );

    // The same camera read by a station that wrongly assumes UTC: the zone error is visible as offset.
    let s2 = Scratch::new();
    let station = Station::open(
        config("[station]\ntimezone = \"UTC\"\n"),
        Some(&s2.join("data")),
    )
    .unwrap();
    let report = station.ingest(&vol, &IngestOptions::default()).unwrap();
    let hours = report.clock.unwrap().offset_ms as f64 / 3_600_000.0;
    assert!((hours - 8.0).abs() < 0.01, "offset {hours} h");
}

#[test]
fn a_gap_in_clip_numbers_is_a_sequence_gap_event() {
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 4);
    fs::remove_file(&clips[1]).unwrap(); // clip 0002 deleted on the camera
    let station = station(&s.join("data"));
    station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    let gaps = events(&station, "sequence-gap");
    assert_eq!(gaps.len(), 1);
    assert_eq!(
        (
            gaps[0]["missing_from"].as_u64(),
            gaps[0]["missing_to"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // Next dock: numbering continues at 7 after 4: 5 and 6 are missing.
    let next = s.join("cam2");
    let spec = camdock::simulate::CameraSpec {
        serial: "1234567".into(),
        clips: 1,
        seconds: 1,
        first_sequence: 7,
        ..Default::default()
    };
    camdock::simulate::write_volume(&next, &spec).unwrap();
    station.ingest(&next, &IngestOptions::default()).unwrap();
    let gaps = events(&station, "sequence-gap");
    assert_eq!(
        (
            gaps[1]["missing_from"].as_u64(),
            gaps[1]["missing_to"].as_u64()
        ),
        (Some(5), Some(6))
    );
}

#[test]
fn bound_cameras_check_out_and_tampered_or_unbound_ones_are_flagged() {
    let s = Scratch::new();
    let data = s.join("data");
    camera(&s.join("cam"), "1234567", 1);
    let data_s = data.to_str().unwrap();
    let (code, _, err) = camdock(&[
        "--data-dir",
        data_s,
        "bind",
        s.join("cam").to_str().unwrap(),
        "--serial",
        "1234567",
        "--officer",
        "100234",
        "--unit",
        "Traffic-3",
    ]);
    assert_eq!(code, 0, "{err}");
    let ini = fs::read_to_string(s.join("cam/CAMDOCK.INI")).unwrap();
    assert!(ini.contains("unit=Traffic-3") && ini.contains("mac="));

    let attention = |vol: &Path| {
        station(&data)
            .ingest(vol, &IngestOptions::default())
            .unwrap()
            .attention
    };
    let bound = attention(&s.join("cam"));
    assert!(
        !bound
            .iter()
            .any(|a| a.text.contains("unbound") || a.text.contains("tampered")),
        "{bound:?}"
    );

    fs::write(
        s.join("cam/CAMDOCK.INI"),
        ini.replace("officer=100234", "officer=100999"),
    )
    .unwrap();
    let tampered = attention(&s.join("cam"));
    assert!(
        tampered.iter().any(|a| a.text.contains("binding tampered")),
        "{tampered:?}"
    );

    camera(&s.join("other"), "7777777", 1);
    assert!(
        attention(&s.join("other"))
            .iter()
            .any(|a| a.text.contains("unbound"))
    );
    // A card bound to another camera, moved into this one: the serials disagree.
    fs::write(s.join("other/CAMDOCK.INI"), &ini).unwrap();
    let swapped = attention(&s.join("other"));
    assert!(
        swapped.iter().any(|a| a
            .text
            .contains("identity conflict: binding file says 1234567")),
        "{swapped:?}"
    );
}

#[test]
fn a_timeset_file_camera_gets_timeset_every_dock_and_the_next_dock_verifies_it() {
    let s = Scratch::new();
    let vol = s.join("cam");
    fs::create_dir_all(vol.join("CARDV/MOVIE")).unwrap();
    camdock::simulate::encode_clip(&vol.join("CARDV/MOVIE/2026_1123_090000_001.MP4"), 1, &[], 3)
        .unwrap();
    let station = station(&s.join("data"));
    let dock = || {
        station
            .ingest(
                &vol,
                &IngestOptions {
                    camera: Some("NVT0001".into()),
                    ..Default::default()
                },
            )
            .unwrap()
    };
    let report = dock();
    assert_eq!(report.profile, "novatek");
    let line = fs::read_to_string(vol.join("TIMESET.TXT")).unwrap();
    let t = chrono::NaiveDateTime::parse_from_str(line.trim(), "%Y-%m-%d %H:%M:%S").unwrap();
    assert_ne!(chrono::Timelike::second(&t), 0, "never :00");
    let ahead = (t - chrono::Local::now().naive_local()).num_seconds();
    assert!((1..=10).contains(&ahead), "a few seconds ahead: {ahead}");

    // The camera never powered on: TIMESET.TXT is still there at the next dock.
    let again = dock();
    assert!(
        again
            .attention
            .iter()
            .any(|a| a.text.contains("not applied")),
        "{:?}",
        again.attention
    );
    // It powered on and consumed the file: the next dock records the correction as applied.
    let written = fs::read_to_string(vol.join("TIMESET.TXT")).unwrap();
    fs::remove_file(vol.join("TIMESET.TXT")).unwrap();
    dock();
    let checks = events(&station, "clock-checked");
    let last = &checks.last().unwrap()["previous_correction"];
    assert_eq!(
        (last["timeset"].as_str(), last["applied"].as_bool()),
        (Some(written.trim()), Some(true))
    );

    // A TIMESET.TXT no recorded correction wrote (a session cut off before recording it, or
    // another tool): flagged, and recorded as found.
    fs::write(vol.join("TIMESET.TXT"), "2031-01-01 00:00:07\n").unwrap();
    let found = dock();
    assert!(
        found
            .attention
            .iter()
            .any(|a| a.text.contains("matches no recorded correction")),
        "{:?}",
        found.attention
    );
    let checks = events(&station, "clock-checked");
    assert_eq!(
        checks.last().unwrap()["unrecorded_timeset_on_card"].as_str(),
        Some("2031-01-01 00:00:07")
    );
}

#[test]
fn damaged_media_is_stored_and_flagged_for_faststart_and_fragmented_mp4() {
    let s = Scratch::new();
    let dir = s.join("cam/DCIM");
    fs::create_dir_all(&dir).unwrap();
    let make = |name: &str, flags: &str| {
        let out = s.join(name);
        let st = Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=8:size=320x240:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=duration=8",
            ])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "25",
                "-c:a",
                "aac",
                "-shortest",
                "-movflags",
                flags,
            ])
            .arg(&out)
            .status()
            .expect("ffmpeg is installed (./dev installs it)");
        assert!(st.success());
        fs::read(out).unwrap()
    };
    for (i, (flags, label)) in [
        ("+faststart", "faststart"),
        ("frag_keyframe+empty_moov", "fragmented"),
    ]
    .iter()
    .enumerate()
    {
        let bytes = make(&format!("{label}.mp4"), flags);
        fs::write(
            dir.join(format!(
                "8888888_100001_20261123090{i}00_{:04}.MP4",
                2 * i + 1
            )),
            &bytes,
        )
        .unwrap();
        fs::write(
            dir.join(format!(
                "8888888_100001_20261123091{i}00_{:04}.MP4",
                2 * i + 2
            )),
            &bytes[..bytes.len() * 6 / 10],
        )
        .unwrap();
    }
    let station = station(&s.join("data"));
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!(
        (report.stored, report.failed),
        (4, 0),
        "damaged clips are evidence too"
    );
    let integrity = |seq: u32| {
        report
            .clips
            .all()
            .iter()
            .find(|c| c.source.ends_with(&format!("_{seq:04}.MP4")))
            .unwrap()
            .integrity
            .unwrap()
    };
    use camdock::media::Integrity::*;
    assert_eq!(
        [integrity(1), integrity(2), integrity(3), integrity(4)],
        [Ok, Damaged, Ok, Damaged]
    );
}

#[test]
fn the_wipe_policy_waits_for_every_commit_and_refuses_a_read_only_mount() {
    let wipe = "[policy]\nwipe_after_ingest = true\n";
    // Every clip committed: each is deleted from the camera, one event each.
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 3);
    let station = Station::open(config(wipe), Some(&s.join("data"))).unwrap();
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!(report.wiped.len(), 3);
    assert!(clips.iter().all(|c| !c.exists()));
    assert_eq!(events(&station, "camera-wiped").len(), 3);
    assert!(camdock::audit::verify::verify(&station).unwrap().ok);

    // A clip that could not be stored: nothing at all is deleted.
    let s = Scratch::new();
    let clips = camera(&s.join("cam"), "1234567", 2);
    let data = s.join("data");
    let store = FailingFirstStore(
        camdock::store::LocalStore::open(&{
            fs::create_dir_all(&data).unwrap();
            data.clone()
        })
        .unwrap(),
        Default::default(),
    );
    let station = Station::with_store(config(wipe), &data, Box::new(store)).unwrap();
    let report = station
        .ingest(&s.join("cam"), &IngestOptions::default())
        .unwrap();
    assert_eq!(report.failed, 1);
    assert!(
        report.wiped.is_empty() && clips.iter().all(|c| c.exists()),
        "a failed session deletes nothing"
    );
    assert!(
        events(&station, "camera-wipe-refused")[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not every clip")
    );

    // A read-only mount: refused with a clear reason (bind mount in a private namespace).
    let s = Scratch::new();
    camera(&s.join("cam"), "1234567", 1);
    let cfg = s.join("wipe.toml");
    fs::write(&cfg, wipe).unwrap();
    let vol = s.join("cam");
    let script = format!(
        "mount --bind {v} {v} && mount -o remount,ro,bind {v} && {bin} --config {c} --data-dir {d} ingest {v} --json",
        v = vol.display(),
        bin = bin(),
        c = cfg.display(),
        d = s.join("data").display()
    );
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap();
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        report["stored"],
        1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["wiped"].as_array().unwrap().len(), 0);
    assert!(
        fs::read_dir(vol.join("DCIM/100MEDIA")).unwrap().count() == 1,
        "the clip is still on the camera"
    );
    let after = common::station(&s.join("data"));
    assert!(
        events(&after, "camera-wipe-refused")[0]["reason"]
            .as_str()
            .unwrap()
            .contains("read-only")
    );
}

/// A store whose first placement fails (a disk error), to make one clip of a session fail.
struct FailingFirstStore(camdock::store::LocalStore, std::sync::atomic::AtomicBool);

impl camdock::store::ClipStore for FailingFirstStore {
    fn stage(&self) -> std::io::Result<camdock::store::Staging> {
        self.0.stage()
    }
    fn place(
        &self,
        staging: camdock::store::Staging,
        d: &camdock::hash::Digests,
        ext: &str,
    ) -> Result<camdock::store::Placement, camdock::store::StoreError> {
        if !self.1.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let _ = fs::remove_file(&staging.path);
            return Err(camdock::store::StoreError::Io(std::io::Error::other(
                "injected disk error",
            )));
        }
        self.0.place(staging, d, ext)
    }
    fn open(&self, p: &str) -> std::io::Result<fs::File> {
        self.0.open(p)
    }
    fn locate(&self, p: &str) -> std::path::PathBuf {
        self.0.locate(p)
    }
    fn is_immutable(&self, p: &str) -> Option<bool> {
        self.0.is_immutable(p)
    }
    fn list(&self) -> std::io::Result<Vec<camdock::store::StoredObject>> {
        self.0.list()
    }
    fn clean_abandoned_staging(&self) -> std::io::Result<Vec<String>> {
        self.0.clean_abandoned_staging()
    }
}

#[test]
fn absurd_clocks_and_malformed_control_files_never_stop_an_ingest() {
    for (device, binding) in [
        (
            "serial=1111111\nclock=1980-01-01 00:00:00\nbattery=50\n",
            "garbage",
        ),
        (
            "serial=1111111\nclock=2099-12-31 23:59:59\nbattery=-5\n",
            "[camdock]\nserial=1111111\nmac=00\n",
        ),
        (
            "\u{feff}serial=1111111\nclock=2026-02-30 25:61:00\n\0\0\u{7f}binary",
            "serial=\nofficer=\u{0}\n",
        ),
    ] {
        let s = Scratch::new();
        let clips = camera(&s.join("cam"), "1111111", 1);
        fs::write(s.join("cam/DEVICE.TXT"), device).unwrap();
        fs::write(s.join("cam/CAMDOCK.INI"), binding).unwrap();
        let before = tool_digest("sha256sum", &clips[0]);
        let station = station(&s.join("data"));
        let report = station
            .ingest(&s.join("cam"), &IngestOptions::default())
            .unwrap();
        assert_eq!((report.stored, report.failed), (1, 0), "{device:?}");
        assert_eq!(report.camera, "1111111");
        assert_eq!(tool_digest("sha256sum", &clips[0]), before);
        if let Some(c) = &report.clock {
            // 1980 or 2099: decades off, corrected, and flagged.
            assert!(
                c.offset_ms.abs() > 10 * 365 * 86_400_000,
                "{device:?}: {}",
                c.offset_ms
            );
            assert!(s.join("cam/TIMESET.TXT").exists());
            assert!(
                report
                    .attention
                    .iter()
                    .any(|a| a.text.starts_with("clock off by"))
            );
        } else {
            assert!(
                report
                    .attention
                    .iter()
                    .any(|a| a.text.starts_with("clock unknown")),
                "{:?}",
                report.attention
            );
        }
        assert!(
            report
                .attention
                .iter()
                .any(|a| a.text.contains("binding tampered") || a.text.contains("unbound")),
            "{:?}",
            report.attention
        );
    }
}

/// Issue: after the clip counter wrapped (9999 → 0001) no later gap was ever found; `.TS` and other
/// body-camera recordings were neither stored nor flagged and raised a false gap; gaps showed
/// nowhere a person looks.
#[test]
fn gaps_are_found_across_a_counter_wrap_and_every_recording_type_is_stored() {
    use camdock::simulate::{CameraSpec, write_volume};
    let s = Scratch::new();
    let station = station(&s.join("data"));
    let day = |d: u32| format!("2026-11-{d:02}T01:10:00Z").parse().unwrap();
    let spec = |first_sequence, clips, first_start| CameraSpec {
        serial: "2468024".into(),
        clips,
        seconds: 1,
        first_sequence,
        first_start,
        ..CameraSpec::default()
    };
    let vol = s.join("cam");
    write_volume(&vol, &spec(9998, 2, day(20))).unwrap();
    let first = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert!(first.sequence.is_empty(), "{:?}", first.sequence);

    // Next shift: the counter wrapped; 0003-0004 were deleted; one clip is an MPEG-TS recording.
    std::fs::remove_dir_all(&vol).unwrap();
    write_volume(&vol, &spec(1, 2, day(21))).unwrap();
    write_volume(&vol, &spec(5, 1, day(22))).unwrap();
    let media = vol.join("DCIM/100MEDIA");
    let ts = media.join("2468024_100234_20261122120000_0006.TS");
    let st = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=320x240:rate=25",
        ])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts"])
        .arg(&ts)
        .status()
        .unwrap();
    assert!(st.success());
    let second = station.ingest(&vol, &IngestOptions::default()).unwrap();
    assert_eq!(
        second.stored, 4,
        "the .TS recording is stored: {:?}",
        second.clips
    );
    assert!(second.other_files.is_empty(), "{:?}", second.other_files);
    assert_eq!(
        second.sequence,
        vec![camdock::camera::filename::SequenceFinding::Missing(3, 4)],
        "no false gap for the wrap or the .TS, the deleted clips found"
    );
    assert!(
        second
            .attention
            .iter()
            .any(|a| a.text.contains("0003-0004 missing")),
        "{:?}",
        second.attention
    );
    let fleet = station
        .ledger()
        .fleet(chrono::Utc::now(), std::time::Duration::from_secs(86400))
        .unwrap();
    assert!(
        fleet[0]
            .attention
            .iter()
            .any(|a| a.text.contains("0003-0004 missing")),
        "{:?}",
        fleet[0].attention
    );
}

/// A camera family that records a type camdock does not know (here `.DAV`): flagged, not stored,
/// until the station's profile for it names the type; then stored like any recording.
#[test]
fn a_profile_adds_the_recording_types_its_cameras_write() {
    let s = Scratch::new();
    let vol = s.join("cam");
    camera(&vol, "1357913", 2);
    let dav = vol.join("DCIM/100MEDIA/1357913_100234_20261122120000_0003.DAV");
    std::fs::write(&dav, b"DHAV\x01 vendor container bytes").unwrap();
    let ingest = |data: &str, config: Option<&Path>| {
        let data = s.join(data);
        let mut args = vec!["--data-dir", data.to_str().unwrap()];
        if let Some(c) = config {
            args.extend(["--config", c.to_str().unwrap()]);
        }
        args.extend(["ingest", vol.to_str().unwrap(), "--json"]);
        let (code, out, err) = camdock(&args);
        assert_eq!(code, 0, "{out}{err}");
        json(&out)
    };
    let plain = ingest("plain", None);
    assert_eq!(plain["stored"], 2);
    assert!(
        plain["attention"].to_string().contains("not-recordings"),
        "{}",
        plain["attention"]
    );

    std::fs::write(
        s.join("profiles.toml"),
        "[[profile]]\nname = \"dav-camera\"\nmarker = \"DEVICE.TXT\"\ndriver = \"status-file\"\nextensions = [\".dav\"]\n",
    )
    .unwrap();
    std::fs::write(
        s.join("camdock.toml"),
        "[camera]\nprofiles_file = \"profiles.toml\"\n",
    )
    .unwrap();
    let with = ingest("with-profile", Some(&s.join("camdock.toml")));
    assert_eq!(with["stored"], 3, "{with}");
    assert!(
        !with["attention"].to_string().contains("not-recordings"),
        "{}",
        with["attention"]
    );
    let stored: Vec<&str> = with["clips"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["source"].as_str())
        .collect();
    assert!(stored.iter().any(|s| s.ends_with(".DAV")), "{stored:?}");
}
