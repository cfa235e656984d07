//! What commands answer, and the progress events operations report: serde +
//! specta types, camelCase on the wire, the same for every transport (the
//! unix socket, HTTP, the desktop's IPC). States are enums, not strings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::model::Step;

/// Versions of Berth and of the Docker Engine API in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub berth: String,
    pub docker_api: String,
}

/// Where an installed app is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum AppState {
    /// Its install is running (or was interrupted and is being rolled back).
    Installing,
    Installed,
    /// Its uninstall is running.
    Removing,
}

impl AppState {
    /// The state as the store records it (`installing`, `installed`, `removing`).
    pub fn parse(recorded: &str) -> Self {
        match recorded {
            "installing" => AppState::Installing,
            "removing" => AppState::Removing,
            _ => AppState::Installed,
        }
    }

    /// The word the CLI prints.
    pub fn as_str(self) -> &'static str {
        match self {
            AppState::Installing => "installing",
            AppState::Installed => "installed",
            AppState::Removing => "removing",
        }
    }
}

/// Where an installed app came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AppSource {
    /// An app of a store, at a version.
    Store {
        store: String,
        app: String,
        version: String,
    },
    /// A compose file (or folder) on the server.
    File { path: String },
}

impl AppSource {
    /// The source as the store records it: `store/app@version`, or a path.
    pub fn parse(recorded: &str) -> Self {
        match crate::apps::store_source(recorded) {
            Some((store, app, version)) => AppSource::Store {
                store: store.to_string(),
                app: app.to_string(),
                version: version.to_string(),
            },
            None => AppSource::File {
                path: recorded.to_string(),
            },
        }
    }
}

/// An installed app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub id: String,
    /// Its name on the proxy (`<name>.<domain>`, `<name>-<server>.local`).
    pub name: String,
    /// Only people logged in to Berth may open it through the proxy.
    pub gate: bool,
    pub state: AppState,
    /// Where it came from, as recorded (`store/app@version` or a path).
    pub source: String,
    /// The same, taken apart.
    pub origin: AppSource,
    pub services: Vec<ServiceInfo>,
    /// The host port "Open" goes to (the main service's), if it publishes one.
    pub open_port: Option<u16>,
    /// Its main web port is published on the host (`http://server:PORT`);
    /// off, it is reached by its name through the proxy only.
    pub host_port: bool,
    /// The path on that port.
    pub open_path: Option<String>,
    /// Where "Open" goes by the app's name (the proxy's, with its path),
    /// when the proxy is on and the app has a page; else open the host port.
    pub open_url: Option<String>,
    /// The limits every service runs under (none: unlimited).
    pub limits: LimitsInfo,
    /// What the storage guard holds it for ("Movies (drive not present)"):
    /// it starts by itself when that is back.
    pub held: Option<String>,
    /// The shares mounted in it (given by `status`; the list leaves it empty).
    pub shares: Vec<crate::shares::AppShare>,
    /// The shares its installed version asks for (by `status`, as `shares`).
    pub share_requests: Vec<crate::catalog::ShareRequest>,
}

/// An app's CPU, memory and process limits.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LimitsInfo {
    pub cpus: Option<f64>,
    #[specta(type = Option<f64>)]
    pub memory: Option<i64>,
    /// Memory plus swap; none: twice the memory, as Docker sets it.
    #[specta(type = Option<f64>)]
    pub memory_swap: Option<i64>,
    #[specta(type = Option<f64>)]
    pub pids: Option<i64>,
}

impl From<crate::compose::ServiceLimits> for LimitsInfo {
    fn from(l: crate::compose::ServiceLimits) -> Self {
        LimitsInfo {
            cpus: l.cpus,
            memory: l.memory,
            memory_swap: l.memory_swap,
            pids: l.pids,
        }
    }
}

/// What a limits change did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LimitsChanged {
    #[specta(type = f64)]
    pub operation: i64,
    pub limits: LimitsInfo,
    /// Per service: what happened to its container.
    pub services: BTreeMap<String, LimitsApplied>,
}

pub use crate::lifecycle::LimitsApplied;

