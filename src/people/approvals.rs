//! Two-person approvals of access to evidence: one account asks (what, which clip or case, why),
//! another holding the approver role approves or refuses, then the asker acts — each step a
//! ledger event, so the access register shows the whole chain. An act refuses without a valid
//! approval: approved, unexpired, asked by the one acting, for this clip, and (for a copy, an
//! export or a purge) not used before.

use super::accounts::Account;
use super::role::Act;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::time::{parse_stamp, stamp};
use crate::usage;
use camdock_record::custody::ApprovalRow;
use camdock_record::detail::{ApprovalDecidedDetail, ApprovalRequestedDetail, ApprovalUsedDetail};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// What an approval lets its asker do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Use {
    View,
    Copy,
    Export,
    Purge,
}

impl Use {
    pub fn as_str(self) -> &'static str {
        match self {
            Use::View => "view",
            Use::Copy => "copy",
            Use::Export => "export",
            Use::Purge => "purge",
        }
    }
    pub fn parse(s: &str) -> Option<Use> {
        [Use::View, Use::Copy, Use::Export, Use::Purge]
            .into_iter()
            .find(|u| u.as_str() == s)
    }
    /// A view may be watched again while the approval stands; the others happen once.
    fn once(self) -> bool {
        self != Use::View
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Approval {
    pub id: i64,
    pub act: String,
    pub sha256: Option<String>,
    pub case: Option<String>,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub approved: Option<bool>,
    pub expires_at: Option<String>,
    pub used: bool,
    /// What the approver approved: the clips the act may touch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clips: Option<Vec<String>>,
    /// What the clip asked for is, for someone who may see clip records (an approver deciding
    /// sees which camera, officer, time, case and size before deciding, not only a hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The spot check (draw) a view is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<i64>,
}

/// The asked-for clip as the record describes it; for a case, its clips together (their cameras
/// and officers, the first recorded time, the bytes of all).
#[derive(Clone, Debug, Serialize)]
pub struct Subject {
    pub camera: String,
    pub officer: Option<String>,
    pub recorded_at: Option<String>,
    pub bytes: u64,
    pub cases: Vec<String>,
    /// How many clips the request touches.
    pub clips: usize,
}

impl Subject {
    fn of(clips: &[crate::ledger::queries::ClipView]) -> Option<Subject> {
        let first = clips.first()?;
        let joined = |v: Vec<&str>| {
            let mut v = v;
            v.sort_unstable();
            v.dedup();
            v.join(", ")
        };
        let officers = joined(clips.iter().filter_map(|c| c.officer.as_deref()).collect());
        let mut cases: Vec<String> = clips.iter().flat_map(|c| c.cases.clone()).collect();
        cases.sort();
        cases.dedup();
        Some(Subject {
            camera: joined(clips.iter().map(|c| c.camera.as_str()).collect()),
            officer: (!officers.is_empty()).then_some(officers),
            recorded_at: clips
                .iter()
                .filter_map(|c| c.recorded_at_corrected.clone().or(c.recorded_at.clone()))
                .min()
                .or_else(|| first.recorded_at.clone()),
            bytes: clips.iter().map(|c| c.bytes).sum(),
            cases,
            clips: clips.len(),
        })
    }
}

const SELECT: &str = "SELECT a.id, a.act, a.sha256, a.case_name, a.reason, a.requested_by, r.at, a.decided_by, a.approved, a.expires_at, a.used_at IS NOT NULL
    FROM approvals a JOIN events r ON r.seq = a.requested_seq";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Approval> {
    Ok(Approval {
        id: r.get(0)?,
        act: r.get(1)?,
        sha256: r.get(2)?,
        case: r.get(3)?,
        reason: r.get(4)?,
        requested_by: r.get(5)?,
        requested_at: r.get(6)?,
        decided_by: r.get(7)?,
        approved: r.get(8)?,
        expires_at: r.get(9)?,
        used: r.get(10)?,
        clips: None,
        subject: None,
        review: None,
    })
}

pub fn get(station: &Station, id: i64) -> anyhow::Result<Option<Approval>> {
    let found = station
        .ledger()
        .conn()
        .query_row(&format!("{SELECT} WHERE a.id = ?1"), [id], row)
        .optional()?;
    Ok(with_clips(station, found.into_iter().collect())?.pop())
}

