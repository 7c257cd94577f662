//! The dock daemon driven from the outside: volumes appear and vanish under its media root.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon {
    child: Child,
    data: PathBuf,
}

impl Daemon {
    fn start(s: &Scratch, extra_dock_config: &str) -> Daemon {
        let media = s.join("media");
        std::fs::create_dir_all(&media).unwrap();
        std::fs::create_dir_all(s.join("staging")).unwrap();
        let cfg = s.join("camdock.toml");
        std::fs::write(
            &cfg,
            format!("[station]\nid = \"daemon-test\"\n[web]\nlisten = \"\"\n[dock]\nmedia_root = \"{}\"\nusb = false\n{extra_dock_config}\n", media.display()),
        )
        .unwrap();
        let data = s.join("data");
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(s.join("daemon.log"))
            .unwrap();
        let child = Command::new(bin())
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
                "run",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_for(
            "the daemon to publish its status",
            Duration::from_secs(20),
            || data.join("status.json").exists(),
        );
        Daemon { child, data }
    }

    /// SIGTERM; returns the exit code and how long the stop took.
    fn terminate(&mut self) -> (Option<i32>, Duration) {
        let started = Instant::now();
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "daemon ignores SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn clips(&self) -> usize {
        let (code, out, _) =
            camdock(&["--data-dir", self.data.to_str().unwrap(), "clips", "--json"]);
        if code != 0 {
            0
        } else {
            json(&out).as_array().map_or(0, Vec::len)
        }
    }

    /// `camdock verify --json` on the daemon's data, which must pass; returns the report.
    fn verify_ok(&self) -> String {
        let (code, out, _) = camdock(&[
            "--data-dir",
            self.data.to_str().unwrap(),
            "verify",
            "--json",
        ]);
        assert_eq!(code, 0, "{out}");
        out
    }

    fn status(&self) -> serde_json::Value {
        let (_, out, _) = camdock(&[
            "--data-dir",
            self.data.to_str().unwrap(),
            "status",
            "--json",
        ]);
        json(&out)
    }

