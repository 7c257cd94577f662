//! Overdue cameras: out of the dock longer than `policy.overdue_after`. Each episode (from an
//! undock until the next dock) is recorded once as `camera-overdue` and notified once.

use crate::ledger::{EventKind, NewEvent};
use crate::notification;
use crate::station::Station;
use camdock_record::detail::{CameraOverdueDetail, NotificationFailedDetail};
use chrono::{DateTime, Utc};

/// Records and notifies every overdue episode not yet on the record; returns the cameras.
pub fn record_episodes(station: &Station, now: DateTime<Utc>) -> anyhow::Result<Vec<String>> {
    let overdue = station
        .ledger()
        .overdue_at(now, station.config.policy.overdue_after)?;
    let mut recorded = Vec::new();
    for o in overdue {
        // One event per episode: skip if one was written after this undock.
        let already: bool = station.ledger().conn().query_row(
            "SELECT count(*) > 0 FROM events WHERE camera = ?1 AND kind = 'camera-overdue' AND at >= ?2",
            rusqlite::params![o.camera, o.out_since],
            |r| r.get(0),
        )?;
        if already {
            continue;
        }
        let detail = CameraOverdueDetail {
            out_since: o.out_since.clone(),
            hours_out: o.hours_out,
            officer: o.officer.clone(),
            limit_hours: station.config.policy.overdue_after.as_secs() / 3600,
        };
        station.ledger().append(
            NewEvent::new(EventKind::CameraOverdue, station.actor())
                .camera(&o.camera)
                .typed(&detail),
        )?;
        let detail = serde_json::to_value(&detail)?;
        tracing::warn!(camera = o.camera, hours_out = o.hours_out, "camera overdue");
        for failure in notification::send(
            &station.config.notify,
            "camera-overdue",
            Some(&o.camera),
            None,
            &detail,
        ) {
            tracing::error!("{failure}");
            station.ledger().append(
                NewEvent::new(EventKind::NotificationFailed, station.actor())
                    .camera(&o.camera)
                    .typed(&NotificationFailedDetail {
                        about: "camera-overdue".into(),
                        error: failure.clone(),
                    }),
            )?;
        }
        recorded.push(o.camera);
    }
    Ok(recorded)
}
