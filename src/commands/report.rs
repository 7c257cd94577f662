//! `camdock report`: compliance per officer for a period.

use super::{OK, emit, instant_arg, open};
use crate::config::Config;
use crate::custody::compliance;
use crate::printable::text;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Recorded at or after (RFC 3339).
    #[arg(long)]
    pub from: String,
    /// Recorded before (RFC 3339).
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub officer: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let from = instant_arg("--from", Some(&a.from))?.expect("given");
    let to = instant_arg("--to", Some(&a.to))?.expect("given");
    let officers = compliance::report(station.ledger().conn(), from, to, a.officer.as_deref())?;
    let late_after = format!(
        "{} h",
        station.config.policy.late_after.as_secs_f64() / 3600.0
    );
    let value = json!({
        "from": crate::time::stamp(from),
        "to": crate::time::stamp(to),
        "late_after": late_after,
        "officers": officers,
    });
    emit(a.json, &value, |_| {
        let mut s = format!(
            "compliance, recorded {} to {} (stored late: more than {late_after} after the recording ended)\n",
            crate::time::stamp(from),
            crate::time::stamp(to)
        );
        let _ = writeln!(
            s,
            "{:<10} {:>10} {:>9} {:>8} {:>5} {:>5} {:>9} {:>5} {:>8} {:>7}",
            "officer",
            "recordings",
            "recorded",
            "in time",
            "late",
            "gaps",
            "explained",
            "open",
            "findings",
            "failed"
        );
        for o in &officers {
            let _ = writeln!(
                s,
                "{:<10} {:>10} {:>9} {:>8} {:>5} {:>5} {:>9} {:>5} {:>8} {:>7}",
                text(&o.officer),
                o.recordings,
                hms(o.hours_recorded),
                o.stored_in_time,
                o.stored_late,
                o.gaps,
                o.gaps_explained,
                o.gaps_open,
                o.findings,
                o.findings_failed
            );
        }
        s
    })?;
    Ok(OK)
}

/// Hours as h:mm:ss.
fn hms(hours: f64) -> String {
    let s = (hours * 3600.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