/// Each approval with the clips its request named, from the events: what the approver approves.
fn with_clips(station: &Station, mut list: Vec<Approval>) -> anyhow::Result<Vec<Approval>> {
    if list.is_empty() {
        return Ok(list);
    }
    let people = crate::ledger::replay::people(station.ledger().conn())?;
    for a in &mut list {
        let recorded = people.approval(a.id);
        a.clips = recorded.and_then(|r| r.clips.clone());
        a.review = recorded.and_then(|r| r.review);
    }
    Ok(list)
}

/// What `who` may see: an approver sees every request; anyone else their own.
pub fn list(station: &Station, who: &Account) -> anyhow::Result<Vec<Approval>> {
    let everyone = who.may(Act::DecideAccess) || who.may(Act::SeeRegister);
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(&format!(
        "{SELECT} WHERE ?1 OR a.requested_by = ?2 ORDER BY a.id DESC LIMIT 500"
    ))?;
    let v = stmt
        .query_map(rusqlite::params![everyone, who.name], row)?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    drop(ledger);
    let mut v = with_clips(station, v)?;
    if who.may(Act::SeeClips) || who.may(Act::DecideAccess) {
        let ledger = station.ledger();
        for a in &mut v {
            let asked: Vec<String> = match (&a.sha256, &a.clips) {
                (Some(sha), _) => vec![sha.clone()],
                (None, Some(clips)) if a.case.is_some() => clips.clone(),
                _ => continue,
            };
            let mut clips = Vec::with_capacity(asked.len());
            for sha in &asked {
                clips.extend(ledger.clip(sha)?);
            }
            a.subject = Subject::of(&clips);
        }
    }
    Ok(v)
}

/// What a request asks for: the act, on one clip or one case (or, for a purge, neither), why,
/// how many copies an export makes, and for a view the spot check it is for.
#[derive(Clone, Copy, Debug)]
pub struct Ask<'a> {
    pub act: Use,
    pub clip: Option<&'a str>,
    pub case: Option<&'a str>,
    pub reason: &'a str,
    pub copies: u32,
    pub review: Option<i64>,
}

impl<'a> Ask<'a> {
    /// To view one clip, once, for no spot check.
    pub fn view(clip: &'a str, reason: &'a str) -> Ask<'a> {
        Ask {
            act: Use::View,
            clip: Some(clip),
            case: None,
            reason,
            copies: 1,
            review: None,
        }
    }
}

/// Asks for an approval; returns its id. The request names exactly what the act will touch: the
/// clip, or the clips the case has now (a view or an export of the case later touches exactly
/// those), or for a purge the list its dry run gives now; and how many copies an export makes.
/// A view for a spot check names the draw, which must hold the clip.
pub fn request(station: &Station, by: &Account, ask: &Ask<'_>) -> anyhow::Result<i64> {
    let Ask {
        act,
        clip: sha256,
        case,
        reason,
        copies,
        review,
    } = *ask;
    by.require(Act::RequestAccess)?;
    if reason.trim().is_empty() {
        return Err(usage!(
            "a request to {} evidence needs a reason",
            act.as_str()
        ));
    }
    if act == Use::Purge {
        if sha256.is_some() || case.is_some() {
            return Err(usage!(
                "a purge removes what retention has ended: it names no clip or case"
            ));
        }
    } else if sha256.is_none() == case.is_none() {
        return Err(usage!("a request names one clip or one case"));
    }
    if case.is_some() && !matches!(act, Use::Export | Use::View) {
        return Err(usage!(
            "only a view or an export is asked for a whole case; {} names a clip",
            act.as_str()
        ));
    }
    if let Some(draw) = review {
        match (act, sha256) {
            (Use::View, Some(s)) => {
                crate::custody::review::require_drawn(station.ledger().conn(), draw, s)?
            }
            _ => {
                return Err(usage!(
                    "a request for spot check #{draw} is to view one drawn clip"
                ));
            }
        }
    }
    if copies == 0 || (copies > 1 && act != Use::Export) {
        return Err(usage!(
            "only an export makes more than one copy, and every act at least one"
        ));
    }
    let clips: Vec<String> = match (sha256, case) {
        (Some(s), _) => vec![s.to_string()],
        (None, Some(c)) => crate::custody::tags::clips_of_case(station, c)?,
        (None, None) => crate::custody::retention::purge(
            station,
            chrono::Utc::now(),
            true,
            &crate::custody::retention::Approval {
                actor: &by.name,
                approved_by: "nobody (a dry run)",
                reason,
            },
            None,
        )?
        .purged
        .into_iter()
        .map(|c| c.sha256)
        .collect(),
    };
    if clips.is_empty() {
        return Err(usage!(
            "nothing to {}: {}",
            act.as_str(),
            if case.is_some() {
                "the case has no clip"
            } else {
                "no clip's retention has ended"
            }
        ));
    }
    station.ledger().write(|w| {
        let seq = w.append({
            let e = NewEvent::new(EventKind::ApprovalRequested, &by.name);
            let e = match sha256 {
                Some(s) => e.clip(s),
                None => e,
            };
            e.typed(&ApprovalRequestedDetail {
                act: act.as_str().into(),
                case: case.map(Into::into),
                reason: reason.into(),
                clips: Some(clips),
                copies: Some(copies),
                review,
            })
        })?;
        // The request's number is the one the replay gives it (the count of requests on the record
        // up to it), not whatever rowid the table would pick: a row deleted by hand cannot make
        // the table's #5 the record's #4. A row already holding the number fails the request.
        let id: i64 = w.tx().query_row(
            "SELECT count(*) FROM events WHERE kind = ?1",
            [EventKind::ApprovalRequested.as_str()],
            |r| r.get(0),
        )?;
        w.tx().execute(
            "INSERT INTO approvals(id, act, sha256, case_name, reason, requested_by, requested_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![id, act.as_str(), sha256, case, reason, by.name, seq],
        )?;
        Ok(id)
    })
}

