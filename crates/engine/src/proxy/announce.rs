//! Announcing the proxy's names on the local network (mDNS): which names,
//! on which interfaces. The multicast socket itself is a transport's
//! (`berth-api`'s `mdns.rs`); this module only decides.
//!
//! Announced: `berth-<server>.local` and `<app>-<server>.local` for every
//! installed app with a web page, the flat form every mDNS client resolves.
//! When the proxy's domain is itself under `.local` (the default
//! `<server>.local`), also `berth.<domain>` and `<app>.<domain>`: mDNS
//! answers those as well, for the clients that ask it for names of more
//! than one label. The bare `<server>.local` is never announced: it is the
//! machine's own name, which its mDNS responder (avahi) owns.

use std::collections::BTreeSet;

use super::Names;
use crate::apps::Apps;
use crate::db::AppRecord;
use crate::Result;

/// The label that means Berth itself rather than an app.
const BERTH: &str = "berth";

/// The name an installed app answers by (chosen at install, see
/// [`super::app_for_label`] for the other way), for the announcements.
pub fn app_name(record: &AppRecord) -> &str {
    &record.name
}

/// The names of the installed apps that have a web page (the proxy leads
/// them somewhere; "Open" has an address for them).
pub fn web_apps(apps: &Apps) -> Result<Vec<String>> {
    Ok(apps
        .db()
        .apps()?
        .into_iter()
        .filter(|record| record.state == "installed")
        .filter(|record| apps.open_address(record).is_some())
        .map(|record| app_name(&record).to_string())
        .collect())
}

/// A host name to announce, and the service instance that carries it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Announced {
    /// `jellyfin-myserver.local` (no final dot).
    pub host: String,
    /// The service instance's name, unique per host: the host's first
    /// label(s) (`jellyfin-myserver`, `jellyfin.myserver`).
    pub instance: String,
    /// Offered as a web page (`_http._tcp`, what a browser's or a phone's
    /// list of local sites shows): one per app, its flat name. The other
    /// form only answers for its address, so the list shows no app twice.
    pub browsable: bool,
}

impl Names {
    /// Every name to announce over mDNS when `apps` are the installed apps
    /// with a web page. Names that are not valid host names (an `_` in an
    /// app id, a label longer than 63 bytes) are left out: resolvers refuse
    /// them anyway.
    pub fn announced(&self, apps: &[String]) -> BTreeSet<Announced> {
        let server = self.server();
        let domain = self.domain();
        let multi = domain
            .strip_suffix(".local")
            .is_some_and(|rest| !rest.is_empty());
        std::iter::once(BERTH)
            .chain(apps.iter().map(String::as_str))
            .filter(|app| *app == BERTH || valid_label(app))
            .flat_map(|app| {
                let flat = format!("{app}-{server}");
                let multi = multi.then(|| format!("{app}.{domain}"));
                std::iter::once(flat).chain(multi)
            })
            .filter(|host| host.split('.').all(valid_label))
            .map(|name| Announced {
                browsable: !name.ends_with(".local"),
                host: if name.ends_with(".local") {
                    name.clone()
                } else {
                    format!("{name}.local")
                },
                instance: name.strip_suffix(".local").unwrap_or(&name).to_string(),
            })
            .collect()
    }
}

/// Whether mDNS should answer on the interface `name`: the server's LAN
/// interfaces, not loopback nor the bridges and veths of containers (a
/// name there would lead other containers to the server's address on a
/// network they should not learn of).
pub fn lan_interface(name: &str, loopback: bool) -> bool {
    const CONTAINERS: [&str; 3] = ["docker", "br-", "veth"];
    !loopback && !CONTAINERS.iter().any(|prefix| name.starts_with(prefix))
}

/// A DNS host label: letters, digits and `-`, not at either end, at most 63.
fn valid_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &Names, apps: &[&str]) -> Vec<String> {
        let apps: Vec<String> = apps.iter().map(|a| a.to_string()).collect();
        names
            .announced(&apps)
            .into_iter()
            .map(|a| {
                let list = if a.browsable { " (listed)" } else { "" };
                format!("{} {}{list}", a.host, a.instance)
            })
            .collect()
    }

    #[test]
    fn flat_names_always_and_the_domain_form_under_local() {
        let names = Names::new("myserver.local", "MyServer");
        assert_eq!(
            hosts(&names, &["jellyfin", "my-wiki"]),
            [
                "berth-myserver.local berth-myserver (listed)",
                "berth.myserver.local berth.myserver",
                "jellyfin-myserver.local jellyfin-myserver (listed)",
                "jellyfin.myserver.local jellyfin.myserver",
                "my-wiki-myserver.local my-wiki-myserver (listed)",
                "my-wiki.myserver.local my-wiki.myserver",
            ]
        );
    }

    #[test]
    fn a_domain_outside_local_is_left_to_dns() {
        let names = Names::new("home.arpa", "box");
        assert_eq!(
            hosts(&names, &["wiki"]),
            [
                "berth-box.local berth-box (listed)",
                "wiki-box.local wiki-box (listed)"
            ]
        );
        // `local` alone is no domain of ours to name apps under in mDNS.
        let names = Names::new("local", "box");
        assert_eq!(hosts(&names, &[]), ["berth-box.local berth-box (listed)"]);
    }

    #[test]
    fn names_that_are_not_host_names_are_left_out() {
        let names = Names::new("home.arpa", "box");
        let long = "a".repeat(60);
        assert_eq!(
            hosts(&names, &["my_app", &long, "ok"]),
            [
                "berth-box.local berth-box (listed)",
                "ok-box.local ok-box (listed)"
            ]
        );
    }

    #[test]
    fn only_lan_interfaces_answer() {
        for lan in [
            "eth0", "enp3s0", "wlan0", "wlp2s0", "bond0", "br0", "bm1234h",
        ] {
            assert!(lan_interface(lan, false), "{lan}");
        }
        assert!(!lan_interface("lo", true));
        for container in ["docker0", "docker_gwbridge", "br-4f2a9c", "veth12ab"] {
            assert!(!lan_interface(container, false), "{container}");
        }
    }
}
