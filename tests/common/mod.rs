//! Helpers shared by the integration tests: scratch folders, stations, camera volumes.
#![allow(dead_code)]

pub mod localstack;

use camdock::config::Config;
use camdock::simulate::{CameraSpec, write_volume};
use camdock::station::Station;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch folder removed at the end (immutable store files are unlocked first).
pub struct Scratch(pub tempfile::TempDir);

impl Scratch {
    pub fn new() -> Scratch {
        probe_in_camdock();
        Scratch(
            tempfile::Builder::new()
                .prefix("camdock-test.")
                .tempdir()
                .expect("temp dir"),
        )
    }
    pub fn path(&self) -> &Path {
        self.0.path()
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.path().join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("chattr")
            .arg("-R")
            .arg("-i")
            .arg(self.0.path())
            .output();
    }
}

pub fn config(toml: &str) -> Config {
    Config::from_toml(toml).expect("test config is valid")
}

pub fn station(dir: &Path) -> Station {
    Station::open(config("[station]\nid = \"test-station\"\n"), Some(dir)).expect("station opens")
}

/// A simulated camera volume with `clips` real MP4s.
pub fn camera(dir: &Path, serial: &str, clips: u32) -> Vec<PathBuf> {
    let spec = CameraSpec {
        serial: serial.into(),
        clips,
        seconds: 1,
        ..CameraSpec::default()
    };
    write_volume(dir, &spec).expect("camera volume written")
}

