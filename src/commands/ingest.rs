use super::{OK, PROBLEM, emit, open};
use crate::config::Config;
use crate::ingest::IngestOptions;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The mounted camera volume (a folder).
    #[arg(value_parser = crate::paths::arg)]
    pub volume: PathBuf,
    /// Camera id to use when the camera does not identify itself.
    #[arg(long)]
    pub camera: Option<String>,
    /// Cap the read rate in MB/s, as a USB 2.0 card would (benchmarks).
    #[arg(long, value_name = "MB_PER_S")]
    pub throttle: Option<f64>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let opts = IngestOptions {
        camera: a.camera,
        throttle_bytes_per_s: a.throttle.map(|mb| (mb * 1e6) as u64),
        ..Default::default()
    };
    let report = station.ingest(&a.volume, &opts)?;
    emit(a.json, &report, |r| {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "camera {} ({}): {} stored, {} already stored, {} failed",
            r.camera, r.identity_source, r.stored, r.already_stored, r.failed
        );
        for c in &r.clips {
            let _ = writeln!(
                s,
                "  {:<15} {}  {}",
                c.outcome,
                c.sha256.as_deref().unwrap_or("-"),
                c.error.as_deref().unwrap_or(&c.source)
            );
        }
        for k in &r.skipped {
            let _ = writeln!(s, "  skipped         {}: {}", k.source, k.reason);
        }
        if let Some(c) = &r.clock {
            let _ = writeln!(
                s,
                "clock offset {:+.1} s{}",
                c.offset_ms as f64 / 1000.0,
                r.clock_correction
                    .as_deref()
                    .map(|t| format!(", correction: {t}"))
                    .unwrap_or_default()
            );
        }
        for reason in &r.attention {
            let _ = writeln!(s, "attention: {reason}");
        }
        if r.interrupted {
            let _ = writeln!(s, "session interrupted: dock the camera again to finish");
        }
        s
    })?;
    Ok(if report.failed > 0 || report.interrupted {
        PROBLEM
    } else {
        OK
    })
}
