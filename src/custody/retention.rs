//! Retention, holds and purges. Purging is the only deletion camdock ever makes in the store. A
//! clip may be purged only when its retention class's period has passed, no hold is on it or on a
//! case it belongs to, and a person gave a reason and another approved it:
//!
//! - ordinary clips are kept `policy.retention` (≥ 6 months; regulations 002 Art. 15, 004 Art. 15);
//! - clips marked important by the camera (`_IMP`: complaints, incidents) `policy.retention_important`;
//! - evidence, a clip in any case, is kept as long as it is in the case (004 Art. 15).
//!
//! Each purge is two events: `clip-purge-started` before the file goes, `clip-purged` after, so a
//! crash between leaves a state `verify` explains and the next purge finishes.

use crate::config::PolicyConfig;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::{parse_stamp, stamp};
use camdock_record::detail::HoldDetail;
use camdock_record::detail::{ClipPurgeStartedDetail, ClipPurgedDetail};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub fn hold(station: &Station, sha256: &str, reason: &str, actor: &str) -> anyhow::Result<()> {
    place(station, Held::Clip(sha256), reason, actor)
}

/// Releases every active hold on a clip; returns how many.
pub fn release(
    station: &Station,
    sha256: &str,
    reason: &str,
    actor: &str,
) -> anyhow::Result<usize> {
    lift(station, Held::Clip(sha256), reason, actor)
}

/// A hold on a case: every clip in the case at purge time is kept, those tagged later too; the
/// case may have no clip yet.
pub fn hold_case(station: &Station, case: &str, reason: &str, actor: &str) -> anyhow::Result<()> {
    place(station, Held::Case(case), reason, actor)
}

/// Releases every active hold on a case; returns how many.
pub fn release_case(
    station: &Station,
    case: &str,
    reason: &str,
    actor: &str,
) -> anyhow::Result<usize> {
    lift(station, Held::Case(case), reason, actor)
}

/// What a hold is on: one clip, or a case.
#[derive(Clone, Copy)]
enum Held<'a> {
    Clip(&'a str),
    Case(&'a str),
}

impl<'a> Held<'a> {
    /// The table of such holds, the column naming what is held, and its value.
    fn row(self) -> (&'static str, &'static str, &'a str) {
        match self {
            Held::Clip(sha) => ("holds", "sha256", sha),
            Held::Case(case) => ("case_holds", "case_name", case),
        }
    }

    fn event(self, kind: EventKind, actor: &str, reason: &str) -> NewEvent {
        match self {
            Held::Clip(sha) => NewEvent::new(kind, actor).clip(sha).typed(&HoldDetail {
                case: None,
                reason: reason.into(),
            }),
            Held::Case(case) => NewEvent::new(kind, actor).typed(&HoldDetail {
                case: Some(case.into()),
                reason: reason.into(),
            }),
        }
    }
}

fn place(station: &Station, held: Held<'_>, reason: &str, actor: &str) -> anyhow::Result<()> {
    let (table, column, name) = held.row();
    station.ledger().write(|w| {
        let seq = w.append(held.event(EventKind::HoldPlaced, actor, reason))?;
        w.tx().execute(
            &format!("INSERT INTO {table}({column}, reason, placed_seq) VALUES (?1, ?2, ?3)"),
            rusqlite::params![name, reason, seq],
        )?;
        Ok(())
    })
}

fn lift(station: &Station, held: Held<'_>, reason: &str, actor: &str) -> anyhow::Result<usize> {
    let (table, column, name) = held.row();
    station.ledger().write(|w| {
        let active: i64 = w.tx().query_row(
            &format!("SELECT count(*) FROM {table} WHERE {column} = ?1 AND released_seq IS NULL"),
            [name],
            |r| r.get(0),
        )?;
        if active == 0 {
            return Ok(0);
        }
        let seq = w.append(held.event(EventKind::HoldReleased, actor, reason))?;
        w.tx().execute(
            &format!(
                "UPDATE {table} SET released_seq = ?2 WHERE {column} = ?1 AND released_seq IS NULL"
            ),
            rusqlite::params![name, seq],
        )?;
        Ok(active as usize)
    })
}

/// Why and on whose word clips are purged.
pub struct Approval<'a> {
    pub actor: &'a str,
    pub approved_by: &'a str,
    pub reason: &'a str,
}

