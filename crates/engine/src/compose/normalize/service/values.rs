//! The shapes of scalar and simple fields: lists of strings, booleans,
//! numbers, sizes, durations and string maps, each checked and written
//! as `docker compose config` prints it.

use serde_yaml::{Mapping, Sequence, Value};

use super::super::{kind, scalar_string};
use crate::model::{format_duration, parse_bytes, parse_duration};

pub(super) fn seq(value: &Value) -> std::result::Result<&Sequence, String> {
    match value {
        Value::Sequence(s) => Ok(s),
        other => Err(format!("must be a list, found {}", kind(other))),
    }
}

pub(super) fn strings(value: &Value) -> std::result::Result<Value, String> {
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
pub(super) fn strict_strings(value: &Value) -> std::result::Result<Value, String> {
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

pub(super) fn boolean(value: &Value) -> std::result::Result<Value, String> {
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

pub(super) fn integer(value: &Value) -> std::result::Result<Value, String> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        other => scalar_string(other)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(Value::from)
            .ok_or_else(|| format!("must be a whole number, found {}", kind(other))),
    }
}

pub(super) fn float(value: &Value) -> std::result::Result<Value, String> {
    scalar_string(value)
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite())
        .map(Value::from)
        .ok_or_else(|| format!("must be a number, found {}", kind(value)))
}

pub(super) fn bytes(value: &Value) -> std::result::Result<Value, String> {
    let text = scalar_string(value)
        .ok_or_else(|| format!("must be a size like 512m, found {}", kind(value)))?;
    parse_bytes(&text)
        .map(|b| Value::String(b.to_string()))
        .ok_or_else(|| format!("\"{text}\" is not a size; write it like 512m or 2g"))
}

pub(super) fn duration(value: &Value) -> std::result::Result<Value, String> {
    let text = scalar_string(value)
        .ok_or_else(|| format!("must be a duration like 30s, found {}", kind(value)))?;
    parse_duration(&text)
        .map(|ns| Value::String(format_duration(ns)))
        .ok_or_else(|| format!("\"{text}\" is not a duration; write it like 30s, 1m30s or 500ms"))
}

pub(super) fn string_map(value: &Value, null_as: &str) -> std::result::Result<Value, String> {
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
