//! Who is asking: sign-in sessions and the one gate every route passes.
//!
//! Once a station has accounts, every route but the kiosk's (the dock tiles, which show no
//! evidence) needs a signed-in account whose roles allow the route's act (`ROUTES`, the one table
//! the router, the gate and the tests share). A session is a random token in an HttpOnly,
//! SameSite=Strict cookie; every state change must also carry the session's CSRF token in
//! `X-CSRF-Token` and an `Origin` that is the station itself. Failed sign-ins are limited per
//! address and per account name.
//!
//! A station without accounts (the demo, a bench) keeps the older rule: open on loopback, the
//! station token beyond it; and it changes nothing from the dashboard.

use super::AppState;
use crate::people::{Account, Act, accounts};
use axum::Json;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone (the page itself, the kiosk's dock tiles, signing in).
    Nobody,
    /// Any signed-in account, whatever its roles (who am I, sign out, own password, own requests).
    SignedIn,
    /// A signed-in account whose roles allow this act.
    To(Act),
}

/// A route: method, path as the router writes it, what it needs.
pub type Route = (Method, &'static str, Need);

/// Every route of the station: routes not here are refused.
pub const ROUTES: &[Route] = &[
    (Method::GET, "/", Need::Nobody),
    (Method::GET, "/kiosk", Need::Nobody),
    (Method::GET, "/static/app.js", Need::Nobody),
    (Method::GET, "/static/access.js", Need::Nobody),
    (Method::GET, "/static/review.js", Need::Nobody),
    (Method::GET, "/static/attention.js", Need::Nobody),
    (Method::GET, "/static/kinds.js", Need::Nobody),
    (Method::GET, "/static/style.css", Need::Nobody),
    (Method::GET, "/api/v1/slots", Need::To(Act::SeeDocks)),
    (Method::GET, "/api/v1/stream", Need::To(Act::SeeDocks)),
    (Method::POST, "/api/v1/session", Need::Nobody),
    (Method::GET, "/api/v1/session", Need::SignedIn),
    (Method::DELETE, "/api/v1/session", Need::SignedIn),
    (Method::POST, "/api/v1/session/password", Need::SignedIn),
    (Method::GET, "/api/v1/fleet", Need::To(Act::SeeFleet)),
    (Method::GET, "/api/v1/clips", Need::To(Act::SeeClips)),
    (
        Method::GET,
        "/api/v1/clips/{sha}/custody",
        Need::To(Act::SeeClips),
    ),
    (Method::GET, "/api/v1/clips/{sha}/content", Need::SignedIn),
    (Method::GET, "/api/v1/audit", Need::To(Act::SeeClips)),
    (
        Method::GET,
        "/api/v1/access-log",
        Need::To(Act::SeeRegister),
    ),
    (Method::GET, "/metrics", Need::To(Act::SeeMetrics)),
    (
        Method::POST,
        "/api/v1/cameras/{camera}/assignment",
        Need::To(Act::AssignCamera),
    ),
    (
        Method::POST,
        "/api/v1/cameras/{camera}/attention/{code}/acknowledgement",
        Need::To(Act::AcknowledgeAttention),
    ),
    (
        Method::POST,
        "/api/v1/clips/{sha}/tags",
        Need::To(Act::TagClip),
    ),
    (
        Method::POST,
        "/api/v1/clips/{sha}/hold",
        Need::To(Act::PlaceHold),
    ),
    (
        Method::POST,
        "/api/v1/clips/{sha}/release",
        Need::To(Act::ReleaseHold),
    ),
    (Method::GET, "/api/v1/approvals", Need::SignedIn),
    (
        Method::POST,
        "/api/v1/approvals",
        Need::To(Act::RequestAccess),
    ),
    (
        Method::POST,
        "/api/v1/approvals/{id}/decision",
        Need::To(Act::DecideAccess),
    ),
    (
        Method::POST,
        "/api/v1/approvals/{id}/viewing",
        Need::To(Act::RequestAccess),
    ),
    (
        Method::GET,
        "/api/v1/accounts",
        Need::To(Act::ManageAccounts),
    ),
    (
        Method::POST,
        "/api/v1/accounts",
        Need::To(Act::ManageAccounts),
    ),
    (
        Method::POST,
        "/api/v1/accounts/{name}/disable",
        Need::To(Act::ManageAccounts),
    ),
    (Method::GET, "/api/v1/reviews", Need::To(Act::SeeRegister)),
    (Method::POST, "/api/v1/reviews", Need::To(Act::Review)),
    (
        Method::POST,
        "/api/v1/reviews/{draw}/findings",
        Need::To(Act::Review),
    ),
    (Method::GET, "/api/v1/gaps", Need::SignedIn),
    (
        Method::POST,
        "/api/v1/gaps/{id}/explanation",
        Need::To(Act::ExplainGap),
    ),
    (Method::GET, "/api/v1/compliance", Need::To(Act::SeeClips)),
];

/// A signed-in browser: the account as it was at sign-in (`version`, its last account event),
/// and the clips it started watching, each under its approval (checked again at every request).
struct Session {
    account: String,
    version: i64,
    csrf: String,
    started: Instant,
    last_seen: Instant,
    watching: Vec<(String, i64)>,
}

/// A shift: a session ends this long after sign-in, or after an hour without a request.
const SESSION_FOR: Duration = Duration::from_secs(12 * 3600);
const IDLE_FOR: Duration = Duration::from_secs(3600);
/// Sign-in failures allowed per address, and per account name, in `FAILURE_WINDOW`.
const FAILURES_ALLOWED: usize = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(300);
pub const COOKIE: &str = "camdock_session";

#[derive(Default)]
pub struct Sessions {
    live: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    /// Accounts are never deleted: once a station has one, it has them for good.
    accounts_seen: AtomicBool,
    /// Until then, asked of the ledger at most once a second (an admin may make the first
    /// account from the CLI while the daemon runs).
    last_asked: Mutex<Option<Instant>>,
}

/// The caller of a request, as the gate found it (a request extension).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The signed-in account; None when anonymous or on a station without accounts.
    pub account: Option<Account>,
    session: Option<String>,
    /// A station without accounts: whoever passed the token rule sees everything (and changes
    /// nothing).
    open: bool,
}

