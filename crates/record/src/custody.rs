//! Custody replayed from the record: the rows every custody decision reads (holds, case
//! membership, when a clip was stored and whether it is being purged, approvals and their use,
//! accounts and their roles), computed from the events alone. The station writes the same rows
//! into its tables with each event; comparing the two (`compare`) finds a table edited behind the
//! chain's back, and a decision taken from the replay cannot be moved by such an edit.
//!
//! The replay can be fed a part of the chain, as long as that part holds every event of the
//! entities asked about (one clip's events and the case holds; the people events), in order.
//!
//! `clip-stored` rows are not kept: a station of a million clips would hold them all. `apply`
//! hands each one back for the caller to check as it streams by.

use crate::detail::*;
use crate::event::StoredEvent;
use crate::kind::EventKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A clip as its `clip-stored` event made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredClip {
    pub sha256: String,
    pub stored_seq: i64,
    pub stored_at: String,
}

/// A purge under way or done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeRow {
    pub purge_started_seq: Option<i64>,
    pub purged_seq: Option<i64>,
}

/// A hold on a clip (`on` its SHA-256) or on a case (`on` its name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HoldRow {
    pub on: String,
    pub reason: String,
    pub placed_seq: i64,
    pub released_seq: Option<i64>,
}

/// A clip's membership of a case, from its tagging until it is taken out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MembershipRow {
    pub case: String,
    pub sha256: String,
    pub added_seq: i64,
    pub removed_seq: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalRow {
    /// The request's number: the count of `approval-requested` events up to it.
    pub id: i64,
    pub act: String,
    pub sha256: Option<String>,
    pub case: Option<String>,
    pub reason: String,
    pub requested_by: String,
    pub requested_seq: i64,
    pub decided_by: Option<String>,
    pub approved: Option<bool>,
    pub decided_seq: Option<i64>,
    pub expires_at: Option<String>,
    pub used: bool,
    pub voided_seq: Option<i64>,
    /// The clips the act may touch, fixed at the request (None for requests written before
    /// requests named them).
    #[serde(skip)]
    pub clips: Option<Vec<String>>,
    #[serde(skip)]
    pub copies: Option<u32>,
    /// The spot check (draw) a view was asked for, if any.
    #[serde(skip)]
    pub review: Option<i64>,
    /// When it was asked (the request event's time; the table keeps only its seq).
    #[serde(skip)]
    pub requested_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountRow {
    pub name: String,
    /// Sorted, so the order an admin typed them in does not count as a difference.
    pub roles: Vec<String>,
    pub must_change: bool,
    pub created_seq: i64,
    pub disabled_seq: Option<i64>,
    /// The last event that changed the account (created, password, roles, disabled): a session
    /// signed in before it is of an account that is no longer what it was. Not a table column.
    #[serde(skip)]
    pub changed_seq: i64,
}

/// An event the replay needs and cannot read: the record is not what this station writes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({kind}): {why}")]
pub struct Unreadable {
    pub seq: i64,
    pub kind: String,
    pub why: String,
}

/// The custody rows as the events make them.
#[derive(Clone, Debug, Default)]
pub struct Custody {
    pub purges: BTreeMap<String, PurgeRow>,
    pub holds: Vec<HoldRow>,
    pub case_holds: Vec<HoldRow>,
    pub case_clips: Vec<MembershipRow>,
    pub approvals: Vec<ApprovalRow>,
    pub accounts: BTreeMap<String, AccountRow>,
    /// Clips a camera marked important (kept longer), by events that say so.
    pub important: std::collections::BTreeSet<String>,
    /// The first clip event that says whether its recording is important: from there on the
    /// record decides the mark (events before it were written without it).
    pub important_from: Option<i64>,
}

impl Custody {
    /// Applies one event (in chain order); a `clip-stored` event's row is returned, not kept.
    pub fn apply(&mut self, e: &StoredEvent) -> Result<Option<StoredClip>, Unreadable> {
        let Ok(kind) = e.kind.parse::<EventKind>() else {
            return Ok(None);
        };
        let unreadable = |why: String| Unreadable {
            seq: e.seq,
            kind: e.kind.clone(),
            why,
        };
        let clip = || {
            e.clip_sha256
                .clone()
                .ok_or_else(|| unreadable("it names no clip".into()))
        };
        let detail = |_: ()| -> Result<serde_json::Value, Unreadable> {
            serde_json::from_str(&e.detail_json).map_err(|x| unreadable(x.to_string()))
        };
        macro_rules! read {
            ($t:ty) => {
                serde_json::from_value::<$t>(detail(())?).map_err(|x| unreadable(x.to_string()))?
            };
        }
        if matches!(kind, EventKind::ClipStored | EventKind::ClipAlreadyStored) {
            let mark: RecordingMark =
                serde_json::from_str(&e.detail_json).map_err(|x| unreadable(x.to_string()))?;
            if let Some(important) = mark.important {
                self.important_from.get_or_insert(e.seq);
                if important {
                    self.important.insert(clip()?);
                }
            }
        }
        match kind {
            EventKind::ClipStored => {
                return Ok(Some(StoredClip {
                    sha256: clip()?,
                    stored_seq: e.seq,
                    stored_at: e.at.clone(),
                }));
            }
            EventKind::ClipPurgeStarted => {
                self.purges.entry(clip()?).or_default().purge_started_seq = Some(e.seq);
            }
            EventKind::ClipPurged => {
                self.purges.entry(clip()?).or_default().purged_seq = Some(e.seq);
            }
            EventKind::HoldPlaced => {
                let d = read!(HoldDetail);
                let (list, on) = match (&e.clip_sha256, d.case) {
                    (Some(sha), _) => (&mut self.holds, sha.clone()),
                    (None, Some(case)) => (&mut self.case_holds, case),
                    (None, None) => return Err(unreadable("a hold on nothing".into())),
                };
                list.push(HoldRow {
                    on,
                    reason: d.reason,
                    placed_seq: e.seq,
                    released_seq: None,
                });
            }
            EventKind::HoldReleased => {
                let d = read!(HoldDetail);
                let (list, on) = match (&e.clip_sha256, d.case) {
                    (Some(sha), _) => (&mut self.holds, sha.clone()),
                    (None, Some(case)) => (&mut self.case_holds, case),
                    (None, None) => return Err(unreadable("a release of nothing".into())),
                };
                for h in list
                    .iter_mut()
                    .filter(|h| h.on == on && h.released_seq.is_none())
                {
                    h.released_seq = Some(e.seq);
                }
            }
            EventKind::ClipTagged => {
                if let Some(case) = read!(TagDetail).case {
                    let sha = clip()?;
                    if self.member(&case, &sha).is_none() {
                        self.case_clips.push(MembershipRow {
                            case,
                            sha256: sha,
                            added_seq: e.seq,
                            removed_seq: None,
                        });
                    }
                }
            }
            EventKind::ClipUntagged => {
                let d = read!(UntagDetail);
                let sha = clip()?;
                if let Some(i) = self.member(&d.case, &sha) {
                    self.case_clips[i].removed_seq = Some(e.seq);
                }
            }
            EventKind::AccountCreated => {
                let d = read!(AccountCreatedDetail);
                let mut roles = d.roles;
                roles.sort();
                self.accounts.insert(
                    d.account.clone(),
                    AccountRow {
                        name: d.account,
                        roles,
                        must_change: true,
                        created_seq: e.seq,
                        disabled_seq: None,
                        changed_seq: e.seq,
                    },
                );
            }
            EventKind::AccountChanged => {
                let d = read!(AccountChangedDetail);
                let a = self
                    .accounts
                    .get_mut(&d.account)
                    .ok_or_else(|| unreadable(format!("no account '{}'", d.account)))?;
                match (d.change.as_str(), d.roles) {
                    ("roles", Some(mut roles)) => {
                        roles.sort();
                        a.roles = roles;
                    }
                    ("password", _) => a.must_change = d.one_time_secret.unwrap_or(false),
                    (other, _) => return Err(unreadable(format!("a change of '{other}'"))),
                }
                a.changed_seq = e.seq;
            }
            EventKind::AccountDisabled => {
                let d = read!(AccountDisabledDetail);
                let a = self
                    .accounts
                    .get_mut(&d.account)
                    .ok_or_else(|| unreadable(format!("no account '{}'", d.account)))?;
                a.disabled_seq.get_or_insert(e.seq);
                a.changed_seq = e.seq;
            }
            EventKind::ApprovalRequested => {
                let d = read!(ApprovalRequestedDetail);
                self.approvals.push(ApprovalRow {
                    id: self.approvals.len() as i64 + 1,
                    act: d.act,
                    sha256: e.clip_sha256.clone(),
                    case: d.case,
                    reason: d.reason,
                    requested_by: e.actor.clone(),
                    requested_seq: e.seq,
                    decided_by: None,
                    approved: None,
                    decided_seq: None,
                    expires_at: None,
                    used: false,
                    voided_seq: None,
                    clips: d.clips,
                    copies: d.copies,
                    review: d.review,
                    requested_at: e.at.clone(),
                });
            }
            EventKind::ApprovalDecided => {
                let d = read!(ApprovalDecidedDetail);
                let a = self.approval_mut(d.request).map_err(unreadable)?;
                a.decided_by = Some(e.actor.clone());
                a.approved = Some(d.approved);
                a.decided_seq = Some(e.seq);
                a.expires_at = d.expires_at;
            }
            EventKind::ApprovalUsed => {
                let d = read!(ApprovalUsedDetail);
                self.approval_mut(d.request).map_err(unreadable)?.used = true;
            }
            EventKind::ApprovalsVoided => {
                for id in read!(ApprovalsVoidedDetail).requests {
                    self.approval_mut(id)
                        .map_err(unreadable)?
                        .voided_seq
                        .get_or_insert(e.seq);
                }
            }
            _ => {}
        }
        Ok(None)
    }

    fn member(&self, case: &str, sha256: &str) -> Option<usize> {
        self.case_clips
            .iter()
            .position(|m| m.case == case && m.sha256 == sha256 && m.removed_seq.is_none())
    }

    fn approval_mut(&mut self, id: i64) -> Result<&mut ApprovalRow, String> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.approvals.get_mut(i))
            .ok_or_else(|| format!("no request #{id} before it"))
    }

    pub fn approval(&self, id: i64) -> Option<&ApprovalRow> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.approvals.get(i))
    }

    /// Whether a hold is on the clip, or on a case it is in.
    pub fn held(&self, sha256: &str) -> bool {
        self.holds
            .iter()
            .any(|h| h.on == sha256 && h.released_seq.is_none())
            || self.cases_of(sha256).any(|case| {
                self.case_holds
                    .iter()
                    .any(|h| h.on == case && h.released_seq.is_none())
            })
    }

    /// The cases the clip is in now.
    pub fn cases_of<'a>(&'a self, sha256: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.case_clips
            .iter()
            .filter(move |m| m.sha256 == sha256 && m.removed_seq.is_none())
            .map(|m| m.case.as_str())
    }

    /// The clips in the case now, in the order they joined it.
    pub fn clips_of_case<'a>(&'a self, case: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.case_clips
            .iter()
            .filter(move |m| m.case == case && m.removed_seq.is_none())
            .map(|m| m.sha256.as_str())
    }
}

