//! An auditor who trusts neither a station nor the hub's database: what the bucket alone shows,
//! checked against the hub's public key. Each station's chain is recomputed from every version of
//! its objects (`follow` from the genesis: the same rules as the hub's passes), and each statement
//! of returns elsewhere the hub published is checked against those chains: a return the chains do
//! not show is named (a hub whose database was altered signs what it is told), as is each return a
//! station recorded that the chains do not show (a station's admin can append one).

use crate::alarm::Alarm;
use crate::return_rule::{
    ReturnFault, is_dock_named, is_episode_event, recorded_return, why_not_shown,
    why_recorded_not_shown,
};
use camdock_record::event::StoredEvent;
use camdock_record::kind::EventKind;
use camdock_record::returns::ReturnsBody;
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
        why: ReturnFault,
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
/// station): `return_rule::why_not_shown`.
pub fn check_returns(
    statement: &ReturnsBody,
    chains: &HashMap<String, Vec<StoredEvent>>,
) -> Vec<AuditFinding> {
    let mut out = Vec::new();
    for r in &statement.returns {
        let undock = chains
            .get(&statement.station)
            .and_then(|c| c.iter().find(|e| e.seq == r.undocked_seq));
        let dock = chains
            .get(&r.docked_station)
            .and_then(|c| c.iter().find(|e| is_dock_named(e, r)));
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
/// the hub judges them (`return_rule::why_recorded_not_shown`): one the chains do not show is the
/// hub's alarm.
pub fn check_recorded_returns(chains: &HashMap<String, Vec<StoredEvent>>) -> Vec<AuditFinding> {
    let mut stations: Vec<&String> = chains.keys().collect();
    stations.sort();
    let mut out = Vec::new();
    for station in stations {
        let chain = &chains[station];
        // A chain as `follow` gives it: in seq order.
        let at = |seq: i64| chain.binary_search_by_key(&seq, |u| u.seq);
        for e in chain
            .iter()
            .filter(|e| e.kind == EventKind::CameraReturnedElsewhere.as_str())
        {
            let why = match recorded_return(e) {
                Ok(r) => {
                    let undock = at(r.undocked_seq).ok().map(|i| &chain[i]);
                    let between = match (at(r.undocked_seq), at(e.seq)) {
                        (Ok(from), Ok(to)) if from < to => &chain[from + 1..to],
                        _ => &[],
                    };
                    let later = between.iter().find(|x| is_episode_event(x, &r.camera));
                    let dock = chains
                        .get(&r.docked_station)
                        .and_then(|c| c.iter().find(|d| is_dock_named(d, &r)));
                    why_recorded_not_shown(station, &r, undock, dock, later)
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
