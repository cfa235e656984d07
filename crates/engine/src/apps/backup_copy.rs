//! The local copy a backup sends, kept between backups and brought up to
//! date in place: only files whose size or modification time changed are
//! copied again, files gone are removed. The app is stopped only for that
//! update, so an incremental backup's downtime follows what changed, not
//! the app's size; the copy's unchanged files keep their times (and
//! inodes), so the repository's parent match skips them when it is sent.
//!
//! Kept in `<home>/backup/copies/<app>/` (root-only, as the targets), laid
//! out as a snapshot (`data/`, `volumes/<name>/`, `compose.yml`, `app/`,
//! `snapshot.json`, `backup.json`). It is a cache: a crash halfway through
//! an update leaves files the next update finds changed (a file is written
//! beside its place and renamed, its time set last), and it is counted
//! file for file against the app before it is sent. It costs one more copy
//! of the app's data on the home's disk; an uninstall with `--purge-data`
//! deletes it.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, FileTimes};
use std::io;
use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::snapshot::{remove_tree, Snapshot};
use super::Apps;
use crate::db::now_ms;
use crate::lifecycle::ImageRef;
use crate::model::Layout;
use crate::{Error, Result};

impl Apps {
    /// Where the backup's local copy of `app` is kept.
    pub fn backup_copy_dir(&self, app: &str) -> PathBuf {
        self.layout.home().join("backup").join("copies").join(app)
    }

    /// Brings the backup copy of `app` (stopped, or `live`: running, its
    /// database kept consistent by a dump) up to date and describes it as
    /// snapshot `id`; returns it. The volumes named in `exclude` (compose
    /// names; a dump covers them) are kept as empty folders, so a restore
    /// empties them for the dump to fill. A live copy is counted as it
    /// was copied, since the app may change its files meanwhile.
    pub(super) async fn update_backup_copy(
        &self,
        app: &str,
        id: &str,
        op: i64,
        images: Vec<ImageRef>,
        live: bool,
        exclude: &[String],
    ) -> Result<Snapshot> {
        let copy = self.backup_copy_dir(app);
        let fail = |what: &str, e: io::Error| Error::Snapshot {
            app: app.to_string(),
            message: format!("updating the backup copy ({what}): {e}"),
        };
        let parent = copy.parent().expect("under the home").to_path_buf();
        fs::create_dir_all(&parent)
            .and_then(|_| fs::set_permissions(&parent, fs::Permissions::from_mode(0o700)))
            .and_then(|_| fs::create_dir_all(&copy))
            .map_err(|e| fail("its folder", e))?;
        let record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        let volumes = self.engine.project_volumes(app).await?;
        let excluded = |name: &str| {
            exclude
                .iter()
                .any(|e| name == e || name == format!("{app}_{e}"))
        };
        let (volumes, skipped): (Vec<_>, Vec<_>) =
            volumes.into_iter().partition(|v| !excluded(&v.name));
        let (data_from, files_from, compose_from) = (
            self.layout.data_dir(app),
            self.layout.store_files(app),
            self.compose_file(app),
        );
        let sources: Vec<(String, PathBuf)> = volumes
            .iter()
            .map(|v| (v.name.clone(), v.mountpoint.clone()))
            .chain(
                // An excluded volume: synced from nothing, an empty folder.
                skipped
                    .iter()
                    .map(|v| (v.name.clone(), copy.join("volumes").join(".none"))),
            )
            .collect();
        let (dest, data_dir) = (copy.clone(), data_from.clone());
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            fs::copy(&compose_from, Layout::compose_in(&dest))?;
            sync_tree(&files_from, &Layout::store_files_in(&dest))?;
            sync_tree(&data_from, &Layout::data_in(&dest))?;
            let root = dest.join("volumes");
            fs::create_dir_all(&root)?;
            let names: HashSet<_> = sources.iter().map(|(n, _)| n.as_str()).collect();
            for entry in fs::read_dir(&root)? {
                let entry = entry?;
                if !names.contains(entry.file_name().to_string_lossy().as_ref()) {
                    remove_any(&entry.path())?;
                }
            }
            for (name, from) in &sources {
                sync_tree(from, &root.join(name))?;
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Internal {
            message: format!("the backup copy's task failed: {e}"),
        })?
        .map_err(|e| fail("copying", e))?;
        let counted = |from: &Path, to: &Path| match live {
            true => self.tally(app, to),
            false => self.verified(app, from, to),
        };
        let data = counted(&data_dir, &Layout::data_in(&copy))?;
        let mut tallies = BTreeMap::new();
        for v in &volumes {
            tallies.insert(
                v.name.clone(),
                counted(&v.mountpoint, &copy.join("volumes").join(&v.name))?,
            );
        }
        for v in &skipped {
            tallies.insert(
                v.name.clone(),
                self.tally(app, &copy.join("volumes").join(&v.name))?,
            );
        }
        let snapshot = Snapshot {
            id: id.to_string(),
            app: app.to_string(),
            created_at: now_ms(),
            operation: op,
            reason: "for a backup".into(),
            record,
            images,
            data,
            volumes: tallies,
        };
        let json = serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize");
        let file = copy.join("snapshot.json");
        fs::write(&file, json).map_err(|cause| Error::Write { path: file, cause })?;
        Ok(snapshot)
    }
}

