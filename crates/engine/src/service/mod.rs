//! The service: Berth's commands carried out for any client. It owns the
//! apps (engine, store, stores of apps), the registry client, the last
//! update check, the stats history and which apps are busy; long work runs
//! as an [`Operation`] in its own task, so it finishes even when the client
//! that asked goes away. The transports (`berth-api`: unix socket, HTTP,
//! the desktop's IPC) only carry [`Request`]s in and [`Answer`]s out.
//!
//! A command is declared once, in `commands.rs` (name, arguments, reply,
//! kind), and implemented once, as the method of the same name in
//! `handlers/`.

mod commands;
mod failure;
mod handlers;
mod paths;
mod replies;

use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use crate::apps::{AppUpdate, Apps, Progress};
use crate::metrics::StatsHistory;
use crate::registry::Registry;
use crate::{Error, Result};

pub use commands::{args, CommandKind, Replies, Request, COMMANDS};
pub use failure::{ErrorCode, Failure, FailureDetails};
pub use replies::*;

/// What the service keeps while it runs. [`Service::run`] carries out one
/// command.
pub struct Service {
    apps: Apps,
    /// Apps with an operation running.
    busy: BusySet,
    /// Every operation's progress, for the event streams.
    events: broadcast::Sender<Event>,
    /// Asks registries about tags and layers.
    registry: Registry,
    /// The last update check: when (ms), and what it found.
    updates: tokio::sync::Mutex<Option<(i64, Vec<AppUpdate>)>>,
    /// What each app used lately, as [`crate::metrics::sample_forever`] samples it.
    history: Arc<Mutex<StatsHistory>>,
    /// Berth's own smbd, for the shares offered over SMB.
    smb: crate::shares::Smb,
    /// How "Open" reaches apps by name, when the reverse proxy is on.
    open_by_name: std::sync::RwLock<Option<crate::proxy::OpenByName>>,
    /// The ACME certificate's state, when the proxy asks for one.
    acme: std::sync::RwLock<Option<Arc<crate::proxy::acme::Acme>>>,
    https_problem: std::sync::RwLock<Option<String>>,
}

/// How a command answers, by its [`CommandKind`].
pub enum Answer {
    /// The reply, once the work is done.
    Value(serde_json::Value),
    /// A long operation, running in its own task: a client may follow its
    /// events and wait for it, or take its id and leave.
    Operation(Operation),
    /// A shorter journaled operation the client waits for (its reply is the
    /// value); it also runs in its own task, so it ends even if the client
    /// leaves.
    Job(Operation),
    /// Events until the client leaves (dropping the receiver stops it).
    Stream(mpsc::UnboundedReceiver<Result<Event>>),
}

/// The apps with an operation running.
#[derive(Clone, Default)]
struct BusySet(Arc<Mutex<HashSet<String>>>);

impl BusySet {
    /// Marks `app` busy: refused while another operation on it runs.
    fn claim(&self, app: &str) -> Result<Busy> {
        if self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(app.to_string())
        {
            Ok(Busy {
                set: self.0.clone(),
                app: app.to_string(),
            })
        } else {
            Err(Error::Busy {
                app: app.to_string(),
            })
        }
    }
}

/// An app marked busy; the mark goes when this is dropped — at the end of
/// the operation, on an early error, on a panic, or when a client's request
/// is cancelled before its operation began.
pub struct Busy {
    set: Arc<Mutex<HashSet<String>>>,
    app: String,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.app);
    }
}

/// Sends one operation's events to its client and to every event stream.
#[derive(Clone)]
pub struct Reporter {
    operation: i64,
    app: String,
    client: mpsc::UnboundedSender<Event>,
    everyone: broadcast::Sender<Event>,
}

impl Reporter {
    pub fn send(&self, kind: EventKind) {
        let event = Event {
            operation: Some(self.operation),
            app: Some(self.app.clone()),
            kind,
        };
        let _ = self.everyone.send(event.clone());
        let _ = self.client.send(event);
    }

    /// The engine's progress callback, turned into events.
    pub fn progress(&self) -> impl FnMut(Progress) + Send + '_ {
        move |p| self.send(progress_event(p))
    }
}

fn progress_event(p: Progress) -> EventKind {
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
    }
}

/// An operation running in its own task.
pub struct Operation {
    pub id: i64,
    pub app: String,
    events: mpsc::UnboundedReceiver<Event>,
    task: tokio::task::JoinHandle<Result<serde_json::Value>>,
}

impl Operation {
    /// A job that had nothing to do: no events, `value` its answer.
    pub fn ready(app: String, value: impl Serialize) -> Result<Self> {
        let value = to_json(value)?;
        let (_, events) = mpsc::unbounded_channel();
        Ok(Operation {
            id: 0,
            app,
            events,
            task: tokio::spawn(async move { Ok(value) }),
        })
    }

