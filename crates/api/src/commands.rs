//! The commands, their arguments, replies and events. Field names are
//! camelCase on the wire — the same JSON argument objects the HTTP and Tauri
//! transports will carry.

use std::collections::BTreeMap;

use berth_engine::rewrite::valid_app_id;
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// Every command Berth serves, by wire name; a new command must be listed
/// here (later transports enumerate it, e.g. to require login on all).
pub const COMMANDS: &[&str] = &[
    "version",
    "apps",
    "status",
    "install",
    "uninstall",
    "start",
    "stop",
    "restart",
    "logs",
    "ops",
    "catalogStores",
    "catalogAdd",
    "catalogRemove",
    "catalogRefresh",
    "catalogApps",
    "catalogSearch",
    "catalogShow",
    "secrets",
    "updates",
    "update",
    "rollback",
    "snapshots",
    "imagesPrune",
    "downloadSize",
    "system",
    "stats",
    "statsHistory",
    "logSearch",
    "diagnose",
    "limits",
    "disk",
    "diskCap",
];

/// A command and its arguments: `{"command": "...", "args": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "command", content = "args", rename_all = "camelCase")]
pub enum Request {
    /// Versions of Berth and of the Docker Engine API in use.
    Version,
    /// Installed apps with their services' states.
    Apps,
    /// One app.
    Status {
        app: String,
    },
    /// Install an app from a compose file; streams progress.
    Install(InstallArgs),
    /// Uninstall; data is kept unless `purgeData`, images unless `removeImages`.
    #[serde(rename_all = "camelCase")]
    Uninstall {
        app: String,
        purge_data: bool,
        remove_images: bool,
    },
    Start {
        app: String,
    },
    Stop {
        app: String,
    },
    Restart {
        app: String,
    },
    /// Service logs; `follow` streams new lines until the client leaves.
    Logs {
        app: String,
        service: Option<String>,
        tail: Option<u32>,
        follow: bool,
    },
    /// Recent operations, newest first.
    Ops {
        limit: Option<u32>,
    },
    /// The app stores: the embedded one, then those added.
    CatalogStores,
    /// Add a store: a signed remote store's URL (with its minisign public
    /// key), a folder or `.tar.gz` store, a CasaOS or an Umbrel store.
    CatalogAdd {
        location: String,
        key: Option<String>,
        name: Option<String>,
    },
    CatalogRemove {
        name: String,
    },
    /// Refresh one store, or every store.
    CatalogRefresh {
        name: Option<String>,
    },
    /// Every app of every store, by name; only one category's when given.
    CatalogApps {
        category: Option<String>,
    },
    /// Apps matching every word, best first.
    CatalogSearch {
        query: String,
    },
    /// One app of a store: description, settings, permissions, resources.
    CatalogShow {
        app: String,
        store: Option<String>,
    },
    /// The secrets generated for an installed app.
    Secrets {
        app: String,
    },
    /// What updating each installed app would bring: a newer store version,
    /// or tags that now name newer images. `refresh` checks again now;
    /// else the daemon's last periodic check answers.
    Updates {
        refresh: bool,
    },
    /// Update an app to its store's newest version (or its tags' newest
    /// images), or to a new version of its compose file; streams progress.
    /// A failure puts the previous version back, with its data.
    #[serde(rename_all = "camelCase")]
    Update {
        app: String,
        compose_file: Option<String>,
        /// Consent to what the new version asks of the host beyond the old.
        consent: bool,
    },
    /// Return an app to a kept snapshot (the newest by default); streams progress.
    Rollback {
        app: String,
        to: Option<String>,
    },
    /// The kept snapshots of an app, newest first.
    Snapshots {
        app: String,
    },
    /// Remove the images no app, container or kept snapshot needs (only
    /// those unused for `olderThanDays` when given); `dryRun` only lists them.
    #[serde(rename_all = "camelCase")]
    ImagesPrune {
        older_than_days: Option<u32>,
        dry_run: bool,
    },
    /// Bytes installing a store app would download (layers already here excluded).
    #[serde(rename_all = "camelCase")]
    DownloadSize {
        catalog_app: String,
        store: Option<String>,
    },
    /// This server: CPU, load, memory, disks, the Docker engine.
    System,
    /// What apps use now: one app, or every installed app.
    Stats {
        app: Option<String>,
    },
    /// An app's recent use, oldest first, as the daemon samples it.
    StatsHistory {
        app: String,
    },
    /// The lines of an app's logs (one service's, or all) containing
    /// `query`, in any case, among the last `tail` of each service.
    LogSearch {
        app: String,
        service: Option<String>,
        query: String,
        tail: Option<u32>,
    },
    /// Writes the app's diagnostics bundle (a .tar.gz, secrets redacted) to
    /// `out`, a path on the daemon's host; under `<home>/diagnostics/` by default.
    Diagnose {
        app: String,
        out: Option<String>,
    },
    /// Changes an app's CPU, memory, memory+swap and process limits, live
    /// (no restart); each one given replaces, each one left out is kept.
    #[serde(rename_all = "camelCase")]
    Limits {
        app: String,
        cpus: Option<f64>,
        /// Bytes.
        #[specta(type = Option<f64>)]
        memory: Option<i64>,
        /// Bytes of memory plus swap; -1 for unlimited swap.
        #[specta(type = Option<f64>)]
        memory_swap: Option<i64>,
        #[specta(type = Option<f64>)]
        pids: Option<i64>,
    },
    /// An app's data folder: what it uses, its cap, and what is not capped.
    Disk {
        app: String,
    },
    /// Caps an app's data folder at `bytes` (a size-capped filesystem), or
    /// removes the cap (`null`). Raising grows it in place; a first cap or a
    /// lower one stops the app while its data is copied.
    DiskCap {
        app: String,
        #[specta(type = Option<f64>)]
        bytes: Option<u64>,
    },
}

