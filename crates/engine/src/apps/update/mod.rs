//! Update and rollback: one journaled pipeline that cannot lose data.
//!
//! render the new version beside the old → pull its images while the old
//! keeps running → stop the old → snapshot (data folder, named volumes,
//! compose file, store files, the exact images) → swap the files → start the
//! new → wait until it is ready → commit. The snapshot is taken of the
//! stopped app, so a database's files are consistent.
//!
//! Any failure, or a crash at any step, undoes it: the new containers go, the
//! old files and images come back, the data comes back from the snapshot if
//! the new version ever ran on it, and the old version starts again. Nothing
//! of the old version — not its images, not its snapshot — is deleted before
//! the new one is ready. A rollback is the same pipeline with a kept
//! snapshot as the "new" version (the current state is snapshotted first, so
//! a rollback can itself be undone).
//!
//! `plan.rs` decides and journals what an update does, `run.rs` runs its
//! steps, `undo.rs` takes them back; this file holds the plan's types and
//! the paths and helpers they share.

mod plan;
mod run;
mod undo;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Apps, Progress};
use crate::catalog::MIGRATION_PROFILE;
use crate::compose::{load_file, LoadOptions, Project, ServiceLimits};
use crate::lifecycle::ImageRef;
use crate::{Error, Result};

/// What an update changes an app to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateTarget {
    /// Its store's newest version; for an app installed from a compose
    /// file, that file again with the newest images of its tags.
    Latest,
    /// A new version of the app's compose file, or a folder holding it and
    /// its override file.
    Compose(PathBuf),
    /// A kept snapshot, by id; the newest when `None` (a rollback).
    Snapshot(Option<String>),
}

/// An update as journaled: all a restart needs to finish or undo it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdatePlan {
    pub app: String,
    /// The snapshot of the app as it was (taken at the `snapshot` step).
    pub snapshot: String,
    /// The version before (its record's source).
    pub from: String,
    /// What the app is updated to: the new source, or `snapshot <id>`.
    pub to: String,
    /// The file, or folder, to render (none for a rollback).
    pub compose_file: Option<PathBuf>,
    /// Store files staged in `app.next/` to replace `app/`.
    pub staged_files: bool,
    pub settings: BTreeMap<String, String>,
    pub limits: ServiceLimits,
    pub consent: bool,
    /// The snapshot restored, for a rollback.
    pub restore: Option<String>,
    /// The images the old version ran, taken before anything was pulled.
    pub old_images: Vec<ImageRef>,
    /// The new version's migration service, run once before it starts.
    #[serde(default)]
    pub migration: Option<String>,
    /// The shares the new version mounts: those the app had, for the
    /// requests the new version still makes.
    #[serde(default)]
    pub shares: Vec<crate::shares::AppShare>,
    /// The main web port is left off the host (the app's record says so).
    #[serde(default)]
    pub no_host_port: bool,
}

/// How long a new version may take to become ready
/// (`BERTH_UPDATE_TIMEOUT_SECS`, default 300).
fn ready_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("BERTH_UPDATE_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
    )
}

pub(super) fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Apps {
    fn next_compose_file(&self, app: &str) -> PathBuf {
        self.layout.staged_compose(app)
    }

    /// The new version rendered with its migration service.
    fn migration_file(&self, app: &str) -> PathBuf {
        self.layout.migration_compose(app)
    }

    fn staged_dir(&self, app: &str) -> PathBuf {
        self.layout.staged_store_files(app)
    }

    /// Updates (or rolls back) an app; returns the operation id.
    pub async fn update(
        &self,
        app: &str,
        target: &UpdateTarget,
        consent: bool,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<i64> {
        let (op, plan) = self.begin_update(app, target, consent).await?;
        self.run_update(op, &plan, progress).await?;
        Ok(op)
    }

    /// The new version with its migration service, as rendered.
    fn load_migration(&self, app: &str) -> Result<Project> {
        let options = LoadOptions {
            project_name: Some(app.to_string()),
            working_dir: Some(self.layout.app_dir(app)),
            profiles: vec![MIGRATION_PROFILE.to_string()],
            ..Default::default()
        };
        load_file(&self.migration_file(app), &options)
    }

    fn load_project(&self, app: &str, file: &std::path::Path) -> Result<Project> {
        let options = LoadOptions {
            project_name: Some(app.to_string()),
            working_dir: Some(self.layout.app_dir(app)),
            ..Default::default()
        };
        load_file(file, &options)
    }
}

/// `store/app@version` → its parts; `None` for a compose file's path.
pub fn store_source(source: &str) -> Option<(&str, &str, &str)> {
    if source.starts_with('/') || source.starts_with('.') {
        return None;
    }
    let (store, rest) = source.split_once('/')?;
    let (id, version) = rest.split_once('@')?;
    Some((store, id, version))
}

pub(super) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("yml.tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|cause| Error::Write {
            path: path.to_path_buf(),
            cause,
        })
}

#[cfg(test)]
mod tests {
    use super::store_source;

    #[test]
    fn sources() {
        assert_eq!(
            store_source("berth/jellyfin@10.10.7"),
            Some(("berth", "jellyfin", "10.10.7"))
        );
        assert_eq!(store_source("/srv/apps/x/compose.yml"), None);
    }
}