/// The first field of a checksum tool's output for `file`.
pub fn tool_digest(tool: &str, file: &Path) -> String {
    let out = Command::new(tool)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed (./dev installs it): {e}"));
    assert!(out.status.success(), "{tool} failed on {}", file.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Writes `bytes` of pseudo-random data (distinct per seed) to `path`.
pub fn random_file(path: &Path, bytes: u64, seed: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut left = bytes;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        rand::RngCore::fill_bytes(&mut rng, &mut buf);
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_camdock")
}

/// Runs the camdock binary; returns (exit code, stdout, stderr).
pub fn camdock(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("camdock runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A config file for a station set open (`[station] open = true`): with no accounts, it takes a
/// typed approver, as a bench does; pass it with `--config`.
pub fn open_config(s: &Scratch) -> String {
    let path = s.join("open.toml");
    std::fs::write(&path, "[station]\nopen = true\n").unwrap();
    path.to_str().unwrap().to_string()
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Files left in the store's staging area (must be none after any finished or recovered run).
pub fn staged_files(data: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(data.join("store/staging")) {
        for d in dirs.flatten() {
            for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
                if f.file_name() != ".lock" {
                    found.push(f.path());
                }
            }
        }
    }
    found
}

/// A TCP port on loopback that nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The error of the first failed clip in an `ingest --json` report (panics if none failed).
pub fn failed_clip_error(report: &serde_json::Value) -> String {
    report["clips"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["outcome"] == "failed")
        .and_then(|c| c["error"].as_str())
        .unwrap_or_else(|| panic!("no failed clip in {report}"))
        .to_string()
}

/// Stations opened by a test probe clips in this build's camdock, walled off as on a station
/// (media/sandbox.rs); the test binary itself is not camdock.
pub fn probe_in_camdock() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: set once, before this test starts a station (and so before any probe reads it);
    // other tests' threads only read it through the same Once.
    ONCE.call_once(|| unsafe {
        std::env::set_var(
            camdock::media::sandbox::HELPER_ENV,
            env!("CARGO_BIN_EXE_camdock"),
        )
    });
}

/// The station's own admin rewrites history in the ledger database `path` with sqlite3 (issue:
/// "custody you can defend"): the append-only triggers dropped, `sql` run, every event re-chained so
/// the chain holds, the triggers put back.
pub fn rewrite_history(path: &Path, sql: &str) {
    let db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA foreign_keys = OFF; DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;",
    )
    .unwrap();
    db.execute_batch(sql).unwrap();
    // ...and re-chains every event, so the chain holds.
    rechain(&db);
    // The guard goes back, so opening the ledger records nothing.
    for (_, sql) in camdock::ledger::schema::GUARD_TRIGGERS {
        db.execute_batch(sql).unwrap();
    }
}

/// Recomputes every event's `prev_hash` and `hash` from its fields as they are now, as someone with
/// the ledger file and no key can: the chain then holds over whatever was rewritten.
pub fn rechain(db: &rusqlite::Connection) {
    use camdock::ledger::chain::{EventFields, GENESIS, SELECT_EVENTS, event_hash, stored_event};
    let events: Vec<_> = db
        .prepare(&format!("{SELECT_EVENTS} ORDER BY seq"))
        .unwrap()
        .query_map([], stored_event)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev = GENESIS.to_string();
    for e in events {
        let hash = event_hash(&EventFields::of(&e), &prev);
        db.execute(
            "UPDATE events SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
            rusqlite::params![e.seq, prev, hash],
        )
        .unwrap();
        prev = hash;
    }
}

/// A daemon started by a test: asked to stop (SIGTERM) when dropped, killed if it has not within
/// 10 s, so its clean shutdown runs as a station's would.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        use std::time::{Duration, Instant};
        // Already waited for (a test that stopped it and checked its exit): its pid may be
        // another process's by now.
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        // SAFETY: a plain signal to our own child's pid, not yet reaped.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        while self.0.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something listens at `url`'s address (20 s at most).
pub fn wait_http(url: &str) {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        if std::net::TcpStream::connect(
            url.trim_start_matches("http://").split('/').next().unwrap(),
        )
        .is_ok()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("nothing listens at {url}");
}

/// The one-time secret `camdock account init` / `add` printed.
pub fn secret_of(out: &str) -> String {
    out.split("(shown once): ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The account `name` sets its own password `new` with its one-time `secret` (`camdock account
/// password`, with `config` when given, in `data`).
pub fn set_own_password(config: Option<&Path>, data: &Path, name: &str, secret: &str, new: &str) {
    let mut c = Command::new(bin());
    if let Some(cfg) = config {
        c.arg("--config").arg(cfg);
    }
    let out = c
        .arg("--data-dir")
        .arg(data)
        .args(["account", "password", "--as", name])
        .env("CAMDOCK_PASSWORD", secret)
        .env("CAMDOCK_NEW_PASSWORD", new)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the browser test `file` of tests/browser (node --test, one test at a time) with `env`
/// and SHOTS_DIR, and asserts it passed and made each of `shots` (fresh: removed first); the
/// server's `log` is shown when it did not.
pub fn browser_test(file: &str, env: &[(&str, &str)], shots: &[&str], log: &Path) {
    let dir = fresh_screenshots(shots);
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", file])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser"))
        .envs(env.iter().copied())
        .env("SHOTS_DIR", &dir)
        // `./dev calendar` moves the station's clock with libfaketime; the browser keeps the real
        // one (Chromium's crash handler spins on a faked clock).
        .env_remove("LD_PRELOAD")
        .output()
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.contains("# fail 0"),
        "{file} failed:\n{report}\nserver log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    assert_screenshots(&dir, shots);
}

/// The browser tests' screenshots `names` under target/screenshots, removed before the run that
/// must make them: a check afterwards then cannot pass on a file an earlier run left.
pub fn fresh_screenshots(names: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for name in names {
        let _ = std::fs::remove_file(dir.join(name));
    }
    dir
}

/// Each screenshot was made by this run and is a PNG (its signature), not an empty file.
pub fn assert_screenshots(dir: &Path, names: &[&str]) {
    for name in names {
        let bytes = std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("screenshot {name} was not made: {e}"));
        assert!(
            bytes.len() > 1000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot {name} is not a PNG ({} bytes)",
            bytes.len()
        );
    }
}
