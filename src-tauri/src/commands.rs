//! Every Berth command as a Tauri command, registered through tauri-specta:
//! the same names (snake_case here, camelCase on HTTP) and the same argument
//! objects as the HTTP API, so one UI serves both.

use std::collections::BTreeMap;

use berth_api::{
    AppDisk, AppInfo, CatalogAppInfo, InstallArgs, LimitsChanged, OperationInfo, Request,
    SnapshotInfo, UpdatesInfo, VersionInfo,
};
use berth_engine::apps::{DiagnoseReport, PruneReport};
use berth_engine::catalog::{AppSummary, RefreshOutcome, StoreInfo};
use berth_engine::lifecycle::LogEntry;
use berth_engine::metrics::{AppStats, Sample, SystemInfo};
use berth_engine::registry::DownloadSize;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::backend::Backend;

/// What a long operation answers at once; its progress comes as events.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct Started {
    pub operation: f64,
}

macro_rules! commands {
    ($( $(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty => $request:expr ;)*) => {
        $(
            $(#[$doc])*
            #[tauri::command]
            #[specta::specta]
            pub async fn $name(backend: State<'_, Backend>, $($arg: $ty),*) -> Result<$ret, String> {
                backend.call($request).await
            }
        )*
        /// The tauri-specta builder with every command.
        pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
            tauri_specta::Builder::<tauri::Wry>::new()
                .commands(tauri_specta::collect_commands![$($name),*])
                .typ::<berth_api::Event>()
                .typ::<Request>()
        }
    };
}

commands! {
    /// Versions of Berth and of the Docker Engine API.
    version() -> VersionInfo => Request::Version;
    /// Installed apps and their services' states.
    apps() -> Vec<AppInfo> => Request::Apps;
    status(app: String) -> AppInfo => Request::Status { app };
    /// Install from a store or a compose file; answers at once.
    install(args: InstallArgs) -> Started => Request::Install(args);
    uninstall(app: String, purge_data: bool, remove_images: bool) -> Started =>
        Request::Uninstall { app, purge_data, remove_images };
    start(app: String) -> Started => Request::Start { app };
    stop(app: String) -> Started => Request::Stop { app };
    restart(app: String) -> Started => Request::Restart { app };
    /// The last log lines (follow is for streaming clients).
    logs(app: String, service: Option<String>, tail: Option<u32>, follow: bool) -> Vec<berth_api::Event> =>
        Request::Logs { app, service, tail, follow };
    ops(limit: Option<u32>) -> Vec<OperationInfo> => Request::Ops { limit };
    catalog_stores() -> Vec<StoreInfo> => Request::CatalogStores;
    catalog_add(location: String, key: Option<String>, name: Option<String>) -> StoreInfo =>
        Request::CatalogAdd { location, key, name };
    catalog_remove(name: String) -> () => Request::CatalogRemove { name };
    catalog_refresh(name: Option<String>) -> Vec<RefreshOutcome> => Request::CatalogRefresh { name };
    catalog_apps(category: Option<String>) -> Vec<AppSummary> => Request::CatalogApps { category };
    catalog_search(query: String) -> Vec<AppSummary> => Request::CatalogSearch { query };
    catalog_show(app: String, store: Option<String>) -> CatalogAppInfo => Request::CatalogShow { app, store };
    secrets(app: String) -> BTreeMap<String, String> => Request::Secrets { app };
    /// Updates available (the last periodic check, or a new one with `refresh`).
    updates(refresh: bool) -> UpdatesInfo => Request::Updates { refresh };
    /// Update an app; answers at once, a failure puts the old version back.
    update(app: String, compose_file: Option<String>, consent: bool) -> Started =>
        Request::Update { app, compose_file, consent };
    /// Return an app to a kept snapshot; answers at once.
    rollback(app: String, to: Option<String>) -> Started => Request::Rollback { app, to };
    snapshots(app: String) -> Vec<SnapshotInfo> => Request::Snapshots { app };
    images_prune(older_than_days: Option<u32>, dry_run: bool) -> PruneReport =>
        Request::ImagesPrune { older_than_days, dry_run };
    download_size(catalog_app: String, store: Option<String>) -> DownloadSize =>
        Request::DownloadSize { catalog_app, store };
    /// This server: CPU, load, memory, disks, the Docker engine.
    system() -> SystemInfo => Request::System;
    /// What one app, or every app, uses now.
    stats(app: Option<String>) -> Vec<AppStats> => Request::Stats { app };
    stats_history(app: String) -> Vec<Sample> => Request::StatsHistory { app };
    log_search(app: String, service: Option<String>, query: String, tail: Option<u32>) -> Vec<LogEntry> =>
        Request::LogSearch { app, service, query, tail };
    /// Writes the app's diagnostics bundle; answers where.
    diagnose(app: String, out: Option<String>) -> DiagnoseReport => Request::Diagnose { app, out };
    /// Change an app's limits live; those left out are kept.
    limits(app: String, cpus: Option<f64>, memory: Option<f64>, memory_swap: Option<f64>, pids: Option<f64>) -> LimitsChanged =>
        Request::Limits {
            app,
            cpus,
            memory: memory.map(|b| b as i64),
            memory_swap: memory_swap.map(|b| b as i64),
            pids: pids.map(|n| n as i64),
        };
    disk(app: String) -> AppDisk => Request::Disk { app };
    /// Cap an app's data folder (bytes), or remove the cap (null).
    disk_cap(app: String, bytes: Option<f64>) -> AppDisk =>
        Request::DiskCap { app, bytes: bytes.map(|b| b as u64) };
}

/// Exports the UI's bindings (types and commands) as TypeScript.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    builder()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from Berth's Rust types and commands by tauri-specta (src-tauri). Do not edit.\n// @ts-nocheck"),
            path,
        )
        .map_err(|e| e.to_string())
}
