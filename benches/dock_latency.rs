//! Time from a camera volume appearing under the media root to the daemon reading its first clip.
//!
//! `cargo bench --bench dock_latency -- [--docks N]`: runs `camdock run` with the default config
//! (settle 100 ms), docks N cameras one after another by renaming a ready volume into the media
//! root (as a mount appears: at once), and reads the daemon's own log line "reading the first
//! clip" (its timestamp, same clock) for each. Goal: under 200 ms.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

fn main() {
    let mut docks = 10;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--docks") {
        docks = args[i + 1].parse().unwrap();
    }
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let bin = target.parent().unwrap().join("release/camdock");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    let dir = target.join("bench-latency");
    let _ = Command::new("chattr").args(["-R", "-i"]).arg(&dir).output();
    let _ = std::fs::remove_dir_all(&dir);
    let (media, staging) = (dir.join("media"), dir.join("staging"));
    std::fs::create_dir_all(&media).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    let cfg = dir.join("camdock.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dock]\nmedia_root = \"{}\"\nusb = false\n",
            media.display()
        ),
    )
    .unwrap();
    let mut daemon = Command::new(&bin)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            dir.join("data").to_str().unwrap(),
            "run",
        ])
        .env("CAMDOCK_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = daemon.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::sleep(Duration::from_secs(1));

    let mut latencies = Vec::new();
    for i in 0..docks {
        let vol = staging.join(format!("cam{i}"));
        let serial = format!("77{i:05}");
        let st = Command::new(&bin)
            .args([
                "simulate-camera",
                vol.to_str().unwrap(),
                "--serial",
                &serial,
                "--clips",
                "2",
                "--seconds",
                "1",
            ])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        let appeared = SystemTime::now();
        std::fs::rename(&vol, media.join(format!("cam{i}"))).unwrap();
        let read_at = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("daemon reads the first clip");
            if line.contains("reading the first clip") && line.contains(&serial) {
                let stamp = line.split_whitespace().next().unwrap();
                let t = chrono::DateTime::parse_from_rfc3339(stamp)
                    .expect("log lines start with an RFC 3339 time");
                break SystemTime::from(t);
            }
        };
        let ms = read_at
            .duration_since(appeared)
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0;
        latencies.push(ms);
        println!("  dock {i}: {ms:.1} ms");
        std::thread::sleep(Duration::from_millis(300));
    }
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let _ = daemon.wait();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "volume appearing → first clip read: min {:.1} ms, median {:.1} ms, max {:.1} ms over {docks} docks (goal < 200 ms)",
        latencies[0],
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
}
