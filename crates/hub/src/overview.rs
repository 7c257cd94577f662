//! What the hub's dashboard shows besides the fleet and the alarms: each station's standing (its
//! unit, head, last event, backlog, alarms) and clips found across the bureau by camera, officer,
//! case and dates, read from the events the hub has loaded.

use crate::projection::{Projection, ProjectionError};
use crate::silence::Heard;

/// One enrolled station as the bureau sees it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StationStanding {
    pub station: String,
    pub unit: String,
    /// The newest seq loaded (None before the first).
    pub head: Option<i64>,
    /// Its chain broke at the hub (a tamper alarm is on record).
    pub broken: bool,
    #[serde(flatten)]
    pub heard: Heard,
    /// Clips stored and not replicated yet.
    pub backlog: i64,
    pub alarms: i64,
}

/// What a clip search asks; each part left out matches every clip.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ClipQuery {
    pub camera: Option<String>,
    pub officer: Option<String>,
    pub case: Option<String>,
    /// Recorded at or after (as the ledger writes instants, so that text compares as time: the
    /// dashboard normalises what it is given; the corrected time where the station corrected the
    /// camera's clock, the time stored where the clip carries none).
    pub from: Option<String>,
    /// Recorded before.
    pub to: Option<String>,
}

/// A recording found: the clip, where it was stored, by whom it was recorded, its cases.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FoundClip {
    pub station: String,
    pub unit: String,
    pub seq: i64,
    pub camera: Option<String>,
    pub clip: Option<String>,
    pub officer: Option<String>,
    pub recorded_at: Option<String>,
    pub stored_at: String,
    pub source: Option<String>,
    pub bytes: Option<i64>,
    /// The cases it is tagged with at any station and not untagged from since.
    pub cases: Vec<String>,
}

/// At most this many clips answer one search (newest first): a bureau's years do not fit a page.
pub const CLIPS_SHOWN: i64 = 200;

/// A part of the query left blank is no part.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Projection {
    /// Every enrolled station, by unit then name.
    pub async fn standings(&self) -> Result<Vec<StationStanding>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT s.station, s.unit, h.seq, coalesce(h.broken, false),
                    (SELECT at FROM hub_events e WHERE e.station = s.station ORDER BY seq DESC LIMIT 1),
                    extract(epoch FROM now() - h.moved_at)::float8,
                    (SELECT count(*) FROM hub_unreplicated u WHERE u.station = s.station),
                    (SELECT count(*) FROM hub_alarms a WHERE a.station = s.station)
                 FROM hub_stations s LEFT JOIN hub_heads h ON h.station = s.station
                 ORDER BY s.unit, s.station",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StationStanding {
                station: r.get(0),
                unit: r.get(1),
                head: r.get(2),
                broken: r.get(3),
                heard: Heard {
                    last_event_at: r.get(4),
                    quiet_seconds: r.get(5),
                },
                backlog: r.get(6),
                alarms: r.get(7),
            })
            .collect())
    }

    /// The recordings (`clip-stored`, `clip-already-stored`) that match `q`, newest first, at most
    /// `CLIPS_SHOWN`.
    pub async fn find_clips(&self, q: &ClipQuery) -> Result<Vec<FoundClip>, ProjectionError> {
        let rows = self
            .client
            .query(
                "WITH tags AS (
                    SELECT t.clip_sha256 AS clip, t.detail_json::jsonb->>'case' AS case_id
                    FROM hub_events t
                    WHERE t.kind = 'clip-tagged' AND t.detail_json::jsonb->>'case' IS NOT NULL
                      AND NOT EXISTS (
                        SELECT 1 FROM hub_events u
                        WHERE u.kind = 'clip-untagged' AND u.station = t.station AND u.seq > t.seq
                          AND u.clip_sha256 = t.clip_sha256
                          AND u.detail_json::jsonb->>'case' = t.detail_json::jsonb->>'case'))
                 SELECT e.station, s.unit, e.seq, e.camera, e.clip_sha256, d->>'officer',
                    coalesce(d->>'recorded_at_corrected', d->>'recorded_at'), e.at, d->>'source',
                    (d->>'bytes')::bigint,
                    coalesce((SELECT array_agg(DISTINCT case_id ORDER BY case_id) FROM tags
                              WHERE tags.clip = e.clip_sha256), '{}')
                 FROM hub_events e JOIN hub_stations s ON s.station = e.station,
                    LATERAL (SELECT e.detail_json::jsonb AS d) j
                 WHERE e.kind IN ('clip-stored', 'clip-already-stored')
                   AND ($1::text IS NULL OR e.camera = $1)
                   AND ($2::text IS NULL OR d->>'officer' = $2)
                   AND ($3::text IS NULL OR e.clip_sha256 IN (SELECT clip FROM tags WHERE case_id = $3))
                   AND ($4::text IS NULL OR coalesce(d->>'recorded_at_corrected', d->>'recorded_at', e.at) >= $4)
                   AND ($5::text IS NULL OR coalesce(d->>'recorded_at_corrected', d->>'recorded_at', e.at) < $5)
                 ORDER BY coalesce(d->>'recorded_at_corrected', d->>'recorded_at', e.at) DESC,
                    e.station, e.seq
                 LIMIT $6",
                &[
                    &given(&q.camera),
                    &given(&q.officer),
                    &given(&q.case),
                    &given(&q.from),
                    &given(&q.to),
                    &CLIPS_SHOWN,
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| FoundClip {
                station: r.get(0),
                unit: r.get(1),
                seq: r.get(2),
                camera: r.get(3),
                clip: r.get(4),
                officer: r.get(5),
                recorded_at: r.get(6),
                stored_at: r.get(7),
                source: r.get(8),
                bytes: r.get(9),
                cases: r.get(10),
            })
            .collect())
    }
}
