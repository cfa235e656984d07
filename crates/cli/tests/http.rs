//! The HTTP API of `berth serve`, against a real daemon (one for the whole
//! file): it answers only to this server's own names (DNS rebinding gets
//! 421); every command route (from the command list, so a new command can
//! never ship open) and every other protected route answers 401 without a
//! session; first-run setup needs the code the daemon wrote into its home,
//! and wrong codes are locked out; a session is its cookie *and* its key
//! header (the cookie alone, as an app on another port receives it, is
//! refused); the event stream and downloads go by one-time, short-lived
//! tickets, and the stream closes when its session ends; app ids that
//! would leave their folder and paths on the server are refused; a long
//! operation answers at once and streams its progress; failed logins
//! slowed, then locked out even when sent all at once; no password in the
//! daemon's log. The account (a second daemon): a password change needs the
//! current password (wrong ones slowed and locked out like logins) and ends
//! every other session of the user but this one; sessions are listed with
//! where they logged in from, and ended. Stores uploaded as one archive: a
//! CasaOS store as .tar.gz and as .zip imported, written owner-only and
//! deleted with the store; what is not an archive, or too large, refused in
//! a sentence.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use berth_api::{COMMANDS, HTTP_ONLY_ROUTES, OPEN_ROUTES, STORE_UPLOAD_LIMIT};
use reqwest::blocking::{Client, Response};
use reqwest::StatusCode;

mod common;
use common::*;

const PASSWORD: &str = "correct horse battery staple";
/// Tickets expire this fast in this daemon, so the test can see one expire.
const TICKET_SECS: &str = "2";

fn client() -> Client {
    client_from("127.0.0.1".parse().unwrap())
}

/// A client whose requests come from `source` (another loopback address
/// counts as another client for the lockout).
fn client_from(source: IpAddr) -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .local_address(source)
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

/// Checks the session cookie's flags.
fn check_cookie_flags(response: &Response) {
    let set = response
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
}

