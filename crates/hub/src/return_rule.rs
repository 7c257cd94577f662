//! When a return elsewhere is shown by the stations' chains: the one rule by which the auditor
//! judges the hub's statements (`audit::check_returns`), and the hub (`recorded_returns`) and the
//! auditor (`audit::check_recorded_returns`) judge each `camera-returned-elsewhere` a station
//! recorded. A station writes one only from the hub's signed statement and only for the camera's
//! latest episode out, once; its admin, holding the ledger and the checkpoint key, can append any.

use camdock_record::detail::CameraReturnedElsewhereDetail;
use camdock_record::event::StoredEvent;
use camdock_record::kind::EventKind;
use camdock_record::returns::Return;
use serde::{Deserialize, Serialize};

/// Why the chains do not show a return. Typed, not text: an alarm's JSON is its identity, so a
/// reworded reason must not raise it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case")]
pub enum ReturnFault {
    /// The event's detail is not a return this hub can read.
    Unreadable { why: String },
    /// `station`'s chain has no undock (or checkout) of the camera at event `seq`, time `at`.
    NoUndock {
        station: String,
        seq: i64,
        at: String,
    },
    /// `station`'s chain (another station's) has no dock of the camera at `at`.
    NoDock { station: String, at: String },
    /// The dock at `station` (`docked_at`) is not after the undock (`undocked_at`).
    DockNotAfter {
        station: String,
        docked_at: String,
        undocked_at: String,
    },
    /// The undock the return closes (`undocked_seq`) is not the camera's latest episode event
    /// before it: `kind` at `seq` came after it.
    NotLatest {
        undocked_seq: i64,
        kind: String,
        seq: i64,
    },
}

impl std::fmt::Display for ReturnFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReturnFault::Unreadable { why } => {
                write!(f, "its detail is not a return this hub can read ({why})")
            }
            ReturnFault::NoUndock { station, seq, at } => {
                write!(
                    f,
                    "{station}'s chain has no undock of it at event {seq} ({at})"
                )
            }
            ReturnFault::NoDock { station, at } => {
                write!(f, "{station}'s chain has no dock of it at {at}")
            }
            ReturnFault::DockNotAfter {
                station,
                docked_at,
                undocked_at,
            } => write!(
                f,
                "its dock at {station} ({docked_at}) is not after its undock ({undocked_at})"
            ),
            ReturnFault::NotLatest {
                undocked_seq,
                kind,
                seq,
            } => write!(
                f,
                "the undock it closes (event {undocked_seq}) is not the camera's latest there: {kind} {seq} came after it"
            ),
        }
    }
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
) -> Option<ReturnFault> {
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
        Some(ReturnFault::NoUndock {
            station: station.into(),
            seq: r.undocked_seq,
            at: r.undocked_at.clone(),
        })
    } else if dock.is_none() {
        Some(ReturnFault::NoDock {
            station: r.docked_station.clone(),
            at: r.docked_at.clone(),
        })
    } else if r.docked_at <= r.undocked_at {
        Some(ReturnFault::DockNotAfter {
            station: r.docked_station.clone(),
            docked_at: r.docked_at.clone(),
            undocked_at: r.undocked_at.clone(),
        })
    } else {
        None
    }
}

/// Whether `e` is the dock `r` names: of its camera, at its time (the station is the chain's).
pub fn is_dock_named(e: &StoredEvent, r: &Return) -> bool {
    e.at == r.docked_at
        && e.kind == EventKind::CameraDocked.as_str()
        && e.camera.as_deref() == Some(r.camera.as_str())
}

/// Whether `e` begins or ends an episode out of `camera` at its station: a dock, an undock, a
/// checkout at the desk, or a return elsewhere already recorded.
pub fn is_episode_event(e: &StoredEvent, camera: &str) -> bool {
    if e.camera.as_deref() != Some(camera) {
        return false;
    }
    match e.kind.parse::<EventKind>() {
        Ok(
            EventKind::CameraDocked
            | EventKind::CameraUndocked
            | EventKind::CameraReturnedElsewhere,
        ) => true,
        Ok(EventKind::CameraAssigned) => crate::projection::checked_out(e),
        _ => false,
    }
}

/// Why the chains do not show the return `r` a station recorded (none when they do): `later` is
/// the camera's first episode event at the station after the undock the return closes and before
/// the return itself. There must be none (a return closes the camera's latest episode, once: one
/// copied from before, or naming an undock since followed by a dock, is not), and the return must
/// be shown as a statement's is (`why_not_shown`).
pub fn why_recorded_not_shown(
    station: &str,
    r: &Return,
    undock: Option<&StoredEvent>,
    dock: Option<&StoredEvent>,
    later: Option<&StoredEvent>,
) -> Option<ReturnFault> {
    match later {
        Some(x) => Some(ReturnFault::NotLatest {
            undocked_seq: r.undocked_seq,
            kind: x.kind.clone(),
            seq: x.seq,
        }),
        None => why_not_shown(station, r, undock, dock),
    }
}

/// The return a `camera-returned-elsewhere` event records, or why it records none.
pub fn recorded_return(e: &StoredEvent) -> Result<Return, ReturnFault> {
    let d =
        serde_json::from_str::<CameraReturnedElsewhereDetail>(&e.detail_json).map_err(|why| {
            ReturnFault::Unreadable {
                why: why.to_string(),
            }
        })?;
    Ok(Return {
        camera: e.camera.clone().unwrap_or_default(),
        undocked_seq: d.undocked_seq,
        undocked_at: d.undocked_at,
        docked_station: d.docked_station,
        docked_at: d.docked_at,
    })
}
