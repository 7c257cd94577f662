//! Each `camera-returned-elsewhere` a station recorded, checked against the hub's own record. A
//! station writes one only from the hub's signed statement, but whoever holds a station's ledger
//! and its checkpoint key (its admin) can append one that closes an overdue episode the hub never
//! stated. The hub judges each by `return_rule::why_recorded_not_shown`: the undock it closes is
//! the camera's latest episode event at the station before it, and the dock it names is at another
//! station, after it. Judged once every station's pass has loaded (the dock is often another
//! station's event), and once (the events are chained and do not change), unless the docking
//! station's pass failed: then at the next pass.

use crate::alarm::Alarm;
use crate::projection::{Projection, ProjectionError, raise_on};
use crate::return_rule::{
    is_dock_named, is_episode_event, recorded_return, why_recorded_not_shown,
};
use camdock_record::event::StoredEvent;
use camdock_record::returns::Return;

impl Projection {
    /// Judges every return recorded by a station since the last time, raises an alarm for each
    /// the hub's record does not show, and gives the alarms newly raised, by station. A return
    /// naming a dock at a station in `failed` (its pass could not be made) waits for a pass that
    /// loads it.
    pub async fn judge_recorded_returns(
        &mut self,
        failed: &[String],
    ) -> Result<Vec<(String, Alarm)>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT c.station, c.seq FROM hub_return_checks c ORDER BY c.station, c.seq",
                &[],
            )
            .await?;
        let mut judged = Vec::new();
        for row in &rows {
            let (station, seq): (String, i64) = (row.get(0), row.get(1));
            let Some(e) = self.event(&station, seq).await? else {
                continue;
            };
            let why = match recorded_return(&e) {
                Ok(r) if failed.contains(&r.docked_station) => continue,
                Ok(r) => {
                    let undock = self.event(&station, r.undocked_seq).await?;
                    let dock = self.dock_at(&r).await?;
                    let later = self.episode_between(&station, &r, e.seq).await?;
                    why_recorded_not_shown(
                        &station,
                        &r,
                        undock.as_ref(),
                        dock.as_ref(),
                        later.as_ref(),
                    )
                }
                Err(why) => Some(why),
            };
            judged.push((station, e, why));
        }
        let mut raised = Vec::new();
        let tx = self.client.transaction().await?;
        for (station, e, why) in judged {
            if let Some(why) = why {
                let alarm = Alarm::ReturnNotShown {
                    camera: e.camera.clone().unwrap_or_default(),
                    seq: e.seq,
                    why,
                };
                if raise_on(&tx, &station, &alarm).await? {
                    raised.push((station.clone(), alarm));
                }
            }
            tx.execute(
                "DELETE FROM hub_return_checks WHERE station = $1 AND seq = $2",
                &[&station, &e.seq],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(raised)
    }

    /// A dock of `r`'s camera at the station and time it names, as loaded.
    async fn dock_at(&self, r: &Return) -> Result<Option<StoredEvent>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT seq FROM hub_events WHERE camera = $1 AND at = $2 AND station = $3",
                &[&r.camera, &r.docked_at, &r.docked_station],
            )
            .await?;
        for row in rows {
            if let Some(e) = self.event(&r.docked_station, row.get(0)).await?
                && is_dock_named(&e, r)
            {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    /// The camera's first episode event at `station` after the undock `r` closes and before the
    /// return (event `before`).
    async fn episode_between(
        &self,
        station: &str,
        r: &Return,
        before: i64,
    ) -> Result<Option<StoredEvent>, ProjectionError> {
        let rows = self
            .client
            .query(
                "SELECT seq FROM hub_events
                 WHERE station = $1 AND camera = $2 AND seq > $3 AND seq < $4 ORDER BY seq",
                &[&station, &r.camera, &r.undocked_seq, &before],
            )
            .await?;
        for row in rows {
            if let Some(e) = self.event(station, row.get(0)).await?
                && is_episode_event(&e, &r.camera)
            {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }
}
