use std::path::PathBuf;

use berth_engine::service::{ErrorCode, Failure};

/// Why a command could not be carried out, as one sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "Berth is not running for {home}: start it with `berth serve` (or `systemctl start berth`)"
    )]
    NotRunning { home: PathBuf },
    #[error("only the user running Berth (root) may use {socket}: run this command with sudo")]
    PermissionDenied { socket: PathBuf },
    #[error("another `berth serve` already owns {home}; stop it first, or use another --home")]
    AlreadyServing { home: PathBuf },
    #[error("{0}")]
    Engine(#[from] berth_engine::Error),
    /// The daemon refused or failed the command.
    #[error("{0}")]
    Remote(Failure),
    /// Something on this side is not set up to run (no home, a port taken).
    #[error("{0}")]
    Setup(String),
    #[error("talking to Berth failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "Berth sent something this client does not understand ({0}); are both the same version?"
    )]
    Protocol(String),
}

impl ApiError {
    /// The failure as the transports carry it: `{code, message, details}`.
    pub fn failure(&self) -> Failure {
        match self {
            ApiError::Engine(e) => Failure::from(e),
            ApiError::Remote(f) => f.clone(),
            ApiError::NotRunning { .. } => Failure::new(ErrorCode::Unavailable, self.to_string()),
            ApiError::AlreadyServing { .. } => Failure::new(ErrorCode::Conflict, self.to_string()),
            ApiError::PermissionDenied { .. } => Failure::new(ErrorCode::Refused, self.to_string()),
            ApiError::Protocol(_) | ApiError::Setup(_) => {
                Failure::new(ErrorCode::Invalid, self.to_string())
            }
            ApiError::Io(_) => Failure::new(ErrorCode::Failed, self.to_string()),
        }
    }
}
