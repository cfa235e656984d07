//! Browsing a backup and fetching part of it: the entries of one folder of
//! an app's backup (`berth backup files`), and one file or folder fetched
//! into a local folder, for `crate::apps::backup_files` to put back.
//! Blocking calls: run them off the async runtime.

use std::path::Path;

use rustic_core::repofile::{Node, NodeType};
use serde::{Deserialize, Serialize};

use super::repo::{app_snapshot, fail, info, open_indexed, restore_node, IndexedRepo};
use super::{BackupInfo, Target, APP_ROOT};
use crate::{Error, Result};

/// One entry of a folder in a backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupEntry {
    /// Its path in the backup, from the app's root (`data/config/app.ini`).
    pub path: String,
    pub name: String,
    /// `dir`, `file`, `symlink` or `other` (devices, sockets, pipes).
    pub kind: String,
    /// A file's size in bytes.
    #[specta(type = f64)]
    pub size: u64,
    /// When it was last modified (seconds since 1970), when known.
    #[specta(type = Option<f64>)]
    pub modified: Option<i64>,
}

/// A path inside an app's backup, from the user: `data/x/y` (leading and
/// trailing slashes ignored); the empty path is the app's root. `.` and
/// `..` are refused, so a path names one place in the backup only.
pub fn backup_path(path: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" => continue,
            "." | ".." => {
                return Err(Error::BadRequest {
                    message: format!(
                        "{path:?}: give a path inside the backup without `.` or `..` (as `berth backup files` shows it)"
                    ),
                })
            }
            p if p.contains('\0') => {
                return Err(Error::BadRequest {
                    message: format!("{path:?} holds a NUL character"),
                })
            }
            p => parts.push(p.to_string()),
        }
    }
    Ok(parts)
}

fn kind(node: &Node) -> &'static str {
    match node.node_type {
        NodeType::Dir => "dir",
        NodeType::File => "file",
        NodeType::Symlink { .. } => "symlink",
        _ => "other",
    }
}

fn entry(parent: &[String], node: &Node) -> BackupEntry {
    let name = node.name().to_string_lossy().into_owned();
    let mut path = parent.join("/");
    if !path.is_empty() {
        path.push('/');
    }
    path.push_str(&name);
    BackupEntry {
        path,
        name,
        kind: kind(node).into(),
        size: if node.is_dir() { 0 } else { node.meta.size },
        modified: node.meta.mtime.map(|t| t.as_second()),
    }
}

/// The node at `parts` in backup `id` of `app`.
fn find(
    repo: &IndexedRepo,
    target: &Target,
    app: &str,
    id: &str,
    parts: &[String],
) -> Result<(BackupInfo, Node)> {
    let snap = app_snapshot(repo, target, app, id)?;
    let found = info(&snap);
    let inner = format!("{APP_ROOT}/{app}/{}", parts.join("/"));
    let node = repo
        .node_from_path(snap.tree, Path::new(inner.trim_end_matches('/')))
        .map_err(|_| Error::BadRequest {
            message: format!(
                "backup {} of {app} holds no {:?} (see `berth backup files {app} {}`)",
                found.short_id,
                parts.join("/"),
                found.short_id
            ),
        })?;
    Ok((found, node))
}

/// The entries of the folder at `path` in backup `id` of `app` (the file
/// itself when `path` names a file), folders first, then by name.
pub fn list_files(
    target: &Target,
    password: &str,
    app: &str,
    id: &str,
    path: &str,
) -> Result<Vec<BackupEntry>> {
    let parts = backup_path(path)?;
    let repo = open_indexed(target, password)?;
    let (_, node) = find(&repo, target, app, id, &parts)?;
    let Some(tree) = node.subtree.filter(|_| node.is_dir()) else {
        let parent = &parts[..parts.len().saturating_sub(1)];
        return Ok(vec![entry(parent, &node)]);
    };
    let tree = repo
        .get_tree(&tree)
        .map_err(fail("reading the backup's folder"))?;
    let mut list: Vec<BackupEntry> = tree.nodes.iter().map(|n| entry(&parts, n)).collect();
    list.sort_by(|a, b| (a.kind != "dir", &a.name).cmp(&(b.kind != "dir", &b.name)));
    Ok(list)
}

/// Fetches the file or folder at `path` in backup `id` of `app` into
/// `dest/<its name>` (owners, modes and times as backed up); returns the
/// backup and whether it is a folder.
pub fn fetch_path(
    target: &Target,
    password: &str,
    app: &str,
    id: &str,
    path: &str,
    dest: &Path,
) -> Result<(BackupInfo, bool)> {
    let parts = backup_path(path)?;
    if parts.is_empty() {
        return Err(Error::BadRequest {
            message: "name a file or folder inside the backup (`data/…`); to restore the whole app use `berth restore`".into(),
        });
    }
    let repo = open_indexed(target, password)?;
    let (found, node) = find(&repo, target, app, id, &parts)?;
    let is_dir = node.is_dir();
    if is_dir {
        restore_node(&repo, &node, &dest.join(node.name()))?;
    } else {
        restore_node(&repo, &node, dest)?;
    }
    Ok((found, is_dir))
}

#[cfg(test)]
mod tests {
    use super::backup_path;

    #[test]
    fn paths_in_a_backup_name_one_place() {
        assert_eq!(backup_path("/data/a/b/").unwrap(), ["data", "a", "b"]);
        assert!(backup_path("").unwrap().is_empty());
        for bad in ["data/../../etc", "./data", "data/.", "a\0b"] {
            assert!(backup_path(bad).is_err(), "{bad:?} accepted");
        }
    }
}
