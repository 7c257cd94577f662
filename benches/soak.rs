//! A shift change, scaled to this machine: the daemon ingests cards of real video one after
//! another, and its memory must not grow with what it has ingested.
//!
//! `cargo bench --bench soak -- [--docks N] [--clips-per-card N] [--clip-mib N]`
//!
//! Prints the daemon's RSS after each dock and the ratio last/first. Goal: RSS after the last
//! dock within 16 MiB of RSS after the first.

mod support;

use support::*;

fn main() {
    let (mut docks, mut clips_per_card, mut clip_mib) = (20u32, 3usize, 128u64);
    for (flag, val) in flags() {
        match flag.as_str() {
            "--docks" => docks = val.parse().unwrap(),
            "--clips-per-card" => clips_per_card = val.parse().unwrap(),
            "--clip-mib" => clip_mib = val.parse().unwrap(),
            other => panic!("unknown option {other}"),
        }
    }
    let bases: Vec<_> = (0..clips_per_card as u32)
        .map(|s| real_clip(100 + s, clip_mib))
        .collect();
    let dir = target_dir().join("bench-soak");
    unlock_and_remove(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "camdock soak: {docks} docks in a row, {clips_per_card} real 1080p H.264 clips of ~{clip_mib} MiB per card"
    );
    let (first, last, reads_per_byte) = daemon_series(&dir, &bases, docks, clips_per_card);
    println!(
        "\ndaemon RSS after dock 1: {first:.1} MiB; after dock {docks}: {last:.1} MiB; \
         last/first {:.3}x; growth {:+.1} MiB (goal: within 16 MiB)",
        last / first,
        last - first
    );
    println!("store disk bytes read per byte ingested (read-back + probe): {reads_per_byte:.2}");
    unlock_and_remove(&dir);
}
