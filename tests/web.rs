//! The dashboard server from outside: /metrics, the token rule, and the pages in a real headless
//! Chromium (Debian's) driven by playwright-core, in English and in Chinese.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(s: &Scratch, command: &str, config: &str) -> Running {
    let cfg = s.join("camdock.toml");
    std::fs::write(&cfg, config).unwrap();
    let log = std::fs::File::create(s.join("daemon.log")).unwrap();
    Running(
        Command::new(bin())
            .args([
                "--config",
                cfg.to_str().unwrap(),
                "--data-dir",
                s.join("data").to_str().unwrap(),
                command,
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

fn get(url: &str, token: Option<&str>) -> (u16, String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
        cookie,
    )
}

#[test]
fn metrics_are_prometheus_text_with_the_stations_numbers() {
    let s = Scratch::new();
    let port = free_port();
    camera(&s.join("cam"), "1234567", 3);
    let (code, _, err) = camdock(&[
        "--data-dir",
        s.join("data").to_str().unwrap(),
        "ingest",
        s.join("cam").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let _d = start(
        &s,
        "run",
        &format!(
            "[station]\nopen = true\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"127.0.0.1:{port}\"\n\
             [replica]\nenabled = true\nendpoint = \"http://127.0.0.1:{}\"\nbucket = \"b\"\naccess_key = \"k\"\nsecret_key = \"s\"\n",
            s.join("media").display(),
            free_port(), // nothing listens: the replica is down
        ),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&base);
    let (status, body, _) = get(&format!("{base}/metrics"), None);
    assert_eq!(status, 200);
    let mut samples = std::collections::HashMap::new();
    for line in body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(
            name.chars().next().unwrap().is_ascii_alphabetic() && !name.contains(' '),
            "bad name: {line}"
        );
        samples.insert(name.to_string(), value);
    }
    assert_eq!(samples["camdock_clips_stored_total"], 3.0);
    assert!(samples["camdock_bytes_stored_total"] > 30_000.0);
    assert_eq!(samples["camdock_cameras{state=\"out\"}"], 1.0);
    assert!(samples["camdock_ledger_events"] >= 8.0);
    assert_eq!(
        samples["camdock_replication_backlog"], 3.0,
        "none reached the bucket"
    );
    assert!(samples.contains_key("camdock_replication_failing"));
    for help in [
        "# TYPE camdock_clips_stored_total counter",
        "# TYPE camdock_cameras gauge",
    ] {
        assert!(body.contains(help), "{help}");
    }
}

#[test]
fn beyond_loopback_the_token_is_required() {
    let s = Scratch::new();
    let media = s.join("media");
    // No token: refused at start, with the key named.
    let cfg = s.join("open.toml");
    std::fs::write(
        &cfg,
        format!(
            "[station]\nopen = true\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"0.0.0.0:{}\"\n",
            media.display(),
            free_port()
        ),
    )
    .unwrap();
    let out = Command::new(bin())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            s.join("data").to_str().unwrap(),
            "run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("web.token"));

    let port = free_port();
    let token = "s3cret-station-token-01";
    let _d = start(
        &s,
        "run",
        &format!(
            "[station]\nopen = true\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"0.0.0.0:{port}\"\ntoken = \"{token}\"\nhostnames = [\"dock-7.station.lan\"]\n",
            media.display()
        ),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&base);
    assert_eq!(get(&format!("{base}/api/v1/fleet"), None).0, 401);
    assert_eq!(
        get(&format!("{base}/metrics"), Some("wrong-token-wrong-token")).0,
        401
    );
    assert_eq!(get(&format!("{base}/api/v1/fleet"), Some(token)).0, 200);
    let (status, _, cookie) = get(&format!("{base}/?token={token}"), None);
    assert_eq!(status, 200);
    assert!(
        cookie
            .unwrap()
            .starts_with(&format!("camdock_token={token}")),
        "the page keeps the token for its event stream"
    );

    // DNS rebinding: another site's name resolved to the station. Its Host is refused, token or
    // not; the station's own names are answered.
    let status_for = |host: &str| {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(c, "GET /api/v1/fleet HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        answer.split(' ').nth(1).unwrap_or("").to_string()
    };
    assert_eq!(status_for(&format!("evil.example:{port}")), "421");
    assert_eq!(status_for("127.0.0.1.evil.example"), "421");
    assert_eq!(status_for(&format!("dock-7.station.lan:{port}")), "200");
    assert_eq!(status_for(&format!("localhost:{port}")), "200");
}

/// The demo daemon on simulated docks, read slowly enough to watch, with a 5 s overdue limit so an
/// undocked camera turns overdue during the test; the browser test must see both live.
#[test]
fn the_dashboard_shows_live_progress_and_overdue_cameras_in_a_real_browser() {
    if camdock_testkit::browser()
        .find("the dashboard's browser test (tests/web.rs)")
        .is_none()
    {
        return;
    }
    let s = Scratch::new();
    let port = free_port();
    let _demo = start(
        &s,
        "demo",
        &format!(
            "[station]\nopen = true\n[dock]\nread_limit_mb_per_s = 0.08\n[policy]\noverdue_after = \"5s\"\n[web]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&base);
    const SHOTS: &[&str] = &["dock-en.png", "dock-zh.png", "fleet-en.png", "fleet-zh.png"];
    browser_test(
        "dashboard.test.mjs",
        &[("BASE_URL", &base), ("PROGRESS_TIMEOUT_MS", "120000")],
        SHOTS,
        &s.join("daemon.log"),
    );
}

/// GET returning the status, the body and the `Link` header.
fn get_linked(url: &str) -> (u16, String, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).call().unwrap();
    let link = resp
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string());
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
        link,
    )
}

#[test]
fn the_clip_list_pages_and_filters_on_the_server() {
    let s = Scratch::new();
    let data = s.join("data");
    for (serial, clips) in [("1111111", 4u32), ("2222222", 3)] {
        let vol = s.join(serial);
        camera(&vol, serial, clips);
        let (code, _, err) = camdock(&[
            "--data-dir",
            data.to_str().unwrap(),
            "ingest",
            vol.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let first = {
        let (_, out, _) = camdock(&[
            "--data-dir",
            data.to_str().unwrap(),
            "clips",
            "--camera",
            "2222222",
            "--json",
        ]);
        json(&out)[0]["sha256"].as_str().unwrap().to_string()
    };
    let (code, _, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "tag",
        &first,
        "--case",
        "C-2026-77",
        "--actor",
        "Sgt. Lee",
    ]);
    assert_eq!(code, 0, "{err}");
    let port = free_port();
    let _d = start(
        &s,
        "run",
        &format!(
            "[station]\nopen = true\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"127.0.0.1:{port}\"\n",
            s.join("media").display()
        ),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&base);

    // Pages of 3, newest first, each naming the next until the last: every clip exactly once.
    let mut url = format!("{base}/api/v1/clips?limit=3");
    let mut seen: Vec<String> = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body, link) = get_linked(&url);
        assert_eq!(status, 200, "{body}");
        let page = json(&body);
        let page = page.as_array().unwrap();
        assert!(page.len() <= 3);
        seen.extend(
            page.iter()
                .map(|c| c["sha256"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match link {
            Some(l) => {
                let next = l.split_once('<').unwrap().1.split_once('>').unwrap().0;
                assert!(l.ends_with("rel=\"next\""), "{l}");
                url = format!("{base}{next}");
            }
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 7), "{seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "a clip on two pages");
    let (_, all, link) = get_linked(&format!("{base}/api/v1/clips"));
    assert!(link.is_none(), "7 clips fit one default page");
    let all: Vec<String> = json(&all)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha256"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all, seen, "pages are the one list, in order");

    // Filters are substrings, case-insensitive; a case filter finds the clip in that case.
    let count = |q: &str| {
        json(&get_linked(&format!("{base}/api/v1/clips?{q}")).1)
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count("camera=111"), 4);
    assert_eq!(count("camera=2222222&limit=2"), 2);
    assert_eq!(count("case=c-2026"), 1);
    assert_eq!(count("case=C-1999"), 0);
    assert_eq!(
        count("from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"),
        7
    );
    assert_eq!(count("to=2000-01-01T00:00:00Z"), 0);
    let (status, body, _) = get_linked(&format!("{base}/api/v1/clips?from=yesterday"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("from=yesterday"), "{body}");
}

/// `web.tls = true`: the station makes its certificate at first start (for its own names), serves
/// HTTPS only, and a client that trusts that certificate talks to it; one that does not, or that
/// speaks plain HTTP, gets nowhere. Checked with curl, as an admin would.
#[test]
fn with_tls_the_dashboard_is_https_with_the_stations_own_certificate() {
    let s = Scratch::new();
    let port = free_port();
    let _d = start(
        &s,
        "run",
        &format!(
            "[station]\nopen = true\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"127.0.0.1:{port}\"\ntls = true\n",
            s.join("media").display()
        ),
    );
    let base = format!("https://127.0.0.1:{port}");
    wait_http(&format!("http://127.0.0.1:{port}"));
    let cert = s.join("data/tls/station.crt");
    let started = Instant::now();
    while !cert.exists() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(s.join("data/tls/station.key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(key_mode & 0o077, 0, "the key is the daemon's alone");
    let curl = |args: &[&str]| {
        Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "10",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let trusted = curl(&[
        "--cacert",
        cert.to_str().unwrap(),
        &format!("{base}/api/v1/slots"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&trusted.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let by_name = curl(&[
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("localhost:{port}:127.0.0.1"),
        &format!("https://localhost:{port}/"),
    ]);
    assert_eq!(String::from_utf8_lossy(&by_name.stdout), "200");
    let untrusted = curl(&[&format!("{base}/api/v1/slots")]);
    assert!(
        !untrusted.status.success(),
        "a client that does not trust the station's certificate is refused"
    );
    let plain = curl(&[&format!("http://127.0.0.1:{port}/api/v1/slots")]);
    assert_ne!(
        String::from_utf8_lossy(&plain.stdout),
        "200",
        "no plain HTTP beside HTTPS"
    );
}

/// Secure by default: a station with no accounts yet serves its docks and nothing of its evidence
/// (the clip list, a custody trail, a clip's bytes), each refusal saying how to make the first
/// account; set open (a demo, a bench) it serves them as before.
#[test]
fn a_station_without_accounts_serves_no_evidence_until_it_is_set_open() {
    let s = Scratch::new();
    camera(&s.join("cam"), "5151515", 1);
    let data = s.join("data");
    let (code, out, err) = camdock(&[
        "--data-dir",
        data.to_str().unwrap(),
        "ingest",
        s.join("cam").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let sha = json(&out)["clips"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    for open in [false, true] {
        let port = free_port();
        let d = start(
            &s,
            "run",
            &format!(
                "[station]\nopen = {open}\n[dock]\nmedia_root = \"{}\"\nusb = false\n[web]\nlisten = \"127.0.0.1:{port}\"\n",
                s.join("media").display()
            ),
        );
        let base = format!("http://127.0.0.1:{port}");
        wait_http(&base);
        assert_eq!(get(&format!("{base}/"), None).0, 200, "the page");
        assert_eq!(
            get(&format!("{base}/api/v1/slots"), None).0,
            200,
            "the docks"
        );
        for evidence in [
            "/api/v1/clips".to_string(),
            format!("/api/v1/clips/{sha}/custody"),
            format!("/api/v1/clips/{sha}/content"),
            "/api/v1/access-log".to_string(),
        ] {
            let (status, body, _) = get(&format!("{base}{evidence}"), None);
            if open {
                // As before this rule: the gate lets it through (a clip's bytes and the register
                // still want an account or an approval: the handler's own "no").
                assert!(!body.contains("serves no evidence"), "{evidence}: {body}");
            } else {
                assert_eq!(status, 403, "{evidence}: {body}");
                assert!(body.contains("camdock account init"), "{evidence}: {body}");
            }
        }
        if open {
            let (status, body, _) = get(&format!("{base}/api/v1/clips"), None);
            assert_eq!(status, 200, "{body}");
            assert!(body.contains(&sha), "{body}");
            let (status, body, _) = get(&format!("{base}/api/v1/clips/{sha}/custody"), None);
            assert_eq!(status, 200, "{body}");
        }
        drop(d);
    }
}