/// An app's data folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppDisk {
    /// Bytes used.
    #[specta(type = f64)]
    pub used: u64,
    /// The cap, if there is one.
    #[specta(type = Option<f64>)]
    pub cap: Option<u64>,
    /// More than 90% of the cap is used.
    pub near_full: bool,
    /// What is not capped (containers' writable layers on most storage drivers).
    pub uncapped: Option<String>,
    /// The app was stopped and started again for the last change.
    pub restarted: bool,
}

/// One service of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServiceInfo {
    pub service: String,
    pub container: String,
    pub image: String,
    /// `running`, `healthy`, `unhealthy`, `starting`, `restarting`, `created`, `exited`…
    pub state: String,
    #[specta(type = Option<f64>)]
    pub exit_code: Option<i64>,
    /// The engine killed it for using more memory than its limit.
    pub oom_killed: bool,
    /// Why it is not running as it should, in words ("killed: out of memory (limit 64 MiB)").
    pub message: Option<String>,
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum OperationKind {
    Install,
    Uninstall,
    Start,
    Stop,
    Restart,
    Update,
    Rollback,
    Limits,
    Disk,
    /// The shares given to the app changed.
    Shares,
    /// A share's files given to the apps' user and group (its `app` is `share:NAME`).
    Ownership,
    /// The app backed up to a target.
    Backup,
    /// An app that was not installed here installed from a backup.
    Restore,
    /// Files or folders of a backup put back while the app ran.
    #[serde(rename = "restore-files")]
    RestoreFiles,
    /// Its main web port published on the host, or taken off it.
    #[serde(rename = "host_port")]
    HostPort,
}

impl OperationKind {
    /// The word the journal records and the CLI prints.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Install => "install",
            OperationKind::Uninstall => "uninstall",
            OperationKind::Start => "start",
            OperationKind::Stop => "stop",
            OperationKind::Restart => "restart",
            OperationKind::Update => "update",
            OperationKind::Rollback => "rollback",
            OperationKind::Limits => "limits",
            OperationKind::Disk => "disk",
            OperationKind::Shares => "shares",
            OperationKind::Ownership => "ownership",
            OperationKind::Backup => "backup",
            OperationKind::Restore => "restore",
            OperationKind::RestoreFiles => "restore-files",
            OperationKind::HostPort => "host_port",
        }
    }

    /// The kind as the journal records it.
    pub fn parse(recorded: &str) -> Option<Self> {
        Some(match recorded {
            "install" => OperationKind::Install,
            "uninstall" => OperationKind::Uninstall,
            "start" => OperationKind::Start,
            "stop" => OperationKind::Stop,
            "restart" => OperationKind::Restart,
            "update" => OperationKind::Update,
            "rollback" => OperationKind::Rollback,
            "limits" => OperationKind::Limits,
            "disk" => OperationKind::Disk,
            "shares" => OperationKind::Shares,
            "ownership" => OperationKind::Ownership,
            "backup" => OperationKind::Backup,
            "restore" => OperationKind::Restore,
            "restore-files" => OperationKind::RestoreFiles,
            "host_port" => OperationKind::HostPort,
            _ => return None,
        })
    }
}

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// An update found nothing to change: the app was already as asked.
    Unchanged,
    Failed,
    /// A failed update or install put back what was there before.
    RolledBack,
    /// Interrupted (a crash, the engine away) and finished when Berth was back.
    CompletedAfterRestart,
    /// Interrupted; nothing needed undoing.
    Interrupted,
}

impl Outcome {
    /// The outcome as the journal records it.
    pub fn parse(recorded: &str) -> Option<Self> {
        Some(match recorded {
            "done" => Outcome::Done,
            "unchanged" => Outcome::Unchanged,
            "failed" => Outcome::Failed,
            "rolled_back" => Outcome::RolledBack,
            "completed_after_restart" => Outcome::CompletedAfterRestart,
            "interrupted" => Outcome::Interrupted,
            _ => return None,
        })
    }

