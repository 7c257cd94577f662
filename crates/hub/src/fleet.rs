//! Custody across stations: the bureau's fleet (each camera's latest dock and undock anywhere,
//! kept as events load, so the view does not grow with them) and, per station, the cameras it
//! last saw leave that docked since at another station: the returns the hub states to it.

use crate::projection::{Projection, ProjectionError};
use camdock_record::returns::Return;

/// A camera as the bureau sees it, across every station.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BureauCamera {
    pub camera: String,
    pub docked_at: Option<String>,
    pub docked_station: Option<String>,
    pub undocked_at: Option<String>,
    pub undocked_station: Option<String>,
    /// Undocked after its last dock at any station.
    pub out: bool,
    /// Out for longer than the policy allows, judged bureau-wide.
    pub overdue: bool,
    /// Its latest battery and storage reading at any station, and why it needs attention then.
    pub health: Option<CameraHealth>,
    /// Its latest clock check at any station.
    pub clock: Option<CameraClock>,
}

/// A camera's latest `health-read`, as the station recorded it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CameraHealth {
    pub at: String,
    pub station: String,
    pub battery_percent: Option<i32>,
    pub storage_free_bytes: Option<i64>,
    /// The station's attention items then (code, figures, text), as it wrote them.
    pub attention: serde_json::Value,
}

/// A camera's latest `clock-checked`: how far its clock was from the station's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CameraClock {
    pub at: String,
    pub offset_ms: Option<i64>,
    pub within_tolerance: Option<bool>,
}

impl Projection {
    /// The bureau's fleet: every camera docked or undocked anywhere, where it was last docked
    /// and undocked, and whether it is out (undocked after its last dock anywhere) and overdue
    /// (out since before `cutoff`, an instant as the ledger writes them).
    pub async fn fleet(&self, cutoff: &str) -> Result<Vec<BureauCamera>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT camera, docked_at, docked_station, undocked_at, undocked_station,
                    health_at, health_station, battery_percent, storage_free_bytes,
                    attention, clock_at, clock_offset_ms, clock_within
                 FROM hub_cameras WHERE docked_at IS NOT NULL OR undocked_at IS NOT NULL
                 ORDER BY camera",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let docked_at: Option<String> = r.get(1);
                let undocked_at: Option<String> = r.get(3);
                let out = match (&docked_at, &undocked_at) {
                    (Some(d), Some(u)) => u > d,
                    (None, Some(_)) => true,
                    _ => false,
                };
                let overdue = out && undocked_at.as_deref().is_some_and(|u| u < cutoff);
                BureauCamera {
                    camera: r.get(0),
                    docked_at,
                    docked_station: r.get(2),
                    undocked_at,
                    undocked_station: r.get(4),
                    out,
                    overdue,
                    health: r.get::<_, Option<String>>(5).map(|at| CameraHealth {
                        at,
                        station: r.get::<_, Option<String>>(6).unwrap_or_default(),
                        battery_percent: r.get(7),
                        storage_free_bytes: r.get(8),
                        attention: r
                            .get::<_, Option<&str>>(9)
                            .and_then(|t| serde_json::from_str(t).ok())
                            .unwrap_or(serde_json::Value::Array(Vec::new())),
                    }),
                    clock: r.get::<_, Option<String>>(10).map(|at| CameraClock {
                        at,
                        offset_ms: r.get(11),
                        within_tolerance: r.get(12),
                    }),
                }
            })
            .collect())
    }

    /// The cameras whose latest undock (or checkout at the desk) at `station` was followed by a
    /// dock at another station, each with the first such dock (what `station` needs to close its
    /// episode; a tie in time goes to the station named first, so a statement does not change
    /// with the order stations loaded).
    pub async fn returns_for(&self, station: &str) -> Result<Vec<Return>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT u.camera, u.seq, u.at, d.station, d.at FROM hub_undocks u
                 CROSS JOIN LATERAL (
                     SELECT e.station, e.at FROM hub_events e
                     WHERE e.camera = u.camera AND e.kind = 'camera-docked' AND e.at > u.at
                       AND e.station <> u.station
                     ORDER BY e.at, e.station, e.seq LIMIT 1) d
                 WHERE u.station = $1 ORDER BY u.camera",
                &[&station],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Return {
                camera: r.get(0),
                undocked_seq: r.get(1),
                undocked_at: r.get(2),
                docked_station: r.get(3),
                docked_at: r.get(4),
            })
            .collect())
    }

    /// What the hub last published to `station`.
    pub async fn published(&self, station: &str) -> Result<Option<Published>, ProjectionError> {
        Ok(self
            .client
            .query_opt(
                "SELECT body_sha256, version, extract(epoch FROM now() - issued_at)::float8
                 FROM hub_published WHERE station = $1",
                &[&station],
            )
            .await?
            .map(|r| Published {
                body_sha256: r.get(0),
                version: r.get(1),
                age_seconds: r.get(2),
            }))
    }

    /// Notes that a statement with body `sha256` was published to `station` now, as `version`.
    pub async fn mark_published(
        &self,
        station: &str,
        sha256: &str,
        version: Option<&str>,
    ) -> Result<(), ProjectionError> {
        self.client
            .execute(
                "INSERT INTO hub_published(station, body_sha256, version, issued_at)
                 VALUES ($1, $2, $3, now())
                 ON CONFLICT (station) DO UPDATE SET body_sha256 = EXCLUDED.body_sha256,
                     version = EXCLUDED.version, issued_at = EXCLUDED.issued_at",
                &[&station, &sha256, &version],
            )
            .await?;
        Ok(())
    }
}

/// The statement of returns the hub last published to a station.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    /// SHA-256 of its returns (not of when it was issued).
    pub body_sha256: String,
    /// The bucket's version of the object written.
    pub version: Option<String>,
    pub age_seconds: f64,
}