    /// Its next progress event (`accepted` first); `None` once it ended.
    /// The `finished` event goes to the event streams only: a waiting
    /// client gets [`Operation::finish`]'s answer instead.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            let event = self.events.recv().await?;
            if !matches!(event.kind, EventKind::Finished { .. }) {
                return Some(event);
            }
        }
    }

    /// Waits for its end: the finished operation (or a job's reply), or why it failed.
    pub async fn finish(self) -> Result<serde_json::Value> {
        self.task.await.map_err(|e| Error::Internal {
            message: e.to_string(),
        })?
    }
}

fn to_json(value: impl Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal {
        message: format!("a reply did not serialize: {e}"),
    })
}

impl Service {
    pub fn new(apps: Apps) -> Self {
        Service {
            smb: crate::shares::Smb::new(apps.home()),
            apps,
            busy: BusySet::default(),
            events: broadcast::channel(1024).0,
            registry: Registry::new(),
            updates: tokio::sync::Mutex::new(None),
            history: Arc::default(),
            open_by_name: Default::default(),
            acme: Default::default(),
            https_problem: Default::default(),
        }
    }

    /// Tells the service how apps are opened by name (the reverse proxy's
    /// names and ports), or that they are not (`None`): apps' `openUrl`.
    pub fn set_open_by_name(&self, open: Option<crate::proxy::OpenByName>) {
        *self.open_by_name.write().unwrap_or_else(|p| p.into_inner()) = open;
    }

    /// Tells the service about the proxy's ACME certificate (its status
    /// shows in `system`).
    pub fn set_acme(&self, acme: Option<Arc<crate::proxy::acme::Acme>>) {
        *self.acme.write().unwrap_or_else(|p| p.into_inner()) = acme;
    }

    /// Tells the service why the HTTPS proxy does not listen though it was
    /// asked to (its `SystemInfo.httpsProblem`).
    pub fn set_https_problem(&self, problem: Option<String>) {
        *self
            .https_problem
            .write()
            .unwrap_or_else(|p| p.into_inner()) = problem;
    }

    pub(crate) fn https_problem(&self) -> Option<String> {
        self.https_problem
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The ACME certificate's status, if one is asked for.
    pub(crate) fn acme_status(&self) -> Option<crate::proxy::acme::AcmeStatus> {
        self.acme
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|a| a.status())
    }

    /// Where an app named `name` opens by name, with `path`, if it does.
    pub(crate) fn open_url(&self, name: &str, path: &str) -> Option<String> {
        let base = self
            .open_by_name
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()?
            .url(name)?;
        Some(format!(
            "{base}{}",
            if path.starts_with('/') {
                path.to_string()
            } else {
                format!("/{path}")
            }
        ))
    }

    /// The apps (engine, store, stores of apps) this service runs.
    pub fn app_manager(&self) -> &Apps {
        &self.apps
    }

    /// Every operation's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The stats history, for the sampler to fill.
    pub fn history(&self) -> Arc<Mutex<StatsHistory>> {
        self.history.clone()
    }

    /// Marks `app` busy: refused while another operation on it runs.
    pub fn claim(&self, app: &str) -> Result<Busy> {
        self.busy.claim(app)
    }

    /// Settles the unfinished operations of apps that have none running,
    /// oldest first, with the code the crash tests exercise
    /// ([`Apps::settle_unfinished`]); stops at the first that cannot be
    /// settled yet (the engine is still away) and reports it once, not at
    /// every retry.
    pub async fn settle_idle(&self, last_error: &mut Option<String>) {
        // Share operations first: the apps' settling knows only app operations.
        if let Err(e) = self.apps.settle_ownership(|share| self.claim(share).ok()) {
            eprintln!("berth: cannot settle an interrupted change of owners: {e}");
        }
        match self
            .apps
            .settle_unfinished(|app| self.claim(app).ok())
            .await
        {
            Ok(settled) => {
                if !settled.is_empty() {
                    *last_error = None;
                }
                for op in settled {
                    eprintln!(
                        "berth: settled unfinished {} of {}: {}",
                        op.kind,
                        op.app,
                        op.outcome.unwrap_or_default()
                    );
                }
            }
            Err(e) => {
                let message = e.to_string();
                if last_error.as_deref() != Some(&message) {
                    eprintln!(
                        "berth: cannot settle an unfinished operation yet, will retry: {message}"
                    );
                    *last_error = Some(message);
                }
            }
        }
    }