impl Caller {
    /// The session's token, when signed in.
    pub fn session_token(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Whether this caller may see or do `act`.
    pub fn may(&self, act: Act) -> bool {
        self.open || act.public() || self.account.as_ref().is_some_and(|a| a.may(act))
    }

    /// The account, or the refusal a route that needs one answers.
    // The refusal is the handler's own answer, returned as is on a rare path: boxing axum's
    // Response would only add a step to every route that asks.
    #[allow(clippy::result_large_err)]
    pub fn account(&self) -> Result<&Account, Response> {
        self.account
            .as_ref()
            .ok_or_else(|| refuse(StatusCode::FORBIDDEN, "this station has no accounts yet: an admin creates them (`camdock account init`, then `camdock account add`) before anything is done from the dashboard"))
    }
}

/// What a station with no accounts answers for anything but its docks.
pub const NO_ACCOUNTS_YET: &str = "this station has no accounts yet, so it serves no evidence: an admin creates the first with `camdock account init` on the station (then `camdock account add` for the others); `[station] open = true` serves it to anyone, for a demo or a bench only";

pub fn refuse(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why }))).into_response()
}

/// A refusal by the gate itself (the access table, the session, CSRF, Origin), marked so: a
/// handler's own "no" (a clip not being watched, a bad form) is another thing.
fn gate_refuses(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why, "refused_by": "gate" }))).into_response()
}

