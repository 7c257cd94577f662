//! `verify`: re-hash every stored clip against the ledger, look for missing and unexpected
//! store files, and walk the hash chain. The run itself is recorded as a `verify-run` event.

use crate::hash::digest_of;
use crate::ledger::{ChainReport, EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::{CustodyTablesDifferDetail, VerifyRunDetail};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// missing, altered, unreadable, unexpected, chain.
    pub kind: &'static str,
    pub sha256: Option<String>,
    pub path: Option<String>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StoreProtection {
    pub immutable: usize,
    pub not_immutable: usize,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub clips_checked: usize,
    pub bytes_checked: u64,
    pub problems: Vec<Problem>,
    pub ledger: ChainReport,
    pub store: StoreProtection,
    pub checkpoints_checked: usize,
    /// Purges a crash cut off after `clip-purge-started`: the file may already be gone, which is
    /// explained, not missing. The next `camdock purge` finishes them.
    pub unfinished_purges: Vec<String>,
    /// The whole chain replayed and compared with the custody tables.
    pub custody: Option<crate::ledger::replay::CustodyCheck>,
}

/// Which clips to re-hash: all (the default), a random sample, or those stored since an instant.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub sample: Option<usize>,
    pub since: Option<String>,
    /// Checkpoints kept off the station (`verify --witness FILE`), checked against the ledger.
    pub witnesses: Vec<(String, crate::custody::checkpoint::Checkpoint)>,
}

impl Scope {
    fn is_full(&self) -> bool {
        self.sample.is_none() && self.since.is_none()
    }
}

pub fn verify(station: &Station) -> anyhow::Result<VerifyReport> {
    verify_scope(station, &Scope::default())
}

