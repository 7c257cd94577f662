use super::{OK, PROBLEM, emit, open};
use crate::config::Config;
use crate::ingest::{IngestOptions, IngestReport};
use std::io::Write;
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
    if a.json {
        emit(true, &report, |_| String::new())?;
    } else {
        print_report(&report)?;
    }
    Ok(if report.failed > 0 || report.interrupted {
        PROBLEM
    } else {
        OK
    })
}

/// The report for a person, line by line as the clip log is read back (a card of 100,000 clips
/// is never one string in memory).
fn print_report(r: &IngestReport) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "camera {} ({}): {} stored, {} already stored, {} failed",
        r.camera, r.identity_source, r.stored, r.already_stored, r.failed
    )?;
    let mut written = Ok(());
    r.clips.for_each(|_, c| {
        if written.is_ok() {
            written = writeln!(
                out,
                "  {:<15} {}  {}",
                c.outcome.as_str(),
                c.sha256.as_deref().unwrap_or("-"),
                c.error.as_deref().unwrap_or(&c.source)
            );
        }
    })?;
    written?;
    for k in &r.skipped {
        writeln!(out, "  skipped         {}: {}", k.source, k.reason)?;
    }
    if let Some(c) = &r.clock {
        writeln!(
            out,
            "clock offset {:+.1} s{}",
            c.offset_ms as f64 / 1000.0,
            r.clock_correction
                .as_deref()
                .map(|t| format!(", correction: {t}"))
                .unwrap_or_default()
        )?;
    }
    for reason in &r.attention {
        writeln!(out, "attention: {reason}")?;
    }
    if r.interrupted {
        writeln!(out, "session interrupted: dock the camera again to finish")?;
    }
    out.flush()?;
    Ok(())
}
