//! Normalization to the canonical model: the document `docker compose config`
//! prints. Project-level work lives here (name, profiles, `extends`,
//! networks, volumes, secrets, cross-references); per-service fields in
//! `service.rs`.

mod ports;
mod service;
mod shellwords;
mod volumes;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::{Mapping, Value};

use crate::{Error, Result};

pub(crate) use super::parse::kind;
pub(crate) use service::merge_extends;
pub(crate) use volumes::clean;

/// What normalization needs besides the document.
pub(crate) struct Context<'a> {
    pub path: &'a Path,
    pub working_dir: &'a Path,
    pub bind_base: &'a Path,
    pub environment: &'a BTreeMap<String, String>,
    pub project_name: Option<&'a str>,
    pub profiles: &'a [String],
}

impl Context<'_> {
    fn invalid(&self, at: impl Into<String>, message: impl Into<String>) -> Error {
        Error::invalid(self.path, at, message)
    }
}

/// A scalar as the string compose would see (`8080`, `true`, `1.5`); `None` for null and collections.
pub(crate) fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 1e21 => {
                format!("{f:.0}")
            }
            _ => n.to_string(),
        }),
        _ => None,
    }
}

/// Top-level keys docker compose knows; others must be `x-*` extensions.
const TOP_LEVEL: &[&str] = &[
    "name", "services", "networks", "volumes", "secrets", "configs", "include", "version",
];

pub(crate) fn normalize(
    doc: Value,
    ctx: &Context,
    warnings: &mut Vec<String>,
) -> Result<(String, Value)> {
    let Value::Mapping(mut doc) = doc else {
        return Err(ctx.invalid("top level", "the top level must be a mapping"));
    };
    for key in doc.keys() {
        let k = key.as_str().unwrap_or_default();
        if !TOP_LEVEL.contains(&k) && !k.starts_with("x-") {
            return Err(ctx.invalid(
                k.to_string(),
                "unknown top-level key; compose files may only add keys that start with `x-`",
            ));
        }
    }
    if doc.remove("version").is_some() {
        warnings.push(format!(
            "{}: the attribute `version` is obsolete, it will be ignored",
            ctx.path.display()
        ));
    }
    let name = project_name(&doc, ctx)?;

    let raw_services = match doc.remove("services") {
        Some(Value::Mapping(m)) => m,
        Some(Value::Null) | None => Mapping::new(),
        Some(other) => {
            return Err(ctx.invalid(
                "services",
                format!("must be a mapping of services, found {}", kind(&other)),
            ))
        }
    };

    let active: BTreeSet<&str> = ctx.profiles.iter().map(String::as_str).collect();
    let mut services = Mapping::new();
    let mut disabled = BTreeSet::new();
    let empty = Mapping::new();
    for (key, raw) in &raw_services {
        let sname = key.as_str().unwrap_or_default().to_string();
        let raw = match raw {
            Value::Mapping(m) => m,
            Value::Null => &empty,
            other => {
                return Err(ctx.invalid(
                    format!("services.{sname}"),
                    format!("a service must be a mapping, found {}", kind(other)),
                ))
            }
        };
        let enabled = service::profile_enabled(raw, &active)
            .map_err(|m| ctx.invalid(format!("services.{sname}.profiles"), m))?;
        if !enabled {
            disabled.insert(sname);
            continue;
        }
        let svc = service::normalize_service(&sname, raw, ctx)?;
        services.insert(sname.into(), Value::Mapping(svc));
    }

    check_references(&services, &disabled, ctx)?;
    check_cycles(&services, ctx)?;

    let networks = normalize_networks(&mut doc, &services, &name, ctx)?;
    let volumes = normalize_named(&mut doc, "volumes", &name, ctx, &services)?;
    let secrets = normalize_named(&mut doc, "secrets", &name, ctx, &services)?;
    let configs = normalize_named(&mut doc, "configs", &name, ctx, &services)?;

    let mut out = Mapping::new();
    out.insert("name".into(), name.clone().into());
    out.insert("services".into(), Value::Mapping(services));
    for (key, value) in [
        ("networks", networks),
        ("volumes", volumes),
        ("secrets", secrets),
        ("configs", configs),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), Value::Mapping(v));
        }
    }
    doc.remove("name");
    for (k, v) in doc {
        out.insert(k, v);
    }
    Ok((name, Value::Mapping(out)))
}

