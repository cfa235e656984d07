//! A folder installed as docker compose reads it, through the CLI and the
//! daemon on the real engine: `berth install FOLDER` merges the folder's
//! compose.override.yaml on top of compose.yaml (whose web service comes
//! from an included file), names the app from the merged files, opens it on
//! the included service's port with APP_PORT filled in there; and
//! `berth update APP --compose FOLDER` reads the same files again.

mod common;
use common::*;

use berth_testkit::{http_get, BOX_10, BOX_11};

fn wait_for_page(port: u16, want: &str) {
    let start = std::time::Instant::now();
    loop {
        let page = http_get(port, "/");
        if page.as_deref() == Some(want) {
            return;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "port {port} serves {page:?}, not {want:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_folder_installs_and_updates_with_its_override_file() {
    require_testbed();
    let app = format!("ovr{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("compose-folder-{app}"));
    let folder = home.join("app-src");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("compose.yaml"),
        format!(
            "name: {app}\ninclude: [web.yaml]\nservices:\n  worker:\n    image: {BOX_10}\n    environment: {{ROLE: main}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        folder.join("web.yaml"),
        format!(
            "services:\n  web:\n    image: {BOX_10}\n    ports: ['18593:80']\n    environment: {{SELF: 'http://localhost:${{APP_PORT}}'}}\n"
        ),
    )
    .unwrap();
    let write_override = |image: &str, from: &str| {
        std::fs::write(
            folder.join("compose.override.yaml"),
            format!("services:\n  web:\n    image: {image}\n    environment: {{FROM: {from}}}\n"),
        )
        .unwrap()
    };
    write_override(BOX_11, "override");
    let _daemon = start_daemon(&home);
    let folder_arg = folder.to_str().unwrap();

    // No --id: the daemon names the app from the merged files.
    berth_ok(&home, &["install", folder_arg]);
    let status = json(&berth_ok(&home, &["status", &app, "--json"]));
    let port = status["openPort"]
        .as_u64()
        .unwrap_or_else(|| panic!("no open port for the included web service: {status}"))
        as u16;
    assert_eq!(
        status["source"].as_str(),
        Some(std::fs::canonicalize(&folder).unwrap().to_str().unwrap()),
        "the folder is the app's source: {status}"
    );
    // The override's image serves, on the port found in the included file.
    wait_for_page(port, "berth test app 1.1");
    let env = env_of(&format!("{app}-web-1"));
    assert!(env.contains("\"FROM=override\""), "{env}");
    assert!(
        env.contains(&format!("\"SELF=http://localhost:{port}\"")),
        "APP_PORT in the included file: {env}"
    );
    assert!(
        env_of(&format!("{app}-worker-1")).contains("\"ROLE=main\""),
        "the main file's own service runs too"
    );

    // The same folder, its override file changed, read again by an update.
    write_override(BOX_10, "override-2");
    berth_ok(&home, &["update", &app, "--compose", folder_arg]);
    wait_for_page(port, "berth test app 1.0");
    assert!(env_of(&format!("{app}-web-1")).contains("\"FROM=override-2\""));
}
