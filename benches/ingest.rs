//! Ingest throughput and memory against the tools a station admin would use instead.
//!
//! `cargo bench --bench ingest -- [--gib N] [--clips N] [--throttle-mb N] [--big-gib N] [--dir DIR]`
//!
//! From one run it prints camdock's time as a ratio to
//!   (a) `cp` + `sync` of the same files,
//!   (b) the manual verified procedure: `cp` + `sync` + `sha256sum` of the source and of the copy,
//!   (c) the source's own read time when throttled to USB 2.0 speed (camdock reads it through the
//!       same throttle with `--throttle`),
//! and camdock's peak RSS while ingesting one large clip. Page caches are dropped before each
//! measured run when the bench may (root), so every run starts from a cold card.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Opts {
    gib: f64,
    clips: u32,
    throttle_mb: f64,
    big_gib: f64,
    dir: PathBuf,
}

fn opts() -> Opts {
    let mut o = Opts {
        gib: 1.0,
        clips: 8,
        throttle_mb: 40.0,
        big_gib: 4.0,
        dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-ingest"),
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
                .clone()
        };
        match flag.as_str() {
            "--gib" => o.gib = val().parse().unwrap(),
            "--clips" => o.clips = val().parse().unwrap(),
            "--throttle-mb" => o.throttle_mb = val().parse().unwrap(),
            "--big-gib" => o.big_gib = val().parse().unwrap(),
            "--dir" => o.dir = PathBuf::from(val()),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn camdock() -> PathBuf {
    // The release binary next to this bench's own target directory.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let bin = target.join("release/camdock");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    bin
}

fn sh(cmd: &str) {
    let st = Command::new("bash").arg("-c").arg(cmd).status().unwrap();
    assert!(st.success(), "failed: {cmd}");
}

fn drop_caches() -> bool {
    sh("sync");
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn timed(what: &str, f: impl FnOnce()) -> Duration {
    let cold = drop_caches();
    let t = Instant::now();
    f();
    let d = t.elapsed();
    println!(
        "  {what:<58} {:>8.2} s{}",
        d.as_secs_f64(),
        if cold { "" } else { "  (warm cache: not root)" }
    );
    d
}

fn random_file(path: &Path, bytes: u64, seed: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut x = seed.wrapping_mul(6364136223846793005) | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for c in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            c.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
}

fn volume(dir: &Path, total: u64, clips: u32) -> Vec<PathBuf> {
    let media = dir.join("DCIM/100MEDIA");
    std::fs::create_dir_all(&media).unwrap();
    (0..clips)
        .map(|i| {
            let p = media.join(format!(
                "9000001_100001_20261123{:02}0000_{:04}.MP4",
                8 + i % 12,
                i + 1
            ));
            random_file(&p, total / clips as u64, i as u64 + 1);
            p
        })
        .collect()
}

fn ingest(volume: &Path, data: &Path, throttle: Option<f64>) -> libc::rusage {
    let mut cmd = Command::new(camdock());
    cmd.args([
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        volume.to_str().unwrap(),
        "--camera",
        "9000001",
    ]);
    if let Some(mb) = throttle {
        cmd.args(["--throttle", &mb.to_string()]);
    }
    let child = cmd.stdout(std::process::Stdio::null()).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "camdock ingest failed"
    );
    usage
}

/// Reads every clip through the same 40 MB/s throttle camdock uses: the card's own read time.
fn throttled_read(files: &[PathBuf], mb: f64) {
    for f in files {
        let mut r = camdock::ingest::throttle::Throttled::new(
            std::fs::File::open(f).unwrap(),
            (mb * 1e6) as u64,
        );
        let mut buf = vec![0u8; 1 << 20];
        while r.read(&mut buf).unwrap() > 0 {}
    }
}

fn unlock_and_remove(p: &Path) {
    let _ = Command::new("chattr").args(["-R", "-i"]).arg(p).output();
    let _ = std::fs::remove_dir_all(p);
}

fn main() {
    let o = opts();
    unlock_and_remove(&o.dir);
    std::fs::create_dir_all(&o.dir).unwrap();
    let total = (o.gib * (1u64 << 30) as f64) as u64;
    let src = o.dir.join("camera");
    println!(
        "camdock ingest benchmark: {} clips, {:.2} GiB, in {}",
        o.clips,
        total as f64 / (1u64 << 30) as f64,
        o.dir.display()
    );
    let files = volume(&src, total, o.clips);

    println!("\nunthrottled source (local disk):");
    let cp = timed("(a) cp -r + sync", || {
        sh(&format!(
            "cp -r {0}/camera {0}/cp1 && sync",
            o.dir.display()
        ))
    });
    let manual = timed(
        "(b) cp -r + sync + sha256sum source + sha256sum copy",
        || {
            sh(&format!(
                "cp -r {0}/camera {0}/cp2 && sync && sha256sum {0}/camera/DCIM/100MEDIA/* >/dev/null && sha256sum {0}/cp2/DCIM/100MEDIA/* >/dev/null",
                o.dir.display()
            ))
        },
    );
    let b3 = timed("(d) b3sum of the source", || {
        sh(&format!(
            "b3sum {0}/camera/DCIM/100MEDIA/* >/dev/null",
            o.dir.display()
        ))
    });
    let have = |tool: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool} >/dev/null"))
            .status()
            .is_ok_and(|s| s.success())
    };
    let rsync = have("rsync").then(|| {
        timed("(e) rsync -a --checksum + sync", || {
            sh(&format!(
                "rsync -a --checksum {0}/camera/ {0}/rs/ && sync",
                o.dir.display()
            ))
        })
    });
    let dcfldd = have("dcfldd").then(|| {
        timed("(f) dcfldd hash=sha256 of each clip + sync", || {
            sh(&format!(
                "mkdir -p {0}/dd && for f in {0}/camera/DCIM/100MEDIA/*; do dcfldd if=\"$f\" of={0}/dd/$(basename \"$f\") hash=sha256 status=off 2>/dev/null >/dev/null; done && sync",
                o.dir.display()
            ))
        })
    });
    let ours = timed(
        "camdock ingest (read once, SHA-256 + BLAKE3, fsync, read-back)",
        || {
            ingest(&src, &o.dir.join("data1"), None);
        },
    );

    println!("\nsource throttled to {} MB/s (USB 2.0):", o.throttle_mb);
    let source = timed("(c) reading the source alone at that rate", || {
        throttled_read(&files, o.throttle_mb)
    });
    let ours_slow = timed("camdock ingest --throttle", || {
        ingest(&src, &o.dir.join("data2"), Some(o.throttle_mb));
    });

    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    // Several cameras at once, each throttled: does the station keep every card at its own pace?
    let per_camera = total / 4;
    let cams: Vec<PathBuf> = (0..8)
        .map(|i| {
            let v = o.dir.join(format!("multi{i}"));
            let media = v.join("DCIM/100MEDIA");
            std::fs::create_dir_all(&media).unwrap();
            random_file(
                &media.join(format!("900000{i}_100001_20261123080000_0001.MP4")),
                per_camera,
                1000 + i as u64,
            );
            v
        })
        .collect();
    let at_once = |n: usize| {
        let data = o.dir.join(format!("data-{n}-cameras"));
        let took = timed(
            &format!(
                "{n} camera(s) at once, one {} MiB clip each, each throttled",
                per_camera >> 20
            ),
            || {
                std::thread::scope(|s| {
                    for c in &cams[..n] {
                        let data = data.clone();
                        s.spawn(move || ingest(c, &data, Some(o.throttle_mb)));
                    }
                });
            },
        );
        unlock_and_remove(&data);
        took
    };
    let one_cam = at_once(1);
    let four_cams = at_once(4);
    let eight_cams = at_once(8);

    // verify re-reads every stored clip and re-hashes it: how close is it to reading the store raw?
    println!(
        "\nverify (the store of the unthrottled ingest, {:.2} GiB):",
        o.gib
    );
    let stored = o.dir.join("data1/store/sha256");
    let raw_read = timed("(g) cat of every stored clip > /dev/null", || {
        sh(&format!(
            "find {} -type f -print0 | xargs -0 cat >/dev/null",
            stored.display()
        ))
    });
    let verify = timed(
        "camdock verify (SHA-256 + BLAKE3 of every clip, chain)",
        || {
            let st = Command::new(camdock())
                .args([
                    "--data-dir",
                    o.dir.join("data1").to_str().unwrap(),
                    "verify",
                ])
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(st.success(), "camdock verify failed");
        },
    );
    let sums = timed("(h) sha256sum + b3sum of every stored clip", || {
        sh(&format!(
            "find {0} -type f -print0 | xargs -0 sha256sum >/dev/null && find {0} -type f -print0 | xargs -0 b3sum >/dev/null",
            stored.display()
        ))
    });

    println!("\nratios (camdock time / other):");
    println!(
        "  (a) vs cp + sync:                         {:.2}x",
        ratio(ours, cp)
    );
    println!(
        "  (b) vs cp + sync + sha256sum x2:          {:.2}x   (goal < 0.6x)",
        ratio(ours, manual)
    );
    println!(
        "  (c) vs the throttled source's read time:  {:.3}x  (goal <= 1.05x)",
        ratio(ours_slow, source)
    );

    if let Some(r) = rsync {
        println!(
            "  (e) vs rsync --checksum + sync:           {:.2}x",
            ratio(ours, r)
        );
    }
    if let Some(d) = dcfldd {
        println!(
            "  (f) vs dcfldd hash=sha256 + sync:         {:.2}x",
            ratio(ours, d)
        );
    }
    println!(
        "  (d) vs b3sum of the source alone:         {:.2}x",
        ratio(ours, b3)
    );
    println!(
        "  4 throttled cameras at once vs one:       {:.3}x  (goal <= 1.1x)",
        ratio(four_cams, one_cam)
    );
    println!(
        "  8 throttled cameras at once vs one:       {:.3}x",
        ratio(eight_cams, one_cam)
    );
    println!(
        "  verify vs (g) raw read of the store:      {:.2}x",
        ratio(verify, raw_read)
    );
    println!(
        "  verify vs (h) sha256sum + b3sum:          {:.2}x",
        ratio(verify, sums)
    );
    for c in &cams {
        unlock_and_remove(c);
    }
    for d in ["rs", "dd"] {
        unlock_and_remove(&o.dir.join(d));
    }
    unlock_and_remove(&o.dir.join("data1"));
    unlock_and_remove(&o.dir.join("data2"));
    for d in ["cp1", "cp2", "camera"] {
        unlock_and_remove(&o.dir.join(d));
    }
    if o.big_gib > 0.0 {
        let big = o.dir.join("big");
        let media = big.join("DCIM/100MEDIA");
        std::fs::create_dir_all(&media).unwrap();
        let bytes = (o.big_gib * (1u64 << 30) as f64) as u64;
        random_file(&media.join("BIG.MP4"), bytes, 99);
        drop_caches();
        let usage = ingest(&big, &o.dir.join("data3"), None);
        println!(
            "\npeak RSS ingesting one {:.1} GiB clip: {:.1} MiB   (goal < 64 MiB)",
            o.big_gib,
            usage.ru_maxrss as f64 / 1024.0
        );
        unlock_and_remove(&o.dir.join("data3"));
        unlock_and_remove(&big);
    }
}
