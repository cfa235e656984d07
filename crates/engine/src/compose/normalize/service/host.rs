//! What a service sees of the host: `extra_hosts` and `devices`.

use serde_yaml::{Mapping, Sequence, Value};

use super::super::{kind, scalar_string};
use super::values::seq;

pub(super) fn extra_hosts(value: &Value) -> std::result::Result<Value, String> {
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

pub(super) fn devices(value: &Value) -> std::result::Result<Value, String> {
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
