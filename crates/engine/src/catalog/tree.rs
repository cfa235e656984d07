//! Loading a store from a tree of files — a folder, a `.tar.gz` archive, the
//! embedded catalog or a remote fetch all end here — and writing a folder's
//! index.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::format::{AppMeta, Index, IndexEntry, FORMAT};
use super::{Catalog, CatalogApp};
use crate::compose::{load_bytes, LoadOptions};
use crate::{Error, Result};

/// Relative path (`/`-separated) → bytes.
pub type FileTree = BTreeMap<String, Vec<u8>>;

/// No single file of a store may be larger.
pub(crate) const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Nor the whole store.
pub(crate) const MAX_STORE: u64 = 64 * 1024 * 1024;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `name` is a plain relative path inside the store (no `..`, not
/// absolute, no hidden parts).
pub(crate) fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name).components().all(|c| match c {
            Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
            _ => false,
        })
}

fn too_big(path: &Path, size: u64, limit: u64) -> Error {
    Error::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    }
}

/// Reads every file under `root` (hidden ones skipped), within the limits.
pub(crate) fn read_folder(root: &Path) -> Result<FileTree> {
    let mut tree = FileTree::new();
    let mut total = 0u64;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|cause| Error::Read {
            path: dir.clone(),
            cause,
        })?;
        for entry in entries {
            let entry = entry.map_err(|cause| Error::Read {
                path: dir.clone(),
                cause,
            })?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let meta = std::fs::metadata(&path).map_err(|cause| Error::Read {
                path: path.clone(),
                cause,
            })?;
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if meta.len() > MAX_FILE {
                return Err(too_big(&path, meta.len(), MAX_FILE));
            }
            total += meta.len();
            if total > MAX_STORE {
                return Err(too_big(root, total, MAX_STORE));
            }
            let bytes = std::fs::read(&path).map_err(|cause| Error::Read {
                path: path.clone(),
                cause,
            })?;
            let rel = path
                .strip_prefix(root)
                .expect("walked from root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            tree.insert(rel, bytes);
        }
    }
    Ok(tree)
}

/// Loads a folder store.
pub fn load_folder(root: &Path) -> Result<Catalog> {
    from_tree(read_folder(root)?, root)
}

