//! Berth's API: one list of typed commands ([`Request`]), their replies and
//! the progress [`Event`]s long operations stream — all serde + specta types
//! — and the transports that carry them. The daemon (`berth serve`) owns the
//! engine and the store and serves the commands on `<home>/berth.sock`
//! (mode 0600: root-only when the daemon runs as root) as JSON lines; the CLI
//! is a [`Client`] of it. It also serves them over HTTP to browsers, behind
//! a login, with the bundled web UI (`http.rs`, `auth.rs`).
//!
//! ```no_run
//! use berth_api::{Client, Request, AppInfo};
//!
//! let client = Client::new("/var/lib/berth".as_ref());
//! let apps: Vec<AppInfo> = client.call(&Request::Apps, |_event| {}).unwrap();
//! ```

mod auth;
mod client;
mod commands;
mod error;
pub mod home;
mod hosts;
mod http;
mod mime;
mod owner;
mod server;

pub use client::Client;
pub use commands::{
    AppDisk, AppInfo, CatalogAppInfo, CommandKind, Event, EventKind, InstallArgs, LimitsChanged,
    LimitsInfo, OperationInfo, Request, ServiceInfo, SnapshotInfo, UpdatesInfo, VersionInfo,
    COMMANDS,
};
pub use error::ApiError;
pub use http::{HTTP_ONLY_ROUTES, OPEN_ROUTES, SETUP_CODE_FILE, STORE_UPLOAD_LIMIT};
pub use owner::{serve, Owner, DEFAULT_LISTEN, HTTP_ADDR_FILE};
pub use server::SOCKET_NAME;
