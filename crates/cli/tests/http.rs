//! The HTTP API of `berth serve`, against a real daemon: every command
//! route (from the command list, so a new command can never ship open) and
//! every other protected route answers 401 without a session; first-run
//! setup, login, logout; cookies HttpOnly and SameSite=Strict; cross-site
//! requests refused; a long operation answers at once and streams its
//! progress as server-sent events; failed logins slowed then locked out; no
//! password in the daemon's log.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

use berth_api::{COMMANDS, OPEN_ROUTES};
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;

mod common;
use common::*;

const PASSWORD: &str = "correct horse battery staple";

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn post(base: &str, path: &str, cookie: Option<&str>, body: serde_json::Value) -> Response {
    let mut request = client().post(format!("{base}{path}")).json(&body);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    request.send().unwrap()
}

fn error_of(response: Response) -> String {
    let v: serde_json::Value = response.json().unwrap();
    v["error"].as_str().unwrap_or_default().to_string()
}

/// `name=value` of the session cookie a response sets, checking its flags.
fn session_cookie(response: &Response) -> String {
    let set = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_string()
}

#[test]
fn the_http_api_needs_a_login_for_everything_but_login() {
    let home = std::env::temp_dir().join(format!("berth-http-{}", std::process::id()));
    std::fs::remove_dir_all(&home).ok();
    let app = format!("web{}", std::process::id());
    let _cleanup = Cleanup(app.clone());
    let daemon = start_daemon(&home);
    let base = http_base(&home);

    // Every command, and every other protected route, is closed.
    let mut open = Vec::new();
    for command in COMMANDS {
        assert!(
            !OPEN_ROUTES.contains(command),
            "{command} shadows an open route"
        );
        let status = post(
            &base,
            &format!("/api/{command}"),
            None,
            serde_json::json!({}),
        )
        .status();
        if status != StatusCode::UNAUTHORIZED {
            open.push(format!("POST /api/{command} -> {status}"));
        }
    }
    for path in [
        "/api/events",
        "/api/files/berth/jellyfin/icon.svg",
        "/api/download/diagnostics/anyapp",
        "/api/download/logs/anyapp",
    ] {
        let status = client()
            .get(format!("{base}{path}"))
            .send()
            .unwrap()
            .status();
        if status != StatusCode::UNAUTHORIZED {
            open.push(format!("GET {path} -> {status}"));
        }
    }
    assert!(open.is_empty(), "routes answer without a login: {open:?}");
    let page = client().get(format!("{base}/")).send().unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-frame-options"], "DENY");

    // First run: set up the admin.
    let state: serde_json::Value = client()
        .get(format!("{base}/api/auth"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(state["setupNeeded"], true);
    let weak = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "admin", "password": "short"}),
    );
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(weak).contains("at least 10 characters"));
    let setup = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(setup.status(), StatusCode::OK);
    let cookie = session_cookie(&setup);
    let again = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "evil", "password": PASSWORD}),
    );
    assert_eq!(again.status(), StatusCode::CONFLICT, "setup runs once");

    // With the session: commands answer.
    let apps = post(&base, "/api/apps", Some(&cookie), serde_json::json!({}));
    assert_eq!(apps.status(), StatusCode::OK);
    assert_eq!(
        apps.json::<serde_json::Value>().unwrap(),
        serde_json::json!([])
    );
    let found: serde_json::Value = post(
        &base,
        "/api/catalogSearch",
        Some(&cookie),
        serde_json::json!({"query": "jelly"}),
    )
    .json()
    .unwrap();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "jellyfin"),
        "{found}"
    );
    let icon = client()
        .get(format!("{base}/api/files/berth/jellyfin/icon.svg"))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    let bad = post(
        &base,
        "/api/status",
        Some(&cookie),
        serde_json::json!({"nope": 1}),
    );
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(bad).contains("bad arguments for status"));

    // A page of another site cannot make the browser act for us.
    let forged = client()
        .post(format!("{base}/api/uninstall"))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({"app": "x", "purgeData": true, "removeImages": true}))
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A long operation answers at once; its progress comes as events.
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/store");
    let added = post(
        &base,
        "/api/catalogAdd",
        Some(&cookie),
        serde_json::json!({"location": store, "name": "test"}),
    );
    assert_eq!(added.status(), StatusCode::OK);
    let events = client()
        .get(format!("{base}/api/events"))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let started = Instant::now();
    let install = post(
        &base,
        "/api/install",
        Some(&cookie),
        serde_json::json!({"catalogApp": "greeter", "appId": app, "settings": {"ADMIN_NAME": "web"}}),
    );
    assert_eq!(install.status(), StatusCode::OK);
    let op = install.json::<serde_json::Value>().unwrap()["operation"]
        .as_i64()
        .expect("an operation id");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "install did not answer at once"
    );
    let mut kinds = Vec::new();
    for line in BufReader::new(events).lines() {
        let line = line.unwrap();
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        let event: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
        if event["operation"] != op {
            continue;
        }
        assert_eq!(event["app"], app.as_str());
        kinds.push(event["type"].as_str().unwrap().to_string());
        if event["type"] == "finished" {
            assert_eq!(event["outcome"], "done", "{event}");
            break;
        }
    }
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("accepted"),
        "{kinds:?}"
    );
    assert!(kinds.iter().any(|k| k == "step"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "service"), "{kinds:?}");
    let status: serde_json::Value = post(
        &base,
        "/api/status",
        Some(&cookie),
        serde_json::json!({"app": app}),
    )
    .json()
    .unwrap();
    assert!(
        status["openPort"].as_u64().is_some_and(|p| p > 0),
        "no port to open: {status}"
    );
    assert_eq!(status["openPath"], "/");
    let logs: serde_json::Value = post(
        &base,
        "/api/logs",
        Some(&cookie),
        serde_json::json!({"app": app, "tail": 10, "follow": false}),
    )
    .json()
    .unwrap();
    assert!(logs.is_array(), "{logs}");
    let gone = post(
        &base,
        "/api/uninstall",
        Some(&cookie),
        serde_json::json!({"app": app, "purgeData": true, "removeImages": false}),
    );
    assert_eq!(gone.status(), StatusCode::OK);

    // Logout ends the session.
    assert_eq!(
        post(&base, "/api/logout", Some(&cookie), serde_json::json!({})).status(),
        StatusCode::OK
    );
    assert_eq!(
        post(&base, "/api/apps", Some(&cookie), serde_json::json!({})).status(),
        StatusCode::UNAUTHORIZED
    );
    let login = post(
        &base,
        "/api/login",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(login.status(), StatusCode::OK);
    session_cookie(&login);

    // Wrong passwords: slowed, then locked out.
    let t = Instant::now();
    let wrong = post(
        &base,
        "/api/login",
        None,
        serde_json::json!({"user": "admin", "password": "guess"}),
    );
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "a failed login was not slowed"
    );
    for _ in 0..4 {
        post(
            &base,
            "/api/login",
            None,
            serde_json::json!({"user": "admin", "password": "guess"}),
        );
    }
    let locked = post(
        &base,
        "/api/login",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(error_of(locked).contains("too many failed logins"));

    drop(daemon);
    let log = std::fs::read_to_string(home.join("daemon.log")).unwrap();
    assert!(!log.contains(PASSWORD), "the password reached the log");
    std::fs::remove_dir_all(&home).ok();
}
