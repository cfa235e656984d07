//! `deploy`, its resource limits and reservations, and the legacy
//! `cpus`/`mem_limit`/… keys that must agree with them.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string};
use super::values::{bytes, float, integer};

/// Legacy `cpus`/`mem_limit`/`pids_limit`/`mem_reservation` may repeat
/// `deploy.resources` but not contradict it; docker compose refuses that.
pub(super) fn check_legacy_limits(svc: &Mapping) -> std::result::Result<(), String> {
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

pub(super) fn deploy(value: &Value) -> std::result::Result<Value, String> {
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
