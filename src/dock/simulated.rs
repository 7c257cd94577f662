//! Simulated docks for `camdock demo`: cameras that arrive, sit in the dock a while and leave,
//! exactly as mounted volumes would appear under the media root.

use crate::simulate::{CameraSpec, write_volume};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A small fleet with a few problems worth seeing: a fast clock, a low battery.
pub fn fleet() -> Vec<CameraSpec> {
    let cam = |serial: &str, officer: &str, clips, offset, battery| CameraSpec {
        serial: serial.into(),
        officer: officer.into(),
        clips,
        seconds: 3,
        clock_offset_s: offset,
        battery_percent: battery,
        first_start: crate::simulate::yesterday_morning(chrono::Utc::now()),
        ..CameraSpec::default()
    };
    vec![
        cam("DEMO001", "100101", 4, 0, 91),
        cam("DEMO002", "100102", 3, 3600, 64),
        cam("DEMO003", "100103", 5, -40, 18),
        cam("DEMO004", "100104", 2, 1, 77),
    ]
}

/// Docks each simulated camera in turn under `media_root`, leaves it `dwell`, then undocks it.
/// Runs until `stop` is set; volumes are built in `workshop` (same filesystem) and moved in at
/// once, as a mount appears.
pub fn run(
    media_root: &Path,
    workshop: &Path,
    dwell: Duration,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(workshop)?;
    let mut round = 0u32;
    while !stop.load(Ordering::SeqCst) {
        for mut spec in fleet() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            spec.first_sequence = 1 + round * spec.clips;
            let name = format!("{}-{round}", spec.serial);
            let built: PathBuf = workshop.join(&name);
            let _ = std::fs::remove_dir_all(&built);
            write_volume(&built, &spec)?;
            let docked = media_root.join(&name);
            std::fs::rename(&built, &docked)?;
            tracing::info!(camera = spec.serial, slot = name, "demo: camera docked");
            sleep_unless(&stop, dwell);
            std::fs::remove_dir_all(&docked)?;
            tracing::info!(camera = spec.serial, "demo: camera taken out");
            sleep_unless(&stop, Duration::from_secs(1));
        }
        round += 1;
    }
    Ok(())
}

fn sleep_unless(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(step);
        waited += step;
    }
}