/// The tables a custody decision reads, as named in the station's ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Clips,
    Holds,
    CaseHolds,
    CaseClips,
    Approvals,
    Accounts,
    Recordings,
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Table {
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Clips => "clips",
            Table::Holds => "holds",
            Table::CaseHolds => "case_holds",
            Table::CaseClips => "case_clips",
            Table::Approvals => "approvals",
            Table::Accounts => "accounts",
            Table::Recordings => "recordings",
        }
    }
}

/// A row of a custody table that is not what the events say, and how to put it right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "finding", rename_all = "kebab-case")]
pub enum Difference {
    /// The row is there, with other values than the events give it.
    #[error(
        "{table} row {key} differs from the record: the events say {on_record}, the table has {in_table}"
    )]
    Differs {
        table: Table,
        key: String,
        on_record: String,
        in_table: String,
    },
    /// The events make the row; the table lacks it (deleted).
    #[error("{table} row {key} is on the record ({on_record}) but missing from the table")]
    Missing {
        table: Table,
        key: String,
        on_record: String,
    },
    /// The table has a row no event made (inserted, or its key edited).
    #[error("{table} row {key} is in the table ({in_table}) but no event made it")]
    NotOnRecord {
        table: Table,
        key: String,
        in_table: String,
    },
}

impl Difference {
    pub fn table(&self) -> Table {
        match self {
            Difference::Differs { table, .. }
            | Difference::Missing { table, .. }
            | Difference::NotOnRecord { table, .. } => *table,
        }
    }

