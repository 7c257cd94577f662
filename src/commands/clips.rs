use super::{OK, emit, open};
use crate::config::Config;
use crate::printable::text;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only clips recorded on this camera.
    #[arg(long)]
    pub camera: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let mut clips = station.ledger().clips(a.camera.as_deref())?;
    for c in &mut clips {
        c.store_path = station.locate(&c.store_path);
    }
    emit(a.json, &clips, |clips| {
        let mut s = String::new();
        for c in clips {
            let integrity = c
                .media
                .get("integrity")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            let _ = writeln!(
                s,
                "{}  {:>10} B  camera {}  {}  {}{}",
                &c.sha256[..16],
                c.bytes,
                text(&c.camera),
                c.recorded_at.as_deref().unwrap_or("-"),
                integrity,
                if c.late { "  LATE" } else { "" }
            );
        }
        let _ = writeln!(s, "{} clip(s)", clips.len());
        s
    })?;
    Ok(OK)
}