    /// The word the CLI prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Unchanged => "unchanged",
            Outcome::Failed => "failed",
            Outcome::RolledBack => "rolled_back",
            Outcome::CompletedAfterRestart => "completed_after_restart",
            Outcome::Interrupted => "interrupted",
        }
    }
}

/// An operation and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OperationInfo {
    #[specta(type = f64)]
    pub id: i64,
    pub app: String,
    pub kind: OperationKind,
    #[specta(type = f64)]
    pub started_at: i64,
    #[specta(type = Option<f64>)]
    pub finished_at: Option<i64>,
    /// None while it runs.
    pub outcome: Option<Outcome>,
    pub error: Option<String>,
    /// The steps it went through, in order.
    pub steps: Vec<Step>,
}

impl From<crate::db::OperationRecord> for OperationInfo {
    fn from(op: crate::db::OperationRecord) -> Self {
        OperationInfo {
            id: op.id,
            app: op.app,
            // Journals only hold the kinds above; an unknown one (a newer
            // Berth's journal) reads as the closest harmless kind.
            kind: OperationKind::parse(&op.kind).unwrap_or(OperationKind::Start),
            started_at: op.started_at,
            finished_at: op.finished_at,
            outcome: op.outcome.as_deref().and_then(Outcome::parse),
            error: op.error,
            // A word a newer Berth journaled is left out.
            steps: op.steps.iter().filter_map(|s| Step::parse(s)).collect(),
        }
    }
}

/// What a long operation answers at once over HTTP and in the desktop app;
/// its progress comes as events.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct Started {
    #[specta(type = f64)]
    pub operation: i64,
}

/// Progress of a long command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[specta(type = Option<f64>)]
    pub operation: Option<i64>,
    /// The app the operation is about.
    #[serde(default)]
    pub app: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EventKind {
    /// The operation is recorded and running; its id is in the event.
    Accepted,
    Step {
        step: Step,
    },
    Pull {
        image: String,
        layer: Option<String>,
        #[specta(type = Option<f64>)]
        current: Option<i64>,
        #[specta(type = Option<f64>)]
        total: Option<i64>,
    },
    Service {
        service: String,
        state: String,
    },
    Log {
        service: String,
        stream: String,
        text: String,
    },
    /// Files gone through so far (a change of owners).
    Files {
        #[specta(type = f64)]
        seen: u64,
        #[specta(type = f64)]
        changed: u64,
    },
    /// The operation ended: `outcome` as in the operation list, `error` the sentence if it failed.
    Finished {
        outcome: Option<Outcome>,
        error: Option<String>,
    },
}

/// An app of a store, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CatalogAppInfo {
    pub store: String,
    pub meta: crate::catalog::AppMeta,
    /// The app's files (compose.yml, app.yml, icon, screenshots).
    pub files: Vec<String>,
}

/// A picture of a store app, its bytes in base64 (the socket carries JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Picture {
    pub content_type: String,
    pub base64: String,
}

impl Picture {
    /// Its bytes.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .ok()
    }
}

/// A share: a named folder of the server for apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ShareInfo {
    pub name: String,
    pub path: String,
    /// Its folder is there now (a drive that is not plugged in: false).
    pub present: bool,
    /// One of the folders Berth made under its home's `shares/`.
    pub made_by_berth: bool,
    /// What the apps (PUID:PGID) may do with its files, from a sample;
    /// none when its folder is not there.
    pub access: Option<crate::shares::ShareAccess>,
    /// How it is offered on the home network over SMB.
    pub smb: crate::shares::SmbAccess,
}

/// A share's files given to the apps' user and group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipFixed {
    /// The share as it is now.
    pub share: ShareInfo,
    /// Entries looked at.
    #[specta(type = f64)]
    pub seen: u64,
    /// Entries whose owner or group changed.
    #[specta(type = f64)]
    pub changed: u64,
    /// Folders left alone because another filesystem is mounted there.
    #[specta(type = f64)]
    pub other_filesystems: u64,
}

/// The last update check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UpdatesInfo {
    /// When it ran (ms); none before the first check.
    #[specta(type = Option<f64>)]
    pub checked_at: Option<i64>,
    /// One entry per installed app.
    pub apps: Vec<crate::apps::AppUpdate>,
}

