//! `berth serve` for a test's home.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `berth serve`, stopped with SIGTERM (as a service manager
/// stops it) when dropped.
pub struct Daemon(pub Child);

impl Daemon {
    /// Starts `berth serve` (binary `bin`) for `home` with the HTTP API on a
    /// free loopback port and the extra environment `env`; its log goes to
    /// `HOME/daemon.log`. Returns once its socket is there. The reverse
    /// proxy is off unless `env` sets `BERTH_PROXY_LISTEN` or
    /// `BERTH_PROXY_TLS_LISTEN`.
    pub fn start(bin: &Path, home: &Path, env: &[(&str, &str)]) -> Daemon {
        Self::start_listening(bin, home, "127.0.0.1:0", env)
    }

    /// As [`Daemon::start`], with the HTTP API on `listen` ("none": off).
    pub fn start_listening(bin: &Path, home: &Path, listen: &str, env: &[(&str, &str)]) -> Daemon {
        std::fs::create_dir_all(home).unwrap();
        let log = std::fs::File::create(home.join("daemon.log")).unwrap();
        let child = Command::new(bin)
            .arg("--home")
            .arg(home)
            .args(["serve", "--listen", listen])
            // Tests never take ports 80 and 443; a test's own env wins.
            .env("BERTH_PROXY_LISTEN", "none")
            .env("BERTH_PROXY_TLS_LISTEN", "none")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let socket = home.join("berth.sock");
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "berth serve did not open {} (its log: {})",
                socket.display(),
                home.join("daemon.log").display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon(child)
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// `berth ARGS…` (binary `bin`) for `home`, panicking with what it said
/// unless it succeeds.
pub fn berth_ok(bin: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(bin)
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "berth {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
