//! The reverse proxy's routing: which app a request's `Host` names
//! ([`Names`]) and where that app's main service answers ([`Routes`]). The
//! HTTP serving itself is a transport's (`berth-api`'s `proxy.rs`); this
//! module only knows names, the store and the Docker engine.
//!
//! An app answers as `<app>.<domain>` (e.g. `jellyfin.myserver.local`) and
//! as `<app>-<server>.local` (`jellyfin-myserver.local`): a single `.local`
//! label is the only form every mDNS client resolves (Android, Windows
//! before 10 1803 and others do not resolve multi-label `.local` names);
//! Berth itself answers as `berth.<domain>` and `berth-<server>.local`.

mod names;
mod routes;
pub mod tls;

pub use names::{Destination, Names};
pub use routes::{Route, Routes};
