//! The daemon: owns one Berth home (single writer, enforced by a lock file),
//! reconciles interrupted operations at start, then serves commands on the
//! home's unix socket as JSON lines: a request line in; event lines, then one
//! `ok` or `error` line out. Long operations run in their own task, so they
//! finish even when the client goes away; one operation at a time per app.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use berth_engine::apps::{
    AppUpdate, Apps, CatalogInstall, InstallRequest, OpenAddress, Power, Progress, PruneOptions,
    UninstallOptions, UpdateTarget,
};
use berth_engine::compose::{load_file, LoadOptions, ServiceLimits};
use berth_engine::lifecycle::{LogLine, ServiceState, ServiceStatus};
use berth_engine::metrics::{system, StatsHistory};
use berth_engine::registry::Registry;
use berth_engine::store::{AppRecord, OperationRecord};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, mpsc};

use crate::commands::{
    AppDisk, AppInfo, CatalogAppInfo, Event, EventKind, InstallArgs, LimitsChanged, LimitsInfo,
    Line, OperationInfo, Request, ServiceInfo, SnapshotInfo, UpdatesInfo, VersionInfo,
};
use crate::ApiError;

/// The socket's file name inside the Berth home.
pub const SOCKET_NAME: &str = "berth.sock";
/// Requests larger than this are refused.
const MAX_REQUEST: u64 = 1024 * 1024;

/// What the daemon keeps while it runs: the apps (engine and store), which
/// apps are busy, the event channel, the registry client, the last update
/// check and the stats history. [`crate::Owner`] owns one.
pub(crate) struct Daemon {
    pub(crate) apps: Apps,
    /// Apps with an operation running.
    busy: Mutex<HashSet<String>>,
    /// Every operation's progress, for the HTTP event stream.
    pub(crate) events: broadcast::Sender<Event>,
    /// Asks registries about tags and layers.
    registry: Registry,
    /// The last update check: when (ms), and what it found.
    updates: tokio::sync::Mutex<Option<(i64, Vec<AppUpdate>)>>,
    /// What each app used lately, sampled every `BERTH_STATS_SECS`.
    pub(crate) history: Arc<std::sync::Mutex<StatsHistory>>,
}

impl Daemon {
    pub(crate) fn new(apps: Apps) -> Self {
        Daemon {
            apps,
            busy: Mutex::new(HashSet::new()),
            events: broadcast::channel(1024).0,
            registry: Registry::new(),
            updates: tokio::sync::Mutex::new(None),
            history: Arc::new(std::sync::Mutex::new(StatsHistory::default())),
        }
    }
}

async fn write_line(stream: &mut UnixStream, line: &Line) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(line).expect("lines serialize");
    text.push(b'\n');
    stream.write_all(&text).await
}

fn event(operation: Option<i64>, kind: EventKind) -> Line {
    Line::Event(Event {
        operation,
        app: None,
        kind,
    })
}

fn progress_event(op: i64, p: Progress) -> Line {
    event(
        Some(op),
        match p {
            Progress::Step { step, .. } => EventKind::Step { step },
            Progress::Pull {
                image,
                layer,
                current,
                total,
            } => EventKind::Pull {
                image,
                layer,
                current,
                total,
            },
            Progress::Service { service, state } => EventKind::Service { service, state },
        },
    )
}

fn operation_info(op: OperationRecord) -> OperationInfo {
    OperationInfo {
        id: op.id,
        app: op.app,
        kind: op.kind,
        started_at: op.started_at,
        finished_at: op.finished_at,
        outcome: op.outcome,
        error: op.error,
        steps: op.steps,
    }
}

