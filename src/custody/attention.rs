//! Seeing to why a camera needs attention. The reasons themselves are judged at each dock
//! (`camera::health`, `camera::identity`, …) and overdue at each look; an equipment manager who has
//! dealt with one (a battery swapped, a gap explained, an officer phoned) records it here, with a
//! note. The item stays on the fleet, marked with who and why, until the camera next docks and is
//! judged afresh: an acknowledgement never hides a condition that comes back.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::AttentionAcknowledgedDetail;

/// Records `attention-acknowledged` for an item the camera has now; refuses an item it has not
/// (a stale page, a mistyped code) and a blank note.
pub fn acknowledge(
    station: &Station,
    camera: &str,
    code: &str,
    note: &str,
    by: &str,
) -> anyhow::Result<i64> {
    let note = note.trim();
    if note.is_empty() {
        return Err(crate::usage!(
            "a note is needed: say what was done about it"
        ));
    }
    let mut ledger = station.ledger();
    let docked_as_seen = last_dock(ledger.conn(), camera)?;
    let fleet = ledger.fleet(chrono::Utc::now(), station.config.policy.overdue_after)?;
    let Some(view) = fleet.iter().find(|c| c.camera == camera) else {
        return Err(crate::usage!("no camera {camera} is known to this station"));
    };
    if !view.attention.iter().any(|a| a.code == code) {
        let now_listed: Vec<&str> = view.attention.iter().map(|a| a.code.as_str()).collect();
        return Err(crate::usage!(
            "camera {camera} has no attention item {code} now (it has: {})",
            if now_listed.is_empty() {
                "none".to_string()
            } else {
                now_listed.join(", ")
            }
        ));
    }
    ledger.write(|w| {
        // A dock between the look above and this write judged the camera afresh: what was
        // acknowledged may not be what it has now.
        if last_dock(w.tx(), camera)? != docked_as_seen {
            return Err(crate::usage!(
                "camera {camera} docked meanwhile: look at its attention items again"
            ));
        }
        w.append(
            NewEvent::new(EventKind::AttentionAcknowledged, by)
                .camera(camera)
                .typed(&AttentionAcknowledgedDetail {
                    code: code.into(),
                    note: note.into(),
                }),
        )
    })
}

fn last_dock(conn: &rusqlite::Connection, camera: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT max(seq) FROM events WHERE camera = ?1 AND kind = 'camera-docked'",
        [camera],
        |r| r.get(0),
    )
}