fn this_hostname() -> String {
    let out = std::process::Command::new("hostname").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn the_http_api_answers_only_its_own_names_and_logged_in_pages() {
    let home = TempHome::new("http");
    let app = format!("web{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let daemon = start_daemon_with(
        &home,
        &[
            ("BERTH_TICKET_SECS", TICKET_SECS),
            ("BERTH_ALLOWED_HOSTS", "berth.example,other.example"),
        ],
    );
    let base = http_base(&home);
    let port = base.rsplit(':').next().unwrap().to_string();

    // DNS rebinding: a page of evil.test whose name now points here sends
    // `Host: evil.test`; nothing answers it, not even the page or setup.
    let code = setup_code(&home);
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/index.html"),
        ("GET", "/api/auth"),
        ("POST", "/api/setup"),
    ] {
        let request = match method {
            "GET" => client().get(format!("{base}{path}")),
            _ => client()
                .post(format!("{base}{path}"))
                .json(&serde_json::json!({"user": "evil", "password": PASSWORD, "code": code})),
        };
        let answer = request
            .header("host", format!("evil.test:{port}"))
            .header("origin", format!("http://evil.test:{port}"))
            .send()
            .unwrap();
        assert_eq!(
            answer.status(),
            StatusCode::MISDIRECTED_REQUEST,
            "{method} {path} answered a foreign Host"
        );
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("{}:{port}", this_hostname()),
        format!("{}.local", this_hostname().split('.').next().unwrap()),
        format!("berth.example:{port}"),
        "other.example".to_string(),
    ] {
        let answer = client()
            .get(format!("{base}/"))
            .header("host", &host)
            .send()
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "Host {host} was refused");
    }

    // Every command, and every other protected route, is closed.
    let mut open = Vec::new();
    for command in COMMANDS.iter().chain(&["ticket"]).chain(HTTP_ONLY_ROUTES) {
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
        "/api/events?ticket=0123",
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

    // First run: the setup code is the owner's only (mode 0600) ...
    let code_file = home.join(berth_api::SETUP_CODE_FILE);
    let mode = std::fs::metadata(&code_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the setup code file is readable by others");
    let state: serde_json::Value = client()
        .get(format!("{base}/api/auth"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(state["setupNeeded"], true);
    // ... guessing it is locked out like a password (from another address,
    // all at once, so the lockout does not touch the rest of the test) ...
    let guesser: IpAddr = "127.0.0.2".parse().unwrap();
    let guesses: Vec<_> = (0..8)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                client_from(guesser)
                    .post(format!("{base}/api/setup"))
                    .json(&serde_json::json!({"user": "evil", "password": PASSWORD, "code": format!("AAAA-BBBB-{i:04}")}))
                    .send()
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let statuses: Vec<StatusCode> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
    assert!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::FORBIDDEN)
            .count()
            <= 5
            && statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "setup codes were guessed without a lockout: {statuses:?}"
    );
    let locked = client_from(guesser)
        .post(format!("{base}/api/setup"))
        .json(&serde_json::json!({"user": "evil", "password": PASSWORD, "code": code}))
        .send()
        .unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ... and needed: none, or a wrong one, creates nothing.
    let no_code = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(no_code.status(), StatusCode::FORBIDDEN);
    assert!(
        error_of(no_code).contains("setup-code"),
        "the refusal says where the code is"
    );
    let weak = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "admin", "password": "short", "code": code}),
    );
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(weak).contains("at least 10 characters"));
    // Typed loosely: lower case, spaces for dashes.
    let setup = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD, "code": code.to_lowercase().replace('-', " ")}),
    );
    assert_eq!(setup.status(), StatusCode::OK);
    check_cookie_flags(&setup);
    let web = WebSession::from_login(&base, setup);
    assert!(!code_file.exists(), "the setup code outlived setup");
    let again = post(
        &base,
        "/api/setup",
        None,
        serde_json::json!({"user": "evil", "password": PASSWORD, "code": code}),
    );
    assert_eq!(again.status(), StatusCode::CONFLICT, "setup runs once");

    // The cookie alone (what an app on another port of this host receives)
    // opens nothing; with the key the page keeps, commands answer.
    let apps = post(&base, "/api/apps", Some(&web.cookie), serde_json::json!({}));
    assert_eq!(
        apps.status(),
        StatusCode::UNAUTHORIZED,
        "the cookie alone logged in"
    );
    let wrong_key = client()
        .post(format!("{base}/api/apps"))
        .header("cookie", &web.cookie)
        .header("x-berth-session-key", "0".repeat(64))
        .json(&serde_json::json!({}))
        .send()
        .unwrap();
    assert_eq!(wrong_key.status(), StatusCode::UNAUTHORIZED);
    let key_alone = client()
        .post(format!("{base}/api/apps"))
        .header("x-berth-session-key", &web.key)
        .json(&serde_json::json!({}))
        .send()
        .unwrap();
    assert_eq!(key_alone.status(), StatusCode::UNAUTHORIZED);
    let auth_state: serde_json::Value = client()
        .get(format!("{base}/api/auth"))
        .header("cookie", &web.cookie)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(auth_state["user"], serde_json::Value::Null);
    let apps = web.post("/api/apps", serde_json::json!({}));
    assert_eq!(apps.status(), StatusCode::OK);
    assert_eq!(
        apps.json::<serde_json::Value>().unwrap(),
        serde_json::json!([])
    );
    let found: serde_json::Value = web
        .post("/api/catalogSearch", serde_json::json!({"query": "jelly"}))
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
    let icon_url = format!("{base}/api/files/berth/jellyfin/icon.svg");
    let icon = client()
        .get(&icon_url)
        .header("cookie", &web.cookie)
        .header("x-berth-session-key", &web.key)
        .send()
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    let icon_bytes = icon.bytes().unwrap();
    // The same picture as a command (for the desktop as berth serve's client).
    let picture: serde_json::Value = web
        .post(
            "/api/catalogPicture",
            serde_json::json!({"store": "berth", "app": "jellyfin", "file": "icon.svg"}),
        )
        .json()
        .unwrap();
    assert_eq!(picture["contentType"], "image/svg+xml", "{picture}");
    let encoded = picture["base64"].as_str().unwrap().to_string();
    let decoded = berth_api::Picture {
        content_type: "image/svg+xml".into(),
        base64: encoded,
    }
    .bytes()
    .unwrap();
    assert_eq!(decoded, icon_bytes.to_vec());
    // Only pictures: a store app's compose file is not handed out.
    let not_picture = web.post(
        "/api/catalogPicture",
        serde_json::json!({"store": "berth", "app": "jellyfin", "file": "compose.yml"}),
    );
    assert_eq!(not_picture.status(), StatusCode::BAD_REQUEST);
    let bad = web.post("/api/status", serde_json::json!({"nope": 1}));
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(bad).contains("bad arguments for status"));

    // A page of another site cannot make the browser act for us.
    let forged = client()
        .post(format!("{base}/api/uninstall"))
        .header("cookie", &web.cookie)
        .header("x-berth-session-key", &web.key)
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({"app": "x", "purgeData": true, "removeImages": true}))
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // App ids that would leave their folder, and paths on this server, are refused.
    let outside = home
        .parent()
        .unwrap()
        .join(format!("berth-http-victim-{}", std::process::id()));
    std::fs::create_dir_all(outside.join("data")).unwrap();
    let victim = format!("../../{}", outside.file_name().unwrap().to_string_lossy());
    for (command, args) in [
        (
            "uninstall",
            serde_json::json!({"app": victim, "purgeData": true, "removeImages": false}),
        ),
        (
            "diskCap",
            serde_json::json!({"app": victim, "bytes": 33554432}),
        ),
        (
            "install",
            serde_json::json!({"catalogApp": "greeter", "appId": victim, "settings": {"ADMIN_NAME": "x"}}),
        ),
        ("rollback", serde_json::json!({"app": "x", "to": "../../x"})),
        (
            "logs",
            serde_json::json!({"app": "x", "service": "../../../images/json", "tail": 1}),
        ),
        ("catalogRemove", serde_json::json!({"name": "../berth"})),
    ] {
        let refused = web.post(&format!("/api/{command}"), args);
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{command}");
        let message = error_of(refused);
        assert!(message.contains("is not a"), "{command}: {message}");
    }
    assert!(
        outside.join("data").is_dir(),
        "a request reached outside the home"
    );
    std::fs::remove_dir_all(&outside).ok();
    for path in [
        "/api/download/logs/..%2F..%2Fetc",
        "/api/download/diagnostics/..%2Fx",
    ] {
        let answer = client()
            .get(format!("{base}{path}"))
            .header("cookie", &web.cookie)
            .header("x-berth-session-key", &web.key)
            .send()
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    let store = test_store();
    let compose = store.join("greeter/compose.yml");
    for (command, args) in [
        (
            "install",
            serde_json::json!({"composeFile": compose, "appId": "fromfile"}),
        ),
        (
            "update",
            serde_json::json!({"app": "x", "composeFile": compose, "consent": true}),
        ),
        (
            "diagnose",
            serde_json::json!({"app": "x", "out": "/etc/cron.d/x"}),
        ),
        (
            "catalogAdd",
            serde_json::json!({"location": store, "name": "test"}),
        ),
    ] {
        let refused = web.post(&format!("/api/{command}"), args);
        assert_eq!(
            refused.status(),
            StatusCode::FORBIDDEN,
            "{command} took a path"
        );
        assert!(error_of(refused).contains("does not take a path on the server"));
    }
    // The local socket (root-only) still may.
    let added = berth(
        &home,
        &["catalog", "add", store.to_str().unwrap(), "--name", "test"],
    );
    assert!(added.status.success(), "{}", text(&added));

    // A command's failure says its kind with the right status, and its facts as data.
    let failure = |answer: reqwest::blocking::Response, status: StatusCode| {
        assert_eq!(answer.status(), status);
        let body: serde_json::Value = answer.json().unwrap();
        assert_eq!(body["error"], body["message"], "{body}");
        body
    };
    let gone = failure(
        web.post("/api/status", serde_json::json!({"app": "nothere"})),
        StatusCode::NOT_FOUND,
    );
    assert_eq!(gone["code"], "notFound", "{gone}");
    assert_eq!(gone["details"]["app"], "nothere", "{gone}");
    let unset = failure(
        web.post("/api/install", serde_json::json!({"catalogApp": "greeter"})),
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(unset["code"], "settingsMissing", "{unset}");
    assert_eq!(
        unset["details"]["missing"],
        serde_json::json!(["ADMIN_NAME"]),
        "{unset}"
    );
    let following = failure(
        web.post("/api/followLogs", serde_json::json!({"app": "nothere"})),
        StatusCode::NOT_FOUND,
    );
    assert_eq!(following["code"], "notFound", "{following}");

    // Tickets: one use, one path, this session's cookie, a short life.
    let events_ticket = web.ticket("/api/events");
    let spend = |url: &str, cookie: &str| {
        client()
            .get(format!("{base}{url}"))
            .header("cookie", cookie)
            .send()
            .unwrap()
            .status()
    };
    let moved = events_ticket.replace("/api/events", "/api/download/logs/x");
    assert_eq!(
        spend(&moved, &web.cookie),
        StatusCode::UNAUTHORIZED,
        "a ticket opened another path"
    );
    let ticket = web.ticket("/api/events");
    assert_eq!(
        spend(&ticket, "berth_session=other"),
        StatusCode::UNAUTHORIZED,
        "a ticket worked with another cookie"
    );
    let ticket = web.ticket("/api/download/logs/nosuchapp");
    assert_eq!(
        spend(&ticket, &web.cookie),
        StatusCode::NOT_FOUND,
        "a good ticket was refused"
    );
    assert_eq!(
        spend(&ticket, &web.cookie),
        StatusCode::UNAUTHORIZED,
        "a ticket worked twice"
    );
    let ticket = web.ticket("/api/download/logs/nosuchapp");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        spend(&ticket, &web.cookie),
        StatusCode::UNAUTHORIZED,
        "a ticket outlived its time"
    );
    let odd = web.post("/api/ticket", serde_json::json!({"path": "/api/apps"}));
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);

    // A long operation answers at once; its progress comes as events.
    let events = web.get_ticketed("/api/events");
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let started = Instant::now();
    let install = web.post(
        "/api/install",
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
    let mut lines = BufReader::new(events).lines();
    for line in lines.by_ref() {
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
    let status: serde_json::Value = web
        .post("/api/status", serde_json::json!({"app": app}))
        .json()
        .unwrap();
    assert!(
        status["openPort"].as_u64().is_some_and(|p| p > 0),
        "no port to open: {status}"
    );
    assert_eq!(status["openPath"], "/");
    let logs: serde_json::Value = web
        .post("/api/logs", serde_json::json!({"app": app, "tail": 10}))
        .json()
        .unwrap();
    assert!(logs.is_array(), "{logs}");
    // The whole log as a download, streamed as the engine sends it.
    let line = "a line for the downloaded log";
    let wrote = std::process::Command::new("docker")
        .args([
            "exec",
            &format!("{app}-web-1"),
            "sh",
            "-c",
            &format!("echo '{line}' > /proc/1/fd/1"),
        ])
        .status()
        .unwrap();
    assert!(wrote.success());
    let download = web.get_ticketed(&format!("/api/download/logs/{app}"));
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.headers()["transfer-encoding"],
        "chunked",
        "the log was not streamed"
    );
    let text = download.text().unwrap();
    assert!(
        text.lines()
            .any(|l| l.ends_with(&format!(" web stdout {line}"))),
        "{text}"
    );
    let gone = web.post(
        "/api/uninstall",
        serde_json::json!({"app": app, "purgeData": true, "removeImages": false}),
    );
    assert_eq!(gone.status(), StatusCode::OK);

    // Logout ends the session, and with it an open event stream.
    drop(lines);
    let stream = web.get_ticketed("/api/events");
    assert_eq!(stream.status(), StatusCode::OK);
    let reader = std::thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = BufReader::new(stream).read_to_end(&mut rest);
        Instant::now()
    });
    let logged_out = Instant::now();
    assert_eq!(
        web.post("/api/logout", serde_json::json!({})).status(),
        StatusCode::OK
    );
    let closed = reader.join().unwrap();
    assert!(
        closed.duration_since(logged_out) < Duration::from_secs(10),
        "the event stream outlived its session"
    );
    assert_eq!(
        web.post("/api/apps", serde_json::json!({})).status(),
        StatusCode::UNAUTHORIZED
    );
    let login = post(
        &base,
        "/api/login",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(login.status(), StatusCode::OK);
    check_cookie_flags(&login);
    let web = WebSession::from_login(&base, login);
    assert_eq!(
        web.post("/api/apps", serde_json::json!({})).status(),
        StatusCode::OK
    );

    // Wrong passwords: slowed; and sent all at once, no more than the limit
    // is even checked, so the right password is locked out after them.
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
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                // Unknown users too: they must cost the same and count the same.
                let user = if i % 2 == 0 { "admin" } else { "nobody" };
                post(
                    &base,
                    "/api/login",
                    None,
                    serde_json::json!({"user": user, "password": format!("guess {i}")}),
                )
                .status()
            })
        })
        .collect();
    let statuses: Vec<StatusCode> = burst.into_iter().map(|b| b.join().unwrap()).collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 4 && checked + refused == 40,
        "40 parallel guesses: {checked} checked, {refused} locked out ({statuses:?})"
    );
    let locked = post(
        &base,
        "/api/login",
        None,
        serde_json::json!({"user": "admin", "password": PASSWORD}),
    );
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(error_of(locked).contains("too many failed attempts"));

    drop(daemon);
    let log = std::fs::read_to_string(home.join("daemon.log")).unwrap();
    assert!(!log.contains(PASSWORD), "the password reached the log");
    assert!(
        log.contains(&code),
        "the daemon did not print the setup code"
    );
}