    /// Starts SMB sharing if it is on, then keeps it in line every `every`
    /// (restarted if smbd died, reloaded when a share's drive comes or
    /// goes); runs until the daemon stops.
    pub async fn keep_smb(self: Arc<Self>, every: std::time::Duration) {
        let mut last_error = None;
        loop {
            let outcome = self
                .smb
                .apply(&self.apps)
                .await
                .err()
                .map(|e| e.to_string());
            if outcome != last_error {
                if let Some(e) = &outcome {
                    eprintln!("berth: {e}");
                }
                last_error = outcome;
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Stops Berth's smbd (the daemon is stopping; SMB stays on for the next start).
    pub async fn stop_smb(&self) {
        self.smb.stop().await;
    }

    /// Checks every app for updates and keeps the answer for `updates`.
    pub async fn check_updates(&self) -> Result<(i64, Vec<AppUpdate>)> {
        let found = self.apps.check_updates(&self.registry).await?;
        let checked = (crate::db::now_ms(), found);
        *self.updates.lock().await = Some(checked.clone());
        Ok(checked)
    }

    /// Where a diagnostics bundle of `app` goes by default:
    /// `<home>/diagnostics/<app>-<time>.tar.gz`, the folder owner-only.
    pub fn diagnostics_path(&self, app: &str) -> Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.apps.home().join("diagnostics");
        let write = |cause| Error::Write {
            path: dir.clone(),
            cause,
        };
        std::fs::create_dir_all(&dir).map_err(write)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(write)?;
        let stamp = crate::db::now_ms() / 1000;
        Ok(dir.join(format!("{app}-{stamp}.tar.gz")))
    }

    /// Runs a begun operation `op` on `app` (held by `busy`) in its own
    /// task; its answer is the finished operation.
    fn spawn_operation<F, Fut>(self: &Arc<Self>, busy: Busy, op: i64, run: F) -> Operation
    where
        F: FnOnce(Arc<Service>, Reporter) -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.spawn(busy, op, move |service, reporter| async move {
            run(service.clone(), reporter).await?;
            let record = service
                .apps
                .db()
                .operation(op)?
                .ok_or_else(|| Error::Internal {
                    message: format!("operation {op} vanished from the journal"),
                })?;
            to_json(OperationInfo::from(record))
        })
    }

    /// Runs a begun job `op` in its own task; its answer is what `run` returns.
    fn spawn_job<F, Fut, T>(self: &Arc<Self>, busy: Busy, op: i64, run: F) -> Operation
    where
        F: FnOnce(Arc<Service>, Reporter) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Serialize,
    {
        self.spawn(busy, op, move |service, reporter| async move {
            to_json(run(service, reporter).await?)
        })
    }

    fn spawn<F, Fut>(self: &Arc<Self>, busy: Busy, op: i64, run: F) -> Operation
    where
        F: FnOnce(Arc<Service>, Reporter) -> Fut + Send + 'static,
        Fut: Future<Output = Result<serde_json::Value>> + Send + 'static,
    {
        let (client, events) = mpsc::unbounded_channel();
        let app = busy.app.clone();
        let reporter = Reporter {
            operation: op,
            app: app.clone(),
            client,
            everyone: self.events.clone(),
        };
        reporter.send(EventKind::Accepted);
        let service = self.clone();
        let task = tokio::spawn(async move {
            let finisher = reporter.clone();
            let result = AssertUnwindSafe(run(service.clone(), reporter))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into());
                    Err(Error::Internal { message })
                });
            // Free before `finished` goes out: a client reacting to it may
            // start the next operation at once.
            drop(busy);
            let outcome = service
                .apps
                .db()
                .operation(op)
                .ok()
                .flatten()
                .and_then(|r| r.outcome.as_deref().and_then(Outcome::parse));
            finisher.send(EventKind::Finished {
                outcome,
                error: result.as_ref().err().map(|e| e.to_string()),
            });
            result
        });
        Operation {
            id: op,
            app,
            events,
            task,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_is_busy_until_its_mark_is_dropped() {
        let set = BusySet::default();
        let held = set.claim("a").unwrap();
        assert!(matches!(set.claim("a"), Err(Error::Busy { .. })));
        let other = set.claim("b").unwrap();
        drop(held);
        let again = set.claim("a").expect("released on drop");
        drop((again, other));
    }

    #[tokio::test]
    async fn a_panic_or_a_cancelled_request_frees_the_app() {
        let set = BusySet::default();
        // An operation's task that panics drops its mark as it unwinds.
        let busy = set.claim("a").unwrap();
        let crashed = tokio::spawn(async move {
            let _busy = busy;
            panic!("a bug in an operation");
        })
        .await;
        assert!(crashed.is_err());
        let busy = set.claim("a").expect("free after the panic");
        // A request dropped halfway (a closed browser tab) drops its mark too.
        let pending = async move {
            let _busy = busy;
            std::future::pending::<()>().await;
        };
        let cancelled = tokio::time::timeout(std::time::Duration::from_millis(10), pending).await;
        assert!(cancelled.is_err());
        set.claim("a").expect("free after the cancel");
    }
}
