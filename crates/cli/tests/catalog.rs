//! Installing from a store through the daemon, end to end on the real
//! engine and the local test registry: the test store (tests/store) is
//! added, searched and shown; a missing required setting is named; the
//! settings reach the container's environment; the generated secret is
//! shown on request and survives a daemon restart and a reinstall, and goes
//! with a purge.

use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// The container's environment, as `NAME=value` lines.
fn container_env(container: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{json .Config.Env}}", container])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_app_from_a_store_gets_its_settings_and_keeps_its_secret() {
    require_testbed();
    let home = TempHome::new("store");
    let app = format!("greet{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let daemon = start_daemon(&home);

    // The embedded store is there from the start.
    let stores = json(&berth(&home, &["catalog", "list", "--json"]));
    assert_eq!(stores[0]["name"], "berth", "{stores}");
    assert!(stores[0]["apps"].as_u64().unwrap() >= 30, "{stores}");

    let added = berth(
        &home,
        &[
            "catalog",
            "add",
            test_store().to_str().unwrap(),
            "--name",
            "test",
        ],
    );
    assert!(added.status.success(), "{}", text(&added));
    assert!(
        text(&added).contains("added test (folder): 2 apps"),
        "{}",
        text(&added)
    );

    let found = json(&berth(
        &home,
        &["catalog", "search", "greets", "admin", "--json"],
    ));
    assert_eq!(found[0]["id"], "greeter", "{found}");
    assert_eq!(found[0]["store"], "test");
    let shown = berth(&home, &["catalog", "show", "greeter"]);
    assert!(text(&shown).contains("ADMIN_NAME"), "{}", text(&shown));
    assert!(
        text(&shown).contains("generated if not given"),
        "{}",
        text(&shown)
    );

    // stdin is not a terminal here: the missing setting is named, not asked.
    let missing = berth(&home, &["install", "greeter", "--id", &app]);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("needs ADMIN_NAME") && text(&missing).contains("--set ADMIN_NAME="),
        "{}",
        text(&missing)
    );
    let bad = berth(
        &home,
        &[
            "install",
            "greeter",
            "--id",
            &app,
            "--set",
            "ADMIN_NAME=alice",
            "--set",
            "COLOR=red",
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("one of blue, green"), "{}", text(&bad));

    let install = berth(
        &home,
        &[
            "install",
            "greeter",
            "--id",
            &app,
            "--set",
            "ADMIN_NAME=alice",
            "--set",
            "GREETING=Howdy",
        ],
    );
    assert!(install.status.success(), "{}", text(&install));
    let record = json(&berth(&home, &["status", &app, "--json"]));
    assert_eq!(record["source"], "test/greeter@1.1.0", "{record}");

    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700, "the home holds secrets: owner only");
    assert_eq!(
        mode(&home.join("berth.db")),
        0o600,
        "the store holds secrets: owner only"
    );
    let secrets = json(&berth(&home, &["secrets", &app, "--json"]));
    let token = secrets["SECRET_TOKEN"]
        .as_str()
        .expect("a generated token")
        .to_string();
    assert_eq!(token.len(), 32);
    let container = format!("{app}-web-1");
    let env = container_env(&container);
    for expected in [
        "ADMIN_NAME=alice".to_string(),
        "GREETING=Howdy".to_string(),
        "COLOR=blue".to_string(),
        format!("SECRET_TOKEN={token}"),
    ] {
        assert!(env.contains(&expected), "{expected} not in {env:?}");
    }
    // The app's default resources were applied.
    let memory = Command::new("docker")
        .args(["inspect", "-f", "{{.HostConfig.Memory}}", &container])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&memory.stdout).trim(),
        (64 * 1024 * 1024).to_string()
    );

    // A daemon restart changes nothing.
    drop(daemon);
    let daemon = start_daemon(&home);
    let again = json(&berth(&home, &["secrets", &app, "--json"]));
    assert_eq!(again["SECRET_TOKEN"], token.as_str());

    // Uninstall keeps data, so it keeps the secret the data was set up with.
    assert!(berth(&home, &["uninstall", &app]).status.success());
    let reinstall = berth(
        &home,
        &[
            "install",
            "greeter",
            "--id",
            &app,
            "--set",
            "ADMIN_NAME=bob",
        ],
    );
    assert!(reinstall.status.success(), "{}", text(&reinstall));
    assert!(container_env(&container).contains(&format!("SECRET_TOKEN={token}")));

    // A purge forgets it.
    assert!(berth(&home, &["uninstall", &app, "--purge-data", "--yes"])
        .status
        .success());
    let gone = berth(&home, &["secrets", &app]);
    assert!(!gone.status.success());
    assert!(text(&gone).contains("not installed"), "{}", text(&gone));

    drop(daemon);
}
