//! One service to its canonical form: every field the engine acts on is
//! rewritten into the single shape `docker compose config` prints; other
//! known fields and `x-*` extensions pass through.

use std::collections::BTreeSet;

use serde_yaml::{Mapping, Sequence, Value};

use super::{kind, ports, scalar_string, shellwords, volumes, Context};
use crate::model::{format_duration, parse_bytes, parse_duration};
use crate::{Error, Result};

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

/// Keys whose list values add up when a service extends another.
const MERGED_LISTS: &[&str] = &[
    "cap_add",
    "cap_drop",
    "devices",
    "dns",
    "dns_search",
    "expose",
    "external_links",
    "ports",
    "secrets",
    "configs",
    "security_opt",
    "tmpfs",
    "volumes_from",
    "links",
    "env_file",
];
/// Keys whose values are maps (or `K=V` lists) merged key by key.
const MERGED_MAPS: &[&str] = &[
    "environment",
    "labels",
    "sysctls",
    "extra_hosts",
    "annotations",
];

/// Lays `over` on `base` with compose's merge rules for `extends`.
pub(crate) fn merge_extends(base: Mapping, over: Mapping) -> Mapping {
    let mut out = base;
    for (k, v) in over {
        let key = k.as_str().unwrap_or_default().to_string();
        let merged = match (out.remove(&k), v) {
            (Some(Value::Sequence(mut a)), Value::Sequence(b))
                if MERGED_LISTS.contains(&key.as_str()) =>
            {
                for item in b {
                    if !a.contains(&item) {
                        a.push(item);
                    }
                }
                Value::Sequence(a)
            }
            (Some(Value::Sequence(mut a)), Value::Sequence(b)) if key == "volumes" => {
                let target = |v: &Value| match v {
                    Value::String(s) => volumes::parse_short(s)
                        .ok()
                        .and_then(|m| m.get("target").cloned()),
                    Value::Mapping(m) => m.get("target").cloned(),
                    _ => None,
                };
                // Same target: the later one takes the earlier one's place.
                for item in b {
                    let t = target(&item);
                    match a.iter_mut().find(|x| t.is_some() && target(x) == t) {
                        Some(slot) => *slot = item,
                        None => a.push(item),
                    }
                }
                Value::Sequence(a)
            }
            // A list of names and a mapping merge name by name.
            (Some(a), b) if key == "depends_on" || key == "networks" => {
                let mut m = names_map(&a);
                for (name, spec) in names_map(&b) {
                    let merged = match (m.remove(&name), spec) {
                        (Some(Value::Mapping(mut old)), Value::Mapping(new)) => {
                            old.extend(new);
                            Value::Mapping(old)
                        }
                        (Some(old), Value::Null) => old,
                        (_, new) => new,
                    };
                    m.insert(name, merged);
                }
                Value::Mapping(m)
            }
            (Some(a), b) if MERGED_MAPS.contains(&key.as_str()) => {
                let mut m = kv_map(&a);
                m.extend(kv_map(&b));
                Value::Mapping(m)
            }
            (Some(Value::Mapping(mut a)), Value::Mapping(b))
                if key != "command" && key != "entrypoint" =>
            {
                for (bk, bv) in b {
                    a.insert(bk, bv);
                }
                Value::Mapping(a)
            }
            (_, b) => b,
        };
        out.insert(k, merged);
    }
    out
}

