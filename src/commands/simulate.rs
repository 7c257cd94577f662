use super::OK;
use crate::simulate::{CameraSpec, write_volume};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder to write the camera volume into.
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
