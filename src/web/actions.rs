//! What the dashboard does, not only shows: assign a camera, see to its attention items, tag a
//! clip, place and release holds, request and decide access, watch a clip, manage accounts. Every
//! handler acts as the signed-in account (`session::Caller`), through the same custody and people
//! functions as the CLI, so each act is the same ledger event whichever door it came through.

use super::AppState;
use super::session::{Caller, refuse};
use crate::custody;
use crate::people::approvals::{self, Use};
use crate::people::{Account, Role, accounts};
use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Runs `f` as the caller's account on a blocking thread; a refusal (usage error) is a 400 with
/// its sentence, anything else a 500.
async fn as_account<T: Send + 'static>(
    s: AppState,
    caller: Caller,
    f: impl FnOnce(&AppState, &Account) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, Response> {
    let account = caller.account()?.clone();
    match tokio::task::spawn_blocking(move || f(&s, &account)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let status = if crate::error::exit_code_for(&e) == 2 {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            Err(refuse(status, &e.to_string()))
        }
        Err(e) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
    }
}

/// `as_account`, answered as JSON.
pub(super) async fn acting<T: serde::Serialize + Send + 'static>(
    s: AppState,
    caller: Caller,
    f: impl FnOnce(&AppState, &Account) -> anyhow::Result<T> + Send + 'static,
) -> Response {
    match as_account(s, caller, f).await {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

fn resolve(s: &AppState, clip: &str) -> anyhow::Result<String> {
    s.station
        .ledger()
        .resolve_clip(clip)
        .map_err(|e| crate::usage!("{e}"))
}

fn nonblank(what: &str, v: &str) -> anyhow::Result<()> {
    if v.trim().is_empty() {
        Err(crate::usage!("{what} is needed"))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
pub struct Assignment {
    officer: String,
}

pub async fn assign(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(camera): Path<String>,
    Json(f): Json<Assignment>,
) -> Response {
    acting(s, c, move |s, by| {
        nonblank("an officer", &f.officer)?;
        let a = custody::handover::assign(&s.station, &camera, f.officer.trim(), &by.name)?;
        Ok(json!({ "camera": camera, "officer": f.officer.trim(), "seq": a.seq, "known_camera": a.known }))
    })
    .await
}

#[derive(Deserialize)]
pub struct SeenTo {
    note: String,
}

pub async fn acknowledge(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((camera, code)): Path<(String, String)>,
    Json(f): Json<SeenTo>,
) -> Response {
    acting(s, c, move |s, by| {
        let seq = custody::attention::acknowledge(&s.station, &camera, &code, &f.note, &by.name)?;
        Ok(json!({ "camera": camera, "code": code, "seq": seq }))
    })
    .await
}

#[derive(Deserialize)]
pub struct TagForm {
    case: Option<String>,
    party: Option<String>,
    matter: Option<String>,
}

pub async fn tag(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(sha): Path<String>,
    Json(f): Json<TagForm>,
) -> Response {
    acting(s, c, move |s, by| {
        let sha = resolve(s, &sha)?;
        let t = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (case, party, matter) = (t(&f.case), t(&f.party), t(&f.matter));
        let tag = custody::tags::Tag {
            case: case.as_deref(),
            party: party.as_deref(),
            matter: matter.as_deref(),
        };
        let seq = custody::tags::tag(&s.station, &sha, &tag, &by.name)?;
        Ok(json!({ "clip": sha, "case": case, "seq": seq }))
    })
    .await
}

#[derive(Deserialize)]
pub struct Reason {
    reason: String,
}

pub async fn hold(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(sha): Path<String>,
    Json(f): Json<Reason>,
) -> Response {
    acting(s, c, move |s, by| {
        let sha = resolve(s, &sha)?;
        nonblank("a reason", &f.reason)?;
        custody::retention::hold(&s.station, &sha, f.reason.trim(), &by.name)?;
        Ok(json!({ "clip": sha, "held": true }))
    })
    .await
}

pub async fn release(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(sha): Path<String>,
    Json(f): Json<Reason>,
) -> Response {
    acting(s, c, move |s, by| {
        let sha = resolve(s, &sha)?;
        nonblank("a reason", &f.reason)?;
        let released = custody::retention::release(&s.station, &sha, f.reason.trim(), &by.name)?;
        Ok(json!({ "clip": sha, "released": released }))
    })
    .await
}

pub async fn list_approvals(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> Response {
    acting(s, c, |s, who| approvals::list(&s.station, who)).await
}

#[derive(Deserialize)]
pub struct RequestForm {
    act: String,
    clip: Option<String>,
    case: Option<String>,
    reason: String,
    #[serde(default)]
    copies: Option<u32>,
    /// For a view asked for a spot check: its draw.
    #[serde(default)]
    review: Option<i64>,
}

pub async fn request(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(f): Json<RequestForm>,
) -> Response {
    acting(s, c, move |s, by| {
        let act = Use::parse(&f.act)
            .ok_or_else(|| crate::usage!("act '{}': view, copy, export or purge", f.act))?;
        let sha = f.clip.as_deref().map(|c| resolve(s, c)).transpose()?;
        let id = approvals::request(
            &s.station,
            by,
            &approvals::Ask {
                act,
                clip: sha.as_deref(),
                case: f.case.as_deref(),
                reason: &f.reason,
                copies: f.copies.unwrap_or(1),
                review: f.review,
            },
        )?;
        approvals::get(&s.station, id)
    })
    .await
}

#[derive(Deserialize)]
pub struct Decision {
    approve: bool,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    Json(f): Json<Decision>,
) -> Response {
    acting(s, c, move |s, by| {
        approvals::decide(&s.station, by, id, f.approve, &f.note)
    })
    .await
}

/// Which clip of a case's approval to watch (a clip's approval names its own).
#[derive(Deserialize)]
pub struct Watch {
    #[serde(default)]
    clip: Option<String>,
}

/// Starts watching the clip an approval names (for a case's, the clip asked for among those
/// approved): the viewing goes on the register (account, reason, approval, the spot check it was
/// asked for), the session may then stream the clip, and the answer carries its chain facts.
pub async fn start_viewing(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let sessions = s.sessions.clone();
    let caller = c.clone();
    // No body (a clip's approval) or {"clip": …} (a case's).
    let asked = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Watch>(&body) {
            Ok(w) => w.clip,
            Err(e) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("the body is not {{\"clip\": SHA-256}}: {e}"),
                );
            }
        }
    };
    let started = as_account(s, c, move |s, by| -> anyhow::Result<(String, Value)> {
        let a = approvals::get(&s.station, id)?.ok_or_else(|| crate::usage!("no approval #{id}"))?;
        let sha = match (&a.sha256, asked) {
            (Some(sha), _) => sha.clone(),
            (None, Some(clip)) => resolve(s, &clip)?,
            (None, None) => {
                return Err(crate::usage!("approval #{id} is for case {}: say which of its clips to watch", a.case.unwrap_or_default()));
            }
        };
        let a = approvals::check(&s.station, by, id, Use::View, &approvals::Target::clip(&sha))?;
        custody::access::record_view(
            &s.station,
            &sha,
            &custody::access::Access { actor: &by.name, reason: &a.reason },
            &format!("dashboard, approval #{id} by {}", a.decided_by.clone().unwrap_or_default()),
            a.review,
        )?;
        let ledger = s.station.ledger();
        let clip = ledger.clip(&sha)?.ok_or_else(|| crate::usage!("clip {sha} was purged"))?;
        let stored: Option<(i64, String, String)> = ledger
            .conn()
            .query_row(
                "SELECT seq, at, hash FROM events WHERE kind = 'clip-stored' AND clip_sha256 = ?1 ORDER BY seq LIMIT 1",
                [&sha],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let facts = json!({
            "clip": sha, "approval": id, "content": format!("/api/v1/clips/{sha}/content"),
            "sha256": clip.sha256, "blake3": clip.blake3, "bytes": clip.bytes, "camera": clip.camera,
            "recorded_at": clip.recorded_at,
            "stored_event": stored.map(|(seq, at, hash)| json!({ "seq": seq, "at": at, "hash": hash })),
        });
        Ok((sha, facts))
    })
    .await;
    match started {
        Ok((sha, facts)) => {
            sessions.allow_watching(&caller, &sha, id);
            Json(facts).into_response()
        }
        Err(r) => r,
    }
}

/// Streams a clip the session started watching, with HTTP Range (a video element seeks by it).
pub async fn content(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(approval) = s.sessions.watching_under(&c, &sha) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "start watching through an approval first (POST /api/v1/approvals/{id}/viewing)",
        );
    };
    // Checked at every request, and again every second while the bytes flow: the approval (not
    // expired, voided or refused), the account (not disabled, its roles) and the session (not
    // ended by a password or role change).
    let recheck: Recheck = {
        let (st, sessions, caller, sha) = (
            s.station.clone(),
            s.sessions.clone(),
            c.clone(),
            sha.clone(),
        );
        std::sync::Arc::new(move || -> Result<(), String> {
            let (Some(token), Some(was)) = (caller.session_token(), caller.account.as_ref()) else {
                return Err("not signed in".into());
            };
            if !sessions.stands(token, was.version) {
                return Err("the session ended".into());
            }
            let now = accounts::get(&st, &was.name)
                .map_err(|e| e.to_string())?
                .ok_or("the account is gone")?;
            if now.version != was.version {
                return Err("the account changed since sign-in".into());
            }
            now.require(crate::people::Act::RequestAccess)
                .map_err(|e| e.to_string())?;
            approvals::check(
                &st,
                &now,
                approval,
                Use::View,
                &approvals::Target::clip(&sha),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
    };
    let first = recheck.clone();
    match tokio::task::spawn_blocking(move || first()).await {
        Ok(Ok(())) => {}
        Ok(Err(why)) => return refuse(StatusCode::FORBIDDEN, &why),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
    let st = s.station.clone();
    let found = tokio::task::spawn_blocking(
        move || -> anyhow::Result<Option<(std::path::PathBuf, String)>> {
            let clip = st.ledger().clip(&sha)?;
            Ok(clip.map(|c| {
                (
                    std::path::PathBuf::from(st.locate(&c.store_path)),
                    c.store_path,
                )
            }))
        },
    )
    .await;
    let Ok(Ok(Some((path, name)))) = found else {
        return refuse(StatusCode::NOT_FOUND, "no such clip in the store");
    };
    serve_range(
        &path,
        &name,
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        recheck,
    )
    .await
}

/// The check a clip's bytes keep passing while they flow: Err says why they stop.
type Recheck = std::sync::Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// How often a flowing clip is checked again: a lapse stops it within this long.
const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// One byte range of a file (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`; the whole file
/// without a Range header.
async fn serve_range(
    path: &std::path::Path,
    name: &str,
    range: Option<&str>,
    recheck: Recheck,
) -> Response {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return refuse(StatusCode::NOT_FOUND, "the clip's file cannot be opened");
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(_) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the clip's file cannot be read",
            );
        }
    };
    let wanted = range.and_then(|r| parse_range(r, len));
    if range.is_some() && wanted.is_none() {
        let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        r.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes */{len}")).unwrap(),
        );
        return r;
    }
    let (start, end) = wanted.unwrap_or((0, len.saturating_sub(1)));
    if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "seeking in the clip failed",
        );
    }
    let count = if len == 0 { 0 } else { end - start + 1 };
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(count), 256 * 1024);
    let checked = std::sync::Arc::new(std::sync::Mutex::new(std::time::Instant::now()));
    let stream = futures_util::StreamExt::then(stream, move |chunk| {
        let (recheck, checked) = (recheck.clone(), checked.clone());
        async move {
            let due = checked
                .lock()
                .map(|t| t.elapsed() >= RECHECK_EVERY)
                .unwrap_or(true);
            if due {
                let verdict = tokio::task::spawn_blocking(move || recheck())
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                if let Err(why) = verdict {
                    // The connection is cut mid-body: the player stops, and asking again is refused.
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        why,
                    ));
                }
                if let Ok(mut t) = checked.lock() {
                    *t = std::time::Instant::now();
                }
            }
            chunk
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    let h = r.headers_mut();
    let mime = if name.to_ascii_lowercase().ends_with(".mp4") {
        "video/mp4"
    } else {
        "application/octet-stream"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if wanted.is_some() {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        r.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")).unwrap(),
        );
    }
    r
}

