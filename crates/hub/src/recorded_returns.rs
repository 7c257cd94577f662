//! Each `camera-returned-elsewhere` a station recorded, checked against the hub's own record. A
//! station writes one only from the hub's signed statement, but whoever holds a station's ledger
//! and its checkpoint key (its admin) can append one that closes an overdue episode the hub never
//! stated. The hub judges each as the auditor judges its statements (`audit::why_not_shown`): the
//! undock it closes is on the station's chain, and the dock it names is at another station, after
//! it. Judged once every station's pass has loaded (the dock is often another station's event),
//! and once: the events are chained and do not change.

use crate::alarm::Alarm;
use crate::audit::why_not_shown;
use crate::projection::{Projection, ProjectionError, RAISE};
use camdock_record::detail::CameraReturnedElsewhereDetail;
use camdock_record::event::StoredEvent;
use camdock_record::returns::Return;

impl Projection {
    /// Judges every return recorded by a station since the last time, raises an alarm for each
    /// the hub's record does not show, and gives the alarms newly raised, by station.
    pub async fn judge_recorded_returns(
        &mut self,
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
                Ok(r) => {
                    let undock = self.event(&station, r.undocked_seq).await?;
                    let dock = self.dock_at(&r).await?;
                    why_not_shown(&station, &r, undock.as_ref(), dock.as_ref())
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
                let text = serde_json::to_string(&alarm).expect("plain values serialise");
                if tx
                    .execute(RAISE, &[&station, &alarm.code(), &alarm.seq(), &text])
                    .await?
                    == 1
                {
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
        let row = self
            .client
            .query_opt(
                "SELECT seq FROM hub_events
                 WHERE camera = $1 AND at = $2 AND station = $3 AND kind = 'camera-docked' LIMIT 1",
                &[&r.camera, &r.docked_at, &r.docked_station],
            )
            .await?;
        match row {
            Some(row) => self.event(&r.docked_station, row.get(0)).await,
            None => Ok(None),
        }
    }
}

/// The return a `camera-returned-elsewhere` event records, or why it records none.
pub(crate) fn recorded_return(e: &StoredEvent) -> Result<Return, String> {
    let d = serde_json::from_str::<CameraReturnedElsewhereDetail>(&e.detail_json)
        .map_err(|why| format!("its detail is not a return this hub can read ({why})"))?;
    Ok(Return {
        camera: e.camera.clone().unwrap_or_default(),
        undocked_seq: d.undocked_seq,
        undocked_at: d.undocked_at,
        docked_station: d.docked_station,
        docked_at: d.docked_at,
    })
}
