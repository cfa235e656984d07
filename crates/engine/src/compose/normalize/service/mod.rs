//! One service to its canonical form: every field the engine acts on is
//! rewritten into the single shape `docker compose config` prints; other
//! known fields and `x-*` extensions pass through.
//!
//! `normalize_service` is the entry; a file per field family does the rest:
//! `values.rs` (scalars, lists, maps), `command.rs`, `environment.rs`
//! (with `env_file`), `mounts.rs` (volumes), `networks.rs`, `depends_on.rs`,
//! `healthcheck.rs`, `deploy.rs` (with the legacy limit keys), `build.rs`,
//! `host.rs` (`extra_hosts`, `devices`), and `extends.rs` (merging a
//! service with the one it extends).

mod build;
mod command;
mod depends_on;
mod deploy;
mod environment;
mod extends;
mod healthcheck;
mod host;
mod mounts;
mod networks;
mod values;

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Sequence, Value};

use super::{kind, ports, Context};
use crate::Result;
use build::build;
use command::command;
use depends_on::{depends_on, implicit_dependencies};
use deploy::{check_legacy_limits, deploy};
use environment::{env_file_list, environment};
use healthcheck::healthcheck;
use host::{devices, extra_hosts};
use mounts::volume;
use networks::service_networks;
use values::{boolean, bytes, duration, float, integer, seq, string_map, strings};

pub(crate) use extends::merge_extends;

