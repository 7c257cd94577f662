//! The command line: parse, load config, run one command, map the outcome to an exit code.

use crate::commands;
use crate::config::Config;
use crate::error::exit_code_for;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "camdock",
    version,
    about = "Body-camera dock station: verified write-once ingest with a tamper-evident custody ledger"
)]
pub struct Cli {
    /// Config file (TOML); else $CAMDOCK_CONFIG; else built-in defaults.
    #[arg(long, global = true, value_name = "FILE", value_parser = crate::paths::arg)]
    pub config: Option<PathBuf>,
    /// Where the ledger and the store live (overrides station.data_dir).
    #[arg(long, global = true, value_name = "DIR", value_parser = crate::paths::arg)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ingest a mounted camera volume once: one dock session, docked to undocked.
    Ingest(commands::ingest::Args),
    /// List the clips in the ledger.
    Clips(commands::clips::Args),
    /// Show one clip's custody trail.
    Custody(commands::custody::Args),
    /// Re-hash every stored clip and check the ledger's hash chain.
    Verify(commands::verify::Args),
    /// Every camera's state and health.
    Fleet(commands::fleet::FleetArgs),
    /// Record that a camera's attention item was seen to, with a note (until the camera next docks).
    Acknowledge(commands::fleet::AcknowledgeArgs),
    /// Cameras out past the overdue policy, now or at a past instant.
    Overdue(commands::fleet::OverdueArgs),
    /// Write an evidence package that standard tools can check.
    Export(commands::export::Args),
    /// Run the dock daemon.
    Run(commands::daemon::RunArgs),
    /// The daemon on simulated docks, for a first look.
    Demo(commands::daemon::DemoArgs),
    /// What the running daemon is doing at each dock slot.
    Status(commands::status::Args),
    /// Assign a camera to an officer (the usage ledger's holder).
    Assign(commands::handover::AssignArgs),
    /// Who had which camera, from when to when.
    Handovers(commands::handover::HistoryArgs),
    /// Show a clip and where to play it (on the access register).
    View(commands::access::ViewArgs),
    /// Copy a clip out of the store, verified (on the access register).
    Copy(commands::access::CopyArgs),
    /// The access register: views, copies and exports.
    AccessLog(commands::access::LogArgs),
    /// Gaps between recordings found at docks, open or explained.
    Gaps(commands::interruptions::ListArgs),
    /// Give the written reason for a gap between recordings.
    ExplainGap(commands::interruptions::ExplainArgs),
    /// Compliance per officer for a period: recordings, stored in time, gaps explained, findings.
    Report(commands::report::Args),
    /// Spot checks: draw a sample, record findings, read the inspection register.
    Review(commands::review::Args),
    /// Classify a clip by case, party and matter.
    Tag(commands::retention::TagArgs),
    /// Take a clip out of a case (recorded, with a reason).
    Untag(commands::retention::UntagArgs),
    /// Place a hold: the clip is never purged while held.
    Hold(commands::retention::HoldArgs),
    /// Release a hold.
    Release(commands::retention::HoldArgs),
    /// Remove clips whose retention has ended and that nothing keeps (needs an approver and a reason).
    Purge(commands::retention::PurgeArgs),
    /// One replication pass to the S3 bucket: queued clips, then the ledger.
    Replicate(commands::replicate::Args),
    /// Sign a checkpoint of the ledger head.
    Checkpoint(commands::checkpoint::Args),
    /// The station's name and checkpoint key, for its enrolment in the bureau's hub.
    Key(commands::hub::KeyArgs),
    /// The bureau's hub: enrol stations, read their ledgers from the bucket into PostgreSQL.
    Hub(commands::hub::Args),
    /// Bind a camera to an officer and unit: writes CAMDOCK.INI, sealed with the station key.
    Bind(commands::bind::Args),
    /// Accounts and roles (an admin's work; `init` at install).
    Account(commands::people::AccountArgs),
    /// Two-person approvals of access to evidence: request, approve, refuse.
    Approval(commands::people::ApprovalArgs),
    /// Write a realistic camera volume (real MP4s and DEVICE.TXT).
    SimulateCamera(commands::simulate::Args),
    /// The privileged step that writes clock corrections to read-only cards (run by
    /// camdock-clock.service as root; not for people).
    #[command(hide = true)]
    ClockWindow(commands::clock_window::Args),
    /// The udev rule's helper: a docked card's flags (its FAT/exFAT dirty bit) as udev
    /// properties, read as root for the daemon (udev/90-camdock.rules; not for people).
    #[command(hide = true)]
    CardFlags(commands::card_flags::Args),
}

