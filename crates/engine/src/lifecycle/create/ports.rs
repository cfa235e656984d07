//! A container's ports: exposed inside, bound on the host where published.

use std::collections::HashMap;

use bollard::models::PortBinding;
use serde_yaml::{Mapping, Value};

use super::values::{strings, text};

/// The exposed ports (`80/tcp`) and the host bindings of the published ones.
pub(super) fn ports(svc: &Mapping) -> (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>) {
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
    (exposed, bindings)
}
