//! Install (up) and uninstall (down) of the three-service test app: Berth's
//! lifecycle engine against `docker compose up -d` / `down` on the same
//! rendered file, alternating in one run, images already present.
//!
//! Needs the engine and the test registry (.ci/setup-docker, .ci/setup-testbed).
//! Run: `cargo bench -p berth-engine --bench lifecycle` (BENCH_ROUNDS, default 5).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use berth_engine::compose::{load_file, LoadOptions, Project};
use berth_engine::lifecycle::DownOptions;
use berth_engine::rewrite::{app_dir, render, PortAllocator, RenderRequest};

fn render_app(app: &str, home: &Path) -> (PathBuf, Project) {
    let fixture = berth_testkit::engine_app("three-tier");
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
    let rendered = render(&fixture, &request, &mut ports).unwrap();
    ports.save().unwrap();
    let dir = app_dir(home, app);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yml");
    std::fs::write(&file, &rendered.yaml).unwrap();
    let project = load_file(
        &file,
        &LoadOptions {
            project_name: Some(app.into()),
            ..Default::default()
        },
    )
    .unwrap();
    (file, project)
}

fn compose(file: &Path, app: &str, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new("docker")
        .args(["compose", "-p", app, "-f"])
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "docker compose {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn stats(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[0]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    berth_testkit::require_testbed();
    let engine = berth_testkit::connect_engine().await;
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let home = berth_testkit::TempHome::new("bench-life");
    let (_, ours) = render_app("benchberth", &home);
    let (peer_file, peer) = render_app("benchcompose", &home);
    engine.pull_missing(&ours, &mut |_| {}).await.unwrap();
    let _ = peer;

    let (mut b_up, mut b_down, mut c_up, mut c_down) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let start = Instant::now();
        engine.up(&ours, &mut |_| {}).await.unwrap();
        b_up.push(start.elapsed());
        let start = Instant::now();
        engine
            .down("benchberth", DownOptions::default())
            .await
            .unwrap();
        b_down.push(start.elapsed());

        c_up.push(compose(&peer_file, "benchcompose", &["up", "-d"]));
        c_down.push(compose(&peer_file, "benchcompose", &["down"]));
    }
    for volume in ["benchberth_dbdata", "benchcompose_dbdata"] {
        let _ = Command::new("docker")
            .args(["volume", "rm", volume])
            .output();
    }
    drop(home);

    let (bu, bu_min) = stats(&mut b_up);
    let (bd, bd_min) = stats(&mut b_down);
    let (cu, cu_min) = stats(&mut c_up);
    let (cd, cd_min) = stats(&mut c_down);
    println!(
        "three-service app (db healthy before web), {rounds} alternating rounds, median (min) ms"
    );
    println!("install    berth {bu:>7.0} ({bu_min:.0})   docker compose up -d {cu:>7.0} ({cu_min:.0})   ratio {:.2}x", bu / cu);
    println!("uninstall  berth {bd:>7.0} ({bd_min:.0})   docker compose down  {cd:>7.0} ({cd_min:.0})   ratio {:.2}x", bd / cd);
    let met = bu <= cu && bd <= cd;
    println!(
        "goal berth <= 1.0x docker compose for both: {}",
        if met { "met" } else { "NOT met" }
    );
}
