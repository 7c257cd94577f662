//! When a station last spoke, and whether it is silent: judged both by the stamp of its newest
//! event (its own clock) and by when the hub last loaded something new of it (the hub's clock).
//! Either alone misses one: a station whose clock is set ahead stamps its last event in the
//! future and would never fall silent by its stamps, and a hub rebuilt a moment ago has just
//! loaded everything.

use crate::projection::{Projection, ProjectionError};
use std::time::Duration;

/// How the hub last heard from a station.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Heard {
    /// When its newest loaded event was written, by its own clock.
    pub last_event_at: Option<String>,
    /// How long ago, by the hub's clock, a pass last loaded a new event of it.
    pub quiet_seconds: Option<f64>,
}

impl Heard {
    /// Its newest event is stamped before `silent_before` (or there is none), or the hub has
    /// loaded nothing new of it for `silent_after`.
    pub fn silent(&self, silent_before: &str, silent_after: Duration) -> bool {
        self.last_event_at
            .as_deref()
            .is_none_or(|at| at < silent_before)
            || self
                .quiet_seconds
                .is_some_and(|q| q >= silent_after.as_secs_f64())
    }
}

impl Projection {
    /// How the hub last heard from `station`.
    pub async fn heard(&self, station: &str) -> Result<Heard, ProjectionError> {
        let row = self
            .client
            .query_one(
                "SELECT (SELECT at FROM hub_events WHERE station = $1 ORDER BY seq DESC LIMIT 1),
                    (SELECT extract(epoch FROM now() - moved_at)::float8 FROM hub_heads
                     WHERE station = $1)",
                &[&station],
            )
            .await?;
        Ok(Heard {
            last_event_at: row.get(0),
            quiet_seconds: row.get(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_by_either_clock() {
        let after = Duration::from_secs(60);
        let heard = |at: &str, quiet: f64| Heard {
            last_event_at: Some(at.into()),
            quiet_seconds: Some(quiet),
        };
        let before = "2026-12-06T10:00:00.000Z";
        assert!(!heard("2026-12-06T10:00:30.000Z", 5.0).silent(before, after));
        assert!(heard("2026-12-06T09:59:00.000Z", 5.0).silent(before, after));
        // A clock set ahead: its stamps are in the future, the hub has heard nothing for long.
        assert!(heard("2027-01-06T10:00:00.000Z", 600.0).silent(before, after));
        assert!(Heard::default().silent(before, after));
    }
}
