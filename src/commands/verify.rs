use super::{OK, PROBLEM, emit, open};
use crate::audit::verify::verify;
use crate::config::Config;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let report = verify(&station)?;
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
        s
    })?;
    Ok(if report.ok { OK } else { PROBLEM })
}
