use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::handover;
use crate::printable::text;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct AssignArgs {
    pub camera: String,
    #[arg(long)]
    pub officer: String,
    /// Who hands the camera over (default: the station).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    #[arg(long)]
    pub camera: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn assign(config: Config, data_dir: Option<&Path>, a: AssignArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let by = super::people::actor(&station, a.by.as_deref(), crate::people::Act::AssignCamera)?;
    let assigned = handover::assign(&station, &a.camera, &a.officer, &by)?;
    let seq = assigned.seq;
    emit(
        a.json,
        &serde_json::json!({ "camera": a.camera, "officer": a.officer, "seq": seq }),
        |_| {
            format!(
                "camera {} assigned to officer {}{}\n",
                text(&a.camera),
                text(&a.officer),
                if assigned.known {
                    ""
                } else {
                    " (a camera this station has not seen before)"
                }
            )
        },
    )?;
    Ok(OK)
}

pub fn history(config: Config, data_dir: Option<&Path>, a: HistoryArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let periods = handover::history(&station, a.camera.as_deref())?;
    emit(a.json, &periods, |ps| {
        let mut s = String::new();
        for p in ps {
            let _ = writeln!(
                s,
                "{:<12} {:<10} out {}  in {}",
                text(&p.camera),
                text(p.officer.as_deref().unwrap_or("-")),
                p.checked_out_at,
                p.checked_in_at.as_deref().unwrap_or("(still out)")
            );
        }
        s
    })?;
    Ok(OK)
}
