//! The host-port allocator: every published port of every app gets a host
//! port that no other app holds and that is free on this host when first
//! chosen; choices are recorded, so an app keeps its ports across re-renders,
//! restarts and updates.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One host port held by one app's service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortChoice {
    pub app: String,
    pub service: String,
    /// The port inside the container.
    pub target: u32,
    pub protocol: String,
    /// The host port the app asked for, if any.
    pub requested: Option<u16>,
    /// The host port Berth gave it.
    pub published: u16,
    /// Why Berth gave it another port than it asked for (for the user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Lowest port chosen when an app asks for none, or when what it asked for is taken.
const FIRST_DYNAMIC: u16 = 10_000;

/// Allocates host ports and remembers who holds which.
#[derive(Debug, Default)]
pub struct PortAllocator {
    path: Option<PathBuf>,
    held: Vec<PortChoice>,
    /// Whether to test ports with a bind on this host (off in tests of the bookkeeping itself).
    probe_host: bool,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    ports: Vec<PortChoice>,
}

impl PortAllocator {
    /// An allocator that keeps nothing on disk.
    pub fn in_memory() -> Self {
        PortAllocator {
            path: None,
            held: Vec::new(),
            probe_host: true,
        }
    }

    /// Opens the allocations recorded at `path` (a new, empty record when it does not exist).
    pub fn open(path: &Path) -> Result<Self> {
        let held = match std::fs::read(path) {
            Ok(bytes) => {
                let saved: Saved =
                    serde_json::from_slice(&bytes).map_err(|e| Error::CorruptState {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    })?;
                saved.ports
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    cause: source,
                })
            }
        };
        Ok(PortAllocator {
            path: Some(path.to_path_buf()),
            held,
            probe_host: true,
        })
    }

    /// Skips the host bind test: only the record decides.
    pub fn without_host_probe(mut self) -> Self {
        self.probe_host = false;
        self
    }

    /// Writes the record atomically (temporary file, then rename).
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let write_err = |source| Error::Write {
            path: path.clone(),
            cause: source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(&Saved {
            ports: self.held.clone(),
        })
        .expect("port records serialize");
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)
    }

    /// Every port held, in the order they were given.
    pub fn held(&self) -> &[PortChoice] {
        &self.held
    }

    /// The app holding a host port, if any.
    pub fn holder(&self, port: u16, protocol: &str) -> Option<&PortChoice> {
        self.held
            .iter()
            .find(|c| c.published == port && c.protocol == protocol)
    }

    /// Forgets every port of `app` (on uninstall).
    pub fn release_app(&mut self, app: &str) {
        self.held.retain(|c| c.app != app);
    }

    /// The host port for `app`'s `service` publishing container port `target`:
    /// the one it already holds, else the one it asks for when free, else the
    /// next free one.
    pub fn assign(
        &mut self,
        app: &str,
        service: &str,
        target: u32,
        protocol: &str,
        requested: Option<u16>,
    ) -> Result<PortChoice> {
        if let Some(existing) = self.held.iter().find(|c| {
            c.app == app && c.service == service && c.target == target && c.protocol == protocol
        }) {
            return Ok(existing.clone());
        }
        let mut note = None;
        let published = match requested.filter(|&p| p != 0) {
            Some(p) => match self.why_taken(p, protocol) {
                None => p,
                Some(why) => {
                    let chosen = self
                        .next_free(p.saturating_add(1).max(1), protocol)
                        .ok_or_else(|| exhausted(app, service, target))?;
                    note = Some(format!("port {p} is {why}; Berth chose {chosen}"));
                    chosen
                }
            },
            None => self
                .next_free(FIRST_DYNAMIC, protocol)
                .ok_or_else(|| exhausted(app, service, target))?,
        };
        let choice = PortChoice {
            app: app.to_string(),
            service: service.to_string(),
            target,
            protocol: protocol.to_string(),
            requested,
            published,
            note,
        };
        self.held.push(choice.clone());
        Ok(choice)
    }

    fn why_taken(&self, port: u16, protocol: &str) -> Option<String> {
        if let Some(holder) = self.holder(port, protocol) {
            return Some(format!("used by {}", holder.app));
        }
        if self.probe_host && !free_on_host(port, protocol) {
            return Some("in use on this server".into());
        }
        None
    }

    fn next_free(&self, from: u16, protocol: &str) -> Option<u16> {
        let start = from.max(1024);
        (start..=u16::MAX)
            .chain(1024..start)
            .find(|&p| self.why_taken(p, protocol).is_none())
    }
}

