//! The rest of a container's host config: privileges and capabilities,
//! devices, tmpfs, hosts and DNS, sysctls, logging, namespaces, and its
//! resources.

use bollard::models::{DeviceMapping, HostConfig, HostConfigLogConfig};
use serde_yaml::{Mapping, Value};

use super::resources::resources;
use super::values::{bytes, strings, text};
use crate::compose::scalar_string;

/// The host config but for ports, storage, restart policy and networks,
/// which `container_spec` sets itself.
pub(super) fn host_options(svc: &Mapping) -> HostConfig {
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
    let log_config = svc.get("logging").map(|l| HostConfigLogConfig {
        typ: text(l.get("driver")),
        config: l.get("options").and_then(Value::as_mapping).map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar_string(v)?)))
                .collect()
        }),
    });
    HostConfig {
        privileged: svc.get("privileged").and_then(Value::as_bool),
        cap_add: strings(svc.get("cap_add")),
        cap_drop: strings(svc.get("cap_drop")),
        security_opt: strings(svc.get("security_opt")),
        devices,
        tmpfs,
        extra_hosts,
        sysctls,
        log_config,
        dns: strings(svc.get("dns")),
        dns_search: strings(svc.get("dns_search")),
        init: svc.get("init").and_then(Value::as_bool),
        pid_mode: text(svc.get("pid")),
        ipc_mode: text(svc.get("ipc")),
        shm_size: bytes(svc.get("shm_size")),
        group_add: strings(svc.get("group_add")),
        ..resources(svc)
    }
}
