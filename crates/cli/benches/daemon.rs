//! The daemon at rest and at scale: `berth serve`'s idle memory, and
//! `berth apps` with 50 installed apps, beside peers measured in the same
//! run (dockerd's memory; `docker compose ls` and `docker ps`).
//!
//! Needs the engine and the test registry (.ci/setup-docker, .ci/setup-testbed).
//! Run: `cargo bench -p berth-cli --bench daemon` (BENCH_APPS, default 50).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use berth_testkit::berth_ok;

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn berth(home: &Path, args: &[&str]) -> std::process::Output {
    berth_ok(Path::new(env!("CARGO_BIN_EXE_berth")), home, args)
}

/// Uninstalls every bench app, also when the bench panics half way, so no
/// containers or networks are left on the engine.
struct Cleanup {
    home: std::path::PathBuf,
    ids: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for id in &self.ids {
            let _ = Command::new(env!("CARGO_BIN_EXE_berth"))
                .arg("--home")
                .arg(&self.home)
                .args(["uninstall", id, "--purge-data", "--yes"])
                .output();
        }
    }
}

fn median_ms(mut run: impl FnMut(), times: usize) -> f64 {
    run();
    let mut samples: Vec<Duration> = (0..times)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    berth_testkit::require_testbed();
    let count: usize = std::env::var("BENCH_APPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let home = berth_testkit::TempHome::new("bench-daemon");
    let fixture = berth_testkit::engine_app("one-service");
    let daemon = berth_testkit::Daemon::start_listening(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        "none",
        &[],
    );
    std::thread::sleep(Duration::from_secs(1));
    let idle = rss_mib(daemon.id());

    let ids: Vec<String> = (0..count).map(|i| format!("bench{i}")).collect();
    let cleanup = Cleanup {
        home: home.to_path_buf(),
        ids: ids.clone(),
    };
    for id in &ids {
        berth(&home, &["install", fixture.to_str().unwrap(), "--id", id]);
    }
    std::thread::sleep(Duration::from_secs(1));
    let loaded = rss_mib(daemon.id());
    let apps_ms = median_ms(|| drop(berth(&home, &["apps", "--json"])), 10);
    let listed: serde_json::Value =
        serde_json::from_slice(&berth(&home, &["apps", "--json"]).stdout).unwrap();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(count),
        "berth apps does not list every app"
    );
    let compose_ls_ms = median_ms(
        || {
            drop(
                Command::new("docker")
                    .args(["compose", "ls", "--all"])
                    .output()
                    .unwrap(),
            )
        },
        10,
    );
    let docker_ps_ms = median_ms(
        || drop(Command::new("docker").args(["ps", "-a"]).output().unwrap()),
        10,
    );
    let dockerd = Command::new("pidof")
        .arg("dockerd")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok())
        });
    let dockerd_rss = dockerd.map(rss_mib).unwrap_or(0.0);

    drop(cleanup);
    drop(daemon);
    drop(home);

    println!("berth serve idle RSS            {idle:>7.1} MiB   ({loaded:.1} MiB with {count} apps)   dockerd {dockerd_rss:.1} MiB");
    println!("berth apps, {count} apps            {apps_ms:>7.1} ms    docker compose ls {compose_ls_ms:.1} ms ({:.2}x)   docker ps -a {docker_ps_ms:.1} ms ({:.2}x)", apps_ms / compose_ls_ms, apps_ms / docker_ps_ms);
    println!(
        "goal idle RSS <= 30 MB: {}",
        if idle <= 30.0 { "met" } else { "NOT met" }
    );
    println!(
        "goal berth apps <= 50 ms: {}",
        if apps_ms <= 50.0 { "met" } else { "NOT met" }
    );
}