/// Approves or refuses request `id`, as an approver who is not its asker.
pub fn decide(
    station: &Station,
    by: &Account,
    id: i64,
    approve: bool,
    note: &str,
) -> anyhow::Result<Approval> {
    by.require(Act::DecideAccess)?;
    let a = get(station, id)?.ok_or_else(|| usage!("no request #{id}"))?;
    if a.requested_by == by.name {
        return Err(usage!(
            "request #{id} is {}'s own: another approver decides it",
            by.name
        ));
    }
    if a.decided_by.is_some() {
        return Err(usage!(
            "request #{id} was already decided by {}",
            a.decided_by.unwrap_or_default()
        ));
    }
    let valid_for = chrono::Duration::from_std(station.config.policy.approval_valid_for)?;
    station.ledger().write(|w| {
        let expires = approve.then(|| stamp(w.now() + valid_for));
        let e = NewEvent::new(EventKind::ApprovalDecided, &by.name);
        let e = match &a.sha256 {
            Some(s) => e.clip(s),
            None => e,
        };
        let seq = w.append(e.typed(&ApprovalDecidedDetail {
            request: id,
            act: a.act.clone(),
            case: a.case.clone(),
            requested_by: a.requested_by.clone(),
            approved: approve,
            note: note.into(),
            expires_at: expires.clone(),
        }))?;
        let n = w.tx().execute(
            "UPDATE approvals SET decided_by = ?2, approved = ?3, decided_seq = ?4, expires_at = ?5 WHERE id = ?1 AND decided_seq IS NULL",
            rusqlite::params![id, by.name, approve, seq, expires],
        )?;
        if n == 0 {
            // Another approver decided it a moment ago: this decision (and its event) is not kept.
            return Err(usage!("request #{id} was decided meanwhile by someone else"));
        }
        Ok(())
    })?;
    Ok(get(station, id)?.expect("just decided"))
}

/// What an act touches, to be matched against what was approved.
#[derive(Clone, Debug, Default)]
pub struct Target<'a> {
    pub clip: Option<&'a str>,
    pub case: Option<&'a str>,
    /// Every clip the act will touch (one for a view or a copy; a case's clips; a purge's list).
    pub clips: Vec<String>,
    pub copies: u32,
}