    fn events_of_kind(&self, kind: &str) -> i64 {
        let db = rusqlite::Connection::open(self.data.join(camdock::station::LEDGER_FILE)).unwrap();
        db.query_row("SELECT count(*) FROM events WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A camera volume built outside the media root, with two short MP4s and one large clip.
fn volume_with_large_clip(s: &Scratch, name: &str, serial: &str, large_mb: u64) -> PathBuf {
    let vol = s.join("staging").join(name);
    camera(&vol, serial, 2);
    random_file(
        &vol.join(format!(
            "DCIM/100MEDIA/{serial}_100234_20261123120000_0003.MP4"
        )),
        large_mb << 20,
        42,
    );
    vol
}

fn dock(s: &Scratch, vol: &Path) -> PathBuf {
    let target = s.join("media").join(vol.file_name().unwrap());
    std::fs::rename(vol, &target).unwrap();
    target
}

fn bytes_done(status: &serde_json::Value) -> u64 {
    status["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["bytes_done"].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn four_cameras_docking_at_once_are_all_ingested() {
    let s = Scratch::new();
    let mut daemon = Daemon::start(&s, "parallel = 4");
    let vols: Vec<PathBuf> = (0..4)
        .map(|i| {
            let v = s.join("staging").join(format!("slot{i}"));
            camera(&v, &format!("400000{i}"), 2);
            v
        })
        .collect();
    for v in &vols {
        dock(&s, v);
    }
    wait_for("8 clips from 4 cameras", Duration::from_secs(60), || {
        daemon.clips() == 8
    });
    wait_for("4 sessions to finish", Duration::from_secs(20), || {
        daemon.status()["slots"]
            .as_array()
            .is_some_and(|a| a.len() == 4 && a.iter().all(|s| s["safe_to_undock"] == true))
    });
    assert_eq!(daemon.events_of_kind("camera-docked"), 4);
    // Every slot's way to "safe to undock" is on the record: mounted, ingesting, housekeeping, done.
    assert_eq!(daemon.events_of_kind("slot-state"), 16);
    assert_eq!(daemon.terminate().0, Some(0));
}

#[test]
fn a_camera_pulled_mid_copy_leaves_no_half_clip_and_the_redock_completes_it() {
    let s = Scratch::new();
    let mut daemon = Daemon::start(&s, "read_limit_mb_per_s = 20.0");
    let vol = volume_with_large_clip(&s, "cam", "5555555", 80);
    let docked = dock(&s, &vol);
    wait_for(
        "the large clip to be part-way",
        Duration::from_secs(30),
        || bytes_done(&daemon.status()) > 20_000_000,
    );
    std::fs::rename(&docked, &vol).unwrap(); // pulled out
    wait_for(
        "the interrupted session on the record",
        Duration::from_secs(20),
        || daemon.events_of_kind("session-interrupted") == 1,
    );
    wait_for("the undock on the record", Duration::from_secs(20), || {
        daemon.events_of_kind("camera-undocked") == 1
    });
    assert_eq!(
        daemon.clips(),
        2,
        "the two short clips are stored, the half-read large one is not"
    );
    assert_eq!(
        daemon.events_of_kind("clip-failed"),
        0,
        "a pulled camera is an interruption, not a failed clip"
    );
    assert!(
        staged_files(&daemon.data).is_empty(),
        "no half file left in staging"
    );

    dock(&s, &vol);
    wait_for(
        "the re-dock to finish the job",
        Duration::from_secs(60),
        || daemon.clips() == 3,
    );
    assert_eq!(daemon.terminate().0, Some(0));
    daemon.verify_ok();
}

#[test]
fn sigterm_mid_ingest_stops_within_10_s_and_a_restart_loses_nothing() {
    let s = Scratch::new();
    let mut daemon = Daemon::start(&s, "read_limit_mb_per_s = 20.0");
    let vol = volume_with_large_clip(&s, "cam", "6666666", 80);
    dock(&s, &vol);
    wait_for(
        "the large clip to be part-way",
        Duration::from_secs(30),
        || bytes_done(&daemon.status()) > 20_000_000,
    );
    let (code, took) = daemon.terminate();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(10), "stop took {took:?}");
    assert_eq!(
        daemon.events_of_kind("camera-undocked"),
        0,
        "the camera is still in its dock"
    );

    let mut daemon = Daemon::start(&s, "read_limit_mb_per_s = 40.0");
    wait_for(
        "the restart to finish the job",
        Duration::from_secs(60),
        || daemon.clips() == 3,
    );
    assert_eq!(daemon.terminate().0, Some(0));
    let out = daemon.verify_ok();
    assert_eq!(json(&out)["clips_checked"], 3);
    assert!(staged_files(&daemon.data).is_empty());
}

/// A small ext4 disk mounted over a folder for the life of a test (unmounted on drop).
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount_at(s: &Scratch, at: &Path, mib: u32) -> SmallDisk {
        let image = s.join("store.img");
        std::fs::create_dir_all(at).unwrap();
        let cmd = format!(
            "truncate -s {mib}M {img} && mkfs.ext4 -q -F {img} && mount -o loop {img} {at}",
            img = image.display(),
            at = at.display()
        );
        let st = Command::new("sh").arg("-c").arg(&cmd).status().unwrap();
        assert!(st.success(), "{cmd}");
        SmallDisk(at.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("chattr")
            .args(["-R", "-i"])
            .arg(&self.0)
            .output();
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The store's disk fills while two cameras copy at once: whichever clip meets the full disk fails
/// by name, nothing half-written is counted, and the daemon goes on serving the next camera.
#[test]
fn a_store_disk_filling_up_fails_the_clip_by_name_and_the_daemon_serves_the_next_camera() {
    let s = Scratch::new();
    let _disk = SmallDisk::mount_at(&s, &s.join("data"), 24);
    let mut daemon = Daemon::start(&s, "parallel = 2\nread_limit_mb_per_s = 20.0");
    // Each large clip fits the free space alone (so both start), the two together do not.
    let a = volume_with_large_clip(&s, "cam-a", "1212121", 12);
    let b = volume_with_large_clip(&s, "cam-b", "3434343", 12);
    dock(&s, &a);
    dock(&s, &b);
    let settled = |d: &Daemon| {
        d.status()["slots"].as_array().is_some_and(|a| {
            a.len() == 2
                && a.iter()
                    .all(|s| s["state"] == "done" || s["state"] == "failed")
        })
    };
    wait_for("both sessions to end", Duration::from_secs(60), || {
        settled(&daemon)
    });
    let db = rusqlite::Connection::open(daemon.data.join(camdock::station::LEDGER_FILE)).unwrap();
    let failures: Vec<String> = db
        .prepare("SELECT detail_json FROM events WHERE kind = 'clip-failed'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!failures.is_empty(), "the disk never filled");
    for f in &failures {
        assert!(
            f.contains("_0003.MP4")
                && (f.contains("No space left on device")
                    || f.contains("not enough for this clip")),
            "{f}"
        );
    }
    // Every clip that did not fail is stored whole; the short ones of both cameras among them.
    assert_eq!(daemon.clips() + failures.len(), 6);
    assert!(
        staged_files(&daemon.data).is_empty(),
        "no half file counted or left"
    );
    assert!(
        daemon.child.try_wait().unwrap().is_none(),
        "the daemon is still up"
    );

    let c = s.join("staging").join("cam-c");
    camera(&c, "5656565", 2);
    dock(&s, &c);
    wait_for(
        "the next camera to be served",
        Duration::from_secs(30),
        || {
            daemon.status()["slots"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["camera"] == "5656565" && s["safe_to_undock"] == true)
        },
    );
    assert_eq!(daemon.terminate().0, Some(0));
    daemon.verify_ok();
}

/// A bind mount of a card folder, as udev's systemd-mount would mount a card (read-only);
/// unmounted when dropped.
struct CardMount(PathBuf);

impl CardMount {
    fn new(card: &Path, at: &Path) -> CardMount {
        let st = Command::new("mount")
            .args(["--bind", "-o", "ro"])
            .arg(card)
            .arg(at)
            .status()
            .unwrap();
        assert!(st.success(), "mount --bind {}", card.display());
        CardMount(at.to_path_buf())
    }
}

impl Drop for CardMount {
    /// Unmounted at once, as a pull does, even while the daemon still holds a file open on it
    /// (lazily: the open file stays readable, the mount leaves the table).
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// With `dock.source = "mounts"` (a station), only a mount under the media root is a dock: the
/// mount point folder that outlives an unmount is not, and the next mount on the same folder is
/// a new dock of the same camera.
#[test]
fn a_mount_is_a_dock_and_its_unmount_an_undock_while_the_folder_stays() {
    let s = Scratch::new();
    let daemon = Daemon::start(&s, "source = \"mounts\"");
    let card = s.join("card");
    camera(&card, "7100001", 2);
    let point = s.join("media/7100001-sdb1");
    std::fs::create_dir_all(&point).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        daemon.events_of_kind("camera-docked"),
        0,
        "an empty mount point folder is not a camera"
    );

    let mounted = CardMount::new(&card, &point);
    wait_for("the first dock's clips", Duration::from_secs(30), || {
        daemon.clips() == 2
    });
    drop(mounted);
    let pulled = Instant::now();
    wait_for("the undock on the record", Duration::from_secs(5), || {
        daemon.events_of_kind("camera-undocked") == 1
    });
    println!("unmount → camera-undocked: {:?}", pulled.elapsed());
    assert!(
        point.is_dir(),
        "the folder stays, as systemd-mount leaves it"
    );

    // The officer records another clip; the camera docks again into the same folder.
    let spec = camdock::simulate::CameraSpec {
        serial: "7100001".into(),
        clips: 1,
        seconds: 1,
        first_sequence: 3,
        first_start: "2026-11-24T01:10:00Z".parse().unwrap(),
        ..Default::default()
    };
    camdock::simulate::write_volume(&card, &spec).unwrap();
    let mounted = CardMount::new(&card, &point);
    wait_for("the re-dock's new clip", Duration::from_secs(30), || {
        daemon.clips() == 3
    });
    assert_eq!(daemon.events_of_kind("camera-docked"), 2);
    drop(mounted);
    wait_for("the second undock", Duration::from_secs(5), || {
        daemon.events_of_kind("camera-undocked") == 2
    });
}

/// A tmpfs of a set size, as a camera's card: its own figures for `statvfs`, unlike a folder.
struct TmpfsCard(PathBuf);

impl TmpfsCard {
    fn new(at: &Path, size: &str) -> TmpfsCard {
        std::fs::create_dir_all(at).unwrap();
        let st = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "camdock-card"])
            .arg(at)
            .status()
            .unwrap();
        assert!(st.success(), "mount -t tmpfs {}", at.display());
        TmpfsCard(at.to_path_buf())
    }
}

impl Drop for TmpfsCard {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A camera pulled mid-copy keeps the storage figures its card had at dock: the mount point folder
/// a pull leaves behind (systemd-mount keeps it) gives those of the filesystem under it (a
/// station's /run), which the session's end used to record as the camera's.
#[test]
fn a_camera_pulled_mid_copy_keeps_its_cards_storage_figures() {
    let s = Scratch::new();
    let daemon = Daemon::start(&s, "source = \"mounts\"\nread_limit_mb_per_s = 1.0");
    let card = TmpfsCard::new(&s.join("card"), "16m");
    camera(&card.0, "7200001", 2);
    random_file(
        &card
            .0
            .join("DCIM/100MEDIA/7200001_100234_20261123120000_0003.MP4"),
        6 << 20,
        7,
    );
    let point = s.join("media/7200001-sdc1");
    std::fs::create_dir_all(&point).unwrap();
    let mounted = CardMount::new(&card.0, &point);
    wait_for("the dock", Duration::from_secs(20), || {
        daemon.events_of_kind("camera-docked") == 1
    });
    std::thread::sleep(Duration::from_secs(2)); // 6 MiB at 1 MB/s: still copying
    drop(mounted); // pulled
    wait_for("the session's end", Duration::from_secs(30), || {
        daemon.events_of_kind("health-read") == 1
    });
    assert_eq!(
        daemon.events_of_kind("session-interrupted"),
        1,
        "pulled mid-copy"
    );
    let db = rusqlite::Connection::open(daemon.data.join(camdock::station::LEDGER_FILE)).unwrap();
    let total: Option<i64> = db
        .query_row(
            "SELECT json_extract(detail_json, '$.health.storage_total_bytes') FROM events WHERE kind = 'health-read'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        total,
        Some(16 << 20),
        "the card's 16 MiB, not the folder's filesystem"
    );
}
