//! The desired container of a service: the Engine API's create body built
//! from the service's canonical model, labelled as docker compose labels it.
//!
//! `container_spec` assembles it from a builder per concern: `labels.rs`,
//! `ports.rs`, `volumes.rs` (binds and mounts), `networks.rs`, `restart.rs`,
//! `healthcheck.rs`, `resources.rs` (limits, reservations, ulimits) and
//! `host_options.rs` (the rest of the host config); `hash.rs` is the config hash
//! that tells a changed service; `values.rs` reads the model's values.

mod hash;
mod healthcheck;
mod host_options;
mod labels;
mod networks;
mod ports;
mod resources;
mod restart;
mod values;
mod volumes;

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, NetworkingConfig};
use serde_yaml::{Mapping, Value};

use crate::compose::Project;
use crate::{Error, Result};
use values::{nanos, strings, text};

pub(crate) use hash::config_hash;
pub(crate) use networks::service_networks;

/// Service keys Berth does not run yet; refused rather than silently dropped.
const NOT_YET: &[(&str, &str)] = &[
    ("build", "building images"),
    ("secrets", "secrets"),
    ("configs", "configs"),
    ("volumes_from", "volumes_from"),
    ("links", "links"),
];

/// Builds the create body of `service` in `project`.
pub(crate) fn container_spec(
    project: &Project,
    service: &str,
    svc: &Mapping,
) -> Result<ContainerCreateBody> {
    let unsupported = |what: &str| Error::ServiceFailed {
        app: project.name.clone(),
        service: service.to_string(),
        message: format!("uses {what}, which Berth cannot run yet"),
    };
    for (key, what) in NOT_YET {
        if svc.contains_key(*key) && !(*key == "build" && svc.contains_key("image")) {
            return Err(unsupported(what));
        }
    }
    let image = text(svc.get("image")).ok_or_else(|| unsupported("no image"))?;
    let reserved_devices = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"));
    if reserved_devices.is_some() {
        return Err(unsupported("GPU/device reservations"));
    }

    let all_labels = labels::container_labels(project, service, svc);
    let env = svc.get("environment").and_then(Value::as_mapping).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some(format!("{}={}", k.as_str()?, v.as_str()?)))
            .collect::<Vec<_>>()
    });
    let (exposed, bindings) = ports::ports(svc);
    let (binds, mounts) = volumes::binds_and_mounts(project, svc, unsupported)?;
    let network_mode = networks::network_mode(project, svc);
    let first_network = network_mode
        .is_none()
        .then(|| networks::first_network(project, service, svc))
        .flatten();

    let host_config = HostConfig {
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        restart_policy: Some(restart::restart_policy(svc)),
        network_mode: network_mode
            .clone()
            .or_else(|| first_network.as_ref().map(|(name, _)| name.clone())),
        ..host_options::host_options(svc)
    };

    Ok(ContainerCreateBody {
        image: Some(image),
        cmd: strings(svc.get("command")),
        entrypoint: strings(svc.get("entrypoint")),
        env,
        labels: Some(all_labels),
        hostname: text(svc.get("hostname")),
        domainname: text(svc.get("domainname")),
        user: text(svc.get("user")),
        working_dir: text(svc.get("working_dir")),
        stop_signal: text(svc.get("stop_signal")),
        stop_timeout: nanos(svc.get("stop_grace_period")).map(|n| n / 1_000_000_000),
        tty: svc.get("tty").and_then(Value::as_bool),
        open_stdin: svc.get("stdin_open").and_then(Value::as_bool),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: healthcheck::health_config(svc),
        host_config: Some(host_config),
        networking_config: first_network.map(|(name, endpoint)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(name, endpoint)])),
        }),
        ..Default::default()
    })
}
