//! The token rule: beyond loopback every request must carry the station's token, as a bearer
//! header or the `camdock_token` cookie (set once by opening `/?token=…`, since a browser's
//! EventSource cannot send headers).

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn presented(req: &Request) -> Option<String> {
    let h = req.headers();
    if let Some(bearer) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.to_string());
    }
    let cookie = h
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|kv| kv.trim().strip_prefix("camdock_token=").map(str::to_string))
        });
    cookie.or_else(|| {
        req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
        })
    })
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = state.station.config.web.token.clone() else {
        return next.run(req).await;
    };
    let from_query = req.uri().query().is_some_and(|q| q.contains("token="));
    match presented(&req) {
        Some(given) if same(&given, &token) => {
            let mut resp = next.run(req).await;
            if from_query {
                let cookie = format!("camdock_token={token}; HttpOnly; SameSite=Strict; Path=/");
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    resp.headers_mut().insert(header::SET_COOKIE, v);
                }
            }
            resp
        }
        _ => (StatusCode::UNAUTHORIZED, "this station's dashboard needs its token: open /?token=… or send Authorization: Bearer …\n").into_response(),
    }
}
