//! One entry of a service's `volumes`: short or long syntax to the long
//! form, sources resolved.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string, volumes, Context};
use super::values::boolean;
use crate::model::parse_bytes;

pub(super) fn volume(
    value: &Value,
    ctx: &Context,
    home: Option<&str>,
) -> std::result::Result<Mapping, String> {
    let mut m = match value {
        Value::String(s) => volumes::parse_short(s)?,
        Value::Mapping(m) => {
            let ty = m
                .get("type")
                .and_then(scalar_string)
                .ok_or("a long-form volume needs `type:` (bind, volume or tmpfs)")?;
            if !matches!(
                ty.as_str(),
                "bind" | "volume" | "tmpfs" | "npipe" | "cluster" | "image"
            ) {
                return Err(format!("volume type \"{ty}\" is not bind, volume or tmpfs"));
            }
            if !m.contains_key("target") {
                return Err(
                    "a long-form volume needs `target:`, the path inside the container".into(),
                );
            }
            let mut m = m.clone();
            if m.get("read_only").is_some() {
                let ro = boolean(&m["read_only"])?;
                m.insert("read_only".into(), ro);
            }
            if let Some(Value::Mapping(t)) = m.get_mut("tmpfs") {
                if let Some(size) = t.get("size").cloned() {
                    let b = scalar_string(&size)
                        .and_then(|s| parse_bytes(&s))
                        .ok_or("tmpfs size must be a size like 64m")?;
                    t.insert("size".into(), b.to_string().into());
                }
            }
            m
        }
        other => {
            return Err(format!(
                "a volume must be a string like ./data:/data or a mapping, found {}",
                kind(other)
            ))
        }
    };
    if let Some(target) = m.get("target").and_then(scalar_string) {
        let cleaned = volumes::clean(std::path::Path::new(&target));
        m.insert(
            "target".into(),
            cleaned.to_string_lossy().into_owned().into(),
        );
    }
    if m.get("type").and_then(Value::as_str) == Some("bind") {
        if let Some(src) = m.get("source").and_then(scalar_string) {
            if src.is_empty() {
                return Err("a bind mount needs a source folder".into());
            }
            m.insert(
                "source".into(),
                volumes::resolve_bind_source(&src, ctx.bind_base, home).into(),
            );
        } else {
            return Err("a bind mount needs `source:`, the folder on the host".into());
        }
    }
    Ok(m)
}