impl Daemon {
    /// Settles the unfinished operations of apps that have none running,
    /// oldest first; stops at the first that cannot be settled yet (the
    /// engine is still away) and reports it once, not at every retry.
    pub(crate) async fn settle_idle(&self, last_error: &mut Option<String>) {
        let store = self.apps.store();
        let Ok(mut unfinished) = store.unfinished_operations() else {
            return;
        };
        unfinished.reverse();
        for op in unfinished {
            if self.claim(&op.app).is_err() {
                continue;
            }
            // Read again under the app's lock: it may have finished meanwhile.
            let current = store
                .operation(op.id)
                .ok()
                .flatten()
                .filter(|o| o.outcome.is_none());
            let result = match &current {
                Some(op) => self.apps.settle(op).await.map(|()| true),
                None => Ok(false),
            };
            self.release(&op.app);
            match result {
                Ok(false) => {}
                Ok(true) => {
                    *last_error = None;
                    let outcome = store
                        .operation(op.id)
                        .ok()
                        .flatten()
                        .and_then(|o| o.outcome)
                        .unwrap_or_default();
                    eprintln!(
                        "berth: settled unfinished {} of {}: {outcome}",
                        op.kind, op.app
                    );
                }
                Err(e) => {
                    let message = e.to_string();
                    if last_error.as_deref() != Some(&message) {
                        eprintln!(
                            "berth: cannot settle the {} of {} yet, will retry: {message}",
                            op.kind, op.app
                        );
                        *last_error = Some(message);
                    }
                    return;
                }
            }
        }
    }

    pub(crate) async fn handle(self: Arc<Self>, mut stream: UnixStream) {
        let mut line = String::new();
        let read = {
            let (reader, _) = stream.split();
            BufReader::new(reader.take(MAX_REQUEST))
                .read_line(&mut line)
                .await
        };
        let reply = match read {
            Err(e) => Line::Error(format!("could not read the request: {e}")),
            Ok(_) => match serde_json::from_str::<Request>(&line) {
                Err(e) => Line::Error(format!("not a Berth command ({e})")),
                Ok(request) => match self.clone().dispatch(request, Some(&mut stream)).await {
                    Ok(value) => Line::Ok(value),
                    Err(e) => Line::Error(e.to_string()),
                },
            },
        };
        let _ = write_line(&mut stream, &reply).await;
    }

