//! Helpers the daemon tests share: run `berth`, start and stop the daemon,
//! clean an app off the engine.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn berth(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The daemon, stopped with SIGTERM when dropped.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

pub fn start_daemon(home: &Path) -> Daemon {
    start_daemon_with(home, &[])
}

pub fn start_daemon_with(home: &Path, env: &[(&str, &str)]) -> Daemon {
    std::fs::create_dir_all(home).unwrap();
    let log = std::fs::File::create(home.join("daemon.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
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

/// Whatever a test leaves of `app` on the engine goes when it ends, even
/// when it fails, so one failure does not cascade into later tests.
pub struct Cleanup(pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        for (kind, remove) in [("ps", "rm"), ("network", "network"), ("volume", "volume")] {
            let list = match kind {
                "ps" => vec!["ps", "-aq", "--filter", &label],
                other => vec![other, "ls", "-q", "--filter", &label],
            };
            let Ok(out) = Command::new("docker").args(&list).output() else {
                return;
            };
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            if !ids.is_empty() {
                let rm: &[&str] = if remove == "rm" {
                    &["rm", "-f"]
                } else {
                    &[remove, "rm"]
                };
                let _ = Command::new("docker").args(rm).args(&ids).output();
            }
        }
    }
}

/// The daemon's web address, as it wrote it into the home.
pub fn http_base(home: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(home.join("http.addr")) {
            return format!("http://{}", addr.trim());
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not say where it listens"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
