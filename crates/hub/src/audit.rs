//! An auditor who trusts neither a station nor the hub's database: what the bucket alone shows,
//! checked against the hub's public key. Each station's chain is recomputed from every version of
//! its objects (`follow` from the genesis: the same rules as the hub's passes), and each statement
//! of returns elsewhere the hub published is checked against those chains: a return the chains do
//! not show is named (a hub whose database was altered signs what it is told), as is each return a
//! station recorded that the chains do not show (a station's admin can append one).

use crate::alarm::Alarm;
use crate::recorded_returns::recorded_return;
use camdock_record::event::StoredEvent;
use camdock_record::kind::EventKind;
use camdock_record::returns::{Return, ReturnsBody};
use serde::Serialize;
use std::collections::HashMap;

/// One discrepancy, naming where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "kebab-case")]
pub enum AuditFinding {
    /// A station's record in the bucket, as the hub would raise it.
    Station { station: String, alarm: Alarm },
    /// A version of an enrolment the hub's key did not sign (newer than the one followed, or the
    /// only ones there are).
    EnrolmentNotSigned { key: String, version: String },
    /// A statement of returns that is not the hub's, or not for the station it is kept under.
    StatementRefused {
        key: String,
        version: String,
        why: String,
    },
    /// A return the hub states that the stations' chains do not show.
    ReturnNotShown {
        station: String,
        camera: String,
        why: String,
    },
}

impl std::fmt::Display for AuditFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditFinding::Station { station, alarm } => {
                write!(f, "station {station}: {} ({alarm})", alarm.code())
            }
            AuditFinding::EnrolmentNotSigned { key, version } => {
                write!(f, "{key} version {version} is not signed by the hub's key")
            }
            AuditFinding::StatementRefused { key, version, why } => {
                write!(f, "{key} version {version}: {why}")
            }
            AuditFinding::ReturnNotShown {
                station,
                camera,
                why,
            } => write!(
                f,
                "the statement to {station} says camera {camera} returned elsewhere, but {why}"
            ),
        }
    }
}

/// Each return of `statement` checked against the chains loaded from the bucket (`chains`, by
/// station): `why_not_shown`.
pub fn check_returns(
    statement: &ReturnsBody,
    chains: &HashMap<String, Vec<StoredEvent>>,
) -> Vec<AuditFinding> {
    let mut out = Vec::new();
    for r in &statement.returns {
        let undock = chains
            .get(&statement.station)
            .and_then(|c| c.iter().find(|e| e.seq == r.undocked_seq));
        let dock = chains.get(&r.docked_station).and_then(|c| {
            c.iter().find(|e| {
                e.at == r.docked_at
                    && e.kind == EventKind::CameraDocked.as_str()
                    && e.camera.as_deref() == Some(r.camera.as_str())
            })
        });
        if let Some(why) = why_not_shown(&statement.station, r, undock, dock) {
            out.push(AuditFinding::ReturnNotShown {
                station: statement.station.clone(),
                camera: r.camera.clone(),
                why,
            });
        }
    }
    out
}

/// Each return elsewhere a station recorded on its chain (`camera-returned-elsewhere`), judged as
/// the hub judges them (`why_not_shown`): one the chains do not show is the hub's alarm.
pub fn check_recorded_returns(chains: &HashMap<String, Vec<StoredEvent>>) -> Vec<AuditFinding> {
    let mut stations: Vec<&String> = chains.keys().collect();
    stations.sort();
    let mut out = Vec::new();
    for station in stations {
        let chain = &chains[station];
        for e in chain
            .iter()
            .filter(|e| e.kind == EventKind::CameraReturnedElsewhere.as_str())
        {
            let why = match recorded_return(e) {
                Ok(r) => {
                    // A chain as `follow` gives it: in seq order.
                    let undock = chain
                        .binary_search_by_key(&r.undocked_seq, |u| u.seq)
                        .ok()
                        .map(|i| &chain[i]);
                    let dock = chains.get(&r.docked_station).and_then(|c| {
                        c.iter().find(|d| {
                            d.at == r.docked_at
                                && d.kind == EventKind::CameraDocked.as_str()
                                && d.camera.as_deref() == Some(r.camera.as_str())
                        })
                    });
                    why_not_shown(station, &r, undock, dock)
                }
                Err(why) => Some(why),
            };
            if let Some(why) = why {
                out.push(AuditFinding::Station {
                    station: station.clone(),
                    alarm: Alarm::ReturnNotShown {
                        camera: e.camera.clone().unwrap_or_default(),
                        seq: e.seq,
                        why,
                    },
                });
            }
        }
    }
    out
}

/// Why the chains do not show `r`, a return to `station` (none when they do): `undock` is the
/// station's event at the return's undock seq, `dock` a dock of the camera at the station and
/// time the return names. The undock must be the camera's undock (or checkout at the desk) at
/// that time, and the dock at another station, after it. The auditor judges the hub's statements
/// by it, and the hub each return a station recorded.
pub fn why_not_shown(
    station: &str,
    r: &Return,
    undock: Option<&StoredEvent>,
    dock: Option<&StoredEvent>,
) -> Option<String> {
    let is = |e: &StoredEvent, kind: EventKind| {
        e.kind == kind.as_str() && e.camera.as_deref() == Some(r.camera.as_str())
    };
    let undock = undock.filter(|e| {
        e.at == r.undocked_at
            && (is(e, EventKind::CameraUndocked)
                || (is(e, EventKind::CameraAssigned) && crate::projection::checked_out(e)))
    });
    let dock = dock.filter(|e| {
        e.at == r.docked_at && is(e, EventKind::CameraDocked) && r.docked_station != station
    });
    if undock.is_none() {
        Some(format!(
            "{station}'s chain has no undock of it at event {} ({})",
            r.undocked_seq, r.undocked_at
        ))
    } else if dock.is_none() {
        Some(format!(
            "{}'s chain has no dock of it at {}",
            r.docked_station, r.docked_at
        ))
    } else if r.docked_at <= r.undocked_at {
        Some(format!(
            "its dock at {} ({}) is not after its undock ({})",
            r.docked_station, r.docked_at, r.undocked_at
        ))
    } else {
        None
    }
}