pub fn verify_scope(station: &Station, scope: &Scope) -> anyhow::Result<VerifyReport> {
    let all = station.ledger().stored_objects()?;
    let mut expected = match &scope.since {
        Some(since) => {
            let recent: HashSet<String> = station
                .ledger()
                .conn()
                .prepare("SELECT sha256 FROM clips WHERE stored_at >= ?1 AND purged_seq IS NULL")?
                .query_map([since], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            all.iter()
                .filter(|c| recent.contains(&c.sha256))
                .cloned()
                .collect()
        }
        None => all.clone(),
    };
    if let Some(n) = scope.sample {
        // A fresh random sample each scrub, so every clip is eventually re-read.
        use rand::seq::SliceRandom;
        expected.shuffle(&mut rand::rng());
        expected.truncate(n);
    }
    let purging: HashSet<String> = station
        .ledger()
        .conn()
        .prepare(
            "SELECT sha256 FROM clips WHERE purge_started_seq IS NOT NULL AND purged_seq IS NULL",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut unfinished_purges = Vec::new();
    let mut problems = Vec::new();
    let (mut clips_checked, mut bytes_checked) = (0, 0u64);
    let mut protection = StoreProtection {
        immutable: 0,
        not_immutable: 0,
        note: None,
    };
    for clip in &expected {
        let path = station.locate(&clip.store_path);
        let problem = |kind, detail: String| Problem {
            kind,
            sha256: Some(clip.sha256.clone()),
            path: Some(path.clone()),
            detail,
        };
        let file = match station.store.open(&clip.store_path) {
            Ok(f) => f,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && purging.contains(&clip.sha256) =>
            {
                unfinished_purges.push(clip.sha256.clone());
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(problem(
                    "missing",
                    format!("clip {} is in the ledger but not in the store", clip.sha256),
                ));
                continue;
            }
            Err(e) => {
                problems.push(problem(
                    "unreadable",
                    format!("clip {} cannot be opened: {e}", clip.sha256),
                ));
                continue;
            }
        };
        match digest_of(file) {
            Ok(d) => {
                clips_checked += 1;
                bytes_checked += d.bytes;
                if d.sha256 != clip.sha256 || d.blake3 != clip.blake3 || d.bytes != clip.bytes {
                    problems.push(problem(
                        "altered",
                        format!("clip {} was changed in the store: it now hashes to SHA-256 {} ({} bytes, ledger says {})", clip.sha256, d.sha256, d.bytes, clip.bytes),
                    ));
                }
            }
            Err(e) => problems.push(problem(
                "unreadable",
                format!("clip {} could not be read to the end: {e}", clip.sha256),
            )),
        }
        match station.store.is_immutable(&clip.store_path) {
            Some(true) => protection.immutable += 1,
            _ => protection.not_immutable += 1,
        }
    }
    if protection.not_immutable > 0 {
        protection.note = Some(format!(
            "{} stored clip(s) lack the immutable flag (filesystem or missing CAP_LINUX_IMMUTABLE); they are protected by read-only permissions only",
            protection.not_immutable
        ));
    }

    let known: HashSet<&str> = all.iter().map(|c| c.store_path.as_str()).collect();
    let listing = if scope.is_full() {
        station.store.list()?
    } else {
        Vec::new()
    };
    for object in listing {
        if !known.contains(object.store_path.as_str()) {
            problems.push(Problem {
                kind: "unexpected",
                sha256: (!object.sha256.is_empty()).then(|| object.sha256.clone()),
                path: Some(station.locate(&object.store_path)),
                detail: "a file in the store that the ledger does not record (placed by a run that crashed before committing, or put there by hand)".into(),
            });
        }
    }

    let chain = station.ledger().verify_chain()?;
    if !chain.chain_ok {
        problems.push(Problem {
            kind: "chain",
            sha256: None,
            path: None,
            detail: format!(
                "the custody ledger was altered: {}",
                chain.detail.clone().unwrap_or_default()
            ),
        });
    }
    // The custody tables against the events: every row a custody decision reads.
    let custody = match check_custody_tables(station) {
        Ok(c) => {
            for d in &c.differences {
                problems.push(Problem {
                    kind: "custody",
                    sha256: None,
                    path: None,
                    detail: format!("{d} ({})", d.repair()),
                });
            }
            Some(c)
        }
        Err(e) => {
            problems.push(Problem {
                kind: "custody",
                sha256: None,
                path: None,
                detail: e.to_string(),
            });
            None
        }
    };
    for t in crate::ledger::schema::foreign_triggers(station.ledger().conn())? {
        problems.push(Problem {
            kind: "trigger",
            sha256: None,
            path: None,
            detail: format!(
                "trigger '{}' on {} is not camdock's (camdock makes only the append-only guard); it can change what the ledger keeps: {}",
                t.name,
                t.table,
                t.sql.unwrap_or_default()
            ),
        });
    }
    let (checkpoints_checked, mut checkpoint_problems) =
        crate::custody::checkpoint::check_all(station)?;
    checkpoint_problems.extend(crate::custody::checkpoint::check_witnesses(
        station,
        &scope.witnesses,
    )?);
    for detail in checkpoint_problems {
        problems.push(Problem {
            kind: "checkpoint",
            sha256: None,
            path: None,
            detail,
        });
    }
    let ok = problems.is_empty();
    station
        .ledger()
        .append(
            NewEvent::new(EventKind::VerifyRun, station.actor()).typed(&VerifyRunDetail {
                ok,
                clips_checked: clips_checked as u64,
                bytes_checked,
                problems: problems.len() as u64,
                chain_ok: chain.chain_ok,
                chain_head_seq: chain.head_seq,
                chain_head: chain.head_hash.clone(),
                custody_differences: custody.as_ref().map(|c| c.differences.len() as u64),
                full: scope.is_full(),
            }),
        )?;
    Ok(VerifyReport {
        ok,
        clips_checked,
        bytes_checked,
        problems,
        ledger: chain,
        store: protection,
        checkpoints_checked,
        unfinished_purges,
        custody,
    })
}

/// Replays the whole chain against the custody tables; where they differ, says so on the record
/// (`custody-tables-differ`, with the first differences) and in the log. Run by `verify`, every
/// scrub and the daemon's start.
pub fn check_custody_tables(
    station: &Station,
) -> Result<crate::ledger::replay::CustodyCheck, crate::ledger::replay::ReplayError> {
    // Its own read connection: a replay of a million events must not hold the ledger's lock
    // (and with it every dock) for seconds. WAL gives it one snapshot while docks commit.
    let reader = rusqlite::Connection::open_with_flags(
        station.data_dir.join(crate::station::LEDGER_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let check = crate::ledger::replay::check(&reader)?;
    tracing::info!(
        events = check.events_replayed,
        seconds = check.seconds,
        differences = check.differences.len(),
        "custody tables checked against the replayed ledger"
    );
    if let Some(first) = check.differences.first() {
        tracing::error!(
            "the custody tables differ from the ledger's events in {} row(s); first: {first}",
            check.differences.len()
        );
        let recorded = station.ledger().append(
            NewEvent::new(EventKind::CustodyTablesDiffer, station.actor()).typed(
                &CustodyTablesDifferDetail {
                    rows: check.differences.len() as u64,
                    first: check.differences.iter().take(10).cloned().collect(),
                    repair: first.repair().into(),
                },
            ),
        );
        if let Err(e) = recorded {
            tracing::error!("recording the difference failed: {e:#}");
        }
    }
    Ok(check)
}
