//! Address: where a service's container answers on its app's own network,
//! so the proxy reaches it without a published host port.

use std::net::{IpAddr, Ipv4Addr};

use super::{docker_err, Engine};
use crate::Result;

/// Where a service's container can be reached from this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAddress {
    /// At this address: on the app's own network, or this host's own for a
    /// container on the host network.
    At(IpAddr),
    /// It has no running container.
    Stopped,
    /// Its container is up with no address: between two runs of a
    /// restart, or sharing another container's network.
    Unreachable,
}

impl Engine {
    /// Where `service` of `project` answers: its running container's
    /// address on `project`'s own network (`<project>_…`, else any network
    /// it has an address on).
    pub async fn service_address(&self, project: &str, service: &str) -> Result<ServiceAddress> {
        let Some(status) = self
            .status(project)
            .await?
            .into_iter()
            .find(|s| s.service == service && s.is_up())
        else {
            return Ok(ServiceAddress::Stopped);
        };
        let container = self
            .docker()
            .inspect_container(&status.container, None)
            .await
            .map_err(docker_err(format!("inspect {}", status.container)))?;
        let host_network = container
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.as_deref())
            == Some("host");
        if host_network {
            return Ok(ServiceAddress::At(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
        let networks = container
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default();
        let own = format!("{project}_");
        let mut found: Vec<(bool, IpAddr)> = networks
            .iter()
            .filter_map(|(name, endpoint)| {
                let ip = endpoint.ip_address.as_deref()?.parse().ok()?;
                Some((name.starts_with(&own), ip))
            })
            .collect();
        // The app's own network first, then the lowest address: a stable pick.
        found.sort_by_key(|(own, ip)| (!own, *ip));
        Ok(found
            .first()
            .map_or(ServiceAddress::Unreachable, |(_, ip)| {
                ServiceAddress::At(*ip)
            }))
    }
}
