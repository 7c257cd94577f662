//! The access register: every view, copy and export of a clip names who, why and when.

use crate::hash::fan_out;
use crate::ledger::queries::EventView;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use crate::usage;
use camdock_record::detail::ClipAccessedDetail;
use std::path::Path;

/// Who is looking, and why: required for every access.
pub struct Access<'a> {
    pub actor: &'a str,
    pub reason: &'a str,
}

pub fn require(actor: Option<&str>, reason: Option<&str>) -> anyhow::Result<(String, String)> {
    who_and_why(
        actor,
        reason,
        "access to evidence needs --actor WHO and --reason WHY (the access register rules)",
    )
}

/// Both a person and a reason, non-blank, or the one-sentence refusal `refusal`.
pub fn who_and_why(
    who: Option<&str>,
    why: Option<&str>,
    refusal: &str,
) -> anyhow::Result<(String, String)> {
    let given = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (given(who), given(why)) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(usage!("{refusal}")),
    }
}

/// Records that `sha256` was viewed (its facts or its content shown to someone); for spot check
/// `review` (a draw's seq) only if that draw holds the clip, checked in the same transaction.
pub fn record_view(
    station: &Station,
    sha256: &str,
    access: &Access<'_>,
    via: &str,
    review: Option<i64>,
) -> anyhow::Result<()> {
    station.ledger().write(|w| {
        if let Some(draw) = review {
            crate::custody::review::require_drawn(w.tx(), draw, sha256)?;
        }
        w.append(
            NewEvent::new(EventKind::ClipAccessed, access.actor)
                .clip(sha256)
                .typed(&ClipAccessedDetail {
                    action: "view".into(),
                    reason: access.reason.into(),
                    via: Some(via.into()),
                    station: Some(station.actor().into()),
                    review,
                    ..Default::default()
                }),
        )?;
        Ok(())
    })
}

/// Copies a clip out of the store to `to`, verified on the way, and records it.
pub fn copy(
    station: &Station,
    sha256: &str,
    to: &Path,
    access: &Access<'_>,
    approved_by: &str,
) -> anyhow::Result<()> {
    let clip = station
        .ledger()
        .clip(sha256)?
        .ok_or_else(|| usage!("clip {sha256} was purged and cannot be copied"))?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| usage!("cannot create {}: {e}", to.display()))?;
    let d = fan_out(station.store.open(&clip.store_path)?, Some(&mut out))?;
    out.sync_all()?;
    if d.sha256 != clip.sha256 {
        let _ = std::fs::remove_file(to);
        anyhow::bail!("clip {sha256} failed verification on the way out; run `camdock verify`");
    }
    station.ledger().append(
        NewEvent::new(EventKind::ClipAccessed, access.actor)
            .clip(sha256)
            .typed(&ClipAccessedDetail {
                action: "copy".into(),
                reason: access.reason.into(),
                approved_by: Some(approved_by.into()),
                to: Some(to.display().to_string()),
                ..Default::default()
            }),
    )?;
    Ok(())
}

/// Requests, approvals, views, copies and exports, oldest first, optionally for one clip and/or
/// since an instant.
pub fn log(
    station: &Station,
    clip: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<Vec<EventView>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT seq, at, kind, camera, clip_sha256, actor, detail_json, hash FROM events
         WHERE kind IN ('approval-requested', 'approval-decided', 'clip-accessed', 'clip-exported') AND (?1 IS NULL OR clip_sha256 = ?1) AND (?2 IS NULL OR at >= ?2)
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![clip, since],
        crate::ledger::queries::event_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
