use super::{OK, PROBLEM, emit, open};
use crate::audit::verify::{Scope, verify_scope};
use crate::config::Config;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Re-hash only a random sample of this many clips (a scrub).
    #[arg(long)]
    pub sample: Option<usize>,
    /// Re-hash only clips stored at or after this RFC 3339 instant.
    #[arg(long)]
    pub since: Option<String>,
    /// Check the S3 replica instead: the ledger replayed from the bucket, its checkpoints, and
    /// every replicated clip's object, checksum and retention.
    #[arg(long, conflicts_with_all = ["sample", "since"])]
    pub replica: bool,
    /// A checkpoint file kept off the station (`camdock checkpoint --out`): the ledger must still
    /// hold the event it vouches for, unchanged. Repeatable.
    #[arg(long, value_name = "FILE", value_parser = crate::paths::arg)]
    pub witness: Vec<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    if a.replica {
        return replica(&station, a.json);
    }
    let since = super::instant_arg("--since", a.since.as_deref())?.map(crate::time::stamp);
    let mut witnesses = Vec::new();
    for path in &a.witness {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::usage!("cannot read witness {}: {e}", path.display()))?;
        let cp = serde_json::from_str(&text).map_err(|e| {
            crate::usage!(
                "witness {} is not a camdock checkpoint: {e}",
                path.display()
            )
        })?;
        witnesses.push((path.display().to_string(), cp));
    }
    let report = verify_scope(
        &station,
        &Scope {
            sample: a.sample,
            since,
            witnesses,
        },
    )?;
    emit(a.json, &report, |r| {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} clip(s), {} bytes re-hashed; ledger {} events, chain {}",
            if r.ok { "ok" } else { "PROBLEMS FOUND" },
            r.clips_checked,
            r.bytes_checked,
            r.ledger.events,
            if r.ledger.chain_ok {
                "intact"
            } else {
                "BROKEN"
            }
        );
        for p in &r.problems {
            let _ = writeln!(s, "  {:<10} {}", p.kind, p.detail);
        }
        if let Some(note) = &r.store.note {
            let _ = writeln!(s, "note: {note}");
        }
        for sha in &r.unfinished_purges {
            let _ = writeln!(
                s,
                "note: the purge of {sha} was cut off after it started (its file is gone); `camdock purge` finishes it"
            );
        }
        s
    })?;
    Ok(if report.ok { OK } else { PROBLEM })
}

fn replica(station: &crate::station::Station, json: bool) -> anyhow::Result<i32> {
    let r = crate::replica::verify::verify(station)?;
    emit(json, &r, |r| {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: bucket {}: {} segment(s), {} events, chain {}; {} checkpoint(s); {} clip object(s) checked, {} not yet replicated",
            if r.ok { "ok" } else { "PROBLEMS FOUND" },
            r.bucket,
            r.segments,
            r.events,
            if r.chain_ok { "intact" } else { "BROKEN" },
            r.checkpoints,
            r.clips_checked,
            r.not_yet_replicated
        );
        for p in &r.problems {
            let _ = writeln!(s, "  {p}");
        }
        s
    })?;
    Ok(if r.ok { OK } else { PROBLEM })
}
