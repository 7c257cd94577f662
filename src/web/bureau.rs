//! The hub's dashboard: the bureau's fleet by unit and station, overdue across stations, each
//! station's standing (last event, backlog, alarms), the alarms, and clips found across the
//! bureau; read from the hub's PostgreSQL projection.
//!
//! It stands behind the station's own gate, sessions and role table (`session::ROUTES`): the
//! hub's accounts are kept as a station keeps its own, in a ledger in the hub's data directory
//! (`camdock account init --data-dir HUB_DIR`), and a hub without accounts serves nothing but
//! its sign-in page.

use super::session::Need;
use super::{AppState, asset, session};
use crate::config::Config;
use crate::dock::slots::Slots;
use crate::people::Act;
use crate::station::Station;
use crate::time::stamp_before;
use axum::extract::{FromRef, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use camdock_hub::{BureauCamera, ClipQuery, Projection, ProjectionError};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The hub's views, as the router and the access table (`session::ROUTES`) name them.
pub const FLEET: &str = "/api/v1/bureau/fleet";
pub const STATIONS: &str = "/api/v1/bureau/stations";
pub const ALARMS: &str = "/api/v1/bureau/alarms";
pub const CLIPS: &str = "/api/v1/bureau/clips";

/// Every route of the hub's dashboard and what it needs (the station's sign-in, its roles).
pub const ROUTES: &[session::Route] = &[
    (Method::GET, "/", Need::Nobody),
    (Method::GET, "/static/bureau.js", Need::Nobody),
    (Method::GET, "/static/attention.js", Need::Nobody),
    (Method::GET, "/static/style.css", Need::Nobody),
    (Method::POST, "/api/v1/session", Need::Nobody),
    (Method::GET, "/api/v1/session", Need::SignedIn),
    (Method::DELETE, "/api/v1/session", Need::SignedIn),
    (Method::POST, "/api/v1/session/password", Need::SignedIn),
    (Method::GET, FLEET, Need::To(Act::SeeFleet)),
    (Method::GET, STATIONS, Need::To(Act::SeeFleet)),
    (Method::GET, ALARMS, Need::To(Act::SeeFleet)),
    (Method::GET, CLIPS, Need::To(Act::SeeClips)),
];

const PAGE: &str = include_str!("assets/bureau.html");
const BUREAU_JS: &str = include_str!("assets/static/bureau.js");

#[derive(Clone)]
pub struct BureauState {
    /// The gate's state: the hub's accounts (a ledger in its data directory) and sessions.
    pub app: AppState,
    pub hub: Arc<Views>,
    pub overdue_after: Duration,
    pub silent_after: Duration,
}

impl FromRef<BureauState> for AppState {
    fn from_ref(s: &BureauState) -> AppState {
        s.app.clone()
    }
}

impl BureauState {
    /// The hub's accounts opened from its data directory, the dashboard answering to `listen`
    /// (the host check and the token rule are a station's: `web.listen` is the hub's here).
    pub fn open(
        mut config: Config,
        data_dir: &Path,
        listen: &str,
        hub: Views,
    ) -> anyhow::Result<BureauState> {
        config.web.listen = listen.to_string();
        // A station may be set open for a bench; the bureau's hub never is.
        config.station.open = false;
        let (overdue_after, silent_after) = (config.policy.overdue_after, config.hub.silent_after);
        let accounts = Station::open(config, Some(data_dir))?;
        let mut app = AppState::new(Arc::new(accounts), Arc::new(Slots::default()));
        app.routes = ROUTES;
        app.no_accounts = NO_ACCOUNTS_YET;
        Ok(BureauState {
            app,
            hub: Arc::new(hub),
            overdue_after,
            silent_after,
        })
    }
}

/// What a hub without accounts answers for anything but its sign-in page.
pub const NO_ACCOUNTS_YET: &str = "this hub has no accounts yet, so it shows nothing of the bureau: an admin creates the first on the hub's host with `camdock --config /etc/camdock/hub.toml account init NAME` (then `account add` for the others)";

/// How long one of the dashboard's queries may run.
const QUERY_LIMIT: Duration = Duration::from_secs(10);

/// The dashboard's own connection to the hub's database, made again when it is lost (a
/// failover, a restart) at the next request.
pub struct Views {
    url: String,
    current: tokio::sync::Mutex<Arc<Projection>>,
}

impl Views {
    pub async fn connect(url: &str) -> Result<Views, ProjectionError> {
        Ok(Views {
            url: url.to_string(),
            current: tokio::sync::Mutex::new(Arc::new(Self::open(url).await?)),
        })
    }

    /// A connection whose every query gives up after `QUERY_LIMIT`: one search over a bureau's
    /// years must not hold the dashboard.
    async fn open(url: &str) -> Result<Projection, ProjectionError> {
        let hub = Projection::connect(url).await?;
        hub.limit_statements(QUERY_LIMIT).await?;
        Ok(hub)
    }

    async fn get(&self) -> Result<Arc<Projection>, ProjectionError> {
        let mut current = self.current.lock().await;
        if current.is_closed() {
            *current = Arc::new(Self::open(&self.url).await?);
        }
        Ok(current.clone())
    }
}

fn fail(e: impl std::fmt::Display) -> Response {
    session::refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// A camera of the bureau's fleet with the unit of the station it was last seen at.
#[derive(Serialize)]
struct FleetRow {
    #[serde(flatten)]
    camera: BureauCamera,
    unit: Option<String>,
}

async fn fleet(State(s): State<BureauState>) -> Response {
    let cutoff = stamp_before(chrono::Utc::now(), s.overdue_after);
    let hub = match s.hub.get().await {
        Ok(hub) => hub,
        Err(e) => return fail(e),
    };
    let (cameras, stations) = match tokio::try_join!(hub.fleet(&cutoff), hub.stations()) {
        Ok(found) => found,
        Err(e) => return fail(e),
    };
    let units: HashMap<&str, &str> = stations
        .iter()
        .map(|st| (st.station.as_str(), st.unit.as_str()))
        .collect();
    let rows: Vec<FleetRow> = cameras
        .into_iter()
        .map(|camera| {
            let last = if camera.out {
                camera.undocked_station.as_deref()
            } else {
                camera.docked_station.as_deref()
            };
            let unit = last.and_then(|st| units.get(st)).map(|u| u.to_string());
            FleetRow { camera, unit }
        })
        .collect();
    let overdue_after = humantime::format_duration(s.overdue_after).to_string();
    Json(json!({ "cameras": rows, "overdue_after": overdue_after })).into_response()
}

async fn stations(State(s): State<BureauState>) -> Response {
    let hub = match s.hub.get().await {
        Ok(hub) => hub,
        Err(e) => return fail(e),
    };
    match hub.standings().await {
        Ok(list) => {
            let silent_before = stamp_before(chrono::Utc::now(), s.silent_after);
            let rows: Vec<_> = list
                .into_iter()
                .map(|st| {
                    let silent = st.heard.silent(&silent_before, s.silent_after);
                    json!({ "silent": silent, "standing": st })
                })
                .collect();
            Json(json!({ "stations": rows, "silent_after": humantime::format_duration(s.silent_after).to_string() })).into_response()
        }
        Err(e) => fail(e),
    }
}

async fn alarms(State(s): State<BureauState>) -> Response {
    let hub = match s.hub.get().await {
        Ok(hub) => hub,
        Err(e) => return fail(e),
    };
    match hub.alarms().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => fail(e),
    }
}

async fn clips(State(s): State<BureauState>, Query(mut q): Query<ClipQuery>) -> Response {
    // Instants as the ledger writes them, so that its text compares as time does.
    for (name, given) in [("from", &mut q.from), ("to", &mut q.to)] {
        let Some(text) = given.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            *given = None;
            continue;
        };
        match crate::time::parse_stamp(text) {
            Some(t) => *given = Some(crate::time::stamp(t)),
            None => {
                return session::refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("{name} is not an instant such as 2026-12-01T00:00:00Z: {text}"),
                );
            }
        }
    }
    let hub = match s.hub.get().await {
        Ok(hub) => hub,
        Err(e) => return fail(e),
    };
    match hub.find_clips(&q).await {
        Ok(found) => Json(json!({ "clips": found, "at_most": camdock_hub::overview::CLIPS_SHOWN }))
            .into_response(),
        Err(e) => fail(e),
    }
}

/// The hub's routes, each behind the gate (`session::ROUTES`).
pub fn router(state: BureauState) -> Router {
    let page = || async { asset(PAGE, "text/html; charset=utf-8") };
    let app = state.app.clone();
    Router::new()
        .route("/", get(page))
        .route(
            "/static/bureau.js",
            get(|| async { asset(BUREAU_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/attention.js",
            get(|| async { asset(super::ATTENTION_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/style.css",
            get(|| async { asset(super::STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/api/v1/session",
            post(session::sign_in)
                .get(session::current)
                .delete(session::sign_out),
        )
        .route("/api/v1/session/password", post(session::change_password))
        .route(FLEET, get(fleet))
        .route(STATIONS, get(stations))
        .route(ALARMS, get(alarms))
        .route(CLIPS, get(clips))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            session::gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app,
            super::host::require_own_host,
        ))
        .with_state(state)
}

/// Serves the hub's dashboard on `addr` until `shutdown` resolves (HTTPS when `[web] tls` is on,
/// with the certificate kept in the hub's data directory, as a station's).
pub async fn serve(
    state: BureauState,
    addr: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let accounts = state.app.station.clone();
    super::serve_router(router(state), &accounts, "[hub] listen", addr, shutdown).await
}
