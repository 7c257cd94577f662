//! A camera back at another station: the hub's signed statement (`camdock_record::returns`)
//! closes its open episode here on record, as `camera-returned-elsewhere`, so neither the overdue
//! check nor the fleet keeps judging it out. Only an episode the statement names exactly (the
//! camera's latest dock event here is the undock it names) is closed, once, judged in the write's
//! transaction on the chained events: the camera's latest dock, undock, checkout at the desk or
//! return elsewhere here must be the very undock (seq and time) the statement names.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::CameraReturnedElsewhereDetail;
use camdock_record::returns::ReturnsStatement;

/// Records every return in `statement` (its bytes' SHA-256 `sha256`) that closes an open episode
/// here; returns the cameras closed.
pub fn close(
    station: &Station,
    statement: &ReturnsStatement,
    sha256: &str,
) -> anyhow::Result<Vec<String>> {
    station.ledger().write(|w| {
        let mut closed = Vec::new();
        for r in &statement.body.returns {
            let last = crate::ledger::queries::last_episode_event(w.tx(), &r.camera)?;
            // `last_episode_event` gives a `camera-assigned` only when it handed the camera out.
            let open = last.is_some_and(|(seq, kind, at)| {
                (kind == EventKind::CameraUndocked.as_str()
                    || kind == EventKind::CameraAssigned.as_str())
                    && seq == r.undocked_seq
                    && at == r.undocked_at
            });
            if !open || r.docked_at <= r.undocked_at {
                continue;
            }
            w.append(
                NewEvent::new(EventKind::CameraReturnedElsewhere, station.actor())
                    .camera(&r.camera)
                    .typed(&CameraReturnedElsewhereDetail {
                        undocked_seq: r.undocked_seq,
                        undocked_at: r.undocked_at.clone(),
                        docked_station: r.docked_station.clone(),
                        docked_at: r.docked_at.clone(),
                        statement_issued_at: statement.body.issued_at.clone(),
                        statement_sha256: sha256.to_string(),
                    }),
            )?;
            closed.push(r.camera.clone());
        }
        Ok(closed)
    })
}
