//! Metrics, logs and diagnostics on the real Docker engine with the local
//! registry's busybox image (`.ci/setup-testbed`). An app installed from a
//! test store has a generated secret and a password setting, prints both to
//! its log and keeps both in its environment; one service spins a CPU, one
//! serves HTTP. The host's facts are plausible; the app's stats show the
//! busy CPU, memory under its limit and network traffic; sampling twice
//! leaves two samples; log search finds what the app printed and only
//! that; and the diagnostics bundle is a tar.gz with every part in it and
//! no secret anywhere.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use berth_engine::apps::{Apps, CatalogInstall, REDACTED};
use berth_engine::catalog::index_folder;
use berth_engine::metrics::{sample, system, StatsHistory};
use berth_testkit::{connect_engine, http_get, require_testbed, AppCleanup, TempHome};

const APP_YML: &str = r#"id: metbox
name: Metrics box
version: 1.0.0
tagline: Busy and chatty, for the metrics tests
main:
  service: web
  port: 80
settings:
  - name: SECRET_TOKEN
    label: Secret token
    type: password
    required: true
    generate: 32
  - name: ADMIN_PASSWORD
    label: Admin password
    type: password
    required: true
  - name: GREETING
    label: Greeting
    default: metrics-hello-line
resources:
  default: { memory: 64m }
"#;

/// `web` prints its secrets and a greeting, then serves; `spin` keeps a CPU busy.
const COMPOSE_YML: &str = r#"services:
  web:
    image: 127.0.0.1:5000/berth-test/box:1.0
    command: ["sh", "-c", "trap 'exit 0' TERM; echo \"token=$$SECRET_TOKEN admin=$$ADMIN_PASSWORD\"; echo \"$$GREETING\"; mkdir -p /www; echo ok > /www/index.html; httpd -f -p 80 -h /www & wait"]
    environment:
      SECRET_TOKEN: ${SECRET_TOKEN}
      ADMIN_PASSWORD: ${ADMIN_PASSWORD}
      GREETING: ${GREETING}
    ports:
      - "18750:80"
  spin:
    image: 127.0.0.1:5000/berth-test/box:1.0
    command: ["sh", "-c", "echo spinning; while :; do :; done"]
"#;

const ADMIN_PASSWORD: &str = "hunter2-metrics-Pw";

/// A folder store holding the `metbox` app.
fn test_store(root: &Path) {
    let app = root.join("metbox");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("app.yml"), APP_YML).unwrap();
    std::fs::write(app.join("compose.yml"), COMPOSE_YML).unwrap();
    index_folder(root, Some("metstore")).unwrap();
}

