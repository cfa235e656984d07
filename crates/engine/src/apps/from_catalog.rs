//! Installing from a store: the app found, its settings checked and
//! completed (secrets generated once and kept), its default resources
//! applied and its minimum enforced, its files written under the app's
//! folder — then the ordinary journaled install.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Apps, InstallRequest};
use crate::catalog::{resolve_settings, ResourceSpec};
use crate::compose::{parse_bytes, ServiceLimits};
use crate::db::AppRecord;
use crate::model::ShareName;
use crate::{Error, Result};

/// An install from a store.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatalogInstall {
    /// The app's id in the store.
    pub app: String,
    /// The store; the first that has the app when unset.
    pub store: Option<String>,
    /// The installed app's id; the store's id by default.
    pub id: Option<String>,
    pub settings: BTreeMap<String, String>,
    /// Limits given by the user; the app's defaults fill the rest.
    pub limits: ServiceLimits,
    pub consent: bool,
    /// The share given to each of the app's requests (by request name);
    /// a request not named gets none (its stand-in folder).
    pub shares: BTreeMap<String, ShareName>,
}

/// This server's architecture as images name it.
fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        other => other,
    }
}

fn memory(spec: &ResourceSpec) -> Option<i64> {
    spec.memory.as_deref().and_then(parse_bytes)
}

impl Apps {
    /// Turns a store install into a compose install; refuses missing or bad
    /// settings (naming them) and limits below the app's minimum.
    pub fn prepare_catalog_install(&self, request: &CatalogInstall) -> Result<InstallRequest> {
        let (store, app) = self.catalogs.find(&request.app, request.store.as_deref())?;
        let meta = &app.meta;
        let arch = host_architecture();
        if !meta.architectures.is_empty() && !meta.architectures.iter().any(|a| a == arch) {
            return Err(Error::Catalog {
                message: format!(
                    "{} runs on {}, not on this server's {arch}",
                    meta.name,
                    meta.architectures.join(", ")
                ),
            });
        }
        let id = request.id.clone().unwrap_or_else(|| meta.id.clone());
        if let Some(existing) = self.db.app(&id)? {
            return Err(Error::taken(id, existing.state));
        }
        let kept = self.db.secrets(&id)?;
        let resolved = resolve_settings(meta, &request.settings, &kept)?;
        let shares = self.give_shares(&id, &meta.shares, &meta.main.service, &request.shares)?;

        let defaults = &meta.resources.default;
        // A store's defaults fit the server: never more CPUs or memory than
        // it has (what the user asks for is checked, not trimmed).
        let host_cpus = crate::host::cpu_count() as f64;
        let host_memory = crate::host::memory_total().ok().map(|m| m as i64);
        let limits = ServiceLimits {
            cpus: request
                .limits
                .cpus
                .or(defaults.cpus.map(|c| c.min(host_cpus))),
            memory: request
                .limits
                .memory
                .or_else(|| memory(defaults).map(|m| host_memory.map_or(m, |h| m.min(h)))),
            memory_swap: request.limits.memory_swap,
            pids: request.limits.pids,
        };
        if let (Some(given), Some(minimum)) = (limits.memory, memory(&meta.resources.minimum)) {
            if given < minimum {
                return Err(Error::InvalidLimit {
                    what: "memory",
                    message: format!(
                        "{} needs at least {} of memory; {given} bytes is too little",
                        meta.name,
                        meta.resources.minimum.memory.as_deref().unwrap_or_default()
                    ),
                });
            }
        }
        if let (Some(given), Some(minimum)) = (limits.cpus, meta.resources.minimum.cpus) {
            if given < minimum {
                return Err(Error::InvalidLimit {
                    what: "cpus",
                    message: format!("{} needs at least {minimum} CPUs", meta.name),
                });
            }
        }

        let source_dir = self.layout.store_files(&id);
        app.write_to(&source_dir)?;
        // Kept before the install runs: if it fails after the app's data was
        // set up with them, a retry must find the same secrets.
        self.db.add_secrets(&id, &resolved.new_secrets)?;
        Ok(InstallRequest {
            compose_file: source_dir.join("compose.yml"),
            app_id: id,
            settings: resolved.values,
            limits,
            consent: request.consent,
            source: Some(format!("{store}/{}@{}", meta.id, meta.version)),
            shares,
            name: None,
            gate: false,
            no_host_port: false,
        })
    }
}

