//! The Review page's calls: spot checks (draw, findings, the inspection register), gaps between
//! recordings and their reasons, compliance per officer. The same workflows as the command line
//! (`custody::review`, `custody::interruptions`, `custody::compliance`), as the signed-in account.

use super::AppState;
use super::actions::acting;
use super::session::Caller;
use crate::custody::{compliance, interruptions, review};
use crate::time::typed_instant as instant;
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use camdock_record::detail::GapReason;
use camdock_record::review::{Check, Item};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct DrawForm {
    from: String,
    to: String,
    #[serde(default)]
    officer: Option<String>,
    size: u32,
    #[serde(default)]
    seed: Option<String>,
}

pub async fn draw(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(f): Json<DrawForm>,
) -> Response {
    acting(s, c, move |s, by| {
        let scope = review::Scope {
            officer: f.officer.filter(|o| !o.trim().is_empty()),
            camera: None,
            from: instant("from", &f.from)?,
            to: instant("to", &f.to)?,
        };
        let seed = f
            .seed
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().parse::<u64>())
            .transpose()
            .map_err(|_| crate::usage!("a seed is a whole number"))?;
        let (seq, drawn) = review::draw(&s.station, &scope, f.size, seed, &by.name)?;
        Ok(json!({ "draw": seq, "drawn": drawn }))
    })
    .await
}

/// The inspection register, with the checklist (named once, in `camdock_record`, for the page too).
pub async fn register(State(s): State<AppState>, Extension(c): Extension<Caller>) -> Response {
    acting(s, c, |s, _| {
        let checklist: Vec<_> = Item::ALL
            .iter()
            .map(|i| json!({ "item": i.as_str(), "question": i.question() }))
            .collect();
        Ok(json!({
            "register": review::register(s.station.ledger().conn())?,
            "checklist": checklist,
        }))
    })
    .await
}

#[derive(Deserialize)]
pub struct FindingForm {
    clip: String,
    checks: Vec<Check>,
    #[serde(default)]
    note: String,
}

pub async fn finding(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(draw): Path<i64>,
    Json(f): Json<FindingForm>,
) -> Response {
    acting(s, c, move |s, by| {
        let seq = review::record_finding(&s.station, draw, &f.clip, &f.checks, &f.note, &by.name)?;
        Ok(json!({ "seq": seq }))
    })
    .await
}

/// The gaps the account may see, with the reasons a gap may be given (named once, in
/// `camdock_record`).
pub async fn gaps(State(s): State<AppState>, Extension(c): Extension<Caller>) -> Response {
    acting(s, c, |s, by| {
        Ok(json!({
            "gaps": interruptions::visible_to(s.station.ledger().conn(), by)?,
            "reasons": GapReason::ALL.map(GapReason::as_str),
        }))
    })
    .await
}

#[derive(Deserialize)]
pub struct ExplanationForm {
    reason: String,
    #[serde(default)]
    text: String,
}

pub async fn explain(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(f): Json<ExplanationForm>,
) -> Response {
    acting(s, c, move |s, by| {
        let reason = GapReason::parse(&f.reason).ok_or_else(|| {
            crate::usage!(
                "reason '{}' is one of {}",
                f.reason,
                GapReason::ALL.map(GapReason::as_str).join(", ")
            )
        })?;
        let seq = interruptions::explain_as(&s.station, &id, reason, &f.text, by)?;
        Ok(json!({ "gap": id, "seq": seq }))
    })
    .await
}

#[derive(Deserialize)]
pub struct Period {
    from: String,
    to: String,
    #[serde(default)]
    officer: Option<String>,
}

pub async fn compliance(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Period>,
) -> Response {
    acting(s, c, move |s, _| {
        let officer = p.officer.filter(|o| !o.trim().is_empty());
        compliance::report(
            s.station.ledger().conn(),
            instant("from", &p.from)?,
            instant("to", &p.to)?,
            officer.as_deref(),
        )
    })
    .await
}