impl Request {
    /// The command's wire name (one of [`COMMANDS`]).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Version => "version",
            Request::Apps => "apps",
            Request::Status { .. } => "status",
            Request::Install(_) => "install",
            Request::Uninstall { .. } => "uninstall",
            Request::Start { .. } => "start",
            Request::Stop { .. } => "stop",
            Request::Restart { .. } => "restart",
            Request::Logs { .. } => "logs",
            Request::Ops { .. } => "ops",
            Request::CatalogStores => "catalogStores",
            Request::CatalogAdd { .. } => "catalogAdd",
            Request::CatalogRemove { .. } => "catalogRemove",
            Request::CatalogRefresh { .. } => "catalogRefresh",
            Request::CatalogApps { .. } => "catalogApps",
            Request::CatalogSearch { .. } => "catalogSearch",
            Request::CatalogShow { .. } => "catalogShow",
            Request::Secrets { .. } => "secrets",
            Request::Updates { .. } => "updates",
            Request::Update { .. } => "update",
            Request::Rollback { .. } => "rollback",
            Request::Snapshots { .. } => "snapshots",
            Request::ImagesPrune { .. } => "imagesPrune",
            Request::DownloadSize { .. } => "downloadSize",
            Request::System => "system",
            Request::Stats { .. } => "stats",
            Request::StatsHistory { .. } => "statsHistory",
            Request::LogSearch { .. } => "logSearch",
            Request::Diagnose { .. } => "diagnose",
            Request::Limits { .. } => "limits",
            Request::Disk { .. } => "disk",
            Request::DiskCap { .. } => "diskCap",
        }
    }
}

/// How the daemon answers a command: the one place this is said (the
/// desktop's socket client, for one, waits on it differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum CommandKind {
    /// One answer, once the work is done.
    Immediate,
    /// A long operation: `{"operation": id}` at once (a socket client gets
    /// `accepted` first), then progress events and a `finished` event.
    Operation,
    /// Lines until the client leaves (only a streaming client may ask).
    Stream,
}

impl Request {
    /// How the daemon's `dispatch` (server.rs) answers this command. A match
    /// with no catch-all: a new command must be given its kind here.
    pub fn kind(&self) -> CommandKind {
        match self {
            Request::Install(_)
            | Request::Uninstall { .. }
            | Request::Start { .. }
            | Request::Stop { .. }
            | Request::Restart { .. }
            | Request::Update { .. }
            | Request::Rollback { .. } => CommandKind::Operation,
            Request::Logs { follow: true, .. } => CommandKind::Stream,
            Request::Logs { follow: false, .. }
            | Request::Version
            | Request::Apps
            | Request::Status { .. }
            | Request::Ops { .. }
            | Request::CatalogStores
            | Request::CatalogAdd { .. }
            | Request::CatalogRemove { .. }
            | Request::CatalogRefresh { .. }
            | Request::CatalogApps { .. }
            | Request::CatalogSearch { .. }
            | Request::CatalogShow { .. }
            | Request::Secrets { .. }
            | Request::Updates { .. }
            | Request::Snapshots { .. }
            | Request::ImagesPrune { .. }
            | Request::DownloadSize { .. }
            | Request::System
            | Request::Stats { .. }
            | Request::StatsHistory { .. }
            | Request::LogSearch { .. }
            | Request::Diagnose { .. }
            | Request::Limits { .. }
            | Request::Disk { .. }
            | Request::DiskCap { .. } => CommandKind::Immediate,
        }
    }
}

