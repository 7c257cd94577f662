//! Cards of many small clips: clips per second and peak memory of a one-shot ingest.
//!
//! `cargo bench --bench small_clips -- [--mp4 N] [--notes N] [--dir DIR]`
//!
//! Two cards, each real media (libav parses every one, so the probe's per-clip cost is in the
//! figures):
//!   * `--mp4` one-second H.264 MP4s (320x240, a moving pattern seeded per clip: no two alike),
//!     encoded through libav once and cached under `target/bench-media/`, 1,000 to a folder as
//!     cameras file them;
//!   * `--notes` audio notes: WAV files of 0.1 s (8 kHz, 16-bit mono: a tone whose pitch and first
//!     samples are set by the note's number), 1,000 to a folder.
//!
//! For each card, caches dropped first: `cp -r` + `sync` of the card (what an admin would do by
//! hand, with no hash and no record), then `camdock ingest`: its time as clips per second, its
//! peak RSS (the kernel's `ru_maxrss`: camdock or its probe child, whichever peaked higher), and
//! every clip counted in the store afterwards.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

struct Opts {
    mp4: u32,
    notes: u32,
    dir: PathBuf,
}

fn opts() -> Opts {
    let mut o = Opts {
        mp4: 10_000,
        notes: 100_000,
        dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-small-clips"),
    };
    for (flag, val) in flags() {
        match flag.as_str() {
            "--mp4" => o.mp4 = val.parse().unwrap(),
            "--notes" => o.notes = val.parse().unwrap(),
            "--dir" => o.dir = PathBuf::from(val),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

const PER_FOLDER: u32 = 1000;

/// N one-second real MP4s, encoded once (two at a time) and kept under target/bench-media.
fn mp4_set(n: u32) -> PathBuf {
    let dir = media_cache().join("one-second-mp4");
    std::fs::create_dir_all(&dir).unwrap();
    let path = |i: u32| dir.join(format!("{i:06}.MP4"));
    let missing: Vec<u32> = (0..n).filter(|&i| !path(i).exists()).collect();
    if !missing.is_empty() {
        println!(
            "  encoding {} one-second H.264 clips (cached for later runs)",
            missing.len()
        );
        std::thread::scope(|s| {
            for half in missing.chunks(missing.len().div_ceil(2)) {
                let (path, dir) = (&path, &dir);
                s.spawn(move || {
                    for &i in half {
                        let partial = dir.join(format!("{i:06}.partial.mp4"));
                        camdock::simulate::encode_clip(
                            &partial,
                            1,
                            &[("comment", format!("small clip {i}"))],
                            i,
                        )
                        .unwrap();
                        std::fs::rename(&partial, path(i)).unwrap();
                    }
                });
            }
        });
    }
    dir
}

/// The police file name of clip `i`: clips back to back, one a second (a camera that splits its
/// recording into short segments, so the card holds no gaps between recordings; each gap would be a
/// finding of its own), numbers wrapping at 9999 as a camera's counter does, a thousand to a folder.
fn clip_path(card: &Path, i: u32, ext: &str) -> PathBuf {
    let folder = card.join(format!("DCIM/{}MEDIA", 100 + i / PER_FOLDER));
    if i.is_multiple_of(PER_FOLDER) {
        std::fs::create_dir_all(&folder).unwrap();
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        + chrono::Duration::seconds(i as i64);
    folder.join(format!(
        "9000002_100001_{}_{:04}.{ext}",
        start.format("%Y%m%d%H%M%S"),
        i % 9999 + 1
    ))
}

fn device_file(card: &Path, serial: &str) {
    std::fs::create_dir_all(card).unwrap();
    std::fs::write(
        card.join("DEVICE.TXT"),
        format!("serial={serial}\nofficer=100001\nbattery=80\n"),
    )
    .unwrap();
}

fn mp4_card(card: &Path, n: u32) -> u64 {
    let set = mp4_set(n);
    device_file(card, "9000002");
    (0..n)
        .map(|i| {
            let from = set.join(format!("{i:06}.MP4"));
            let to = clip_path(card, i, "MP4");
            std::fs::copy(&from, &to).unwrap()
        })
        .sum()
}

/// A WAV file: 0.1 s of a tone at 8 kHz, 16-bit mono; its pitch and first samples carry `i`.
fn note(i: u32) -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples = RATE / 10;
    let data_len = samples * 2;
    let mut w = Vec::with_capacity(44 + data_len as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&RATE.to_le_bytes());
    w.extend_from_slice(&(RATE * 2).to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    let pitch = 200.0 + (i % 1800) as f64;
    for s in 0..samples {
        let v = if s < 2 {
            // The note's number in its first two samples: no two notes alike.
            (if s == 0 { i & 0xffff } else { i >> 16 }) as i16
        } else {
            (8000.0 * (2.0 * std::f64::consts::PI * pitch * s as f64 / RATE as f64).sin()) as i16
        };
        w.extend_from_slice(&v.to_le_bytes());
    }
    w
}

fn notes_card(card: &Path, n: u32) -> u64 {
    device_file(card, "9000002");
    (0..n)
        .map(|i| {
            let bytes = note(i);
            std::fs::write(clip_path(card, i, "WAV"), &bytes).unwrap();
            bytes.len() as u64
        })
        .sum()
}

fn stored_objects(data: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![data.join("store/sha256")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                n += 1;
            }
        }
    }
    n
}

fn measure(o: &Opts, what: &str, clips: u32, make: impl Fn(&Path, u32) -> u64) {
    let card = o.dir.join(what);
    let bytes = make(&card, clips);
    println!("\n{what}: {clips} clips, {:.1} MiB on the card", mib(bytes));
    let copy = o.dir.join("copy");
    let cold = drop_caches();
    let t = Instant::now();
    sh(&format!(
        "cp -r {} {} && sync",
        card.display(),
        copy.display()
    ));
    let cp = t.elapsed();
    unlock_and_remove(&copy);
    drop_caches();
    let data = o.dir.join("data");
    let run = ingest(&card, &data, None);
    let stored = stored_objects(&data);
    assert_eq!(stored, clips as usize, "every clip stored once");
    let rate = |d: Duration| clips as f64 / d.as_secs_f64();
    println!(
        "  cp -r + sync:    {:>8.2} s  {:>7.0} files/s{}",
        cp.as_secs_f64(),
        rate(cp),
        if cold { "" } else { "  (warm cache: not root)" }
    );
    println!(
        "  camdock ingest:  {:>8.2} s  {:>7.0} clips/s (goal >= 300)  peak RSS {:.1} MiB (goal < 64 MiB); {stored} clips in the store",
        run.took.as_secs_f64(),
        rate(run.took),
        run.peak_rss_mib
    );
    println!(
        "  camdock / cp + sync: {:.2}x",
        run.took.as_secs_f64() / cp.as_secs_f64()
    );
    unlock_and_remove(&data);
    unlock_and_remove(&card);
}

fn main() {
    let o = opts();
    unlock_and_remove(&o.dir);
    std::fs::create_dir_all(&o.dir).unwrap();
    println!(
        "cards of many small clips, one-shot camdock ingest, in {}",
        o.dir.display()
    );
    if o.mp4 > 0 {
        measure(&o, "one-second-mp4", o.mp4, mp4_card);
    }
    if o.notes > 0 {
        measure(&o, "audio-notes", o.notes, notes_card);
    }
    unlock_and_remove(&o.dir);
}
