//! `/api/v1/…`: the same views as the CLI's `--json`, one source of truth for both.

use super::AppState;
use crate::custody::access::{Access, record_view};
use crate::ledger::queries::ClipFilter;
use crate::time::parse_stamp;
use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

fn fail(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": e.to_string() })),
    )
        .into_response()
}

/// Runs a ledger read on a blocking thread (SQLite calls block).
async fn blocking<T: serde::Serialize + Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => fail(e),
        Err(e) => fail(e),
    }
}

pub async fn slots(State(s): State<AppState>) -> Response {
    Json(s.slots.snapshot()).into_response()
}

pub async fn fleet(State(s): State<AppState>) -> Response {
    blocking(move || {
        Ok(s.station
            .ledger()
            .fleet(chrono::Utc::now(), s.station.config.policy.overdue_after)?)
    })
    .await
}

#[derive(Deserialize)]
pub struct ClipQuery {
    camera: Option<String>,
    officer: Option<String>,
    case: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

/// A page of clips when none is asked for, and the most one request may ask for.
const CLIPS_PAGE: u32 = 200;
const CLIPS_PAGE_MAX: u32 = 2000;

/// Clips, newest first, one page at a time: the next page's address is in a `Link: <…>; rel="next"`
/// header (RFC 8288), absent on the last page.
pub async fn clips(State(s): State<AppState>, Query(q): Query<ClipQuery>) -> Response {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_string)
    };
    let mut bad = None;
    let mut instant = |name: &str, v: &Option<String>| {
        let v = text(v)?;
        let t = parse_stamp(&v);
        if t.is_none() {
            bad = Some(format!("{name}={v} is not an RFC 3339 instant"));
        }
        t
    };
    let filter = ClipFilter {
        camera: text(&q.camera),
        officer: text(&q.officer),
        case: text(&q.case),
        from: instant("from", &q.from),
        to: instant("to", &q.to),
        before: q.before,
        limit: q.limit.unwrap_or(CLIPS_PAGE).clamp(1, CLIPS_PAGE_MAX),
    };
    if let Some(msg) = bad {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response();
    }
    let found = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let (mut clips, next) = s.station.ledger().search_clips(&filter)?;
        for c in &mut clips {
            c.store_path = s.station.locate(&c.store_path);
        }
        Ok((clips, next, filter))
    })
    .await;
    let (clips, next, filter) = match found {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return fail(e),
        Err(e) => return fail(e),
    };
    let mut response = Json(clips).into_response();
    if let Some(before) = next {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("camera", &filter.camera),
            ("officer", &filter.officer),
            ("case", &filter.case),
        ] {
            if let Some(v) = v {
                query.append_pair(k, v);
            }
        }
        for (k, v) in [("from", filter.from), ("to", filter.to)] {
            if let Some(v) = v {
                query.append_pair(k, &crate::time::stamp(v));
            }
        }
        query.append_pair("before", &before.to_string());
        query.append_pair("limit", &filter.limit.to_string());
        if let Ok(link) = format!("</api/v1/clips?{}>; rel=\"next\"", query.finish()).parse() {
            response
                .headers_mut()
                .insert(axum::http::header::LINK, link);
        }
    }
    response
}

/// One clip's custody trail: showing a clip is an access, so it goes on the register.
pub async fn custody(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(caller): axum::Extension<super::session::Caller>,
    Path(sha): Path<String>,
) -> Response {
    blocking(move || {
        let sha = s
            .station
            .ledger()
            .resolve_clip(&sha)
            .map_err(anyhow::Error::msg)?;
        // The signed-in account; on a station without accounts, the address asking.
        let actor = match &caller.account {
            Some(a) => a.name.clone(),
            None => format!("dashboard@{}", peer.ip()),
        };
        record_view(
            &s.station,
            &sha,
            &Access {
                actor: &actor,
                reason: "shown on the station dashboard",
            },
            "dashboard",
            None,
        )?;
        let events = s.station.ledger().custody(&sha)?;
        Ok(json!({ "clip": sha, "events": events }))
    })
    .await
}

pub async fn audit(State(s): State<AppState>) -> Response {
    blocking(move || {
        let ledger = s.station.ledger();
        let last = |kind: &str| -> anyhow::Result<Option<(String, Value)>> {
            Ok(ledger
                .conn()
                .query_row("SELECT at, detail_json FROM events WHERE kind = ?1 ORDER BY seq DESC LIMIT 1", [kind], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .ok()
                .map(|(at, d)| (at, serde_json::from_str(&d).unwrap_or(Value::Null))))
        };
        let verify = last("verify-run")?.map(|(at, d)| {
            json!({ "at": at, "ok": d["ok"], "clips_checked": d["clips_checked"], "bytes_checked": d["bytes_checked"],
                    "problems": d["problems"], "chain_ok": d["chain_ok"] })
        });
        let checkpoint = last("checkpoint")?.map(|(at, d)| json!({ "at": at, "seq": d["seq"], "head_hash": d["head_hash"] }));
        let events = ledger.event_count()?;
        let chain_ok = verify.as_ref().map(|v| v["chain_ok"].clone()).unwrap_or(Value::Null);
        drop(ledger);
        let replica = crate::replica::health(&s.station, chrono::Utc::now())?;
        Ok(json!({ "last_verify": verify, "last_checkpoint": checkpoint, "ledger": { "events": events, "chain_ok": chain_ok },
                   "replica": replica }))
    })
    .await
}
