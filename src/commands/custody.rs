use super::{OK, emit, open};
use crate::config::Config;
use crate::printable::text;
use crate::usage;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The clip's SHA-256, or a unique prefix of at least 8 hex digits.
    pub clip: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let ledger = station.ledger();
    let sha = ledger.resolve_clip(&a.clip).map_err(|e| usage!("{e}"))?;
    let events = ledger.custody(&sha)?;
    emit(a.json, &json!({ "clip": sha, "events": events }), |_| {
        let mut s = format!("custody of clip {sha}\n");
        for e in &events {
            let _ = writeln!(
                s,
                "{:>6}  {}  {:<22} {:<12} {}",
                e.seq,
                e.at,
                e.kind,
                text(&e.actor),
                text(e.camera.as_deref().unwrap_or(""))
            );
        }
        s
    })?;
    Ok(OK)
}