fn exhausted(app: &str, service: &str, target: u32) -> Error {
    Error::PortsExhausted {
        app: app.into(),
        service: service.into(),
        target,
    }
}

/// Whether nothing listens on `port`. Only "address in use" counts as taken:
/// a non-root process may not bind a low port that Docker (root) can.
fn free_on_host(port: u16, protocol: &str) -> bool {
    let result = if protocol == "udp" {
        std::net::UdpSocket::bind(("0.0.0.0", port)).map(drop)
    } else {
        std::net::TcpListener::bind(("0.0.0.0", port)).map(drop)
    };
    !matches!(result, Err(e) if e.kind() == std::io::ErrorKind::AddrInUse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hundred_apps_asking_for_the_same_ports_all_get_distinct_ones() {
        let mut ports = PortAllocator::in_memory().without_host_probe();
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let app = format!("app{i}");
            for (target, requested) in [(80, Some(8080)), (443, Some(8443)), (9000, None)] {
                let c = ports.assign(&app, "web", target, "tcp", requested).unwrap();
                assert!(seen.insert(c.published), "{} given twice", c.published);
                if i > 0 && requested.is_some() {
                    assert!(c.note.as_deref().unwrap().contains("used by app"), "{c:?}");
                }
            }
        }
        assert_eq!(seen.len(), 600);
        let before: Vec<_> = ports.held().to_vec();
        for i in 0..200 {
            let c = ports
                .assign(&format!("app{i}"), "web", 80, "tcp", Some(8080))
                .unwrap();
            assert_eq!(
                Some(&c),
                before
                    .iter()
                    .find(|b| b.app == format!("app{i}") && b.target == 80)
            );
        }
        assert_eq!(
            ports.held().len(),
            600,
            "re-assigning must not take new ports"
        );
    }

    #[test]
    fn a_free_requested_port_is_kept_and_udp_is_separate() {
        let mut ports = PortAllocator::in_memory().without_host_probe();
        assert_eq!(
            ports
                .assign("a", "dns", 53, "udp", Some(53))
                .unwrap()
                .published,
            53
        );
        assert_eq!(
            ports
                .assign("b", "web", 53, "tcp", Some(53))
                .unwrap()
                .published,
            53
        );
        assert_ne!(
            ports
                .assign("c", "dns", 53, "udp", Some(53))
                .unwrap()
                .published,
            53
        );
    }

    #[test]
    fn a_port_busy_on_the_host_is_avoided() {
        let listener = std::net::TcpListener::bind(("0.0.0.0", 0)).unwrap();
        let busy = listener.local_addr().unwrap().port();
        let mut ports = PortAllocator::in_memory();
        let c = ports.assign("a", "web", 80, "tcp", Some(busy)).unwrap();
        assert_ne!(c.published, busy);
        assert!(c.note.unwrap().contains("in use on this server"));
    }

    #[test]
    fn record_survives_a_reopen_and_release_frees() {
        let dir = std::env::temp_dir().join(format!("berth-ports-{}", std::process::id()));
        let path = dir.join("ports.json");
        let mut ports = PortAllocator::open(&path).unwrap().without_host_probe();
        let first = ports.assign("a", "web", 80, "tcp", Some(18080)).unwrap();
        ports.save().unwrap();
        let mut again = PortAllocator::open(&path).unwrap().without_host_probe();
        assert_eq!(
            again.assign("a", "web", 80, "tcp", Some(18080)).unwrap(),
            first
        );
        again.release_app("a");
        assert!(again.holder(18080, "tcp").is_none());
        std::fs::write(&path, "{not json").unwrap();
        assert!(matches!(
            PortAllocator::open(&path),
            Err(Error::CorruptState { .. })
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
