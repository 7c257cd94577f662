use super::OK;
use crate::simulate::{CameraSpec, write_volume};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder to write the camera volume into.
    #[arg(value_parser = crate::paths::arg)]
    pub dir: PathBuf,
    #[arg(long, default_value = "1234567")]
    pub serial: String,
    #[arg(long, default_value = "100234")]
    pub officer: String,
    #[arg(long, default_value_t = 3)]
    pub clips: u32,
    /// Length of each clip in seconds.
    #[arg(long, default_value_t = 2)]
    pub seconds: u32,
    /// How many seconds the camera clock runs ahead (negative: behind).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset: i64,
    #[arg(long, default_value_t = 87)]
    pub battery: u8,
    /// First clip sequence number (skip numbers to simulate a deletion).
    #[arg(long, default_value_t = 1)]
    pub first_sequence: u32,
    /// When the first clip started, by the true clock (RFC 3339); clips follow every 10 minutes.
    /// Default: yesterday at 09:10 local time.
    #[arg(long, value_name = "TIME")]
    pub recorded_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn run(a: Args) -> anyhow::Result<i32> {
    let spec = CameraSpec {
        serial: a.serial,
        officer: a.officer,
        clips: a.clips,
        seconds: a.seconds,
        clock_offset_s: a.clock_offset,
        battery_percent: a.battery,
        first_sequence: a.first_sequence,
        first_start: a
            .recorded_at
            .unwrap_or_else(|| crate::simulate::yesterday_morning(chrono::Utc::now())),
        ..CameraSpec::default()
    };
    let paths = write_volume(&a.dir, &spec)?;
    println!(
        "wrote camera {} with {} clip(s) to {}",
        spec.serial,
        paths.len(),
        a.dir.display()
    );
    Ok(OK)
}
