//! The Host rule, against DNS rebinding: a page on another site can make a browser on the
//! station's network resolve the attacker's name to the station's address, then read the
//! dashboard as if it were its own origin. The browser still sends the attacker's name as `Host`,
//! so the station answers only to its own names: loopback names, its listen address, and
//! `web.hostnames`.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The host part of a `Host` header value ("name:port", "[v6]:port", "name"), lowercased.
fn host_part(value: &str) -> String {
    let v = value.trim();
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        v.rsplit_once(':').map_or(v, |(h, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                v
            }
        })
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

pub fn is_own_name(host: &str, listen: &str, hostnames: &[String]) -> bool {
    let host = host_part(host);
    let listen_ip = listen
        .parse::<std::net::SocketAddr>()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    ["localhost", "127.0.0.1", "::1"].contains(&host.as_str())
        || (!listen_ip.is_empty()
            && host == listen_ip
            && listen_ip != "0.0.0.0"
            && listen_ip != "::")
        || hostnames.iter().any(|n| host_part(n) == host)
}

/// The name (and port) a request was sent to: HTTP/1.1 carries it as `Host`, HTTP/2 as the URI's
/// `:authority`.
pub fn requested_host(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
}

pub async fn require_own_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let web = &state.station.config.web;
    match requested_host(&req) {
        Some(h) if is_own_name(&h, &web.listen, &web.hostnames) => next.run(req).await,
        other => (
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this station does not answer to '{}': add the name it is reached by to web.hostnames\n",
                other.as_deref().map(host_part).unwrap_or_default()
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stations_own_names_are_answered() {
        let names = vec!["dock-7.station.lan".to_string()];
        for ok in [
            "localhost:8600",
            "127.0.0.1:8600",
            "[::1]:8600",
            "DOCK-7.station.lan",
            "dock-7.station.lan.:443",
            "10.0.0.5:8600",
        ] {
            assert!(is_own_name(ok, "10.0.0.5:8600", &names), "{ok}");
        }
        for bad in [
            "evil.example:8600",
            "localhost.evil.example",
            "10.0.0.6:8600",
            "",
            "127.0.0.1.evil.example",
        ] {
            assert!(!is_own_name(bad, "10.0.0.5:8600", &names), "{bad}");
        }
        assert!(
            !is_own_name("0.0.0.0:8600", "0.0.0.0:8600", &[]),
            "a wildcard listen names nothing"
        );
    }
}
