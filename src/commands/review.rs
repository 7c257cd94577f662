//! `camdock review draw | finding | register`: spot checks and the inspection register.

use super::{OK, emit, open};
use crate::config::Config;
use crate::custody::review::{self, Scope};
use crate::people::Act;
use crate::printable::text;
use crate::usage;
use camdock_record::review::Item;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ReviewCommand {
    /// Draw a sample of the clips recorded in a period (weighted toward clips in cases, after a
    /// gap, docked late), by a seed on record.
    Draw(DrawArgs),
    /// Record a finding on one drawn clip: every item of the checklist answered.
    Finding(FindingArgs),
    /// The inspection register: draws, viewings of drawn clips, findings.
    Register(RegisterArgs),
}

#[derive(clap::Args, Debug)]
pub struct DrawArgs {
    #[command(flatten)]
    pub period: super::PeriodArgs,
    /// Only this camera's clips.
    #[arg(long)]
    pub camera: Option<String>,
    /// How many clips to draw.
    #[arg(long, default_value_t = 5)]
    pub size: u32,
    /// Draw again with a seed on record (a new draw picks one at random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The reviewer (on a station with accounts: the account, signed in).
    #[arg(long)]
    pub actor: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct FindingArgs {
    /// The draw (its event number, as `review draw` printed it).
    #[arg(long)]
    pub draw: i64,
    /// The clip's SHA-256, or a unique prefix of at least 8 hex digits.
    pub clip: String,
    /// ITEM=pass|fail|not-applicable, once for each item of the checklist (`review finding
    /// --help` lists them).
    #[arg(long = "check", value_name = "ITEM=ANSWER", required = true, long_help = checklist_help())]
    pub checks: Vec<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    #[arg(long)]
    pub actor: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct RegisterArgs {
    #[arg(long)]
    pub json: bool,
}

fn checklist_help() -> String {
    let mut s = String::from("ITEM=pass|fail|not-applicable, once for each item:\n");
    for i in Item::ALL {
        let _ = writeln!(s, "  {:<24} {}", i.as_str(), i.question());
    }
    s
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    match a.command {
        ReviewCommand::Draw(a) => draw(config, data_dir, a),
        ReviewCommand::Finding(a) => finding(config, data_dir, a),
        ReviewCommand::Register(a) => register(config, data_dir, a),
    }
}

fn draw(config: Config, data_dir: Option<&Path>, a: DrawArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let actor = super::people::actor(&station, a.actor.as_deref(), Act::Review)?;
    let (from, to) = a.period.instants()?;
    let scope = Scope {
        officer: a.period.officer,
        camera: a.camera,
        from,
        to,
    };
    let (seq, drawn) = review::draw(&station, &scope, a.size, a.seed, &actor)?;
    emit(a.json, &json!({ "draw": seq, "drawn": drawn }), |_| {
        let mut s = format!(
            "spot check #{seq}: {} of {} clips recorded {} to {}, seed {}\n",
            drawn.clips.len(),
            drawn.candidates,
            drawn.from,
            drawn.to,
            drawn.seed
        );
        for c in &drawn.clips {
            let _ = writeln!(
                s,
                "  {}  camera {}  officer {}  weight {}{}",
                c.sha256,
                text(&c.camera),
                text(c.officer.as_deref().unwrap_or("-")),
                c.weight,
                if c.why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.why.join(", "))
                }
            );
        }
        s
    })?;
    Ok(OK)
}

fn finding(config: Config, data_dir: Option<&Path>, a: FindingArgs) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let actor = super::people::actor(&station, a.actor.as_deref(), Act::Review)?;
    let sha = station
        .ledger()
        .resolve_clip(&a.clip)
        .map_err(|e| usage!("{e}"))?;
    let checks = a
        .checks
        .iter()
        .map(|c| {
            review::parse_check(c).ok_or_else(|| {
                usage!(
                    "--check '{}' is not ITEM=pass|fail|not-applicable with ITEM one of {}",
                    text(c),
                    Item::ALL
                        .iter()
                        .map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let seq = review::record_finding(&station, a.draw, &sha, &checks, &a.note, &actor)?;
    println!("finding on clip {sha} recorded as event #{seq}");
    Ok(OK)
}

fn register(config: Config, data_dir: Option<&Path>, a: RegisterArgs) -> anyhow::Result<i32> {
    // As the access register: whoever can read the data directory reads it on the command line.
    let station = open(config, data_dir)?;
    let entries = review::register(station.ledger().conn())?;
    emit(a.json, &json!({ "register": entries }), |_| {
        let mut s = String::from("inspection register\n");
        for e in &entries {
            // A draw says what it drew from and by which seed: a draw made again and again
            // until it fell on chosen clips shows here.
            let what = match e.entry {
                "draw" => format!(
                    "seed {}, {} of {} clips recorded {} to {}{}",
                    e.detail["seed"].as_str().unwrap_or("?"),
                    e.detail["clips"].as_array().map_or(0, Vec::len),
                    e.detail["candidates"],
                    e.detail["from"].as_str().unwrap_or("?"),
                    e.detail["to"].as_str().unwrap_or("?"),
                    e.detail["officer"]
                        .as_str()
                        .map(|o| format!(", officer {}", text(o)))
                        .unwrap_or_default()
                ),
                _ => e.clip.clone().unwrap_or_default(),
            };
            let _ = writeln!(
                s,
                "{:>6}  {}  {:<8} #{:<6} {:<16} {}",
                e.seq,
                e.at,
                e.entry,
                e.draw.map(|d| d.to_string()).unwrap_or_default(),
                text(&e.actor),
                what
            );
        }
        s
    })?;
    Ok(OK)
}
