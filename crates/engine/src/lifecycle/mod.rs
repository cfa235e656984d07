//! The lifecycle engine: runs a rendered project on the local Docker engine
//! through its API (bollard), never the `docker` CLI. Names and labels are
//! those docker compose v2 uses, so `docker compose -p <app> ps|logs|down`
//! and `docker compose ls` see Berth's apps; labels are the source of truth
//! for what exists.
//!
//! A file per verb: `pull.rs`, `create.rs` (desired container spec),
//! `up.rs` (convergence and start order), `limits.rs` (limits changed
//! live), `ready.rs` (the health gate of an update, and what a snapshot
//! needs from the engine), `stop.rs`, `down.rs`, `status.rs`, `inspect.rs`
//! (restarts, exit codes, health), `logs.rs` (tail, follow, search,
//! download), `oneoff.rs` (a service run once, to its end), `storage.rs`
//! (what the storage driver can cap), `download.rs` (what this host already
//! has of an image, and what pulling it would download), `address.rs`
//! (where a service answers on its app's network, for the proxy).

mod address;
mod create;
mod down;
mod download;
mod exec;
mod images;
mod inspect;
mod limits;
mod logs;
mod oneoff;
mod pull;
mod ready;
mod status;
mod stop;
mod storage;
mod up;

use bollard::Docker;

use crate::{Error, Result};

pub use address::ServiceAddress;
pub use down::DownOptions;
pub use images::LocalImage;
pub use inspect::ServiceDetail;
pub use limits::LimitsApplied;
pub use logs::{LogEntry, LogLine};
pub use pull::PullProgress;
pub use ready::{project_images, ImageRef, ProjectVolume};
pub use status::{ServiceState, ServiceStatus};
pub use up::UpEvent;

/// Label keys docker compose v2 reads.
pub(crate) mod labels {
    pub const PROJECT: &str = "com.docker.compose.project";
    pub const SERVICE: &str = "com.docker.compose.service";
    pub const NUMBER: &str = "com.docker.compose.container-number";
    pub const ONEOFF: &str = "com.docker.compose.oneoff";
    pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
    pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
    pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
    pub const VERSION: &str = "com.docker.compose.version";
    pub const NETWORK: &str = "com.docker.compose.network";
    pub const VOLUME: &str = "com.docker.compose.volume";
    pub const BERTH_APP: &str = "berth.app";
    /// The compose version Berth's labels follow.
    pub const COMPOSE_VERSION: &str = "2.26.1";
}

/// Handle on the Docker engine.
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
}

impl Engine {
    /// Connects with Docker's defaults (`DOCKER_HOST`, else the local socket)
    /// and negotiates the API version, so old engines (API 1.41) work.
    pub async fn connect() -> Result<Self> {
        let unavailable = |e: bollard::errors::Error| Error::DockerUnavailable {
            message: e.to_string(),
        };
        let docker = Docker::connect_with_defaults().map_err(unavailable)?;
        let docker = docker.negotiate_version().await.map_err(unavailable)?;
        docker.ping().await.map_err(unavailable)?;
        Ok(Engine { docker })
    }

    /// The negotiated Engine API version.
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }
}

/// Wraps an engine error with what Berth was doing.
pub(crate) fn docker_err(
    action: impl Into<String>,
) -> impl FnOnce(bollard::errors::Error) -> Error {
    let action = action.into();
    move |e| match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => {
            Error::Docker { action, message }
        }
        bollard::errors::Error::HyperResponseError { .. }
        | bollard::errors::Error::HyperLegacyError { .. }
        | bollard::errors::Error::IOError { .. }
        | bollard::errors::Error::SocketNotFoundError(_)
        | bollard::errors::Error::RequestTimeoutError => Error::DockerUnavailable {
            message: format!("while trying to {action}: {e}"),
        },
        other => Error::Docker {
            action,
            message: other.to_string(),
        },
    }
}

/// The container name docker compose gives a service's first replica.
pub fn container_name(project: &str, service: &str) -> String {
    format!("{project}-{service}-1")
}