/// Service keys in the compose specification; anything else is refused, as
/// docker compose refuses it (extensions start with `x-`).
const KNOWN: &[&str] = &[
    "annotations",
    "attach",
    "build",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_shares",
    "cpu_quota",
    "cpu_period",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// Whether a service is enabled by the active profiles (`*` enables all).
/// `profiles` must be a list of strings, as docker compose requires: a
/// scalar or a non-string item is refused (checked here, before a
/// disabled service is skipped, as compose validates every service).
pub(super) fn profile_enabled(
    raw: &Mapping,
    active: &BTreeSet<&str>,
) -> std::result::Result<bool, String> {
    let list = match raw.get("profiles") {
        None | Some(Value::Null) => return Ok(true),
        Some(Value::Sequence(list)) => list,
        Some(other) => return Err(format!("must be a list, found {}", kind(other))),
    };
    if let Some(item) = list.iter().find(|v| !v.is_string()) {
        return Err(format!(
            "items must be strings, found {}; quote it",
            kind(item)
        ));
    }
    Ok(list.is_empty()
        || active.contains("*")
        || list
            .iter()
            .filter_map(Value::as_str)
            .any(|p| active.contains(p)))
}

/// Normalizes one service.
pub(super) fn normalize_service(name: &str, raw: &Mapping, ctx: &Context) -> Result<Mapping> {
    let at = |field: &str| format!("services.{name}.{field}");
    let bad = |field: &str, msg: String| ctx.invalid(at(field), msg);
    for key in raw.keys() {
        let k = key.as_str().unwrap_or_default();
        if !KNOWN.contains(&k) && !k.starts_with("x-") {
            return Err(bad(
                k,
                "unknown service attribute; check its spelling (extensions must start with `x-`)"
                    .into(),
            ));
        }
    }
    if raw.contains_key("network_mode") && raw.contains_key("networks") {
        return Err(ctx.invalid(
            format!("services.{name}"),
            "`network_mode` and `networks` cannot both be set; keep one of them",
        ));
    }
    let home = ctx.environment.get("HOME").map(String::as_str);

    let mut out = Mapping::new();
    for (key, value) in raw {
        let k = key.as_str().unwrap_or_default();
        let v: Value = match k {
            "build" => build(value, ctx, home).map_err(|m| bad(k, m))?,
            "command" | "entrypoint" => continue,
            "environment" | "env_file" => continue,
            "ports" => {
                let list = seq(value).map_err(|m| bad(k, m))?;
                let mut out = Sequence::new();
                for (i, p) in list.iter().enumerate() {
                    out.extend(
                        ports::normalize_port(p).map_err(|m| bad(&format!("ports[{i}]"), m))?,
                    );
                }
                Value::Sequence(out)
            }
            "expose" => strings(value).map_err(|m| bad(k, m))?,
            "volumes" => {
                let list = seq(value).map_err(|m| bad(k, m))?;
                let mut out = Sequence::new();
                for (i, v) in list.iter().enumerate() {
                    out.push(Value::Mapping(
                        volume(v, ctx, home).map_err(|m| bad(&format!("volumes[{i}]"), m))?,
                    ));
                }
                Value::Sequence(out)
            }
            "depends_on" => depends_on(value).map_err(|m| bad(k, m))?,
            "healthcheck" => healthcheck(value).map_err(|m| bad(k, m))?,
            "deploy" => deploy(value).map_err(|m| bad(k, m))?,
            "networks" => service_networks(value).map_err(|m| bad(k, m))?,
            "labels" | "annotations" => string_map(value, "").map_err(|m| bad(k, m))?,
            "sysctls" => string_map(value, "").map_err(|m| bad(k, m))?,
            "extra_hosts" => extra_hosts(value).map_err(|m| bad(k, m))?,
            "devices" => devices(value).map_err(|m| bad(k, m))?,
            "tmpfs"
            | "dns"
            | "dns_search"
            | "dns_opt"
            | "cap_add"
            | "cap_drop"
            | "security_opt"
            | "group_add"
            | "device_cgroup_rules"
            | "external_links"
            | "links"
            | "volumes_from"
            | "profiles" => strings(value).map_err(|m| bad(k, m))?,
            // Go omits these when false; so does the canonical model.
            "privileged" | "read_only" | "tty" | "stdin_open" | "oom_kill_disable" => {
                match boolean(value).map_err(|m| bad(k, m))? {
                    Value::Bool(false) => continue,
                    v => v,
                }
            }
            "init" => boolean(value).map_err(|m| bad(k, m))?,
            "mem_limit" | "mem_reservation" | "memswap_limit" | "shm_size" => {
                bytes(value).map_err(|m| bad(k, m))?
            }
            "cpu_shares" | "pids_limit" | "cpu_count" | "cpu_percent" | "cpu_quota"
            | "cpu_period" | "cpu_rt_period" | "cpu_rt_runtime" | "mem_swappiness"
            | "oom_score_adj" | "scale" => integer(value).map_err(|m| bad(k, m))?,
            "cpus" => float(value).map_err(|m| bad(k, m))?,
            "stop_grace_period" => duration(value).map_err(|m| bad(k, m))?,
            "image" | "user" | "working_dir" | "hostname" | "domainname" | "container_name"
            | "restart" | "network_mode" | "pid" | "ipc" | "stop_signal" | "platform"
            | "pull_policy" | "runtime" | "userns_mode" | "uts" | "cgroup" | "cgroup_parent"
            | "isolation" | "mac_address" | "cpuset" => match value {
                // The schema takes only strings here: `user: 1000` is refused by docker compose.
                Value::String(_) => value.clone(),
                v => {
                    return Err(bad(
                        k,
                        format!("must be a string, found {}; quote it", kind(v)),
                    ))
                }
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), v);
    }

    for k in ["command", "entrypoint"] {
        let v = command(raw.get(k)).map_err(|m| bad(k, m))?;
        out.insert(k.into(), v);
    }
    if let Some(env) = environment(raw, ctx, name)? {
        out.insert("environment".into(), Value::Mapping(env));
    }
    if let Some(files) = raw.get("env_file") {
        out.insert(
            "env_file".into(),
            env_file_list(files, ctx, home).map_err(|m| bad("env_file", m))?,
        );
    }
    if !out.contains_key("networks") && !out.contains_key("network_mode") {
        let mut nets = Mapping::new();
        nets.insert("default".into(), Value::Null);
        out.insert("networks".into(), Value::Mapping(nets));
    }
    implicit_dependencies(&mut out);
    check_legacy_limits(&out).map_err(|m| ctx.invalid(format!("services.{name}"), m))?;
    if let Some(Value::String(mode)) = out.get("restart") {
        let base = mode.split(':').next().unwrap_or_default();
        if !matches!(base, "no" | "always" | "on-failure" | "unless-stopped") {
            return Err(bad("restart", format!("\"{mode}\" is not a restart policy; use no, always, on-failure or unless-stopped")));
        }
    }
    Ok(out)
}
