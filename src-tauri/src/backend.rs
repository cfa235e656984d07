//! Where the desktop app's commands go: an engine it owns in-process (the
//! single writer of its home), or — when `berth serve` already owns the
//! home — that daemon, as a client of its socket. Either way every
//! operation's events reach the window as the `berth-event` Tauri event.

use std::path::PathBuf;
use std::sync::Arc;

use berth_api::{Client, CommandKind, Event, EventKind, OperationInfo, Owner, Request};
use serde::de::DeserializeOwned;
use tauri::{AppHandle, Emitter};

/// The Tauri event every operation event is emitted as.
pub const EVENT: &str = "berth-event";

pub enum Backend {
    /// The engine runs here.
    InProcess(Arc<Owner>),
    /// `berth serve` owns the home; commands go to its socket.
    Client { home: PathBuf, app: AppHandle },
}

impl Backend {
    /// Runs a command; long operations answer `{"operation": id}` at once.
    pub async fn call<R: DeserializeOwned>(&self, request: Request) -> Result<R, String> {
        let value = match self {
            Backend::InProcess(owner) => owner.call(request).await.map_err(|e| e.to_string())?,
            Backend::Client { home, app } => {
                client_call(home.clone(), app.clone(), request).await?
            }
        };
        serde_json::from_value(value)
            .map_err(|e| format!("Berth answered something unexpected ({e})"))
    }

    pub fn describe(&self) -> String {
        match self {
            Backend::InProcess(_) => "in-process".into(),
            Backend::Client { home, .. } => {
                format!("connected to berth serve ({})", home.display())
            }
        }
    }
}

/// A command through the daemon's socket. The socket streams an operation's
/// events until it ends; the window gets the id at once and the events as
/// they come.
async fn client_call(
    home: PathBuf,
    app: AppHandle,
    request: Request,
) -> Result<serde_json::Value, String> {
    let operation = match request.kind() {
        CommandKind::Operation => true,
        CommandKind::Immediate => false,
        // The socket would stream until the window left; a Tauri command
        // answers once, as in-process.
        CommandKind::Stream => {
            return Err("follow needs a streaming client; ask for the last lines instead".into())
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<serde_json::Value, String>>();
    std::thread::spawn(move || {
        let client = Client::new(&home);
        let mut tx = Some(tx);
        let mut app_name = None;
        let result = client.call::<serde_json::Value>(&request, |event: Event| {
            if let (true, EventKind::Accepted, Some(op)) = (operation, &event.kind, event.operation)
            {
                app_name = event.app.clone();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(Ok(serde_json::json!({ "operation": op })));
                }
            }
            let _ = app.emit(EVENT, &event);
        });
        if operation {
            let (outcome, error, op) = match &result {
                Ok(v) => {
                    let info: Option<OperationInfo> = serde_json::from_value(v.clone()).ok();
                    (
                        info.as_ref().and_then(|i| i.outcome.clone()),
                        None,
                        info.map(|i| i.id),
                    )
                }
                Err(e) => (Some("failed".into()), Some(e.to_string()), None),
            };
            let _ = app.emit(
                EVENT,
                Event {
                    operation: op,
                    app: app_name,
                    kind: EventKind::Finished { outcome, error },
                },
            );
        }
        if let Some(tx) = tx.take() {
            let _ = tx.send(result.map_err(|e| e.to_string()));
        }
    });
    rx.await
        .map_err(|_| "the call to berth serve ended without an answer".to_string())?
}
