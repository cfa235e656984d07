//! `depends_on`, written or implied by `network_mode`, `ipc`, `pid`,
//! `links` and `volumes_from`.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string};
use super::values::boolean;

/// `network_mode`, `ipc` or `pid` set to `service:x`, `volumes_from: [x]` and
/// `links: [x]` make the service depend on x, as docker compose records it.
pub(super) fn implicit_dependencies(svc: &mut Mapping) {
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

pub(super) fn depends_on(value: &Value) -> std::result::Result<Value, String> {
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
