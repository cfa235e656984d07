//! Names: what a request's `Host` means to the proxy.

use super::app_names::valid_app_name;

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
    /// The installed app of this name, if there is one.
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

    /// This server's short host name, as in `<app>-<server>.local`.
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

    /// The name an app called `label` is opened by: the flat
    /// `<label>-<server>.local` when the domain is the default
    /// `<server>.local` (the one mDNS announces and every mDNS client
    /// resolves), else `<label>.<domain>`.
    pub fn app_host(&self, label: &str) -> String {
        if self.domain == format!("{}.local", self.server) {
            format!("{label}-{}.local", self.server)
        } else {
            format!("{label}.{}", self.domain)
        }
    }

    /// The name of `label` in the same form as `host` (one of our names,
    /// with or without a port, which is kept): `berth.<domain>` for
    /// `x.<domain>`, `berth-<server>.local` for `x-<server>.local`, and
    /// `<label>.<domain>` for the bare domain. `None` for a foreign host.
    pub fn sibling(&self, host: &str, label: &str) -> Option<String> {
        let port = port_of(host);
        let name = normalize(strip_port(host));
        let flat_suffix = format!("-{}.local", self.server);
        let sibling = if name == self.domain || name.ends_with(&format!(".{}", self.domain)) {
            format!("{label}.{}", self.domain)
        } else if name.ends_with(&flat_suffix) && name.len() > flat_suffix.len() {
            format!("{label}{flat_suffix}")
        } else {
            return None;
        };
        Some(match port {
            Some(port) => format!("{sibling}:{port}"),
            None => sibling,
        })
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
            Some(app) if valid_app_name(app) => Destination::App(app.to_string()),
            Some(_) => Destination::NoSuchName,
        }
    }
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The port of `name:port`, if it has one.
fn port_of(host: &str) -> Option<&str> {
    let name = strip_port(host);
    (name.len() < host.len()).then(|| &host[name.len() + 1..])
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
            ("www.myserver.local", Destination::NoSuchName),
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
    fn the_default_domain_opens_by_the_flat_name() {
        let names = Names::new("myserver.local", "myserver");
        assert_eq!(names.app_host("wiki"), "wiki-myserver.local");
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
            names.destination("my_app.home.arpa"),
            Destination::NoSuchName
        );
        assert_eq!(names.app_host("wiki"), "wiki.home.arpa");
        assert_eq!(
            names.sibling("wiki.home.arpa:8080", "berth").as_deref(),
            Some("berth.home.arpa:8080")
        );
        assert_eq!(
            names.sibling("wiki-box.local", "berth").as_deref(),
            Some("berth-box.local")
        );
        assert_eq!(
            names.sibling("berth-box.local:81", "wiki").as_deref(),
            Some("wiki-box.local:81")
        );
        assert_eq!(
            names.sibling("home.arpa", "wiki").as_deref(),
            Some("wiki.home.arpa")
        );
        assert_eq!(names.sibling("evil.test", "wiki"), None);
        assert_eq!(names.sibling("-box.local", "wiki"), None);
        assert_eq!(
            names.berth_names(),
            ["home.arpa", "berth.home.arpa", "berth-box.local"]
        );
    }
}