impl Approval<'_> {
    /// Two different people, a reason: the rules forbid deleting originals on one person's say.
    pub fn check(&self) -> Result<(), String> {
        if self.actor.trim().is_empty()
            || self.approved_by.trim().is_empty()
            || self.reason.trim().is_empty()
        {
            return Err("a purge needs --actor, --approved-by and --reason".into());
        }
        if self.actor.trim() == self.approved_by.trim() {
            return Err("a purge must be approved by someone other than who runs it".into());
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionClass {
    Ordinary,
    Important,
    Evidence,
}

impl RetentionClass {
    /// As the record names it (`clip-purge-started`).
    pub fn name(self) -> &'static str {
        match self {
            RetentionClass::Ordinary => "ordinary",
            RetentionClass::Important => "important",
            RetentionClass::Evidence => "evidence",
        }
    }

    pub fn of(in_case: bool, important: bool) -> RetentionClass {
        match (in_case, important) {
            (true, _) => RetentionClass::Evidence,
            (false, true) => RetentionClass::Important,
            (false, false) => RetentionClass::Ordinary,
        }
    }

    /// How long the policy keeps a clip of this class; None: as long as it is in a case.
    pub fn period(self, policy: &PolicyConfig) -> anyhow::Result<Option<chrono::Duration>> {
        Ok(match self {
            RetentionClass::Ordinary => Some(chrono::Duration::from_std(policy.retention)?),
            RetentionClass::Important => {
                Some(chrono::Duration::from_std(policy.retention_important)?)
            }
            RetentionClass::Evidence => None,
        })
    }
}

/// SQL, true when the clip `c` was marked important by its camera.
pub const IMPORTANT_SQL: &str =
    "EXISTS(SELECT 1 FROM recordings r WHERE r.sha256 = c.sha256 AND r.important)";
/// SQL, true when the clip `c` is in a case (evidence).
pub const IN_A_CASE_SQL: &str =
    "EXISTS(SELECT 1 FROM case_clips k WHERE k.sha256 = c.sha256 AND k.removed_seq IS NULL)";
/// SQL, true when a hold is on the clip `c` or on a case it is in.
pub const HELD_SQL: &str =
    "(EXISTS(SELECT 1 FROM holds h WHERE h.sha256 = c.sha256 AND h.released_seq IS NULL)
    OR EXISTS(SELECT 1 FROM case_clips k JOIN case_holds ch ON ch.case_name = k.case_name
              WHERE k.sha256 = c.sha256 AND k.removed_seq IS NULL AND ch.released_seq IS NULL))";

#[derive(Debug, Serialize)]
pub struct PurgeCandidate {
    pub sha256: String,
    pub class: RetentionClass,
    pub stored_at: String,
    pub expired_at: String,
    pub store_path: String,
}

#[derive(Debug, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub purged: Vec<PurgeCandidate>,
    /// Expired but held (on the clip or on a case it is in): kept.
    pub held: Vec<String>,
    /// In a case: kept as long as it is.
    pub evidence: Vec<String>,
    /// Purges a crash had cut off between their two events, finished now.
    pub resumed: Vec<String>,
    /// Past retention, but not on the list that was approved: kept (ask again with a new dry run).
    pub not_approved: Vec<String>,
}

/// Refuses unless the clip's own events agree that it may go: stored when the table says, no
/// hold on it or its cases, in no case.
fn on_the_record(station: &Station, row: &Row) -> anyhow::Result<()> {
    let (sha256, stored_at) = (row.sha256.as_str(), row.stored_at.as_str());
    let (custody, stored) = crate::ledger::replay::clip(station.ledger().conn(), sha256)?;
    let mut why = Vec::new();
    match stored {
        None => why.push("no clip-stored event made it".to_string()),
        Some(s) if s.stored_at != stored_at => why.push(format!(
            "it was stored at {} (event {}), not {stored_at}",
            s.stored_at, s.stored_seq
        )),
        Some(_) => {}
    }
    if custody.important_from.is_some() && custody.important.contains(sha256) && !row.important {
        why.push("its camera marked it important (kept longer)".into());
    }
    if custody.held(sha256) {
        why.push("a hold is on it, or on a case it is in".into());
    }
    if let Some(case) = custody.cases_of(sha256).next() {
        why.push(format!("it is in case '{case}'"));
    }
    if why.is_empty() {
        return Ok(());
    }
    Err(crate::usage!(
        "refusing to purge clip {sha256}: the custody tables say it may go, the ledger's events say {}; the tables were edited behind the ledger (run `camdock verify`), nothing further is purged",
        why.join("; ")
    ))
}

struct Row {
    sha256: String,
    stored_at: String,
    store_path: String,
    important: bool,
    in_case: bool,
    held: bool,
}

