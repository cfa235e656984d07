//! Where the desktop app's commands go: an engine it owns in-process (the
//! single writer of its home), or — when `berth serve` already owns the
//! home — that daemon, as a client of its socket. Either way every
//! operation's events reach the window as the `berth-event` Tauri event.

use std::path::PathBuf;
use std::sync::Arc;

use berth_api::{
    args, ApiError, Client, CommandKind, ErrorCode, Event, EventKind, Failure, OperationInfo,
    Owner, Picture, Request, StoreAppId, StoreName,
};
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
    pub async fn call(&self, request: Request) -> Result<serde_json::Value, Failure> {
        match self {
            Backend::InProcess(owner) => owner.call(request).await.map_err(|e| e.failure()),
            Backend::Client { home, app } => client_call(home.clone(), app.clone(), request).await,
        }
    }

    /// [`Backend::call`] with the reply read as `R` (for the app's own uses, e.g. the tray).
    pub async fn call_as<R: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<R, Failure> {
        let value = self.call(request).await?;
        serde_json::from_value(value).map_err(|e| {
            Failure::new(
                ErrorCode::Failed,
                format!("Berth answered something unexpected ({e})"),
            )
        })
    }

    /// Where the window's store pictures come from, to be read off the UI thread.
    pub fn picture_source(&self) -> PictureSource {
        match self {
            Backend::InProcess(owner) => PictureSource::InProcess(owner.clone()),
            Backend::Client { home, .. } => PictureSource::Client(home.clone()),
        }
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

/// The engine here, or the home whose `berth serve` has the pictures.
pub enum PictureSource {
    InProcess(Arc<Owner>),
    Client(PathBuf),
}

impl PictureSource {
    /// A store app's picture and its content type (blocking: call it off the UI thread).
    pub fn picture(&self, store: &str, app: &str, file: &str) -> Option<(String, Vec<u8>)> {
        match self {
            PictureSource::InProcess(owner) => owner
                .store_picture(store, app, file)
                .map(|(kind, bytes)| (kind.to_string(), bytes)),
            PictureSource::Client(home) => {
                let request = Request::from(args::CatalogPicture {
                    store: StoreName::new(store).ok()?,
                    app: StoreAppId::new(app).ok()?,
                    file: file.to_string(),
                });
                let picture: Picture = Client::new(home).call(&request, |_| {}).ok()?;
                let bytes = picture.bytes()?;
                Some((picture.content_type, bytes))
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
) -> Result<serde_json::Value, Failure> {
    let operation = match request.kind() {
        CommandKind::Operation => true,
        // A job is waited for, as in-process; its events still reach the window.
        CommandKind::Immediate | CommandKind::Job => false,
        // The socket would stream until the window left; a Tauri command
        // answers once, as in-process.
        CommandKind::Stream => {
            return Err(Failure::new(
                ErrorCode::Invalid,
                "following logs needs a streaming client; ask for the last lines instead",
            ))
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<serde_json::Value, Failure>>();
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
            // The socket ends an operation with its record, not a
            // `finished` event: make one, as the in-process event stream has.
            let (outcome, error, op) = match &result {
                Ok(v) => {
                    let info: Option<OperationInfo> = serde_json::from_value(v.clone()).ok();
                    (
                        info.as_ref().and_then(|i| i.outcome),
                        None,
                        info.map(|i| i.id),
                    )
                }
                Err(e) => (Some(berth_api::Outcome::Failed), Some(e.to_string()), None),
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
            let _ = tx.send(result.map_err(|e: ApiError| e.failure()));
        }
    });
    rx.await.map_err(|_| {
        Failure::new(
            ErrorCode::Unavailable,
            "the call to berth serve ended without an answer",
        )
    })?
}
