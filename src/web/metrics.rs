//! `/metrics` in the Prometheus text format, computed from the ledger and the live slots.

use super::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

pub async fn metrics(State(s): State<AppState>) -> Response {
    let slots = s.slots.snapshot();
    let result = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let replica = crate::replica::health(&s.station, chrono::Utc::now())?;
        let ledger = s.station.ledger();
        let conn = ledger.conn();
        let one = |sql: &str| -> anyhow::Result<i64> {
            use rusqlite::OptionalExtension;
            Ok(conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0)).optional()?.flatten().unwrap_or(0))
        };
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        metric("camdock_clips_stored_total", "counter", "Clips stored in the write-once store.", &[(String::new(), one("SELECT count(*) FROM clips")? as f64)]);
        metric("camdock_bytes_stored_total", "counter", "Bytes of clips stored.", &[(String::new(), one("SELECT sum(bytes) FROM clips")? as f64)]);
        let hour_bytes = one("SELECT sum(json_extract(detail_json, '$.bytes')) FROM events WHERE kind = 'clip-stored' AND at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')")?;
        metric("camdock_ingest_bytes_per_second", "gauge", "Ingest rate over the last hour.", &[(String::new(), hour_bytes as f64 / 3600.0)]);
        let mut stmt = conn.prepare("SELECT coalesce(json_extract(detail_json, '$.stage'), 'unknown'), count(*) FROM events WHERE kind = 'clip-failed' GROUP BY 1")?;
        let failures: Vec<(String, f64)> = stmt
            .query_map([], |r| Ok((format!("{{stage=\"{}\"}}", r.get::<_, String>(0)?), r.get::<_, i64>(1)? as f64)))?
            .collect::<Result<_, _>>()?;
        metric("camdock_clip_failures_total", "counter", "Clips that could not be stored, by stage.", &failures);
        let fleet = ledger.fleet(chrono::Utc::now(), s.station.config.policy.overdue_after)?;
        let count = |state: &str| fleet.iter().filter(|c| c.state == state).count() as f64;
        metric(
            "camdock_cameras",
            "gauge",
            "Cameras by state.",
            &["docked", "out", "overdue", "elsewhere"].map(|st| (format!("{{state=\"{st}\"}}"), count(st))),
        );
        let problems = one("SELECT json_extract(detail_json, '$.problems') FROM events WHERE kind = 'verify-run' ORDER BY seq DESC LIMIT 1")?;
        metric("camdock_verify_problems", "gauge", "Problems found by the last verify.", &[(String::new(), problems as f64)]);
        metric("camdock_ledger_events", "gauge", "Events in the custody ledger.", &[(String::new(), one("SELECT count(*) FROM events")? as f64)]);
        let db_bytes = std::fs::metadata(s.station.data_dir.join(crate::station::LEDGER_FILE)).map(|m| m.len()).unwrap_or(0);
        metric("camdock_ledger_bytes", "gauge", "Size of the ledger file.", &[(String::new(), db_bytes as f64)]);
        if replica.enabled {
            metric("camdock_replication_backlog", "gauge", "Clips not yet confirmed in the replica bucket.", &[(String::new(), replica.backlog as f64)]);
            metric("camdock_replication_failing", "gauge", "Clips whose last replication attempt failed.", &[(String::new(), replica.failing.len() as f64)]);
            metric("camdock_replication_endpoint_failures", "gauge", "Replication passes in a row that could not reach the endpoint.", &[(String::new(), replica.endpoint_failures as f64)]);
            metric("camdock_replication_breaker_open", "gauge", "1 while the replica endpoint keeps failing and passes stay away.", &[(String::new(), f64::from(u8::from(replica.breaker_open_until.is_some())))]);
        }
        metric("camdock_slots_active", "gauge", "Dock slots with a camera.", &[(String::new(), slots.len() as f64)]);
        Ok(out)
    })
    .await;
    match result {
        Ok(Ok(text)) => {
            let mut r = text.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
