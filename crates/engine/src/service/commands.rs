//! Every command, declared once: its name (the variant's, camelCase on the
//! wire), its arguments (a struct in [`args`]), its reply type and its
//! [`CommandKind`]. From this one list come the [`Request`] enum the
//! transports carry, [`COMMANDS`], [`Request::kind`], the [`Replies`] map
//! the UI's types are generated from, and [`Service::run`], which calls the
//! handler of the same name (`handlers/`). Adding a command is one entry
//! here plus its handler; an id or name it takes is one of the validated
//! name types (`crate::model::AppId`, `StoreName`…), so a request naming
//! `../x` is refused as it is read.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{to_json, Answer, Service};
use crate::model::{AppId, ServiceName, ShareName, SnapshotId, StoreAppId, StoreName};
use crate::Result;

/// How a command answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum CommandKind {
    /// One answer, once the work is done.
    Immediate,
    /// A long operation: over HTTP and in the desktop app `{"operation": id}`
    /// at once, then progress events and a `finished` event; over the
    /// socket its events, then the finished operation.
    Operation,
    /// A journaled operation the client waits for (its reply is a value),
    /// with progress events; it runs in its own task, so a client that
    /// leaves (a closed browser tab) does not abandon it halfway.
    Job,
    /// Lines until the client leaves (only a streaming client may ask).
    Stream,
}

macro_rules! reply {
    (Immediate, $reply:ty, $work:expr) => {{
        let value: $reply = $work.await?;
        Ok(Answer::Value(to_json(value)?))
    }};
    (Operation, $reply:ty, $work:expr) => {
        Ok(Answer::Operation($work.await?))
    };
    (Job, $reply:ty, $work:expr) => {
        Ok(Answer::Job($work.await?))
    };
    (Stream, $reply:ty, $work:expr) => {
        Ok(Answer::Stream($work.await?))
    };
}

macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident $handler:ident: $Command:ident {
            $( $(#[$field_meta:meta])* $field:ident : $type:ty ),* $(,)?
        } -> $reply:ty;
    )*) => {
        /// Each command's arguments, as a struct of the command's name.
        pub mod args {
            use super::*;
            $(
                $(#[doc = $doc])*
                #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, specta::Type)]
                #[serde(rename_all = "camelCase")]
                // Inlined in the request type, as `args`: no name of its own in the UI's types.
                #[specta(inline)]
                pub struct $Command {
                    $( $(#[$field_meta])* pub $field: $type, )*
                }

                impl From<$Command> for super::Request {
                    fn from(args: $Command) -> Self {
                        super::Request::$Command(args)
                    }
                }
            )*
        }

        /// A command and its arguments: `{"command": "...", "args": {...}}`.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type,
                 strum::IntoStaticStr, strum::VariantNames)]
        #[serde(tag = "command", content = "args", rename_all = "camelCase")]
        #[strum(serialize_all = "camelCase")]
        pub enum Request {
            $( $(#[doc = $doc])* $Command(args::$Command), )*
        }

        /// What each command answers, by its wire name: exported to the UI,
        /// whose reply map is this type.
        #[derive(Debug, Serialize, specta::Type)]
        #[serde(rename_all = "camelCase")]
        pub struct Replies {
            $( pub $handler: $reply, )*
        }

        impl Request {
            /// How the service answers this command.
            pub fn kind(&self) -> CommandKind {
                match self {
                    $( Request::$Command(_) => CommandKind::$kind, )*
                }
            }
        }

        impl Service {
            /// Carries out one command. (Every id and name in it was
            /// checked as it was read: they are `AppId`, `StoreName`…)
            pub async fn run(self: &Arc<Self>, request: Request) -> Result<Answer> {
                match request {
                    $( Request::$Command(args) => reply!($kind, $reply, self.$handler(args)), )*
                }
            }
        }
    };
}

/// Every command's wire name, in declaration order.
pub const COMMANDS: &[&str] = <Request as strum::VariantNames>::VARIANTS;

impl Request {
    /// The command's wire name (one of [`COMMANDS`]).
    pub fn name(&self) -> &'static str {
        self.into()
    }
}

commands! {
    /// Versions of Berth and of the Docker Engine API in use.
    Immediate version: Version {} -> super::VersionInfo;
    /// Installed apps with their services' states.
    Immediate apps: Apps {} -> Vec<super::AppInfo>;
    /// One app.
    Immediate status: Status { app: AppId } -> super::AppInfo;
    /// Reads a compose file's text as installing it would (parsed,
    /// interpolated, rendered for this host, its requests of the host
    /// checked), changing nothing: the app id, its services and ports, and
    /// its findings in words.
    Immediate compose_check: ComposeCheck {
        /// The compose file's text.
        compose: String,
        /// The app id to read it as; by default its `name:`, else its first service's name.
        #[serde(default)]
        app_id: Option<AppId>,
    } -> super::ComposeReport;
    /// The compose file an app installed from a file was installed (or last
    /// updated) from, as text, to edit; refused for store apps and folders.
    Immediate compose_source: ComposeSource { app: AppId } -> super::ComposeText;
    /// Install an app from a store, from a compose file (or a folder
    /// holding one) or from a compose file's text; streams progress.
    Operation install: Install {
        /// Path of the compose file (or its folder), on the daemon's host.
        #[serde(default)]
        compose_file: Option<String>,
        /// The compose file's text (pasted, or a file read by the browser);
        /// Berth keeps it owner-only under the app's folder, out of the
        /// app's reach, as the app's source for later updates.
        #[serde(default)]
        compose: Option<String>,
        /// An app of a store, by its id there.
        #[serde(default)]
        catalog_app: Option<StoreAppId>,
        /// The store to take `catalogApp` from; the first that has it by default.
        #[serde(default)]
        store: Option<StoreName>,
        /// The installed app's id; by default the store's app id or the compose project's name.
        #[serde(default)]
        app_id: Option<AppId>,
        #[serde(default)]
        settings: BTreeMap<String, String>,
        #[serde(default)]
        cpus: Option<f64>,
        /// Bytes.
        #[serde(default)]
        #[specta(type = Option<f64>)]
        memory: Option<i64>,
        #[serde(default)]
        #[specta(type = Option<f64>)]
        pids: Option<i64>,
        /// The user consents to what the app asks of the host.
        #[serde(default)]
        consent: bool,
        /// The share given to each share a store app asks for (its request's
        /// name → a share); a request left out gets none.
        #[serde(default)]
        shares: BTreeMap<String, ShareName>,
        /// Its name on the proxy (`<name>.<domain>`): lowercase letters,
        /// digits and `-`; by default one made from its id.
        #[serde(default)]
        name: Option<String>,
        /// Only people logged in to Berth may open it through the proxy.
        #[serde(default)]
        gate: bool,
        /// Leave the main web port off the host: the app is opened by its
        /// name through Berth's proxy only (its other ports stay).
        #[serde(default)]
        no_host_port: bool,
    } -> super::Started;
    /// Gives an app another name on the proxy (its id, folder and
    /// containers stay): it answers by the new name at once, no longer by
    /// the old.
    Immediate rename: Rename { app: AppId, name: String } -> super::AppInfo;
    /// Turns an app's login gate on (only people logged in to Berth may
    /// open it through the proxy) or off.
    Immediate app_gate: AppGate { app: AppId, gate: bool } -> super::AppInfo;
    /// Publishes an app's main web port on the host (`hostPort`, reached as
    /// `http://server:PORT` and by name) or takes it off (by name through
    /// the proxy only); the app is rendered again and its main service
    /// re-created if it ran. Journaled as `host_port`.
    Operation app_host_port: AppHostPort { app: AppId, host_port: bool } -> super::Started;
    /// Uninstall; data is kept unless `purgeData`, images unless `removeImages`.
    Operation uninstall: Uninstall {
        app: AppId,
        #[serde(default)]
        purge_data: bool,
        #[serde(default)]
        remove_images: bool,
    } -> super::Started;
    Operation start: Start { app: AppId } -> super::Started;
    Operation stop: Stop { app: AppId } -> super::Started;
    Operation restart: Restart { app: AppId } -> super::Started;
    /// The last lines of an app's logs (one service's, or all), as log events.
    Immediate logs: Logs {
        app: AppId,
        #[serde(default)]
        service: Option<ServiceName>,
        #[serde(default)]
        tail: Option<u32>,
    } -> Vec<super::Event>;
    /// An app's logs as they come, after the last `tail` lines, until the
    /// client leaves (the socket only).
    Stream follow_logs: FollowLogs {
        app: AppId,
        #[serde(default)]
        service: Option<ServiceName>,
        #[serde(default)]
        tail: Option<u32>,
    } -> ();
    /// Recent operations, newest first.
    Immediate ops: Ops {
        #[serde(default)]
        limit: Option<u32>,
    } -> Vec<super::OperationInfo>;
    /// The app stores: the embedded one, then those added.
    Immediate catalog_stores: CatalogStores {} -> Vec<crate::catalog::StoreInfo>;
    /// Add a store: a signed remote store's URL (with its minisign public
    /// key), a folder or `.tar.gz` store, a CasaOS or an Umbrel store.
    Immediate catalog_add: CatalogAdd {
        location: String,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        name: Option<StoreName>,
    } -> crate::catalog::StoreInfo;
    Immediate catalog_remove: CatalogRemove { name: StoreName } -> ();
    /// Refresh one store, or every store.
    Immediate catalog_refresh: CatalogRefresh {
        #[serde(default)]
        name: Option<StoreName>,
    } -> Vec<crate::catalog::RefreshOutcome>;
    /// Every app of every store, by name; only one category's when given.
    Immediate catalog_apps: CatalogApps {
        #[serde(default)]
        category: Option<String>,
    } -> Vec<crate::catalog::AppSummary>;
    /// Apps matching every word, best first.
    Immediate catalog_search: CatalogSearch { query: String } -> Vec<crate::catalog::AppSummary>;
    /// One app of a store: description, settings, permissions, resources.
    Immediate catalog_show: CatalogShow {
        app: StoreAppId,
        #[serde(default)]
        store: Option<StoreName>,
    } -> super::CatalogAppInfo;
    /// A picture (icon, screenshot) of a store app, for clients that cannot
    /// fetch `/api/files` (the desktop app as a client of `berth serve`).
    Immediate catalog_picture: CatalogPicture {
        store: StoreName,
        app: StoreAppId,
        /// Its path among the app's files (`icon.svg`, `screenshots/1.png`).
        file: String,
    } -> super::Picture;
    /// The shares: the server's named folders (Movies, Music…) for apps.
    Immediate shares: Shares {} -> Vec<super::ShareInfo>;
    /// Adds a share: a folder of this server (one that exists, judged like
    /// any folder an app mounts: no system folders, no Berth files), or
    /// without a path a new folder under the home's `shares/`.
    Immediate share_add: ShareAdd {
        name: ShareName,
        #[serde(default)]
        path: Option<String>,
    } -> super::ShareInfo;
    /// Forgets a share no app is given; its folder and files stay.
    Immediate share_remove: ShareRemove { name: ShareName } -> ();
    /// Changes the shares given to an installed store app (each of its
    /// requests → a share; a request left out gets none): only the services
    /// whose mounts change are re-created. Journaled as `shares`.
    Operation app_shares: AppShares {
        app: AppId,
        #[serde(default)]
        shares: BTreeMap<String, ShareName>,
    } -> super::Started;
    /// Adds the usual shares (Movies, TV, Music, Photos, Books, Documents,
    /// Downloads) that are not there yet, under the home's `shares/`.
    Immediate shares_defaults: SharesDefaults {} -> Vec<super::ShareInfo>;
    /// One share, with what the apps may do with its files.
    Immediate share: Share { name: ShareName } -> super::ShareInfo;
    /// Gives every file and folder of a share to the apps' user and group
    /// (PUID:PGID), links changed themselves and never followed, other
    /// filesystems mounted inside left alone; refused for a share whose
    /// folder is not there. Only when the user asks.
    Job share_fix_ownership: ShareFixOwnership { name: ShareName } -> super::OwnershipFixed;
    /// Offers a share on the home network over SMB: `none`, `read` or `write`.
    Immediate share_smb: ShareSmb {
        name: ShareName,
        access: crate::shares::SmbAccess,
    } -> super::ShareInfo;
    /// SMB sharing: on or off, running, its port and login.
    Immediate smb: Smb {} -> crate::shares::SmbStatus;
    /// Turns SMB sharing on (a password is needed the first time; the login
    /// is the Berth admin's name) or off, and sets its port (445 by default).
    Immediate smb_set: SmbSet {
        enabled: bool,
        /// SMB's own password, kept only as Samba's hash.
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        port: Option<u16>,
    } -> crate::shares::SmbStatus;
    /// The secrets generated for an installed app.
    Immediate secrets: Secrets { app: AppId } -> BTreeMap<String, String>;
    /// What updating each installed app would bring: a newer store version,
    /// or tags that now name newer images. `refresh` checks again now;
    /// else the daemon's last periodic check answers.
    Immediate updates: Updates {
        #[serde(default)]
        refresh: bool,
    } -> super::UpdatesInfo;
    /// Update an app to its store's newest version (or its tags' newest
    /// images), or to a new version of its compose file (a path, or its
    /// text); streams progress.
    /// A failure puts the previous version back, with its data.
    Operation update: Update {
        app: AppId,
        #[serde(default)]
        compose_file: Option<String>,
        /// The new version of the app's compose file, as text (kept as `install`'s `compose`).
        #[serde(default)]
        compose: Option<String>,
        /// Consent to what the new version asks of the host beyond the old.
        #[serde(default)]
        consent: bool,
    } -> super::Started;
    /// Return an app to a kept snapshot (the newest by default); streams progress.
    Operation rollback: Rollback {
        app: AppId,
        #[serde(default)]
        to: Option<SnapshotId>,
    } -> super::Started;
    /// The kept snapshots of an app, newest first.
    Immediate snapshots: Snapshots { app: AppId } -> Vec<super::SnapshotInfo>;
    /// The backup targets: where backups go.
    Immediate backup_targets: BackupTargets {} -> Vec<crate::backup::Target>;
    /// Adds a backup target: a folder (an external drive, a NAS mount) when
    /// `path` is a path, an SFTP server when it is `sftp://user@host[:port]/path`
    /// (logged into with the key `backupSshKey` answers). Creates a restic
    /// repository there, or opens the one there with `password` (the one
    /// another Berth made it with). The password is generated the first time
    /// and answered once; it is kept root-only in the home's `backup/`.
    Immediate backup_target_add: BackupTargetAdd {
        path: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        password: Option<String>,
    } -> crate::backup::TargetAdded;
    /// Berth's SSH public key for SFTP targets (made the first time): the
    /// line to add to the server's `~/.ssh/authorized_keys`.
    Immediate backup_ssh_key: BackupSshKey {} -> String;
    /// Backs an app up to a target (the only one unless named): stopped
    /// while its data is copied, started again, then sent; an app whose
    /// app.yml declares a database dump is dumped while it runs instead.
    Job backup: Backup {
        app: AppId,
        #[serde(default)]
        target: Option<String>,
    } -> crate::apps::BackupReport;
    /// The backups at a target (of one app, when given), newest first.
    Immediate backups: Backups {
        #[serde(default)]
        app: Option<AppId>,
        #[serde(default)]
        target: Option<String>,
    } -> Vec<crate::backup::BackupInfo>;
    /// Restores an app from a backup (its id, or a unique prefix): its
    /// files, data and images then, as a rollback does (the current state
    /// snapshotted first; a failure puts it back); streams progress.
    /// `shares` also puts back the files of the app's shares, when the
    /// backup holds them (into the shares of the same names here).
    Operation restore: Restore {
        app: AppId,
        backup: String,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        shares: bool,
    } -> super::Started;
    /// The entries of one folder of an app's backup (its root when `path`
    /// is not given: `data/`, `volumes/`, `compose.yml`, …), folders first.
    Immediate backup_files: BackupFiles {
        app: AppId,
        backup: String,
        #[serde(default)]
        path: Option<String>,
        #[serde(default)]
        target: Option<String>,
    } -> Vec<crate::backup::BackupEntry>;
    /// Puts files or folders of a backup (`data/…`, `volumes/<name>/…`) back
    /// in the app's folders while it runs, keeping what they replace; or,
    /// with `to`, into a new or empty folder of the server's (any path of
    /// the backup). Streams progress.
    Job restore_files: RestoreFiles {
        app: AppId,
        backup: String,
        paths: Vec<String>,
        #[serde(default)]
        to: Option<String>,
        #[serde(default)]
        target: Option<String>,
    } -> crate::apps::FilesRestored;
    /// The backup schedule: every app's rule (daily at 03:00 server-local
    /// time once a target exists), each app's own, and when each app's next
    /// backup is due.
    Immediate backup_schedule: BackupSchedule {} -> crate::backup::schedule::ScheduleInfo;
    /// Changes the backup schedule of every app, or of one (`app`): its time
    /// of day (`at`, `HH:MM` server-local), on or off, how many backups are
    /// kept (daily, weekly, monthly) and the target; `reset` makes the app
    /// follow every app's schedule again; `includeShares` (one app only)
    /// puts the files of the app's shares in its backups, or not (the default).
    Immediate backup_schedule_set: BackupScheduleSet {
        #[serde(default)]
        app: Option<AppId>,
        #[serde(default)]
        at: Option<String>,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        keep_daily: Option<u32>,
        #[serde(default)]
        keep_weekly: Option<u32>,
        #[serde(default)]
        keep_monthly: Option<u32>,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        reset: bool,
        #[serde(default)]
        include_shares: Option<bool>,
    } -> crate::backup::schedule::ScheduleInfo;
    /// Each app's backups: the last success, the last failure, when the next
    /// is due, and a warning when it has had no successful backup for a day
    /// while backups failed or were missed; how many apps have one.
    Immediate backup_status: BackupStatus {} -> crate::backup::schedule::BackupOverview;
    /// Forgets the backups beyond each app's keep rules (one app's, when
    /// given) and prunes the data no backup needs any more.
    Immediate backup_prune: BackupPrune {
        #[serde(default)]
        app: Option<AppId>,
        #[serde(default)]
        target: Option<String>,
    } -> Vec<crate::backup::retention::Pruned>;
    /// Remove the images no app, container or kept snapshot needs (only
    /// those unused for `olderThanDays` when given); `dryRun` only lists them.
    Immediate images_prune: ImagesPrune {
        #[serde(default)]
        older_than_days: Option<u32>,
        #[serde(default)]
        dry_run: bool,
    } -> crate::apps::PruneReport;
    /// Bytes installing a store app would download (layers already here excluded).
    Immediate download_size: DownloadSize {
        catalog_app: StoreAppId,
        #[serde(default)]
        store: Option<StoreName>,
    } -> crate::registry::DownloadSize;
    /// This server: CPU, load, memory, disks, the Docker engine.
    Immediate system: System {} -> crate::metrics::SystemInfo;
    /// Makes this server itself trust the HTTPS proxy's certificate
    /// authority (its system trust store, through update-ca-certificates).
    Immediate ca_trust: CaTrust {} -> crate::proxy::trust::CaTrusted;
    /// What apps use now: one app, or every installed app.
    Immediate stats: Stats {
        #[serde(default)]
        app: Option<AppId>,
    } -> Vec<crate::metrics::AppStats>;
    /// An app's recent use, oldest first, as the daemon samples it.
    Immediate stats_history: StatsHistory { app: AppId } -> Vec<crate::metrics::Sample>;
    /// The lines of an app's logs (one service's, or all) containing
    /// `query`, in any case, among the last `tail` of each service.
    Immediate log_search: LogSearch {
        app: AppId,
        #[serde(default)]
        service: Option<ServiceName>,
        query: String,
        #[serde(default)]
        tail: Option<u32>,
    } -> Vec<crate::lifecycle::LogEntry>;
    /// Writes the app's diagnostics bundle (a .tar.gz, secrets redacted) to
    /// `out`, a path on the daemon's host; under `<home>/diagnostics/` by default.
    Immediate diagnose: Diagnose {
        app: AppId,
        #[serde(default)]
        out: Option<String>,
    } -> crate::apps::DiagnoseReport;
    /// Changes an app's CPU, memory, memory+swap and process limits, live
    /// (no restart); each one given replaces, each one left out is kept.
    Job limits: Limits {
        app: AppId,
        #[serde(default)]
        cpus: Option<f64>,
        /// Bytes.
        #[serde(default)]
        #[specta(type = Option<f64>)]
        memory: Option<i64>,
        /// Bytes of memory plus swap; -1 for unlimited swap.
        #[serde(default)]
        #[specta(type = Option<f64>)]
        memory_swap: Option<i64>,
        #[serde(default)]
        #[specta(type = Option<f64>)]
        pids: Option<i64>,
    } -> super::LimitsChanged;
    /// An app's data folder: what it uses, its cap, and what is not capped.
    Immediate disk: Disk { app: AppId } -> super::AppDisk;
    /// Caps an app's data folder at `bytes` (a size-capped filesystem), or
    /// removes the cap (`null`). Raising grows it in place; a first cap or a
    /// lower one stops the app while its data is copied.
    Job disk_cap: DiskCap {
        app: AppId,
        #[serde(default)]
        #[specta(type = Option<f64>)]
        bytes: Option<u64>,
    } -> super::AppDisk;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_is_command_plus_camel_case_args() {
        let r = Request::from(args::Uninstall {
            app: AppId::new("a").unwrap(),
            purge_data: true,
            remove_images: false,
        });
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"command":"uninstall","args":{"app":"a","purgeData":true,"removeImages":false}}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::from(args::Apps {})).unwrap(),
            r#"{"command":"apps","args":{}}"#
        );
        let back: Request = serde_json::from_str(
            r#"{"command":"install","args":{"composeFile":"/x.yml","appId":null}}"#,
        )
        .unwrap();
        assert!(
            matches!(back, Request::Install(args::Install { ref compose_file, .. }) if compose_file.as_deref() == Some("/x.yml"))
        );
        // Arguments left out take their defaults.
        let power: Request =
            serde_json::from_str(r#"{"command":"uninstall","args":{"app":"a"}}"#).unwrap();
        assert_eq!(
            power,
            Request::from(args::Uninstall {
                app: AppId::new("a").unwrap(),
                ..Default::default()
            })
        );
    }

    #[test]
    fn names_kinds_and_replies_come_from_one_list() {
        assert_eq!(COMMANDS.len(), 62);
        assert_eq!(COMMANDS[0], "version");
        assert!(COMMANDS.contains(&"appShares"));
        assert!(COMMANDS.contains(&"catalogStores"));
        assert!(COMMANDS.contains(&"followLogs"));
        let names: std::collections::HashSet<_> = COMMANDS.iter().collect();
        assert_eq!(names.len(), COMMANDS.len(), "wire names are unique");
        let r = Request::from(args::DiskCap::default());
        assert_eq!(r.name(), "diskCap");
        assert_eq!(r.kind(), CommandKind::Job);
        assert_eq!(
            Request::from(args::Rollback::default()).kind(),
            CommandKind::Operation
        );
        assert_eq!(
            Request::from(args::FollowLogs::default()).kind(),
            CommandKind::Stream
        );
        assert_eq!(
            Request::from(args::Logs::default()).kind(),
            CommandKind::Immediate
        );
        // App ids are checked as they are read.
        let bad: Result<Request, _> =
            serde_json::from_str(r#"{"command":"status","args":{"app":"../../etc"}}"#);
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("is not a valid app id"));
        // The serde tag is the same name strum derives.
        let wire = serde_json::to_value(Request::from(args::CatalogSearch::default())).unwrap();
        assert_eq!(wire["command"], "catalogSearch");
    }
}
