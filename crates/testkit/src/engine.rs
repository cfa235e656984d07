//! The engine's side of a test: connecting and the plainest install.

use std::path::PathBuf;

use berth_engine::apps::InstallRequest;
use berth_engine::lifecycle::Engine;

/// The local Docker engine, or a failure saying how to get it.
pub async fn connect_engine() -> Engine {
    Engine::connect()
        .await
        .expect("the Docker engine is needed: run .ci/setup-docker")
}

/// Installing `compose_file` as `app` with no settings, no limits, no consent.
pub fn install_request(compose_file: PathBuf, app: &str) -> InstallRequest {
    InstallRequest {
        compose_file,
        app_id: app.to_string(),
        settings: Default::default(),
        limits: Default::default(),
        consent: false,
        source: None,
        shares: Vec::new(),
        name: None,
        gate: false,
        no_host_port: false,
    }
}