/// POSTs `body` to `path` of `session` from the client address `source`.
fn post_from(
    source: IpAddr,
    session: &WebSession,
    path: &str,
    body: serde_json::Value,
) -> Response {
    client_from(source)
        .post(format!("{}{path}", session.base))
        .header("cookie", &session.cookie)
        .header("x-berth-session-key", &session.key)
        .json(&body)
        .send()
        .unwrap()
}

/// Logs `user` in from `source` with the browser name `agent`.
fn login_from(base: &str, source: IpAddr, agent: &str, password: &str) -> Response {
    client_from(source)
        .post(format!("{base}/api/login"))
        .header("user-agent", agent)
        .json(&serde_json::json!({"user": "admin", "password": password}))
        .send()
        .unwrap()
}

/// Uploads `bytes` as a store archive, as the Stores page does.
fn upload(session: &WebSession, query: &str, bytes: Vec<u8>) -> Response {
    client()
        .post(format!("{}/api/upload/store?{query}", session.base))
        .header("cookie", &session.cookie)
        .header("x-berth-session-key", &session.key)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .unwrap()
}

/// A CasaOS store of one app, its files under `top/` as GitHub's downloads have them.
const CASAOS_APP: &str = r#"name: whoami
services:
  whoami:
    image: 127.0.0.1:5000/berth-test/box:1.1
    ports:
      - target: 80
        published: "8080"
        protocol: tcp
