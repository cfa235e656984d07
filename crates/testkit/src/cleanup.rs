//! The app cleanup guard: the engine's labels say what an app left.

use std::process::Command;

/// Removes the containers, networks and volumes of compose project `app`
/// when dropped, even when the test fails.
pub struct AppCleanup(String);

impl AppCleanup {
    pub fn new(app: &str) -> AppCleanup {
        AppCleanup(app.to_string())
    }
}

impl Drop for AppCleanup {
    fn drop(&mut self) {
        remove_app(&self.0);
    }
}

/// Removes every container, network and volume labelled with project `app`.
fn remove_app(app: &str) {
    let filter = format!("label=com.docker.compose.project={app}");
    // Containers first: a network or volume in use cannot go.
    for (list, rm) in [
        (["ps", "-aq"].as_slice(), ["rm", "-f"].as_slice()),
        (&["network", "ls", "-q"], &["network", "rm"]),
        (&["volume", "ls", "-q"], &["volume", "rm", "-f"]),
    ] {
        let Ok(out) = Command::new("docker")
            .args(list)
            .args(["--filter", &filter])
            .output()
        else {
            return;
        };
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let _ = Command::new("docker").args(rm).args(&ids).output();
        }
    }
}

/// How many containers (`kind` "container") or networks (any other kind)
/// carry project `app`'s label.
pub fn labelled(kind: &str, app: &str) -> usize {
    let filter = format!("label=com.docker.compose.project={app}");
    let list: &[&str] = if kind == "container" {
        &["ps", "-aq"]
    } else {
        &["network", "ls", "-q"]
    };
    let out = Command::new("docker")
        .args(list)
        .args(["--filter", &filter])
        .output()
        .expect("the docker CLI is missing: install docker.io (run .ci/setup-docker)");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// Whether `docker ARGS…` succeeds (e.g. `volume inspect NAME`: it exists).
pub fn docker_ok(args: &[&str]) -> bool {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI is missing: install docker.io (run .ci/setup-docker)")
        .status
        .success()
}