/// Where "Open" goes for an installed app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAddress {
    /// The service that answers there.
    pub service: String,
    /// The host port, when it is published on the host (an app installed
    /// with `--no-host-port` is reached by its name only).
    pub port: Option<u16>,
    /// The container port, where the proxy reaches the service.
    pub target: u16,
    /// The path on it, `/` by default.
    pub path: String,
}

impl Apps {
    /// Where an installed app's main service answers: the store's `main`
    /// for store apps, else the first published port (or, for an app whose
    /// web port is off the host, the first port its services `expose`).
    /// Remembered per rendered file (its hash), so listing apps does not
    /// re-read every compose file.
    pub fn open_address(&self, record: &AppRecord) -> Option<OpenAddress> {
        let mut cache = self.open_cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((hash, address)) = cache.get(&record.id) {
            if *hash == record.compose_hash {
                return address.clone();
            }
        }
        let address = self.find_open_address(record);
        cache.insert(
            record.id.clone(),
            (record.compose_hash.clone(), address.clone()),
        );
        address
    }

    /// The main service, its host port (if published) and its container
    /// port, for the health gate. Its container port alone only when the
    /// user took the host port off: a main service that never published
    /// one (a database-only app, a worker) is not asked for a web page.
    pub(super) fn main_service(&self, record: &AppRecord) -> Option<(String, Option<u16>, u16)> {
        self.find_open_address(record)
            .filter(|a| a.port.is_some() || !record.host_port)
            .map(|a| (a.service, a.port, a.target))
    }

    fn find_open_address(&self, record: &AppRecord) -> Option<OpenAddress> {
        let project = self.load_rendered(&record.id).ok()?;
        let main = record
            .source
            .split_once('/')
            .and_then(|(store, rest)| {
                let id = rest.split('@').next()?;
                self.catalogs.find(id, Some(store)).ok()
            })
            .map(|(_, found)| found.meta.main);
        let wanted = main
            .as_ref()
            .map(|m| (m.service.as_str(), u32::from(m.port)));
        let path = main
            .as_ref()
            .and_then(|m| m.path.clone())
            .unwrap_or_else(|| "/".into());
        let mut first = None;
        for (name, service) in project.services() {
            let Some(ports) = service.get("ports").and_then(|p| p.as_sequence()) else {
                continue;
            };
            for p in ports {
                let target = p.get("target").and_then(|t| t.as_u64()).unwrap_or(0) as u32;
                let published = p
                    .get("published")
                    .and_then(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .or_else(|| v.as_u64().map(|n| n.to_string()))
                    })
                    .and_then(|s| s.parse::<u16>().ok());
                let Some(published) = published else { continue };
                let Ok(target_port) = u16::try_from(target) else {
                    continue;
                };
                first.get_or_insert((name.to_string(), published, target_port));
                if wanted == Some((name, target)) {
                    return Some(OpenAddress {
                        service: name.to_string(),
                        port: Some(published),
                        target: target_port,
                        path,
                    });
                }
            }
        }
        // A store app's main service without a host port: the proxy still
        // reaches it on the app's network.
        if let Some(m) = &main {
            if project.services().any(|(name, _)| name == m.service) {
                return Some(OpenAddress {
                    service: m.service.clone(),
                    port: None,
                    target: m.port,
                    path,
                });
            }
        }
        if !record.host_port {
            // A compose file's app whose web port was taken off the host
            // (its render lists it in `expose`).
            if let Some(found) = first_exposed(&project) {
                return Some(found);
            }
        }
        first.map(|(service, port, target)| OpenAddress {
            service,
            port: Some(port),
            target,
            path: "/".into(),
        })
    }
}

/// The first port a service `expose`s, as where the app opens.
fn first_exposed(project: &crate::compose::Project) -> Option<OpenAddress> {
    project.services().find_map(|(name, service)| {
        let target = service.get("expose")?.as_sequence()?.iter().find_map(|e| {
            e.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .or_else(|| e.as_str().and_then(|s| s.parse::<u16>().ok()))
        })?;
        Some(OpenAddress {
            service: name.to_string(),
            port: None,
            target,
            path: "/".into(),
        })
    })
}
