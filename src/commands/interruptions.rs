//! `camdock gaps` and `camdock explain-gap`: interruptions between recordings and their written
//! reasons.

use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::interruptions;
use crate::printable::text;
use crate::usage;
use camdock_record::detail::GapReason;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Only gaps not yet explained.
    #[arg(long)]
    pub open: bool,
    #[arg(long)]
    pub officer: Option<String>,
    #[arg(long)]
    pub camera: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The gap, as `camdock gaps` names it (`<event>.<index>`).
    pub gap: String,
    /// equipment-fault, battery-or-storage, weather, obstruction or other.
    #[arg(long)]
    pub reason: String,
    /// The reason in words (required for `other`).
    #[arg(long, default_value = "")]
    pub text: String,
    /// Who records it: the officer, or an equipment manager on the officer's word (on a station
    /// with accounts: the account, signed in).
    #[arg(long)]
    pub actor: Option<String>,
}

pub fn list(config: Config, data_dir: Option<&Path>, a: ListArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let gaps: Vec<_> = interruptions::all(station.ledger().conn())?
        .into_iter()
        .filter(|g| !a.open || g.explained.is_none())
        .filter(|g| a.officer.is_none() || g.officer == a.officer)
        .filter(|g| a.camera.as_deref().is_none_or(|c| g.camera == c))
        .collect();
    emit(a.json, &gaps, |gaps| {
        let mut s = String::new();
        for g in gaps {
            let _ = writeln!(
                s,
                "{:<10} camera {}  officer {}  {:.0} s after {}  {}",
                g.id,
                text(&g.camera),
                text(g.officer.as_deref().unwrap_or("-")),
                g.seconds,
                text(&g.after),
                match &g.explained {
                    Some(e) => format!(
                        "explained: {} {} (by {}, on {}'s word)",
                        e.reason.as_str(),
                        text(&e.text),
                        text(&e.by),
                        text(&e.officer)
                    ),
                    None => "OPEN".into(),
                }
            );
        }
        let _ = writeln!(s, "{} gap(s)", gaps.len());
        s
    })?;
    Ok(OK)
}

pub fn explain(config: Config, data_dir: Option<&Path>, a: ExplainArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let reason = GapReason::parse(&a.reason).ok_or_else(|| {
        usage!(
            "--reason '{}' is one of {}",
            text(&a.reason),
            GapReason::ALL.map(GapReason::as_str).join(", ")
        )
    })?;
    let seq = if crate::people::accounts::any(&station)? {
        let account = super::people::sign_in(&station, a.actor.as_deref())?;
        interruptions::explain_as(&station, &a.gap, reason, &a.text, &account)
    } else {
        let actor = a.actor.unwrap_or_else(|| station.actor().to_string());
        interruptions::explain(&station, &a.gap, reason, &a.text, &actor, |_| Ok(()))
    }?;
    println!("gap {} explained (event #{seq})", a.gap);
    Ok(OK)
}