impl<'a> Target<'a> {
    /// One clip, once.
    pub fn clip(sha256: &'a str) -> Target<'a> {
        Target {
            clip: Some(sha256),
            case: None,
            clips: vec![sha256.to_string()],
            copies: 1,
        }
    }
}

/// The approval `id` if it lets `who` do `act` to `target` now; else a refusal naming what is
/// missing. Read from the events (`ledger::replay::people`), not the `approvals` row: a row edited
/// behind the chain (a use cleared, a refusal turned into an approval) changes nothing here.
pub fn check(
    station: &Station,
    who: &Account,
    id: i64,
    act: Use,
    target: &Target<'_>,
) -> anyhow::Result<Approval> {
    judge(station.ledger().conn(), who, id, act, target)
}

fn judge(
    conn: &rusqlite::Connection,
    who: &Account,
    id: i64,
    act: Use,
    target: &Target<'_>,
) -> anyhow::Result<Approval> {
    let people = crate::ledger::replay::people(conn)?;
    let a = people
        .approval(id)
        .ok_or_else(|| usage!("no approval #{id}"))?;
    let refuse = |why: &str| {
        Err(usage!(
            "approval #{id} does not allow this {}: {why}",
            act.as_str()
        ))
    };
    if a.requested_by != who.name {
        return refuse(&format!(
            "it was asked by {}, not {}",
            a.requested_by, who.name
        ));
    }
    if a.act != act.as_str() {
        return refuse(&format!("it is for a {}", a.act));
    }
    let names = match (target.clip, &a.sha256, target.case, &a.case) {
        (Some(s), Some(t), _, _) => s == t,
        (_, _, Some(c), Some(d)) => c == d,
        (Some(s), None, _, Some(_)) => a.clips.as_ref().is_some_and(|l| l.iter().any(|x| x == s)),
        (None, None, None, None) => act == Use::Purge,
        _ => false,
    };
    if !names {
        return refuse("it names another clip or case");
    }
    // The act does exactly what was approved: the clips shown to the approver, no more.
    if let Some(approved) = &a.clips {
        let extra: Vec<&String> = target
            .clips
            .iter()
            .filter(|c| !approved.contains(c))
            .collect();
        if !extra.is_empty() {
            return refuse(&format!(
                "{} clip(s) were not in what was approved ({} clip(s)), first {}",
                extra.len(),
                approved.len(),
                extra[0]
            ));
        }
    }
    if target.copies > a.copies.unwrap_or(1) {
        return refuse(&format!(
            "it approved {} cop{}, not {}",
            a.copies.unwrap_or(1),
            if a.copies.unwrap_or(1) == 1 {
                "y"
            } else {
                "ies"
            },
            target.copies
        ));
    }
    match a.approved {
        None => return refuse("it is not decided yet"),
        Some(false) => {
            return refuse(&format!(
                "{} refused it",
                a.decided_by.clone().unwrap_or_default()
            ));
        }
        Some(true) => {}
    }
    if a.voided_seq.is_some() {
        return refuse(&format!(
            "its approver {} was disabled before it was used",
            a.decided_by.clone().unwrap_or_default()
        ));
    }
    let expired = a
        .expires_at
        .as_deref()
        .and_then(parse_stamp)
        .is_none_or(|t| t <= chrono::Utc::now());
    if expired {
        return refuse(&format!(
            "it expired at {}",
            a.expires_at.clone().unwrap_or_default()
        ));
    }
    if act.once() && a.used {
        return refuse("it was used already");
    }
    Ok(Approval::from(a))
}

/// An approval as the events make it.
impl From<&ApprovalRow> for Approval {
    fn from(a: &ApprovalRow) -> Approval {
        Approval {
            id: a.id,
            act: a.act.clone(),
            sha256: a.sha256.clone(),
            case: a.case.clone(),
            reason: a.reason.clone(),
            requested_by: a.requested_by.clone(),
            requested_at: a.requested_at.clone(),
            decided_by: a.decided_by.clone(),
            approved: a.approved,
            expires_at: a.expires_at.clone(),
            used: a.used,
            clips: a.clips.clone(),
            subject: None,
            review: a.review,
        }
    }
}

/// Spends a once-only approval just before its act, on the record (`approval-used`): an act that
/// then fails has spent it (ask again), never the other way round, so one approval is never two
/// copies.
pub fn spend(
    station: &Station,
    who: &Account,
    id: i64,
    act: Use,
    target: &Target<'_>,
) -> anyhow::Result<Approval> {
    if !act.once() {
        return check(station, who, id, act, target);
    }
    station.ledger().write(|w| {
        // Checked inside the write lock: two spends of one approval cannot both pass.
        let a = judge(w.tx(), who, id, act, target)?;
        w.append({
            let e = NewEvent::new(EventKind::ApprovalUsed, &who.name);
            let e = match &a.sha256 {
                Some(s) => e.clip(s),
                None => e,
            };
            e.typed(&ApprovalUsedDetail {
                request: id,
                act: act.as_str().into(),
            })
        })?;
        w.tx().execute(
            "UPDATE approvals SET used_at = ?2 WHERE id = ?1",
            rusqlite::params![id, stamp(w.now())],
        )?;
        Ok(a)
    })
}
