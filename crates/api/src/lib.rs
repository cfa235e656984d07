//! Berth's transports: the engine's service declares the commands
//! ([`Request`]), their replies and the progress [`Event`]s long operations
//! stream (all serde + specta types, re-exported here); this crate carries
//! them. The daemon (`berth serve`) owns the
//! engine and the store and serves the commands on `<home>/berth.sock`
//! (mode 0600: root-only when the daemon runs as root) as JSON lines; the CLI
//! is a [`Client`] of it. It also serves them over HTTP to browsers, behind
//! a login, with the bundled web UI (`http.rs`, `auth.rs`), and, when asked,
//! runs the reverse proxy that serves each app by its own name (`proxy.rs`),
//! announces those names over mDNS (`mdns.rs`) and, when asked, answers
//! them to DNS clients (`dns.rs`).
//!
//! ```no_run
//! use berth_api::{args, AppInfo, Client};
//!
//! let client = Client::new("/var/lib/berth".as_ref());
//! let apps: Vec<AppInfo> = client.call(&args::Apps {}.into(), |_event| {}).unwrap();
//! ```

mod acme;
mod auth;
mod client;
mod dns;
mod error;
mod gate;
pub mod home;
mod hosts;
mod http;
mod mdns;
mod owner;
mod protocol;
mod proxy;
mod socket;

pub use berth_engine::model::{AppId, ServiceName, ShareName, SnapshotId, StoreAppId, StoreName};
pub use berth_engine::service::{
    args, AppDisk, AppInfo, AppSource, AppState, CatalogAppInfo, CommandKind, ErrorCode, Event,
    EventKind, Failure, FailureDetails, LimitsApplied, LimitsChanged, LimitsInfo, OperationInfo,
    OperationKind, Outcome, OwnershipFixed, Picture, Replies, Request, ServiceInfo, ShareInfo,
    SnapshotInfo, Started, UpdatesInfo, VersionInfo, COMMANDS,
};
pub use client::Client;
pub use dns::DnsOptions;
pub use error::ApiError;
pub use http::{HTTP_ONLY_ROUTES, OPEN_ROUTES, SETUP_CODE_FILE, STORE_UPLOAD_LIMIT};
pub use owner::{
    serve, Owner, ProxyOptions, Web, DEFAULT_LISTEN, DEFAULT_PROXY_LISTEN,
    DEFAULT_PROXY_TLS_LISTEN, DNS_ADDR_FILE, HTTP_ADDR_FILE, PROXY_ADDR_FILE, PROXY_TLS_ADDR_FILE,
};
pub use socket::SOCKET_NAME;