    /// What to do about it: the events are the truth, the row is what was changed.
    pub fn repair(&self) -> &'static str {
        "the events are the record: find who had file access to the ledger when the row changed, \
         and restore the row from the events (the replay's values above); custody decisions \
         already read the replay, not the row"
    }
}

/// Compares one table, row by row in key order: every row the events make against every row the
/// table has. Values are compared as their JSON.
pub fn compare<T: Serialize>(
    table: Table,
    on_record: impl IntoIterator<Item = (String, T)>,
    in_table: impl IntoIterator<Item = (String, T)>,
) -> Vec<Difference> {
    let render = |v: &T| serde_json::to_string(v).expect("plain rows serialise");
    let expected: BTreeMap<String, String> = on_record
        .into_iter()
        .map(|(k, v)| (k, render(&v)))
        .collect();
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (k, v) in in_table {
        if let Some(earlier) = found.insert(k.clone(), render(&v)) {
            out.push(Difference::NotOnRecord {
                table,
                key: format!("{k} (a second row)"),
                in_table: earlier,
            });
        }
    }
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
    for key in keys {
        match (expected.get(key), found.get(key)) {
            (Some(a), Some(b)) if a != b => out.push(Difference::Differs {
                table,
                key: key.clone(),
                on_record: a.clone(),
                in_table: b.clone(),
            }),
            (Some(a), None) => out.push(Difference::Missing {
                table,
                key: key.clone(),
                on_record: a.clone(),
            }),
            (None, Some(b)) => out.push(Difference::NotOnRecord {
                table,
                key: key.clone(),
                in_table: b.clone(),
            }),
            _ => {}
        }
    }
    out
}

