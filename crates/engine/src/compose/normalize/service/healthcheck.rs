//! `healthcheck`: its test, durations and retries in canonical form.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string};
use super::values::{boolean, duration, integer, strict_strings};

pub(super) fn healthcheck(value: &Value) -> std::result::Result<Value, String> {
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
