//! Updates on the real Docker engine with the local registry's images
//! (`.ci/setup-testbed`): 1.0 → 1.1 succeeds and keeps data; 1.1 → the
//! broken 2.0 (it never serves, and it deletes data on start like a bad
//! migration) rolls back by itself with the data back and the app
//! answering; a manual rollback returns to any kept snapshot; the snapshot
//! of an app holds its data folder and named volumes, counted; and an
//! update killed at every step boundary comes back, after reconcile, on the
//! old or the new version — never half — with its data.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use berth_engine::apps::{parse_age, Apps, PruneOptions, UpdateTarget};
use berth_engine::db::Database;
use berth_engine::rewrite::app_dir;
use berth_engine::Error;
use berth_testkit::{
    connect_engine, docker_ok, http_get, install_request, require_testbed, write_compose,
    AppCleanup, TempHome,
};

/// The test app at `version`: it copies its version into its data. The
/// broken 2.0 image ignores this command, deletes the precious files (a bad
/// migration) and never serves.
fn compose(version: &str, port: u16) -> String {
    format!(
        r#"services:
  web:
    image: 127.0.0.1:5000/berth-test/box:{version}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /data/www; cp /VERSION /data/www/version; httpd -f -p 80 -h /data/www & wait"]
    ports:
      - "{port}:80"
    volumes:
      - ./data:/data
      - state:/state
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/version"]
      interval: 1s
      timeout: 2s
      retries: 3
volumes:
  state: {{}}
"#
    )
}

