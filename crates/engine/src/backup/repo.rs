//! The repository itself, through `rustic_core`: created (format version 2,
//! compressed, as restic 0.14 and later read), a folder of an app sent as a
//! snapshot, the snapshots listed, one fetched back into a folder. Blocking
//! calls: run them off the async runtime (`spawn_blocking`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustic_backend::BackendOptions;
use rustic_core::{
    BackupOptions, ConfigOptions, Credentials, FileType, KeyOptions, LocalDestination, LsOptions,
    ParentOptions, PathList, Repository, RepositoryOptions, RestoreOptions, SnapshotOptions,
};
use serde::{Deserialize, Serialize};

use super::sftp::SftpBackend;
use super::{Target, TargetKind};
use crate::{Error, Result};

/// Where an app's files are in a snapshot: `/berth/<app>/` (its data folder
/// under `data/`, each named volume under `volumes/<name>/`, the rendered
/// `compose.yml`, the store files under `files/`, `snapshot.json` and
/// `backup.json`).
pub const APP_ROOT: &str = "/berth";

/// A backup of an app, as `restic snapshots` shows it too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupInfo {
    /// The snapshot's id (64 hex digits; restic shows the first 8).
    pub id: String,
    pub short_id: String,
    /// When it was taken (RFC 3339).
    pub time: String,
    pub app: String,
    /// The app's version then.
    pub version: String,
    pub host: String,
    #[specta(type = f64)]
    pub files: u64,
    #[specta(type = f64)]
    pub bytes: u64,
    /// Bytes this backup added to the repository (after deduplication and
    /// compression).
    #[specta(type = f64)]
    pub added: u64,
}

/// What sending a snapshot did.
#[derive(Debug, Clone)]
pub struct Sent {
    pub info: BackupInfo,
}

pub(super) fn fail(what: &str) -> impl Fn(Box<rustic_core::RusticError>) -> Error + '_ {
    move |e| Error::Backup {
        message: format!("{what}: {}", brief(&e)),
    }
}

/// A rustic error in one line (its `Display` runs to a page, with a backtrace).
fn brief(e: &rustic_core::RusticError) -> String {
    let log = e.display_log();
    log.strip_prefix("Error: ").unwrap_or(&log).to_string()
}

fn backends(target: &Target) -> Result<rustic_core::RepositoryBackends> {
    match &target.kind {
        TargetKind::Folder { path } => BackendOptions::default()
            .repository(path.to_string_lossy())
            .to_backends()
            .map_err(fail("reaching the backup target")),
        TargetKind::Sftp { .. } => {
            let endpoint = target.endpoint().expect("an SFTP target");
            let backend = SftpBackend::connect(&endpoint).map_err(|message| Error::Backup {
                message: format!("the backup target {}: {message}", target.name),
            })?;
            Ok(rustic_core::RepositoryBackends::new(
                Arc::new(backend),
                None,
            ))
        }
    }
}

fn options() -> RepositoryOptions {
    // No cache: the folder target is local; a cache would sit in root's home.
    RepositoryOptions::default().no_cache(true)
}

/// Creates the repository at `target`, or opens the one there; `true` when
/// created. A repository the password does not open is refused.
pub(super) fn init_or_open(target: &Target, password: &str) -> Result<bool> {
    let credentials = Credentials::password(password);
    let backends = backends(target)?;
    let exists = !backends
        .repository()
        .list(FileType::Config)
        .map_err(fail("looking for a repository at the target"))?
        .is_empty();
    let repo = Repository::new(&options(), &backends).map_err(fail("opening the repository"))?;
    if exists {
        repo.open(&credentials).map_err(|e| Error::Backup {
            message: if e.is_incorrect_password() {
                format!(
                    "{} holds a restic repository this password does not open: give the password it was made with",
                    target.location()
                )
            } else {
                format!("opening the repository at {}: {}", target.location(), brief(&e))
            },
        })?;
        Ok(false)
    } else {
        let config = ConfigOptions::default().set_version(2u32);
        repo.init(&credentials, &KeyOptions::default(), &config)
            .map_err(fail("creating the repository"))?;
        Ok(true)
    }
}

pub(super) fn open(target: &Target, password: &str) -> Result<Repository<rustic_core::OpenStatus>> {
    Repository::new(&options(), &backends(target)?)
        .map_err(fail("opening the repository"))?
        .open(&Credentials::password(password))
        .map_err(fail("opening the repository"))
}

/// Opens the repository at `target` and lets it go: a backup checks this
/// before it stops the app, so a target that cannot be reached (a NAS that
/// is off, a key the server refuses, a host key that changed) costs no
/// downtime.
pub fn reach(target: &Target, password: &str) -> Result<()> {
    open(target, password).map(|_| ())
}

/// `app=ID` and `version=V` tags, and the `berth` tag.
fn tags(app: &str, version: &str) -> String {
    // Tags are a comma-separated list.
    let version = version.replace(',', "_");
    format!("berth,app={app},version={version}")
}

fn tag_value(snap: &rustic_core::repofile::SnapshotFile, key: &str) -> String {
    let prefix = format!("{key}=");
    snap.tags
        .iter()
        .find_map(|t| t.strip_prefix(&prefix))
        .unwrap_or_default()
        .to_string()
}

pub(super) fn info(snap: &rustic_core::repofile::SnapshotFile) -> BackupInfo {
    let id = snap.id.to_string();
    let summary = snap.summary.clone().unwrap_or_default();
    BackupInfo {
        short_id: id.chars().take(8).collect(),
        id,
        time: format!("{:.0}", snap.time.timestamp()),
        app: tag_value(snap, "app"),
        version: tag_value(snap, "version"),
        host: snap.hostname.clone(),
        files: summary.total_files_processed,
        bytes: summary.total_bytes_processed,
        added: summary.data_added,
    }
}

