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
//!
//! How devices find those names: [`announce`] says which names Berth
//! announces over mDNS and on which interfaces; [`dns`] is the optional DNS
//! answerer's part (our names, the clients it serves, forwarding the rest).

pub mod acme;
pub mod announce;
mod app_names;
pub mod dns;
mod names;
mod routes;
pub mod tls;
pub mod trust;

pub use app_names::{
    app_for_label, check_app_name, name_from_id, name_problem, unique_name, valid_app_name,
    AppsByName, NAME_RULE, RESERVED_NAMES,
};
pub use names::{Destination, Names};
pub use routes::{Route, Routes};

/// How "Open" reaches apps by name: the proxy's names and the ports it
/// listens on. With the HTTPS listener on, apps open over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenByName {
    pub names: Names,
    /// The proxy's plain HTTP port, if it listens.
    pub http_port: Option<u16>,
    /// Its HTTPS port, if it listens (preferred).
    pub https_port: Option<u16>,
}

impl OpenByName {
    /// The address an app named `name` opens at (its path not included):
    /// `https://<name host>` when HTTPS listens, else `http://…`, with the
    /// port when it is not the scheme's own; `None` when neither listens.
    pub fn url(&self, name: &str) -> Option<String> {
        let host = self.names.app_host(name);
        match (self.https_port, self.http_port) {
            (Some(443), _) => Some(format!("https://{host}")),
            (Some(port), _) => Some(format!("https://{host}:{port}")),
            (None, Some(80)) => Some(format!("http://{host}")),
            (None, Some(port)) => Some(format!("http://{host}:{port}")),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_urls_prefer_https_and_drop_default_ports() {
        let mut open = OpenByName {
            names: Names::new("box.local", "box"),
            http_port: Some(80),
            https_port: None,
        };
        assert_eq!(open.url("wiki").unwrap(), "http://wiki-box.local");
        open.http_port = Some(8081);
        assert_eq!(open.url("wiki").unwrap(), "http://wiki-box.local:8081");
        open.https_port = Some(443);
        assert_eq!(open.url("wiki").unwrap(), "https://wiki-box.local");
        open.names = Names::new("home.arpa", "box");
        open.https_port = Some(8443);
        assert_eq!(open.url("wiki").unwrap(), "https://wiki.home.arpa:8443");
        open.https_port = None;
        open.http_port = None;
        assert_eq!(open.url("wiki"), None);
    }
}
