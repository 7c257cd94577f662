//! `/api/v1/…`: the same views as the CLI's `--json`, one source of truth for both.

use super::AppState;
use crate::custody::access::{Access, record_view};
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
}

pub async fn clips(State(s): State<AppState>, Query(q): Query<ClipQuery>) -> Response {
    blocking(move || {
        let contains = |field: &Option<String>, want: &Option<String>| match want
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            None => true,
            Some(w) => field
                .as_deref()
                .is_some_and(|f| f.to_lowercase().contains(&w.to_lowercase())),
        };
        let (from, to) = (
            q.from.as_deref().and_then(parse_stamp),
            q.to.as_deref().and_then(parse_stamp),
        );
        let mut clips = s.station.ledger().clips(None)?;
        clips.retain(|c| {
            let when = c
                .recorded_at_corrected
                .as_deref()
                .or(c.recorded_at.as_deref())
                .and_then(parse_stamp);
            contains(&Some(c.camera.clone()), &q.camera)
                && contains(&c.officer, &q.officer)
                && (c.cases.is_empty() && contains(&None, &q.case)
                    || c.cases.iter().any(|k| contains(&Some(k.clone()), &q.case)))
                && from.is_none_or(|f| when.is_some_and(|w| w >= f))
                && to.is_none_or(|t| when.is_some_and(|w| w < t))
        });
        clips.reverse(); // newest first
        for c in &mut clips {
            c.store_path = s.station.locate(&c.store_path);
        }
        Ok(clips)
    })
    .await
}

/// One clip's custody trail: showing a clip is an access, so it goes on the register.
pub async fn custody(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(sha): Path<String>,
) -> Response {
    blocking(move || {
        let sha = s
            .station
            .ledger()
            .resolve_clip(&sha)
            .map_err(anyhow::Error::msg)?;
        let actor = format!("dashboard@{}", peer.ip());
        record_view(
            &s.station,
            &sha,
            &Access {
                actor: &actor,
                reason: "shown on the station dashboard",
            },
            "dashboard",
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
        Ok(json!({ "last_verify": verify, "last_checkpoint": checkpoint, "ledger": { "events": events, "chain_ok": chain_ok } }))
    })
    .await
}
