//! One compose document from the files an app is made of, as docker compose
//! v2 (compose-go) builds it: each file parsed (with the parse limits),
//! its `!reset`/`!override` tags taken out, interpolated, its services'
//! `extends` applied (from the same file or another one), its `include`s
//! loaded with their own folder and `.env` and their resources imported; then
//! override files merged on top, in order.
//!
//! Relative paths of a file loaded from another folder are rewritten relative
//! to the including file's folder, as compose-go does, so normalization still
//! resolves every relative path against one folder (and Berth's `bind_base`
//! still relocates them all). An included, extended or override file
//! belongs to the app: it must resolve, symlinks and `..` included, inside
//! the main file's folder.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::normalize::{clean, merge_extends, scalar_string};
use super::parse::{self, kind, KeyPath};
use super::{envfile, interpolate};
use crate::{Error, Result};

/// Files one load may read (included, extended, overrides), so a diamond of
/// includes cannot multiply into an unbounded amount of work.
pub const MAX_FILES: usize = 64;

/// Resources an `include` imports; a name defined twice differently is refused.
const IMPORTED: &[&str] = &["services", "volumes", "networks", "secrets", "configs"];

/// One file, parsed and interpolated.
#[derive(Clone)]
struct Layer {
    doc: Mapping,
    /// Key paths tagged `!reset` or `!override`: removed from what this
    /// file is laid on (the previous files, or the service it extends).
    resets: Vec<KeyPath>,
}

/// Where a file sits: relative paths in it resolve against `dir`.
struct Frame<'a> {
    path: &'a Path,
    dir: &'a Path,
    env: &'a BTreeMap<String, String>,
    resets: &'a [KeyPath],
}

struct Loader<'w> {
    /// The main file's folder, symlinks resolved; computed when a file first
    /// refers to another.
    root: Option<PathBuf>,
    main_dir: PathBuf,
    files: usize,
    /// Files read for `extends`, by path: several services may extend from one.
    extended: HashMap<PathBuf, Layer>,
    warnings: &'w mut Vec<String>,
}