/// `[a, b]` or `{a: …, b: …}` as a mapping (list items map to null).
fn names_map(value: &Value) -> Mapping {
    match value {
        Value::Mapping(m) => m.clone(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(scalar_string)
            .map(|s| (Value::from(s), Value::Null))
            .collect(),
        _ => Mapping::new(),
    }
}

/// `[K=V, K]` or `{K: V}` as a mapping (`K` alone maps to null).
fn kv_map(value: &Value) -> Mapping {
    match value {
        Value::Mapping(m) => m.clone(),
        Value::Sequence(items) => items
            .iter()
            .filter_map(scalar_string)
            .map(|s| match s.split_once('=') {
                Some((k, v)) => (Value::from(k), Value::from(v)),
                None => (Value::from(s), Value::Null),
            })
            .collect(),
        _ => Mapping::new(),
    }
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

/// `network_mode`, `ipc` or `pid` set to `service:x`, `volumes_from: [x]` and
/// `links: [x]` make the service depend on x, as docker compose records it.
fn implicit_dependencies(svc: &mut Mapping) {
    let mut deps: Vec<(String, bool)> = Vec::new();
    for key in ["network_mode", "ipc", "pid"] {
        if let Some(other) = svc
            .get(key)
            .and_then(Value::as_str)
            .and_then(|m| m.strip_prefix("service:"))
        {
            deps.push((other.to_string(), true));
        }
    }
    if let Some(Value::Sequence(items)) = svc.get("links") {
        for item in items.iter().filter_map(Value::as_str) {
            deps.push((item.split(':').next().unwrap_or_default().to_string(), true));
        }
    }
    // volumes_from is recorded without `restart`.
    if let Some(Value::Sequence(items)) = svc.get("volumes_from") {
        for item in items.iter().filter_map(Value::as_str) {
            if !item.starts_with("container:") {
                deps.push((
                    item.split(':').next().unwrap_or_default().to_string(),
                    false,
                ));
            }
        }
    }
    if deps.is_empty() {
        return;
    }
    let mut map = match svc.remove("depends_on") {
        Some(Value::Mapping(m)) => m,
        _ => Mapping::new(),
    };
    for (dep, restart) in deps {
        if !map.contains_key(dep.as_str()) {
            let mut e = Mapping::new();
            e.insert("condition".into(), "service_started".into());
            if restart {
                e.insert("restart".into(), true.into());
            }
            e.insert("required".into(), true.into());
            map.insert(dep.into(), Value::Mapping(e));
        }
    }
    svc.insert("depends_on".into(), Value::Mapping(map));
}

/// Legacy `cpus`/`mem_limit`/`pids_limit`/`mem_reservation` may repeat
/// `deploy.resources` but not contradict it; docker compose refuses that.
fn check_legacy_limits(svc: &Mapping) -> std::result::Result<(), String> {
    let res = |part: &str, key: &str| {
        svc.get("deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get(part))
            .and_then(|p| p.get(key))
            .and_then(scalar_string)
    };
    for (legacy, part, key) in [
        ("cpus", "limits", "cpus"),
        ("mem_limit", "limits", "memory"),
        ("pids_limit", "limits", "pids"),
        ("mem_reservation", "reservations", "memory"),
    ] {
        let (Some(old), Some(new)) = (svc.get(legacy).and_then(scalar_string), res(part, key))
        else {
            continue;
        };
        let differ = match (old.parse::<f64>(), new.parse::<f64>()) {
            (Ok(a), Ok(b)) => a != b,
            _ => old != new,
        };
        if differ {
            return Err(format!(
                "`{legacy}: {old}` and `deploy.resources.{part}.{key}: {new}` disagree; keep one of them"
            ));
        }
    }
    Ok(())
}

fn seq(value: &Value) -> std::result::Result<&Sequence, String> {
    match value {
        Value::Sequence(s) => Ok(s),
        other => Err(format!("must be a list, found {}", kind(other))),
    }
}

fn strings(value: &Value) -> std::result::Result<Value, String> {
    match value {
        Value::Sequence(items) => items
            .iter()
            .map(|v| {
                scalar_string(v)
                    .map(Value::String)
                    .ok_or_else(|| format!("list items must be strings, found {}", kind(v)))
            })
            .collect::<std::result::Result<Sequence, _>>()
            .map(Value::Sequence),
        Value::Null => Ok(Value::Sequence(Sequence::new())),
        v => scalar_string(v)
            .map(|s| Value::Sequence(vec![Value::String(s)]))
            .ok_or_else(|| format!("must be a string or a list, found {}", kind(v))),
    }
}

/// Like [`strings`] for fields whose schema takes only strings: docker
/// compose refuses a number or boolean item there, so Berth does too.
fn strict_strings(value: &Value) -> std::result::Result<Value, String> {
    if let Value::Sequence(items) = value {
        if let Some((i, item)) = items.iter().enumerate().find(|(_, v)| !v.is_string()) {
            return Err(format!(
                "item {i} must be a string, found {}; quote it",
                kind(item)
            ));
        }
    }
    strings(value)
}

fn boolean(value: &Value) -> std::result::Result<Value, String> {
    match value {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => Ok(Value::Bool(true)),
            "false" | "no" | "n" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("\"{s}\" is not true or false")),
        },
        other => Err(format!("must be true or false, found {}", kind(other))),
    }
}

fn integer(value: &Value) -> std::result::Result<Value, String> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        other => scalar_string(other)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(Value::from)
            .ok_or_else(|| format!("must be a whole number, found {}", kind(other))),
    }
}

