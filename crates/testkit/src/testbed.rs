//! The test-bed check: each part missing fails the test with what to run.

use std::process::Command;
use std::sync::OnceLock;

use crate::REGISTRY;

/// Fails unless the Docker engine, the local registry and `docker compose`
/// v2 are all there (checked once per test binary).
pub fn require_testbed() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        require_engine();
        require_compose();
    });
    // The registry is cheap to ask, and some tests stop and start it.
    require_registry();
}

/// Fails unless the local test registry answers on 127.0.0.1:5000.
pub fn require_registry() {
    assert!(
        std::net::TcpStream::connect(REGISTRY).is_ok(),
        "the local test registry is not running on {REGISTRY}: run .ci/setup-testbed (scripts/test does)"
    );
}

/// Fails unless the docker CLI is installed and its engine answers.
pub fn require_engine() {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .expect("the docker CLI is missing: install docker.io and docker compose v2 (run .ci/setup-docker)");
    assert!(
        out.status.success(),
        "the Docker engine does not answer ({}): start it, or install it with .ci/setup-docker",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

/// Fails unless `docker compose` v2 is installed.
pub fn require_compose() {
    let ok = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`docker compose` v2 is not available: install it as .ci/setup-docker does (DESIGN § Test-bed)"
    );
}
