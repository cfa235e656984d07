//! Names: what a request's `Host` means to the proxy.

use crate::model::valid_app_id;

/// The label that means Berth itself rather than an app.
const BERTH: &str = "berth";

/// The names the proxy answers to: `<app>.<domain>`, `<app>-<server>.local`,
/// Berth's own (`berth.<domain>`, `berth-<server>.local`, the bare domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    domain: String,
    server: String,
}

/// Where a request goes, by its `Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Berth's own web UI and API.
    Berth,
    /// The installed app of this id, if there is one.
    App(String),
    /// A name of ours that cannot be an app (`a.b.<domain>`, `Bad_Name…`).
    NoSuchName,
    /// Not one of our names at all.
    Foreign,
}

impl Names {
    /// Apps under `domain` (`myserver.local`, `home.arpa`) and as
    /// `<app>-<server>.local`, `server` being this server's short host name.
    pub fn new(domain: &str, server: &str) -> Self {
        Names {
            domain: normalize(domain),
            server: normalize(server),
        }
    }

    /// The domain apps are named under.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// This server's short host name (the `<server>` of `<app>-<server>.local`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Berth's own names, for the UI's allowed hosts.
    pub fn berth_names(&self) -> Vec<String> {
        vec![
            self.domain.clone(),
            format!("{BERTH}.{}", self.domain),
            format!("{BERTH}-{}.local", self.server),
        ]
    }

    /// Where a request whose `Host` (or authority) is `host` goes; a port
    /// is ignored.
    pub fn destination(&self, host: &str) -> Destination {
        let host = normalize(strip_port(host));
        if host == self.domain {
            return Destination::Berth;
        }
        let label = host
            .strip_suffix(&self.domain)
            .and_then(|rest| rest.strip_suffix('.'))
            .or_else(|| {
                host.strip_suffix(".local")
                    .and_then(|rest| rest.strip_suffix(&self.server))
                    .and_then(|rest| rest.strip_suffix('-'))
            });
        match label {
            None => Destination::Foreign,
            Some(BERTH) => Destination::Berth,
            Some(app) if valid_app_id(app) => Destination::App(app.to_string()),
            Some(_) => Destination::NoSuchName,
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `name:port` → `name`; IPv6 literals are never our names, so they need
/// no care beyond not being cut in the middle.
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_berth_an_app_or_nothing_of_ours() {
        let names = Names::new("MyServer.local.", "myserver");
        let app = |id: &str| Destination::App(id.to_string());
        for (host, want) in [
            ("jellyfin.myserver.local", app("jellyfin")),
            ("Jellyfin.MyServer.Local:8080", app("jellyfin")),
            ("jellyfin.myserver.local.", app("jellyfin")),
            ("jellyfin-myserver.local", app("jellyfin")),
            ("my-app-myserver.local", app("my-app")),
            ("berth.myserver.local", Destination::Berth),
            ("berth-myserver.local:80", Destination::Berth),
            ("myserver.local", Destination::Berth),
            ("a.b.myserver.local", Destination::NoSuchName),
            ("-myserver.local", Destination::NoSuchName),
            (".myserver.local", Destination::NoSuchName),
            ("evil.test", Destination::Foreign),
            ("jellyfinmyserver.local", Destination::Foreign),
            ("jellyfin.othermyserver.local", Destination::Foreign),
            ("myserver.local.evil.test", Destination::Foreign),
            ("127.0.0.1:80", Destination::Foreign),
            ("[::1]:80", Destination::Foreign),
            ("", Destination::Foreign),
        ] {
            assert_eq!(names.destination(host), want, "{host}");
        }
    }

    #[test]
    fn another_domain_keeps_the_local_form() {
        let names = Names::new("home.arpa", "box");
        assert_eq!(
            names.destination("wiki.home.arpa"),
            Destination::App("wiki".into())
        );
        assert_eq!(
            names.destination("wiki-box.local"),
            Destination::App("wiki".into())
        );
        assert_eq!(names.destination("wiki.box.local"), Destination::Foreign);
        assert_eq!(
            names.berth_names(),
            ["home.arpa", "berth.home.arpa", "berth-box.local"]
        );
    }
}