fn volume_dir(volume: &str) -> PathBuf {
    let out = Command::new("docker")
        .args(["volume", "inspect", "-f", "{{.Mountpoint}}", volume])
        .output()
        .unwrap();
    assert!(out.status.success(), "volume {volume} is missing");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn running_image(app: &str) -> String {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{.Config.Image}} {{.State.Running}}"])
        .arg(format!("{app}-web-1"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn precious(home: &Path, app: &str) -> (Option<String>, Option<String>) {
    let data = std::fs::read_to_string(app_dir(home, app).join("data/www/precious")).ok();
    let volume = std::fs::read_to_string(volume_dir(&format!("{app}_state")).join("precious")).ok();
    (data, volume)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_keep_data_and_a_broken_version_rolls_back_by_itself() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("upd{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("update-{app}"));
    let file = |v: &str| write_compose(&home, &format!("compose-{v}"), &compose(v, 18591));
    let apps = Apps::open(&home, engine, Default::default()).unwrap();

    // 1.0, with data in its folder and in its named volume.
    let request = install_request(file("1.0"), &app);
    apps.install(&request, &mut |_| {}).await.unwrap();
    let record = apps.db().app(&app).unwrap().unwrap();
    let port = apps
        .open_address(&record)
        .and_then(|o| o.port)
        .expect("a published port");
    let www = app_dir(&home, &app).join("data/www");
    wait_for(|| http_get(port, "/version").as_deref() == Some("1.0")).await;
    std::fs::write(www.join("precious"), "from 1.0").unwrap();
    std::fs::write(
        volume_dir(&format!("{app}_state")).join("precious"),
        "volume 1.0",
    )
    .unwrap();

    // 1.0 → 1.1: succeeds, keeps the data, leaves a snapshot of 1.0.
    let mut steps = Vec::new();
    apps.update(&app, &UpdateTarget::Compose(file("1.1")), false, &mut |p| {
        if let berth_engine::apps::Progress::Step { step, .. } = p {
            steps.push(step.as_str())
        }
    })
    .await
    .expect("1.0 → 1.1");
    assert_eq!(
        steps,
        ["render", "pull", "stop", "snapshot", "swap", "start", "health", "commit"]
    );
    assert_eq!(
        http_get(port, "/version").as_deref(),
        Some("1.1"),
        "same port, new version"
    );
    assert_eq!(
        precious(&home, &app),
        (Some("from 1.0".into()), Some("volume 1.0".into()))
    );
    assert!(running_image(&app).starts_with("127.0.0.1:5000/berth-test/box:1.1 true"));
    let snapshots = apps.snapshots(&app).unwrap();
    assert_eq!(snapshots.len(), 1);
    let before_11 = snapshots[0].clone();
    assert_eq!(
        before_11.data.bytes,
        std::fs::metadata(www.join("precious")).unwrap().len() + 4
    );
    assert_eq!(before_11.volumes.len(), 1, "{before_11:?}");
    assert!(before_11.record.source.ends_with("compose-1.0.yml"));
    let record = apps.db().app(&app).unwrap().unwrap();
    assert!(record.source.ends_with("compose-1.1.yml"), "{record:?}");
    assert_eq!(record.state, "installed");

    // 1.1 → 2.0: 2.0 deletes the data and never becomes healthy; Berth puts
    // 1.1 back with its data, and says why.
    std::fs::write(www.join("precious"), "from 1.1").unwrap();
    let err = apps
        .update(
            &app,
            &UpdateTarget::Compose(file("2.0")),
            false,
            &mut |_| {},
        )
        .await
        .map(|op| apps.db().operation(op).unwrap())
        .expect_err("2.0 must fail");
    assert!(matches!(err, Error::RolledBack { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("rolled back") && text.contains("unhealthy"),
        "{text}"
    );
    assert_eq!(
        http_get(port, "/version").as_deref(),
        Some("1.1"),
        "1.1 answers again"
    );
    assert_eq!(
        precious(&home, &app),
        (Some("from 1.1".into()), Some("volume 1.0".into())),
        "the data 2.0 deleted is back"
    );
    assert!(running_image(&app).starts_with("127.0.0.1:5000/berth-test/box:1.1 true"));
    let record = apps.db().app(&app).unwrap().unwrap();
    assert!(record.source.ends_with("compose-1.1.yml"), "{record:?}");
    assert_eq!(record.state, "installed");
    let op = &apps.db().recent_operations(1).unwrap()[0];
    assert_eq!(op.kind, "update");
    assert_eq!(op.outcome.as_deref(), Some("rolled_back"));
    assert!(op.steps.contains(&"undo".to_string()) || op.error.is_some());
    assert!(!app_dir(&home, &app).join("compose.next.yml").exists());
    assert_eq!(
        apps.snapshots(&app).unwrap().len(),
        2,
        "the snapshot of 1.1 is kept"
    );

    // The same file again: nothing to do, no downtime.
    let unchanged = apps
        .update(
            &app,
            &UpdateTarget::Compose(file("1.1")),
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
    let op = apps.db().operation(unchanged).unwrap().unwrap();
    assert_eq!(op.outcome.as_deref(), Some("unchanged"), "{op:?}");

    // Manual rollback to the snapshot taken before 1.1: 1.0 with its data then.
    std::fs::write(www.join("precious"), "from 1.1, later").unwrap();
    apps.update(
        &app,
        &UpdateTarget::Snapshot(Some(before_11.id.clone())),
        false,
        &mut |_| {},
    )
    .await
    .expect("rollback");
    wait_for(|| http_get(port, "/version").as_deref() == Some("1.0")).await;
    assert_eq!(
        precious(&home, &app),
        (Some("from 1.0".into()), Some("volume 1.0".into()))
    );
    assert!(running_image(&app).starts_with("127.0.0.1:5000/berth-test/box:1.0 true"));
    let record = apps.db().app(&app).unwrap().unwrap();
    assert!(record.source.ends_with("compose-1.0.yml"), "{record:?}");
    // The rollback snapshotted what it replaced, so it can be undone too.
    let newest = &apps.snapshots(&app).unwrap()[0];
    assert!(newest.reason.contains("rolling back"), "{newest:?}");
    assert_eq!(apps.snapshots(&app).unwrap().len(), 3);

    // An unknown snapshot is refused before anything happens.
    let err = apps
        .update(
            &app,
            &UpdateTarget::Snapshot(Some("nope".into())),
            false,
            &mut |_| {},
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no snapshot nope"), "{err}");

    // Cleanup: 2.0 (pulled, never kept) goes; 1.1 stays for the snapshots
    // that need it; 1.0 runs. An age policy keeps the freshly used 2.0.
    let image = |tag: &str| format!("127.0.0.1:5000/berth-test/box:{tag}");
    let recent = apps
        .prune_images(PruneOptions {
            older_than: parse_age("30d"),
            dry_run: true,
        })
        .await
        .unwrap();
    assert!(
        recent.images.is_empty() && recent.too_recent >= 1,
        "{recent:?}"
    );
    let dry = apps
        .prune_images(PruneOptions {
            older_than: None,
            dry_run: true,
        })
        .await
        .unwrap();
    let names = |list: &[berth_engine::apps::PrunedImage]| -> Vec<String> {
        list.iter().flat_map(|i| i.references.clone()).collect()
    };
    assert_eq!(names(&dry.images), [image("2.0")], "{dry:?}");
    assert!(dry.bytes > 0);
    assert!(
        names(&dry.kept_for_rollback).contains(&image("1.1")),
        "{dry:?}"
    );
    assert!(
        docker_ok(&["image", "inspect", &image("2.0")]),
        "a dry run removes nothing"
    );
    let done = apps
        .prune_images(PruneOptions {
            older_than: None,
            dry_run: false,
        })
        .await
        .unwrap();
    assert_eq!(names(&done.images), [image("2.0")]);
    assert!(
        !docker_ok(&["image", "inspect", &image("2.0")]),
        "2.0 was not removed"
    );
    assert!(
        docker_ok(&["image", "inspect", &image("1.1")]),
        "a snapshot's image was removed"
    );
    assert!(docker_ok(&["image", "inspect", &image("1.0")]));

    apps.uninstall(
        &app,
        berth_engine::apps::UninstallOptions {
            purge_data: true,
            remove_images: false,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(
        apps.snapshots(&app).unwrap().is_empty(),
        "purge deletes snapshots"
    );
}

/// Unmounts the small filesystem even if the test fails.
struct Unmount(PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_without_room_for_a_snapshot_is_refused_before_anything_is_touched() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("updfull{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("update-{app}"));
    let file = |v: &str| write_compose(&home, &format!("compose-{v}"), &compose(v, 18593));
    let apps = Apps::open(&home, engine, Default::default()).unwrap();
    let request = install_request(file("1.0"), &app);
    apps.install(&request, &mut |_| {}).await.unwrap();
    wait_for(|| http_get(18593, "/version").as_deref() == Some("1.0")).await;
    let operations = apps.db().recent_operations(10).unwrap().len();

    // The snapshots live on a 16 MiB filesystem: too small to keep the
    // margin Berth leaves for the system.
    let snapshots = home.join("snapshots");
    std::fs::create_dir_all(&snapshots).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&snapshots)
        .output()
        .unwrap();
    assert!(
        mounted.status.success(),
        "this test mounts a tmpfs and needs root: {}",
        String::from_utf8_lossy(&mounted.stderr)
    );
    let _unmount = Unmount(snapshots.clone());

    let err = apps
        .update(
            &app,
            &UpdateTarget::Compose(file("1.1")),
            false,
            &mut |_| {},
        )
        .await
        .expect_err("no room for the snapshot");
    assert!(matches!(err, Error::NoSpace { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("needs 67.") && text.contains("MB free"),
        "{text}"
    );
    assert_eq!(
        apps.db().recent_operations(10).unwrap().len(),
        operations,
        "nothing was started"
    );
    assert_eq!(http_get(18593, "/version").as_deref(), Some("1.0"));
    assert!(running_image(&app).starts_with("127.0.0.1:5000/berth-test/box:1.0 true"));
    assert!(apps.snapshots(&app).unwrap().is_empty());
    let record = apps.db().app(&app).unwrap().unwrap();
    assert!(record.source.ends_with("compose-1.0.yml"), "{record:?}");

    drop(_unmount);
    apps.uninstall(
        &app,
        berth_engine::apps::UninstallOptions {
            purge_data: true,
            remove_images: false,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
}

async fn wait_for(mut ok: impl FnMut() -> bool) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok(), "condition not met within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_killed_at_every_step_ends_on_the_old_or_the_new_version() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("updkill{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("update-{app}"));
    let h = home.to_str().unwrap();
    let file = |v: &str| -> String {
        let path = home.join(format!("compose-{v}.yml"));
        std::fs::write(&path, compose(v, 18592)).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (v10, v11) = (file("1.0"), file("1.1"));
    let ok = |out: std::process::Output, what: &str| {
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(
        common::run(&["install", h, &v10, &app], None),
        "install 1.0",
    );
    let www = app_dir(&home, &app).join("data/www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("precious"), "data").unwrap();
    std::fs::write(
        volume_dir(&format!("{app}_state")).join("precious"),
        "volume",
    )
    .unwrap();

    let mut boundaries = 0;
    for n in 1.. {
        let out = common::run(&["update", h, &app, &v11], Some(n));
        ok(
            common::run(&["reconcile", h], None),
            &format!("reconcile after kill {n}"),
        );
        let when = format!("update killed at boundary {n}");
        let store = Database::open(&home).unwrap();
        assert!(
            store.unfinished_operations().unwrap().is_empty(),
            "{when}: unfinished"
        );
        let record = store.app(&app).unwrap().expect("still installed");
        drop(store);
        assert_eq!(record.state, "installed", "{when}");
        let version = if record.source == v11 { "1.1" } else { "1.0" };
        assert!(
            record.source == v10 || record.source == v11,
            "{when}: {record:?}"
        );
        let rendered = std::fs::read_to_string(app_dir(&home, &app).join("compose.yml")).unwrap();
        assert!(
            rendered.contains(&format!("box:{version}")),
            "{when}: recorded {version}, but the compose file says otherwise"
        );
        assert!(
            running_image(&app)
                .starts_with(&format!("127.0.0.1:5000/berth-test/box:{version} true")),
            "{when}: recorded {version} but runs {}",
            running_image(&app)
        );
        wait_for(|| http_get(18592, "/version").as_deref() == Some(version)).await;
        assert_eq!(
            precious(&home, &app),
            (Some("data".into()), Some("volume".into())),
            "{when}: data lost"
        );
        assert!(
            !app_dir(&home, &app).join("compose.next.yml").exists(),
            "{when}"
        );
        let status = engine.status(&app).await.unwrap();
        assert_eq!(status.len(), 1, "{when}: {status:?}");
        if out.status.success() {
            boundaries = n - 1;
            break;
        }
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("aborting"),
            "{when}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if version == "1.1" {
            ok(common::run(&["update", h, &app, &v10], None), "back to 1.0");
        }
    }
    assert!(
        boundaries >= 15,
        "only {boundaries} update boundaries were exercised"
    );
    eprintln!(
        "killed at {boundaries} update step boundaries: old or new version each time, data intact"
    );
    ok(
        common::run(&["uninstall", h, &app, "--purge"], None),
        "uninstall",
    );
}