impl Request {
    /// Refuses a request whose app id, store name, snapshot id or service
    /// name is not a plain name: each becomes part of a path under the home
    /// (or of a container name), so `../x` must never reach the engine.
    pub fn check_names(&self) -> Result<(), ApiError> {
        let id = |what: &'static str, value: &str| {
            if valid_app_id(value) {
                Ok(())
            } else {
                Err(ApiError::InvalidName {
                    what,
                    value: value.to_string(),
                    rule: "use lowercase letters, digits, - and _ (at most 63), starting with a letter or digit",
                })
            }
        };
        let some = |what: &'static str, value: &Option<String>| match value {
            Some(v) => id(what, v),
            None => Ok(()),
        };
        let plain = |what: &'static str, value: &Option<String>| match value {
            Some(v) if !plain_name(v) => Err(ApiError::InvalidName {
                what,
                value: v.clone(),
                rule:
                    "use letters, digits, ., - and _ (at most 63), starting with a letter or digit",
            }),
            _ => Ok(()),
        };
        match self {
            Request::Version
            | Request::Apps
            | Request::Ops { .. }
            | Request::CatalogStores
            | Request::CatalogApps { .. }
            | Request::CatalogSearch { .. }
            | Request::Updates { .. }
            | Request::ImagesPrune { .. }
            | Request::System => Ok(()),
            Request::Status { app }
            | Request::Uninstall { app, .. }
            | Request::Start { app }
            | Request::Stop { app }
            | Request::Restart { app }
            | Request::Secrets { app }
            | Request::Update { app, .. }
            | Request::Snapshots { app }
            | Request::StatsHistory { app }
            | Request::Diagnose { app, .. }
            | Request::Limits { app, .. }
            | Request::Disk { app }
            | Request::DiskCap { app, .. } => id("app id", app),
            Request::Logs {
                app, service: s, ..
            }
            | Request::LogSearch {
                app, service: s, ..
            } => {
                id("app id", app)?;
                plain("service name", s)
            }
            Request::Rollback { app, to } => {
                id("app id", app)?;
                plain("snapshot id", to)
            }
            Request::Stats { app } => some("app id", app),
            Request::Install(args) => {
                some("app id", &args.app_id)?;
                some("store app id", &args.catalog_app)?;
                some("store name", &args.store)
            }
            Request::CatalogAdd { name, .. } => some("store name", name),
            Request::CatalogRemove { name } => id("store name", name),
            Request::CatalogRefresh { name } => some("store name", name),
            Request::CatalogShow { app, store } => {
                id("store app id", app)?;
                some("store name", store)
            }
            Request::DownloadSize { catalog_app, store } => {
                id("store app id", catalog_app)?;
                some("store name", store)
            }
        }
    }

    /// The path on the daemon's host this request reads or writes, if it
    /// names one: a compose file, a store folder or archive, where to write
    /// diagnostics. Only the local transports (the root-only socket, the
    /// desktop app) may; over HTTP they are refused.
    pub fn host_path(&self) -> Option<&str> {
        match self {
            Request::Install(InstallArgs {
                compose_file: Some(path),
                ..
            })
            | Request::Update {
                compose_file: Some(path),
                ..
            }
            | Request::Diagnose {
                out: Some(path), ..
            } => Some(path),
            Request::CatalogAdd { location, .. }
                if !(location.starts_with("https://") || location.starts_with("http://")) =>
            {
                Some(location)
            }
            _ => None,
        }
    }
}

/// A name that is one path component and no more: a compose service name
/// as Docker accepts it, a snapshot id (`2026-01-02T03-04-05Z-op9`).
fn plain_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// What to install: a compose file, or an app from a store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InstallArgs {
    /// Path of the compose file, on the daemon's host.
    #[serde(default)]
    pub compose_file: Option<String>,
    /// An app of a store, by its id there.
    #[serde(default)]
    pub catalog_app: Option<String>,
    /// The store to take `catalogApp` from; the first that has it by default.
    #[serde(default)]
    pub store: Option<String>,
    /// The installed app's id; by default the store's app id or the compose project's name.
    pub app_id: Option<String>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    pub cpus: Option<f64>,
    /// Bytes.
    #[specta(type = Option<f64>)]
    pub memory: Option<i64>,
    #[specta(type = Option<f64>)]
    pub pids: Option<i64>,
    /// The user consents to what the app asks of the host.
    #[serde(default)]
    pub consent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub berth: String,
    pub docker_api: String,
}

