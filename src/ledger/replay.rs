//! Custody from the events (`camdock_record::custody`), read out of SQLite: the whole chain
//! replayed and compared with the custody tables (`check`, run by `verify`, the scrub and the
//! daemon's start), and the parts a decision needs (one clip's custody, the people's) replayed on
//! the spot, so a decision never rests on a row alone.

use super::chain::{SELECT_EVENTS, stored_event};
use camdock_record::EventKind;
use camdock_record::custody::{
    AccountRow, ApprovalRow, Custody, Difference, HoldRow, MembershipRow, PurgeRow, StoredClip,
    Table, Unreadable, approval_key, compare, hold_key, membership_key,
};
use rusqlite::Connection;
use serde::Serialize;
use std::time::Instant;

/// A replay that could not be done: the database, or an event this station does not write.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("the record cannot be replayed: {0}")]
    Unreadable(#[from] Unreadable),
}

/// The custody tables against the replayed chain.
#[derive(Clone, Debug, Serialize)]
pub struct CustodyCheck {
    pub events_replayed: i64,
    pub seconds: f64,
    /// Every row that is not what the events say, table by table, in key order.
    pub differences: Vec<Difference>,
}

/// The kinds that make the people's rows (accounts, approvals).
const PEOPLE: &[EventKind] = &[
    EventKind::AccountCreated,
    EventKind::AccountChanged,
    EventKind::AccountDisabled,
    EventKind::ApprovalRequested,
    EventKind::ApprovalDecided,
    EventKind::ApprovalUsed,
    EventKind::ApprovalsVoided,
];

fn in_list(kinds: &[EventKind]) -> String {
    kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn replay_where(
    conn: &Connection,
    filter: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Custody, ReplayError> {
    let mut stmt = conn.prepare(&format!("{SELECT_EVENTS} WHERE {filter} ORDER BY seq"))?;
    let mut rows = stmt.query(params)?;
    let mut custody = Custody::default();
    while let Some(row) = rows.next()? {
        custody.apply(&stored_event(row)?)?;
    }
    Ok(custody)
}

/// Accounts as the events make them.
pub fn accounts(conn: &Connection) -> Result<Custody, ReplayError> {
    replay_where(conn, &format!("kind IN ({})", in_list(&PEOPLE[..3])), &[])
}

/// Accounts and approvals as the events make them.
pub fn people(conn: &Connection) -> Result<Custody, ReplayError> {
    replay_where(conn, &format!("kind IN ({})", in_list(PEOPLE)), &[])
}

/// One clip's custody as the events make it: its own events (stored, tagged, held, purged) and
/// every hold on a case.
pub fn clip(conn: &Connection, sha256: &str) -> Result<(Custody, Option<StoredClip>), ReplayError> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_EVENTS} WHERE clip_sha256 = ?1
         UNION ALL {SELECT_EVENTS} WHERE clip_sha256 IS NULL AND kind IN ({})
         ORDER BY seq",
        in_list(&[EventKind::HoldPlaced, EventKind::HoldReleased])
    ))?;
    let mut rows = stmt.query([sha256])?;
    let mut custody = Custody::default();
    let mut stored = None;
    while let Some(row) = rows.next()? {
        if let Some(s) = custody.apply(&stored_event(row)?)? {
            stored.get_or_insert(s);
        }
    }
    Ok((custody, stored))
}