/// A kept snapshot of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    pub id: String,
    #[specta(type = f64)]
    pub created_at: i64,
    /// Why it was taken (`before updating to …`).
    pub reason: String,
    /// The version it holds (`store/app@version` or a compose file).
    pub source: String,
    /// Bytes of data it holds.
    #[specta(type = f64)]
    pub bytes: u64,
    pub images: Vec<String>,
}

/// A compose file's text read as installing it would read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ComposeReport {
    /// The app id it was read as: the one asked for, else the one it suggests.
    pub app_id: String,
    /// An app of that id is installed: installing is refused, updating it applies.
    pub installed: bool,
    /// Its services, in file order.
    pub services: Vec<ComposeService>,
    /// The host ports it publishes, as Berth would give them now.
    pub ports: Vec<ComposePort>,
    /// What it asks of the host, most severe first.
    pub findings: Vec<ComposeFinding>,
    /// Installing (or updating to) it needs the user's consent: some
    /// finding needs it and was not consented to before.
    pub needs_consent: bool,
    /// What docker compose would warn about (unset variables, obsolete `version`, moved ports).
    pub warnings: Vec<String>,
}

/// One service of a compose file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ComposeService {
    pub name: String,
    /// None for a service that is only built (Berth cannot run it).
    pub image: Option<String>,
}

/// A host port a compose file publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ComposePort {
    pub service: String,
    /// The port inside the container.
    pub target: u32,
    pub protocol: String,
    /// The host port the file asks for, if any.
    pub requested: Option<u16>,
    /// The host port Berth would give it.
    pub published: u16,
    /// Why it is not the one asked for.
    pub note: Option<String>,
}

/// One thing a compose file asks of the host (see [`crate::policy`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ComposeFinding {
    /// The service that asks (empty for the project's own volumes and networks).
    pub service: String,
    /// Where in the file, e.g. `services.web.privileged`.
    pub at: String,
    pub kind: crate::policy::FindingKind,
    pub severity: crate::policy::Severity,
    /// One sentence for the user.
    pub message: String,
    /// The app may have it only with the user's consent.
    pub needs_consent: bool,
    /// The installed app of this id was already allowed it.
    pub consented: bool,
}

/// The compose file an app was installed or last updated from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ComposeText {
    pub app: String,
    /// Where it is on the server.
    pub path: String,
    pub compose: String,
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    )*};
}
display_as_str!(AppState, OperationKind, Outcome);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_words_read_back_as_the_same_enums() {
        for kind in [
            OperationKind::Install,
            OperationKind::Uninstall,
            OperationKind::Start,
            OperationKind::Stop,
            OperationKind::Restart,
            OperationKind::Update,
            OperationKind::Rollback,
            OperationKind::Limits,
            OperationKind::Disk,
            OperationKind::Shares,
            OperationKind::Ownership,
            OperationKind::Backup,
            OperationKind::Restore,
            OperationKind::RestoreFiles,
            OperationKind::HostPort,
        ] {
            assert_eq!(OperationKind::parse(kind.as_str()), Some(kind));
            // The wire name is the journal's word.
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for outcome in [
            Outcome::Done,
            Outcome::Unchanged,
            Outcome::Failed,
            Outcome::RolledBack,
            Outcome::CompletedAfterRestart,
            Outcome::Interrupted,
        ] {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
        }
        for state in [
            AppState::Installing,
            AppState::Installed,
            AppState::Removing,
        ] {
            assert_eq!(AppState::parse(state.as_str()), state);
        }
        assert_eq!(
            AppSource::parse("main/jellyfin@10.9"),
            AppSource::Store {
                store: "main".into(),
                app: "jellyfin".into(),
                version: "10.9".into()
            }
        );
        assert_eq!(
            AppSource::parse("/srv/app/compose.yml"),
            AppSource::File {
                path: "/srv/app/compose.yml".into()
            }
        );
        assert_eq!(format!("{:<10}|", Outcome::Done), "done      |");
    }
}
