//! Helpers the daemon tests share: run `berth` and start `berth serve` (only
//! these tests know the binary's path), and talk to its web API; the rest
//! comes from berth-testkit.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

// Not every test file uses every helper.
#[allow(unused_imports)]
pub use berth_testkit::{
    docker_ok, engine_app, require_testbed, test_store, AppCleanup, Daemon, TempHome,
};

pub fn berth(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap()
}

/// `berth ARGS…` for `home`, failing the test unless it succeeds.
pub fn berth_ok(home: &Path, args: &[&str]) -> Output {
    berth_testkit::berth_ok(Path::new(env!("CARGO_BIN_EXE_berth")), home, args)
}

/// A container's environment as `docker inspect` prints it (a JSON list of `NAME=value`).
pub fn env_of(container: &str) -> String {
    let out = Command::new("docker")
        .args(["inspect", "-f", "{{json .Config.Env}}", container])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker inspect {container}");
    String::from_utf8_lossy(&out.stdout).into_owned()
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

/// `berth serve` for `home`, with the HTTP API on a free loopback port.
pub fn start_daemon(home: &Path) -> Daemon {
    start_daemon_with(home, &[])
}

/// As [`start_daemon`], with extra environment for the daemon.
pub fn start_daemon_with(home: &Path, env: &[(&str, &str)]) -> Daemon {
    Daemon::start(Path::new(env!("CARGO_BIN_EXE_berth")), home, env)
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

/// Runs `cmd`, which must succeed; its standard output, trimmed.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd).args(args).output().unwrap();
    assert!(out.status.success(), "{cmd} {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The sha256 of a file.
pub fn sha256(path: &Path) -> String {
    let out = run("sha256sum", &[path.to_str().unwrap()]);
    out.split_whitespace().next().unwrap().to_string()
}

/// The sha256 of a file inside a container.
pub fn sha256_in(container: &str, path: &str) -> String {
    let out = run("docker", &["exec", container, "sha256sum", path]);
    out.split_whitespace().next().unwrap().to_string()
}

/// `sh -c SCRIPT` run in a container; its output.
pub fn sh_in(container: &str, script: &str) -> String {
    run("docker", &["exec", container, "sh", "-c", script])
}

/// Whether a container runs.
pub fn running(container: &str) -> bool {
    let out = std::process::Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", container])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "true"
}

/// Debian's restic run on a repository Berth wrote (`restic -r REPO
/// --password-file FILE --no-cache ARGS…`); its output, or a failing test
/// saying what went wrong, or how to get restic.
pub fn restic_run(repo: &Path, password_file: &Path, args: &[&str]) -> String {
    let out = Command::new("restic")
        .arg("-r")
        .arg(repo)
        .arg("--password-file")
        .arg(password_file)
        .arg("--no-cache")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("this test reads Berth's backups with restic ({e}): apt install restic (scripts/setup installs it)")
        });
    assert!(out.status.success(), "restic {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fails the test at once, saying how to get it, when restic is missing.
pub fn require_restic() {
    let found = Command::new("restic").arg("version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "this test reads Berth's backups with restic: apt install restic (scripts/setup installs it)"
    );
}
