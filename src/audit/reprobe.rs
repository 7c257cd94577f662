//! Media facts cut short, probed again. A stored clip whose probe failed ("unknown: probe
//! failed": the service stopped or the station lost power while the probe child parsed it, or the
//! child crashed) is handed to the probe once more, at the daemon's start and in each scrub; its
//! new facts are a `clip-probed` event like the first, naming why it was probed again. Once only:
//! a clip whose own bytes break the probe (a crash, a hang, its CPU limit) fails again, and that
//! second failure stays on record as the clip's facts.

use crate::ledger::{EventKind, NewEvent};
use crate::media::{Integrity, probe_isolated};
use crate::station::Station;
use camdock_record::detail::ClipProbedDetail;
use serde::Serialize;

/// A clip probed this many times is not tried again.
const TRIES: i64 = 2;

/// One clip probed again, and what its facts say now.
#[derive(Debug, Serialize)]
pub struct Reprobed {
    pub sha256: String,
    pub integrity: Integrity,
}

/// Probes again every stored clip whose facts are a failed probe tried fewer than `TRIES` times.
pub fn probe_again(station: &Station) -> anyhow::Result<Vec<Reprobed>> {
    let candidates: Vec<(String, String, Option<String>, Option<i64>)> = {
        let db = station.ledger();
        let mut query = db.conn().prepare(
            "SELECT c.sha256, c.store_path, first.camera, json_extract(first.detail_json, '$.session')
             FROM clips c
             LEFT JOIN events first ON first.seq = (
                 SELECT min(seq) FROM events WHERE clip_sha256 = c.sha256 AND kind = ?1)
             WHERE c.purged_seq IS NULL AND c.purge_started_seq IS NULL
               AND json_extract(c.media_json, '$.integrity') = 'unknown'
               AND json_extract(c.media_json, '$.problems[0]') LIKE 'probe failed:%'
               AND (SELECT count(*) FROM events WHERE clip_sha256 = c.sha256 AND kind = ?1) < ?2
             ORDER BY c.stored_seq",
        )?;
        let rows = query.query_map(
            rusqlite::params![EventKind::ClipProbed.as_str(), TRIES],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        rows.collect::<Result<_, _>>()?
    };
    let mut reprobed = Vec::new();
    for (sha256, store_path, camera, session) in candidates {
        let media = probe_isolated(
            &station.store.locate(&store_path),
            station.config.media.probe_timeout,
        );
        let integrity = media.integrity;
        let media_json = serde_json::to_string(&media)?;
        let mut event = NewEvent::new(EventKind::ClipProbed, station.actor())
            .clip(&sha256)
            .typed(&ClipProbedDetail {
                session: session.unwrap_or(0),
                media: Some(media),
                probed_again: Some(
                    "its earlier probe failed (cut by a stop or a crash, or the clip's own fault): probed once more".into(),
                ),
            });
        if let Some(camera) = &camera {
            event = event.camera(camera);
        }
        station.ledger().write(|w| {
            w.append(event)?;
            w.set_clip_media(&sha256, &media_json)
        })?;
        tracing::info!(
            clip = sha256,
            ?integrity,
            "a clip whose probe had failed was probed again"
        );
        reprobed.push(Reprobed { sha256, integrity });
    }
    crate::media::sandbox::stop_probe_child();
    Ok(reprobed)
}
