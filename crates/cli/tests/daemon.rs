//! `berth serve` and its clients, end to end on the real Docker engine and
//! the local test registry: one owner per home, a root-only socket, install
//! with progress, apps/status/logs/stop/start/uninstall/ops, data kept, and
//! clear words when the daemon is gone.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn berth(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The daemon, stopped with SIGTERM when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn start_daemon(home: &Path) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let socket = home.join("berth.sock");
    let start = Instant::now();
    while !socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not open {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Daemon(child)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/apps/three-tier/compose.yml")
}

#[test]
fn the_daemon_installs_runs_and_uninstalls_an_app_for_its_clients() {
    assert!(
        std::net::TcpStream::connect("127.0.0.1:5000").is_ok(),
        "the local test registry is not running on 127.0.0.1:5000: run .ci/setup-testbed"
    );
    let home = std::env::temp_dir().join(format!("berth-daemon-{}", std::process::id()));
    std::fs::remove_dir_all(&home).ok();
    let app = format!("d{}", std::process::id());

    let daemon = start_daemon(&home);
    let mode = std::fs::metadata(home.join("berth.sock"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the socket must be usable by its owner only");
    let second = berth(&home, &["serve"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(text(&second).contains("already owns"), "{}", text(&second));

    // A non-Berth process holds the port the app asks for: Berth picks another.
    let squatter = std::net::TcpListener::bind(("0.0.0.0", 18080)).ok();
    let install = berth(
        &home,
        &["install", fixture().to_str().unwrap(), "--id", &app],
    );
    assert!(install.status.success(), "{}", text(&install));
    assert!(
        text(&install).contains(&format!("install {app}: done")),
        "{}",
        text(&install)
    );
    assert!(
        text(&install).contains("web: started"),
        "no progress shown: {}",
        text(&install)
    );
    if squatter.is_some() {
        let rendered =
            std::fs::read_to_string(home.join("apps").join(&app).join("compose.yml")).unwrap();
        assert!(
            !rendered.contains("published: '18080'"),
            "Berth gave the app a port another process holds"
        );
    }
    drop(squatter);

    let apps = json(&berth(&home, &["apps", "--json"]));
    let me = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == app.as_str())
        .expect("the app is listed");
    assert_eq!(me["state"], "installed");
    let states: Vec<_> = me["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("db".into(), "healthy".into())),
        "{states:?}"
    );
    assert_eq!(states.len(), 3);

    let logs = berth(&home, &["logs", &app, "--service", "web"]);
    assert!(text(&logs).contains("web says hello"), "{}", text(&logs));

    assert!(berth(&home, &["stop", &app]).status.success());
    let status = json(&berth(&home, &["status", &app, "--json"]));
    assert!(
        status["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "exited"),
        "{status}"
    );
    assert!(berth(&home, &["start", &app]).status.success());
    let status = json(&berth(&home, &["status", &app, "--json"]));
    assert!(
        status["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["state"] == "healthy"),
        "{status}"
    );

    let refused = berth(&home, &["uninstall", &app, "--purge-data"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).contains("--yes"));
    let uninstall = berth(&home, &["uninstall", &app]);
    assert!(uninstall.status.success(), "{}", text(&uninstall));
    assert!(
        home.join("apps")
            .join(&app)
            .join("data/web/from-cache")
            .is_file(),
        "uninstall removed the data folder"
    );
    let volume = format!("{app}_dbdata");
    assert!(
        Command::new("docker")
            .args(["volume", "inspect", &volume])
            .output()
            .unwrap()
            .status
            .success(),
        "uninstall removed the named volume"
    );

    let ops = json(&berth(&home, &["ops", "--json"]));
    let kinds: Vec<_> = ops
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap(),
                o["outcome"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("uninstall", "done"),
            ("start", "done"),
            ("stop", "done"),
            ("install", "done")
        ]
    );

    drop(daemon);
    assert!(
        !home.join("berth.sock").exists(),
        "the daemon left its socket behind"
    );
    let gone = berth(&home, &["apps"]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        text(&gone).contains("not running") && text(&gone).contains("berth serve"),
        "{}",
        text(&gone)
    );

    Command::new("docker")
        .args(["volume", "rm", &volume])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&home).ok();
}
