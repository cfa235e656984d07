//! The compose pipeline: parse → interpolate → normalize.
//!
//! The result, [`Project`], holds the canonical model: the same document that
//! `docker compose config --format json` prints for the same file, project
//! name and environment, kept as a YAML value so that fields Berth does not act
//! on (and `x-*` extensions) survive untouched.

mod assemble;
mod envfile;
mod interpolate;
mod limits;
mod normalize;
mod parse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::{Error, Result};

pub use crate::model::{format_bytes, format_duration, parse_bytes, parse_duration, ServiceLimits};
pub use assemble::MAX_FILES;
pub use envfile::parse_env_file;
pub(crate) use normalize::{clean, scalar_string};
pub use parse::{MAX_FILE_BYTES, MAX_NESTING};

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

/// The main compose file names docker compose looks for in a folder, in its
/// order of preference (compose-go's `DefaultFileNames`).
pub const MAIN_FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override file names docker compose merges on top of the main file
/// of the same folder, in its order of preference (`DefaultOverrideFileNames`).
pub const OVERRIDE_FILE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The files a compose project is read from: a main file and the override
/// files merged on top of it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFiles {
    pub main: PathBuf,
    pub overrides: Vec<PathBuf>,
}

impl ComposeFiles {
    /// The files `path` names, as docker compose reads them: a file alone
    /// (`docker compose -f file`), or a folder's first main file and first
    /// override file (`docker compose` run in that folder with no `-f`).
    /// Unlike docker compose, a folder without a main file is refused rather
    /// than searched upwards: an app is the folder it was given.
    pub fn find(path: &Path) -> Result<ComposeFiles> {
        if !path.is_dir() {
            return Ok(ComposeFiles {
                main: path.to_path_buf(),
                overrides: Vec::new(),
            });
        }
        let first = |names: &[&str]| names.iter().map(|n| path.join(n)).find(|f| f.is_file());
        let main = first(&MAIN_FILE_NAMES).ok_or_else(|| Error::NoComposeFile {
            dir: path.to_path_buf(),
        })?;
        Ok(ComposeFiles {
            main,
            overrides: first(&OVERRIDE_FILE_NAMES).into_iter().collect(),
        })
    }
}

/// Reads, interpolates and normalizes the compose file at `path`, with the
/// files it includes and extends from; for a folder, its main file with its
/// override file merged on top ([`ComposeFiles::find`]).
pub fn load_file(path: &Path, options: &LoadOptions) -> Result<Project> {
    let files = ComposeFiles::find(path)?;
    load_files(&files.main, &files.overrides, options)
}

/// Like [`load_file`] for a main file and override files merged on top of
/// it, in order, as `docker compose -f main -f override …` merges them
/// (e.g. `compose.yaml` and `compose.override.yaml`); relative paths in all of
/// them resolve against the main file's folder.
pub fn load_files(main: &Path, overrides: &[PathBuf], options: &LoadOptions) -> Result<Project> {
    load_layers(&read_file(main)?, main, overrides, options)
}

/// Reads a compose file's bytes, refusing files over [`MAX_FILE_BYTES`]
/// without reading them whole.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    parse::read_limited(path)
}

/// Like [`load_file`] for text already in memory; `path` names it in errors
/// and its folder is the default working directory.
pub fn load_bytes(bytes: &[u8], path: &Path, options: &LoadOptions) -> Result<Project> {
    load_layers(bytes, path, &[], options)
}

/// The name a compose file's text suggests for its app, read before it is
/// interpolated (an app given as text has no folder to be named after):
/// its `name:`, else its first service's name, when either is a valid
/// project name. A text that is not a compose document is refused as a
/// load would refuse it.
pub fn suggested_name(bytes: &[u8], path: &Path) -> Result<Option<String>> {
    let (doc, _) = parse::parse(bytes, path)?;
    let named = doc.get("name").and_then(Value::as_str).map(str::to_string);
    let first_service = doc
        .get("services")
        .and_then(Value::as_mapping)
        .and_then(|m| m.keys().next())
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    Ok([named, first_service]
        .into_iter()
        .flatten()
        .find(|n| crate::model::valid_app_id(n)))
}

fn load_layers(
    bytes: &[u8],
    path: &Path,
    overrides: &[PathBuf],
    options: &LoadOptions,
) -> Result<Project> {
    let abs_path = absolute(path);
    let working_dir = match &options.working_dir {
        Some(dir) => absolute(dir),
        None => abs_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    let mut environment = envfile::dot_env(&working_dir)?;
    environment.extend(options.environment.clone());

    let mut warnings = Vec::new();
    // Files shipped with the app (included, extended) sit beside the main
    // file, wherever its relative paths are resolved.
    let file_dir = abs_path.parent().unwrap_or(Path::new("/"));
    let overrides: Vec<PathBuf> = overrides.iter().map(|p| absolute(p)).collect();
    let doc = assemble::assemble(
        bytes,
        path,
        file_dir,
        &overrides,
        &environment,
        &mut warnings,
    )?;
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

/// The absolute form of `path`, cleaned lexically as Go's `filepath.Abs`
/// does (so `app/../app` is `app`, and its folder has a name).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return normalize::clean(path);
    }
    match current_dir() {
        Some(cwd) => normalize::clean(&cwd.join(path)),
        None => path.to_path_buf(),
    }
}

/// The current folder as Go's `os.Getwd` sees it: `$PWD` when it names the
/// same folder, so a folder entered through a symlink keeps the symlink's
/// path, as docker compose prints paths under it.
fn current_dir() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let real = std::env::current_dir().ok()?;
    let same = |a: &Path, b: &Path| match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    match std::env::var_os("PWD").map(PathBuf::from) {
        Some(pwd) if pwd.is_absolute() && same(&pwd, &real) => Some(pwd),
        _ => Some(real),
    }
}
