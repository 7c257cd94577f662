//! The usage ledger the rules require: which officer had which camera, from when to when.
//! An assignment names the holder; each undock starts a period out, the next dock ends it.

use crate::ledger::{EventKind, NewEvent};
use crate::station::Station;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Serialize)]
pub struct Period {
    pub camera: String,
    pub officer: Option<String>,
    /// Undock: the camera left the station.
    pub checked_out_at: String,
    /// The next dock; None while the camera is still out.
    pub checked_in_at: Option<String>,
}

/// Assigns a camera to an officer (the holder from now on); recorded as `camera-assigned`.
pub fn assign(station: &Station, camera: &str, officer: &str, by: &str) -> anyhow::Result<i64> {
    let mut ledger = station.ledger();
    ledger.write(|w| {
        let seq = w.append(
            NewEvent::new(EventKind::CameraAssigned, by)
                .camera(camera)
                .detail(json!({
                    "officer": officer, "station": station.actor(),
                })),
        )?;
        w.tx().execute(
            "INSERT INTO cameras(camera, first_seen_at, docked, officer) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT(camera) DO UPDATE SET officer = ?3",
            rusqlite::params![camera, crate::time::stamp(w.now()), officer],
        )?;
        Ok(seq)
    })
}

/// Every period out, oldest first, for one camera or all.
pub fn history(station: &Station, camera: Option<&str>) -> anyhow::Result<Vec<Period>> {
    let ledger = station.ledger();
    let mut stmt = ledger.conn().prepare(
        "SELECT camera, kind, at, json_extract(detail_json, '$.officer') FROM events
         WHERE kind IN ('camera-assigned', 'camera-docked', 'camera-undocked') AND (?1 IS NULL OR camera = ?1)
         ORDER BY camera, seq",
    )?;
    let rows = stmt.query_map([camera], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut periods: Vec<Period> = Vec::new();
    let mut holder: std::collections::HashMap<String, Option<String>> = Default::default();
    for row in rows {
        let (cam, kind, at, officer) = row?;
        match kind.as_str() {
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