/// Purges (or with `dry_run`, lists) the clips whose retention ended before `now` and that nothing
/// keeps; with `only`, none but those (the list an approver approved). First finishes any purge a
/// crash cut off.
///
/// The tables find the candidates fast; each candidate is then judged again from its own events
/// (`ledger::replay::clip`): stored when, held, in a case. Where the two disagree, a table was
/// edited behind the chain, and nothing more is purged.
pub fn purge(
    station: &Station,
    now: DateTime<Utc>,
    dry_run: bool,
    approval: &Approval<'_>,
    only: Option<&[String]>,
) -> anyhow::Result<PurgeReport> {
    approval.check().map_err(|e| crate::usage!("{e}"))?;
    let resumed = if dry_run {
        Vec::new()
    } else {
        finish_interrupted(station, approval)?
    };
    let policy = &station.config.policy;
    let rows: Vec<Row> = {
        let ledger = station.ledger();
        let mut stmt = ledger.conn().prepare(&format!(
            "SELECT c.sha256, c.stored_at, c.store_path, {IMPORTANT_SQL}, {IN_A_CASE_SQL}, {HELD_SQL}
             FROM clips c WHERE c.purged_seq IS NULL AND c.purge_started_seq IS NULL ORDER BY c.stored_seq",
        ))?;
        stmt.query_map([], |r| {
            Ok(Row {
                sha256: r.get(0)?,
                stored_at: r.get(1)?,
                store_path: r.get(2)?,
                important: r.get(3)?,
                in_case: r.get(4)?,
                held: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?
    };
    let mut report = PurgeReport {
        dry_run,
        purged: Vec::new(),
        held: Vec::new(),
        evidence: Vec::new(),
        resumed,
        not_approved: Vec::new(),
    };
    for row in rows {
        let class = RetentionClass::of(row.in_case, row.important);
        let Some(period) = class.period(policy)? else {
            report.evidence.push(row.sha256);
            continue;
        };
        let Some(expired_at) = parse_stamp(&row.stored_at).map(|t| t + period) else {
            continue;
        };
        if expired_at > now {
            continue;
        }
        if row.held {
            report.held.push(row.sha256);
            continue;
        }
        if only.is_some_and(|list| !list.contains(&row.sha256)) {
            report.not_approved.push(row.sha256);
            continue;
        }
        on_the_record(station, &row)?;
        let candidate = PurgeCandidate {
            sha256: row.sha256,
            class,
            stored_at: row.stored_at,
            expired_at: stamp(expired_at),
            store_path: row.store_path,
        };
        if !dry_run {
            purge_one(station, &candidate, approval)?;
        }
        report.purged.push(candidate);
    }
    Ok(report)
}

/// The intent on the record, the file gone, the completion on the record: a crash between any two
/// leaves `purge_started_seq` set, which `verify` explains and the next purge finishes.
fn purge_one(station: &Station, c: &PurgeCandidate, approval: &Approval<'_>) -> anyhow::Result<()> {
    station.ledger().write(|w| {
        let seq = w.append(
            NewEvent::new(EventKind::ClipPurgeStarted, approval.actor)
                .clip(&c.sha256)
                .typed(&ClipPurgeStartedDetail {
                    class: c.class.name().into(),
                    stored_at: c.stored_at.clone(),
                    expired_at: c.expired_at.clone(),
                    store_path: c.store_path.clone(),
                    reason: approval.reason.into(),
                    approved_by: approval.approved_by.into(),
                }),
        )?;
        w.tx().execute(
            "UPDATE clips SET purge_started_seq = ?2 WHERE sha256 = ?1",
            rusqlite::params![c.sha256, seq],
        )?;
        Ok(())
    })?;
    station.store.purge(&c.store_path)?;
    complete_purge(station, &c.sha256, approval, false)
}

fn complete_purge(
    station: &Station,
    sha256: &str,
    approval: &Approval<'_>,
    resumed: bool,
) -> anyhow::Result<()> {
    station.ledger().write(|w| {
        let seq = w.append(
            NewEvent::new(EventKind::ClipPurged, approval.actor)
                .clip(sha256)
                .typed(&ClipPurgedDetail {
                    reason: approval.reason.into(),
                    approved_by: approval.approved_by.into(),
                    finished_after_an_interruption: resumed,
                }),
        )?;
        w.tx().execute(
            "UPDATE clips SET purged_seq = ?2 WHERE sha256 = ?1",
            rusqlite::params![sha256, seq],
        )?;
        Ok(())
    })
}

fn finish_interrupted(station: &Station, approval: &Approval<'_>) -> anyhow::Result<Vec<String>> {
    let pending: Vec<(String, String)> = {
        let ledger = station.ledger();
        let mut stmt = ledger.conn().prepare(
            "SELECT sha256, store_path FROM clips WHERE purge_started_seq IS NOT NULL AND purged_seq IS NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (sha256, store_path) in &pending {
        station.store.purge(store_path)?;
        complete_purge(station, sha256, approval, true)?;
    }
    Ok(pending.into_iter().map(|(s, _)| s).collect())
}