/// Sends the folder `dir` (a local snapshot of `app`) to `target` as a
/// snapshot whose path is `/berth/<app>`, tagged with the app and version.
pub fn send_snapshot(
    target: &Target,
    password: &str,
    app: &str,
    version: &str,
    dir: &Path,
) -> Result<Sent> {
    let repo = open(target, password)?
        .to_indexed_ids()
        .map_err(fail("reading the repository's index"))?;
    // The folder is a fresh copy each time: files are matched with the last
    // backup's by size and modification time, not by inode or change time.
    // rustic_core 0.13 reads `ignore_inode` the wrong way round (its
    // `Parent::is_parent` compares inodes only when it is set), so it is
    // left unset here to have inodes ignored; set, every file of the fresh
    // copy looked changed and was read and hashed again (an incremental
    // backup of 200 MB took 10 s instead of 1; `benches/backup.rs`).
    let parent = ParentOptions::default()
        .ignore_ctime(true)
        .ignore_inode(false);
    let options = BackupOptions::default()
        .as_path(PathBuf::from(format!("{APP_ROOT}/{app}")))
        .parent_opts(parent);
    let source = PathList::from_iter([dir.to_path_buf()])
        .sanitize()
        .map_err(|e| Error::Backup {
            message: format!("the folder {}: {e}", dir.display()),
        })?;
    let snap = SnapshotOptions::default()
        .label(app.to_string())
        .description(format!("Berth backup of {app} ({version})"))
        .add_tags(&tags(app, version))
        .and_then(|o| o.to_snapshot())
        .map_err(fail("describing the snapshot"))?;
    let snap = repo
        .backup(&options, &source, snap)
        .map_err(fail("writing the backup"))?;
    Ok(Sent { info: info(&snap) })
}

/// The backups at `target` (of `app` only, when given), newest first.
pub fn list_snapshots(
    target: &Target,
    password: &str,
    app: Option<&str>,
) -> Result<Vec<BackupInfo>> {
    let repo = open(target, password)?;
    let snaps = repo
        .get_matching_snapshots(|s| s.tags.contains("berth"))
        .map_err(fail("listing the backups"))?;
    let mut list: Vec<BackupInfo> = snaps
        .iter()
        .map(info)
        .filter(|b| app.is_none_or(|a| b.app == a))
        .collect();
    list.sort_by(|a, b| b.time.cmp(&a.time));
    Ok(list)
}

/// The repository at `target`, opened with its index read, to read files.
pub(super) fn open_indexed(target: &Target, password: &str) -> Result<IndexedRepo> {
    open(target, password)?
        .to_indexed()
        .map_err(fail("reading the repository's index"))
}

/// A repository ready to read files from.
pub(super) type IndexedRepo = Repository<rustic_core::IndexedFullStatus>;

/// Backup `id` (or a unique prefix) of `app`; refused when there is no such
/// backup or it is another app's.
pub(super) fn app_snapshot(
    repo: &IndexedRepo,
    target: &Target,
    app: &str,
    id: &str,
) -> Result<rustic_core::repofile::SnapshotFile> {
    let snap = repo
        .get_snapshot_from_str(id, |_| true)
        .map_err(|e| Error::BadRequest {
            message: format!(
                "there is no backup {id} at {} (see `berth backup list`): {}",
                target.location(),
                brief(&e)
            ),
        })?;
    let found = info(&snap);
    if found.app != app {
        return Err(Error::BadRequest {
            message: format!(
                "backup {} is of {}, not of {app}",
                found.short_id,
                if found.app.is_empty() {
                    "no Berth app"
                } else {
                    &found.app
                }
            ),
        });
    }
    Ok(snap)
}

/// Fetches backup `id` (or a unique prefix) of `app` into `dest` (created;
/// owners, modes and times as backed up); returns the backup.
pub fn fetch_snapshot(
    target: &Target,
    password: &str,
    app: &str,
    id: &str,
    dest: &Path,
) -> Result<BackupInfo> {
    let repo = open_indexed(target, password)?;
    let snap = app_snapshot(&repo, target, app, id)?;
    let found = info(&snap);
    let node = repo
        .node_from_snapshot_path(&format!("{}:{APP_ROOT}/{app}", snap.id), |_| true)
        .map_err(fail("finding the app's files in the backup"))?;
    restore_node(&repo, &node, dest)?;
    Ok(found)
}

/// Restores `node` into `dest` (created): a folder's contents, or a file
/// as `dest/<its name>`; owners (by number), modes and times as backed up.
pub(super) fn restore_node(
    repo: &IndexedRepo,
    node: &rustic_core::repofile::Node,
    dest: &Path,
) -> Result<()> {
    let ls = repo
        .ls(node, &LsOptions::default())
        .map_err(fail("reading the backup"))?;
    std::fs::create_dir_all(dest).map_err(|cause| Error::Write {
        path: dest.to_path_buf(),
        cause,
    })?;
    let dest_str = format!("{}/", dest.display());
    let destination =
        LocalDestination::new(&dest_str, true, false).map_err(fail("preparing the restore"))?;
    let opts = RestoreOptions::default().numeric_id(true);
    let plan = repo
        .prepare_restore(&opts, ls.clone(), &destination, false)
        .map_err(fail("planning the restore"))?;
    repo.restore(plan, &opts, ls, &destination)
        .map_err(fail("restoring the backup"))
}
