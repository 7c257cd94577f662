//! What the benchmarks share: real body-camera-like video made with ffmpeg, the release binary,
//! a daemon to dock cards into, and the kernel's own counters for memory and disk reads.
//!
//! Random bytes are not video: libav refuses them at open, so the probe never reads a packet and
//! every cost of demuxing stays out of the figure. Every clip here is a real 1080p H.264 + AAC MP4.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bit rate of the generated clips: a high-quality 1080p body camera.
const VIDEO_MBIT: u64 = 60;

/// Where generated media is kept between runs (it takes a while to encode; it never changes).
pub fn media_cache() -> PathBuf {
    let dir = target_dir().join("bench-media");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The release binary, built before the bench runs, or the one `CAMDOCK` names (to measure a
/// build from before a change beside the current one).
pub fn camdock() -> PathBuf {
    let bin = std::env::var_os("CAMDOCK")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/camdock"));
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    bin
}

/// The bench's `--flag value` pairs (cargo's own `--bench` left out); a flag without its value
/// stops the bench.
pub fn flags() -> Vec<(String, String)> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        pairs.push((flag, value));
    }
    pairs
}

pub fn sh(cmd: &str) {
    let st = Command::new("bash").arg("-c").arg(cmd).status().unwrap();
    assert!(st.success(), "failed: {cmd}");
}

fn ffmpeg(args: &[&str]) {
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg is installed (./dev installs it)");
    assert!(st.success(), "ffmpeg {args:?} failed");
}

/// A real clip of about `mib` MiB: 1080p30 H.264 at 60 Mbit/s with AAC sound, its picture a
/// moving pattern under temporal noise seeded by `seed` (so no two seeds share content).
/// Encoded once and cached.
pub fn real_clip(seed: u32, mib: u64) -> PathBuf {
    let path = media_cache().join(format!("real-{seed}-{mib}MiB.mp4"));
    if !path.exists() {
        let seconds = ((mib * 8 * 1024 * 1024) as f64 / (VIDEO_MBIT * 1_000_000) as f64).max(1.0);
        let part = path.with_extension("part.mp4");
        let rate = format!("{VIDEO_MBIT}M");
        let buf = format!("{}M", VIDEO_MBIT * 2);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size=1920x1080:rate=30,noise=alls=24:allf=t+u:all_seed={seed}"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency={}:sample_rate=48000", 300 + seed % 500),
            "-t",
            &format!("{seconds:.2}"),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            &rate,
            "-maxrate",
            &rate,
            "-bufsize",
            &buf,
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-movflags",
            "+faststart",
            part.to_str().unwrap(),
        ]);
        std::fs::rename(&part, &path).unwrap();
    }
    path
}

/// `base` played `times` over as one long real clip (stream copy: every packet is real H.264,
/// the index and timestamps are libav's own). Cached.
pub fn long_clip(base: &Path, times: u32) -> PathBuf {
    let name = base.file_stem().unwrap().to_str().unwrap();
    let path = media_cache().join(format!("{name}-x{times}.mp4"));
    if !path.exists() {
        let part = path.with_extension("part.mp4");
        ffmpeg(&[
            "-stream_loop",
            &(times - 1).to_string(),
            "-i",
            base.to_str().unwrap(),
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            part.to_str().unwrap(),
        ]);
        std::fs::rename(&part, &path).unwrap();
    }
    path
}

/// A copy of `base` that differs in its bytes (a container tag), not in its packets: a distinct
/// clip for the store, made in the time of a file copy.
pub fn variant_of(base: &Path, tag: &str, out: &Path) {
    ffmpeg(&[
        "-i",
        base.to_str().unwrap(),
        "-map",
        "0",
        "-c",
        "copy",
        "-metadata",
        &format!("comment={tag}"),
        out.to_str().unwrap(),
    ]);
}

/// The police file name for clip `seq` of camera `serial`, recorded on a fixed day.
pub fn clip_name(serial: &str, seq: u32) -> String {
    format!(
        "{serial}_100001_20261123{:02}{:02}00_{seq:04}.MP4",
        8 + seq / 60 % 12,
        seq % 60
    )
}

/// A card (camera volume) holding `clips` under DCIM/100MEDIA, linked or copied in.
pub fn card(dir: &Path, serial: &str, clips: &[PathBuf]) -> Vec<PathBuf> {
    let media = dir.join("DCIM/100MEDIA");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(
        dir.join("DEVICE.TXT"),
        format!("serial={serial}\nofficer=100001\nbattery=80\n"),
    )
    .unwrap();
    clips
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = media.join(clip_name(serial, i as u32 + 1));
            if std::fs::hard_link(c, &p).is_err() {
                std::fs::copy(c, &p).unwrap();
            }
            p
        })
        .collect()
}

/// Reads camdock's executable and its shared libraries into the page cache, so a run that starts
/// after `drop_caches` does not count loading its own program as disk reads of its work.
pub fn warm_program() {
    let bin = camdock();
    sh(&format!(
        "cat {0} $(ldd {0} | awk '{{print $3}}' | grep /) >/dev/null",
        bin.display()
    ));
}