/// Builds the document of `main` (whose text is `bytes`, in folder
/// `main_dir`) with `overrides` merged on top, all interpolated with `env`.
pub(crate) fn assemble(
    bytes: &[u8],
    main: &Path,
    main_dir: &Path,
    overrides: &[PathBuf],
    env: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<Value> {
    let mut loader = Loader {
        root: None,
        main_dir: main_dir.to_path_buf(),
        files: 0,
        extended: HashMap::new(),
        warnings,
    };
    let mut doc = loader.file(bytes, main, main_dir, env, &mut Vec::new())?;
    for path in overrides {
        // An override file is part of the app, as an included one is.
        loader.inside_app(main, "override", path)?;
        let bytes = parse::read_limited(path)?;
        // Override files resolve their relative paths against the project
        // folder, not their own, as docker compose does with `-f`.
        let layer = loader.file(&bytes, path, main_dir, env, &mut Vec::new())?;
        doc = merge_layers(doc, layer);
    }
    Ok(Value::Mapping(doc.doc))
}

impl Loader<'_> {
    fn count(&mut self, path: &Path) -> Result<()> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(Error::invalid(
                path,
                "include",
                format!("the app's compose files include or extend more than {MAX_FILES} files; refusing to load them"),
            ));
        }
        Ok(())
    }

    /// Parses and interpolates one file.
    fn read(&mut self, bytes: &[u8], path: &Path, env: &BTreeMap<String, String>) -> Result<Layer> {
        self.count(path)?;
        let (doc, resets) = parse::parse(bytes, path)?;
        let doc = interpolate::interpolate_document(doc, env, path, self.warnings)?;
        let Value::Mapping(doc) = doc else {
            unreachable!("parse returns a mapping")
        };
        Ok(Layer { doc, resets })
    }

    /// One file with its `extends` and `include`s applied; relative paths in
    /// the result are relative to `dir`.
    fn file(
        &mut self,
        bytes: &[u8],
        path: &Path,
        dir: &Path,
        env: &BTreeMap<String, String>,
        includes: &mut Vec<PathBuf>,
    ) -> Result<Layer> {
        let mut layer = self.read(bytes, path, env)?;
        let frame = Frame {
            path,
            dir,
            env,
            resets: &layer.resets,
        };
        if let Some(Value::Mapping(services)) = layer.doc.get("services") {
            let services = self.resolve_services(services, &frame)?;
            layer
                .doc
                .insert("services".into(), Value::Mapping(services));
        }
        if let Some(list) = layer.doc.remove("include") {
            includes.push(path.to_path_buf());
            for (i, entry) in include_entries(&list, path)?.into_iter().enumerate() {
                let imported = self.include(&entry, i, &frame, includes)?;
                import(&mut layer.doc, imported, path, i, &entry.paths.join(", "))?;
            }
            includes.pop();
        }
        Ok(layer)
    }

    /// Loads one `include` entry: its files merged, relative paths made
    /// relative to the including file's folder.
    fn include(
        &mut self,
        entry: &IncludeEntry,
        i: usize,
        from: &Frame,
        includes: &mut Vec<PathBuf>,
    ) -> Result<Mapping> {
        let at = format!("include[{i}]");
        let files: Vec<PathBuf> = entry.paths.iter().map(|p| from.dir.join(p)).collect();
        for file in &files {
            self.inside_app(from.path, &at, file)?;
            let file = clean(file);
            if includes.contains(&file) {
                let chain: Vec<String> = includes
                    .iter()
                    .chain([&file])
                    .map(|p| p.display().to_string())
                    .collect();
                return Err(Error::invalid(
                    from.path,
                    at,
                    format!(
                        "include cycle detected: {}; remove one of these includes",
                        chain.join(" includes ")
                    ),
                ));
            }
        }
        let dir = clean(&match &entry.project_directory {
            Some(d) => from.dir.join(d),
            None => files[0].parent().unwrap_or(from.dir).to_path_buf(),
        });
        let env_files: Vec<PathBuf> = if entry.env_files.is_empty() {
            Some(dir.join(".env"))
                .filter(|f| f.is_file())
                .into_iter()
                .collect()
        } else {
            entry.env_files.iter().map(|f| from.dir.join(f)).collect()
        };
        // The including file's variables win over the included `.env`, as
        // in compose-go (`Mapping.Merge` keeps what is set).
        let mut env = from.env.clone();
        for file in &env_files {
            self.inside_app(from.path, &at, file)?;
            let text = std::fs::read_to_string(file).map_err(|cause| Error::Read {
                path: file.clone(),
                cause,
            })?;
            let vars = envfile::parse_env_file(&text, from.env)
                .map_err(|(line, message)| Error::invalid(file, format!("line {line}"), message))?;
            for (k, v) in vars {
                env.entry(k).or_insert(v);
            }
        }
        let mut merged: Option<Layer> = None;
        for file in &files {
            let file = clean(file);
            let bytes = parse::read_limited(&file)?;
            let layer = self.file(&bytes, &file, &dir, &env, includes)?;
            merged = Some(match merged {
                None => layer,
                Some(base) => merge_layers(base, layer),
            });
        }
        let mut doc = merged.expect("an include entry has at least one path").doc;
        rebase_document(&mut doc, &relative(from.dir, &dir));
        Ok(doc)
    }

    /// Refuses a file that leaves the app's folder once `..` and symlinks
    /// are resolved, or that does not exist.
    fn inside_app(&mut self, from: &Path, at: &str, file: &Path) -> Result<()> {
        let root = match &self.root {
            Some(root) => root.clone(),
            None => {
                let root = self.main_dir.canonicalize().map_err(|cause| Error::Read {
                    path: self.main_dir.clone(),
                    cause,
                })?;
                self.root = Some(root.clone());
                root
            }
        };
        let real = file.canonicalize().map_err(|cause| Error::Read {
            path: file.to_path_buf(),
            cause,
        })?;
        if !real.starts_with(&root) {
            return Err(Error::invalid(
                from,
                at,
                format!(
                    "{} resolves to {}, outside the app's folder {}; an app may only include, extend or override with files inside its own folder",
                    file.display(),
                    real.display(),
                    root.display()
                ),
            ));
        }
        Ok(())
    }

    /// Applies `extends` to every service of one file.
    fn resolve_services(&mut self, services: &Mapping, frame: &Frame) -> Result<Mapping> {
        for (k, v) in services {
            if !matches!(v, Value::Mapping(_) | Value::Null) {
                return Err(Error::invalid(
                    frame.path,
                    format!("services.{}", k.as_str().unwrap_or_default()),
                    format!("a service must be a mapping, found {}", kind(v)),
                ));
            }
        }
        let mut out = Mapping::new();
        for k in services.keys() {
            let name = k.as_str().unwrap_or_default();
            let svc = self.extended(name, services, frame, &mut Vec::new())?;
            out.insert(k.clone(), Value::Mapping(svc));
        }
        Ok(out)
    }

    /// Service `name` of `services` with its `extends` chain applied, base
    /// first; `chain` holds the services on the way, to refuse a cycle.
    fn extended(
        &mut self,
        name: &str,
        services: &Mapping,
        frame: &Frame,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Mapping> {
        let at = format!("services.{name}");
        let link = (frame.path.to_path_buf(), name.to_string());
        if chain.contains(&link) {
            chain.push(link);
            let names: Vec<&str> = chain.iter().map(|(_, n)| n.as_str()).collect();
            return Err(Error::invalid(
                frame.path,
                at,
                format!("`extends` forms a cycle: {}", names.join(" -> ")),
            ));
        }
        let mut svc = match services.get(name) {
            Some(Value::Mapping(m)) => m.clone(),
            Some(Value::Null) => Mapping::new(),
            Some(other) => {
                return Err(Error::invalid(
                    frame.path,
                    at,
                    format!("a service must be a mapping, found {}", kind(other)),
                ))
            }
            None => {
                return Err(Error::invalid(
                    frame.path,
                    at,
                    format!("`extends` names service \"{name}\", which is not defined"),
                ))
            }
        };
        let Some(ext) = svc.remove("extends") else {
            return Ok(svc);
        };
        let bad = |message: String| Error::invalid(frame.path, format!("{at}.extends"), message);
        let (file, base_name) = match &ext {
            Value::String(s) => (None, s.clone()),
            Value::Mapping(m) => (
                m.get("file")
                    .map(|f| {
                        scalar_string(f)
                            .ok_or_else(|| bad(format!("`file` must be a path, found {}", kind(f))))
                    })
                    .transpose()?,
                m.get("service")
                    .and_then(scalar_string)
                    .ok_or_else(|| bad("needs `service:`".into()))?,
            ),
            other => {
                return Err(bad(format!(
                    "must be a service name, found {}",
                    kind(other)
                )))
            }
        };
        chain.push(link);
        let mut base = match file {
            None => self.extended(&base_name, services, frame, chain)?,
            Some(file) => {
                let target = clean(&frame.dir.join(&file));
                self.inside_app(frame.path, &format!("{at}.extends.file"), &target)?;
                let layer = match self.extended.get(&target) {
                    Some(layer) => layer.clone(),
                    None => {
                        let bytes = parse::read_limited(&target)?;
                        let layer = self.read(&bytes, &target, frame.env)?;
                        self.extended.insert(target.clone(), layer.clone());
                        layer
                    }
                };
                let dir = target.parent().unwrap_or(frame.dir).to_path_buf();
                let theirs = match layer.doc.get("services") {
                    Some(Value::Mapping(m)) if m.contains_key(base_name.as_str()) => m,
                    _ => {
                        return Err(bad(format!(
                            "cannot extend service \"{base_name}\" of {}: it has no such service",
                            target.display()
                        )))
                    }
                };
                let inner = Frame {
                    path: &target,
                    dir: &dir,
                    env: frame.env,
                    resets: &layer.resets,
                };
                let mut base = self.extended(&base_name, theirs, &inner, chain)?;
                rebase_service(&mut base, &relative(frame.dir, &dir));
                base
            }
        };
        chain.pop();
        for path in frame.resets {
            if let [services, service, rest @ ..] = path.as_slice() {
                if services == "services" && service == name {
                    remove_path(&mut base, rest);
                }
            }
        }
        Ok(merge_extends(base, svc))
    }
}

