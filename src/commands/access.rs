use super::people;
use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::access::{self, Access};
use crate::people::approvals::{Target, Use};
use crate::printable::text;
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
    /// The approval, on a station with accounts (`camdock approval request view`).
    #[arg(long)]
    pub approval: Option<i64>,
    /// Viewed for a spot check: its draw number (on a station with accounts, the approval's).
    #[arg(long)]
    pub review: Option<i64>,
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
    /// The approval, on a station with accounts (`camdock approval request copy`).
    #[arg(long)]
    pub approval: Option<i64>,
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

/// Who looks, why, and for which spot check. On a station with accounts: the signed-in account;
/// for a view, the reason and the spot check are the approval's (spent here); a copy's approval is
/// spent by the caller. Without accounts: as typed.
fn who_and_why(
    station: &crate::station::Station,
    actor: &Option<String>,
    reason: &Option<String>,
    approval: Option<i64>,
    act: Use,
    sha: &str,
) -> anyhow::Result<(String, String, Option<i64>)> {
    if !crate::people::accounts::any(station)? {
        people::refuse_unless_open(station, act.as_str())?;
        let (actor, reason) = access::require(actor.as_deref(), reason.as_deref())?;
        return Ok((actor, reason, None));
    }
    let actor = people::actor(station, actor.as_deref(), crate::people::Act::RequestAccess)?;
    if act == Use::View {
        let granted = people::approval(
            station,
            &actor,
            approval,
            act,
            &Target::clip(sha),
            (None, None),
        )?
        .expect("with accounts an approval is required or refused");
        return Ok((
            actor,
            format!("{} (approved by {})", granted.reason, granted.by),
            granted.review,
        ));
    }
    let reason = reason
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| usage!("a {} needs --reason WHY", act.as_str()))?;
    Ok((actor, reason, None))
}

/// Shows a clip's facts and where to play it from; on the access register.
pub fn view(config: Config, data_dir: Option<&Path>, a: ViewArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    let (actor, reason, approved_for) =
        who_and_why(&station, &a.actor, &a.reason, a.approval, Use::View, &sha)?;
    // With accounts the approval says which spot check (if any) the view is for; a typed one
    // must agree with it.
    let review = match (a.approval.is_some(), approved_for, a.review) {
        (true, approved, Some(typed)) if approved != Some(typed) => {
            return Err(usage!(
                "approval #{} was not asked for spot check #{typed}",
                a.approval.unwrap_or_default()
            ));
        }
        (true, approved, _) => approved,
        (false, _, typed) => typed,
    };
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
        review,
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
    let station = open(config, data_dir)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    let (actor, reason, _) = who_and_why(&station, &a.actor, &a.reason, None, Use::Copy, &sha)?;
    let approved_by = people::approval(
        &station,
        &actor,
        a.approval,
        Use::Copy,
        &Target::clip(&sha),
        (a.approved_by.as_deref(), Some(&reason)),
    )?
    .map(|g| g.by)
    .filter(|s| !s.trim().is_empty())
    .ok_or_else(|| usage!("a copy of evidence needs --approved-by WHO"))?;
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
                text(&e.actor),
                e.clip.as_deref().unwrap_or("-"),
                text(
                    e.detail
                        .get("reason")
                        .and_then(|r| r.as_str())
                        .unwrap_or("")
                )
            );
        }
        s
    })?;
    Ok(OK)
}
