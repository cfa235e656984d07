//! `environment` and `env_file`: the files read, the variables merged
//! and resolved from the environment Berth was given.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string, volumes, Context};
use super::values::boolean;
use crate::{Error, Result};

/// The service's environment: `env_file` contents, then `environment:` on
/// top; a variable given without a value takes it from the environment
/// Berth was given, else stays null.
pub(super) fn environment(raw: &Mapping, ctx: &Context, name: &str) -> Result<Option<Mapping>> {
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

pub(super) fn env_file_list(
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