impl Sessions {
    fn accounts_on(&self, state: &AppState) -> bool {
        if self.accounts_seen.load(Ordering::Relaxed) {
            return true;
        }
        let mut asked = self.last_asked.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have found the first account while this one waited for the lock:
        // without looking again it would take the station for one without accounts (found by
        // forty sign-ins sent at once: one was answered as if no account existed).
        if self.accounts_seen.load(Ordering::Relaxed) {
            return true;
        }
        if asked.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return false;
        }
        *asked = Some(Instant::now());
        // A ledger that cannot answer is treated as one with accounts: refuse rather than open.
        let on = accounts::any(&state.station).unwrap_or(true);
        if on {
            self.accounts_seen.store(true, Ordering::Relaxed);
        }
        on
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The account name, CSRF token and account version of a live session (touching it).
    fn find(&self, token: &str) -> Option<(String, String, i64)> {
        let mut live = self.live();
        let now = Instant::now();
        live.retain(|_, s| now - s.started < SESSION_FOR && now - s.last_seen < IDLE_FOR);
        let s = live.get_mut(token)?;
        s.last_seen = now;
        Some((s.account.clone(), s.csrf.clone(), s.version))
    }

    /// Whether the session still stands (not signed out, ended or expired) for this account as
    /// it was at sign-in.
    pub fn stands(&self, token: &str, version: i64) -> bool {
        self.live().get(token).is_some_and(|s| s.version == version)
    }

    fn start(&self, account: &Account) -> (String, String) {
        let token = accounts::one_time_secret() + &accounts::one_time_secret();
        let csrf = accounts::one_time_secret();
        let now = Instant::now();
        self.live().insert(
            token.clone(),
            Session {
                account: account.name.clone(),
                version: account.version,
                csrf: csrf.clone(),
                started: now,
                last_seen: now,
                watching: Vec::new(),
            },
        );
        (token, csrf)
    }

    pub fn end(&self, caller: &Caller) {
        if let Some(t) = &caller.session {
            self.live().remove(t);
        }
    }

    /// Ends every session of `account` (disabled, or its password changed).
    pub fn end_all_of(&self, account: &str) {
        self.live().retain(|_, s| s.account != account);
    }

    pub fn allow_watching(&self, caller: &Caller, sha256: &str, approval: i64) {
        let Some(token) = &caller.session else { return };
        if let Some(s) = self.live().get_mut(token) {
            s.watching.push((sha256.to_string(), approval));
        }
    }

    /// The approval under which this session started watching the clip, if it did.
    pub fn watching_under(&self, caller: &Caller, sha256: &str) -> Option<i64> {
        let token = caller.session.as_ref()?;
        self.live()
            .get(token)?
            .watching
            .iter()
            .rev()
            .find(|(w, _)| w == sha256)
            .map(|(_, id)| *id)
    }

