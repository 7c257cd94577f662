//! Ledger views at station scale: 1,000 cameras and 1,000,000 clips.
//!
//! `cargo bench --bench queries -- [--cameras N] [--clips-per-camera N]` builds a real ledger
//! (hash-chained events, projections, the same code path as ingest) once under target/, then times
//! `fleet`, `overdue --at` and `clips --camera` (median of 15 runs each). Goal: under 100 ms each.

use camdock::ledger::projections::{ClipRow, RecordingRow};
use camdock::ledger::{EventKind, Ledger, NewEvent};
use camdock_record::detail::{CameraDockedDetail, CameraUndockedDetail, Checked, ClipStoredDetail};
use camdock_record::facts::Immutability;
use chrono::{Duration, Utc};
use std::path::PathBuf;
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median_ms(mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..15 {
        let t = Instant::now();
        n = f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], n)
}

fn main() {
    let cameras = arg("--cameras", 1000);
    let per = arg("--clips-per-camera", 1000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-queries-v2-{cameras}x{per}"));
    let path = dir.join("ledger.sqlite3");
    if !path.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join("building.sqlite3");
        let _ = std::fs::remove_file(&tmp);
        let built = Instant::now();
        let mut ledger = Ledger::open(&tmp, "bench").unwrap();
        for cam in 0..cameras {
            let camera = format!("{:07}", 1_000_000 + cam);
            ledger
                .write(|w| {
                    let session = w.open_session(&camera, &format!("/media/{camera}"))?;
                    w.camera_docked(&camera, Some("100001"))?;
                    w.append(
                        NewEvent::new(EventKind::CameraDocked, "bench")
                            .camera(&camera)
                            .typed(&CameraDockedDetail {
                                session,
                                ..Default::default()
                            }),
                    )?;
                    for i in 0..per {
                        let sha = format!("{:064x}", cam * per + i);
                        let seq = w.append(
                            NewEvent::new(EventKind::ClipStored, "bench")
                                .camera(&camera)
                                .clip(&sha)
                                // The detail as ingest writes it (its size counts for the
                                // replay, which reads every clip event's mark).
                                .typed(&ClipStoredDetail {
                                    session,
                                    source: format!("DCIM/100MEDIA/{i:06}.MP4"),
                                    bytes: 1000,
                                    blake3: Some(sha.clone()),
                                    checked: Checked {
                                        how: "read and hashed in full".into(),
                                        ..Default::default()
                                    },
                                    store_path: format!(
                                        "store/sha256/{}/{}/{sha}.mp4",
                                        &sha[..2],
                                        &sha[2..4]
                                    ),
                                    immutable: Some(Immutability::Set),
                                    officer: Some("100001".into()),
                                    sequence: Some(i as u32),
                                    recorded_at: Some("2026-01-01T08:00:00.000Z".into()),
                                    recorded_at_corrected: None,
                                    late: false,
                                    important: Some(false),
                                }),
                        )?;
                        let store_path =
                            format!("store/sha256/{}/{}/{sha}.mp4", &sha[..2], &sha[2..4]);
                        w.insert_clip(&ClipRow {
                            sha256: &sha,
                            blake3: &sha,
                            bytes: 1000,
                            store_path: &store_path,
                            stored_seq: seq,
                            immutable: true,
                            media_json: Some("{\"integrity\":\"ok\"}".into()),
                        })?;
                        w.insert_recording(&RecordingRow {
                            sha256: &sha,
                            camera: &camera,
                            session_id: session,
                            source: &format!("DCIM/{i:06}.MP4"),
                            source_bytes: 1000,
                            source_mtime: None,
                            officer: Some("100001"),
                            sequence: Some(i as u32),
                            important: false,
                            recorded_at: None,
                            recorded_at_corrected: None,
                            late: false,
                            seq,
                        })?;
                    }
                    w.append(
                        NewEvent::new(EventKind::CameraUndocked, "bench")
                            .camera(&camera)
                            .typed(&CameraUndockedDetail {
                                session,
                                ..Default::default()
                            }),
                    )?;
                    w.close_session(session)?;
                    w.camera_undocked(&camera)
                })
                .unwrap();
        }
        drop(ledger);
        std::fs::rename(&tmp, &path).unwrap();
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::rename(
                dir.join(format!("building.sqlite3{ext}")),
                dir.join(format!("ledger.sqlite3{ext}")),
            );
        }
        println!(
            "built a ledger of {cameras} cameras x {per} clips in {:.0} s",
            built.elapsed().as_secs_f64()
        );
    }
    let ledger = Ledger::open(&path, "bench").unwrap();
    let events = ledger.event_count().unwrap();
    println!(
        "ledger: {events} events, {} clips, {cameras} cameras",
        cameras * per
    );
    let limit = std::time::Duration::from_secs(24 * 3600);
    let (fleet, n) = median_ms(|| ledger.fleet(Utc::now(), limit).unwrap().len());
    println!("  fleet                 {fleet:>8.2} ms  ({n} cameras)   goal < 100 ms");
    let at = Utc::now() + Duration::hours(25);
    let (overdue, n) = median_ms(|| ledger.overdue_at(at, limit).unwrap().len());
    println!("  overdue --at          {overdue:>8.2} ms  ({n} overdue)   goal < 100 ms");
    let (clips, n) = median_ms(|| {
        ledger
            .clips(Some(&format!("{:07}", 1_000_000 + cameras / 2)))
            .unwrap()
            .len()
    });
    println!("  clips --camera        {clips:>8.2} ms  ({n} clips)     goal < 100 ms");
    // verify, the scrub and the daemon's start replay the whole chain into the custody rows and
    // compare them with the tables: once (seconds, not milliseconds), with the chain walk beside it
    // for scale.
    let t = Instant::now();
    let chain = ledger.verify_chain().unwrap();
    let walk = t.elapsed().as_secs_f64();
    let check = camdock::ledger::replay::check(ledger.conn()).unwrap();
    println!(
        "  custody replay check  {:>8.2} s   ({} events, {} differences; the chain walk alone {walk:.2} s, ok {})",
        check.seconds,
        check.events_replayed,
        check.differences.len(),
        chain.chain_ok
    );
    assert!(
        check.differences.is_empty(),
        "{:?}",
        &check.differences[..1]
    );
}