/// One entry of `include`, in its long form.
struct IncludeEntry {
    paths: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

fn include_entries(list: &Value, path: &Path) -> Result<Vec<IncludeEntry>> {
    let bad = |at: String, message: String| Error::invalid(path, at, message);
    let Value::Sequence(items) = list else {
        return Err(bad(
            "include".into(),
            format!("must be a list of files, found {}", kind(list)),
        ));
    };
    let strings = |v: &Value, at: String| -> Result<Vec<String>> {
        match v {
            Value::Sequence(items) => items
                .iter()
                .map(|i| {
                    scalar_string(i)
                        .ok_or_else(|| bad(at.clone(), format!("must be paths, found {}", kind(i))))
                })
                .collect(),
            v => scalar_string(v)
                .map(|s| vec![s])
                .ok_or_else(|| bad(at, format!("must be a path, found {}", kind(v)))),
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("include[{i}]");
        let entry = match item {
            Value::Mapping(m) => {
                for key in m.keys() {
                    let k = key.as_str().unwrap_or_default();
                    if !matches!(k, "path" | "project_directory" | "env_file") {
                        return Err(bad(
                            format!("{at}.{k}"),
                            "unknown include attribute; use path, project_directory or env_file"
                                .into(),
                        ));
                    }
                }
                IncludeEntry {
                    paths: match m.get("path") {
                        Some(p) => strings(p, format!("{at}.path"))?,
                        None => Vec::new(),
                    },
                    project_directory: m
                        .get("project_directory")
                        .map(|d| {
                            scalar_string(d).ok_or_else(|| {
                                bad(
                                    format!("{at}.project_directory"),
                                    format!("must be a folder, found {}", kind(d)),
                                )
                            })
                        })
                        .transpose()?,
                    env_files: match m.get("env_file") {
                        Some(f) => strings(f, format!("{at}.env_file"))?,
                        None => Vec::new(),
                    },
                }
            }
            v => IncludeEntry {
                paths: strings(v, at.clone())?,
                project_directory: None,
                env_files: Vec::new(),
            },
        };
        if entry.paths.is_empty() {
            return Err(bad(at, "needs `path:`, the compose file to include".into()));
        }
        out.push(entry);
    }
    Ok(out)
}

/// Adds an included file's resources; one defined on both sides must be identical.
fn import(
    doc: &mut Mapping,
    imported: Mapping,
    path: &Path,
    i: usize,
    included: &str,
) -> Result<()> {
    for section in IMPORTED {
        let Some(Value::Mapping(from)) = imported.get(*section) else {
            continue;
        };
        let to = doc
            .entry((*section).into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if to.is_null() {
            *to = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(to) = to else {
            return Err(Error::invalid(
                path,
                *section,
                format!("must be a mapping, found {}", kind(to)),
            ));
        };
        for (name, value) in from {
            match to.get(name) {
                Some(existing) if existing == value => {}
                Some(_) => {
                    return Err(Error::invalid(
                        path,
                        format!("include[{i}]"),
                        format!(
                            "{section}.{} is defined here and, differently, in {included}; rename one of them",
                            name.as_str().unwrap_or_default()
                        ),
                    ))
                }
                None => {
                    to.insert(name.clone(), value.clone());
                }
            }
        }
    }
    Ok(())
}

/// Lays `over` on `base` as docker compose merges `-f` files: its resets
/// first, then services merged as `extends` merges them, other mappings key
/// by key, lists appended, scalars and `x-*` replaced.
fn merge_layers(mut base: Layer, over: Layer) -> Layer {
    for path in &over.resets {
        remove_path(&mut base.doc, path);
    }
    for (k, v) in over.doc {
        let key = k.as_str().unwrap_or_default().to_string();
        let merged = match base.doc.remove(&k) {
            Some(Value::Mapping(mut services)) if key == "services" => {
                if let Value::Mapping(over) = v {
                    for (name, svc) in over {
                        let svc = svc.as_mapping().cloned().unwrap_or_default();
                        let merged = match services.remove(&name) {
                            Some(Value::Mapping(old)) => merge_extends(old, svc),
                            _ => svc,
                        };
                        services.insert(name, Value::Mapping(merged));
                    }
                }
                Value::Mapping(services)
            }
            Some(old) if !key.starts_with("x-") => merge_values(old, v),
            _ => v,
        };
        base.doc.insert(k, merged);
    }
    base
}

fn merge_values(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Mapping(mut a), Value::Mapping(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(old) => merge_values(old, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Mapping(a)
        }
        (Value::Sequence(mut a), Value::Sequence(b)) => {
            a.extend(b);
            Value::Sequence(a)
        }
        (_, over) => over,
    }
}

fn remove_path(map: &mut Mapping, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            map.remove(last.as_str());
        }
        [first, rest @ ..] => {
            if let Some(Value::Mapping(inner)) = map.get_mut(first.as_str()) {
                remove_path(inner, rest);
            }
        }
    }
}

/// `to` relative to `from`, both absolute and clean (`sub`, `../other`).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// A relative path of a file in folder `rel` made relative to the folder
/// `rel` is relative to; starts with `.` so a short volume stays a bind.
fn rebase(path: &str, rel: &Path) -> String {
    if rel.as_os_str().is_empty() || path.starts_with('~') || Path::new(path).is_absolute() {
        return path.to_string();
    }
    let joined = clean(&rel.join(path)).to_string_lossy().into_owned();
    if joined.starts_with('.') {
        joined
    } else {
        format!("./{joined}")
    }
}

fn rebase_document(doc: &mut Mapping, rel: &Path) {
    if rel.as_os_str().is_empty() {
        return;
    }
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for svc in services.values_mut() {
            if let Value::Mapping(svc) = svc {
                rebase_service(svc, rel);
            }
        }
    }
    for section in ["secrets", "configs"] {
        if let Some(Value::Mapping(entries)) = doc.get_mut(section) {
            for entry in entries.values_mut() {
                if let Some(Value::String(file)) = entry.get_mut("file") {
                    *file = rebase(file, rel);
                }
            }
        }
    }
}

/// Rewrites the relative paths of one raw service: build context, env
/// files, bind sources (short and long syntax).
fn rebase_service(svc: &mut Mapping, rel: &Path) {
    if rel.as_os_str().is_empty() {
        return;
    }
    let remote =
        |c: &str| c.contains("://") || c.starts_with("git@") || c.starts_with("github.com/");
    match svc.get_mut("build") {
        Some(Value::String(context)) if !remote(context) => *context = rebase(context, rel),
        Some(Value::Mapping(build)) => {
            let context = build
                .get("context")
                .and_then(scalar_string)
                .unwrap_or_else(|| ".".into());
            if !remote(&context) {
                build.insert("context".into(), rebase(&context, rel).into());
            }
        }
        _ => {}
    }
    match svc.get_mut("env_file") {
        Some(Value::String(file)) => *file = rebase(file, rel),
        Some(Value::Sequence(files)) => {
            for file in files {
                match file {
                    Value::String(f) => *f = rebase(f, rel),
                    Value::Mapping(m) => {
                        if let Some(Value::String(f)) = m.get_mut("path") {
                            *f = rebase(f, rel);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Sequence(volumes)) = svc.get_mut("volumes") {
        for volume in volumes {
            match volume {
                Value::String(spec) if spec.starts_with('.') => {
                    let source_len = spec.find(':').unwrap_or(spec.len());
                    let source = rebase(&spec[..source_len], rel);
                    *spec = format!("{source}{}", &spec[source_len..]);
                }
                Value::Mapping(m) if m.get("type").and_then(Value::as_str) == Some("bind") => {
                    if let Some(Value::String(source)) = m.get_mut("source") {
                        *source = rebase(source, rel);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_folders() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c/d")),
            Path::new("c/d")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/x")),
            Path::new("../x")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b")),
            Path::new("")
        );
    }

    #[test]
    fn rebased_paths_stay_binds() {
        let rel = Path::new("sub");
        assert_eq!(rebase("./data", rel), "./sub/data");
        assert_eq!(rebase("../up", rel), "./up");
        assert_eq!(rebase("../../out", rel), "../out");
        assert_eq!(rebase(".", rel), "./sub");
        assert_eq!(rebase("/abs", rel), "/abs");
        assert_eq!(rebase("~/x", rel), "~/x");
        let mut svc: Mapping = serde_yaml::from_str(
            "build: {dockerfile: D}\nenv_file: [a.env, {path: b.env}]\nvolumes: ['./d:/d:ro', 'named:/n', {type: bind, source: x, target: /x}]\n",
        )
        .unwrap();
        rebase_service(&mut svc, rel);
        assert_eq!(svc["build"]["context"].as_str(), Some("./sub"));
        assert_eq!(svc["env_file"][0].as_str(), Some("./sub/a.env"));
        assert_eq!(svc["env_file"][1]["path"].as_str(), Some("./sub/b.env"));
        assert_eq!(svc["volumes"][0].as_str(), Some("./sub/d:/d:ro"));
        assert_eq!(svc["volumes"][1].as_str(), Some("named:/n"));
        assert_eq!(svc["volumes"][2]["source"].as_str(), Some("./sub/x"));
    }
}
