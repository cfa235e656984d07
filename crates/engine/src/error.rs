use std::path::PathBuf;

/// Every way the engine can refuse work, each printed as one sentence that
/// names the file (and the YAML path or line) and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The I/O cause is part of the sentence, not a chained source, so a
    // shell printing the error chain does not repeat it.
    #[error("cannot read {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{dir} holds no compose file; put the app's compose.yaml in it (or compose.yml, docker-compose.yml, docker-compose.yaml)")]
    NoComposeFile { dir: PathBuf },
    #[error("{path} is {size} bytes; compose files larger than {limit} bytes are refused")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("{path}: {at}: {message}")]
    Invalid {
        path: PathBuf,
        at: String,
        message: String,
    },
    #[error("{path}: required variable {name} is missing a value: {message}")]
    RequiredVariable {
        path: PathBuf,
        name: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
    #[error("\"{id}\" is not a valid app id: use lowercase letters, digits, `-` and `_`, starting with a letter or digit (at most 63 characters)")]
    InvalidAppId { id: String },
    #[error("{app} needs your consent for what it asks of this server: {}", findings.join(" "))]
    ConsentRequired { app: String, findings: Vec<String> },
    #[error("{app}: {service} mounts {folder}, which leads to {leads}, outside the app's data folder; Berth refuses folders reached through a symbolic link or `..` (remove the link, or mount the folder it points to with your consent)")]
    BindEscapes {
        app: String,
        service: String,
        folder: String,
        leads: String,
    },
    #[error("{app}'s compose file {path} was changed outside Berth (it no longer matches what Berth rendered and checked); Berth will not run it. Put it back with `berth update {app}` (store apps), `berth update {app} --compose FILE`, or `berth rollback {app}`")]
    Tampered { app: String, path: PathBuf },
    #[error("{what}: {message}")]
    InvalidLimit { what: &'static str, message: String },
    #[error("no free host port is left for {app} ({service}, container port {target}); free one up or uninstall an app")]
    PortsExhausted {
        app: String,
        service: String,
        target: u32,
    },
    #[error("cannot write {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the Docker engine is not reachable ({message}); start it (`systemctl start docker`, or `dockerd &`) and try again")]
    DockerUnavailable { message: String },
    #[error("cannot {action}: {message}")]
    Docker { action: String, message: String },
    /// An operation failed and could not be undone yet (the engine is away);
    /// it stays in the journal and is settled once the engine is back.
    #[error("{cause}. Berth will {then} once the engine is back (see `berth ops`)")]
    Unsettled {
        cause: Box<Error>,
        then: &'static str,
    },
    #[error("{app}: service {service} {message}")]
    ServiceFailed {
        app: String,
        service: String,
        message: String,
    },
    #[error("{app} is already installed ({state}); uninstall it first, or update it")]
    AlreadyInstalled { app: String, state: String },
    #[error("{}", problems.join("; "))]
    InvalidSettings {
        app: String,
        problems: Vec<String>,
        /// Required settings with no value, for a client to ask for.
        missing: Vec<String>,
    },
    #[error("{message}")]
    Catalog { message: String },
    #[error("{app} is not installed")]
    NotInstalled { app: String },
    /// Its install or uninstall has not finished: not "already installed".
    #[error("{app} is {state} (its install or uninstall has not finished); wait for it to end (see `berth ops`)")]
    InTransition { app: String, state: String },
    #[error("there is already a share named {name}")]
    ShareExists { name: String },
    #[error("there is no share named {name}")]
    NoShare { name: String },
    #[error("{path} cannot be the share {name}: {why}")]
    ShareRefused {
        name: String,
        path: PathBuf,
        why: String,
    },
    #[error(
        "the share {name} is not here: {path} is on a drive that is not plugged in or not mounted"
    )]
    ShareAbsent { name: String, path: PathBuf },
    #[error("the share {name} is given to {}; give them another share (or none) first", apps.join(", "))]
    ShareInUse { name: String, apps: Vec<String> },
    #[error("{app} asks for no share named {request} (it asks for: {})", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownShareRequest {
        app: String,
        request: String,
        known: Vec<String>,
    },
    /// The storage guard holds the app: a share's (or its data disk's)
    /// drive is absent.
    #[error("{app} is waiting for {waiting}; it starts by itself when that is back")]
    StorageAbsent { app: String, waiting: String },
    #[error("cannot change the owner of the share {name}'s files: {message}")]
    Ownership { name: String, message: String },
    #[error("SMB sharing: {message}")]
    Smb { message: String },
    #[error("an operation on {app} is already running; wait for it to finish")]
    Busy { app: String },
    #[error(transparent)]
    InvalidName(#[from] crate::model::InvalidName),
    /// A bug: an operation's task panicked. Its journal entry stays
    /// unfinished and is settled like one a crash left.
    #[error("Berth failed unexpectedly ({message}); what was under way is settled by itself (see `berth ops`)")]
    Internal { message: String },
    #[error("{why}")]
    BadAppName { name: String, why: String },
    #[error(
        "the name \"{name}\" is taken by the app {app}; choose another, or rename {app} first"
    )]
    NameTaken { name: String, app: String },
    /// A request that cannot be carried out as asked (missing or conflicting arguments).
    #[error("{message}")]
    BadRequest { message: String },
    /// The proxy's local certificate authority cannot be read or made.
    #[error("the HTTPS certificate authority {path}: {message}")]
    Certificate { path: PathBuf, message: String },
    #[error("the database {path} failed: {message}")]
    Database { path: PathBuf, message: String },
    #[error("{path} is damaged ({message}); move it aside and Berth will start a new one")]
    CorruptState { path: PathBuf, message: String },
    #[error("not enough space for a snapshot of {app}: it needs {needed}, {path} has {free} free; free some space (`berth images prune`) or delete old snapshots")]
    NoSpace {
        app: String,
        needed: String,
        free: String,
        path: PathBuf,
    },
    #[error("the snapshot of {app} failed: {message}")]
    Snapshot { app: String, message: String },
    /// A backup target, its repository, a backup or a restore failed.
    #[error("backup: {message}")]
    Backup { message: String },
    #[error("the update of {app} failed and was rolled back; {app} runs as before: {why}")]
    RolledBack { app: String, why: String },
    #[error("the migration {service} of {app} failed: {why}")]
    MigrationFailed {
        app: String,
        service: String,
        why: String,
    },
    #[error("{app} is not ready: {why}")]
    NotReady { app: String, why: String },
    #[error("cannot change the disk cap of {app}: {message}")]
    DiskCap { app: String, message: String },
    #[error("could not ask the registry about {image}: {message}")]
    Registry { image: String, message: String },
}

impl Error {
    /// Why an app id that already has a record cannot be installed: it is
    /// installed, or its install or uninstall has not finished.
    pub(crate) fn taken(app: impl Into<String>, state: String) -> Self {
        let app = app.into();
        if state == "installed" {
            Error::AlreadyInstalled { app, state }
        } else {
            Error::InTransition { app, state }
        }
    }

    pub(crate) fn invalid(
        path: &std::path::Path,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            path: path.to_path_buf(),
            at: at.into(),
            message: message.into(),
        }
    }
}