/// An installed app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub id: String,
    /// `installing`, `installed` or `removing`.
    pub state: String,
    pub source: String,
    pub services: Vec<ServiceInfo>,
    /// The host port "Open" goes to (the main service's), if it publishes one.
    pub open_port: Option<u16>,
    /// The path on that port.
    pub open_path: Option<String>,
    /// The limits every service runs under (none: unlimited).
    pub limits: LimitsInfo,
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

/// What a limits change did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LimitsChanged {
    #[specta(type = f64)]
    pub operation: i64,
    pub limits: LimitsInfo,
    /// Per service: `updated` (live), `unchanged`, `not_created`, `needs_recreate`.
    pub services: BTreeMap<String, String>,
}

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

/// An operation and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OperationInfo {
    #[specta(type = f64)]
    pub id: i64,
    pub app: String,
    pub kind: String,
    #[specta(type = f64)]
    pub started_at: i64,
    #[specta(type = Option<f64>)]
    pub finished_at: Option<i64>,
    /// `done`, `failed`, `rolled_back`, `completed_after_restart`, `interrupted`; none while running.
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub steps: Vec<String>,
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
        step: String,
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
    /// The operation ended: `outcome` as in the operation list, `error` the sentence if it failed.
    Finished {
        outcome: Option<String>,
        error: Option<String>,
    },
}

/// An app of a store, in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CatalogAppInfo {
    pub store: String,
    pub meta: berth_engine::catalog::AppMeta,
    /// The app's files (compose.yml, app.yml, icon, screenshots).
    pub files: Vec<String>,
}

/// The last update check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UpdatesInfo {
    /// When it ran (ms); none before the first check.
    #[specta(type = Option<f64>)]
    pub checked_at: Option<i64>,
    /// One entry per installed app.
    pub apps: Vec<berth_engine::apps::AppUpdate>,
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