/// Replays the whole chain and compares every custody table with it. The clips are compared as
/// their events stream by (a station of a million clips is not held in memory); the rest at the
/// end. Reads one snapshot of the ledger.
pub fn check(conn: &Connection) -> Result<CustodyCheck, ReplayError> {
    let started = Instant::now();
    let snapshot = conn.unchecked_transaction()?;
    let mut custody = Custody::default();
    let mut differences = Vec::new();
    let mut events_replayed = 0;
    {
        let mut events = snapshot.prepare(&format!("{SELECT_EVENTS} ORDER BY seq"))?;
        let mut events = events.query([])?;
        let mut tables = snapshot.prepare(
            "SELECT sha256, stored_seq, stored_at FROM clips ORDER BY stored_seq, sha256",
        )?;
        let mut tables = tables.query_map([], |r| {
            Ok(StoredClip {
                sha256: r.get(0)?,
                stored_seq: r.get(1)?,
                stored_at: r.get(2)?,
            })
        })?;
        let mut next_row = tables.next().transpose()?;
        let render = |c: &StoredClip| serde_json::to_string(c).expect("plain rows serialise");
        while let Some(row) = events.next()? {
            events_replayed += 1;
            let Some(expected) = custody.apply(&stored_event(row)?)? else {
                continue;
            };
            // Rows of the table before this clip's event were made by no event.
            while let Some(r) = next_row.take_if(|r| r.stored_seq < expected.stored_seq) {
                differences.push(Difference::NotOnRecord {
                    table: Table::Clips,
                    key: r.sha256.clone(),
                    in_table: render(&r),
                });
                next_row = tables.next().transpose()?;
            }
            match next_row.take_if(|r| r.stored_seq == expected.stored_seq) {
                Some(r) => {
                    if r != expected {
                        differences.push(Difference::Differs {
                            table: Table::Clips,
                            key: expected.sha256.clone(),
                            on_record: render(&expected),
                            in_table: render(&r),
                        });
                    }
                    next_row = tables.next().transpose()?;
                }
                None => differences.push(Difference::Missing {
                    table: Table::Clips,
                    key: expected.sha256.clone(),
                    on_record: render(&expected),
                }),
            }
        }
        while let Some(r) = next_row {
            differences.push(Difference::NotOnRecord {
                table: Table::Clips,
                key: r.sha256.clone(),
                in_table: render(&r),
            });
            next_row = tables.next().transpose()?;
        }
    }
    differences.extend(compare(
        Table::Clips,
        custody
            .purges
            .iter()
            .map(|(k, v)| (format!("{k} (purge)"), v.clone())),
        rows(
            &snapshot,
            "SELECT sha256, purge_started_seq, purged_seq FROM clips
             WHERE purge_started_seq IS NOT NULL OR purged_seq IS NOT NULL",
            |r| {
                Ok((
                    format!("{} (purge)", r.get::<_, String>(0)?),
                    PurgeRow {
                        purge_started_seq: r.get(1)?,
                        purged_seq: r.get(2)?,
                    },
                ))
            },
        )?,
    ));
    let hold = |r: &rusqlite::Row<'_>| {
        let h = HoldRow {
            on: r.get(0)?,
            reason: r.get(1)?,
            placed_seq: r.get(2)?,
            released_seq: r.get(3)?,
        };
        Ok((hold_key(&h), h))
    };
    differences.extend(compare(
        Table::Holds,
        custody.holds.iter().map(|h| (hold_key(h), h.clone())),
        rows(
            &snapshot,
            "SELECT sha256, reason, placed_seq, released_seq FROM holds",
            hold,
        )?,
    ));
    differences.extend(compare(
        Table::CaseHolds,
        custody.case_holds.iter().map(|h| (hold_key(h), h.clone())),
        rows(
            &snapshot,
            "SELECT case_name, reason, placed_seq, released_seq FROM case_holds",
            hold,
        )?,
    ));
    differences.extend(compare(
        Table::CaseClips,
        custody
            .case_clips
            .iter()
            .map(|m| (membership_key(m), m.clone())),
        rows(
            &snapshot,
            "SELECT case_name, sha256, added_seq, removed_seq FROM case_clips",
            |r| {
                let m = MembershipRow {
                    case: r.get(0)?,
                    sha256: r.get(1)?,
                    added_seq: r.get(2)?,
                    removed_seq: r.get(3)?,
                };
                Ok((membership_key(&m), m))
            },
        )?,
    ));
    differences.extend(compare(
        Table::Approvals,
        custody.approvals.iter().map(|a| (approval_key(a), a.clone())),
        rows(&snapshot, "SELECT id, act, sha256, case_name, reason, requested_by, requested_seq, decided_by, approved,
                decided_seq, expires_at, used_at IS NOT NULL, voided_seq FROM approvals", |r| {
            let a = ApprovalRow {
                id: r.get(0)?, act: r.get(1)?, sha256: r.get(2)?, case: r.get(3)?, reason: r.get(4)?,
                requested_by: r.get(5)?, requested_seq: r.get(6)?, decided_by: r.get(7)?, approved: r.get(8)?,
                decided_seq: r.get(9)?, expires_at: r.get(10)?, used: r.get(11)?, voided_seq: r.get(12)?,
                clips: None, copies: None, review: None, requested_at: String::new(),
            };
            Ok((approval_key(&a), a))
        })?,
    ));
    differences.extend(compare(
        Table::Accounts,
        custody
            .accounts
            .values()
            .map(|a| (a.name.clone(), a.clone())),
        rows(
            &snapshot,
            "SELECT name, roles, must_change, created_seq, disabled_seq FROM accounts",
            |r| {
                let mut roles: Vec<String> = serde_json::from_str(&r.get::<_, String>(1)?)
                    .unwrap_or_else(|_| vec![r.get::<_, String>(1).unwrap_or_default()]);
                roles.sort();
                let a = AccountRow {
                    name: r.get(0)?,
                    roles,
                    must_change: r.get(2)?,
                    created_seq: r.get(3)?,
                    disabled_seq: r.get(4)?,
                    changed_seq: 0,
                };
                Ok((a.name.clone(), a))
            },
        )?,
    ));
    // The important mark (a longer retention), where the events carry it.
    if let Some(from) = custody.important_from {
        differences.extend(compare(
            Table::Recordings,
            custody
                .important
                .iter()
                .map(|sha| (format!("{sha} (important)"), true)),
            rows(
                &snapshot,
                &format!(
                    "SELECT DISTINCT sha256 FROM recordings WHERE important AND seq >= {from}"
                ),
                |r| Ok((format!("{} (important)", r.get::<_, String>(0)?), true)),
            )?,
        ));
    }
    Ok(CustodyCheck {
        events_replayed,
        seconds: started.elapsed().as_secs_f64(),
        differences,
    })
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<(String, T)>,
) -> rusqlite::Result<Vec<(String, T)>> {
    conn.prepare(sql)?.query_map([], f)?.collect()
}
