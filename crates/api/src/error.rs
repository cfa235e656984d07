use std::path::PathBuf;

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
    #[error("{0}")]
    Remote(String),
    #[error("\"{value}\" is not a {what}: {rule}")]
    InvalidName {
        what: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error("talking to Berth failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "Berth sent something this client does not understand ({0}); are both the same version?"
    )]
    Protocol(String),
}
