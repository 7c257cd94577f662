//! When a return elsewhere is shown by the stations' chains: the one rule by which the auditor
//! judges the hub's statements (`audit::check_returns`), and the hub (`recorded_returns`) and the
//! auditor (`audit::check_recorded_returns`) judge each `camera-returned-elsewhere` a station
//! recorded. A station writes one only from the hub's signed statement and only for the camera's
//! latest episode out, once; its admin, holding the ledger and the checkpoint key, can append any.

use camdock_record::detail::CameraReturnedElsewhereDetail;
use camdock_record::event::StoredEvent;
use camdock_record::kind::EventKind;
use camdock_record::returns::Return;

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
) -> Option<String> {
    match later {
        Some(x) => Some(format!(
            "the undock it closes (event {}) is not the camera's latest there: {} {} came after it",
            r.undocked_seq, x.kind, x.seq
        )),
        None => why_not_shown(station, r, undock, dock),
    }
}

/// The return a `camera-returned-elsewhere` event records, or why it records none.
pub fn recorded_return(e: &StoredEvent) -> Result<Return, String> {
    let d = serde_json::from_str::<CameraReturnedElsewhereDetail>(&e.detail_json)
        .map_err(|why| format!("its detail is not a return this hub can read ({why})"))?;
    Ok(Return {
        camera: e.camera.clone().unwrap_or_default(),
        undocked_seq: d.undocked_seq,
        undocked_at: d.undocked_at,
        docked_station: d.docked_station,
        docked_at: d.docked_at,
    })
}