pub fn drop_caches() -> bool {
    sh("sync");
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

pub fn unlock_and_remove(p: &Path) {
    let _ = Command::new("chattr").args(["-R", "-i"]).arg(p).output();
    let _ = std::fs::remove_dir_all(p);
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// One field (in kB) of /proc/<pid>/status, as MiB.
pub fn status_mib(pid: u32, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = text
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"));
    kb / 1024.0
}

/// Bytes the process made the block layer read for it (`read_bytes` of /proc/<pid>/io): page
/// cache hits and tmpfs do not count, so with the card on tmpfs this is the store disk alone.
pub fn read_bytes(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("read_bytes: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("read_bytes in /proc/<pid>/io")
}

/// The outcome of a one-shot `camdock ingest`, from the kernel's accounting of the child.
pub struct OneShot {
    pub took: Duration,
    pub peak_rss_mib: f64,
    /// `ru_inblock` × 512: the same counter as `read_bytes` in /proc/<pid>/io, read at exit.
    pub read_bytes: u64,
}

pub fn ingest(volume: &Path, data: &Path, throttle: Option<f64>) -> OneShot {
    let mut cmd = Command::new(camdock());
    cmd.args(["--data-dir", data.to_str().unwrap(), "ingest"])
        .arg(volume)
        .args(["--camera", "9000001"]);
    if let Some(mb) = throttle {
        cmd.args(["--throttle", &mb.to_string()]);
    }
    let started = Instant::now();
    // Reaped by wait4 below (which also gives its rusage), not by Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = cmd.stdout(Stdio::null()).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let took = started.elapsed();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "camdock ingest of {} failed",
        volume.display()
    );
    OneShot {
        took,
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        read_bytes: usage.ru_inblock as u64 * 512,
    }
}

/// `camdock run` on a media root, for docking cards into by rename (as a mount appears: at once).
pub struct Daemon {
    child: Child,
    pub data: PathBuf,
    pub media: PathBuf,
}

impl Daemon {
    pub fn start(dir: &Path, media: &Path) -> Daemon {
        let data = dir.join("data");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::create_dir_all(media).unwrap();
        let cfg = dir.join("camdock.toml");
        std::fs::write(
            &cfg,
            format!(
                "[web]\nlisten = \"\"\n[dock]\nmedia_root = \"{}\"\nusb = false\n",
                media.display()
            ),
        )
        .unwrap();
        let child = Command::new(camdock())
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(&data)
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(1));
        Daemon {
            child,
            data,
            media: media.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Clips committed to the ledger so far.
    pub fn clips(&self) -> usize {
        let out = Command::new(camdock())
            .arg("--data-dir")
            .arg(&self.data)
            .args(["clips", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout)
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Moves a card into the media root and waits until the ledger holds `expect` clips.
    pub fn dock_and_wait(&self, card: &Path, expect: usize) -> Duration {
        let started = Instant::now();
        let docked = self.media.join(card.file_name().unwrap());
        std::fs::rename(card, &docked).unwrap();
        while self.clips() < expect {
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "the daemon did not store {} within 10 minutes",
                docked.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        started.elapsed()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// The daemon ingests `docks` cards of `clips_per_card` real clips in a row (each a distinct
/// variant of `bases`), cards on tmpfs so that `read_bytes` counts the store disk alone. Prints
/// RSS after each dock; returns (RSS after the first dock, after the last, store reads per byte).
pub fn daemon_series(
    dir: &Path,
    bases: &[PathBuf],
    docks: u32,
    clips_per_card: usize,
) -> (f64, f64, f64) {
    let shm = Path::new("/dev/shm").join(format!("camdock-bench-{}", std::process::id()));
    let (media, staging) = (shm.join("media"), shm.join("staging"));
    std::fs::create_dir_all(&staging).unwrap();
    let daemon = Daemon::start(dir, &media);
    let pid = daemon.pid();
    let idle = status_mib(pid, "VmRSS:");
    println!("  daemon RSS before the first dock: {idle:.1} MiB");
    let (mut first, mut last) = (0.0, 0.0);
    let (mut ingested, mut store_reads) = (0u64, 0u64);
    for d in 0..docks {
        let serial = format!("81{d:05}");
        let card_dir = staging.join(format!("card{d}"));
        let media_dir = card_dir.join("DCIM/100MEDIA");
        std::fs::create_dir_all(&media_dir).unwrap();
        std::fs::write(
            card_dir.join("DEVICE.TXT"),
            format!("serial={serial}\nofficer=100001\nbattery=80\n"),
        )
        .unwrap();
        for c in 0..clips_per_card {
            let out = media_dir.join(clip_name(&serial, c as u32 + 1));
            variant_of(&bases[c % bases.len()], &format!("card {d} clip {c}"), &out);
            ingested += std::fs::metadata(&out).unwrap().len();
        }
        let reads_before = read_bytes(pid);
        let took = daemon.dock_and_wait(&card_dir, (d as usize + 1) * clips_per_card);
        // Let the session finish its housekeeping and go idle before reading the figures.
        std::thread::sleep(Duration::from_millis(1500));
        store_reads += read_bytes(pid) - reads_before;
        let rss = status_mib(pid, "VmRSS:");
        let anon = status_mib(pid, "RssAnon:");
        if d == 0 {
            first = rss;
        }
        last = rss;
        println!(
            "  dock {:>2}: {clips_per_card} clips stored in {:>5.1} s; daemon RSS {rss:6.1} MiB (anon {anon:5.1} MiB)",
            d + 1,
            took.as_secs_f64()
        );
        std::fs::remove_dir_all(media.join(format!("card{d}"))).unwrap();
    }
    drop(daemon);
    let _ = std::fs::remove_dir_all(&shm);
    (first, last, store_reads as f64 / ingested as f64)
}