fn valid_project_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `-p` wins, then `COMPOSE_PROJECT_NAME`, then `name:`, then the folder's name.
fn project_name(doc: &Mapping, ctx: &Context) -> Result<String> {
    let explicit = ctx
        .project_name
        .map(str::to_string)
        .or_else(|| {
            ctx.environment
                .get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .cloned()
        })
        .or_else(|| {
            doc.get("name")
                .and_then(scalar_string)
                .filter(|s| !s.is_empty())
        });
    if let Some(name) = explicit {
        if !valid_project_name(&name) {
            return Err(ctx.invalid(
                "name",
                format!("\"{name}\" is not a valid project name: use lowercase letters, digits, `-` and `_`, starting with a letter or digit"),
            ));
        }
        return Ok(name);
    }
    let folder = ctx
        .working_dir
        .file_name()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let cleaned: String = folder
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        .collect();
    let cleaned = cleaned.trim_start_matches(['-', '_']).to_string();
    if cleaned.is_empty() {
        return Err(ctx.invalid(
            "name",
            "no project name: the folder name has no usable characters; set `name:` or pass a project name",
        ));
    }
    Ok(cleaned)
}

fn check_references(services: &Mapping, disabled: &BTreeSet<String>, ctx: &Context) -> Result<()> {
    for (name, svc) in services {
        let name = name.as_str().unwrap_or_default();
        let svc = svc.as_mapping().expect("normalized services are mappings");
        if !svc.contains_key("image") && !svc.contains_key("build") {
            return Err(ctx.invalid(
                format!("services.{name}"),
                "the service has neither an image nor a build context; add `image:` (or `build:`)",
            ));
        }
        if let Some(Value::Mapping(deps)) = svc.get("depends_on") {
            for (dep, spec) in deps {
                let dep = dep.as_str().unwrap_or_default();
                let required = spec
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                if !services.contains_key(dep) && (required || !disabled.contains(dep)) {
                    let why = if disabled.contains(dep) {
                        " (it is in a profile that is not enabled)"
                    } else {
                        ""
                    };
                    return Err(ctx.invalid(
                        format!("services.{name}.depends_on"),
                        format!("depends on service \"{dep}\", which is not defined{why}"),
                    ));
                }
            }
        }
        for key in ["network_mode", "pid", "ipc"] {
            if let Some(other) = svc
                .get(key)
                .and_then(Value::as_str)
                .and_then(|m| m.strip_prefix("service:"))
            {
                if !services.contains_key(other) {
                    return Err(ctx.invalid(
                        format!("services.{name}.{key}"),
                        format!("refers to service \"{other}\", which is not defined"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Refuses a dependency cycle among the enabled services, as docker compose
/// does before creating anything: `depends_on` plus the implicit dependencies
/// of `links`, `volumes_from` and `service:` modes all count. Services and
/// dependencies are visited in name order, as compose-go's graph does, so the
/// same cycle is reported.
fn check_cycles(services: &Mapping, ctx: &Context) -> Result<()> {
    let graph: BTreeMap<&str, BTreeSet<&str>> = services
        .iter()
        .map(|(name, svc)| {
            let deps = match svc.get("depends_on") {
                Some(Value::Mapping(deps)) => deps
                    .keys()
                    .filter_map(Value::as_str)
                    .filter(|d| services.contains_key(*d))
                    .collect(),
                _ => BTreeSet::new(),
            };
            (name.as_str().unwrap_or_default(), deps)
        })
        .collect();
    fn search<'a>(
        path: &mut Vec<&'a str>,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<String> {
        let last = *path.last().expect("the path starts with a service");
        for &dep in &graph[last] {
            if let Some(i) = path.iter().position(|p| *p == dep) {
                return Some(format!("{} -> {dep}", path[i..].join(" -> ")));
            }
            if done.contains(dep) {
                continue;
            }
            path.push(dep);
            if let Some(cycle) = search(path, graph, done) {
                return Some(cycle);
            }
            path.pop();
        }
        done.insert(last);
        None
    }
    let mut done = BTreeSet::new();
    for &name in graph.keys() {
        if let Some(cycle) = search(&mut vec![name], &graph, &mut done) {
            let first = cycle.split(" -> ").next().unwrap_or(name);
            return Err(ctx.invalid(
                format!("services.{first}.depends_on"),
                format!("dependency cycle detected: {cycle}; a service cannot wait for itself, so remove one of these dependencies (`links`, `volumes_from` and `service:` modes count too)"),
            ));
        }
    }
    Ok(())
}

fn normalize_networks(
    doc: &mut Mapping,
    services: &Mapping,
    project: &str,
    ctx: &Context,
) -> Result<Option<Mapping>> {
    let declared = match doc.remove("networks") {
        Some(Value::Mapping(m)) => m,
        Some(Value::Null) | None => Mapping::new(),
        Some(other) => {
            return Err(ctx.invalid(
                "networks",
                format!("must be a mapping, found {}", kind(&other)),
            ))
        }
    };
    let mut used = BTreeSet::new();
    for (sname, svc) in services {
        if let Some(Value::Mapping(nets)) = svc.get("networks") {
            for net in nets.keys() {
                let net = net.as_str().unwrap_or_default();
                if net != "default" && !declared.contains_key(net) {
                    return Err(ctx.invalid(
                        format!("services.{}.networks", sname.as_str().unwrap_or_default()),
                        format!("uses network \"{net}\", which is not declared under top-level `networks:`"),
                    ));
                }
                used.insert(net.to_string());
            }
        }
    }
    let mut out = Mapping::new();
    // Like docker compose, drop networks no enabled service uses.
    let declared: Mapping = declared
        .into_iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| used.contains(k)))
        .collect();
    if used.contains("default") && !declared.contains_key("default") {
        out.insert(
            "default".into(),
            Value::Mapping(named_entry(&Mapping::new(), "default", project, true)),
        );
    }
    for (k, v) in &declared {
        let key = k.as_str().unwrap_or_default();
        let body = match v {
            Value::Mapping(m) => m.clone(),
            Value::Null => Mapping::new(),
            other => {
                return Err(ctx.invalid(
                    format!("networks.{key}"),
                    format!("must be a mapping, found {}", kind(other)),
                ))
            }
        };
        out.insert(
            k.clone(),
            Value::Mapping(named_entry(&body, key, project, true)),
        );
    }
    Ok((!out.is_empty()).then_some(out))
}

/// Gives a network, volume, secret or config its engine-side name.
fn named_entry(body: &Mapping, key: &str, project: &str, ipam: bool) -> Mapping {
    let external = match body.get("external") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Mapping(_)) => true,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    let explicit = body
        .get("external")
        .and_then(|e| e.get("name"))
        .and_then(scalar_string)
        .or_else(|| body.get("name").and_then(scalar_string));
    let name = explicit.unwrap_or_else(|| {
        if external {
            key.to_string()
        } else {
            format!("{project}_{key}")
        }
    });
    let mut out = Mapping::new();
    out.insert("name".into(), name.into());
    for (k, v) in body {
        match k.as_str() {
            Some("name") => {}
            Some("external") => {
                out.insert(k.clone(), external.into());
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if ipam && !external && !out.contains_key("ipam") {
        out.insert("ipam".into(), Value::Mapping(Mapping::new()));
    }
    out
}

/// Names of the volumes, secrets or configs that services refer to.
fn used_by_services(section: &str, services: &Mapping) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for svc in services.values() {
        let Some(Value::Sequence(items)) = svc.get(section) else {
            continue;
        };
        for item in items {
            let name = match (section, item) {
                ("volumes", v) if v.get("type").and_then(Value::as_str) == Some("volume") => {
                    v.get("source")
                }
                ("volumes", _) => None,
                (_, Value::String(_)) => Some(item),
                (_, v) => v.get("source"),
            };
            if let Some(n) = name.and_then(Value::as_str) {
                used.insert(n.to_string());
            }
        }
    }
    used
}

fn normalize_named(
    doc: &mut Mapping,
    section: &str,
    project: &str,
    ctx: &Context,
    services: &Mapping,
) -> Result<Option<Mapping>> {
    let declared = match doc.remove(section) {
        Some(Value::Mapping(m)) => m,
        Some(Value::Null) | None => Mapping::new(),
        Some(other) => {
            return Err(ctx.invalid(
                section,
                format!("must be a mapping, found {}", kind(&other)),
            ))
        }
    };
    if section == "volumes" {
        for (sname, svc) in services {
            let Some(Value::Sequence(vols)) = svc.get("volumes") else {
                continue;
            };
            for (i, vol) in vols.iter().enumerate() {
                if vol.get("type").and_then(Value::as_str) != Some("volume") {
                    continue;
                }
                if let Some(src) = vol.get("source").and_then(Value::as_str) {
                    if !declared.contains_key(src) {
                        return Err(ctx.invalid(
                            format!("services.{}.volumes[{i}]", sname.as_str().unwrap_or_default()),
                            format!("uses volume \"{src}\", which is not declared under top-level `volumes:`; declare it, or write `./{src}` for a folder"),
                        ));
                    }
                }
            }
        }
    }
    let used = used_by_services(section, services);
    let mut out = Mapping::new();
    for (k, v) in &declared {
        let key = k.as_str().unwrap_or_default();
        // Like docker compose, drop what no enabled service uses.
        if !used.contains(key) {
            continue;
        }
        let mut body = match v {
            Value::Mapping(m) => m.clone(),
            Value::Null => Mapping::new(),
            other => {
                return Err(ctx.invalid(
                    format!("{section}.{key}"),
                    format!("must be a mapping, found {}", kind(other)),
                ))
            }
        };
        if let Some(file) = body.get("file").and_then(scalar_string) {
            let abs = volumes::resolve_bind_source(
                &file,
                ctx.working_dir,
                ctx.environment.get("HOME").map(String::as_str),
            );
            body.insert("file".into(), abs.into());
        }
        out.insert(
            k.clone(),
            Value::Mapping(named_entry(&body, key, project, false)),
        );
    }
    Ok((!out.is_empty()).then_some(out))
}
