//! Crash safety on the real engine: an install or uninstall is killed at
//! every step boundary (`BERTH_TEST_ABORT_AT`), Berth starts again and
//! reconciles, and the app is then wholly installed or wholly absent, with no
//! orphan container or network, and its data untouched.

mod common;

use std::path::Path;
use std::process::Command;

use common::run;

use berth_engine::db::Database;
use berth_engine::lifecycle::Engine;
use berth_engine::rewrite::app_dir;
use berth_testkit::{
    connect_engine, docker_ok, engine_app, labelled, require_testbed, AppCleanup, TempHome,
};

/// Whole or nothing: returns whether the app is installed.
async fn assert_whole_or_absent(engine: &Engine, home: &Path, app: &str, when: &str) -> bool {
    let store = Database::open(home).unwrap();
    assert!(
        store.unfinished_operations().unwrap().is_empty(),
        "{when}: reconcile left an unfinished operation"
    );
    let record = store.app(app).unwrap();
    let status = engine.status(app).await.unwrap();
    match record {
        Some(r) => {
            assert_eq!(r.state, "installed", "{when}: recorded but {}", r.state);
            assert_eq!(
                status.len(),
                1,
                "{when}: installed but containers are {status:?}"
            );
            assert!(
                app_dir(home, app).join("compose.yml").is_file(),
                "{when}: installed without its compose file"
            );
            true
        }
        None => {
            assert_eq!(
                labelled("container", app),
                0,
                "{when}: absent but a container is left"
            );
            assert_eq!(
                labelled("network", app),
                0,
                "{when}: absent but a network is left"
            );
            assert!(
                !app_dir(home, app).join("compose.yml").exists(),
                "{when}: absent but its compose file is left"
            );
            false
        }
    }
}

fn assert_data_untouched(home: &Path, app: &str, when: &str) {
    let sentinel = app_dir(home, app).join("data/www/keep-me");
    assert_eq!(
        std::fs::read_to_string(&sentinel).ok().as_deref(),
        Some("precious"),
        "{when}: the data folder was touched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_boundary_berth_ends_whole_or_absent() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("crash{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("crash-{app}"));
    let home_s = home.to_str().unwrap();
    let fixture = engine_app("one-service");
    let fixture_s = fixture.to_str().unwrap();
    // Data that exists before the first install: nothing may ever remove it.
    let www = app_dir(&home, &app).join("data/www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("keep-me"), "precious").unwrap();

    let mut install_boundaries = 0;
    for n in 1.. {
        let out = run(&["install", home_s, fixture_s, &app], Some(n));
        let reconciled = run(&["reconcile", home_s], None);
        assert!(
            reconciled.status.success(),
            "reconcile after install crash {n}: {}",
            String::from_utf8_lossy(&reconciled.stderr)
        );
        let when = format!("install killed at boundary {n}");
        let installed = assert_whole_or_absent(&engine, &home, &app, &when).await;
        assert_data_untouched(&home, &app, &when);
        if out.status.success() {
            // The abort point lies past the last boundary: the install completed.
            assert!(installed);
            install_boundaries = n - 1;
            break;
        }
        assert!(
            !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("aborting"),
            "{when}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if installed {
            let clean = run(&["uninstall", home_s, &app], None);
            assert!(
                clean.status.success(),
                "{}",
                String::from_utf8_lossy(&clean.stderr)
            );
        }
    }
    assert!(
        install_boundaries >= 8,
        "only {install_boundaries} install boundaries were exercised"
    );

    let mut uninstall_boundaries = 0;
    for n in 1.. {
        if Database::open(&home).unwrap().app(&app).unwrap().is_none() {
            let setup = run(&["install", home_s, fixture_s, &app], None);
            assert!(
                setup.status.success(),
                "{}",
                String::from_utf8_lossy(&setup.stderr)
            );
        }
        let out = run(&["uninstall", home_s, &app], Some(n));
        let reconciled = run(&["reconcile", home_s], None);
        assert!(
            reconciled.status.success(),
            "reconcile after uninstall crash {n}: {}",
            String::from_utf8_lossy(&reconciled.stderr)
        );
        let when = format!("uninstall killed at boundary {n}");
        let installed = assert_whole_or_absent(&engine, &home, &app, &when).await;
        assert!(
            !installed,
            "{when}: a started uninstall must be completed by reconcile"
        );
        assert_data_untouched(&home, &app, &when);
        let volume = format!("{app}_state");
        assert!(
            docker_ok(&["volume", "inspect", &volume]),
            "{when}: the named volume was removed"
        );
        if out.status.success() {
            uninstall_boundaries = n - 1;
            break;
        }
    }
    assert!(
        uninstall_boundaries >= 6,
        "only {uninstall_boundaries} uninstall boundaries were exercised"
    );
    eprintln!("killed at {install_boundaries} install and {uninstall_boundaries} uninstall step boundaries: whole or absent each time, data untouched");

    // Purge is the one way data goes, and only when asked.
    let setup = run(&["install", home_s, fixture_s, &app], None);
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let purge = run(
        &["uninstall", home_s, &app, "--purge", "--remove-images"],
        None,
    );
    assert!(
        purge.status.success(),
        "{}",
        String::from_utf8_lossy(&purge.stderr)
    );
    assert!(!www.exists(), "purge kept the data folder");
    // --remove-images removed the app's image, which nothing else used.
    let image = "127.0.0.1:5000/berth-test/box:1.0";
    let kept = Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .unwrap();
    assert!(
        !kept.status.success(),
        "{image} was kept by --remove-images"
    );
    assert!(!docker_ok(&["volume", "inspect", &format!("{app}_state")]));
}
