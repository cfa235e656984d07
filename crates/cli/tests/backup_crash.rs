//! A real `kill -9` of the daemon in the middle of a backup and of a
//! restore, on the real engine, with a folder target and 200 MB of random
//! data (enough that the kill lands mid-step; the step is watched through
//! `berth ops --json`).
//!
//! Killed while the backup is sending: after a restart the app runs, no
//! local copy is left, Debian's `restic check` passes on the repository,
//! and the next backup succeeds.
//!
//! Killed while a restore puts the data back (its `data` step, before its
//! commit): the design guarantees that a restore killed before its commit
//! is undone at restart — the app is exactly as it was before the restore
//! (data byte-identical to then) and running; killed after the commit it
//! would be kept, fully restored. The restore run again then succeeds.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

use berth_testkit::BOX_10;

/// `berth ARGS…` started in the background (it follows the operation).
fn berth_spawn(home: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The newest operation of `kind` on `app`, as `berth ops --json` shows it.
fn newest_op(home: &Path, app: &str, kind: &str) -> Option<serde_json::Value> {
    let out = berth(home, &["ops", "--json"]);
    if !out.status.success() {
        return None;
    }
    let ops: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    ops.as_array()?
        .iter()
        .filter(|o| o["app"] == app && o["kind"] == kind)
        .max_by_key(|o| o["id"].as_i64().unwrap_or_default())
        .cloned()
}

/// Waits until the newest `kind` operation on `app` is at `step` (running),
/// then kills the daemon with SIGKILL; returns the operation's id.
fn kill_at_step(home: &Path, daemon: &mut Daemon, app: &str, kind: &str, step: &str) -> i64 {
    let start = Instant::now();
    loop {
        if let Some(op) = newest_op(home, app, kind) {
            assert!(
                op["outcome"].is_null(),
                "the {kind} ended before it reached {step}: {op}"
            );
            let steps = op["steps"].as_array().unwrap();
            if steps.last().is_some_and(|s| s == step) {
                daemon.0.kill().unwrap(); // SIGKILL
                daemon.0.wait().unwrap();
                return op["id"].as_i64().unwrap();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the {kind} of {app} never reached {step}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the daemon again after a kill (its socket file is stale) and
/// waits until it has settled operation `op`; returns the operation.
fn restart_and_settle(home: &Path, op: i64) -> (Daemon, serde_json::Value) {
    let _ = std::fs::remove_file(home.join("berth.sock"));
    let daemon = start_daemon(home);
    let start = Instant::now();
    loop {
        let out = berth(home, &["ops", "--json"]);
        if out.status.success() {
            let ops: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if let Some(found) = ops
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["id"].as_i64() == Some(op) && !o["outcome"].is_null())
            {
                return (daemon, found.clone());
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "operation {op} was not settled after the restart"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn local_copies(home: &Path, app: &str) -> Vec<String> {
    std::fs::read_dir(home.join("snapshots").join(app))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn random_file(path: &Path, mb: usize) {
    run(
        "sh",
        &[
            "-c",
            &format!(
                "head -c {} /dev/urandom > '{}'",
                mb * 1_000_000,
                path.display()
            ),
        ],
    );
}

#[test]
fn kill_9_during_a_backup_and_during_a_restore_leaves_the_app_and_repository_consistent() {
    require_testbed();
    let app = format!("bkc{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("backup-crash-{app}"));
    let src = home.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let compose = src.join("compose.yml");
    std::fs::write(
        &compose,
        format!(
            "services:\n  web:\n    image: {BOX_10}\n    volumes: ['./data:/data', 'db:/db']\nvolumes:\n  db: {{}}\n"
        ),
    )
    .unwrap();
    let mut daemon = start_daemon(&home);
    berth_ok(&home, &["install", compose.to_str().unwrap(), "--id", &app]);
    let container = format!("{app}-web-1");
    assert!(running(&container));
    let data = home.join("apps").join(&app).join("data");
    let big = data.join("big.bin");
    random_file(&big, 200);
    sh_in(&container, "head -c 2000000 /dev/urandom > /db/vol.bin");
    let repo = home.join("target");
    berth_ok(
        &home,
        &["backup", "target", "add-folder", repo.to_str().unwrap()],
    );
    let password_file = home.join("backup").join("password");

    // 1. Killed while sending.
    let mut cli = berth_spawn(&home, &["backup", "run", &app]);
    let op = kill_at_step(&home, &mut daemon, &app, "backup", "copy");
    let _ = cli.wait();
    let (d, settled) = restart_and_settle(&home, op);
    daemon = d;
    assert_eq!(settled["outcome"], "interrupted", "{settled}");
    assert!(running(&container), "the app runs after the restart");
    assert!(
        local_copies(&home, &app).is_empty(),
        "no local copy left: {:?}",
        local_copies(&home, &app)
    );
    restic_run(&repo, &password_file, &["check"]);
    let report = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    let backup = report["backup"]["shortId"].as_str().unwrap().to_string();
    assert!(running(&container));
    restic_run(&repo, &password_file, &["check"]);

    // The data changes after the backup: the state "before the restore".
    let backed_up = sha256(&big);
    random_file(&big, 200);
    std::fs::write(data.join("later.txt"), "written after the backup").unwrap();
    sh_in(&container, "echo later > /db/vol.bin");
    let before = sha256(&big);
    let before_vol = sha256_in(&container, "/db/vol.bin");
    assert_ne!(before, backed_up);

    // 2. Killed while the restore puts the data back (before its commit).
    let mut cli = berth_spawn(&home, &["restore", &app, &backup]);
    let op = kill_at_step(&home, &mut daemon, &app, "rollback", "data");
    let _ = cli.wait();
    let (d, settled) = restart_and_settle(&home, op);
    daemon = d;
    assert_eq!(settled["outcome"], "rolled_back", "{settled}");
    assert!(running(&container), "the app runs after the restart");
    assert_eq!(sha256(&big), before, "the data is as before the restore");
    assert!(data.join("later.txt").exists());
    assert_eq!(sha256_in(&container, "/db/vol.bin"), before_vol);
    assert!(
        !data.with_extension("restoring").exists() && !data.with_extension("replaced").exists(),
        "no half copies beside the data folder"
    );
    let fetches: Vec<String> = local_copies(&home, &app)
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(fetches.is_empty(), "{fetches:?}");

    // Run again, it completes: the data is the backup's.
    berth_ok(&home, &["restore", &app, &backup]);
    assert!(running(&container));
    assert_eq!(sha256(&big), backed_up, "fully restored");
    assert!(!data.join("later.txt").exists());
    drop(daemon);
}
