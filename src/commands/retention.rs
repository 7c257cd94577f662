use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::{retention, tags};
use crate::people::Act;
use crate::people::approvals::Use;
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
pub struct UntagArgs {
    pub clip: String,
    /// The case to take the clip out of.
    #[arg(long = "case")]
    pub case_name: String,
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
    /// Who runs the purge.
    #[arg(long)]
    pub actor: String,
    /// Who approved it (not the actor), on a station without accounts.
    #[arg(long)]
    pub approved_by: Option<String>,
    /// The approval, on a station with accounts (`camdock approval request purge`).
    #[arg(long)]
    pub approval: Option<i64>,
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub json: bool,
}

fn clip_named(station: &Station, clip: &str) -> anyhow::Result<String> {
    station
        .ledger()
        .resolve_clip(clip)
        .map_err(|e| usage!("{e}"))
}

pub fn tag(config: Config, data_dir: Option<&Path>, a: TagArgs) -> anyhow::Result<i32> {
    if a.case_name.is_none() && a.party.is_none() && a.matter.is_none() {
        return Err(usage!(
            "tag needs at least one of --case, --party, --matter"
        ));
    }
    let station = open(config, data_dir)?;
    let sha = clip_named(&station, &a.clip)?;
    let actor = super::people::actor(&station, a.actor.as_deref(), Act::TagClip)?;
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

pub fn untag(config: Config, data_dir: Option<&Path>, a: UntagArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let sha = clip_named(&station, &a.clip)?;
    let actor = super::people::actor(&station, a.actor.as_deref(), Act::TagClip)?;
    if !tags::untag(&station, &sha, &a.case_name, &a.reason, &actor)? {
        return Err(usage!("clip {sha} is not in case '{}'", a.case_name));
    }
    println!("clip {sha} taken out of case '{}'", a.case_name);
    Ok(OK)
}

/// A hold on one clip, or on a case (every clip in it now or later; the case may be empty yet).
pub fn hold(
    config: Config,
    data_dir: Option<&Path>,
    a: HoldArgs,
    place: bool,
) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let act = if place {
        Act::PlaceHold
    } else {
        Act::ReleaseHold
    };
    let actor = super::people::actor(&station, a.actor.as_deref(), act)?;
    match (a.clip.as_deref(), a.case_name.as_deref()) {
        (Some(clip), None) => {
            let sha = clip_named(&station, clip)?;
            if place {
                retention::hold(&station, &sha, &a.reason, &actor)?;
                println!("hold placed on {sha}");
            } else {
                let n = retention::release(&station, &sha, &a.reason, &actor)?;
                println!("{n} hold(s) released on {sha}");
            }
        }
        (None, Some(case)) => {
            if place {
                retention::hold_case(&station, case, &a.reason, &actor)?;
                let n = tags::clips_of_case(&station, case)?.len();
                println!(
                    "hold placed on case '{case}' ({n} clip(s) in it now, and any tagged later)"
                );
            } else {
                let n = retention::release_case(&station, case, &a.reason, &actor)?;
                println!("{n} hold(s) released on case '{case}'");
            }
        }
        _ => return Err(usage!("name either a clip or --case NAME")),
    }
    Ok(OK)
}

pub fn purge(config: Config, data_dir: Option<&Path>, a: PurgeArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let actor = super::people::actor(&station, Some(&a.actor), Act::RequestAccess)?;
    // A dry run on a station with accounts lists only: it spends no approval.
    let accounts_on = crate::people::accounts::any(&station)?;
    let (approved_by, approved_list) = if a.dry_run && accounts_on {
        ("nobody (a dry run)".to_string(), None)
    } else {
        super::people::approval(
            &station,
            &actor,
            a.approval,
            Use::Purge,
            &crate::people::approvals::Target::default(),
            (a.approved_by.as_deref(), Some(&a.reason)),
        )?
        .map(|g| (g.by, g.clips))
        .unwrap_or_default()
    };
    let approval = retention::Approval {
        actor: &actor,
        approved_by: &approved_by,
        reason: &a.reason,
    };
    approval.check().map_err(|e| usage!("{e}"))?;
    let report = retention::purge(
        &station,
        Utc::now(),
        a.dry_run,
        &approval,
        approved_list.as_deref(),
    )?;
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
        for sha in &r.resumed {
            let _ = writeln!(s, "finished the purge of {sha} that a crash had cut off");
        }
        let _ = writeln!(
            s,
            "{} clip(s) {verb}; {} expired clip(s) kept under hold; {} clip(s) kept as evidence in a case",
            r.purged.len(),
            r.held.len(),
            r.evidence.len()
        );
        s
    })?;
    Ok(OK)
}
