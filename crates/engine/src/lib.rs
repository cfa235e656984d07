//! The Berth engine: everything Berth knows about compose files and this host.
//!
//! It reads an app's compose file the way `docker compose` reads it (parse,
//! interpolate, normalize to the canonical model that `docker compose config`
//! prints), reports what the app asks of the host (policy), and rewrites it for
//! this home server (data folders, ports, environment, labels, limits).
//! Shells — the CLI, the daemon, the desktop app — only adapt transports.
//!
//! ```no_run
//! use berth_engine::compose::{load_file, LoadOptions};
//!
//! let project = load_file("compose.yml".as_ref(), &LoadOptions::from_process_env()).unwrap();
//! for (name, service) in project.services() {
//!     println!("{name}: {}", service.get("image").and_then(|v| v.as_str()).unwrap_or("(built)"));
//! }
//! ```

pub mod apps;
pub mod backup;
pub mod catalog;
pub mod compose;
pub mod db;
mod error;
pub mod host;
mod http;
pub mod lifecycle;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod proxy;
pub mod registry;
pub mod rewrite;
pub mod service;
pub mod shares;

pub use error::Error;

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