/// The one byte range a `Range` header asks of a clip of `len` bytes (http-range-header parses
/// and checks it against the length); None for several ranges or one the clip cannot satisfy.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let ranges = http_range_header::parse_range_header(value.trim())
        .ok()?
        .validate(len)
        .ok()?;
    match ranges.as_slice() {
        [one] => Some((*one.start(), *one.end())),
        _ => None,
    }
}

pub async fn access_log(State(s): State<AppState>, Extension(c): Extension<Caller>) -> Response {
    acting(s, c, |s, _| custody::access::log(&s.station, None, None)).await
}

pub async fn list_accounts(State(s): State<AppState>, Extension(c): Extension<Caller>) -> Response {
    acting(s, c, |s, _| accounts::list(&s.station)).await
}

#[derive(Deserialize)]
pub struct NewAccount {
    name: String,
    roles: Vec<String>,
}

/// Adds an account; the answer carries its one-time secret, shown this once.
pub async fn add_account(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(f): Json<NewAccount>,
) -> Response {
    acting(s, c, move |s, by| {
        let roles = f
            .roles
            .iter()
            .map(|r| {
                Role::parse(r).ok_or_else(|| {
                    crate::usage!("role '{r}': {}", accounts::roles_text(&Role::ALL))
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let secret = accounts::create(&s.station, by, &f.name, &roles)?;
        Ok(json!({ "account": f.name, "roles": roles, "one_time_secret": secret }))
    })
    .await
}

pub async fn disable_account(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    Json(f): Json<Reason>,
) -> Response {
    let sessions = s.sessions.clone();
    let gone = name.clone();
    let r = acting(s, c, move |s, by| {
        accounts::disable(&s.station, by, &name, &f.reason)?;
        Ok(json!({ "account": name, "disabled": true }))
    })
    .await;
    if r.status() == StatusCode::OK {
        sessions.end_all_of(&gone);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn byte_ranges_as_browsers_send_them() {
        assert_eq!(parse_range("bytes=0-", 100), Some((0, 99)));
        assert_eq!(parse_range("bytes=10-19", 100), Some((10, 19)));
        assert_eq!(parse_range("bytes=90-500", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