fn float(value: &Value) -> std::result::Result<Value, String> {
    scalar_string(value)
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite())
        .map(Value::from)
        .ok_or_else(|| format!("must be a number, found {}", kind(value)))
}

fn bytes(value: &Value) -> std::result::Result<Value, String> {
    let text = scalar_string(value)
        .ok_or_else(|| format!("must be a size like 512m, found {}", kind(value)))?;
    parse_bytes(&text)
        .map(|b| Value::String(b.to_string()))
        .ok_or_else(|| format!("\"{text}\" is not a size; write it like 512m or 2g"))
}

fn duration(value: &Value) -> std::result::Result<Value, String> {
    let text = scalar_string(value)
        .ok_or_else(|| format!("must be a duration like 30s, found {}", kind(value)))?;
    parse_duration(&text)
        .map(|ns| Value::String(format_duration(ns)))
        .ok_or_else(|| format!("\"{text}\" is not a duration; write it like 30s, 1m30s or 500ms"))
}

fn command(value: Option<&Value>) -> std::result::Result<Value, String> {
    match value {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(v @ Value::Sequence(_)) => strict_strings(v),
        Some(v) => {
            let text = scalar_string(v)
                .ok_or_else(|| format!("must be a string or a list, found {}", kind(v)))?;
            shellwords::split(&text)
                .map(|words| Value::Sequence(words.into_iter().map(Value::String).collect()))
                .ok_or_else(|| format!("cannot split \"{text}\" into words: a quote is not closed"))
        }
    }
}

fn string_map(value: &Value, null_as: &str) -> std::result::Result<Value, String> {
    let mut out = Mapping::new();
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = scalar_string(k).ok_or("keys must be strings")?;
                let val = match v {
                    Value::Null => null_as.to_string(),
                    v => scalar_string(v).ok_or_else(|| {
                        format!("the value of {key} must be a string, found {}", kind(v))
                    })?,
                };
                out.insert(key.into(), val.into());
            }
        }
        Value::Sequence(items) => {
            for item in items {
                let s = scalar_string(item).ok_or_else(|| {
                    format!("list items must be KEY=VALUE strings, found {}", kind(item))
                })?;
                let (k, v) = s.split_once('=').unwrap_or((&s, null_as));
                out.insert(k.into(), v.into());
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "must be a mapping or a list of KEY=VALUE, found {}",
                kind(other)
            ))
        }
    }
    Ok(Value::Mapping(out))
}

fn extra_hosts(value: &Value) -> std::result::Result<Value, String> {
    let mut entries: Vec<(String, String)> = Vec::new();
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let host = scalar_string(k).ok_or("host names must be strings")?;
                match v {
                    Value::Sequence(ips) => {
                        for ip in ips {
                            entries.push((host.clone(), scalar_string(ip).unwrap_or_default()));
                        }
                    }
                    v => entries.push((host, scalar_string(v).unwrap_or_default())),
                }
            }
        }
        Value::Sequence(items) => {
            for item in items {
                let s = scalar_string(item).ok_or_else(|| {
                    format!("entries must be \"host:ip\" strings, found {}", kind(item))
                })?;
                let (h, ip) = s
                    .split_once('=')
                    .or_else(|| s.split_once(':'))
                    .ok_or_else(|| format!("\"{s}\" is not host:ip"))?;
                entries.push((h.to_string(), ip.to_string()));
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "must be a list of host:ip or a mapping, found {}",
                kind(other)
            ))
        }
    }
    // docker compose prints hosts sorted by name.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::Sequence(
        entries
            .into_iter()
            .map(|(h, ip)| Value::String(format!("{h}={ip}")))
            .collect(),
    ))
}

