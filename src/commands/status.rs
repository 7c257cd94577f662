use super::{OK, PROBLEM, emit};
use crate::config::Config;
use crate::dock::daemon::STATUS_FILE;
use crate::printable::text;
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

/// Reads the daemon's `status.json`; a file left by a daemon that is no longer running says so.
pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| config.station.data_dir.clone());
    let path = data_dir.join(STATUS_FILE);
    let mut doc: Value = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => serde_json::json!({ "running": false, "slots": [] }),
    };
    let running = doc
        .get("pid")
        .and_then(Value::as_u64)
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    doc["running"] = Value::Bool(running);
    doc["replication_backlog"] = replication_backlog(&data_dir, &config.station.id)
        .map(Value::from)
        .unwrap_or(Value::Null);
    emit(a.json, &doc, |d| {
        let mut s = String::new();
        if let Some(n) = d["replication_backlog"].as_i64().filter(|n| *n > 0) {
            let _ = writeln!(s, "{n} clip(s) waiting to be replicated");
        }
        if !running {
            let _ = writeln!(
                s,
                "the daemon is not running (no live status under {})",
                data_dir.display()
            );
            return s;
        }
        for slot in d["slots"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "{}  camera {}  {}  {}/{} clips  {}/{} bytes{}",
                text(slot["volume"].as_str().unwrap_or("?")),
                text(slot["camera"].as_str().unwrap_or("?")),
                slot["state"].as_str().unwrap_or("?"),
                slot["clips_done"],
                slot["clips_total"],
                slot["bytes_done"],
                slot["bytes_total"],
                if slot["safe_to_undock"].as_bool() == Some(true) {
                    "  — safe to undock"
                } else {
                    ""
                }
            );
        }
        if d["slots"].as_array().is_none_or(|a| a.is_empty()) {
            let _ = writeln!(s, "no camera docked");
        }
        s
    })?;
    Ok(if running { OK } else { PROBLEM })
}

/// Clips not yet confirmed in the S3 replica (None: no ledger here yet).
fn replication_backlog(data_dir: &Path, station: &str) -> Option<i64> {
    let path = data_dir.join(crate::station::LEDGER_FILE);
    if !path.exists() {
        return None;
    }
    let ledger = crate::ledger::Ledger::open(&path, station).ok()?;
    crate::replica::queue::backlog(ledger.conn()).ok()
}
