use super::{OK, PROBLEM, emit, open};
use crate::config::Config;
use std::fmt::Write;
use std::path::Path;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

/// One pass; exit 1 when anything is left failing (the queue retries it later).
pub fn run(config: Config, data_dir: Option<&Path>, a: Args) -> anyhow::Result<i32> {
    let station = open(config, data_dir)?;
    let report = crate::replica::pass(&station, chrono::Utc::now())?;
    emit(a.json, &report, |r| {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} clip(s) replicated ({} already in the bucket), {} failed, backlog {}{}",
            if r.ok { "ok" } else { "NOT DONE" },
            r.replicated.len(),
            r.already_present,
            r.failed.len(),
            r.backlog,
            if r.object_lock {
                ""
            } else {
                "; the bucket has NO Object Lock"
            }
        );
        if let Some(l) = &r.ledger {
            let _ = writeln!(
                s,
                "ledger: {} new segment(s), {} checkpoint(s); replicated up to event {}",
                l.segments, l.checkpoints, l.last_seq
            );
        }
        if let Some(h) = &r.returns {
            match (&h.refused, &h.issued_at) {
                (Some(why), _) => {
                    let _ = writeln!(s, "hub statement not acted on: {why}");
                }
                (None, Some(at)) => {
                    let _ = writeln!(
                        s,
                        "hub statement of {at}: {} camera(s) returned at another station{}",
                        h.closed.len(),
                        if h.closed.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", h.closed.join(", "))
                        }
                    );
                }
                (None, None) => {}
            }
        }
        for (clip, e) in &r.failed {
            let _ = writeln!(s, "  failed {clip}: {e}");
        }
        if let Some(e) = &r.endpoint_error {
            let _ = writeln!(s, "endpoint: {e}; everything stays queued");
        }
        if let Some(t) = &r.breaker_open_until {
            let _ = writeln!(
                s,
                "circuit breaker open until {t}: the endpoint is not called until then"
            );
        }
        s
    })?;
    Ok(if report.ok { OK } else { PROBLEM })
}
