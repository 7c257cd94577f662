//! `camdock report`: compliance per officer for a period.

use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::compliance;
use crate::printable::text;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub period: super::PeriodArgs,
    #[arg(long, conflicts_with_all = ["csv", "html"])]
    pub json: bool,
    /// One row per officer, for a spreadsheet.
    #[arg(long, conflicts_with = "html")]
    pub csv: bool,
    /// The annual review report as a page a person files (print it, or save it as PDF).
    #[arg(long)]
    pub html: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let (from, to) = a.period.instants()?;
    let officers = compliance::report(
        station.ledger().conn(),
        from,
        to,
        a.period.officer.as_deref(),
    )?;
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
    if a.csv {
        print!("{}", csv_of(&officers)?);
        return Ok(OK);
    }
    if a.html {
        print!(
            "{}",
            html_of(
                &station.config.station.id,
                &value,
                a.period.officer.as_deref(),
                &officers,
                &late_after
            )
        );
        return Ok(OK);
    }
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

const COLUMNS: [&str; 11] = [
    "officer",
    "recordings",
    "hours_recorded",
    "stored_in_time",
    "stored_late",
    "gaps",
    "gaps_explained",
    "gaps_open",
    "findings",
    "findings_failed",
    "failed_items",
];

fn cells(o: &compliance::OfficerCompliance) -> [String; 11] {
    [
        o.officer.clone(),
        o.recordings.to_string(),
        format!("{:.4}", o.hours_recorded),
        o.stored_in_time.to_string(),
        o.stored_late.to_string(),
        o.gaps.to_string(),
        o.gaps_explained.to_string(),
        o.gaps_open.to_string(),
        o.findings.to_string(),
        o.findings_failed.to_string(),
        o.failed_items
            .iter()
            .map(|(item, n)| format!("{item}: {n}"))
            .collect::<Vec<_>>()
            .join("; "),
    ]
}

fn csv_of(officers: &[compliance::OfficerCompliance]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for o in officers {
        w.write_record(cells(o))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A page that stands alone (no scripts, no links out), for printing and filing.
fn html_of(
    station: &str,
    period: &serde_json::Value,
    officer: Option<&str>,
    officers: &[compliance::OfficerCompliance],
    late_after: &str,
) -> String {
    let e = |s: &str| quick_xml::escape::escape(s).into_owned();
    let from = period["from"].as_str().unwrap_or_default();
    let to = period["to"].as_str().unwrap_or_default();
    let only = officer
        .map(|o| format!(" Officer {} only.", e(o)))
        .unwrap_or_default();
    let only_flag = officer
        .map(|o| format!(" --officer {}", e(o)))
        .unwrap_or_default();
    let mut rows = String::new();
    for o in officers {
        let c = cells(o);
        let _ = writeln!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&c[0]),
            c[1],
            hms(o.hours_recorded),
            c[3],
            c[4],
            c[5],
            c[6],
            c[7],
            c[8],
            c[9],
            e(&c[10])
        );
    }
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Review report {station_e} {from_e} to {to_e}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:4px 8px;text-align:right}}td:first-child,th:first-child,td:last-child{{text-align:left}}.sign{{margin-top:3em}}</style>
</head><body>
<h1>Review of recordings: compliance per officer</h1>
<p>Station <b>{station_e}</b>. Recordings made from {from_e} to {to_e} (UTC).{only} Stored late: more than {late_after} after the recording ended (001 Art. 22, 004 Art. 13). Gaps: interruptions between recordings and whether their written reason is on record (003 Art. 12). Findings: spot checks of the inspection register (002 Art. 18; the annual review, 003 Art. 17).</p>
<table>
<tr><th>Officer</th><th>Recordings</th><th>Recorded (h:mm:ss)</th><th>Stored in time</th><th>Stored late</th><th>Gaps</th><th>Explained</th><th>Open</th><th>Findings</th><th>With a failed item</th><th>Failed items</th></tr>
{rows}</table>
<p>From the station's custody ledger (its hash chain is checked by <code>camdock verify</code>); the same figures: <code>camdock report --from {from_e} --to {to_e}{only_flag} --json</code>.</p>
<p class="sign">Reviewed by: ______________________ &nbsp; Unit head: ______________________ &nbsp; Date: ____________</p>
</body></html>
"#,
        station_e = e(station),
        from_e = e(from),
        to_e = e(to),
    )
}
