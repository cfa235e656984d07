//! Address: where a service's container answers on its app's own network,
//! so the proxy reaches it without a published host port.

use std::net::IpAddr;

use super::{docker_err, Engine};
use crate::Result;

impl Engine {
    /// The address of `service`'s running container on `project`'s own
    /// network (`<project>_…`, else any network it has an address on); none
    /// when it has no running container or no address.
    pub async fn service_address(&self, project: &str, service: &str) -> Result<Option<IpAddr>> {
        let Some(status) = self
            .status(project)
            .await?
            .into_iter()
            .find(|s| s.service == service && s.is_up())
        else {
            return Ok(None);
        };
        let container = self
            .docker()
            .inspect_container(&status.container, None)
            .await
            .map_err(docker_err(format!("inspect {}", status.container)))?;
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
        Ok(found.first().map(|(_, ip)| *ip))
    }
}
