//! The desired container of a service: the Engine API's create body built
//! from the service's canonical model, labelled as docker compose labels it.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointSettings, HealthConfig, HostConfig,
    HostConfigLogConfig, Mount, MountTmpfsOptions, MountType, MountVolumeOptions, NetworkingConfig,
    PortBinding, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::limits::nano_cpus;
use super::{container_name, labels};
use crate::compose::{parse_duration, scalar_string, Project, ServiceLimits};
use crate::{Error, Result};

/// Service keys Berth does not run yet; refused rather than silently dropped.
const NOT_YET: &[(&str, &str)] = &[
    ("build", "building images"),
    ("secrets", "secrets"),
    ("configs", "configs"),
    ("volumes_from", "volumes_from"),
    ("links", "links"),
];

/// A service's config hash: changes exactly when its canonical model does,
/// resource limits aside — those change live (`limits.rs`), so a new limit
/// alone never recreates a container.
pub(crate) fn config_hash(service: &Mapping) -> String {
    let json = serde_json::to_vec(&without_limits(service)).expect("a model serializes");
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The service with its CPU, memory and process limits taken out, and the
/// `deploy` sections left empty by that dropped, so a service with limits
/// and the same service without any compare equal.
fn without_limits(service: &Mapping) -> Mapping {
    let mut svc = service.clone();
    for key in ["cpus", "mem_limit", "memswap_limit", "pids_limit"] {
        svc.remove(key);
    }
    let Some(Value::Mapping(deploy)) = svc.get_mut("deploy") else {
        return svc;
    };
    if let Some(Value::Mapping(resources)) = deploy.get_mut("resources") {
        resources.remove("limits");
        if resources.is_empty() {
            deploy.remove("resources");
        }
    }
    let empty = |v: &Value| v.as_mapping().is_some_and(Mapping::is_empty);
    if deploy.get("placement").is_some_and(empty) {
        deploy.remove("placement");
    }
    if deploy.is_empty() {
        svc.remove("deploy");
    }
    svc
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_sequence).map(|s| {
        s.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

fn nanos(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str)
        .and_then(parse_duration)
        .map(|n| n as i64)
}

fn bytes(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_i64())
    })
}

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

    let mut all_labels: HashMap<String, String> = svc
        .get("labels")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in [
        (labels::PROJECT, project.name.clone()),
        (labels::SERVICE, service.to_string()),
        (labels::NUMBER, "1".to_string()),
        (labels::ONEOFF, "False".to_string()),
        (labels::CONFIG_HASH, config_hash(svc)),
        (
            labels::CONFIG_FILES,
            project.config_file.to_string_lossy().into_owned(),
        ),
        (
            labels::WORKING_DIR,
            project.working_dir.to_string_lossy().into_owned(),
        ),
        (labels::VERSION, labels::COMPOSE_VERSION.to_string()),
    ] {
        all_labels.insert(k.to_string(), v);
    }

    let env = svc.get("environment").and_then(Value::as_mapping).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some(format!("{}={}", k.as_str()?, v.as_str()?)))
            .collect::<Vec<_>>()
    });

    // Ports: exposed inside, bound on the host where published.
    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in svc
        .get("ports")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let target = p.get("target").and_then(Value::as_u64).unwrap_or_default();
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("tcp");
        let key = format!("{target}/{proto}");
        exposed.push(key.clone());
        let binding = PortBinding {
            host_ip: text(p.get("host_ip")),
            host_port: Some(text(p.get("published")).unwrap_or_default()),
        };
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(binding);
    }
    for e in strings(svc.get("expose")).unwrap_or_default() {
        exposed.push(if e.contains('/') {
            e
        } else {
            format!("{e}/tcp")
        });
    }

    // Volumes: binds as Binds (the engine creates a missing source folder,
    // as compose's short syntax does), named/anonymous volumes and tmpfs as mounts.
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    let top_volumes = project.model.get("volumes").and_then(Value::as_mapping);
    for v in svc
        .get("volumes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let target = text(v.get("target")).unwrap_or_default();
        let read_only = v.get("read_only").and_then(Value::as_bool).unwrap_or(false);
        match v.get("type").and_then(Value::as_str) {
            Some("bind") => {
                let mut opts = vec![if read_only { "ro" } else { "rw" }.to_string()];
                if let Some(p) = v
                    .get("bind")
                    .and_then(|b| b.get("propagation"))
                    .and_then(Value::as_str)
                {
                    opts.push(p.to_string());
                }
                if let Some(z) = v
                    .get("bind")
                    .and_then(|b| b.get("selinux"))
                    .and_then(Value::as_str)
                {
                    opts.push(z.to_string());
                }
                binds.push(format!(
                    "{}:{target}:{}",
                    text(v.get("source")).unwrap_or_default(),
                    opts.join(",")
                ));
            }
            Some("volume") => {
                let source = text(v.get("source")).map(|key| {
                    top_volumes
                        .and_then(|t| t.get(key.as_str()))
                        .and_then(|t| t.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or(key)
                });
                let nocopy = v
                    .get("volume")
                    .and_then(|o| o.get("nocopy"))
                    .and_then(Value::as_bool);
                mounts.push(Mount {
                    target: Some(target),
                    source,
                    typ: Some(MountType::VOLUME),
                    read_only: Some(read_only),
                    volume_options: nocopy.map(|n| MountVolumeOptions {
                        no_copy: Some(n),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            Some("tmpfs") => mounts.push(Mount {
                target: Some(target),
                typ: Some(MountType::TMPFS),
                tmpfs_options: Some(MountTmpfsOptions {
                    size_bytes: bytes(v.get("tmpfs").and_then(|t| t.get("size"))),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            other => return Err(unsupported(&format!("a volume of type {other:?}"))),
        }
    }

    let restart = text(svc.get("restart")).unwrap_or_else(|| "no".into());
    let (policy, retries) = match restart.split_once(':') {
        Some((p, n)) => (p.to_string(), n.parse().ok()),
        None => (restart, None),
    };
    let restart_policy = RestartPolicy {
        name: Some(match policy.as_str() {
            "always" => RestartPolicyNameEnum::ALWAYS,
            "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            _ => RestartPolicyNameEnum::NO,
        }),
        maximum_retry_count: retries,
    };

    let network_mode = match text(svc.get("network_mode")) {
        Some(mode) => match mode.strip_prefix("service:") {
            Some(other) => Some(format!(
                "container:{}",
                container_name(&project.name, other)
            )),
            None => Some(mode),
        },
        None => None,
    };
    let first_network = network_mode
        .is_none()
        .then(|| first_network(project, service, svc))
        .flatten();

    let limits = ServiceLimits::of(svc);
    let devices = svc.get("devices").and_then(Value::as_sequence).map(|list| {
        list.iter()
            .map(|d| DeviceMapping {
                path_on_host: text(d.get("source")),
                path_in_container: text(d.get("target")),
                cgroup_permissions: text(d.get("permissions")),
            })
            .collect()
    });
    let tmpfs = strings(svc.get("tmpfs")).map(|list| {
        list.into_iter()
            .map(|t| match t.split_once(':') {
                Some((path, opts)) => (path.to_string(), opts.to_string()),
                None => (t, String::new()),
            })
            .collect()
    });
    let extra_hosts = strings(svc.get("extra_hosts"))
        .map(|l| l.into_iter().map(|h| h.replacen('=', ":", 1)).collect());
    let sysctls = svc.get("sysctls").and_then(Value::as_mapping).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect()
    });
    let ulimits = svc.get("ulimits").and_then(Value::as_mapping).map(|m| {
        m.iter()
            .filter_map(|(k, v)| {
                let (soft, hard) = match v {
                    Value::Mapping(l) => (l.get("soft")?.as_i64()?, l.get("hard")?.as_i64()?),
                    v => (v.as_i64()?, v.as_i64()?),
                };
                Some(ResourcesUlimits {
                    name: Some(k.as_str()?.to_string()),
                    soft: Some(soft),
                    hard: Some(hard),
                })
            })
            .collect()
    });
    let log_config = svc.get("logging").map(|l| HostConfigLogConfig {
        typ: text(l.get("driver")),
        config: l.get("options").and_then(Value::as_mapping).map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar_string(v)?)))
                .collect()
        }),
    });

    let host_config = HostConfig {
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        restart_policy: Some(restart_policy),
        network_mode: network_mode
            .clone()
            .or_else(|| first_network.as_ref().map(|(name, _)| name.clone())),
        privileged: svc.get("privileged").and_then(Value::as_bool),
        cap_add: strings(svc.get("cap_add")),
        cap_drop: strings(svc.get("cap_drop")),
        security_opt: strings(svc.get("security_opt")),
        devices,
        tmpfs,
        extra_hosts,
        sysctls,
        ulimits,
        log_config,
        dns: strings(svc.get("dns")),
        dns_search: strings(svc.get("dns_search")),
        init: svc.get("init").and_then(Value::as_bool),
        pid_mode: text(svc.get("pid")),
        ipc_mode: text(svc.get("ipc")),
        shm_size: bytes(svc.get("shm_size")),
        nano_cpus: limits.cpus.map(nano_cpus),
        memory: limits.memory,
        memory_swap: limits.memory_swap,
        pids_limit: limits.pids,
        cpu_shares: svc.get("cpu_shares").and_then(Value::as_i64),
        memory_reservation: bytes(svc.get("mem_reservation")).or_else(|| {
            bytes(
                svc.get("deploy")
                    .and_then(|d| d.get("resources"))
                    .and_then(|r| r.get("reservations"))
                    .and_then(|r| r.get("memory")),
            )
        }),
        group_add: strings(svc.get("group_add")),
        ..Default::default()
    };

    let healthcheck = svc.get("healthcheck").map(|h| {
        let disabled = h.get("disable").and_then(Value::as_bool) == Some(true);
        HealthConfig {
            test: if disabled {
                Some(vec!["NONE".into()])
            } else {
                strings(h.get("test"))
            },
            interval: nanos(h.get("interval")),
            timeout: nanos(h.get("timeout")),
            retries: h.get("retries").and_then(Value::as_i64),
            start_period: nanos(h.get("start_period")),
            start_interval: nanos(h.get("start_interval")),
        }
    });

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
        healthcheck,
        host_config: Some(host_config),
        networking_config: first_network.map(|(name, endpoint)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(name, endpoint)])),
        }),
        ..Default::default()
    })
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

fn first_network(
    project: &Project,
    service: &str,
    svc: &Mapping,
) -> Option<(String, EndpointSettings)> {
    service_networks(project, service, svc).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn limits_are_not_part_of_the_config_hash() {
        let plain = svc("image: x\ncommand: [a]\n");
        let limited = svc("image: x\ncommand: [a]\nmemswap_limit: '1'\ndeploy: {placement: {}, resources: {limits: {cpus: 0.5, memory: '67108864', pids: 9}}}\n");
        assert_eq!(config_hash(&plain), config_hash(&limited));
        let reserved = svc("image: x\ncommand: [a]\ndeploy: {placement: {}, resources: {reservations: {memory: '1'}}}\n");
        assert_ne!(
            config_hash(&plain),
            config_hash(&reserved),
            "reservations count"
        );
        assert_ne!(
            config_hash(&plain),
            config_hash(&svc("image: x\ncommand: [b]\n"))
        );
    }
}
