//! Reconciliation of what the stations stored with what they replicated: every `clip-stored`
//! event waits, per station, for its `clip-replicated` (kept as the events load); one waiting
//! longer than the hub allows is an alarm, and what waits is each station's backlog.

use crate::alarm::Alarm;
use crate::projection::{Projection, ProjectionError};
use std::collections::BTreeMap;

impl Projection {
    /// The clips of `station` stored before `cutoff` (an instant as the ledger writes them) and
    /// not replicated since, as alarms.
    pub async fn unreplicated(
        &self,
        station: &str,
        cutoff: &str,
    ) -> Result<Vec<Alarm>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT clip, seq, stored_at FROM hub_unreplicated
                 WHERE station = $1 AND stored_at < $2 ORDER BY seq",
                &[&station, &cutoff],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Alarm::Unreplicated {
                clip: r.get(0),
                seq: r.get(1),
                stored_at: r.get(2),
            })
            .collect())
    }

    /// Each enrolled station's clips stored and not replicated yet (0 for none).
    pub async fn backlog(&self) -> Result<BTreeMap<String, i64>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT s.station, count(u.clip) FROM hub_stations s
                 LEFT JOIN hub_unreplicated u ON u.station = s.station
                 GROUP BY s.station ORDER BY s.station",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
