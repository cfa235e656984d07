//! End-to-end on the real Docker engine and the local test registry
//! (`.ci/setup-testbed`): a three-service app is rendered, pulled, started in
//! dependency order, seen by docker compose, converged idempotently and taken
//! down without losing its data. Also: an unknown image leaves nothing behind.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use berth_engine::compose::{load_file, LoadOptions};
use berth_engine::lifecycle::{DownOptions, ServiceState, UpEvent};
use berth_engine::rewrite::{app_dir, render, PortAllocator, RenderRequest};
use berth_testkit::{
    connect_engine, docker_ok, engine_app, labelled, require_testbed, AppCleanup, TempHome, BOX_10,
    BOX_11 as IMAGE, BOX_20,
};
use futures_util::StreamExt;

/// A page, once the server answers: a started container may take a moment
/// to listen (Docker's proxy accepts, then drops, until it does).
fn http_get(port: u16, path: &str) -> String {
    let once = || -> std::io::Result<String> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut body = String::new();
        stream.read_to_string(&mut body)?;
        if body.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(body)
    };
    let mut last = None;
    for _ in 0..50 {
        match once() {
            Ok(body) => return body,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("port {port} did not answer within 10 s: {last:?}")
}

/// Seconds since midnight plus the date, from an RFC 3339 time as Docker prints it.
fn instant(rfc3339: &str) -> (String, f64) {
    let (date, time) = rfc3339.split_once('T').unwrap();
    let time = time.trim_end_matches('Z');
    let mut parts = time.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    (date.to_string(), h * 3600.0 + m * 60.0 + s)
}

fn docker_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI (for checks only)");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn render_app(app: &str, fixture: &Path, home: &Path) -> (PathBuf, u16) {
    let request = RenderRequest {
        app_id: app.into(),
        home: home.to_path_buf(),
        host: Default::default(),
        settings: Default::default(),
        limits: Default::default(),
        consent: false,
        shares: Vec::new(),
        no_host_port: false,
    };
    let mut ports = PortAllocator::open(&home.join("ports.json")).unwrap();
    let rendered = render(fixture, &request, &mut ports).unwrap();
    ports.save().unwrap();
    let dir = app_dir(home, app);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yml");
    std::fs::write(&file, &rendered.yaml).unwrap();
    let port = rendered
        .ports
        .first()
        .map(|c| c.published)
        .unwrap_or_default();
    (file, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_service_app_runs_converges_and_keeps_its_data() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("e2e{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("e2e-{app}"));
    let fixture = engine_app("three-tier");

    // Force a real pull from the registry: 1.1, the broken 2.0 built on it,
    // and 1.0, which shares its base layers (1.1's own layer is too small
    // for Docker to report its download); otherwise their layers stay.
    let _ = engine_remove_image(IMAGE);
    let _ = engine_remove_image(BOX_20);
    let _ = engine_remove_image(BOX_10);
    let (file, port) = render_app(&app, &fixture, &home);
    let options = LoadOptions {
        project_name: Some(app.clone()),
        ..Default::default()
    };
    let project = load_file(&file, &options).unwrap();

    let mut events = Vec::new();
    engine.up(&project, &mut |e| events.push(e)).await.unwrap();
    let pulled_bytes: i64 = events
        .iter()
        .filter_map(|e| match e {
            UpEvent::Pull(p) if p.status == "Downloading" => p.total,
            _ => None,
        })
        .max()
        .unwrap_or_default();
    assert!(
        pulled_bytes > 0,
        "the pull reported no layer sizes: {events:?}"
    );

    let status = engine.status(&app).await.unwrap();
    let state: HashMap<_, _> = status
        .iter()
        .map(|s| (s.service.as_str(), s.state.clone()))
        .collect();
    assert_eq!(state.len(), 3, "{status:?}");
    assert_eq!(state["db"], ServiceState::Healthy);
    assert_eq!(state["web"], ServiceState::Running);
    assert_eq!(state["cache"], ServiceState::Running);
    assert_eq!(
        status
            .iter()
            .find(|s| s.service == "web")
            .unwrap()
            .container,
        format!("{app}-web-1")
    );

    // web answers on its allocated host port, and reached cache by name.
    let page = http_get(port, "/");
    assert!(page.contains("berth test app 1.1"), "{page}");
    let data = app_dir(&home, &app).join("data/web");
    let from_cache = std::fs::read_to_string(data.join("from-cache")).unwrap();
    assert!(
        from_cache.contains("berth test app"),
        "web could not reach cache by name: {from_cache:?}"
    );

    // web started only once db was healthy.
    let db = docker_json(&["inspect", &format!("{app}-db-1")]);
    let web = docker_json(&["inspect", &format!("{app}-web-1")]);
    let first_pass = db[0]["State"]["Health"]["Log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ExitCode"] == 0)
        .expect("db has a passing healthcheck")["End"]
        .as_str()
        .unwrap()
        .to_string();
    let web_started = web[0]["State"]["StartedAt"].as_str().unwrap().to_string();
    assert!(
        instant(&first_pass) <= instant(&web_started),
        "web started {web_started}, before db was healthy at {first_pass}"
    );

    // docker compose sees the app as its own.
    let ps = Command::new("docker")
        .args(["compose", "-p", &app, "ps", "--format", "json"])
        .output()
        .unwrap();
    let ps = String::from_utf8_lossy(&ps.stdout);
    for service in ["db", "web", "cache"] {
        assert!(
            ps.contains(&format!("{app}-{service}-1")),
            "docker compose ps misses {service}: {ps}"
        );
    }
    let ls = Command::new("docker")
        .args(["compose", "ls", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&ls.stdout).contains(&app),
        "docker compose ls misses {app}"
    );

    // Up again changes nothing.
    let mut again = Vec::new();
    engine.up(&project, &mut |e| again.push(e)).await.unwrap();
    let unchanged = again
        .iter()
        .filter(|e| matches!(e, UpEvent::Service { state, .. } if state == "unchanged"))
        .count();
    assert_eq!(unchanged, 3, "{again:?}");
    assert!(!again.iter().any(|e| matches!(e, UpEvent::Service { state, .. } if state == "created" || state == "recreated")));

    // A changed setting recreates only the service it touches.
    let db_id = docker_json(&["inspect", &format!("{app}-db-1")])[0]["Id"].clone();
    let mut changed = project.clone();
    changed.model["services"]["web"]["environment"] =
        serde_yaml::from_str("GREETING: changed").unwrap();
    let mut converged = Vec::new();
    engine
        .up(&changed, &mut |e| converged.push(e))
        .await
        .unwrap();
    let state_of = |svc: &str| {
        converged.iter().find_map(|e| match e {
            UpEvent::Service { service, state } if service == svc && state != "started" => {
                Some(state.clone())
            }
            _ => None,
        })
    };
    assert_eq!(
        state_of("web").as_deref(),
        Some("recreated"),
        "{converged:?}"
    );
    assert_eq!(state_of("db").as_deref(), Some("unchanged"));
    assert_eq!(state_of("cache").as_deref(), Some("unchanged"));
    assert_eq!(
        docker_json(&["inspect", &format!("{app}-db-1")])[0]["Id"],
        db_id,
        "db was recreated"
    );
    let web_env =
        docker_json(&["inspect", &format!("{app}-web-1")])[0]["Config"]["Env"].to_string();
    assert!(web_env.contains("GREETING=changed"), "{web_env}");

    // Logs, through Berth and through docker compose.
    let lines: Vec<_> = engine
        .logs(&app, "web", None, false)
        .collect::<Vec<_>>()
        .await;
    assert!(
        lines
            .iter()
            .any(|l| l.as_ref().is_ok_and(|l| l.text.contains("web says hello"))),
        "{lines:?}"
    );
    let compose_logs = Command::new("docker")
        .args(["compose", "-p", &app, "logs", "web"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&compose_logs.stdout).contains("web says hello"),
        "docker compose logs misses the output"
    );

    // Stop, then start: every service exits, then runs again, data intact.
    engine.stop(&project).await.unwrap();
    let stopped = engine.status(&app).await.unwrap();
    assert!(
        stopped
            .iter()
            .all(|s| matches!(s.state, ServiceState::Exited { .. })),
        "{stopped:?}"
    );
    engine.start(&project, &mut |_| {}).await.unwrap();
    let restarted: HashMap<_, _> = engine
        .status(&app)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.service, s.state))
        .collect();
    assert_eq!(restarted["db"], ServiceState::Healthy);
    assert!(http_get(port, "/").contains("berth test app 1.1"));
    assert!(data.join("from-cache").is_file());

    // Down keeps the named volume and the data folder.
    engine.down(&app, DownOptions::default()).await.unwrap();
    assert!(engine.status(&app).await.unwrap().is_empty());
    let volume = format!("{app}_dbdata");
    assert!(
        docker_ok(&["volume", "inspect", &volume]),
        "down removed the data volume"
    );
    assert!(
        data.join("from-cache").is_file(),
        "down touched the data folder"
    );
    assert_eq!(labelled("network", &app), 0, "a network was left behind");

    // Reinstall finds the data; purge removes the volume.
    engine.up(&project, &mut |_| {}).await.unwrap();
    let out = Command::new("docker")
        .args(["exec", &format!("{app}-db-1"), "cat", "/var/lib/db/value"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "kept");
    engine
        .down(
            &app,
            DownOptions {
                remove_volumes: true,
            },
        )
        .await
        .unwrap();
    assert!(!docker_ok(&["volume", "inspect", &volume]));
}

fn engine_remove_image(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "rm", "-f", image])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_image_is_a_clear_error_and_leaves_nothing() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("e2ebad{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("e2e-{app}"));
    let fixture = home.join("compose.yml");
    std::fs::write(&fixture, "services:\n  a:\n    image: 127.0.0.1:5000/berth-test/no-such-image:9.9\n    ports: ['18090:80']\n").unwrap();
    let (file, _) = render_app(&app, &fixture, &home);
    let project = load_file(
        &file,
        &LoadOptions {
            project_name: Some(app.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = engine
        .up(&project, &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-image"), "{err}");
    assert!(engine.status(&app).await.unwrap().is_empty());
    assert_eq!(labelled("network", &app), 0, "a network was left behind");
}
