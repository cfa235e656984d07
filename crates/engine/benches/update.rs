//! Update downtime: how long a stateless web service does not answer while
//! it is updated, as its users see it — Berth's update (snapshot, swap,
//! health gate) against `docker compose pull && docker compose up -d` on the
//! same app, alternating 1.0 ↔ 1.1 in one run. A prober asks the app's port
//! every 5 ms throughout; downtime is the longest stretch without an answer.
//!
//! Needs the engine and the test registry (.ci/setup-docker, .ci/setup-testbed).
//! Run: `cargo bench -p berth-engine --bench update` (BENCH_ROUNDS, default 5).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_engine::apps::{Apps, UninstallOptions, UpdateTarget};

const BERTH_PORT: u16 = 18601;
const COMPOSE_PORT: u16 = 18602;

fn web(version: &str, port: u16) -> String {
    format!(
        r#"services:
  web:
    image: 127.0.0.1:5000/berth-test/box:{version}
    ports:
      - "{port}:80"
"#
    )
}

fn answers(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET / HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n > 0 && buf.starts_with(b"HTTP/"))
}

/// Probes `port` until stopped; returns the longest time it did not answer.
fn probe(port: u16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut longest = Duration::ZERO;
        let mut down_since: Option<Instant> = None;
        while !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            match (answers(port), down_since) {
                (false, None) => down_since = Some(now),
                (true, Some(since)) => {
                    longest = longest.max(now - since);
                    down_since = None;
                }
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(since) = down_since {
            longest = longest.max(since.elapsed());
        }
        longest
    })
}

fn until_answers(port: u16) {
    let start = Instant::now();
    while !answers(port) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "port {port} never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `update` with the prober on `port`; returns (downtime, total time).
async fn measured<F: std::future::Future<Output = ()>>(
    port: u16,
    update: F,
) -> (Duration, Duration) {
    until_answers(port);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(port, stop.clone());
    let start = Instant::now();
    update.await;
    let total = start.elapsed();
    until_answers(port);
    stop.store(true, Ordering::SeqCst);
    (prober.join().unwrap(), total)
}

fn compose(file: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .args(["compose", "-p", "benchupdcompose", "-f"])
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker compose {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [Duration]) -> (f64, f64) {
    v.sort();
    (ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    berth_testkit::require_testbed();
    let engine = berth_testkit::connect_engine().await;
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let home = berth_testkit::TempHome::new("bench-update");
    let file = |name: &str, body: String| -> PathBuf {
        let path = home.join(name);
        std::fs::write(&path, body).unwrap();
        path
    };
    let ours = [
        file("berth-1.0.yml", web("1.0", BERTH_PORT)),
        file("berth-1.1.yml", web("1.1", BERTH_PORT)),
    ];
    let peer = [
        file("compose-1.0.yml", web("1.0", COMPOSE_PORT)),
        file("compose-1.1.yml", web("1.1", COMPOSE_PORT)),
    ];
    let apps = Apps::open(&home.join("home"), engine, Default::default()).unwrap();
    let app = "benchupdberth";
    apps.install(
        &berth_testkit::install_request(ours[0].clone(), app),
        &mut |_| {},
    )
    .await
    .unwrap();
    compose(&peer[0], &["up", "-d"]);

    let (mut b_down, mut b_total, mut c_down, mut c_total) = (vec![], vec![], vec![], vec![]);
    for round in 1..=rounds * 2 {
        let next = round % 2;
        let (down, total) = measured(BERTH_PORT, async {
            apps.update(
                app,
                &UpdateTarget::Compose(ours[next].clone()),
                false,
                &mut |_| {},
            )
            .await
            .unwrap();
        })
        .await;
        b_down.push(down);
        b_total.push(total);
        let (down, total) = measured(COMPOSE_PORT, async {
            compose(&peer[next], &["pull", "-q"]);
            compose(&peer[next], &["up", "-d"]);
        })
        .await;
        c_down.push(down);
        c_total.push(total);
    }

    compose(&peer[0], &["down"]);
    apps.uninstall(
        app,
        UninstallOptions {
            purge_data: true,
            remove_images: false,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    drop(home);

    let n = b_down.len();
    let (bd, bd_max) = median(&mut b_down);
    let (cd, cd_max) = median(&mut c_down);
    let (bt, _) = median(&mut b_total);
    let (ct, _) = median(&mut c_total);
    println!("stateless web service, {n} alternating updates 1.0 <-> 1.1, images present; median (max) ms");
    println!(
        "downtime  berth update {bd:>6.0} ({bd_max:.0})   docker compose pull && up -d {cd:>6.0} ({cd_max:.0})   ratio {:.2}x",
        bd / cd
    );
    println!(
        "whole update  berth {bt:>6.0}   docker compose {ct:>6.0}   ratio {:.2}x  (berth also snapshots and waits for health)",
        bt / ct
    );
    println!(
        "goal downtime <= 1500 ms: {}",
        if bd <= 1500.0 && bd_max <= 1500.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
