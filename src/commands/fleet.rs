use super::{OK, emit, open};
use crate::config::Config;
use crate::people::Act;
use crate::printable::text;
use chrono::{DateTime, Utc};
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct FleetArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct OverdueArgs {
    /// Judge as of this RFC 3339 instant (for audits of the past); default now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct AcknowledgeArgs {
    pub camera: String,
    /// The item's code, as `camdock fleet --json` lists it (`low-battery`, `overdue`, `unbound`, …).
    pub code: String,
    /// What was done about it (on the record).
    #[arg(long)]
    pub note: String,
    /// Who saw to it: an equipment manager's account (default: the station).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn acknowledge(
    config: Config,
    data_dir: Option<&Path>,
    a: AcknowledgeArgs,
) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let by = super::people::actor(&station, a.by.as_deref(), Act::AcknowledgeAttention)?;
    let seq = crate::custody::attention::acknowledge(&station, &a.camera, &a.code, &a.note, &by)?;
    emit(
        a.json,
        &serde_json::json!({ "camera": a.camera, "code": a.code, "by": by, "seq": seq }),
        |_| {
            format!(
                "camera {}: {} acknowledged by {}\n",
                text(&a.camera),
                text(&a.code),
                text(&by)
            )
        },
    )?;
    Ok(OK)
}

pub fn run_fleet(config: Config, data_dir: Option<&Path>, a: FleetArgs) -> anyhow::Result<i32> {
    let overdue_after = config.policy.overdue_after;
    let station = open(config, data_dir)?;
    let fleet = station.ledger().fleet(Utc::now(), overdue_after)?;
    emit(a.json, &fleet, |fleet| {
        let mut s = String::new();
        for c in fleet {
            let _ = writeln!(
                s,
                "{:<12} {:<8} battery {:>4}  clock {:>9}  {}",
                text(&c.camera),
                c.state,
                c.battery_percent
                    .map(|b| format!("{b}%"))
                    .unwrap_or("-".into()),
                c.clock_offset_ms
                    .map(|o| format!("{:+.1}s", o as f64 / 1000.0))
                    .unwrap_or("-".into()),
                text(
                    &c.attention
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            );
        }
        let _ = writeln!(s, "{} camera(s)", fleet.len());
        s
    })?;
    Ok(OK)
}

pub fn run_overdue(config: Config, data_dir: Option<&Path>, a: OverdueArgs) -> anyhow::Result<i32> {
    let at: DateTime<Utc> = super::instant_arg("--at", a.at.as_deref())?.unwrap_or_else(Utc::now);
    let overdue_after = config.policy.overdue_after;
    let station = open(config, data_dir)?;
    let list = station.ledger().overdue_at(at, overdue_after)?;
    emit(a.json, &list, |list| {
        let mut s = String::new();
        for c in list {
            let _ = writeln!(
                s,
                "{:<12} out since {}  ({:.1} h){}",
                text(&c.camera),
                c.out_since,
                c.hours_out,
                c.officer
                    .as_deref()
                    .map(|o| format!("  officer {}", text(o)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(s, "{} camera(s) overdue", list.len());
        s
    })?;
    Ok(OK)
}