/// Runs the process; returns its exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let daemon = matches!(cli.command, Command::Run(_) | Command::Demo(_));
    if !daemon {
        // `camdock clips --json | head`: a reader that stops early ends the command quietly, as
        // it ends `cat`. (Not the daemon: a client hanging up must never stop the station.)
        // SAFETY: restores the default action for one signal before any thread is started.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    init_logging(daemon);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("camdock: {}", one_sentence(&e));
            exit_code_for(&e)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = Config::load(cli.config.as_deref())?;
    let data_dir = cli.data_dir.as_deref();
    match cli.command {
        Command::Ingest(a) => commands::ingest::run(config, data_dir, a),
        Command::Clips(a) => commands::clips::run(config, data_dir, a),
        Command::Custody(a) => commands::custody::run(config, data_dir, a),
        Command::Verify(a) => commands::verify::run(config, data_dir, a),
        Command::Fleet(a) => commands::fleet::run_fleet(config, data_dir, a),
        Command::Acknowledge(a) => commands::fleet::acknowledge(config, data_dir, a),
        Command::Overdue(a) => commands::fleet::run_overdue(config, data_dir, a),
        Command::Export(a) => commands::export::run(config, data_dir, a),
        Command::Run(a) => commands::daemon::run(config, data_dir, a),
        Command::Demo(a) => commands::daemon::demo(config, data_dir, a),
        Command::Assign(a) => commands::handover::assign(config, data_dir, a),
        Command::Handovers(a) => commands::handover::history(config, data_dir, a),
        Command::View(a) => commands::access::view(config, data_dir, a),
        Command::Copy(a) => commands::access::copy(config, data_dir, a),
        Command::AccessLog(a) => commands::access::log(config, data_dir, a),
        Command::Gaps(a) => commands::interruptions::list(config, data_dir, a),
        Command::ExplainGap(a) => commands::interruptions::explain(config, data_dir, a),
        Command::Report(a) => commands::report::run(config, data_dir, a),
        Command::Review(a) => commands::review::run(config, data_dir, a),
        Command::Tag(a) => commands::retention::tag(config, data_dir, a),
        Command::Untag(a) => commands::retention::untag(config, data_dir, a),
        Command::Hold(a) => commands::retention::hold(config, data_dir, a, true),
        Command::Release(a) => commands::retention::hold(config, data_dir, a, false),
        Command::Purge(a) => commands::retention::purge(config, data_dir, a),
        Command::Replicate(a) => commands::replicate::run(config, data_dir, a),
        Command::Checkpoint(a) => commands::checkpoint::run(config, data_dir, a),
        Command::Key(a) => commands::hub::key(config, data_dir, a),
        Command::Hub(a) => commands::hub::run(config, data_dir, a),
        Command::Bind(a) => commands::bind::run(config, data_dir, a),
        Command::Status(a) => commands::status::run(config, data_dir, a),
        Command::Account(a) => commands::people::account(config, data_dir, a),
        Command::Approval(a) => commands::people::approval_command(config, data_dir, a),
        Command::SimulateCamera(a) => commands::simulate::run(a),
        Command::ClockWindow(a) => commands::clock_window::run(config, a),
        Command::CardFlags(a) => commands::card_flags::run(a),
    }
}

/// An error and its causes as one line: "what failed: because …".
fn one_sentence(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Logs go to stderr (journald picks them up under systemd); commands stay quiet unless asked.
fn init_logging(daemon: bool) {
    let default = if daemon { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAMDOCK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