    /// Runs one command. With a client `stream`, events go to it and long
    /// operations reply when done; without (HTTP), logs come back as a list
    /// and long operations reply `{"operation": id}` at once, their events
    /// going to the event stream.
    pub(crate) async fn dispatch(
        self: Arc<Self>,
        request: Request,
        stream: Option<&mut UnixStream>,
    ) -> Result<serde_json::Value, ApiError> {
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| ApiError::Protocol(e.to_string()))
        };
        request.check_names()?;
        match request {
            Request::Version => json(serde_json::to_value(VersionInfo {
                berth: env!("CARGO_PKG_VERSION").to_string(),
                docker_api: self.apps.engine().api_version(),
            })),
            Request::Apps => {
                let mut services = self.apps.engine().status_all().await?;
                let out: Vec<AppInfo> = self
                    .apps
                    .store()
                    .apps()?
                    .into_iter()
                    .map(|record| {
                        let found = services.remove(&record.id).unwrap_or_default();
                        let open = self.apps.open_address(&record);
                        app_info(record, found, open)
                    })
                    .collect();
                json(serde_json::to_value(out))
            }
            Request::Status { app } => json(serde_json::to_value(self.app_info(&app).await?)),
            Request::Ops { limit } => {
                let ops = self
                    .apps
                    .store()
                    .recent_operations(limit.unwrap_or(20) as usize)?;
                json(serde_json::to_value(
                    ops.into_iter().map(operation_info).collect::<Vec<_>>(),
                ))
            }
            Request::Logs {
                app,
                service,
                tail,
                follow,
            } => self.logs(&app, service, tail, follow, stream).await,
            Request::Install(args) => {
                let app = match (&args.app_id, &args.catalog_app, &args.compose_file) {
                    (Some(id), _, _) | (None, Some(id), _) => id.clone(),
                    (None, None, Some(file)) => {
                        load_file(Path::new(file), &LoadOptions::default())?.name
                    }
                    (None, None, None) => {
                        return Err(ApiError::Protocol(
                            "install takes either composeFile or catalogApp".into(),
                        ))
                    }
                };
                self.run_operation(
                    app,
                    stream,
                    move |d| {
                        let request = d.install_request(args)?;
                        Ok(d.apps.begin_install(&request).map(|op| (op, request))?)
                    },
                    |d, op, request, progress| {
                        Box::pin(async move { d.apps.run_install(op, &request, progress).await })
                    },
                )
                .await
            }
            Request::Uninstall {
                app,
                purge_data,
                remove_images,
            } => {
                let options = UninstallOptions {
                    purge_data,
                    remove_images,
                };
                let name = app.clone();
                self.run_operation(
                    name,
                    stream,
                    move |d| Ok(d.apps.begin_uninstall(&app, options).map(|op| (op, app))?),
                    move |d, op, app, progress| {
                        Box::pin(
                            async move { d.apps.run_uninstall(op, &app, options, progress).await },
                        )
                    },
                )
                .await
            }
            Request::CatalogStores => json(serde_json::to_value(
                self.apps.catalogs().stores(self.apps.store())?,
            )),
            Request::CatalogAdd {
                location,
                key,
                name,
            } => {
                let added = self
                    .apps
                    .catalogs()
                    .add(
                        self.apps.store(),
                        &location,
                        key.as_deref(),
                        name.as_deref(),
                    )
                    .await?;
                json(serde_json::to_value(added))
            }
            Request::CatalogRemove { name } => {
                self.apps.catalogs().remove(self.apps.store(), &name)?;
                Ok(serde_json::Value::Null)
            }
            Request::CatalogRefresh { name } => {
                let outcomes = self
                    .apps
                    .catalogs()
                    .refresh(self.apps.store(), name.as_deref())
                    .await?;
                json(serde_json::to_value(outcomes))
            }
            Request::CatalogApps { category } => json(serde_json::to_value(
                self.apps.catalogs().list(category.as_deref()),
            )),
            Request::CatalogSearch { query } => {
                json(serde_json::to_value(self.apps.catalogs().search(&query)))
            }
            Request::CatalogShow { app, store } => {
                let (store, found) = self.apps.catalogs().find(&app, store.as_deref())?;
                json(serde_json::to_value(CatalogAppInfo {
                    store,
                    files: found.files.keys().cloned().collect(),
                    meta: found.meta,
                }))
            }
            Request::Secrets { app } => {
                if self.apps.store().app(&app)?.is_none() {
                    return Err(berth_engine::Error::NotInstalled { app }.into());
                }
                json(serde_json::to_value(self.apps.store().secrets(&app)?))
            }
            Request::Updates { refresh } => {
                let cached = self.updates.lock().await.clone();
                let (checked_at, apps) = match cached {
                    Some(found) if !refresh => found,
                    _ => self.check_updates().await?,
                };
                json(serde_json::to_value(UpdatesInfo {
                    checked_at: Some(checked_at),
                    apps,
                }))
            }
            Request::Update {
                app,
                compose_file,
                consent,
            } => {
                let target = match compose_file {
                    Some(file) => UpdateTarget::Compose(PathBuf::from(file)),
                    None => UpdateTarget::Latest,
                };
                self.update(app, target, consent, stream).await
            }
            Request::Rollback { app, to } => {
                self.update(app, UpdateTarget::Snapshot(to), false, stream)
                    .await
            }
            Request::Snapshots { app } => {
                if self.apps.store().app(&app)?.is_none() && self.apps.snapshots(&app)?.is_empty() {
                    return Err(berth_engine::Error::NotInstalled { app }.into());
                }
                let list: Vec<SnapshotInfo> = self
                    .apps
                    .snapshots(&app)?
                    .into_iter()
                    .map(|s| SnapshotInfo {
                        bytes: s.bytes(),
                        id: s.id,
                        created_at: s.created_at,
                        reason: s.reason,
                        source: s.record.source,
                        images: s.images.into_iter().map(|i| i.reference).collect(),
                    })
                    .collect();
                json(serde_json::to_value(list))
            }
            Request::ImagesPrune {
                older_than_days,
                dry_run,
            } => {
                let options = PruneOptions {
                    older_than: older_than_days
                        .map(|d| std::time::Duration::from_secs(u64::from(d) * 86_400)),
                    dry_run,
                };
                json(serde_json::to_value(self.apps.prune_images(options).await?))
            }
            Request::System => json(serde_json::to_value(
                system(self.apps.engine(), self.apps.home()).await?,
            )),
            Request::Stats { app } => {
                let apps = match app {
                    Some(app) => {
                        self.installed(&app)?;
                        vec![app]
                    }
                    None => self
                        .apps
                        .store()
                        .apps()?
                        .into_iter()
                        .map(|a| a.id)
                        .collect(),
                };
                let engine = self.apps.engine();
                let taken =
                    futures_util::future::join_all(apps.iter().map(|a| engine.app_stats(a)))
                        .await
                        .into_iter()
                        .collect::<Result<Vec<_>, _>>()?;
                json(serde_json::to_value(taken))
            }
            Request::StatsHistory { app } => {
                self.installed(&app)?;
                let samples = self
                    .history
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&app);
                json(serde_json::to_value(samples))
            }
            Request::LogSearch {
                app,
                service,
                query,
                tail,
            } => {
                self.installed(&app)?;
                let lines = self
                    .apps
                    .engine()
                    .search_logs(
                        &app,
                        service.as_deref(),
                        &query,
                        tail.map(|t| t as usize),
                        None,
                    )
                    .await?;
                json(serde_json::to_value(lines))
            }
            Request::Diagnose { app, out } => {
                self.installed(&app)?;
                let out = match out {
                    Some(path) => PathBuf::from(path),
                    None => self.diagnostics_path(&app)?,
                };
                json(serde_json::to_value(self.apps.diagnose(&app, &out).await?))
            }
            Request::Limits {
                app,
                cpus,
                memory,
                memory_swap,
                pids,
            } => {
                let change = ServiceLimits {
                    cpus,
                    memory,
                    memory_swap,
                    pids,
                };
                let report = self
                    .exclusive(&app, self.apps.set_limits(&app, change))
                    .await?;
                json(serde_json::to_value(LimitsChanged {
                    operation: report.operation,
                    limits: limits_info(report.limits),
                    services: report
                        .services
                        .into_iter()
                        .map(|s| {
                            let applied = serde_json::to_value(s.applied)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default();
                            (s.service, applied)
                        })
                        .collect(),
                }))
            }
            Request::Disk { app } => {
                self.installed(&app)?;
                let usage = self.apps.disk_usage(&app).await?;
                json(serde_json::to_value(self.disk_info(usage, false).await))
            }
            Request::DiskCap { app, bytes } => {
                self.installed(&app)?;
                let report = self
                    .exclusive(&app, self.apps.set_disk_cap(&app, bytes, &mut |_| {}))
                    .await?;
                json(serde_json::to_value(
                    self.disk_info(report.usage, report.restarted).await,
                ))
            }
            Request::DownloadSize { catalog_app, store } => json(serde_json::to_value(
                self.apps
                    .catalog_download_size(&self.registry, &catalog_app, store.as_deref())
                    .await?,
            )),
            Request::Start { app } => self.power(app, Power::Start, stream).await,
            Request::Stop { app } => self.power(app, Power::Stop, stream).await,
            Request::Restart { app } => self.power(app, Power::Restart, stream).await,
        }
    }

    /// Marks `app` busy: refused while another operation on it runs.
    fn claim(&self, app: &str) -> Result<(), ApiError> {
        if self.busy.lock().expect("busy set").insert(app.to_string()) {
            Ok(())
        } else {
            Err(ApiError::Remote(format!(
                "an operation on {app} is already running; wait for it to finish"
            )))
        }
    }

    fn release(&self, app: &str) {
        self.busy.lock().expect("busy set").remove(app);
    }

    /// Runs `work` on `app` alone: refused while another operation on it runs.
    async fn exclusive<T>(
        &self,
        app: &str,
        work: impl std::future::Future<Output = berth_engine::Result<T>>,
    ) -> Result<T, ApiError> {
        self.claim(app)?;
        let out = work.await;
        self.release(app);
        Ok(out?)
    }

    async fn disk_info(&self, usage: berth_engine::apps::DiskUsage, restarted: bool) -> AppDisk {
        let uncapped = match self.apps.engine().writable_layer_uncapped().await {
            Ok(note) => note,
            Err(e) => Some(format!("cannot tell what the storage driver caps: {e}")),
        };
        AppDisk {
            used: usage.used,
            cap: usage.cap,
            near_full: usage.near_full,
            uncapped,
            restarted,
        }
    }

    /// Refuses an app that is not installed.
    fn installed(&self, app: &str) -> Result<(), ApiError> {
        match self.apps.store().app(app)? {
            Some(_) => Ok(()),
            None => Err(berth_engine::Error::NotInstalled {
                app: app.to_string(),
            }
            .into()),
        }
    }

    /// Where a diagnostics bundle of `app` goes by default:
    /// `<home>/diagnostics/<app>-<time>.tar.gz`, the folder owner-only.
    pub(crate) fn diagnostics_path(&self, app: &str) -> Result<PathBuf, ApiError> {
        let dir = self.apps.home().join("diagnostics");
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let stamp = berth_engine::store::now_ms() / 1000;
        Ok(dir.join(format!("{app}-{stamp}.tar.gz")))
    }

    /// Checks every app for updates and keeps the answer for `updates`.
    pub(crate) async fn check_updates(&self) -> Result<(i64, Vec<AppUpdate>), ApiError> {
        let found = self.apps.check_updates(&self.registry).await?;
        let checked = (berth_engine::store::now_ms(), found);
        *self.updates.lock().await = Some(checked.clone());
        Ok(checked)
    }

    async fn update(
        self: Arc<Self>,
        app: String,
        target: UpdateTarget,
        consent: bool,
        stream: Option<&mut UnixStream>,
    ) -> Result<serde_json::Value, ApiError> {
        let name = app.clone();
        // The plan is made (and the disk checked) before the operation is
        // recorded, so a refusal leaves no trace but its message.
        // The app stays busy from planning to the end, so no other
        // operation can slip in between.
        self.claim(&app)?;
        let (op, plan) = match self.apps.begin_update(&app, &target, consent).await {
            Ok(begun) => begun,
            Err(e) => {
                self.release(&app);
                return Err(e.into());
            }
        };
        self.clone()
            .run_held(
                name,
                stream,
                move |_| Ok((op, plan)),
                |d, op, plan, progress| {
                    Box::pin(async move {
                        d.apps.run_update(op, &plan, progress).await?;
                        // Only once it is done (a failed update leaves the
                        // offer standing): after an update what was
                        // available is no longer; after a rollback the newer
                        // version is on offer again, so check anew.
                        if plan.restore.is_some() {
                            let daemon = d.clone();
                            tokio::spawn(async move {
                                if let Err(e) = daemon.check_updates().await {
                                    eprintln!("berth: update check after a rollback: {e}");
                                }
                            });
                        } else if let Some((_, list)) = d.updates.lock().await.as_mut() {
                            list.retain(|u| u.app != plan.app);
                        }
                        Ok(())
                    })
                },
            )
            .await
    }

    async fn power(
        self: Arc<Self>,
        app: String,
        power: Power,
        stream: Option<&mut UnixStream>,
    ) -> Result<serde_json::Value, ApiError> {
        let name = app.clone();
        self.run_operation(
            name,
            stream,
            move |d| Ok(d.apps.begin_power(&app, power).map(|op| (op, app))?),
            move |d, op, app, progress| {
                Box::pin(async move { d.apps.run_power(op, &app, power, progress).await })
            },
        )
        .await
    }

    /// Runs one operation on `app` in its own task, forwarding its events to
    /// the client; replies with the finished operation.
    async fn run_operation<T: Send + 'static>(
        self: Arc<Self>,
        app: String,
        stream: Option<&mut UnixStream>,
        begin: impl FnOnce(&Daemon) -> Result<(i64, T), ApiError>,
        run: impl FnOnce(
                Arc<Daemon>,
                i64,
                T,
                &mut (dyn FnMut(Progress) + Send),
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = berth_engine::Result<()>> + Send + '_>,
            > + Send
            + 'static,
    ) -> Result<serde_json::Value, ApiError> {
        self.claim(&app)?;
        self.run_held(app, stream, begin, run).await
    }

    /// [`Daemon::run_operation`] for a caller already holding `app` in the
    /// busy set; it is released when the operation ends (or fails to begin).
    async fn run_held<T: Send + 'static>(
        self: Arc<Self>,
        app: String,
        stream: Option<&mut UnixStream>,
        begin: impl FnOnce(&Daemon) -> Result<(i64, T), ApiError>,
        run: impl FnOnce(
                Arc<Daemon>,
                i64,
                T,
                &mut (dyn FnMut(Progress) + Send),
            ) -> std::pin::Pin<
                Box<dyn std::future::Future<Output = berth_engine::Result<()>> + Send + '_>,
            > + Send
            + 'static,
    ) -> Result<serde_json::Value, ApiError> {
        let begun = begin(&self);
        let (op, payload) = match begun {
            Ok(x) => x,
            Err(e) => {
                self.release(&app);
                return Err(e);
            }
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<Line>();
        let broadcast = self.events.clone();
        let app_name = app.clone();
        let send = move |mut line: Line| {
            if let Line::Event(e) = &mut line {
                e.app = Some(app_name.clone());
                let _ = broadcast.send(e.clone());
            }
            let _ = tx.send(line);
        };
        send(event(Some(op), EventKind::Accepted));
        let daemon = self.clone();
        let task = tokio::spawn(async move {
            let mut progress = |p: Progress| send(progress_event(op, p));
            let result = run(daemon.clone(), op, payload, &mut progress).await;
            daemon.release(&app);
            let record = daemon.apps.store().operation(op).ok().flatten();
            send(event(
                Some(op),
                EventKind::Finished {
                    outcome: record.as_ref().and_then(|r| r.outcome.clone()),
                    error: result.as_ref().err().map(|e| e.to_string()),
                },
            ));
            result
        });
        let Some(stream) = stream else {
            // Detached (HTTP): the operation runs on; its events go to the event stream.
            drop(rx);
            return Ok(serde_json::json!({ "operation": op }));
        };
        // Forward events while the operation runs; a client that leaves does not stop it.
        let mut client_gone = false;
        while let Some(line) = rx.recv().await {
            if matches!(
                &line,
                Line::Event(Event {
                    kind: EventKind::Finished { .. },
                    ..
                })
            ) {
                continue;
            }
            if !client_gone && write_line(stream, &line).await.is_err() {
                client_gone = true;
            }
        }
        task.await
            .map_err(|e| ApiError::Remote(format!("the operation crashed: {e}")))??;
        let record =
            self.apps.store().operation(op)?.ok_or_else(|| {
                ApiError::Remote(format!("operation {op} vanished from the store"))
            })?;
        serde_json::to_value(operation_info(record)).map_err(|e| ApiError::Protocol(e.to_string()))
    }

    fn install_request(&self, args: InstallArgs) -> Result<InstallRequest, ApiError> {
        let limits = ServiceLimits {
            cpus: args.cpus,
            memory: args.memory,
            pids: args.pids,
            memory_swap: None,
        };
        match (args.compose_file, args.catalog_app) {
            (Some(file), None) => {
                let compose_file = PathBuf::from(file);
                let app_id = match args.app_id {
                    Some(id) => id,
                    None => load_file(&compose_file, &LoadOptions::default())?.name,
                };
                Ok(InstallRequest {
                    compose_file,
                    app_id,
                    settings: args.settings,
                    limits,
                    consent: args.consent,
                    source: None,
                })
            }
            (None, Some(app)) => Ok(self.apps.prepare_catalog_install(&CatalogInstall {
                app,
                store: args.store,
                id: args.app_id,
                settings: args.settings,
                limits,
                consent: args.consent,
            })?),
            _ => Err(ApiError::Protocol(
                "install takes either composeFile or catalogApp".into(),
            )),
        }
    }

    async fn app_info(&self, app: &str) -> Result<AppInfo, ApiError> {
        let record = self.apps.store().app(app)?.ok_or_else(|| {
            ApiError::from(berth_engine::Error::NotInstalled {
                app: app.to_string(),
            })
        })?;
        let services = self.apps.engine().status(app).await?;
        let open = self.apps.open_address(&record);
        Ok(app_info(record, services, open))
    }

    async fn logs(
        &self,
        app: &str,
        service: Option<String>,
        tail: Option<u32>,
        follow: bool,
        mut stream: Option<&mut UnixStream>,
    ) -> Result<serde_json::Value, ApiError> {
        if stream.is_none() && follow {
            return Err(ApiError::Protocol(
                "follow needs a streaming client; ask for the last lines instead".into(),
            ));
        }
        let services: Vec<String> = match service {
            Some(s) => vec![s],
            None => self
                .apps
                .load_rendered(app)?
                .services()
                .map(|(n, _)| n.to_string())
                .collect(),
        };
        let engine = self.apps.engine();
        let streams = services.iter().map(|s| {
            engine
                .logs(app, s, tail.map(|t| t as usize), follow)
                .boxed()
        });
        let mut merged = futures_util::stream::select_all(streams);
        let mut collected = Vec::new();
        while let Some(line) = merged.next().await {
            let LogLine {
                service,
                stream: which,
                text,
            } = line?;
            let out = event(
                None,
                EventKind::Log {
                    service,
                    stream: which.to_string(),
                    text,
                },
            );
            match stream.as_deref_mut() {
                Some(stream) => {
                    if write_line(stream, &out).await.is_err() {
                        break;
                    }
                }
                None => collected.push(out),
            }
        }
        Ok(serde_json::Value::Array(
            collected
                .into_iter()
                .filter_map(|l| match l {
                    Line::Event(e) => serde_json::to_value(e).ok(),
                    _ => None,
                })
                .collect(),
        ))
    }
}