    /// Counts a password check against `keys` (the address, the account name) before it is
    /// made: refused (with the wait) when the window is full. Counting first means forty checks
    /// sent at once get five evaluated, not forty.
    fn attempt(&self, keys: &[String]) -> Result<(), Duration> {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Made-up account names must not grow this without bound: forget windows that have passed.
        if f.len() > 10_000 {
            f.retain(|_, v| v.last().is_some_and(|t| now - *t < FAILURE_WINDOW));
        }
        let wait = keys
            .iter()
            .filter_map(|k| {
                let v = f.entry(k.clone()).or_default();
                v.retain(|t| now - *t < FAILURE_WINDOW);
                (v.len() >= FAILURES_ALLOWED).then(|| FAILURE_WINDOW - (now - v[0]))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for k in keys {
            f.entry(k.clone()).or_default().push(now);
        }
        Ok(())
    }

    /// The attempt was right: it does not count against the keys.
    fn succeeded(&self, keys: &[String]) {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for k in keys {
            if let Some(v) = f.get_mut(k) {
                v.pop();
            }
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers (parsed by the cookie crate).
pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value for a secret the page never reads: HttpOnly, SameSite=Strict, whole site;
/// `Secure` when served over TLS, so the browser never sends it in the clear.
pub(super) fn secret_cookie(
    name: &'static str,
    value: String,
    max_age: Option<Duration>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut c = cookie::Cookie::build((name, value))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .secure(secure);
    if let Some(age) = max_age {
        c = c.max_age(cookie::time::Duration::seconds(age.as_secs() as i64));
    }
    HeaderValue::from_str(&c.build().to_string()).ok()
}

/// Two secrets compared in constant time (subtle): a guess learns nothing from how long it took.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// A state change comes from the station's own page: its `Origin` is the station (the browser
/// sets it and a page elsewhere cannot forge it).
fn same_origin(req: &Request) -> bool {
    let host = super::host::requested_host(req);
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(h), Some(o)) => o
            .strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(&h)),
        _ => false,
    }
}

/// The gate: finds the caller, refuses what the route's need or the CSRF rule do not allow.
pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let Some(need) = state
        .routes
        .iter()
        .find(|(m, p, _)| m == req.method() && *p == path)
        .map(|r| r.2)
    else {
        return gate_refuses(
            StatusCode::FORBIDDEN,
            "no such route in the station's access table",
        );
    };
    let changes = req.method() != Method::GET && req.method() != Method::HEAD;
    if !state.sessions.accounts_on(&state) {
        // No accounts: the docks only, unless the station is set open (a demo, a bench); even
        // then look, never act (the token rule beyond loopback still applies).
        let docks_only = need == Need::Nobody || matches!(need, Need::To(a) if a.public());
        if !docks_only && !state.station.config.station.open {
            return gate_refuses(StatusCode::FORBIDDEN, state.no_accounts);
        }
        if changes {
            return Caller {
                account: None,
                session: None,
                open: false,
            }
            .account()
            .unwrap_err();
        }
        req.extensions_mut().insert(Caller {
            account: None,
            session: None,
            open: true,
        });
        return super::auth::require_token(State(state), req, next).await;
    }
    if changes && !same_origin(&req) {
        return gate_refuses(
            StatusCode::FORBIDDEN,
            "a change must come from the station's own page (Origin)",
        );
    }
    let token = cookie_value(req.headers(), COOKIE);
    let found = token.as_deref().and_then(|t| state.sessions.find(t));
    let account = match &found {
        Some((name, _, _)) => {
            let st = state.station.clone();
            let name = name.clone();
            tokio::task::spawn_blocking(move || accounts::get(&st, &name))
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten()
                .filter(|a| !a.disabled)
        }
        None => None,
    };
    // The account changed since this sign-in (a password set or reset, roles, disabled; from the
    // dashboard or the CLI): the session ends here, whatever it was doing.
    if let (Some((name, _, version)), Some(a)) = (&found, &account)
        && a.version != *version
    {
        state.sessions.end_all_of(name);
        return gate_refuses(
            StatusCode::UNAUTHORIZED,
            "the account changed since this sign-in (password, roles or state): sign in again",
        );
    }
    let caller = Caller {
        account: account.clone(),
        session: account.as_ref().and(token),
        open: false,
    };
    if need != Need::Nobody && !matches!(need, Need::To(a) if a.public()) {
        let Some(account) = &account else {
            return gate_refuses(StatusCode::UNAUTHORIZED, "sign in first");
        };
        if changes && path != "/api/v1/session" {
            let given = req
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let expected = found.as_ref().map(|f| f.1.as_str()).unwrap_or("");
            if !same_secret(given, expected) {
                return gate_refuses(
                    StatusCode::FORBIDDEN,
                    "a change needs the session's X-CSRF-Token",
                );
            }
        }
        if let Need::To(act) = need
            && let Err(e) = account.require(act)
        {
            return gate_refuses(StatusCode::FORBIDDEN, &e.to_string());
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

#[derive(Deserialize)]
pub struct SignIn {
    account: String,
    password: String,
}

/// Who is signed in, and what the page may offer them (`may`: the acts their roles allow, so the
/// page draws its tabs and buttons from the one role table; the gate still decides each request).
fn whoami(account: &Account, csrf: &str) -> serde_json::Value {
    let may: Vec<&str> = Act::ALL
        .into_iter()
        .filter(|a| account.may(*a))
        .map(Act::name)
        .collect();
    json!({ "account": account.name, "roles": account.roles, "may": may, "must_change_password": account.must_change_password, "csrf": csrf, "accounts": true })
}

/// POST /api/v1/session: signs in; the session in a cookie, the CSRF token in the answer.
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(form): Json<SignIn>,
) -> Response {
    let keys = attempt_keys(peer.ip(), &form.account);
    if let Err(wait) = state.sessions.attempt(&keys) {
        return too_many(wait);
    }
    let st = state.station.clone();
    let (name, password) = (form.account.clone(), form.password);
    let found =
        tokio::task::spawn_blocking(move || accounts::authenticate(&st, &name, &password)).await;
    let Ok(Ok(Some(account))) = found else {
        return refuse(StatusCode::UNAUTHORIZED, "wrong account or password");
    };
    state.sessions.succeeded(&keys);
    let (token, csrf) = state.sessions.start(&account);
    let mut r = Json(whoami(&account, &csrf)).into_response();
    if let Some(v) = secret_cookie(
        COOKIE,
        token,
        Some(SESSION_FOR),
        state.station.config.web.tls,
    ) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn too_many(wait: Duration) -> Response {
    let mut r = refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "too many failed password checks: wait and try again",
    );
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The keys a password check counts against: the caller's address and the account name.
fn attempt_keys(peer: IpAddr, account: &str) -> [String; 2] {
    [format!("ip:{}", masked(peer)), format!("account:{account}")]
}

/// An IPv6 client is limited by its /64, which one machine usually holds whole.
fn masked(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => format!(
            "{:x}:{:x}:{:x}:{:x}::/64",
            v6.segments()[0],
            v6.segments()[1],
            v6.segments()[2],
            v6.segments()[3]
        ),
        v4 => v4.to_string(),
    }
}

pub async fn current(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    if caller.open {
        // A station without accounts: nobody signs in (the page hides its sign-in).
        return Json(json!({ "account": null, "accounts": false })).into_response();
    }
    let Some(account) = &caller.account else {
        return refuse(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let csrf = caller
        .session
        .as_deref()
        .and_then(|t| state.sessions.find(t))
        .map(|(_, csrf, _)| csrf)
        .unwrap_or_default();
    Json(whoami(account, &csrf)).into_response()
}

pub async fn sign_out(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    state.sessions.end(&caller);
    let mut r = Json(json!({ "signed_out": true })).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("camdock_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

#[derive(Deserialize)]
pub struct NewPassword {
    current: String,
    new: String,
}

/// Changes the caller's own password (the first thing after a one-time secret); other sessions of
/// the account end.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(caller): axum::Extension<Caller>,
    Json(form): Json<NewPassword>,
) -> Response {
    let account = match caller.account() {
        Ok(a) => a.clone(),
        Err(r) => return r,
    };
    // The current password is a password check like a sign-in: it shares the sign-in's limit.
    let keys = attempt_keys(peer.ip(), &account.name);
    if let Err(wait) = state.sessions.attempt(&keys) {
        return too_many(wait);
    }
    let st = state.station.clone();
    let name = account.name.clone();
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        if accounts::authenticate(&st, &name, &form.current)?.is_none() {
            return Ok(false);
        }
        accounts::set_password(&st, &account, &name, &form.new)?;
        Ok(true)
    })
    .await;
    if matches!(done, Ok(Ok(true)) | Ok(Err(_))) {
        // The current password was right (a refused new one is no guess).
        state.sessions.succeeded(&keys);
    }
    match done {
        Ok(Ok(true)) => {
            state.sessions.end_all_of(
                &caller
                    .account
                    .as_ref()
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
            );
            let mut r =
                Json(json!({ "changed": true, "note": "sign in again with the new password" }))
                    .into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static(
                    "camdock_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
                ),
            );
            r
        }
        Ok(Ok(false)) => refuse(StatusCode::FORBIDDEN, "the current password is wrong"),
        Ok(Err(e)) => refuse(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
