//! People and permissions from outside: accounts made with the CLI, a running daemon's every
//! route tried by anonymous and each role (the expected table is written out here, apart from
//! the code's), CSRF, Origin and Host refusals, the sign-in limit, the two-person approval flow
//! through the API down to a ranged stream of the clip, and the CLI's state-changing commands
//! per role.

mod common;

use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROLES: [&str; 6] = [
    "officer",
    "equipment-manager",
    "auditor",
    "approver",
    "admin",
    "reviewer",
];
const PASSWORD: &str = "correct horse battery staple";

/// camdock with the data dir, with `password` in CAMDOCK_PASSWORD (the account is named by the
/// command's own --as / --actor / --by); (code, out, err).
fn as_account(data: &Path, password: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(bin());
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null());
    if let Some(p) = password {
        cmd.env("CAMDOCK_PASSWORD", p);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The id in `approval request`'s answer ("request #7 made; …").
fn request_id(out: &str) -> String {
    out.split('#')
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no request id in: {out}"))
        .to_string()
}

/// The account `name` sets its own password (PASSWORD), signing in with its one-time secret.
fn set_own(data: &Path, name: &str, secret: &str) {
    set_own_password(None, data, name, secret, PASSWORD);
}

/// A station with one clip stored and one account per role (named as the role), each with its
/// own password set after its one-time secret.
fn station_with_people(s: &Scratch) -> (std::path::PathBuf, String) {
    let data = s.join("data");
    let vol = camera(&s.join("cards"), "7700001", 2)[0]
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let (code, out, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        vol.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let sha = json(&out)["clips"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();

    let (code, out, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "account",
        "init",
        "admin",
    ]);
    assert_eq!(code, 0, "{err}");
    set_own(&data, "admin", &secret_of(&out));
    let (code, _, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "account",
        "init",
        "admin2",
    ]);
    assert_eq!(code, 2, "a second init is refused: {err}");
    for role in ROLES.iter().filter(|r| **r != "admin") {
        let (code, out, err) = as_account(
            &data,
            Some(PASSWORD),
            &["account", "add", role, "--role", role, "--as", "admin"],
        );
        assert_eq!(code, 0, "{out}{err}");
        set_own(&data, role, &secret_of(&out));
    }
    // A second approver, so an approver's own request has someone else to decide it.
    let (_, out, _) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account",
            "add",
            "approver2",
            "--role",
            "approver",
            "--as",
            "admin",
        ],
    );
    set_own(&data, "approver2", &secret_of(&out));
    (data, sha)
}

fn start(s: &Scratch, data: &Path) -> (Running, u16) {
    start_with(s, data, "")
}

/// The daemon with `web_extra` added to its `[web]` table, on a port the kernel picks (read back
/// from its log: no two tests can race for one port); the daemon and its port.
fn start_with(s: &Scratch, data: &Path, web_extra: &str) -> (Running, u16) {
    let cfg = s.join("camdock.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"127.0.0.1:0\"\n{web_extra}",
            s.join("media").display()
        ),
    )
    .unwrap();
    let log_path = s.join("daemon.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let d = Running(
        Command::new(bin())
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
                "run",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let port = text
            .split("dashboard on http")
            .nth(1)
            .and_then(|rest| rest.split("127.0.0.1:").nth(1))
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse::<u16>().ok());
        if let Some(port) = port {
            return (d, port);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the daemon never listened:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    fn by_gate(&self) -> bool {
        self.json()["refused_by"] == "gate"
    }
}

/// One HTTP/1.1 request, written by hand so that Host, Origin and cookies are exactly as given.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Answer {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req += &format!("Host: 127.0.0.1:{port}\r\n");
    }
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        req += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    req += "\r\n";
    req += body;
    c.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        headers: head,
        body: raw[split + 4..].to_vec(),
    }
}

/// A signed-in browser: its cookie and CSRF token.
#[derive(Clone)]
struct Browser {
    port: u16,
    cookie: String,
    csrf: String,
}

