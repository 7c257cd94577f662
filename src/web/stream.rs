//! `/api/v1/stream`: Server-Sent Events. `slots` is sent on every change and at least every
//! second (the page calls the link dead after 6 s of silence); `fleet` whenever it changes.

use super::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::time::{Duration, Instant};

struct Cursor {
    state: AppState,
    sees_fleet: bool,
    last_slots: String,
    last_slots_at: Option<Instant>,
    last_fleet: String,
    last_fleet_check: Option<Instant>,
    pending: Vec<Event>,
}

/// The kiosk (anonymous, or a role that may not see the fleet) gets the dock tiles only.
pub async fn stream(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<super::session::Caller>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let cursor = Cursor {
        state,
        sees_fleet: caller.may(crate::people::Act::SeeFleet),
        last_slots: String::new(),
        last_slots_at: None,
        last_fleet: String::new(),
        last_fleet_check: None,
        pending: Vec::new(),
    };
    let events = stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.pending.pop() {
                return Some((Ok(e), c));
            }
            let slots = serde_json::to_string(&c.state.slots.snapshot()).unwrap_or_default();
            if slots != c.last_slots
                || c.last_slots_at
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            {
                c.pending
                    .push(Event::default().event("slots").data(slots.clone()));
                c.last_slots = slots;
                c.last_slots_at = Some(Instant::now());
            }
            if c.sees_fleet
                && c.last_fleet_check
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2))
            {
                c.last_fleet_check = Some(Instant::now());
                let st = c.state.station.clone();
                let fleet = tokio::task::spawn_blocking(move || {
                    st.ledger()
                        .fleet(chrono::Utc::now(), st.config.policy.overdue_after)
                        .ok()
                })
                .await
                .ok()
                .flatten()
                .and_then(|f| serde_json::to_string(&f).ok());
                if let Some(fleet) = fleet.filter(|f| *f != c.last_fleet) {
                    c.pending
                        .insert(0, Event::default().event("fleet").data(fleet.clone()));
                    c.last_fleet = fleet;
                }
            }
            if c.pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