/// One line from the daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Line {
    Event(Event),
    Ok(serde_json::Value),
    Error(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_command_plus_camel_case_args() {
        let r = Request::Uninstall {
            app: "a".into(),
            purge_data: true,
            remove_images: false,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"command":"uninstall","args":{"app":"a","purgeData":true,"removeImages":false}}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::Apps).unwrap(),
            r#"{"command":"apps"}"#
        );
        let back: Request = serde_json::from_str(r#"{"command":"install","args":{"composeFile":"/x.yml","appId":null,"cpus":null,"memory":null,"pids":null}}"#).unwrap();
        assert!(
            matches!(back, Request::Install(InstallArgs { ref compose_file, .. }) if compose_file.as_deref() == Some("/x.yml"))
        );
    }

    #[test]
    fn names_that_would_leave_their_folder_are_refused() {
        for bad in [
            Request::Uninstall {
                app: "../../x".into(),
                purge_data: true,
                remove_images: false,
            },
            Request::Rollback {
                app: "a".into(),
                to: Some("../b".into()),
            },
            Request::Logs {
                app: "a".into(),
                service: Some("../../containers".into()),
                tail: None,
                follow: false,
            },
            Request::Install(InstallArgs {
                catalog_app: Some("greeter".into()),
                app_id: Some("/etc".into()),
                ..InstallArgs::default()
            }),
            Request::CatalogRemove { name: "..".into() },
            Request::Stats {
                app: Some("A b".into()),
            },
        ] {
            assert!(
                matches!(bad.check_names(), Err(ApiError::InvalidName { .. })),
                "{bad:?}"
            );
        }
        assert!(Request::Logs {
            app: "my-app_2".into(),
            service: Some("Web.1".into()),
            tail: None,
            follow: false,
        }
        .check_names()
        .is_ok());
    }

    #[test]
    fn requests_naming_host_paths_are_told_apart() {
        let add = |location: &str| Request::CatalogAdd {
            location: location.into(),
            key: None,
            name: None,
        };
        assert_eq!(add("/srv/store").host_path(), Some("/srv/store"));
        assert_eq!(add("https://example.org/store").host_path(), None);
        let file = Request::Install(InstallArgs {
            compose_file: Some("/etc/x.yml".into()),
            ..InstallArgs::default()
        });
        assert_eq!(file.host_path(), Some("/etc/x.yml"));
        let out = Request::Diagnose {
            app: "a".into(),
            out: Some("/root/x".into()),
        };
        assert_eq!(out.host_path(), Some("/root/x"));
        let store_app = Request::Install(InstallArgs {
            catalog_app: Some("greeter".into()),
            ..InstallArgs::default()
        });
        assert_eq!(store_app.host_path(), None);
    }

    #[test]
    fn every_request_is_in_the_command_list() {
        let all = [
            Request::Version,
            Request::Apps,
            Request::Status { app: "a".into() },
            Request::Install(InstallArgs::default()),
            Request::Uninstall {
                app: "a".into(),
                purge_data: false,
                remove_images: false,
            },
            Request::Start { app: "a".into() },
            Request::Stop { app: "a".into() },
            Request::Restart { app: "a".into() },
            Request::Logs {
                app: "a".into(),
                service: None,
                tail: None,
                follow: false,
            },
            Request::Ops { limit: None },
            Request::CatalogStores,
            Request::CatalogAdd {
                location: "x".into(),
                key: None,
                name: None,
            },
            Request::CatalogRemove { name: "x".into() },
            Request::CatalogRefresh { name: None },
            Request::CatalogApps { category: None },
            Request::CatalogSearch { query: "x".into() },
            Request::CatalogShow {
                app: "x".into(),
                store: None,
            },
            Request::Secrets { app: "a".into() },
            Request::Updates { refresh: false },
            Request::Update {
                app: "a".into(),
                compose_file: None,
                consent: false,
            },
            Request::Rollback {
                app: "a".into(),
                to: None,
            },
            Request::Snapshots { app: "a".into() },
            Request::ImagesPrune {
                older_than_days: None,
                dry_run: true,
            },
            Request::DownloadSize {
                catalog_app: "x".into(),
                store: None,
            },
            Request::System,
            Request::Stats { app: None },
            Request::StatsHistory { app: "a".into() },
            Request::LogSearch {
                app: "a".into(),
                service: None,
                query: "x".into(),
                tail: None,
            },
            Request::Diagnose {
                app: "a".into(),
                out: None,
            },
            Request::Limits {
                app: "a".into(),
                cpus: None,
                memory: None,
                memory_swap: None,
                pids: None,
            },
            Request::Disk { app: "a".into() },
            Request::DiskCap {
                app: "a".into(),
                bytes: None,
            },
        ];
        let names: Vec<_> = all.iter().map(Request::name).collect();
        assert_eq!(names, COMMANDS);
        // Each command's kind, as server.rs's dispatch answers it: the
        // operations are the handlers that go through run_operation /
        // run_held (install, uninstall, power, update and rollback).
        use CommandKind::{Immediate as I, Operation as O};
        let kinds = [
            ("version", I),
            ("apps", I),
            ("status", I),
            ("install", O),
            ("uninstall", O),
            ("start", O),
            ("stop", O),
            ("restart", O),
            ("logs", I),
            ("ops", I),
            ("catalogStores", I),
            ("catalogAdd", I),
            ("catalogRemove", I),
            ("catalogRefresh", I),
            ("catalogApps", I),
            ("catalogSearch", I),
            ("catalogShow", I),
            ("secrets", I),
            ("updates", I),
            ("update", O),
            ("rollback", O),
            ("snapshots", I),
            ("imagesPrune", I),
            ("downloadSize", I),
            ("system", I),
            ("stats", I),
            ("statsHistory", I),
            ("logSearch", I),
            ("diagnose", I),
            ("limits", I),
            ("disk", I),
            ("diskCap", I),
        ];
        let table: Vec<_> = kinds.iter().map(|(n, _)| *n).collect();
        assert_eq!(table, COMMANDS, "every command needs a kind in this table");
        for (r, (name, kind)) in all.iter().zip(kinds) {
            assert_eq!(r.kind(), kind, "{name}");
        }
        let follow = Request::Logs {
            app: "a".into(),
            service: None,
            tail: None,
            follow: true,
        };
        assert_eq!(follow.kind(), CommandKind::Stream);
        for r in &all {
            let wire = serde_json::to_value(r).unwrap();
            assert_eq!(wire["command"], r.name());
        }
    }
}
