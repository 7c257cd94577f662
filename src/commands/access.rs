use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::access::{self, Access};
use crate::usage;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ViewArgs {
    pub clip: String,
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct CopyArgs {
    pub clip: String,
    #[arg(long, value_parser = crate::paths::arg)]
    pub to: PathBuf,
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub approved_by: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct LogArgs {
    #[arg(long)]
    pub clip: Option<String>,
    /// Only accesses at or after this RFC 3339 instant.
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// Shows a clip's facts and where to play it from; on the access register.
pub fn view(config: Config, data_dir: Option<&Path>, a: ViewArgs) -> anyhow::Result<i32> {
    let (actor, reason) = access::require(a.actor.as_deref(), a.reason.as_deref())?;
    let station = open(config, data_dir)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    let mut clip = station
        .ledger()
        .clip(&sha)?
        .ok_or_else(|| usage!("clip {sha} was purged"))?;
    clip.store_path = station.locate(&clip.store_path);
    access::record_view(
        &station,
        &sha,
        &Access {
            actor: &actor,
            reason: &reason,
        },
        "cli",
    )?;
    emit(a.json, &clip, |c| {
        format!(
            "clip {}\n  camera {}  recorded {}\n  play from {}\n",
            c.sha256,
            c.camera,
            c.recorded_at.as_deref().unwrap_or("-"),
            c.store_path
        )
    })?;
    Ok(OK)
}

pub fn copy(config: Config, data_dir: Option<&Path>, a: CopyArgs) -> anyhow::Result<i32> {
    let (actor, reason) = access::require(a.actor.as_deref(), a.reason.as_deref())?;
    let approved_by = a
        .approved_by
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| usage!("a copy of evidence needs --approved-by WHO"))?;
    let station = open(config, data_dir)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    access::copy(
        &station,
        &sha,
        &a.to,
        &Access {
            actor: &actor,
            reason: &reason,
        },
        &approved_by,
    )?;
    println!("copied clip {sha} to {} (verified)", a.to.display());
    Ok(OK)
}

pub fn log(config: Config, data_dir: Option<&Path>, a: LogArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let clip = match &a.clip {
        Some(c) => Some(
            station
                .ledger()
                .resolve_clip(c)
                .map_err(|e| usage!("{e}"))?,
        ),
        None => None,
    };
    let since = super::instant_arg("--since", a.since.as_deref())?.map(crate::time::stamp);
    let events = access::log(&station, clip.as_deref(), since.as_deref())?;
    emit(a.json, &events, |evs| {
        let mut s = String::new();
        for e in evs {
            let _ = writeln!(
                s,
                "{}  {:<14} {:<16} {}  {}",
                e.at,
                e.kind,
                e.actor,
                e.clip.as_deref().unwrap_or("-"),
                e.detail
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .unwrap_or("")
            );
        }
        s
    })?;
    Ok(OK)
}