impl Browser {
    fn sign_in(port: u16, name: &str, password: &str) -> Result<Browser, Answer> {
        let a = http(
            port,
            "POST",
            "/api/v1/session",
            &[("Origin", format!("http://127.0.0.1:{port}"))],
            Some(&serde_json::json!({ "account": name, "password": password }).to_string()),
        );
        if a.status != 200 {
            return Err(a);
        }
        let cookie = a
            .headers
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert!(
            a.headers
                .to_lowercase()
                .contains("httponly; samesite=strict"),
            "{}",
            a.headers
        );
        Ok(Browser {
            port,
            cookie,
            csrf: a.json()["csrf"].as_str().unwrap().to_string(),
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> Answer {
        let mut h = vec![
            ("Cookie", self.cookie.clone()),
            ("Origin", format!("http://127.0.0.1:{}", self.port)),
        ];
        if method != "GET" {
            h.push(("X-CSRF-Token", self.csrf.clone()));
        }
        http(
            self.port,
            method,
            path,
            &h,
            body.map(|b| b.to_string()).as_deref(),
        )
    }
}

/// The route table as the regulations read (docs/SECURITY.md), written out here apart from the
/// code: for each route, may (anonymous, officer, equipment-manager, auditor, approver, admin,
/// reviewer)
/// pass the gate? `y` yes, `.` no.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/", "yyyyyyy"),
    ("GET", "/kiosk", "yyyyyyy"),
    ("GET", "/static/app.js", "yyyyyyy"),
    ("GET", "/static/access.js", "yyyyyyy"),
    ("GET", "/static/review.js", "yyyyyyy"),
    ("GET", "/static/attention.js", "yyyyyyy"),
    ("GET", "/static/kinds.js", "yyyyyyy"),
    ("GET", "/static/style.css", "yyyyyyy"),
    ("GET", "/api/v1/slots", "yyyyyyy"),
    ("GET", "/api/v1/stream", "yyyyyyy"),
    ("POST", "/api/v1/session", "yyyyyyy"),
    ("GET", "/api/v1/session", ".yyyyyy"),
    ("DELETE", "/api/v1/session", ".yyyyyy"),
    ("POST", "/api/v1/session/password", ".yyyyyy"),
    ("GET", "/api/v1/fleet", "..yyy.."),
    ("GET", "/api/v1/clips", "..yyy.y"),
    ("GET", "/api/v1/clips/{sha}/custody", "..yyy.y"),
    ("GET", "/api/v1/clips/{sha}/content", ".yyyyyy"),
    ("GET", "/api/v1/audit", "..yyy.y"),
    ("GET", "/api/v1/access-log", "...yy.y"),
    ("GET", "/metrics", "..y..y."),
    ("POST", "/api/v1/cameras/{camera}/assignment", "..y...."),
    (
        "POST",
        "/api/v1/cameras/{camera}/attention/{code}/acknowledgement",
        "..y....",
    ),
    ("POST", "/api/v1/clips/{sha}/tags", "..y.y.."),
    ("POST", "/api/v1/clips/{sha}/hold", "...yy.."),
    ("POST", "/api/v1/clips/{sha}/release", "....y.."),
    ("GET", "/api/v1/approvals", ".yyyyyy"),
    ("POST", "/api/v1/approvals", ".yyyy.y"),
    ("POST", "/api/v1/approvals/{id}/decision", "....y.."),
    ("POST", "/api/v1/approvals/{id}/viewing", ".yyyy.y"),
    ("GET", "/api/v1/accounts", ".....y."),
    ("POST", "/api/v1/accounts", ".....y."),
    ("POST", "/api/v1/accounts/{name}/disable", ".....y."),
    ("GET", "/api/v1/reviews", "...yy.y"),
    ("POST", "/api/v1/reviews", "......y"),
    ("POST", "/api/v1/reviews/{draw}/findings", "......y"),
    ("GET", "/api/v1/gaps", ".yyyyyy"),
    ("POST", "/api/v1/gaps/{id}/explanation", ".yy...."),
    ("GET", "/api/v1/compliance", "..yyy.y"),
];

#[test]
fn every_route_answers_exactly_the_roles_the_table_allows() {
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    let (_d, port) = start(&s, &data);

    // The test's table covers every route the server has, and no other.
    let served: Vec<(String, String)> = camdock::web::session::ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let listed: Vec<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(served, listed, "every route is in the expected table");

    let browsers: Vec<Browser> = ROLES
        .iter()
        .map(|r| {
            Browser::sign_in(port, r, PASSWORD).unwrap_or_else(|a| panic!("{r}: {}", a.status))
        })
        .collect();
    for (method, route, expected) in EXPECTED {
        let path = route
            .replace("{sha}", &sha)
            .replace("{camera}", "7700001")
            .replace("{code}", "unbound")
            .replace("{id}", "999999")
            .replace("{draw}", "999999")
            .replace("{name}", "nobody-here");
        // An empty form: a caller the gate lets through meets the handler's own "no" (4xx), never
        // an act done by this table's walk.
        let body = (*method != "GET").then(|| serde_json::json!({}));
        for (who, allowed) in expected.chars().enumerate() {
            let answer = if path == "/api/v1/stream" {
                // An endless stream: the status line is the answer; read it and hang up.
                let cookie = (who > 0).then(|| ("Cookie", browsers[who - 1].cookie.clone()));
                let status = http_status_only(port, &path, cookie.as_slice());
                Answer {
                    status,
                    headers: String::new(),
                    body: Vec::new(),
                }
            } else if who == 0 {
                http(
                    port,
                    method,
                    &path,
                    &[("Origin", format!("http://127.0.0.1:{port}"))],
                    body.as_ref().map(|b| b.to_string()).as_deref(),
                )
            } else if *method == "DELETE" {
                // Signing out ends the session: a fresh one for this row keeps the walk's own.
                Browser::sign_in(port, ROLES[who - 1], PASSWORD)
                    .unwrap()
                    .call(method, &path, body.clone())
            } else {
                browsers[who - 1].call(method, &path, body.clone())
            };
            let caller = if who == 0 {
                "anonymous"
            } else {
                ROLES[who - 1]
            };
            if allowed == 'y' {
                assert!(
                    !answer.by_gate(),
                    "{method} {route} as {caller}: refused by the gate ({}): {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                // Let through means answered by the route's own handler: done (2xx), or its own
                // "no" to the walk's empty form or made-up id (a 4xx that says why). Not a 5xx,
                // and not the router's bodiless 404/405 (a route the table lists but nobody serves).
                let handled = (200..300).contains(&answer.status)
                    || ((400..500).contains(&answer.status) && !answer.body.is_empty());
                assert!(
                    handled,
                    "{method} {route} as {caller}: let through, but no handler answered ({}): {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                if path == "/api/v1/stream" {
                    assert_eq!(answer.status, 200, "the event stream as {caller}");
                }
            } else {
                assert!(
                    answer.by_gate(),
                    "{method} {route} as {caller}: let through ({})",
                    answer.status
                );
                let want = if who == 0 { 401 } else { 403 };
                assert_eq!(answer.status, want, "{method} {route} as {caller}");
            }
        }
    }
    // The kiosk's stream (anonymous) carries the dock tiles and no fleet; a manager's carries both.
    let kiosk = stream_for(port, &[], Duration::from_secs(4));
    assert!(
        kiosk.contains("event: slots") && !kiosk.contains("event: fleet"),
        "{kiosk}"
    );
    let manager = stream_for(
        port,
        &[("Cookie", browsers[1].cookie.clone())],
        Duration::from_secs(4),
    );
    assert!(manager.contains("event: fleet"), "{manager}");

    // A state change without the CSRF token, or from another origin, or with no Origin at all:
    // refused, whoever is signed in.
    let approver = &browsers[3];
    let hold = format!("/api/v1/clips/{sha}/hold");
    let body = serde_json::json!({ "reason": "court order 7" }).to_string();
    let origin = format!("http://127.0.0.1:{port}");
    for (what, headers) in [
        (
            "no CSRF token",
            vec![
                ("Cookie", approver.cookie.clone()),
                ("Origin", origin.clone()),
            ],
        ),
        (
            "a wrong CSRF token",
            vec![
                ("Cookie", approver.cookie.clone()),
                ("Origin", origin.clone()),
                ("X-CSRF-Token", "x".repeat(24)),
            ],
        ),
        (
            "another site's Origin",
            vec![
                ("Cookie", approver.cookie.clone()),
                ("Origin", "http://evil.example".to_string()),
                ("X-CSRF-Token", approver.csrf.clone()),
            ],
        ),
        (
            "no Origin",
            vec![
                ("Cookie", approver.cookie.clone()),
                ("X-CSRF-Token", approver.csrf.clone()),
            ],
        ),
    ] {
        let a = http(port, "POST", &hold, &headers, Some(&body));
        assert_eq!((a.status, a.by_gate()), (403, true), "{what}");
    }
    // The same hold, done right, is done, as the approver's account.
    assert_eq!(
        approver
            .call(
                "POST",
                &hold,
                Some(serde_json::json!({ "reason": "court order 7" }))
            )
            .status,
        200
    );
    // DNS rebinding: another name for the station's address is not the station.
    let a = http(
        port,
        "GET",
        "/api/v1/fleet",
        &[
            ("Host", format!("evil.example:{port}")),
            ("Cookie", browsers[1].cookie.clone()),
        ],
        None,
    );
    assert_eq!(a.status, 421);
    // Signed out: the cookie is dead.
    let em = &browsers[1];
    assert_eq!(em.call("DELETE", "/api/v1/session", None).status, 200);
    assert_eq!(em.call("GET", "/api/v1/fleet", None).status, 401);

    let trail = as_account(&data, None, &["custody", &sha, "--json"]).1;
    let hold_event = json(&trail)["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "hold-placed")
        .cloned()
        .unwrap();
    assert_eq!(hold_event["actor"], "approver", "the actor is the account");
}

/// The status of a GET whose body never ends (Server-Sent Events).
fn http_status_only(port: u16, path: &str, headers: &[(&str, String)]) -> u16 {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    c.write_all((req + "\r\n").as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let n = c.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n])
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// What a Server-Sent Events stream sends in `for` (then hung up).
fn stream_for(port: u16, headers: &[(&str, String)], r#for: Duration) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut req = format!("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    c.write_all((req + "\r\n").as_bytes()).unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < r#for {
        if let Ok(n) = c.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn an_auditor_watches_a_clip_only_through_another_accounts_approval() {
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    let (_d, port) = start(&s, &data);
    let auditor = Browser::sign_in(port, "auditor", PASSWORD).unwrap();
    let approver = Browser::sign_in(port, "approver", PASSWORD).unwrap();

    let asked = auditor.call(
        "POST",
        "/api/v1/approvals",
        Some(serde_json::json!({ "act": "view", "clip": sha, "reason": "complaint 2026-77" })),
    );
    assert_eq!(
        asked.status,
        200,
        "{}",
        String::from_utf8_lossy(&asked.body)
    );
    let id = asked.json()["id"].as_i64().unwrap();
    // Not yet approved: no viewing. Not one's own to approve.
    let early = auditor.call("POST", &format!("/api/v1/approvals/{id}/viewing"), None);
    assert_eq!(
        early.status,
        400,
        "{}",
        String::from_utf8_lossy(&early.body)
    );
    assert!(String::from_utf8_lossy(&early.body).contains("not decided"));
    let approvers_own = approver.call(
        "POST",
        "/api/v1/approvals",
        Some(serde_json::json!({ "act": "view", "clip": sha, "reason": "mine" })),
    );
    let own_id = approvers_own.json()["id"].as_i64().unwrap();
    let selfish = approver.call(
        "POST",
        &format!("/api/v1/approvals/{own_id}/decision"),
        Some(serde_json::json!({ "approve": true })),
    );
    assert_eq!(selfish.status, 400);
    assert!(String::from_utf8_lossy(&selfish.body).contains("another approver"));

    let decided = approver.call(
        "POST",
        &format!("/api/v1/approvals/{id}/decision"),
        Some(serde_json::json!({ "approve": true, "note": "granted" })),
    );
    assert_eq!(
        decided.status,
        200,
        "{}",
        String::from_utf8_lossy(&decided.body)
    );
    // The approver cannot ride on the auditor's approval.
    assert_eq!(
        approver
            .call("POST", &format!("/api/v1/approvals/{id}/viewing"), None)
            .status,
        400
    );
    assert_eq!(
        approver
            .call("GET", &format!("/api/v1/clips/{sha}/content"), None)
            .status,
        403
    );

    let watching = auditor.call("POST", &format!("/api/v1/approvals/{id}/viewing"), None);
    assert_eq!(
        watching.status,
        200,
        "{}",
        String::from_utf8_lossy(&watching.body)
    );
    let facts = watching.json();
    assert_eq!(facts["sha256"], sha.as_str());
    assert!(
        facts["stored_event"]["hash"].as_str().unwrap().len() == 64,
        "the chain fact of what is watched"
    );

    // The clip, by ranges, as a video element asks for it: the bytes are the store's.
    let stored = std::fs::read(
        json(&as_account(&data, None, &["clips", "--json"]).1)
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["sha256"] == sha.as_str())
            .unwrap()["store_path"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let h = |range: &str| {
        vec![
            ("Cookie", auditor.cookie.clone()),
            ("Range", range.to_string()),
        ]
    };
    let part = http(
        port,
        "GET",
        &format!("/api/v1/clips/{sha}/content"),
        &h("bytes=100-1123"),
        None,
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, stored[100..1124]);
    assert!(
        part.headers
            .contains(&format!("content-range: bytes 100-1123/{}", stored.len())),
        "{}",
        part.headers
    );
    let whole = http(
        port,
        "GET",
        &format!("/api/v1/clips/{sha}/content"),
        &[("Cookie", auditor.cookie.clone())],
        None,
    );
    assert_eq!(whole.status, 200);
    assert_eq!(
        sha256_hex(&whole.body),
        sha,
        "the whole clip streamed is the clip"
    );

    // The register: request, approval, viewing, with both accounts.
    let log = auditor.call("GET", "/api/v1/access-log", None).json();
    let about_clip: Vec<serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["clip"] == sha.as_str())
        .cloned()
        .collect();
    assert_the_register_shows_the_chain(&about_clip);

    // Every request is checked again: the approver disabled (the approval voided), the stream
    // is refused, naming why; the viewer's password reset by an admin ends the viewer's session.
    let content = |who: &Browser| {
        http(
            port,
            "GET",
            &format!("/api/v1/clips/{sha}/content"),
            &[
                ("Cookie", who.cookie.clone()),
                ("Range", "bytes=0-99".into()),
            ],
            None,
        )
    };
    assert_eq!(content(&auditor).status, 206);
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account",
            "disable",
            "approver",
            "--reason",
            "left the unit",
            "--as",
            "admin",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let lapsed = content(&auditor);
    assert_eq!(lapsed.status, 403);
    assert!(
        String::from_utf8_lossy(&lapsed.body).contains("approver was disabled"),
        "{}",
        String::from_utf8_lossy(&lapsed.body)
    );
    assert_eq!(auditor.call("GET", "/api/v1/session", None).status, 200);
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &["account", "password", "auditor", "--as", "admin"],
    );
    assert_eq!(code, 0, "{err}");
    let ended = auditor.call("GET", "/api/v1/session", None);
    assert_eq!(
        ended.status,
        401,
        "{}",
        String::from_utf8_lossy(&ended.body)
    );
    assert!(String::from_utf8_lossy(&ended.body).contains("account changed"));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn sign_in_is_limited_after_five_failures() {
    let s = Scratch::new();
    let (data, _) = station_with_people(&s);
    let (_d, port) = start(&s, &data);
    for _ in 0..5 {
        assert_eq!(
            Browser::sign_in(port, "auditor", "guess guess guess")
                .err()
                .unwrap()
                .status,
            401
        );
    }
    let limited = Browser::sign_in(port, "auditor", PASSWORD)
        .err()
        .expect("the right password is refused too while limited");
    assert_eq!(limited.status, 429);
    assert!(limited.headers.to_lowercase().contains("retry-after"));
}

/// The current password asked by a password change is a password check like a sign-in: it shares
/// the sign-in's limit.
#[test]
fn a_password_change_shares_the_sign_in_limit() {
    let s = Scratch::new();
    let (data, _) = station_with_people(&s);
    let (_d, port) = start(&s, &data);
    let officer = Browser::sign_in(port, "officer", PASSWORD).unwrap();
    let change = |current: &str| {
        officer.call(
            "POST",
            "/api/v1/session/password",
            Some(serde_json::json!({ "current": current, "new": "a brand new password 1" })),
        )
    };
    for _ in 0..5 {
        assert_eq!(change("guess guess guess").status, 403);
    }
    let limited = change(PASSWORD);
    assert_eq!(
        limited.status,
        429,
        "{}",
        String::from_utf8_lossy(&limited.body)
    );
    assert!(limited.headers.to_lowercase().contains("retry-after"));
    // And the sign-in of that account waits too.
    assert_eq!(
        Browser::sign_in(port, "officer", PASSWORD)
            .err()
            .unwrap()
            .status,
        429
    );
}

/// Forty sign-ins sent at once, one with the right password: each is counted before its
/// password is checked, so no more than five are evaluated and the rest wait.
#[test]
fn sign_ins_sent_at_once_are_counted_before_the_hash() {
    let s = Scratch::new();
    let (data, _) = station_with_people(&s);
    let (_d, port) = start(&s, &data);
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..40)
            .map(|i| {
                scope.spawn(move || {
                    let password = if i == 20 {
                        PASSWORD
                    } else {
                        "guess guess guess"
                    };
                    match Browser::sign_in(port, "auditor", password) {
                        Ok(_) => (200, String::new()),
                        Err(a) => (a.status, String::from_utf8_lossy(&a.body).into_owned()),
                    }
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let evaluated = answers
        .iter()
        .filter(|(s, _)| *s == 200 || *s == 401)
        .count();
    let waited = answers.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        evaluated <= 5,
        "{evaluated} passwords evaluated: {answers:?}"
    );
    assert_eq!(evaluated + waited, 40, "{answers:?}");
}

/// What people type reaches a terminal escaped; a camera is named by its grammar.
#[test]
fn typed_text_prints_escaped_and_cameras_are_named_by_their_grammar() {
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "approval",
            "request",
            "view",
            "--clip",
            &sha,
            "--reason",
            "court\u{1b}[2J\u{1b}[1;1Hall approved, sign here",
            "--as",
            "auditor",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = as_account(
        &data,
        Some(PASSWORD),
        &["approval", "list", "--as", "approver"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains('\u{1b}'),
        "an escape reached the terminal: {out:?}"
    );
    assert!(out.contains("court\\x1B[2J"), "{out}");
    let long = "7".repeat(5000);
    for camera in ["../../etc/passwd", long.as_str(), "cam\u{1b}[31m", ""] {
        let (code, _, err) = as_account(
            &data,
            Some(PASSWORD),
            &[
                "assign",
                camera,
                "--officer",
                "100234",
                "--by",
                "equipment-manager",
            ],
        );
        assert_eq!(code, 2, "{camera:.20}: {err}");
        assert!(
            err.contains("not a camera identifier") && !err.contains('\u{1b}'),
            "{err}"
        );
    }
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "assign",
            "7700001",
            "--officer",
            "PC\u{1b}[2J",
            "--by",
            "equipment-manager",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "assign",
            "7700999",
            "--officer",
            "100234",
            "--by",
            "equipment-manager",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not seen before"), "{out}");
}

/// Each state-changing CLI command, as each role: done or refused as the role table says; a name
/// that is no account (free text) and a wrong password are refused; an act on evidence needs an
/// approval by someone else, used once.
#[test]
fn the_command_line_acts_as_an_account() {
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    let d = data.to_str().unwrap();
    let vol = s.join("bench-card");
    std::fs::create_dir_all(&vol).unwrap();
    let vol_text = vol.to_str().unwrap();
    let out_dir = s.join("copies");
    std::fs::create_dir_all(&out_dir).unwrap();
    // The gap between the camera's two clips, for `explain-gap`.
    let gaps = json(&as_account(&data, None, &["gaps", "--json"]).1);
    let gap = gaps[0]["id"]
        .as_str()
        .expect("a gap between the two clips")
        .to_string();
    // (command, who may): each tried as every role.
    let table: &[(&[&str], &[&str])] = &[
        (
            &["assign", "7700001", "--officer", "PC 1001", "--by", "{who}"],
            &["equipment-manager"],
        ),
        (
            &[
                "acknowledge",
                "7700001",
                "unbound",
                "--note",
                "binding at the next dock",
                "--by",
                "{who}",
            ],
            &["equipment-manager"],
        ),
        (
            &["tag", &sha, "--case", "C-7", "--actor", "{who}"],
            &["equipment-manager", "approver"],
        ),
        (
            &["hold", &sha, "--reason", "inquiry", "--actor", "{who}"],
            &["auditor", "approver"],
        ),
        (
            &[
                "release",
                &sha,
                "--reason",
                "inquiry over",
                "--actor",
                "{who}",
            ],
            &["approver"],
        ),
        (&["account", "list", "--as", "{who}"], &["admin"]),
        (
            &[
                "account", "roles", "officer", "--role", "officer", "--as", "{who}",
            ],
            &["admin"],
        ),
        (
            &[
                "bind",
                vol_text,
                "--serial",
                "7700001",
                "--officer",
                "100234",
                "--unit",
                "T3",
                "--by",
                "{who}",
            ],
            &["equipment-manager"],
        ),
        (
            &[
                "untag",
                &sha,
                "--case",
                "C-7",
                "--reason",
                "wrong case",
                "--actor",
                "{who}",
            ],
            &["equipment-manager", "approver"],
        ),
        (
            &[
                "purge",
                "--dry-run",
                "--actor",
                "{who}",
                "--reason",
                "annual review",
            ],
            &[
                "officer",
                "equipment-manager",
                "auditor",
                "approver",
                "reviewer",
            ],
        ),
        (
            &[
                "approval", "request", "view", "--clip", &sha, "--reason", "review", "--as",
                "{who}",
            ],
            &[
                "officer",
                "equipment-manager",
                "auditor",
                "approver",
                "reviewer",
            ],
        ),
        (
            &[
                "review",
                "draw",
                "--from",
                "2026-01-01T00:00:00Z",
                "--to",
                "2027-01-01T00:00:00Z",
                "--actor",
                "{who}",
            ],
            &["reviewer"],
        ),
        (
            // The officer role may explain its own gaps only: the account "officer" is not the
            // gap's officer (100234), so only the manager, on the officer's word, records it.
            &[
                "explain-gap",
                &gap,
                "--reason",
                "battery-or-storage",
                "--actor",
                "{who}",
            ],
            &["equipment-manager"],
        ),
    ];
    for (args, may) in table {
        for role in ROLES {
            if args[0] == "untag" {
                // Each try takes the clip out of the case: put it back first.
                let (code, _, err) = as_account(
                    &data,
                    Some(PASSWORD),
                    &["tag", &sha, "--case", "C-7", "--actor", "approver"],
                );
                assert_eq!(code, 0, "{err}");
            }
            let args: Vec<String> = args.iter().map(|a| a.replace("{who}", role)).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, out, err) = as_account(&data, Some(PASSWORD), &args);
            if may.contains(&role) {
                assert_eq!(code, 0, "{args:?} as {role}: {out}{err}");
            } else {
                assert_eq!(code, 2, "{args:?} as {role} must be refused: {out}{err}");
                assert!(err.contains("may not"), "{args:?} as {role}: {err}");
            }
        }
    }
    // The manager's explanation, on the officer's word: both names on record.
    let explained = &json(&as_account(&data, None, &["gaps", "--json"]).1)[0]["explained"];
    assert_eq!(explained["by"], "equipment-manager", "{explained}");
    assert_eq!(explained["officer"], "100234", "{explained}");
    // The manager's acknowledgement marks the item on the fleet, in the account's name.
    let fleet = json(&as_account(&data, None, &["fleet", "--json"]).1);
    let unbound = fleet[0]["attention"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "unbound")
        .cloned()
        .unwrap_or_else(|| panic!("camera 7700001 is unbound: {fleet}"));
    assert_eq!(
        unbound["acknowledged"]["by"], "equipment-manager",
        "{unbound}"
    );

    // Free text is no account; a wrong password is no sign-in.
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &["hold", &sha, "--reason", "x", "--actor", "Insp. Ma"],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = as_account(
        &data,
        Some("wrong wrong wrong"),
        &["hold", &sha, "--reason", "x", "--actor", "approver"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wrong account or password"));

    // A copy: refused without an approval, done with one approved by another account, once.
    let copy = |to: &str, approval: Option<&str>| {
        let to = out_dir.join(to);
        let mut args = vec![
            "copy",
            &sha,
            "--to",
            to.to_str().unwrap(),
            "--actor",
            "auditor",
            "--reason",
            "court",
        ];
        if let Some(a) = approval {
            args.extend(["--approval", a]);
        }
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        as_account(&data, Some(PASSWORD), &args)
    };
    let (code, _, err) = copy("a.mp4", None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--approval"));
    let (code, out, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "approval",
            "request",
            "copy",
            "--clip",
            &sha,
            "--reason",
            "court order 12",
            "--as",
            "auditor",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = request_id(&out);
    let (code, _, err) = copy("b.mp4", Some(&id));
    assert_eq!(code, 2, "not approved yet: {err}");
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &["approval", "approve", &id, "--as", "approver"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = copy("c.mp4", Some(&id));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(tool_digest("sha256sum", &out_dir.join("c.mp4")), sha);
    let (code, _, err) = copy("d.mp4", Some(&id));
    assert_eq!(code, 2, "an approval is one copy: {err}");
    assert!(err.contains("used already"));
    let register = json(&as_account(&data, None, &["access-log", "--clip", &sha, "--json"]).1);
    let copied = register
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "clip-accessed" && e["detail"]["action"] == "copy")
        .cloned()
        .unwrap();
    assert_eq!(copied["actor"], "auditor");
    assert!(
        copied["detail"]["approved_by"]
            .as_str()
            .unwrap()
            .starts_with("approver (approval #"),
        "{copied}"
    );

    // A view: refused without an approval, then watched (and again) under one.
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &["view", &sha, "--actor", "auditor", "--reason", "look"],
    );
    assert_eq!(code, 2, "{err}");
    let (_, out, _) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "approval",
            "request",
            "view",
            "--clip",
            &sha,
            "--reason",
            "complaint 9",
            "--as",
            "auditor",
        ],
    );
    let view_id = request_id(&out);
    as_account(
        &data,
        Some(PASSWORD),
        &["approval", "approve", &view_id, "--as", "approver"],
    );
    for _ in 0..2 {
        let (code, out, err) = as_account(
            &data,
            Some(PASSWORD),
            &["view", &sha, "--actor", "auditor", "--approval", &view_id],
        );
        assert_eq!(
            code, 0,
            "a view may be watched again while it stands: {out}{err}"
        );
    }
    // An export of a case, under an approval for that case.
    let (_, out, _) = as_account(
        &data,
        Some(PASSWORD),
        &["tag", &sha, "--case", "C-9", "--actor", "approver"],
    );
    let _ = out;
    let (_, out, _) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "approval", "request", "export", "--case", "C-9", "--reason", "court 9", "--as",
            "auditor",
        ],
    );
    let export_id = request_id(&out);
    let pkg = s.join("pkg");
    let export = |id: &str| {
        as_account(
            &data,
            Some(PASSWORD),
            &[
                "export",
                "--case",
                "C-9",
                "--out",
                pkg.to_str().unwrap(),
                "--actor",
                "auditor",
                "--approval",
                id,
            ],
        )
    };
    let (code, _, err) = export(&export_id);
    assert_eq!(code, 2, "not yet approved: {err}");
    as_account(
        &data,
        Some(PASSWORD),
        &["approval", "approve", &export_id, "--as", "approver2"],
    );
    let (code, out, err) = export(&export_id);
    assert_eq!(code, 0, "{out}{err}");
    let checked = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&pkg)
        .status()
        .unwrap();
    assert!(checked.success(), "the package checks with sha256sum");
    let (code, _, err) = export(&export_id);
    assert_eq!(code, 2, "an approval is one export: {err}");

    // Disabled: the account signs in no more, its name stays on its events.
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account",
            "disable",
            "officer",
            "--reason",
            "left the unit",
            "--as",
            "admin",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &["approval", "list", "--as", "officer"],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account", "disable", "admin", "--reason", "x", "--as", "admin",
        ],
    );
    assert_eq!(
        code, 2,
        "an admin does not disable their own account: {err}"
    );
    let events = json(&as_account(&data, None, &["custody", &sha, "--json"]).1);
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "approval-requested" && e["actor"] == "officer")
    );
    let _ = d;
}

/// The case the browser test asks for whole.
const CASE: &str = "C-2026-12";

/// The approval flow in a real browser, two accounts: tests/browser/approval.test.mjs.
#[test]
fn the_approval_flow_in_a_real_browser() {
    if camdock_testkit::browser()
        .find("the approval flow's browser test (tests/people.rs)")
        .is_none()
    {
        return;
    }
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    // A newcomer who has only the one-time secret the admin handed over.
    let (code, out, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account", "add", "newcomer", "--role", "officer", "--as", "admin",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let secret = secret_of(&out);
    // An officer whose account is named by the officer number on the camera's files: the gaps of
    // camera 7700001's recordings are theirs to explain.
    let (code, out, err) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account", "add", "100234", "--role", "officer", "--as", "admin",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    set_own(&data, "100234", &secret_of(&out));
    // Both of the camera's clips in one case: asked for whole from Clips.
    let all = json(&as_account(&data, None, &["clips", "--json"]).1);
    for clip in all.as_array().unwrap() {
        let (code, _, err) = as_account(
            &data,
            Some(PASSWORD),
            &[
                "tag",
                clip["sha256"].as_str().unwrap(),
                "--case",
                CASE,
                "--actor",
                "equipment-manager",
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (_d, port) = start(&s, &data);
    const SHOTS: &[&str] = &[
        "access-approver.png",
        "access-watching.png",
        "clips-request.png",
        "access-subject.png",
        "access-case.png",
        "review-finding.png",
        "review-compliance.png",
        "review-zh.png",
        "fleet-acknowledged.png",
        "password-set.png",
        "accounts.png",
        "kiosk.png",
    ];
    browser_test(
        "approval.test.mjs",
        &[
            ("BASE_URL", &format!("http://127.0.0.1:{port}")),
            ("CLIP", &sha),
            ("CASE", CASE),
            ("PASSWORD", PASSWORD),
            ("SECRET", &secret),
        ],
        SHOTS,
        &s.join("daemon.log"),
    );
    // What the browser did is on the ledger, as the accounts.
    let register = json(&as_account(&data, None, &["access-log", "--clip", &sha, "--json"]).1);
    assert_the_register_shows_the_chain(register.as_array().unwrap());
    let events = |kind: &str| {
        let ledger = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
        let mut stmt = ledger
            .prepare("SELECT actor, detail_json FROM events WHERE kind = ?1 ORDER BY seq")
            .unwrap();
        stmt.query_map([kind], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    };
    let acks = events("attention-acknowledged");
    assert!(
        acks.iter()
            .any(|(by, d)| by == "equipment-manager" && d.contains("bound at the next dock")),
        "{acks:?}"
    );
    let own = events("account-changed");
    assert!(
        own.iter()
            .any(|(by, d)| by == "newcomer" && d.contains("\"password\"")),
        "the newcomer set their own password: {own:?}"
    );
}

/// Runs camdock on a pseudo-terminal, answering each prompt once the terminal has stopped
/// echoing (the line discipline is read back, no sleeps); returns (exit code, all it showed).
const AT_A_TERMINAL: &str = r#"
import os, pty, sys, termios, time, json
argv, answers = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop('CAMDOCK_PASSWORD', None)
    os.environ.pop('CAMDOCK_NEW_PASSWORD', None)
    os.execv(argv[0], argv)
seen = b''
def read_more():
    global seen
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        chunk = b''
    seen += chunk
    return chunk
for prompt, answer in answers:
    deadline = time.time() + 60
    while prompt.encode() not in seen.split(b'\n')[-1]:
        if not read_more() or time.time() > deadline:
            sys.stdout.buffer.write(seen); sys.exit(99)
    # A program that never turns echo off gets its answer anyway, echoed, and the test sees it.
    quiet_by = time.time() + 10
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < quiet_by:
        time.sleep(0.01)
    os.write(fd, answer.encode() + b'\n')
    seen += b'\n'
while read_more():
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

fn at_a_terminal(args: &[&str], answers: &[(&str, &str)]) -> (i32, String) {
    let mut argv = vec![bin().to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let out = Command::new("python3")
        .args([
            "-c",
            AT_A_TERMINAL,
            &serde_json::to_string(&argv).unwrap(),
            &serde_json::to_string(answers).unwrap(),
        ])
        .output()
        .expect("python3 runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// At a terminal the CLI asks for the password and never shows it; a new one is asked twice.
#[test]
fn at_a_terminal_a_password_is_asked_for_and_never_echoed() {
    let s = Scratch::new();
    let (data, _) = station_with_people(&s);
    let d = data.to_str().unwrap();
    let (code, shown) = at_a_terminal(
        &["--data-dir", d, "account", "list", "--as", "admin"],
        &[("password for admin: ", PASSWORD)],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("approver2"), "the list: {shown}");
    assert!(
        !shown.contains(PASSWORD),
        "the password was echoed: {shown}"
    );

    let (_, out, _) = as_account(
        &data,
        Some(PASSWORD),
        &[
            "account", "add", "late", "--role", "officer", "--as", "admin",
        ],
    );
    let secret = secret_of(&out);
    let chosen = "chosen at the terminal 2026";
    let (code, shown) = at_a_terminal(
        &["--data-dir", d, "account", "password", "--as", "late"],
        &[
            ("password for late: ", &secret),
            ("new password for late: ", chosen),
            ("the same again: ", "not the same at all"),
        ],
    );
    assert_eq!(code, 2, "two different answers change nothing: {shown}");
    assert!(shown.contains("differ"), "{shown}");
    let (code, shown) = at_a_terminal(
        &["--data-dir", d, "account", "password", "--as", "late"],
        &[
            ("password for late: ", &secret),
            ("new password for late: ", chosen),
            ("the same again: ", chosen),
        ],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(
        !shown.contains(chosen) && !shown.contains(&secret),
        "nothing typed is shown: {shown}"
    );
    let (code, _, err) = as_account(&data, Some(chosen), &["approval", "list", "--as", "late"]);
    assert_eq!(code, 0, "the chosen password signs in: {err}");
}

/// Over TLS the session cookie is `Secure` as well (never sent in the clear).
#[test]
fn over_tls_the_session_cookie_is_secure() {
    let s = Scratch::new();
    let (data, _) = station_with_people(&s);
    let (_d, port) = start_with(&s, &data, "tls = true\n");
    let cert = data.join("tls/station.crt");
    let started = Instant::now();
    while !cert.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new("curl")
        .args([
            "-sS",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "--max-time",
            "10",
            "--cacert",
            cert.to_str().unwrap(),
        ])
        .args([
            "-H",
            &format!("Origin: https://127.0.0.1:{port}"),
            "-H",
            "Content-Type: application/json",
        ])
        .args([
            "-d",
            &serde_json::json!({ "account": "auditor", "password": PASSWORD }).to_string(),
        ])
        .arg(format!("https://127.0.0.1:{port}/api/v1/session"))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        head.starts_with("http/1.1 200") || head.starts_with("http/2 200"),
        "{head}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cookie = head
        .lines()
        .find(|l| l.starts_with("set-cookie: camdock_session="))
        .unwrap_or_else(|| panic!("{head}"));
    for part in ["httponly", "samesite=strict", "secure"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
}

/// Request (the auditor), approval (the approver), viewing (the auditor): each on the register
/// under its own account.
fn assert_the_register_shows_the_chain(events: &[serde_json::Value]) {
    let seen: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    for want in [
        ("approval-requested", "auditor"),
        ("approval-decided", "approver"),
        ("clip-accessed", "auditor"),
    ] {
        assert!(seen.contains(&want), "{want:?} in {seen:?}");
    }
}

/// An insider with the approver's trust and file access: an approval binds exactly what was
/// approved, and rows edited behind the chain change no decision (they are named by `verify`).
#[test]
fn approvals_bind_what_was_approved_and_edited_rows_change_no_decision() {
    let s = Scratch::new();
    let (data, sha) = station_with_people(&s);
    let d = data.to_str().unwrap();
    let run = |args: &[&str]| as_account(&data, Some(PASSWORD), args);
    let all: Vec<String> = json(&camdock(&["--data-dir", d, "clips", "--json"]).1)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap().to_string())
        .collect();
    let other = all.iter().find(|c| **c != sha).unwrap().clone();
    let tag = |clip: &str| {
        let (code, _, err) = run(&["tag", clip, "--case", "C1", "--actor", "equipment-manager"]);
        assert_eq!(code, 0, "{err}");
    };
    tag(&sha);
    let (code, out, err) = run(&[
        "approval",
        "request",
        "export",
        "--case",
        "C1",
        "--reason",
        "court",
        "--as",
        "equipment-manager",
    ]);
    assert_eq!(code, 0, "{err}");
    let id = request_id(&out);
    // The approver sees what is approved: the case's clips at the request.
    let (_, listed, _) = run(&["approval", "list", "--as", "approver"]);
    assert!(listed.contains("case C1 (1 clip(s))"), "{listed}");
    let (code, _, err) = run(&["approval", "approve", &id, "--as", "approver"]);
    assert_eq!(code, 0, "{err}");
    // The case grows after the approval: the export of the case is refused, naming the clip.
    tag(&other);
    let export = |to: &str, copies: &str| {
        let to = s.join(to);
        run(&[
            "export",
            "--case",
            "C1",
            "--out",
            to.to_str().unwrap(),
            "--approval",
            &id,
            "--actor",
            "equipment-manager",
            "--copies",
            copies,
        ])
    };
    let (code, _, err) = export("grown", "1");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not in what was approved") && err.contains(&other),
        "{err}"
    );
    let (code, _, err) = run(&[
        "untag",
        &other,
        "--case",
        "C1",
        "--reason",
        "tagged by mistake",
        "--actor",
        "equipment-manager",
    ]);
    assert_eq!(code, 0, "{err}");
    // Three copies under an approval of one: refused.
    let (code, _, err) = export("three", "3");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("approved 1 copy"), "{err}");
    let (code, out, err) = export("one", "1");
    assert_eq!(code, 0, "{out}{err}");
    // The export is on the record as the exporter's act, the approver named as approver.
    let trail = json(&camdock(&["--data-dir", d, "custody", &sha, "--json"]).1);
    let exported = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "clip-exported")
        .cloned()
        .unwrap();
    assert_eq!(exported["actor"], "equipment-manager", "{exported}");
    assert!(
        exported["detail"]["approved_by"]
            .as_str()
            .unwrap()
            .starts_with("approver (approval #"),
        "{exported}"
    );
    let (code, _, err) = export("again", "1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("used already"), "{err}");

    // With file access: the use cleared in the row. The use is on the record: still refused.
    let db = rusqlite::Connection::open(data.join(camdock::station::LEDGER_FILE)).unwrap();
    db.execute("UPDATE approvals SET used_at = NULL", [])
        .unwrap();
    let (code, _, err) = export("cleared", "1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("used already"), "{err}");

    // An approver disabled: what they approved and was not used is void, on the record.
    let (code, out, err) = run(&[
        "approval", "request", "copy", "--clip", &sha, "--reason", "court", "--as", "auditor",
    ]);
    assert_eq!(code, 0, "{err}");
    let copy_id = request_id(&out);
    let (code, _, err) = run(&["approval", "approve", &copy_id, "--as", "approver2"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[
        "account",
        "disable",
        "approver2",
        "--reason",
        "left",
        "--as",
        "admin",
    ]);
    assert_eq!(code, 0, "{err}");
    let copy_to = s.join("copy.mp4");
    let copy = || {
        run(&[
            "copy",
            &sha,
            "--to",
            copy_to.to_str().unwrap(),
            "--actor",
            "auditor",
            "--reason",
            "court",
            "--approval",
            &copy_id,
        ])
    };
    let (code, _, err) = copy();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("approver2 was disabled"), "{err}");
    // The disabled mark cleared in the row, and the void with it: the events still say both.
    db.execute(
        "UPDATE accounts SET disabled_seq = NULL WHERE name = 'approver2'",
        [],
    )
    .unwrap();
    db.execute("UPDATE approvals SET voided_seq = NULL", [])
        .unwrap();
    let (code, _, err) = copy();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("approver2 was disabled"), "{err}");
    let (code, out_view, err) = run(&[
        "approval", "request", "view", "--clip", &sha, "--reason", "look", "--as", "auditor",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[
        "approval",
        "approve",
        &request_id(&out_view),
        "--as",
        "approver2",
    ]);
    assert_eq!(code, 2, "a disabled approver approves nothing: {err}");
    // A role given in the row alone: nothing.
    db.execute(
        "UPDATE accounts SET roles = '[\"approver\",\"auditor\"]' WHERE name = 'auditor'",
        [],
    )
    .unwrap();
    let (code, _, err) = run(&[
        "approval",
        "approve",
        &request_id(&out_view),
        "--as",
        "auditor",
    ]);
    assert_eq!(code, 2, "{err}");
    // The newest request's row deleted by hand: the next request still gets the record's number
    // (one more), never the deleted one's, so "#N" means the same request to the table and to
    // the replay that decisions read.
    let view_id: i64 = request_id(&out_view).parse().unwrap();
    db.execute("DELETE FROM approvals WHERE id = ?1", [view_id])
        .unwrap();
    let (code, again, err) = run(&[
        "approval",
        "request",
        "view",
        "--clip",
        &sha,
        "--reason",
        "look again",
        "--as",
        "auditor",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(request_id(&again), (view_id + 1).to_string(), "{again}");
    // One person, two roles: an admin does not give itself the approver role, and a one-time
    // secret (seen by the admin who issued it) cannot be kept as the password.
    let (code, _, err) = run(&[
        "account", "roles", "admin", "--role", "admin", "--role", "approver", "--as", "admin",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("own roles"), "{err}");
    let (code, _, err) = run(&[
        "account", "add", "boss", "--role", "admin", "--role", "approver", "--as", "admin",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("admin role alone"), "{err}");
    // An admin resets another's password: the station picks the secret, the admin cannot.
    let reset = Command::new(bin())
        .args([
            "--data-dir",
            d,
            "account",
            "password",
            "auditor",
            "--as",
            "admin",
        ])
        .env("CAMDOCK_PASSWORD", PASSWORD)
        .env("CAMDOCK_NEW_PASSWORD", "chosen-by-the-admin-1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&reset.stdout);
    assert!(
        reset.status.success() && said.contains("(shown once): "),
        "{said}"
    );
    assert!(!said.contains("chosen-by-the-admin-1"));
    let (code, _, err) = as_account(
        &data,
        Some("chosen-by-the-admin-1"),
        &["hold", &sha, "--reason", "x", "--actor", "auditor"],
    );
    assert_eq!(
        code, 2,
        "the admin's chosen password does not sign in: {err}"
    );
    assert!(err.contains("wrong account or password"), "{err}");
    let (code, out, err) = run(&[
        "account", "add", "temp", "--role", "officer", "--as", "admin",
    ]);
    assert_eq!(code, 0, "{err}");
    let secret = secret_of(&out);
    let kept = Command::new(bin())
        .args(["--data-dir", d, "account", "password", "--as", "temp"])
        .env("CAMDOCK_PASSWORD", &secret)
        .env("CAMDOCK_NEW_PASSWORD", &secret)
        .output()
        .unwrap();
    assert_eq!(kept.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&kept.stderr).contains("one-time secret"));
    // Emptying the accounts table does not open the station.
    db.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM accounts;")
        .unwrap();
    let (code, _, err) = camdock(&[
        "--data-dir",
        d,
        "copy",
        &sha,
        "--to",
        s.join("open.mp4").to_str().unwrap(),
        "--actor",
        "anyone",
        "--approved-by",
        "Anyone At All",
        "--reason",
        "x",
    ]);
    assert_ne!(code, 0, "{err}");
    drop(db);

    // verify names every edited row, and fails.
    let (code, out, _) = camdock(&["--data-dir", d, "verify", "--json"]);
    assert_eq!(code, 1, "{out}");
    let problems = json(&out)["problems"].to_string();
    for named in [
        &format!("approvals row #{id}"),
        &format!("approvals row #{copy_id}"),
        &format!("approvals row #{view_id}"),
        "accounts row approver2",
        "accounts row auditor",
    ] {
        assert!(problems.contains(named), "{named} not named: {problems}");
    }
}
