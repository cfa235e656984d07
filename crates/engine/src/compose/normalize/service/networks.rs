//! A service's `networks`, list or mapping, as a mapping of network to
//! its settings.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string};

pub(super) fn service_networks(value: &Value) -> std::result::Result<Value, String> {
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
