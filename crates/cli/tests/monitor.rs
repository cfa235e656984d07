//! What the server has and what apps use, and the diagnostics bundle,
//! through the daemon on the real engine and registry: `berth system` knows
//! this machine, `berth stats` measures a running app, `berth logs --grep`
//! finds what it printed (and only that), the daemon samples a history, and
//! `berth diagnose` writes a bundle with no secret in it, also downloadable
//! over HTTP only with a session.

mod common;
use common::*;

#[test]
fn system_stats_log_search_and_a_diagnostics_bundle_without_secrets() {
    require_testbed();
    let pid = std::process::id();
    let home = TempHome::new("monitor-cli");
    let app = format!("mongreet{pid}");
    let _cleanup = AppCleanup::new(&app);
    let _daemon = start_daemon_with(&home, &[("BERTH_STATS_SECS", "1")]);
    let store_dir = test_store();
    let store = store_dir.to_str().unwrap();
    let ok = |args: &[&str]| berth_ok(&home, args);
    ok(&["catalog", "add", store, "--name", "test"]);
    ok(&[
        "install",
        "greeter",
        "--store",
        "test",
        "--id",
        &app,
        "--set",
        "ADMIN_NAME=Quill",
    ]);

    let system = json(&ok(&["system", "--json"]));
    let cores = std::thread::available_parallelism().unwrap().get() as u64;
    assert_eq!(system["cpu"]["cores"], cores, "{system}");
    assert!(system["memory"]["total"].as_u64().unwrap() > 0, "{system}");
    assert!(!system["docker"]["storageDriver"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(system["disks"][0]["free"].as_u64().unwrap() > 0, "{system}");

    let stats = json(&ok(&["stats", &app, "--json"]));
    let total = &stats[0]["total"];
    assert_eq!(stats[0]["app"], app.as_str(), "{stats}");
    let used = total["memoryUsed"].as_u64().unwrap();
    let limit = total["memoryLimit"].as_u64().unwrap();
    // The test store gives greeter a 64 MiB default limit.
    assert!(
        used > 0 && used <= limit && limit == 64 * 1024 * 1024,
        "{stats}"
    );
    assert!(total["pids"].as_u64().unwrap() >= 1, "{stats}");

    // The page it serves says hello to Quill; its log says what httpd says.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let secret = json(&ok(&["secrets", &app, "--json"]))["SECRET_TOKEN"]
        .as_str()
        .unwrap()
        .to_string();
    let missing = berth(&home, &["logs", &app, "--grep", "no such line anywhere"]);
    assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));

    // The daemon samples every second: a history builds up.
    let base = http_base(&home);
    let web = WebSession::setup(&home, &base, "admin", "a long enough password");
    let mut samples = 0;
    for _ in 0..50 {
        samples = http_history(&web, &app);
        if samples >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(samples >= 2, "the daemon's history has {samples} samples");

    let bundle = home.join("bundle.tar.gz");
    let out = ok(&["diagnose", &app, "-o", bundle.to_str().unwrap()]);
    assert!(text(&out).contains("secrets redacted"), "{}", text(&out));
    let listing = std::process::Command::new("tar")
        .args(["tzf", bundle.to_str().unwrap()])
        .output()
        .unwrap();
    let files = String::from_utf8_lossy(&listing.stdout).to_string();
    for part in [
        "compose.yml",
        "status.json",
        "host.json",
        "operations.json",
        "logs/web.log",
    ] {
        assert!(files.contains(part), "{part} missing from {files}");
    }
    let unpacked = home.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = std::process::Command::new("tar")
        .args([
            "xzf",
            bundle.to_str().unwrap(),
            "-C",
            unpacked.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mut redacted = false;
    for entry in walk(&unpacked) {
        let body = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !body.contains(&secret),
            "{} holds the secret",
            entry.display()
        );
        redacted |= body.contains("<redacted>");
    }
    assert!(
        redacted,
        "nothing was redacted: the secret was never in the bundle?"
    );

    // The same bundle as a download from the web UI.
    let download = web.get_ticketed(&format!("/api/download/diagnostics/{app}"));
    assert_eq!(download.status(), reqwest::StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/gzip");
    let fetched = home.join("fetched.tar.gz");
    std::fs::write(&fetched, download.bytes().unwrap()).unwrap();
    let listing = std::process::Command::new("tar")
        .args(["tzf", fetched.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains("compose.yml"));
    let logs = web.get_ticketed(&format!("/api/download/logs/{app}"));
    assert_eq!(logs.status(), reqwest::StatusCode::OK);

    ok(&["uninstall", &app, "--purge-data", "--yes"]);
}

/// How many samples the daemon keeps of `app`, asked over HTTP as the UI does.
fn http_history(web: &WebSession, app: &str) -> usize {
    let reply: serde_json::Value = web
        .post("/api/statsHistory", serde_json::json!({ "app": app }))
        .json()
        .unwrap();
    reply
        .as_array()
        .map(Vec::len)
        .unwrap_or_else(|| panic!("{reply}"))
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
