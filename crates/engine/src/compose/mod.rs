//! The compose pipeline: parse → interpolate → normalize.
//!
//! The result, [`Project`], holds the canonical model: the same document that
//! `docker compose config --format json` prints for the same file, project
//! name and environment, kept as a YAML value so that fields Berth does not act
//! on (and `x-*` extensions) survive untouched.

mod envfile;
mod interpolate;
mod limits;
mod normalize;
mod parse;
mod units;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::Result;

pub use envfile::parse_env_file;
pub use limits::ServiceLimits;
pub(crate) use normalize::{clean, scalar_string};
pub use parse::{MAX_FILE_BYTES, MAX_NESTING};
pub use units::{format_bytes, format_duration, parse_bytes, parse_duration};

/// What to load a compose file with: the environment offered to
/// interpolation, the project name and the active profiles.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-p`: wins over `COMPOSE_PROJECT_NAME`, the file's `name:` and the folder name.
    pub project_name: Option<String>,
    /// Variables offered to `${VAR}`; the project folder's `.env` fills in
    /// what this does not set, as docker compose does.
    pub environment: BTreeMap<String, String>,
    /// Active profiles; with none, only services without `profiles` are kept.
    pub profiles: Vec<String>,
    /// Folder that relative paths resolve against; the file's folder when unset.
    pub working_dir: Option<PathBuf>,
    /// Folder that relative bind-mount sources resolve against, when it is
    /// not the working folder: Berth puts an app's data in the app's own
    /// folder while files shipped beside its compose file stay where they are.
    pub bind_base: Option<PathBuf>,
}

impl LoadOptions {
    /// Options carrying this process's environment, as `docker compose` uses it.
    pub fn from_process_env() -> Self {
        LoadOptions {
            environment: std::env::vars().collect(),
            ..Default::default()
        }
    }
}

/// A loaded, normalized compose project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project name (`docker compose -p`).
    pub name: String,
    /// Folder relative paths were resolved against.
    pub working_dir: PathBuf,
    /// The compose file this project was read from.
    pub config_file: PathBuf,
    /// The canonical model, in `docker compose config` shape.
    pub model: Value,
    /// What docker compose would print as warnings (unset variables, obsolete `version`).
    pub warnings: Vec<String>,
}

impl Project {
    /// The services of the model, in file order.
    pub fn services(&self) -> impl Iterator<Item = (&str, &Mapping)> {
        self.model
            .get("services")
            .and_then(Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?, v.as_mapping()?)))
    }

    /// The model as JSON, as `docker compose config --format json` prints it:
    /// literal `$` written `$$` so that reading it again changes nothing.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(escape_dollars(&self.model))
            .expect("a YAML model without tags is valid JSON")
    }

    /// The model as compose YAML that `docker compose -f` reads back to the
    /// same model (literal `$` written `$$`).
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(&escape_dollars(&self.model)).expect("a YAML value always serializes")
    }
}

/// Writes every literal `$` of string values as `$$`, the escape compose reads back as `$`.
fn escape_dollars(value: &Value) -> Value {
    match value {
        Value::String(s) if s.contains('$') => Value::String(s.replace('$', "$$")),
        Value::Sequence(items) => Value::Sequence(items.iter().map(escape_dollars).collect()),
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .map(|(k, v)| (k.clone(), escape_dollars(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Reads, interpolates and normalizes the compose file at `path`.
pub fn load_file(path: &Path, options: &LoadOptions) -> Result<Project> {
    load_bytes(&read_file(path)?, path, options)
}

/// Reads a compose file's bytes, refusing files over [`MAX_FILE_BYTES`]
/// without reading them whole.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    parse::read_limited(path)
}

/// Like [`load_file`] for text already in memory; `path` names it in errors
/// and its folder is the default working directory.
pub fn load_bytes(bytes: &[u8], path: &Path, options: &LoadOptions) -> Result<Project> {
    let abs_path = absolute(path);
    let working_dir = match &options.working_dir {
        Some(dir) => absolute(dir),
        None => abs_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    let doc = parse::parse(bytes, path)?;

    let mut environment = envfile::dot_env(&working_dir)?;
    environment.extend(options.environment.clone());

    let mut warnings = Vec::new();
    let doc = interpolate::interpolate_document(doc, &environment, path, &mut warnings)?;
    let (name, model) = normalize::normalize(
        doc,
        &normalize::Context {
            path,
            working_dir: &working_dir,
            bind_base: &options
                .bind_base
                .as_deref()
                .map(absolute)
                .unwrap_or_else(|| working_dir.clone()),
            environment: &environment,
            project_name: options.project_name.as_deref(),
            profiles: &options.profiles,
        },
        &mut warnings,
    )?;
    Ok(Project {
        name,
        working_dir,
        config_file: abs_path,
        model,
        warnings,
    })
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}