/// Every file of a `.tar.gz`, in order, with its text.
fn unpack(path: &Path) -> Vec<(String, String)> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        files.push((name, text));
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_logs_and_a_diagnostics_bundle_without_secrets() {
    require_testbed();
    let engine = connect_engine().await;
    let app = format!("met{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let tmp = TempHome::new(&format!("metrics-{app}"));
    let home = tmp.join("home");
    let store_dir = tmp.join("store");
    test_store(&store_dir);
    let apps = Apps::open(&home, engine.clone(), Default::default()).unwrap();
    apps.catalogs()
        .add(
            apps.db(),
            store_dir.to_str().unwrap(),
            None,
            Some("metstore"),
        )
        .await
        .unwrap();
    let request = apps
        .prepare_catalog_install(&CatalogInstall {
            app: "metbox".into(),
            store: Some("metstore".into()),
            id: Some(app.clone()),
            settings: BTreeMap::from([("ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into())]),
            ..Default::default()
        })
        .unwrap();
    apps.install(&request, &mut |_| {}).await.unwrap();
    let secret = apps.db().secrets(&app).unwrap()["SECRET_TOKEN"].clone();
    assert_eq!(secret.len(), 32);

    // The host.
    let host = system(&engine, &home).await.unwrap();
    let nproc: u32 = String::from_utf8(Command::new("nproc").output().unwrap().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(host.cpu.cores, nproc, "{host:?}");
    assert!(!host.cpu.model.is_empty(), "{host:?}");
    assert!(host.memory.total > 0 && host.memory.available <= host.memory.total);
    assert!(host.uptime_seconds > 0);
    assert!(!host.docker.version.is_empty(), "{host:?}");
    assert!(!host.docker.api_version.is_empty(), "{host:?}");
    assert!(!host.docker.storage_driver.is_empty(), "{host:?}");
    assert!(host.docker.root_dir.is_absolute(), "{host:?}");
    let home_disk = host.disks.iter().find(|d| d.role == "home").unwrap();
    assert!(home_disk.free > 0 && home_disk.free <= home_disk.total);
    println!(
        "host: {} × {}, load {:?}, {} MB RAM ({} available), docker {} (API {}, {}), disks {:?}",
        host.cpu.cores,
        host.cpu.model,
        host.load,
        host.memory.total / 1_000_000,
        host.memory.available / 1_000_000,
        host.docker.version,
        host.docker.api_version,
        host.docker.storage_driver,
        host.disks
    );

    // Traffic for the network counters.
    let record = apps.db().app(&app).unwrap().unwrap();
    let port = apps
        .open_address(&record)
        .and_then(|o| o.port)
        .expect("a published port");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http_get(port, "/").as_deref() != Some("ok") {
        assert!(Instant::now() < deadline, "web never answered on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..5 {
        http_get(port, "/");
    }

    // The app's stats (both containers measured at once; how long that
    // takes is printed, not asserted: speed is for benchmarks).
    let started = Instant::now();
    let stats = engine.app_stats(&app).await.unwrap();
    let took = started.elapsed();
    let service = |name: &str| {
        stats
            .services
            .iter()
            .find(|s| s.service == name)
            .unwrap_or_else(|| panic!("no {name} in {stats:?}"))
            .clone()
    };
    let (web, spin) = (service("web"), service("spin"));
    println!(
        "stats in {took:?}: spin {:?}; web {:?}",
        spin.usage, web.usage
    );
    assert!(web.running && spin.running);
    assert!(spin.usage.cpu_percent > 10.0, "{spin:?}");
    for s in [&web, &spin] {
        assert!(s.usage.memory_used > 0, "{s:?}");
        assert!(s.usage.memory_used <= s.usage.memory_limit, "{s:?}");
        assert_eq!(s.usage.memory_limit, 64 * 1024 * 1024, "{s:?}");
        assert!(s.usage.pids >= 1, "{s:?}");
    }
    assert!(web.usage.net_rx > 0 && web.usage.net_tx > 0, "{web:?}");
    assert!(
        (stats.total.cpu_percent - web.usage.cpu_percent - spin.usage.cpu_percent).abs() < 1e-9
    );
    assert_eq!(
        stats.total.memory_used,
        web.usage.memory_used + spin.usage.memory_used
    );

    // Two rounds of sampling, two samples.
    let history = Mutex::new(StatsHistory::default());
    for _ in 0..2 {
        let round = sample(&engine, std::slice::from_ref(&app), &history).await;
        assert_eq!(round.len(), 1);
    }
    let samples = history.lock().unwrap().get(&app);
    assert_eq!(samples.len(), 2, "{samples:?}");
    assert!(samples[0].at < samples[1].at);
    assert!(
        samples.iter().all(|s| s.usage.cpu_percent > 10.0),
        "{samples:?}"
    );

    // Log search: what the app printed, in any case, and nothing else.
    let found = engine
        .search_logs(&app, None, "METRICS-hello", None, None)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].service.as_str(), found[0].text.as_str()),
        ("web", "metrics-hello-line")
    );
    assert!(found[0].time.starts_with("20"), "{found:?}");
    assert!(engine
        .search_logs(&app, None, "never-printed", None, None)
        .await
        .unwrap()
        .is_empty());
    let spinning = engine
        .search_logs(&app, Some("spin"), "spin", Some(10), None)
        .await
        .unwrap();
    assert_eq!(spinning.len(), 1, "{spinning:?}");
    let an_hour_on = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    assert!(engine
        .search_logs(&app, None, "", None, Some(an_hour_on))
        .await
        .unwrap()
        .is_empty());
    let text = engine.logs_text(&app, None, None).await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("20") && l.ends_with(" web stdout metrics-hello-line")),
        "{text}"
    );
    // The secret is in the log, for the bundle to hide.
    assert!(text.contains(&secret) && text.contains(ADMIN_PASSWORD));

    // The bundle.
    let out = tmp.join("bundles").join(format!("{app}.tar.gz"));
    let report = apps.diagnose(&app, &out).await.unwrap();
    assert_eq!(report.path, out);
    assert_eq!(report.bytes, std::fs::metadata(&out).unwrap().len());
    let files = unpack(&out);
    println!(
        "bundle: {} bytes, {:?}",
        report.bytes,
        files.iter().map(|(n, t)| (n, t.len())).collect::<Vec<_>>()
    );
    let names: Vec<&String> = files.iter().map(|(n, _)| n).collect();
    assert_eq!(names, report.files.iter().collect::<Vec<_>>());
    let file = |name: &str| {
        let name = format!("{app}-diagnostics/{name}");
        files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| text)
            .unwrap_or_else(|| panic!("no {name} in {names:?}"))
    };
    for (name, text) in &files {
        assert!(!text.contains(&secret), "{name} holds the secret:\n{text}");
        assert!(
            !text.contains(ADMIN_PASSWORD),
            "{name} holds the password:\n{text}"
        );
    }
    assert!(file("compose.yml").contains(&format!("SECRET_TOKEN: {REDACTED}")));
    assert!(file("compose.yml").contains("image: 127.0.0.1:5000/berth-test/box:1.0"));
    assert!(file("logs/web.log").contains(&format!("token={REDACTED} admin={REDACTED}")));
    assert!(file("logs/web.log").contains("metrics-hello-line"));
    assert!(file("logs/spin.log").contains("spinning"));
    let json = |name: &str| serde_json::from_str::<serde_json::Value>(file(name)).unwrap();
    let app_json = json("app.json");
    assert_eq!(app_json["settings"]["SECRET_TOKEN"], REDACTED);
    assert_eq!(app_json["settings"]["ADMIN_PASSWORD"], REDACTED);
    assert_eq!(app_json["settings"]["GREETING"], "metrics-hello-line");
    let status = json("status.json");
    let states: Vec<(&str, &str, i64)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["state"].as_str().unwrap(),
                s["restarts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("spin", "running", 0), ("web", "running", 0)]);
    assert!(status[0]["exitCode"].is_null() && status[0]["finishedAt"].is_null());
    assert_eq!(json("host.json")["cpu"]["cores"], nproc);
    let operations = json("operations.json");
    assert_eq!(operations[0]["kind"], "install", "{operations}");
    assert_eq!(operations[0]["outcome"], "done", "{operations}");
    assert_eq!(
        operations[0]["request"]["settings"]["SECRET_TOKEN"],
        REDACTED
    );
    let summary = json("summary.json");
    assert_eq!(summary["berthVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["secretsRedacted"], 2);

    apps.uninstall(&app, Default::default(), &mut |_| {})
        .await
        .unwrap();
}