/// An app as clients see it: its record and its services' states.
fn app_info(record: AppRecord, services: Vec<ServiceStatus>, open: Option<OpenAddress>) -> AppInfo {
    let services = services
        .into_iter()
        .map(|s| {
            let (state, exit_code) = match s.state {
                ServiceState::Exited { code } => ("exited".to_string(), Some(code)),
                ServiceState::Other { engine_state } => (engine_state, None),
                other => (
                    serde_json::to_value(&other)
                        .ok()
                        .and_then(|v| v["state"].as_str().map(str::to_string))
                        .unwrap_or_default(),
                    None,
                ),
            };
            ServiceInfo {
                service: s.service,
                container: s.container,
                image: s.image,
                state,
                exit_code,
                oom_killed: s.oom_killed,
                message: s.message,
            }
        })
        .collect();
    let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
    AppInfo {
        id: record.id,
        state: record.state,
        source: record.source,
        services,
        open_port: open.as_ref().map(|o| o.port),
        open_path: open.map(|o| o.path),
        limits: limits_info(limits),
    }
}

fn limits_info(l: ServiceLimits) -> LimitsInfo {
    LimitsInfo {
        cpus: l.cpus,
        memory: l.memory,
        memory_swap: l.memory_swap,
        pids: l.pids,
    }
}