/// Loads a `.tar.gz` store (the index at its root or in its one top folder).
pub fn load_archive(path: &Path) -> Result<Catalog> {
    let file = std::fs::File::open(path).map_err(|cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    let bad = |message: String| Error::Unsupported {
        path: path.to_path_buf(),
        message,
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut tree = FileTree::new();
    let mut total = 0u64;
    for entry in archive
        .entries()
        .map_err(|e| bad(format!("not a .tar.gz archive: {e}")))?
    {
        let mut entry = entry.map_err(|e| bad(format!("damaged archive: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| bad(format!("damaged archive: {e}")))?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        if !safe_name(&name) {
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE {
            return Err(too_big(&PathBuf::from(&name), size, MAX_FILE));
        }
        total += size;
        if total > MAX_STORE {
            return Err(too_big(path, total, MAX_STORE));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .by_ref()
            .take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("damaged archive: {e}")))?;
        tree.insert(name, bytes);
    }
    if !tree.contains_key("index.json") {
        // One top folder holding the store: strip it.
        let tops: std::collections::BTreeSet<&str> = tree
            .keys()
            .filter_map(|k| k.split_once('/').map(|(t, _)| t))
            .collect();
        if let [top] = tops.into_iter().collect::<Vec<_>>()[..] {
            let prefix = format!("{top}/");
            tree = tree
                .into_iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_string(), v)))
                .collect();
        }
    }
    from_tree(tree, path)
}

/// Builds a store from its files: parses the index, checks every listed
/// file against its digest, and loads and checks each app. `origin` names
/// the store in messages.
pub(crate) fn from_tree(mut tree: FileTree, origin: &Path) -> Result<Catalog> {
    let index_bytes = tree
        .remove("index.json")
        .ok_or_else(|| Error::Unsupported {
            path: origin.to_path_buf(),
            message: "is not a Berth store: it has no index.json (run `berth catalog index` on it)"
                .into(),
        })?;
    let index = parse_index(&index_bytes, origin)?;
    let mut apps = BTreeMap::new();
    let mut rejected = Vec::new();
    for entry in &index.apps {
        match load_app(entry, &mut tree, origin, index.format) {
            Ok(app) => {
                apps.insert(entry.id.clone(), app);
            }
            Err(why) => rejected.push((entry.id.clone(), why)),
        }
    }
    Ok(Catalog {
        name: index.name.clone(),
        index,
        apps,
        rejected,
    })
}

pub(crate) fn parse_index(bytes: &[u8], origin: &Path) -> Result<Index> {
    let index: Index = serde_json::from_slice(bytes).map_err(|e| Error::Invalid {
        path: origin.join("index.json"),
        at: format!("line {}", e.line()),
        message: e.to_string(),
    })?;
    if !(1..=FORMAT).contains(&index.format) {
        return Err(Error::Unsupported {
            path: origin.join("index.json"),
            message: format!(
                "has format {}; this Berth reads formats 1 to {FORMAT} (update Berth)",
                index.format
            ),
        });
    }
    Ok(index)
}

fn load_app(
    entry: &IndexEntry,
    tree: &mut FileTree,
    origin: &Path,
    format: u32,
) -> std::result::Result<CatalogApp, String> {
    if !crate::rewrite::valid_app_id(&entry.id) {
        return Err(format!("\"{}\" is not a valid app id", entry.id));
    }
    let mut files = BTreeMap::new();
    for (name, digest) in &entry.files {
        if !safe_name(name) {
            return Err(format!("file name \"{name}\" leaves the app's folder"));
        }
        let key = format!("{}/{name}", entry.id);
        let bytes = tree
            .remove(&key)
            .ok_or_else(|| format!("{key} is listed in the index but missing"))?;
        if !sha256_hex(&bytes).eq_ignore_ascii_case(digest) {
            return Err(format!(
                "{key} does not match the digest in the index (changed after indexing, or tampered with)"
            ));
        }
        files.insert(name.clone(), bytes);
    }
    let meta_bytes = files
        .get("app.yml")
        .ok_or("it has no app.yml".to_string())?;
    let meta: AppMeta = serde_yaml::from_slice(meta_bytes).map_err(|e| format!("app.yml: {e}"))?;
    let mut problems = meta.problems();
    if format < 2 && !meta.shares.is_empty() {
        problems.push(
            "it asks for shares, which a store of format 1 cannot declare (run `berth catalog index` again)"
                .into(),
        );
    }
    if meta.id != entry.id {
        problems.push(format!(
            "app.yml says id {} but the index says {}",
            meta.id, entry.id
        ));
    }
    if meta.version != entry.version {
        problems.push(format!(
            "app.yml says version {} but the index says {}",
            meta.version, entry.version
        ));
    }
    let compose = files
        .get("compose.yml")
        .ok_or("it has no compose.yml".to_string())?;
    let options = LoadOptions {
        project_name: Some(entry.id.clone()),
        working_dir: Some(origin.join(&entry.id)),
        environment: preview_environment(&meta),
        profiles: meta
            .migration
            .iter()
            .map(|_| super::format::MIGRATION_PROFILE.to_string())
            .collect(),
        ..Default::default()
    };
    match load_bytes(
        compose,
        &origin.join(&entry.id).join("compose.yml"),
        &options,
    ) {
        Ok(project) => problems.extend(meta.problems_with(&project)),
        Err(e) => problems.push(e.to_string()),
    }
    if let Some(icon) = &meta.icon {
        if !files.contains_key(icon) {
            problems.push(format!("its icon {icon} is not among its files"));
        }
    }
    if problems.is_empty() {
        Ok(CatalogApp { meta, files })
    } else {
        Err(problems.join("; "))
    }
}

/// The environment an app is checked with when its store loads: Berth's
/// standard variables and each setting's default (or a placeholder).
pub(crate) fn preview_environment(meta: &AppMeta) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = [
        ("TZ", "Etc/UTC"),
        ("PUID", "1000"),
        ("PGID", "1000"),
        ("HDA_DOMAIN", "localhost"),
        ("APP_DATA_DIR", "/var/lib/berth/apps/preview/data"),
        ("APP_URL", "http://localhost"),
        ("APP_PORT", "80"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.insert("APP_ID".into(), meta.id.clone());
    for s in &meta.settings {
        let value = s
            .default
            .clone()
            .or_else(|| s.options.first().cloned())
            .unwrap_or_else(|| match s.kind {
                super::SettingKind::Number => "1".into(),
                super::SettingKind::Bool => "false".into(),
                _ => "preview".into(),
            });
        env.insert(s.name.clone(), value);
    }
    env
}

/// Writes `root/index.json` for a folder store: every sub-folder with an
/// app.yml is an app, every file in it is listed with its digest; the
/// sequence grows past the old index's. Returns the index written.
pub fn index_folder(root: &Path, name: Option<&str>) -> Result<Index> {
    let mut tree = read_folder(root)?;
    let old = tree
        .remove("index.json")
        .and_then(|b| serde_json::from_slice::<Index>(&b).ok());
    let mut apps: BTreeMap<String, IndexEntry> = BTreeMap::new();
    let mut format = 1;
    let metas: Vec<(String, Vec<u8>)> = tree
        .iter()
        .filter_map(|(k, v)| {
            let (id, rest) = k.split_once('/')?;
            (rest == "app.yml").then(|| (id.to_string(), v.clone()))
        })
        .collect();
    for (id, meta) in metas {
        let meta: AppMeta = serde_yaml::from_slice(&meta).map_err(|e| Error::Yaml {
            path: root.join(&id).join("app.yml"),
            message: e.to_string(),
        })?;
        if !meta.shares.is_empty() {
            format = FORMAT;
        }
        let prefix = format!("{id}/");
        let files = tree
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix(&prefix)
                    .map(|f| (f.to_string(), sha256_hex(v)))
            })
            .collect();
        apps.insert(
            id.clone(),
            IndexEntry {
                id,
                version: meta.version,
                files,
            },
        );
    }
    let index = Index {
        format,
        name: name
            .map(str::to_string)
            .or_else(|| old.as_ref().map(|o| o.name.clone()))
            .unwrap_or_else(|| {
                root.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "store".into())
            }),
        sequence: old.as_ref().map(|o| o.sequence + 1).unwrap_or(1),
        generated: Some(
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ),
        expires: old.as_ref().and_then(|o| o.expires.clone()),
        apps: apps.into_values().collect(),
    };
    let mut text = serde_json::to_string_pretty(&index).expect("index serializes");
    text.push('\n');
    let path = root.join("index.json");
    std::fs::write(&path, text).map_err(|cause| Error::Write { path, cause })?;
    Ok(index)
}
