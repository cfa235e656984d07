//! Merging a service with the one it `extends` (and a service of an
//! override file with the one it overrides), by compose's rules: lists add
//! up, mappings merge key by key at every depth, the rest is replaced.

use serde_yaml::{Mapping, Value};

use super::super::{scalar_string, volumes};

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
const MERGED_MAPS: &[&str] = &["environment", "labels", "sysctls", "annotations"];

/// Mappings merged one level only: their lists are replaced, not added up
/// (compose overrides `healthcheck.test` whole, and merges `build`,
/// `logging` and `ulimits` by rules of their own).
const SHALLOW_MAPS: &[&str] = &["healthcheck", "build", "logging", "ulimits"];

/// Lays `over` on `base` with compose's merge rules for `extends`.
pub(crate) fn merge_extends(base: Mapping, over: Mapping) -> Mapping {
    let mut out = base;
    for (k, v) in over {
        let key = k.as_str().unwrap_or_default().to_string();
        let merged = match (out.remove(&k), v) {
            // A single item (`tmpfs: /run`) counts as a list of one.
            (Some(a), b) if MERGED_LISTS.contains(&key.as_str()) => {
                Value::Sequence(union(as_list(a), as_list(b)))
            }
            // `host:ip` and `host=ip` entries, or a mapping: compose adds
            // up the entries, written alike, without repeating one.
            (Some(a), b) if key == "extra_hosts" => {
                Value::Sequence(union(host_entries(a), host_entries(b)))
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
                        // A network's `aliases` add up.
                        (Some(old @ Value::Mapping(_)), new @ Value::Mapping(_)) => {
                            merge_deep(old, new)
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
                if SHALLOW_MAPS.contains(&key.as_str()) =>
            {
                for (bk, bv) in b {
                    a.insert(bk, bv);
                }
                Value::Mapping(a)
            }
            // `deploy` and the like: `resources.limits` merge limit by limit.
            (Some(a @ Value::Mapping(_)), b @ Value::Mapping(_))
                if key != "command" && key != "entrypoint" =>
            {
                merge_deep(a, b)
            }
            (_, b) => b,
        };
        out.insert(k, merged);
    }
    out
}

/// Compose's default merge, for what has no rule of its own: mappings key
/// by key at every depth, lists added up (an item already there is not
/// repeated), anything else replaced.
fn merge_deep(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Mapping(mut a), Value::Mapping(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(old) => merge_deep(old, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Mapping(a)
        }
        (Value::Sequence(a), Value::Sequence(b)) => Value::Sequence(union(a, b)),
        (_, over) => over,
    }
}

/// `a` then the items of `b` it does not hold yet.
fn union(mut a: Vec<Value>, b: Vec<Value>) -> Vec<Value> {
    for item in b {
        if !a.contains(&item) {
            a.push(item);
        }
    }
    a
}

fn as_list(value: Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items,
        Value::Null => Vec::new(),
        item => vec![item],
    }
}

/// `extra_hosts` as `host=ip` entries (a mapping's hosts sorted, as compose
/// lists them), so the two forms merge.
fn host_entries(value: Value) -> Vec<Value> {
    let entry = |host: &Value, ip: &Value| {
        Value::from(format!(
            "{}={}",
            scalar_string(host).unwrap_or_default(),
            scalar_string(ip).unwrap_or_default()
        ))
    };
    match value {
        Value::Mapping(m) => {
            let mut entries: Vec<Value> = m
                .iter()
                .flat_map(|(host, ips)| match ips {
                    Value::Sequence(ips) => ips.iter().map(|ip| entry(host, ip)).collect(),
                    ip => vec![entry(host, ip)],
                })
                .collect();
            entries.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            entries
        }
        other => as_list(other),
    }
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
