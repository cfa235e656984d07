//! `build`: a context path or a mapping, the context resolved.

use serde_yaml::{Mapping, Value};

use super::super::{kind, scalar_string, volumes, Context};

pub(super) fn build(
    value: &Value,
    ctx: &Context,
    home: Option<&str>,
) -> std::result::Result<Value, String> {
    let mut m = match value {
        Value::Mapping(m) => m.clone(),
        v => {
            let mut m = Mapping::new();
            m.insert(
                "context".into(),
                scalar_string(v)
                    .ok_or_else(|| format!("must be a path or a mapping, found {}", kind(v)))?
                    .into(),
            );
            m
        }
    };
    let context = m
        .get("context")
        .and_then(scalar_string)
        .unwrap_or_else(|| ".".into());
    let remote = context.contains("://")
        || context.starts_with("git@")
        || context.starts_with("github.com/");
    let context = if remote {
        context
    } else {
        volumes::resolve_bind_source(&context, ctx.working_dir, home)
    };
    m.insert("context".into(), context.into());
    if !m.contains_key("dockerfile") && !m.contains_key("dockerfile_inline") {
        m.insert("dockerfile".into(), "Dockerfile".into());
    }
    Ok(Value::Mapping(m))
}
