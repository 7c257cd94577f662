//! The token rule: beyond loopback every request must carry the station's token, as a bearer
//! header or the `camdock_token` cookie (set once by opening `/?token=…`, since a browser's
//! EventSource cannot send headers).

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
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
    super::session::cookie_value(h, COOKIE).or_else(|| {
        req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
        })
    })
}

const COOKIE: &str = "camdock_token";

pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = state.station.config.web.token.clone() else {
        return next.run(req).await;
    };
    let from_query = req.uri().query().is_some_and(|q| q.contains("token="));
    match presented(&req) {
        Some(given) if super::session::same_secret(&given, &token) => {
            let tls = state.station.config.web.tls;
            let mut resp = next.run(req).await;
            if from_query
                && let Some(v) = super::session::secret_cookie(COOKIE, token, None, tls)
            {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        _ => (StatusCode::UNAUTHORIZED, "this station's dashboard needs its token: open /?token=… or send Authorization: Bearer …\n").into_response(),
    }
}
