//! The usage ledger the rules require: which officer had which camera, from when to when.
//! An assignment names the holder; each undock (or an assignment of a camera not in its dock)
//! starts a period out, the next dock ends it.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use camdock_record::detail::CameraAssignedDetail;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Period {
    pub camera: String,
    pub officer: Option<String>,
    /// Undock: the camera left the station.
    pub checked_out_at: String,
    /// The next dock; None while the camera is still out.
    pub checked_in_at: Option<String>,
}

/// An assignment on the record: its event, and whether the camera was known to the station.
#[derive(Debug)]
pub struct Assigned {
    pub seq: i64,
    /// False: the station had never seen the camera (a new one, handed out before its first dock).
    pub known: bool,
}

/// The longest camera identifier an assignment takes.
const CAMERA_ID_MAX: usize = 64;

/// A camera identifier as an equipment manager types it: 1–64 letters, digits, '-', '_', '.' or
/// ':', beginning with a letter or digit (serials, `unknown-<volume>` names). Anything else (a
/// path, an escape sequence, 5,000 characters) names no camera.
pub fn valid_camera_id(camera: &str) -> Result<(), String> {
    let ok = (1..=CAMERA_ID_MAX).contains(&camera.len())
        && camera.starts_with(|c: char| c.is_ascii_alphanumeric())
        && camera
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a camera identifier: 1-{CAMERA_ID_MAX} letters, digits, '-', '_', '.' or ':', beginning with a letter or digit",
            crate::printable::text(&camera.chars().take(80).collect::<String>())
        ))
    }
}

/// Assigns a camera to an officer (the holder from now on); recorded as `camera-assigned`. A
/// camera neither in its dock nor already out is checked out by the assignment: its time out (and
/// the overdue clock) starts now, as an undock's would, so a camera handed out and never docked
/// becomes overdue.
pub fn assign(
    station: &Station,
    camera: &str,
    officer: &str,
    by: &str,
) -> anyhow::Result<Assigned> {
    valid_camera_id(camera).map_err(|e| crate::usage!("{e}"))?;
    if officer.trim().is_empty()
        || officer.chars().count() > 64
        || officer.chars().any(char::is_control)
    {
        return Err(crate::usage!(
            "an officer is named by 1-64 characters, none of them control characters"
        ));
    }
    let mut ledger = station.ledger();
    ledger.write(|w| {
        let known: bool = w.tx().query_row(
            "SELECT EXISTS(SELECT 1 FROM cameras WHERE camera = ?1)",
            [camera],
            |r| r.get(0),
        )?;
        // (docked, out): a camera already out (undocked, or handed out before) changes hands in
        // the field; its time out started then, not now.
        let (docked, out): (bool, bool) = w
            .tx()
            .query_row(
                "SELECT docked, NOT docked AND last_undocked_at IS NOT NULL FROM cameras WHERE camera = ?1",
                [camera],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or((false, false));
        let checked_out = !docked && !out;
        let seq = w.append(
            NewEvent::new(EventKind::CameraAssigned, by)
                .camera(camera)
                .typed(&CameraAssignedDetail {
                    officer: officer.into(),
                    station: station.actor().into(),
                    docked,
                    checked_out,
                }),
        )?;
        let now = crate::time::stamp(w.now());
        w.tx().execute(
            "INSERT INTO cameras(camera, first_seen_at, docked, officer, last_undocked_at) VALUES (?1, ?2, 0, ?3, ?2)
             ON CONFLICT(camera) DO UPDATE SET officer = ?3,
               last_undocked_at = CASE WHEN docked THEN last_undocked_at ELSE ?2 END",
            rusqlite::params![camera, now, officer],
        )?;
        Ok(Assigned { seq, known })
    })
}

/// Every period out, oldest first, for one camera or all.
pub fn history(station: &Station, camera: Option<&str>) -> anyhow::Result<Vec<Period>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT camera, kind, at, json_extract(detail_json, '$.officer'),
                coalesce(json_extract(detail_json, '$.checked_out'), 0) FROM events
         WHERE kind IN ('camera-assigned', 'camera-docked', 'camera-undocked') AND (?1 IS NULL OR camera = ?1)
         ORDER BY camera, seq",
    )?;
    let rows = stmt.query_map([camera], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut periods: Vec<Period> = Vec::new();
    let mut holder: std::collections::HashMap<String, Option<String>> = Default::default();
    for row in rows {
        let (cam, kind, at, officer, checked_out) = row?;
        match kind.as_str() {
            "camera-assigned" if checked_out => {
                // Handed out from the counter, not from a dock: the period out starts here.
                holder.insert(cam.clone(), officer.clone());
                periods.push(Period {
                    officer,
                    camera: cam,
                    checked_out_at: at,
                    checked_in_at: None,
                });
            }
            "camera-assigned" => {
                holder.insert(cam, officer);
            }
            "camera-docked" => {
                if officer.is_some() && !holder.get(&cam).is_some_and(Option::is_some) {
                    holder.insert(cam.clone(), officer);
                }
                if let Some(p) = periods.iter_mut().rev().find(|p| p.camera == cam) {
                    p.checked_in_at.get_or_insert(at);
                }
            }
            _ => periods.push(Period {
                officer: holder.get(&cam).cloned().flatten(),
                camera: cam,
                checked_out_at: at,
                checked_in_at: None,
            }),
        }
    }
    Ok(periods)
}
