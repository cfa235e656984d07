//! Merging a service with the one it `extends`, by compose's rules:
//! lists add up, mappings merge key by key, the rest is replaced.

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