fn devices(value: &Value) -> std::result::Result<Value, String> {
    let list = seq(value)?;
    let mut out = Sequence::new();
    for item in list {
        let m = match item {
            Value::Mapping(m) => {
                let mut m = m.clone();
                if !m.contains_key("permissions") {
                    m.insert("permissions".into(), "rwm".into());
                }
                m
            }
            v => {
                let s = scalar_string(v).ok_or_else(|| {
                    format!("devices must be strings like /dev/dri, found {}", kind(v))
                })?;
                let parts: Vec<&str> = s.split(':').collect();
                let (src, dst, perms) = match parts.as_slice() {
                    [src] => (*src, *src, "rwm"),
                    [src, dst] => (*src, *dst, "rwm"),
                    [src, dst, perms] => (*src, *dst, *perms),
                    _ => {
                        return Err(format!(
                            "confusing device mapping \"{s}\"; use the long syntax"
                        ))
                    }
                };
                let dst = if dst.is_empty() { src } else { dst };
                let mut m = Mapping::new();
                m.insert("source".into(), src.into());
                m.insert("target".into(), dst.into());
                m.insert("permissions".into(), perms.into());
                m
            }
        };
        out.push(Value::Mapping(m));
    }
    Ok(Value::Sequence(out))
}

fn volume(
    value: &Value,
    ctx: &Context,
    home: Option<&str>,
) -> std::result::Result<Mapping, String> {
    let mut m = match value {
        Value::String(s) => volumes::parse_short(s)?,
        Value::Mapping(m) => {
            let ty = m
                .get("type")
                .and_then(scalar_string)
                .ok_or("a long-form volume needs `type:` (bind, volume or tmpfs)")?;
            if !matches!(
                ty.as_str(),
                "bind" | "volume" | "tmpfs" | "npipe" | "cluster" | "image"
            ) {
                return Err(format!("volume type \"{ty}\" is not bind, volume or tmpfs"));
            }
            if !m.contains_key("target") {
                return Err(
                    "a long-form volume needs `target:`, the path inside the container".into(),
                );
            }
            let mut m = m.clone();
            if m.get("read_only").is_some() {
                let ro = boolean(&m["read_only"])?;
                m.insert("read_only".into(), ro);
            }
            if let Some(Value::Mapping(t)) = m.get_mut("tmpfs") {
                if let Some(size) = t.get("size").cloned() {
                    let b = scalar_string(&size)
                        .and_then(|s| parse_bytes(&s))
                        .ok_or("tmpfs size must be a size like 64m")?;
                    t.insert("size".into(), b.to_string().into());
                }
            }
            m
        }
        other => {
            return Err(format!(
                "a volume must be a string like ./data:/data or a mapping, found {}",
                kind(other)
            ))
        }
    };
    if let Some(target) = m.get("target").and_then(scalar_string) {
        let cleaned = volumes::clean(std::path::Path::new(&target));
        m.insert(
            "target".into(),
            cleaned.to_string_lossy().into_owned().into(),
        );
    }
    if m.get("type").and_then(Value::as_str) == Some("bind") {
        if let Some(src) = m.get("source").and_then(scalar_string) {
            if src.is_empty() {
                return Err("a bind mount needs a source folder".into());
            }
            m.insert(
                "source".into(),
                volumes::resolve_bind_source(&src, ctx.bind_base, home).into(),
            );
        } else {
            return Err("a bind mount needs `source:`, the folder on the host".into());
        }
    }
    Ok(m)
}

fn depends_on(value: &Value) -> std::result::Result<Value, String> {
    let mut out = Mapping::new();
    let entry = |condition: Value, required: Value| {
        let mut e = Mapping::new();
        e.insert("condition".into(), condition);
        e.insert("required".into(), required);
        e
    };
    match value {
        Value::Sequence(items) => {
            for item in items {
                let name = scalar_string(item).ok_or_else(|| {
                    format!("list items must be service names, found {}", kind(item))
                })?;
                out.insert(
                    name.into(),
                    Value::Mapping(entry("service_started".into(), true.into())),
                );
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                let spec = v.as_mapping().cloned().unwrap_or_default();
                let condition = spec
                    .get("condition")
                    .cloned()
                    .unwrap_or_else(|| "service_started".into());
                if !matches!(
                    condition.as_str(),
                    Some("service_started" | "service_healthy" | "service_completed_successfully")
                ) {
                    return Err(format!(
                        "condition {condition:?} is not service_started, service_healthy or service_completed_successfully"
                    ));
                }
                let required = match spec.get("required") {
                    Some(r) => boolean(r)?,
                    None => true.into(),
                };
                let mut e = entry(condition, required);
                if let Some(r) = spec.get("restart") {
                    e.insert("restart".into(), boolean(r)?);
                }
                out.insert(k.clone(), Value::Mapping(e));
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "must be a list or a mapping of services, found {}",
                kind(other)
            ))
        }
    }
    Ok(Value::Mapping(out))
}