x-casaos:
  main: whoami
  title:
    en_us: Who Am I
  tagline:
    en_us: Says who is asking
  description:
    en_us: A test app of an uploaded CasaOS store.
  category: Utilities
  port_map: "8080"
  version: "1.1"
"#;

fn casaos_tar_gz(top: &str) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut header = tar::Header::new_gnu();
    header.set_size(CASAOS_APP.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(
        &mut header,
        format!("{top}/Apps/whoami/docker-compose.yml"),
        CASAOS_APP.as_bytes(),
    )
    .unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

fn casaos_zip(top: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        format!("{top}/Apps/whoami/docker-compose.yml"),
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(CASAOS_APP.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn the_account_changes_its_password_and_ends_sessions_and_stores_are_uploaded() {
    const NEW_PASSWORD: &str = "a new and longer passphrase";
    let home = TempHome::new("http-account");
    let daemon = start_daemon(&home);
    let base = http_base(&home);
    let this = WebSession::setup(&home, &base, "admin", PASSWORD);
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let phone_address: IpAddr = "127.0.0.3".parse().unwrap();
    let phone = WebSession::from_login(
        &base,
        login_from(&base, phone_address, "Phone browser", PASSWORD),
    );
    let laptop =
        WebSession::from_login(&base, login_from(&base, local, "Laptop browser", PASSWORD));

    // The sessions, with where they logged in from; this one marked.
    let listed = this.post("/api/account/sessions", serde_json::json!({}));
    assert_eq!(listed.status(), StatusCode::OK);
    let sessions: Vec<serde_json::Value> = listed.json().unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(
        sessions.iter().filter(|s| s["current"] == true).count(),
        1,
        "{sessions:?}"
    );
    let by_agent = |sessions: &[serde_json::Value], agent: &str| {
        sessions
            .iter()
            .find(|s| s["userAgent"] == agent)
            .unwrap_or_else(|| panic!("no session of {agent}: {sessions:?}"))
            .clone()
    };
    let phone_session = by_agent(&sessions, "Phone browser");
    assert_eq!(phone_session["address"], "127.0.0.3");
    assert_eq!(phone_session["current"], false);
    assert!(phone_session["createdAt"].as_i64().unwrap() > 0);
    assert!(
        phone_session["lastUsed"].as_i64().unwrap() >= phone_session["createdAt"].as_i64().unwrap()
    );
    assert_eq!(phone_session["id"].as_str().unwrap().len(), 16);

    // Ending the laptop's session from here logs it out; the others go on.
    let laptop_id = by_agent(&sessions, "Laptop browser")["id"].clone();
    let ended = this.post(
        "/api/account/sessions/end",
        serde_json::json!({"id": laptop_id}),
    );
    assert_eq!(ended.status(), StatusCode::OK);
    assert_eq!(ended.json::<serde_json::Value>().unwrap()["current"], false);
    let apps = |s: &WebSession| s.post("/api/apps", serde_json::json!({})).status();
    assert_eq!(
        apps(&laptop),
        StatusCode::UNAUTHORIZED,
        "an ended session still works"
    );
    assert_eq!(apps(&this), StatusCode::OK);
    assert_eq!(apps(&phone), StatusCode::OK);
    let again = this.post(
        "/api/account/sessions/end",
        serde_json::json!({"id": laptop_id}),
    );
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(error_of(again).contains("no such session"));

    // A weak new password is refused before anything is checked.
    let weak = this.post(
        "/api/account/password",
        serde_json::json!({"current": PASSWORD, "password": "short"}),
    );
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(weak).contains("at least 10 characters"));

    // A wrong current password: refused (the session stays), slowed, and
    // counted like a failed login, from another address so the lockout
    // does not reach the rest of the test.
    let guesser: IpAddr = "127.0.0.4".parse().unwrap();
    let t = Instant::now();
    let wrong = post_from(
        guesser,
        &this,
        "/api/account/password",
        serde_json::json!({"current": "not the password", "password": NEW_PASSWORD}),
    );
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "a wrong current password was not slowed"
    );
    assert!(error_of(wrong).contains("the current password is wrong"));
    assert_eq!(
        apps(&this),
        StatusCode::OK,
        "a wrong current password ended the session"
    );
    for i in 0..4 {
        let wrong = post_from(
            guesser,
            &this,
            "/api/account/password",
            serde_json::json!({"current": format!("guess {i}"), "password": NEW_PASSWORD}),
        );
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "guess {i}");
    }
    let locked = post_from(
        guesser,
        &this,
        "/api/account/password",
        serde_json::json!({"current": PASSWORD, "password": NEW_PASSWORD}),
    );
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(error_of(locked).contains("too many failed attempts"));
    let login_locked = login_from(&base, guesser, "Guesser", PASSWORD);
    assert_eq!(
        login_locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the account page's guesses did not count as failed logins"
    );

    // The right one: changed; every other session ends, this one goes on.
    let changed = this.post(
        "/api/account/password",
        serde_json::json!({"current": PASSWORD, "password": NEW_PASSWORD}),
    );
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.json::<serde_json::Value>().unwrap()["ended"], 1);
    assert_eq!(
        apps(&this),
        StatusCode::OK,
        "the password change ended its own session"
    );
    assert_eq!(
        apps(&phone),
        StatusCode::UNAUTHORIZED,
        "the phone's session outlived the password"
    );
    let old = login_from(&base, phone_address, "Phone browser", PASSWORD);
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old password still logs in"
    );
    let new = login_from(&base, phone_address, "Phone browser", NEW_PASSWORD);
    assert_eq!(new.status(), StatusCode::OK);
    let sessions: Vec<serde_json::Value> = this
        .post("/api/account/sessions", serde_json::json!({}))
        .json()
        .unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");

    // A CasaOS store uploaded as a .tar.gz (as GitHub's download: one top
    // folder) is imported, owner-only under the home.
    let uploaded = upload(
        &this,
        "name=casa&file=CasaOS-AppStore-main.tar.gz",
        casaos_tar_gz("CasaOS-AppStore-main"),
    );
    assert_eq!(uploaded.status(), StatusCode::OK);
    let info: serde_json::Value = uploaded.json().unwrap();
    assert_eq!(info["name"], "casa", "{info}");
    assert_eq!(info["kind"], "casaos", "{info}");
    assert_eq!(info["apps"], 1, "{info}");
    let found: serde_json::Value = this
        .post("/api/catalogSearch", serde_json::json!({"query": "who am"}))
        .json()
        .unwrap();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["store"] == "casa" && a["id"] == "whoami"),
        "{found}"
    );
    let unpacked = home.join("catalogs/casa/CasaOS-AppStore-main/Apps/whoami/docker-compose.yml");
    let mode = std::fs::metadata(&unpacked).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is readable by others", unpacked.display());
    let left: Vec<_> = std::fs::read_dir(home.join("uploads")).unwrap().collect();
    assert!(left.is_empty(), "the upload was left behind: {left:?}");
    // The same as a .zip.
    let zipped = upload(
        &this,
        "name=casazip&file=store.zip",
        casaos_zip("AppStore-main"),
    );
    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.json::<serde_json::Value>().unwrap()["apps"], 1);
    let taken = upload(&this, "name=casa&file=again.tar.gz", casaos_tar_gz("x"));
    assert_eq!(taken.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(taken).contains("already added"));
    assert!(
        unpacked.is_file(),
        "a refused upload touched the store of that name"
    );

    // What is not an archive, or too large, is refused in a sentence.
    let text = upload(
        &this,
        "name=notes&file=notes.txt",
        b"just some notes".to_vec(),
    );
    assert_eq!(text.status(), StatusCode::BAD_REQUEST);
    let message = error_of(text);
    assert!(
        message.starts_with("notes.txt: is neither a .tar.gz nor a .zip archive"),
        "{message}"
    );
    let nameless = upload(&this, "file=store.zip", casaos_zip("x"));
    assert_eq!(nameless.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(nameless).contains("give the store a name"));
    // Too large: refused from its declared length, before the body is read.
    let addr = base.trim_start_matches("http://");
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        tcp,
        "POST /api/upload/store?name=big HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-Berth-Session-Key: {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        this.cookie,
        this.key,
        STORE_UPLOAD_LIMIT + 1
    )
    .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = tcp.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&answer).contains("}") {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than 64 MB"), "{answer}");
    assert!(!home.join("catalogs/big").exists());

    // Removing the store deletes what was unpacked.
    let removed = this.post("/api/catalogRemove", serde_json::json!({"name": "casa"}));
    assert_eq!(removed.status(), StatusCode::OK);
    assert!(
        !home.join("catalogs/casa").exists(),
        "the unpacked store outlived its removal"
    );

    drop(daemon);
    let log = std::fs::read_to_string(home.join("daemon.log")).unwrap();
    assert!(
        !log.contains(NEW_PASSWORD),
        "the new password reached the log"
    );
}
