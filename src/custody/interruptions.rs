//! Interruptions explained. Recording may stop only for stated reasons (003 Art. 12); where it
//! could not go on, the reason is given in writing (001 Art. 19, 000 Art. 5). Each gap a dock found
//! between two recordings (`recording-gaps`) is an open item for the camera's officer until a
//! `gap-explained` event gives the written reason: the officer's own, or an equipment manager's on
//! the officer's word, both names on record. Open or explained is read from the events alone.

use crate::ledger::queries::events_of_kinds;
use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::{GapExplainedDetail, GapReason, RecordingGapsDetail};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;

/// One gap between two recordings, and its explanation if one was given.
#[derive(Clone, Debug, Serialize)]
pub struct Interruption {
    /// `<recording-gaps event seq>.<index>`: how the command line names it.
    pub id: String,
    pub camera: String,
    /// The officer of the recording that resumed (the file's officer number).
    pub officer: Option<String>,
    /// The recording before the gap and the one after it, as named on the camera.
    pub after: String,
    pub before: String,
    pub seconds: f64,
    /// When the recording after the gap began (its corrected time where the clock was checked).
    pub resumed_at: Option<String>,
    /// When the dock found it.
    pub found_at: String,
    pub explained: Option<Explanation>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub seq: i64,
    pub at: String,
    pub reason: GapReason,
    pub text: String,
    /// Whose word: the officer.
    pub officer: String,
    /// Who recorded it: the officer, or a manager on the officer's word.
    pub by: String,
}

/// An explanation that cannot be recorded as asked.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("'{0}' names no gap: gaps are named <event>.<index>, as `camdock gaps` lists them")]
    NoGap(String),
    #[error("gap {id} was explained already (event #{seq})")]
    Already { id: String, seq: i64 },
    #[error("a reason of 'other' is explained in words (--text, or the text beside it)")]
    OtherWithoutText,
    #[error(
        "account '{account}' may not explain gap {id}: it is officer {officer}'s, and an officer explains their own gaps (an equipment manager records one on the officer's word)"
    )]
    NotTheirs {
        account: String,
        id: String,
        officer: String,
    },
}

/// Records the reason for gap `id` as `account`: an equipment manager on the gap's officer's
/// word, or an officer for their own gap (the account named by the officer number).
pub fn explain_as(
    station: &Station,
    id: &str,
    reason: GapReason,
    text: &str,
    account: &crate::people::Account,
) -> anyhow::Result<i64> {
    account.require(crate::people::Act::ExplainGap)?;
    let manager = account
        .roles
        .contains(&crate::people::Role::EquipmentManager);
    explain(station, id, reason, text, &account.name, |gap| {
        let officer = gap.officer.clone().unwrap_or_default();
        if manager || account.name == officer {
            Ok(())
        } else {
            Err(crate::error::refusal(ExplainError::NotTheirs {
                account: account.name.clone(),
                id: id.into(),
                officer,
            }))
        }
    })
}

/// The gaps `account` may see: an officer's own; everyone's for a manager or whoever sees clips.
pub fn visible_to(
    conn: &Connection,
    account: &crate::people::Account,
) -> anyhow::Result<Vec<Interruption>> {
    let everyone = account
        .roles
        .contains(&crate::people::Role::EquipmentManager)
        || account.may(crate::people::Act::SeeClips);
    Ok(all(conn)?
        .into_iter()
        .filter(|g| everyone || g.officer.as_deref() == Some(account.name.as_str()))
        .collect())
}

/// Every gap with positive length (an overlap is a clock fault, not an interruption), oldest
/// first, with its explanation.
pub fn all(conn: &Connection) -> anyhow::Result<Vec<Interruption>> {
    let explained = explanations(conn)?;
    let found = events_of_kinds(conn, &[EventKind::RecordingGaps])?;
    let mut officer_of = conn.prepare(
        "SELECT officer, coalesce(recorded_at_corrected, recorded_at) FROM recordings
         WHERE camera = ?1 AND session_id = ?2 AND source = ?3 ORDER BY id LIMIT 1",
    )?;
    let mut out = Vec::new();
    for event in found {
        let (seq, at) = (event.seq, event.at);
        let Some(camera) = event.camera else { continue };
        let detail: RecordingGapsDetail = serde_json::from_value(event.detail)?;
        for (index, gap) in detail.gaps.iter().cloned().enumerate() {
            if gap.seconds <= 0.0 {
                continue;
            }
            let id = format!("{seq}.{index}");
            let (officer, resumed_at): (Option<String>, Option<String>) = officer_of
                // The recording of this dock: a camera reuses its file names from card to card.
                .query_row(rusqlite::params![camera, detail.session, gap.before], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
                .unwrap_or_default();
            out.push(Interruption {
                explained: explained.get(&id).cloned(),
                id,
                camera: camera.clone(),
                officer,
                after: gap.after,
                before: gap.before,
                seconds: gap.seconds,
                resumed_at,
                found_at: at.clone(),
            });
        }
    }
    Ok(out)
}

/// The first explanation of each gap, by gap id.
fn explanations(conn: &Connection) -> anyhow::Result<HashMap<String, Explanation>> {
    let mut out = HashMap::new();
    for event in events_of_kinds(conn, &[EventKind::GapExplained])? {
        let (seq, at, by) = (event.seq, event.at, event.actor);
        let d: GapExplainedDetail = serde_json::from_value(event.detail)?;
        out.entry(d.gap).or_insert(Explanation {
            seq,
            at,
            reason: d.reason,
            text: d.text,
            officer: d.officer,
            by,
        });
    }
    Ok(out)
}

/// Records the written reason for gap `id`, on its officer's word, by `actor`, if `may` allows it: both
/// judged on the gap as the chained events have it, in the write's transaction.
pub fn explain(
    station: &Station,
    id: &str,
    reason: GapReason,
    text: &str,
    actor: &str,
    may: impl FnOnce(&Interruption) -> anyhow::Result<()>,
) -> anyhow::Result<i64> {
    if reason == GapReason::Other && text.trim().is_empty() {
        return Err(crate::error::refusal(ExplainError::OtherWithoutText));
    }
    station.ledger().write(|w| {
        // Which gaps exist and which are explained: from the chained events, in this transaction.
        let gap = all(w.tx())?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| crate::error::refusal(ExplainError::NoGap(id.into())))?;
        may(&gap)?;
        if let Some(e) = gap.explained {
            return Err(crate::error::refusal(ExplainError::Already {
                id: id.into(),
                seq: e.seq,
            }));
        }
        w.append(
            NewEvent::new(EventKind::GapExplained, actor)
                .camera(&gap.camera)
                .typed(&GapExplainedDetail {
                    gap: gap.id,
                    after: gap.after,
                    before: gap.before,
                    reason,
                    text: text.into(),
                    officer: gap.officer.clone().unwrap_or_default(),
                }),
        )
    })
}
