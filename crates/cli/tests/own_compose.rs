//! Installing your own compose file over HTTP, as the web UI does, against a
//! real daemon, engine and registry (one daemon for the file): its text
//! checked in words (a privileged service is a severe finding, broken YAML
//! one sentence naming compose.yml, an app id like ../x refused); installed
//! from the text — refused without consent (403, nothing installed or
//! written), installed with it, kept owner-only under the app's folder;
//! read back for editing; updated from the edited text (the new
//! environment reaches the container), an update asking for more refused
//! without consent and leaving nothing behind; rolled back to the first
//! version's text; and its texts gone with a purge.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use berth_testkit::{http_get, labelled, BOX_10};
use reqwest::StatusCode;

mod common;
use common::*;

const PASSWORD: &str = "correct horse battery staple";

/// Posts a command, expecting `status`; its JSON answer.
fn call(
    web: &WebSession,
    command: &str,
    args: serde_json::Value,
    status: StatusCode,
) -> serde_json::Value {
    let answer = web.post(&format!("/api/{command}"), args);
    let got = answer.status();
    let body: serde_json::Value = answer.json().unwrap_or_default();
    assert_eq!(got, status, "{command}: {body}");
    body
}

/// Starts an operation and waits for it to end; how it ended.
fn run(web: &WebSession, command: &str, args: serde_json::Value) -> serde_json::Value {
    let started = call(web, command, args, StatusCode::OK);
    let op = started["operation"].as_i64().expect("an operation id");
    let start = Instant::now();
    loop {
        let ops = call(web, "ops", serde_json::json!({"limit": 50}), StatusCode::OK);
        if let Some(done) = ops
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == op && !o["outcome"].is_null())
        {
            return done.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "{command} did not end: {ops}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The versions of `app`'s compose text kept under the home.
fn versions(home: &Path, app: &str) -> Vec<PathBuf> {
    match std::fs::read_dir(home.join("apps").join(app).join("source")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn wait_for_page(port: u16, want: &str) {
    let start = Instant::now();
    loop {
        let page = http_get(port, "/");
        if page.as_deref() == Some(want) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "port {port} serves {page:?}, not {want:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A web app of the test image saying `greeting`, asking for a capability
/// beyond Docker's defaults (a finding that needs consent).
fn own_app(app: &str, greeting: &str) -> String {
    format!(
        r#"name: {app}
services:
  web:
    image: {BOX_10}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo \"$$GREETING\" > /www/index.html; httpd -f -p 80 -h /www & wait"]
    environment:
      GREETING: {greeting}
    cap_add: [SYS_NICE]
    ports:
      - "18597:80"
"#
    )
}

#[test]
fn your_own_compose_file_is_checked_installed_edited_and_updated_over_http() {
    require_testbed();
    let app = format!("own{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("own-compose-{app}"));
    let _daemon = start_daemon(&home);
    let base = http_base(&home);
    let web = WebSession::setup(&home, &base, "admin", PASSWORD);
    let first = own_app(&app, "hello");

    // Checked in words: a privileged service is severe and needs consent;
    // the id is the file's name, else its first service's.
    let privileged = format!("services:\n  Box:\n    image: {BOX_10}\n    privileged: true\n");
    let report = call(
        &web,
        "composeCheck",
        serde_json::json!({ "compose": privileged }),
        StatusCode::OK,
    );
    assert_eq!(report["appId"], "box");
    assert_eq!(report["installed"], false);
    assert_eq!(report["needsConsent"], true);
    let finding = &report["findings"][0];
    assert_eq!(finding["severity"], "severe", "{report}");
    assert_eq!(finding["kind"], "privileged");
    assert_eq!(finding["at"], "services.Box.privileged");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("full access to the host"),
        "{finding}"
    );
    assert_eq!(report["services"][0]["image"], BOX_10);
    let report = call(
        &web,
        "composeCheck",
        serde_json::json!({ "compose": first }),
        StatusCode::OK,
    );
    assert_eq!(report["appId"], app.as_str());
    assert_eq!(report["findings"][0]["kind"], "capability", "{report}");
    assert_eq!(report["findings"][0]["severity"], "warning");
    assert_eq!(report["needsConsent"], true);
    assert_eq!(report["ports"][0]["target"], 80);
    // Broken YAML is one sentence naming the text, not a path of the server.
    let broken = call(
        &web,
        "composeCheck",
        serde_json::json!({ "compose": "services:\n  web:\n    image: [x\n" }),
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(broken["code"], "invalid");
    let sentence = broken["message"].as_str().unwrap();
    assert!(
        sentence.starts_with("compose.yml: invalid YAML"),
        "{sentence}"
    );
    assert!(!sentence.contains(home.to_str().unwrap()), "{sentence}");
    // App ids that would leave their folder are refused as they are read.
    for (command, args) in [
        (
            "composeCheck",
            serde_json::json!({ "compose": first, "appId": "../x" }),
        ),
        (
            "install",
            serde_json::json!({ "compose": first, "appId": "../x", "consent": true }),
        ),
        ("composeSource", serde_json::json!({ "app": "../x" })),
    ] {
        let refused = call(&web, command, args, StatusCode::BAD_REQUEST);
        assert!(
            refused["error"]
                .as_str()
                .unwrap()
                .contains("is not a valid app id"),
            "{command}: {refused}"
        );
    }
    assert!(!home.join("x").exists() && !home.join("apps/x").exists());
    // Nothing of the checks was kept.
    for read_as in ["box", app.as_str()] {
        assert!(
            !home.join("apps").join(read_as).exists(),
            "checking {read_as} wrote to the home"
        );
    }

    // Without consent: refused at once with the findings, nothing installed or kept.
    let refused = call(
        &web,
        "install",
        serde_json::json!({ "compose": first }),
        StatusCode::FORBIDDEN,
    );
    assert_eq!(refused["code"], "consentRequired");
    assert!(
        refused["details"]["findings"][0]
            .as_str()
            .unwrap()
            .contains("SYS_NICE"),
        "{refused}"
    );
    call(
        &web,
        "status",
        serde_json::json!({ "app": app }),
        StatusCode::NOT_FOUND,
    );
    assert!(versions(&home, &app).is_empty());
    assert_eq!(labelled("container", &app), 0);

    // With consent: installed from the text, kept owner-only out of the app's data.
    let installed = run(
        &web,
        "install",
        serde_json::json!({ "compose": first, "consent": true }),
    );
    assert_eq!(installed["outcome"], "done", "{installed}");
    let status = call(
        &web,
        "status",
        serde_json::json!({ "app": app }),
        StatusCode::OK,
    );
    assert_eq!(status["origin"]["kind"], "file");
    let kept = PathBuf::from(status["origin"]["path"].as_str().unwrap());
    assert!(
        kept.starts_with(home.join("apps").join(&app).join("source")),
        "{kept:?}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), first);
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(mode(kept.parent().unwrap()), 0o700);
    assert_eq!(mode(kept.parent().unwrap().parent().unwrap()), 0o700);
    let container = status["services"][0]["container"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(env_of(&container).contains("GREETING=hello"));
    let port = status["openPort"].as_u64().unwrap() as u16;
    wait_for_page(port, "hello");
    // The same id again is taken.
    call(
        &web,
        "install",
        serde_json::json!({ "compose": first, "consent": true }),
        StatusCode::CONFLICT,
    );

    // Read back for editing, exactly as given.
    let source = call(
        &web,
        "composeSource",
        serde_json::json!({ "app": app }),
        StatusCode::OK,
    );
    assert_eq!(source["compose"], first.as_str());
    call(
        &web,
        "composeSource",
        serde_json::json!({ "app": "notinstalled" }),
        StatusCode::NOT_FOUND,
    );

    // The edited text: what the app was allowed carries over.
    let second = own_app(&app, "bonjour");
    let report = call(
        &web,
        "composeCheck",
        serde_json::json!({ "compose": second, "appId": app }),
        StatusCode::OK,
    );
    assert_eq!(report["installed"], true);
    assert_eq!(report["findings"][0]["consented"], true, "{report}");
    assert_eq!(report["needsConsent"], false);
    assert_eq!(report["ports"][0]["published"], port, "{report}");
    let updated = run(
        &web,
        "update",
        serde_json::json!({ "app": app, "compose": second }),
    );
    assert_eq!(updated["outcome"], "done", "{updated}");
    let status = call(
        &web,
        "status",
        serde_json::json!({ "app": app }),
        StatusCode::OK,
    );
    let container = status["services"][0]["container"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        env_of(&container).contains("GREETING=bonjour"),
        "{}",
        env_of(&container)
    );
    wait_for_page(port, "bonjour");
    let source = call(
        &web,
        "composeSource",
        serde_json::json!({ "app": app }),
        StatusCode::OK,
    );
    assert_eq!(source["compose"], second.as_str());
    // The first version stays while its snapshot names it.
    assert_eq!(versions(&home, &app).len(), 2);

    // Asking for more needs consent again; refused, nothing left behind.
    let more = second.replace(
        "cap_add: [SYS_NICE]",
        "cap_add: [SYS_NICE]\n    privileged: true",
    );
    let refused = call(
        &web,
        "update",
        serde_json::json!({ "app": app, "compose": more }),
        StatusCode::FORBIDDEN,
    );
    assert_eq!(refused["code"], "consentRequired");
    let findings = refused["details"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "only what is new: {refused}");
    assert!(findings[0].as_str().unwrap().contains("privileged"));
    assert_eq!(versions(&home, &app).len(), 2);
    // Broken text is refused before it is kept.
    call(
        &web,
        "update",
        serde_json::json!({ "app": app, "compose": "services: [" }),
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(versions(&home, &app).len(), 2);

    // A rollback goes back to the first text, which is still there.
    let rolled = run(&web, "rollback", serde_json::json!({ "app": app }));
    assert_eq!(rolled["outcome"], "done", "{rolled}");
    let source = call(
        &web,
        "composeSource",
        serde_json::json!({ "app": app }),
        StatusCode::OK,
    );
    assert_eq!(source["compose"], first.as_str());
    wait_for_page(port, "hello");

    // A purge takes every version with it.
    let gone = run(
        &web,
        "uninstall",
        serde_json::json!({ "app": app, "purgeData": true }),
    );
    assert_eq!(gone["outcome"], "done", "{gone}");
    assert!(versions(&home, &app).is_empty());
    assert!(!home.join("apps").join(&app).join("source").exists());
}