fn healthcheck(value: &Value) -> std::result::Result<Value, String> {
    let m = match value {
        Value::Mapping(m) => m,
        Value::Null => return Ok(Value::Mapping(Mapping::new())),
        other => return Err(format!("must be a mapping, found {}", kind(other))),
    };
    let mut out = Mapping::new();
    for (k, v) in m {
        let key = k.as_str().unwrap_or_default();
        let nv = match key {
            "test" => match v {
                Value::Sequence(_) => strict_strings(v)?,
                Value::Null => continue,
                v => Value::Sequence(vec![
                    "CMD-SHELL".into(),
                    scalar_string(v).unwrap_or_default().into(),
                ]),
            },
            "interval" | "timeout" | "start_period" | "start_interval" => duration(v)?,
            "retries" => integer(v)?,
            "disable" => match boolean(v)? {
                Value::Bool(false) => continue,
                v => v,
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), nv);
    }
    Ok(Value::Mapping(out))
}

fn deploy(value: &Value) -> std::result::Result<Value, String> {
    let m = match value {
        Value::Mapping(m) => m.clone(),
        Value::Null => Mapping::new(),
        other => return Err(format!("must be a mapping, found {}", kind(other))),
    };
    let mut out = m;
    if let Some(res) = out.get("resources").cloned() {
        let mut res = res
            .as_mapping()
            .cloned()
            .ok_or("`resources` must be a mapping")?;
        for part in ["limits", "reservations"] {
            let Some(Value::Mapping(r)) = res.get(part).cloned() else {
                continue;
            };
            let mut r = r;
            if let Some(c) = r.get("cpus").cloned() {
                r.insert(
                    "cpus".into(),
                    float(&c).map_err(|e| format!("resources.{part}.cpus {e}"))?,
                );
            }
            if let Some(mem) = r.get("memory").cloned() {
                r.insert(
                    "memory".into(),
                    bytes(&mem).map_err(|e| format!("resources.{part}.memory: {e}"))?,
                );
            }
            if let Some(p) = r.get("pids").cloned() {
                r.insert(
                    "pids".into(),
                    integer(&p).map_err(|e| format!("resources.{part}.pids {e}"))?,
                );
            }
            if let Some(Value::Sequence(devs)) = r.get("devices").cloned() {
                let devs = devs
                    .into_iter()
                    .map(|d| {
                        let mut d = d.as_mapping().cloned().unwrap_or_default();
                        if d.get("count").and_then(Value::as_str) == Some("all") {
                            d.insert("count".into(), (-1).into());
                        }
                        Value::Mapping(d)
                    })
                    .collect();
                r.insert("devices".into(), Value::Sequence(devs));
            }
            res.insert(part.into(), Value::Mapping(r));
        }
        out.insert("resources".into(), Value::Mapping(res));
    }
    if !out.contains_key("placement") {
        out.insert("placement".into(), Value::Mapping(Mapping::new()));
    }
    Ok(Value::Mapping(out))
}

fn service_networks(value: &Value) -> std::result::Result<Value, String> {
    let mut out = Mapping::new();
    match value {
        Value::Sequence(items) => {
            for item in items {
                let n = scalar_string(item).ok_or_else(|| {
                    format!("list items must be network names, found {}", kind(item))
                })?;
                out.insert(n.into(), Value::Null);
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                match v {
                    Value::Null | Value::Mapping(_) => out.insert(k.clone(), v.clone()),
                    other => {
                        return Err(format!(
                            "network settings must be a mapping, found {}",
                            kind(other)
                        ))
                    }
                };
            }
        }
        Value::Null => {}
        other => {
            return Err(format!(
                "must be a list or a mapping of networks, found {}",
                kind(other)
            ))
        }
    }
    Ok(Value::Mapping(out))
}

