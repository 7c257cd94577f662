//! The station dashboard, the JSON API and /metrics, served by the daemon (axum).
//!
//! The pages are static files embedded in the binary (no CDN); they read `/api/v1/…` — the same
//! views the CLI prints with `--json` — and follow the docks live over Server-Sent Events.

pub mod actions;
pub mod api;
pub mod auth;
pub mod bureau;
pub mod host;
pub mod metrics;
pub mod session;
pub mod stream;
pub mod supervision;
pub mod tls;

use crate::dock::slots::Slots;
use crate::station::Station;
use crate::usage;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub station: Arc<Station>,
    pub slots: Arc<Slots>,
    pub sessions: Arc<session::Sessions>,
    /// What each route needs (`session::ROUTES` for the station, `bureau::ROUTES` for the hub).
    pub routes: &'static [session::Route],
    /// What it answers for anything but its open routes before the first account is made.
    pub no_accounts: &'static str,
}

impl AppState {
    pub fn new(station: Arc<Station>, slots: Arc<Slots>) -> AppState {
        AppState {
            station,
            slots,
            sessions: Arc::default(),
            routes: session::ROUTES,
            no_accounts: session::NO_ACCOUNTS_YET,
        }
    }
}

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/static/app.js");
const ACCESS_JS: &str = include_str!("assets/static/access.js");
const REVIEW_JS: &str = include_str!("assets/static/review.js");
pub(crate) const ATTENTION_JS: &str = include_str!("assets/static/attention.js");
pub(crate) const STYLE: &str = include_str!("assets/static/style.css");
/// The event kinds' words for people (`EventKind::label`), as the pages read them: typed once
/// with the kinds, never written out again in the scripts.
static KINDS_JS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let labels: serde_json::Map<String, serde_json::Value> = crate::ledger::EventKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), serde_json::json!(k.label())))
        .collect();
    format!(
        "window.camdockKinds = {};\n\
         // A kind in the page's language; a kind this page does not know, as stored.\n\
         window.camdockKind = k => {{ const l = window.camdockKinds[k]; if (!l) return String(k || ''); return (document.documentElement.lang || 'en').startsWith('zh') ? l.zh : l.en; }};\n",
        serde_json::Value::Object(labels)
    )
});
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

/// Every route, each behind the gate (`session::ROUTES` says what each one needs).
pub fn router(state: AppState) -> Router {
    let page = || async { asset(INDEX, "text/html; charset=utf-8") };
    Router::new()
        .route("/", get(page))
        .route("/kiosk", get(page))
        .route(
            "/static/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/access.js",
            get(|| async { asset(ACCESS_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/review.js",
            get(|| async { asset(REVIEW_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/attention.js",
            get(|| async { asset(ATTENTION_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/kinds.js",
            get(|| async { asset(&KINDS_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/style.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/api/v1/slots", get(api::slots))
        .route("/api/v1/stream", get(stream::stream))
        .route(
            "/api/v1/session",
            post(session::sign_in)
                .get(session::current)
                .delete(session::sign_out),
        )
        .route("/api/v1/session/password", post(session::change_password))
        .route("/api/v1/fleet", get(api::fleet))
        .route("/api/v1/clips", get(api::clips))
        .route("/api/v1/clips/{sha}/custody", get(api::custody))
        .route("/api/v1/clips/{sha}/content", get(actions::content))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/access-log", get(actions::access_log))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/cameras/{camera}/assignment", post(actions::assign))
        .route(
            "/api/v1/cameras/{camera}/attention/{code}/acknowledgement",
            post(actions::acknowledge),
        )
        .route("/api/v1/clips/{sha}/tags", post(actions::tag))
        .route("/api/v1/clips/{sha}/hold", post(actions::hold))
        .route("/api/v1/clips/{sha}/release", post(actions::release))
        .route(
            "/api/v1/approvals",
            get(actions::list_approvals).post(actions::request),
        )
        .route("/api/v1/approvals/{id}/decision", post(actions::decide))
        .route(
            "/api/v1/approvals/{id}/viewing",
            post(actions::start_viewing),
        )
        .route(
            "/api/v1/accounts",
            get(actions::list_accounts).post(actions::add_account),
        )
        .route(
            "/api/v1/accounts/{name}/disable",
            post(actions::disable_account),
        )
        .route(
            "/api/v1/reviews",
            get(supervision::register).post(supervision::draw),
        )
        .route(
            "/api/v1/reviews/{draw}/findings",
            post(supervision::finding),
        )
        .route("/api/v1/gaps", get(supervision::gaps))
        .route("/api/v1/gaps/{id}/explanation", post(supervision::explain))
        .route("/api/v1/compliance", get(supervision::compliance))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            host::require_own_host,
        ))
        .with_state(state)
}

/// Checks the listen address against the token rule before anything binds.
pub fn listen_addr(config: &crate::config::WebConfig) -> anyhow::Result<Option<SocketAddr>> {
    if config.listen.trim().is_empty() {
        return Ok(None);
    }
    let addr: SocketAddr = config.listen.parse().map_err(|_| {
        usage!(
            "web.listen '{}' is not an address such as 127.0.0.1:8600",
            config.listen
        )
    })?;
    if !addr.ip().is_loopback() && config.token.as_deref().is_none_or(|t| t.len() < 16) {
        return Err(usage!(
            "web.listen {addr} is beyond loopback: set web.token (16 characters or more) so that only the station's people can see evidence"
        ));
    }
    Ok(Some(addr))
}

/// Serves until `shutdown` resolves: HTTPS when `web.tls` is on, else plain HTTP.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(
        router(state.clone()),
        &state.station,
        "web.listen",
        addr,
        shutdown,
    )
    .await
}

/// Serves `app` until `shutdown` resolves: HTTPS when the `[web] tls` of `station` (whose data
/// directory keeps the certificate made) is on, else plain HTTP; `setting` names the address's
/// key in a refusal.
pub async fn serve_router(
    app: Router,
    station: &Station,
    setting: &str,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    if station.config.web.tls {
        let (cert, key) = tls::certificate(&station.config.web, &station.data_dir, addr)?;
        let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
            .await
            .map_err(|e| {
                usage!(
                    "cannot use the TLS certificate {} / key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopping.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
        });
        let listening = handle.clone();
        tokio::spawn(async move {
            if let Some(bound) = listening.listening().await {
                tracing::info!("dashboard on https://{bound}/");
            }
        });
        axum_server::bind_rustls(addr, rustls)
            .handle(handle)
            .serve(app)
            .await
            .map_err(|e| usage!("cannot serve on {addr} ({setting}): {e}"))?;
        return Ok(());
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| usage!("cannot listen on {addr} ({setting}): {e}"))?;
    tracing::info!("dashboard on http://{}/", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
