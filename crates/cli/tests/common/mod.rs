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

/// The first-run setup code the daemon wrote into the home.
pub fn setup_code(home: &Path) -> String {
    std::fs::read_to_string(home.join(berth_api::SETUP_CODE_FILE))
        .expect("berth serve wrote the setup code into its home")
        .trim()
        .to_string()
}

/// A logged-in web session: the cookie and the key the page sends back.
pub struct WebSession {
    pub base: String,
    pub cookie: String,
    pub key: String,
}

impl WebSession {
    /// Reads the session from a setup or login answer.
    pub fn from_login(base: &str, response: reqwest::blocking::Response) -> WebSession {
        assert!(
            response.status().is_success(),
            "login: {}",
            response.status()
        );
        let set = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        let body: serde_json::Value = response.json().unwrap();
        WebSession {
            base: base.to_string(),
            cookie: set.split(';').next().unwrap().to_string(),
            key: body["key"].as_str().expect("a session key").to_string(),
        }
    }

    /// Creates the admin with the code from `home`, as the first-run page does.
    pub fn setup(home: &Path, base: &str, user: &str, password: &str) -> WebSession {
        let response = reqwest::blocking::Client::new()
            .post(format!("{base}/api/setup"))
            .json(
                &serde_json::json!({"user": user, "password": password, "code": setup_code(home)}),
            )
            .send()
            .unwrap();
        Self::from_login(base, response)
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> reqwest::blocking::Response {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap()
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-berth-session-key", &self.key)
            .json(&body)
            .send()
            .unwrap()
    }

    /// A one-time URL (path and query) for `path`, as the page asks for downloads and events.
    pub fn ticket(&self, path: &str) -> String {
        let reply = self.post("/api/ticket", serde_json::json!({ "path": path }));
        assert!(reply.status().is_success(), "ticket: {}", reply.status());
        let body: serde_json::Value = reply.json().unwrap();
        body["url"].as_str().expect("a ticket URL").to_string()
    }

    /// GETs `path` by a fresh ticket with the cookie, as the browser does.
    pub fn get_ticketed(&self, path: &str) -> reqwest::blocking::Response {
        let url = self.ticket(path);
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap()
            .get(format!("{}{url}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .unwrap()
    }
}