fn build(value: &Value, ctx: &Context, home: Option<&str>) -> std::result::Result<Value, String> {
    let mut m = match value {
        Value::Mapping(m) => m.clone(),
        v => {
            let mut m = Mapping::new();
            m.insert(
                "context".into(),
                scalar_string(v)
                    .ok_or_else(|| format!("must be a path or a mapping, found {}", kind(v)))?
                    .into(),
            );
            m
        }
    };
    let context = m
        .get("context")
        .and_then(scalar_string)
        .unwrap_or_else(|| ".".into());
    let remote = context.contains("://")
        || context.starts_with("git@")
        || context.starts_with("github.com/");
    let context = if remote {
        context
    } else {
        volumes::resolve_bind_source(&context, ctx.working_dir, home)
    };
    m.insert("context".into(), context.into());
    if !m.contains_key("dockerfile") && !m.contains_key("dockerfile_inline") {
        m.insert("dockerfile".into(), "Dockerfile".into());
    }
    Ok(Value::Mapping(m))
}

fn env_file_entries(value: &Value) -> std::result::Result<Vec<(String, bool)>, String> {
    let items = match value {
        Value::Sequence(items) => items.clone(),
        v => vec![v.clone()],
    };
    items
        .iter()
        .map(|item| match item {
            Value::Mapping(m) => {
                let path = m
                    .get("path")
                    .and_then(scalar_string)
                    .ok_or("an env_file entry needs `path:`")?;
                let required = m
                    .get("required")
                    .map(boolean)
                    .transpose()?
                    .and_then(|v| v.as_bool())
                    .unwrap_or(true);
                Ok((path, required))
            }
            v => scalar_string(v)
                .map(|p| (p, true))
                .ok_or_else(|| format!("env_file entries must be paths, found {}", kind(v))),
        })
        .collect()
}

fn env_file_list(
    value: &Value,
    ctx: &Context,
    home: Option<&str>,
) -> std::result::Result<Value, String> {
    Ok(Value::Sequence(
        env_file_entries(value)?
            .into_iter()
            .map(|(path, required)| {
                let mut m = Mapping::new();
                m.insert(
                    "path".into(),
                    volumes::resolve_bind_source(&path, ctx.working_dir, home).into(),
                );
                m.insert("required".into(), required.into());
                Value::Mapping(m)
            })
            .collect(),
    ))
}

/// The service's environment: `env_file` contents, then `environment:` on
/// top; a variable given without a value takes it from the environment
/// Berth was given, else stays null.
fn environment(raw: &Mapping, ctx: &Context, name: &str) -> Result<Option<Mapping>> {
    let home = ctx.environment.get("HOME").map(String::as_str);
    let mut out = Mapping::new();
    let mut any = false;
    if let Some(files) = raw.get("env_file") {
        any = true;
        let entries = env_file_entries(files)
            .map_err(|m| ctx.invalid(format!("services.{name}.env_file"), m))?;
        for (file, required) in entries {
            let abs = volumes::resolve_bind_source(&file, ctx.working_dir, home);
            let text = match std::fs::read_to_string(&abs) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => continue,
                Err(source) => {
                    return Err(Error::Read {
                        path: abs.into(),
                        cause: source,
                    })
                }
            };
            let vars =
                crate::compose::parse_env_file(&text, ctx.environment).map_err(|(line, m)| {
                    Error::invalid(std::path::Path::new(&abs), format!("line {line}"), m)
                })?;
            for (k, v) in vars {
                out.insert(k.into(), v.into());
            }
        }
    }
    if let Some(env) = raw.get("environment") {
        any = true;
        let entries: Vec<(String, Option<String>)> = match env {
            Value::Mapping(m) => m
                .iter()
                .map(|(k, v)| (scalar_string(k).unwrap_or_default(), scalar_string(v)))
                .collect(),
            Value::Sequence(items) => items
                .iter()
                .map(|item| {
                    let s = scalar_string(item).unwrap_or_default();
                    match s.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (s, None),
                    }
                })
                .collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(ctx.invalid(
                    format!("services.{name}.environment"),
                    format!(
                        "must be a mapping or a list of KEY=VALUE, found {}",
                        kind(other)
                    ),
                ))
            }
        };
        for (k, v) in entries {
            let value = match v {
                Some(v) => Value::String(v),
                None => ctx
                    .environment
                    .get(&k)
                    .cloned()
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            };
            out.insert(k.into(), value);
        }
    }
    Ok(any.then_some(out))
}