/// The key each custody row is compared under.
pub fn hold_key(h: &HoldRow) -> String {
    format!("{} placed at event {}", h.on, h.placed_seq)
}
pub fn membership_key(m: &MembershipRow) -> String {
    format!("{} in case {} from event {}", m.sha256, m.case, m.added_seq)
}
pub fn approval_key(a: &ApprovalRow) -> String {
    format!("#{}", a.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(
        seq: i64,
        kind: EventKind,
        clip: Option<&str>,
        actor: &str,
        d: serde_json::Value,
    ) -> StoredEvent {
        StoredEvent {
            seq,
            at: format!("2026-01-01T00:00:{seq:02}Z"),
            kind: kind.as_str().into(),
            camera: None,
            clip_sha256: clip.map(Into::into),
            actor: actor.into(),
            detail_json: d.to_string(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn holds_cases_and_approvals_follow_the_events() {
        let mut c = Custody::default();
        let events = [
            ev(1, EventKind::ClipStored, Some("a"), "st", json!({})),
            ev(
                2,
                EventKind::ClipTagged,
                Some("a"),
                "em",
                json!({"case": "C1", "party": null, "matter": null}),
            ),
            ev(
                3,
                EventKind::HoldPlaced,
                None,
                "em",
                json!({"case": "C1", "reason": "court"}),
            ),
            ev(
                4,
                EventKind::ApprovalRequested,
                Some("a"),
                "em",
                json!({"act": "copy", "case": null, "reason": "r"}),
            ),
            ev(
                5,
                EventKind::ApprovalDecided,
                Some("a"),
                "ap",
                json!({"request": 1, "act": "copy", "case": null, "requested_by": "em", "approved": true, "note": "", "expires_at": "2027-01-01T00:00:00Z"}),
            ),
            ev(
                6,
                EventKind::ApprovalUsed,
                Some("a"),
                "em",
                json!({"request": 1, "act": "copy"}),
            ),
        ];
        let stored: Vec<_> = events.iter().filter_map(|e| c.apply(e).unwrap()).collect();
        assert_eq!(
            stored,
            vec![StoredClip {
                sha256: "a".into(),
                stored_seq: 1,
                stored_at: "2026-01-01T00:00:01Z".into()
            }]
        );
        assert!(c.held("a"), "held through its case");
        assert_eq!(c.clips_of_case("C1").collect::<Vec<_>>(), ["a"]);
        let a = c.approval(1).unwrap();
        assert_eq!(
            (a.decided_by.as_deref(), a.approved, a.used),
            (Some("ap"), Some(true), true)
        );

        c.apply(&ev(
            7,
            EventKind::HoldReleased,
            None,
            "em",
            json!({"case": "C1", "reason": "done"}),
        ))
        .unwrap();
        c.apply(&ev(
            8,
            EventKind::ClipUntagged,
            Some("a"),
            "em",
            json!({"case": "C1", "reason": "wrong"}),
        ))
        .unwrap();
        assert!(!c.held("a"));
        assert_eq!(c.cases_of("a").count(), 0);
        // A decision on a request that was never made is not a record this station writes.
        let bad = c.apply(&ev(9, EventKind::ApprovalDecided, None, "ap", json!({"request": 7, "act": "copy", "case": null, "requested_by": "em", "approved": true, "note": "", "expires_at": null})));
        assert!(bad.unwrap_err().to_string().contains("no request #7"));
    }

    #[test]
    fn compare_names_changed_missing_and_unrecorded_rows() {
        let row = |on: &str, released| HoldRow {
            on: on.into(),
            reason: "r".into(),
            placed_seq: 3,
            released_seq: released,
        };
        let keyed = |v: Vec<HoldRow>| v.into_iter().map(|h| (hold_key(&h), h)).collect::<Vec<_>>();
        let d = compare(
            Table::Holds,
            keyed(vec![row("a", None), row("b", None)]),
            keyed(vec![row("a", Some(9)), row("c", None)]),
        );
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(matches!(&d[0], Difference::Differs { key, .. } if key.starts_with("a ")));
        assert!(matches!(&d[1], Difference::Missing { key, .. } if key.starts_with("b ")));
        assert!(matches!(&d[2], Difference::NotOnRecord { key, .. } if key.starts_with("c ")));
        assert!(
            compare(
                Table::Holds,
                keyed(vec![row("a", None)]),
                keyed(vec![row("a", None)])
            )
            .is_empty()
        );
    }
}
