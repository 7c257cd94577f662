//! One file per command: arguments, the call into the station, and the output (human or `--json`).

pub mod access;
pub mod bind;
pub mod card_flags;
pub mod checkpoint;
pub mod clips;
pub mod clock_window;
pub mod custody;
pub mod daemon;
pub mod export;
pub mod fleet;
pub mod handover;
pub mod hub;
pub mod ingest;
pub mod interruptions;
pub mod people;
pub mod replicate;
pub mod report;
pub mod retention;
pub mod review;
pub mod simulate;
pub mod status;
pub mod verify;

use crate::config::Config;
use crate::station::Station;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Prints one JSON document, or the human rendering.
pub fn emit<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        // Written as it is serialised: a report of 100,000 clips is never one string in memory.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!("{}", human(value));
    }
    Ok(())
}

pub fn open(config: Config, data_dir: Option<&Path>) -> anyhow::Result<Station> {
    Station::open(config, data_dir)
}

/// An optional RFC 3339 argument, or the usage error that names the flag.
pub fn instant_arg(
    flag: &str,
    value: Option<&str>,
) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    value
        .map(|t| crate::time::typed_instant(flag, t))
        .transpose()
}

/// A period of recording, and optionally one officer (`report`, `review draw`).
#[derive(clap::Args, Debug)]
pub struct PeriodArgs {
    /// Recorded at or after (RFC 3339).
    #[arg(long)]
    pub from: String,
    /// Recorded before (RFC 3339).
    #[arg(long)]
    pub to: String,
    /// Only this officer's recordings.
    #[arg(long)]
    pub officer: Option<String>,
}

impl PeriodArgs {
    /// From and to as instants, or the usage error that names the flag.
    pub fn instants(
        &self,
    ) -> anyhow::Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        Ok((
            instant_arg("--from", Some(&self.from))?.expect("given"),
            instant_arg("--to", Some(&self.to))?.expect("given"),
        ))
    }
}

/// Exit codes of the command-line contract.
pub const OK: i32 = 0;
pub const PROBLEM: i32 = 1;
