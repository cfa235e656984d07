//! `berth serve` and its clients, end to end on the real Docker engine and
//! the local test registry: one owner per home, a root-only socket, install
//! with progress, apps/status/logs/stop/start/uninstall/ops, data kept,
//! clear words when the daemon is gone, and an engine that goes away in the
//! middle of an install or uninstall.

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// The tests install the same app, which asks for the same host port: when
/// one app is stopped, the other could take its port. One at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn the_daemon_installs_runs_and_uninstalls_an_app_for_its_clients() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    let home = TempHome::new("daemon");
    let app = format!("d{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);

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
        &[
            "install",
            engine_app("three-tier").to_str().unwrap(),
            "--id",
            &app,
        ],
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

    let stop = berth(&home, &["stop", &app]);
    assert!(stop.status.success(), "{}", text(&stop));
    let status = json(&berth(&home, &["status", &app, "--json"]));
    assert!(
        status["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "exited"),
        "{status}"
    );
    let start = berth(&home, &["start", &app]);
    assert!(start.status.success(), "{}", text(&start));
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
        docker_ok(&["volume", "inspect", &volume]),
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
}

/// The Docker engine's socket as the daemon sees it: a stand-in that
/// forwards to the real engine and can be cut off — every open connection
/// dropped and the socket gone, exactly what Berth sees when the engine
/// stops — and restored.
struct EngineSocket {
    path: PathBuf,
    open: Arc<Mutex<Vec<UnixStream>>>,
    up: Arc<Mutex<bool>>,
}

const REAL_ENGINE: &str = "/var/run/docker.sock";

impl EngineSocket {
    fn start(path: PathBuf) -> Self {
        let socket = EngineSocket {
            path,
            open: Arc::default(),
            up: Arc::default(),
        };
        socket.restore();
        socket
    }

    fn restore(&self) {
        std::fs::remove_file(&self.path).ok();
        let listener = UnixListener::bind(&self.path).unwrap();
        *self.up.lock().unwrap() = true;
        let (open, up) = (self.open.clone(), self.up.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if !*up.lock().unwrap() {
                    return; // cut: drop the listener
                }
                let Ok(client) = client else { continue };
                let engine = UnixStream::connect(REAL_ENGINE)
                    .unwrap_or_else(|e| panic!("cannot reach the engine at {REAL_ENGINE}: {e}"));
                open.lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), engine.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), engine.try_clone().unwrap()),
                    (engine, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
    }

    fn cut(&self) {
        *self.up.lock().unwrap() = false;
        let _ = UnixStream::connect(&self.path); // wake the acceptor so it exits
        std::fs::remove_file(&self.path).unwrap();
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Polls `berth ops --json` until the newest `kind` operation has an outcome.
fn wait_for_outcome(home: &Path, kind: &str) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let ops = json(&berth(home, &["ops", "--json"]));
        let op = ops
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} in the journal: {ops}"));
        if !op["outcome"].is_null() {
            return op;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the {kind} was not settled after the engine came back: {op}\n{}",
            std::fs::read_to_string(home.join("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn docker_lines(args: &[&str]) -> Vec<String> {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Nothing of `app` is left on the engine but its named volume.
fn assert_no_trace(app: &str) {
    let label = format!("label=com.docker.compose.project={app}");
    let containers = docker_lines(&["ps", "-aq", "--filter", &label]);
    assert!(containers.is_empty(), "orphan containers: {containers:?}");
    let networks = docker_lines(&["network", "ls", "-q", "--filter", &label]);
    assert!(networks.is_empty(), "orphan networks: {networks:?}");
}

#[test]
fn an_engine_that_goes_away_mid_operation_is_reported_and_settled_when_back() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    require_testbed();
    let home = TempHome::new("away");
    let app = format!("away{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    // Data from an earlier life of the app: nothing may touch it.
    let data = home.join("apps").join(&app).join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("kept.txt"), "precious").unwrap();

    let engine = EngineSocket::start(home.join("engine.sock"));
    let docker_host = format!("unix://{}", engine.path.display());
    let _daemon = start_daemon_with(
        &home,
        &[
            ("DOCKER_HOST", docker_host.as_str()),
            ("BERTH_SETTLE_SECS", "0.5"),
        ],
    );

    // Install, and cut the engine off while web waits for db to turn healthy.
    let mut install = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(&home)
        .args([
            "install",
            engine_app("three-tier").to_str().unwrap(),
            "--id",
            &app,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = install.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let mut said = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("install never started db ({e}): {said:?}"));
        said.push(line.clone());
        if line.contains("db: started") {
            break;
        }
    }
    engine.cut();
    let status = install.wait().unwrap();
    said.extend(rx.iter());
    let said = said.join("\n");
    assert!(
        !status.success(),
        "install succeeded without its engine: {said}"
    );
    assert!(
        said.contains("Docker engine is not reachable")
            && said.contains("roll this install back once the engine is back"),
        "the error does not say what happened and what comes next: {said}"
    );
    let pending = json(&berth(&home, &["ops", "--json"]));
    assert!(
        pending[0]["kind"] == "install" && pending[0]["outcome"].is_null(),
        "the interrupted install should wait in the journal: {pending}"
    );

    engine.restore();
    let settled = wait_for_outcome(&home, "install");
    assert_eq!(settled["outcome"], "rolled_back", "{settled}");
    assert_no_trace(&app);
    let apps = json(&berth(&home, &["apps", "--json"]));
    assert_eq!(apps, serde_json::json!([]), "the app is half-installed");
    assert_eq!(
        std::fs::read_to_string(data.join("kept.txt")).unwrap(),
        "precious"
    );

    // Installed for real this time; then the engine is gone when uninstall runs.
    let again = berth(
        &home,
        &[
            "install",
            engine_app("three-tier").to_str().unwrap(),
            "--id",
            &app,
        ],
    );
    assert!(again.status.success(), "{}", text(&again));
    engine.cut();
    let uninstall = berth(&home, &["uninstall", &app]);
    assert!(!uninstall.status.success());
    assert!(
        text(&uninstall).contains("Docker engine is not reachable")
            && text(&uninstall).contains("finish this uninstall once the engine is back"),
        "{}",
        text(&uninstall)
    );
    engine.restore();
    let settled = wait_for_outcome(&home, "uninstall");
    assert_eq!(settled["outcome"], "completed_after_restart", "{settled}");
    assert_no_trace(&app);
    assert_eq!(
        json(&berth(&home, &["apps", "--json"])),
        serde_json::json!([])
    );
    assert_eq!(
        std::fs::read_to_string(data.join("kept.txt")).unwrap(),
        "precious"
    );

    Command::new("docker")
        .args(["volume", "rm", &format!("{app}_dbdata")])
        .output()
        .unwrap();
}
