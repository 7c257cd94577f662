use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::{retention, tags};
use crate::station::Station;
use crate::usage;
use chrono::Utc;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct TagArgs {
    pub clip: String,
    #[arg(long = "case")]
    pub case_name: Option<String>,
    #[arg(long)]
    pub party: Option<String>,
    #[arg(long)]
    pub matter: Option<String>,
    #[arg(long)]
    pub actor: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct HoldArgs {
    /// A clip (SHA-256 or prefix); or use --case.
    pub clip: Option<String>,
    #[arg(long = "case")]
    pub case_name: Option<String>,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub actor: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct PurgeArgs {
    /// List what would be purged; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn clips_named(
    station: &Station,
    clip: Option<&str>,
    case: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    match (clip, case) {
        (Some(c), None) => Ok(vec![
            station
                .ledger()
                .resolve_clip(c)
                .map_err(|e| usage!("{e}"))?,
        ]),
        (None, Some(case)) => {
            let clips = tags::clips_of_case(station, case)?;
            if clips.is_empty() {
                return Err(usage!("no clip is tagged with case '{case}'"));
            }
            Ok(clips)
        }
        _ => Err(usage!("name either a clip or --case NAME")),
    }
}

pub fn tag(config: Config, data_dir: Option<&Path>, a: TagArgs) -> anyhow::Result<i32> {
    if a.case_name.is_none() && a.party.is_none() && a.matter.is_none() {
        return Err(usage!(
            "tag needs at least one of --case, --party, --matter"
        ));
    }
    let station = open(config, data_dir)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    let actor = a.actor.unwrap_or_else(|| station.actor().to_string());
    tags::tag(
        &station,
        &sha,
        &tags::Tag {
            case: a.case_name.as_deref(),
            party: a.party.as_deref(),
            matter: a.matter.as_deref(),
        },
        &actor,
    )?;
    println!("clip {sha} tagged");
    Ok(OK)
}

pub fn hold(
    config: Config,
    data_dir: Option<&Path>,
    a: HoldArgs,
    place: bool,
) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let actor = a.actor.unwrap_or_else(|| station.actor().to_string());
    for sha in clips_named(&station, a.clip.as_deref(), a.case_name.as_deref())? {
        if place {
            retention::hold(&station, &sha, &a.reason, &actor)?;
            println!("hold placed on {sha}");
        } else {
            let n = retention::release(&station, &sha, &a.reason, &actor)?;
            println!("{n} hold(s) released on {sha}");
        }
    }
    Ok(OK)
}

pub fn purge(config: Config, data_dir: Option<&Path>, a: PurgeArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let actor = a.actor.unwrap_or_else(|| station.actor().to_string());
    let report = retention::purge(&station, Utc::now(), a.dry_run, &actor)?;
    emit(a.json, &report, |r| {
        let mut s = String::new();
        let verb = if r.dry_run { "would purge" } else { "purged" };
        for p in &r.purged {
            let _ = writeln!(
                s,
                "{verb} {} (stored {}, retention ended {})",
                p.sha256, p.stored_at, p.expired_at
            );
        }
        let _ = writeln!(
            s,
            "{} clip(s) {verb}; {} expired clip(s) kept under hold",
            r.purged.len(),
            r.held.len()
        );
        s
    })?;
    Ok(OK)
}
