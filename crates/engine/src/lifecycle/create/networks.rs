//! The networks a container joins: a `network_mode`, or the project's
//! networks the service lists, each with the service's name as an alias.

use bollard::models::EndpointSettings;
use serde_yaml::{Mapping, Value};

use super::values::{strings, text};
use crate::compose::Project;
use crate::lifecycle::container_name;

/// The service's `network_mode`, with `service:<name>` pointing at that
/// service's container as the engine names it.
pub(super) fn network_mode(project: &Project, svc: &Mapping) -> Option<String> {
    match text(svc.get("network_mode")) {
        Some(mode) => match mode.strip_prefix("service:") {
            Some(other) => Some(format!(
                "container:{}",
                container_name(&project.name, other)
            )),
            None => Some(mode),
        },
        None => None,
    }
}

/// The engine-side networks a service joins, with its endpoint settings
/// (the service name as an alias, so services find each other by name).
pub(crate) fn service_networks(
    project: &Project,
    service: &str,
    svc: &Mapping,
) -> Vec<(String, EndpointSettings)> {
    let top = project.model.get("networks").and_then(Value::as_mapping);
    svc.get("networks")
        .and_then(Value::as_mapping)
        .map(|nets| {
            nets.iter()
                .filter_map(|(key, settings)| {
                    let key = key.as_str()?;
                    let name = top
                        .and_then(|t| t.get(key))
                        .and_then(|n| n.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{}_{key}", project.name));
                    let mut aliases = vec![service.to_string()];
                    aliases.extend(strings(settings.get("aliases")).unwrap_or_default());
                    let endpoint = EndpointSettings {
                        aliases: Some(aliases),
                        ipam_config: text(settings.get("ipv4_address")).map(|ip| {
                            bollard::models::EndpointIpamConfig {
                                ipv4_address: Some(ip),
                                ..Default::default()
                            }
                        }),
                        ..Default::default()
                    };
                    Some((name, endpoint))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The network the container is created on; the others are connected after.
pub(super) fn first_network(
    project: &Project,
    service: &str,
    svc: &Mapping,
) -> Option<(String, EndpointSettings)> {
    service_networks(project, service, svc).into_iter().next()
}
