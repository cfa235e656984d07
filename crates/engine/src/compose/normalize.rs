//! Normalization to the canonical model: the document `docker compose config`
//! prints.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::Result;

/// What normalization needs besides the document.
pub(crate) struct Context<'a> {
    pub path: &'a Path,
    pub working_dir: &'a Path,
    pub environment: &'a BTreeMap<String, String>,
    pub project_name: Option<&'a str>,
    pub profiles: &'a [String],
}

pub(crate) fn normalize(
    doc: Value,
    ctx: &Context,
    warnings: &mut Vec<String>,
) -> Result<(String, Value)> {
    let _ = (ctx.environment, ctx.profiles, warnings);
    let mut doc = doc;
    let name = ctx.project_name.unwrap_or("default").to_string();
    if let Value::Mapping(m) = &mut doc {
        m.insert("name".into(), name.clone().into());
    }
    let _ = (
        Mapping::new(),
        super::err_invalid(ctx.path, "", ""),
        ctx.working_dir,
    );
    Ok((name, doc))
}