impl Apps {
    /// Brings the kept copy's `shares/<name>/` up to date with the folders
    /// of the shares given to `app` (`include`), or drops them (not
    /// included); returns the shares' names. Copied while the app runs:
    /// they are the user's files, not the app's state.
    pub(super) async fn update_backup_shares(
        &self,
        app: &str,
        project: &crate::compose::Project,
        include: bool,
    ) -> Result<Vec<String>> {
        let root = self.backup_copy_dir(app).join("shares");
        let mut shares: Vec<(String, PathBuf)> = Vec::new();
        if include {
            for s in crate::shares::recorded_shares(project) {
                if !shares.iter().any(|(n, _)| *n == s.share) {
                    shares.push((s.share.clone(), PathBuf::from(&s.path)));
                }
            }
        }
        for (name, path) in &shares {
            if !path.is_dir() {
                return Err(Error::Backup {
                    message: format!(
                        "share {name}'s folder {} is not there (is its drive connected?): its files cannot be backed up",
                        path.display()
                    ),
                });
            }
        }
        let names = shares.iter().map(|(n, _)| n.clone()).collect();
        let dest = root.clone();
        tokio::task::spawn_blocking(move || -> io::Result<()> {
            if shares.is_empty() {
                return remove_any(&dest);
            }
            fs::create_dir_all(&dest)?;
            for entry in fs::read_dir(&dest)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !shares.iter().any(|(n, _)| *n == name) {
                    remove_any(&entry.path())?;
                }
            }
            for (name, from) in &shares {
                sync_tree(from, &dest.join(name))?;
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Internal {
            message: format!("the backup copy's task failed: {e}"),
        })?
        .map_err(|e| Error::Snapshot {
            app: app.to_string(),
            message: format!("updating the backup copy (its shares): {e}"),
        })?;
        Ok(names)
    }

    /// Puts the share files a fetched backup holds (`<snapshot>/shares/<name>/`)
    /// back into the shares of the same names here: files of the backup
    /// replace those at the same paths, other files stay.
    pub async fn restore_backup_shares(&self, app: &str, local: &str) -> Result<Vec<String>> {
        let from = self.snapshots_dir(app).join(local).join("shares");
        let mut found = Vec::new();
        let entries = fs::read_dir(&from).map_err(|_| Error::BadRequest {
            message: format!(
                "this backup of {app} holds no shares' files: they are backed up only once turned on (berth backup schedule set --app {app} --include-shares on)"
            ),
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let share = self.db.share(&name)?.ok_or_else(|| Error::BadRequest {
                message: format!(
                    "the backup holds files of share {name}, which this server does not have: add it (berth shares add {name} PATH) and restore again"
                ),
            })?;
            found.push((name, entry.path(), PathBuf::from(share.path)));
        }
        let names = found.iter().map(|(n, _, _)| n.clone()).collect();
        tokio::task::spawn_blocking(move || -> Result<()> {
            for (_, from, to) in &found {
                let out = std::process::Command::new("cp")
                    .arg("-a")
                    .arg(format!("{}/.", from.display()))
                    .arg(to)
                    .output()
                    .map_err(|cause| Error::Write {
                        path: to.clone(),
                        cause,
                    })?;
                if !out.status.success() {
                    return Err(Error::Write {
                        path: to.clone(),
                        cause: io::Error::other(
                            String::from_utf8_lossy(&out.stderr).trim().to_string(),
                        ),
                    });
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| Error::Internal {
            message: format!("restoring the shares failed: {e}"),
        })??;
        Ok(names)
    }
}

/// Makes `to` hold what `from` holds: files whose type, size or
/// modification time differ are copied again, entries `from` lacks are
/// removed; owners, modes and times as in `from`. Symlinks and special
/// files are copied afresh with `cp -a`. An absent `from` makes `to` empty.
fn sync_tree(from: &Path, to: &Path) -> io::Result<()> {
    match fs::symlink_metadata(to) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            fs::remove_file(to)?;
            fs::create_dir_all(to)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(to)?,
        Err(e) => return Err(e),
    }
    let meta = match fs::symlink_metadata(from) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            super::snapshot::clear_dir(to)?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut seen = HashSet::new();
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let (src, dst) = (entry.path(), to.join(&name));
        // A file the running app removed meanwhile (a live copy) is skipped.
        let m = match fs::symlink_metadata(&src) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        seen.insert(name);
        let kind = m.file_type();
        let have = fs::symlink_metadata(&dst).ok();
        if kind.is_dir() {
            sync_tree(&src, &dst)?;
        } else if kind.is_file() {
            let same = have.as_ref().is_some_and(|d| {
                d.is_file()
                    && d.len() == m.len()
                    && d.mtime() == m.mtime()
                    && d.mtime_nsec() == m.mtime_nsec()
            });
            if same {
                same_attributes(&dst, &m)?;
                continue;
            }
            if have.is_some() {
                remove_any(&dst)?;
            }
            let tmp = to.join(format!(".{}.berth-copy", name_of(&dst)));
            let _ = fs::remove_file(&tmp);
            match fs::copy(&src, &tmp) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound && !src.exists() => {
                    let _ = fs::remove_file(&tmp);
                    continue;
                }
                Err(e) => return Err(e),
            }
            fs::rename(&tmp, &dst)?;
            same_attributes(&dst, &m)?;
        } else {
            if have.is_some() {
                remove_any(&dst)?;
            }
            let out = std::process::Command::new("cp")
                .arg("-a")
                .arg(&src)
                .arg(&dst)
                .output()?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "cp -a {}: {}",
                    src.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
    }
    for entry in fs::read_dir(to)? {
        let entry = entry?;
        if !seen.contains(&entry.file_name()) {
            remove_any(&entry.path())?;
        }
    }
    same_attributes(to, &meta)
}

/// Removes a file, a link or a whole folder.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => remove_tree(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Gives `path` (a file or folder) the owner, mode and times of `m`.
fn same_attributes(path: &Path, m: &fs::Metadata) -> io::Result<()> {
    let now = fs::symlink_metadata(path)?;
    if now.uid() != m.uid() || now.gid() != m.gid() {
        lchown(path, Some(m.uid()), Some(m.gid()))?;
    }
    if now.mode() & 0o7777 != m.mode() & 0o7777 {
        fs::set_permissions(path, fs::Permissions::from_mode(m.mode() & 0o7777))?;
    }
    if now.mtime() != m.mtime() || now.mtime_nsec() != m.mtime_nsec() {
        let times = FileTimes::new()
            .set_modified(m.modified()?)
            .set_accessed(m.accessed()?);
        fs::File::open(path)?.set_times(times)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_kept_copy_follows_changes_removals_and_type_changes() {
        let root = std::env::temp_dir().join(format!("berth-sync-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let (from, to) = (root.join("from"), root.join("to"));
        fs::create_dir_all(from.join("a/b")).unwrap();
        fs::write(from.join("a/b/keep"), "same").unwrap();
        fs::write(from.join("a/gone"), "x").unwrap();
        fs::write(from.join("becomes-dir"), "file").unwrap();
        fs::set_permissions(from.join("a/b/keep"), fs::Permissions::from_mode(0o640)).unwrap();
        std::os::unix::fs::symlink("b/keep", from.join("a/link")).unwrap();
        sync_tree(&from, &to).unwrap();
        assert_eq!(read(&to.join("a/b/keep")), "same");
        assert_eq!(
            fs::read_link(to.join("a/link")).unwrap(),
            Path::new("b/keep")
        );
        let meta = |p: &Path| fs::symlink_metadata(p).unwrap();
        assert_eq!(meta(&to.join("a/b/keep")).mode() & 0o777, 0o640);
        assert_eq!(
            meta(&to.join("a/b/keep")).mtime_nsec(),
            meta(&from.join("a/b/keep")).mtime_nsec()
        );

        // Changed (same size, new time), removed, a file become a folder.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(from.join("a/b/keep"), "diff").unwrap();
        fs::remove_file(from.join("a/gone")).unwrap();
        fs::remove_file(from.join("becomes-dir")).unwrap();
        fs::create_dir(from.join("becomes-dir")).unwrap();
        fs::write(from.join("becomes-dir/inside"), "in").unwrap();
        fs::write(from.join("new"), "new").unwrap();
        sync_tree(&from, &to).unwrap();
        assert_eq!(read(&to.join("a/b/keep")), "diff");
        assert!(!to.join("a/gone").exists());
        assert_eq!(read(&to.join("becomes-dir/inside")), "in");
        assert_eq!(read(&to.join("new")), "new");

        // Unchanged: left as it is (same inode), no temporary files.
        let inode = meta(&to.join("new")).ino();
        sync_tree(&from, &to).unwrap();
        assert_eq!(meta(&to.join("new")).ino(), inode);
        let names: Vec<_> = fs::read_dir(&to)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("berth-copy")), "{names:?}");

        // No source: an empty copy.
        sync_tree(&root.join("none"), &to).unwrap();
        assert_eq!(fs::read_dir(&to).unwrap().count(), 0);
        let _ = fs::remove_dir_all(&root);
    }
}
