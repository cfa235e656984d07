//! Snapshots: a verified copy of an app taken before an update or rollback
//! changes it — its data folder, its named volumes, its rendered compose
//! file, its store files, its record, and the exact images it ran — kept
//! under `<home>/snapshots/<app>/<id>/`.
//!
//! A snapshot is written to `<id>.partial` and renamed into place only once
//! its copy has been counted file for file against the original, so a
//! snapshot that exists is complete. Restoring is idempotent: a crash
//! halfway through a restore is finished by running it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Apps;
use crate::db::{now_ms, AppRecord};
use crate::lifecycle::ImageRef;
use crate::model::Layout;
use crate::{Error, Result};

/// Files and bytes of a folder tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Tally {
    #[specta(type = f64)]
    pub files: u64,
    #[specta(type = f64)]
    pub bytes: u64,
}

impl Tally {
    /// Counts `dir` (not following symlinks); an absent folder counts zero.
    pub fn of(dir: &Path) -> std::io::Result<Tally> {
        let mut tally = Tally::default();
        let meta = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tally),
            Err(e) => return Err(e),
        };
        if !meta.is_dir() {
            return Ok(Tally {
                files: 1,
                bytes: if meta.is_file() { meta.len() } else { 0 },
            });
        }
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                tally.files += 1;
                if meta.is_dir() {
                    stack.push(entry.path());
                } else if meta.is_file() {
                    tally.bytes += meta.len();
                }
            }
        }
        Ok(tally)
    }
}

/// A kept copy of an app, from before an update or a rollback changed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `<UTC time>-op<operation>`; sorts by time.
    pub id: String,
    pub app: String,
    pub created_at: i64,
    /// The operation that took it.
    pub operation: i64,
    /// Why it was taken (`before update to …`).
    pub reason: String,
    /// The app as recorded then.
    pub record: AppRecord,
    /// The image each reference named then.
    pub images: Vec<ImageRef>,
    pub data: Tally,
    /// Named volume → its copy.
    pub volumes: BTreeMap<String, Tally>,
}

impl Snapshot {
    /// Bytes the snapshot holds.
    pub fn bytes(&self) -> u64 {
        self.data.bytes + self.volumes.values().map(|t| t.bytes).sum::<u64>()
    }
}

/// Formats a byte count for people (`1.4 GB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Free bytes on the filesystem holding `path` (its nearest existing parent).
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    let stat = crate::host::statvfs(path)?;
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Copies the contents of `from` into `to` (created), keeping owners,
/// modes, times, links and extended attributes (`cp -a`).
pub(super) async fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    if !from.exists() {
        return Ok(());
    }
    let out = tokio::process::Command::new("cp")
        .arg("-a")
        .arg("--reflink=auto")
        .arg(from.join("."))
        .arg(to)
        .output()
        .await?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "cp -a {} {}: {}",
            from.display(),
            to.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

pub(super) fn remove_tree(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The snapshot id for operation `op` begun at `started_at` (ms).
pub(super) fn snapshot_id(op: i64, started_at: i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(started_at as u64);
    let stamp = humantime::format_rfc3339_seconds(time)
        .to_string()
        .replace(':', "-");
    format!("{stamp}-op{op}")
}

/// How many snapshots of each app are kept (`BERTH_KEEP_SNAPSHOTS`, default 3).
pub fn snapshots_to_keep() -> usize {
    std::env::var("BERTH_KEEP_SNAPSHOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(3)
}

impl Apps {
    /// Where `app`'s snapshots are kept.
    pub fn snapshots_dir(&self, app: &str) -> PathBuf {
        self.layout.snapshots_dir(app)
    }

    /// The complete snapshots of `app`, newest first.
    pub fn snapshots(&self, app: &str) -> Result<Vec<Snapshot>> {
        let dir = self.snapshots_dir(app);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => return Err(Error::Read { path: dir, cause }),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".partial") {
                continue;
            }
            let file = entry.path().join("snapshot.json");
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            match serde_json::from_slice::<Snapshot>(&bytes) {
                Ok(s) => out.push(s),
                Err(e) => eprintln!("berth: ignoring damaged snapshot {}: {e}", file.display()),
            }
        }
        out.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(out)
    }

    /// One snapshot of `app`: `id`, or the newest when `None`.
    pub fn snapshot(&self, app: &str, id: Option<&str>) -> Result<Snapshot> {
        let all = self.snapshots(app)?;
        let found = match id {
            Some(id) => all.into_iter().find(|s| s.id == id),
            None => all.into_iter().next(),
        };
        found.ok_or_else(|| Error::Snapshot {
            app: app.to_string(),
            message: match id {
                Some(id) => format!("there is no snapshot {id} (see `berth snapshots {app}`)"),
                None => "there is no snapshot to roll back to".into(),
            },
        })
    }

    /// Bytes a snapshot of `app` would copy now.
    pub async fn snapshot_size(&self, app: &str) -> Result<u64> {
        let mut total = self.tally(app, &self.layout.data_dir(app))?.bytes;
        for v in self.engine.project_volumes(app).await? {
            total += self.tally(app, &v.mountpoint)?.bytes;
        }
        Ok(total)
    }

    pub(super) fn tally(&self, app: &str, dir: &Path) -> Result<Tally> {
        Tally::of(dir).map_err(|e| Error::Snapshot {
            app: app.to_string(),
            message: format!("cannot read {}: {e}", dir.display()),
        })
    }

    /// Refuses when the disk cannot hold a snapshot of `app`, saying how
    /// much it needs.
    pub async fn check_snapshot_space(&self, app: &str) -> Result<()> {
        let needed = self.snapshot_size(app).await?;
        // Room for the copy, and some to spare for the system.
        let margin = 64 * 1024 * 1024;
        let root = self.layout.snapshots_root();
        let free = free_space(&root).map_err(|e| Error::Snapshot {
            app: app.to_string(),
            message: format!("cannot tell the free space at {}: {e}", root.display()),
        })?;
        if needed + margin > free {
            return Err(Error::NoSpace {
                app: app.to_string(),
                needed: human_bytes(needed + margin),
                free: human_bytes(free),
                path: root,
            });
        }
        Ok(())
    }

    /// Takes snapshot `id` of `app` (stopped, so the copy is consistent);
    /// returns it as it already is if it was taken before (a retried step).
    pub(super) async fn take_snapshot(
        &self,
        app: &str,
        id: &str,
        op: i64,
        reason: &str,
        images: Vec<ImageRef>,
    ) -> Result<Snapshot> {
        let root = self.snapshots_dir(app);
        let done = root.join(id);
        if let Ok(existing) = self.snapshot(app, Some(id)) {
            return Ok(existing);
        }
        let fail = |message: String| Error::Snapshot {
            app: app.to_string(),
            message,
        };
        let io = |what: &str, e: std::io::Error| fail(format!("{what}: {e}"));
        let partial = root.join(format!("{id}.partial"));
        remove_tree(&partial).map_err(|e| io("clearing an unfinished snapshot", e))?;
        std::fs::create_dir_all(&partial).map_err(|e| io("creating the snapshot folder", e))?;

        let record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        std::fs::copy(self.compose_file(app), Layout::compose_in(&partial))
            .map_err(|e| io("copying the compose file", e))?;
        copy_tree(
            &self.layout.store_files(app),
            &Layout::store_files_in(&partial),
        )
        .await
        .map_err(|e| io("copying the app's files", e))?;

        let data_from = self.layout.data_dir(app);
        copy_tree(&data_from, &Layout::data_in(&partial))
            .await
            .map_err(|e| io("copying the data folder", e))?;
        let data = self.verified(app, &data_from, &Layout::data_in(&partial))?;

        let mut volumes = BTreeMap::new();
        for v in self.engine.project_volumes(app).await? {
            let to = partial.join("volumes").join(&v.name);
            copy_tree(&v.mountpoint, &to).await.map_err(|e| {
                fail(format!(
                    "copying volume {} from {} (Berth must run as root on the Docker host): {e}",
                    v.name,
                    v.mountpoint.display()
                ))
            })?;
            volumes.insert(v.name.clone(), self.verified(app, &v.mountpoint, &to)?);
        }

        let snapshot = Snapshot {
            id: id.to_string(),
            app: app.to_string(),
            created_at: now_ms(),
            operation: op,
            reason: reason.to_string(),
            record,
            images,
            data,
            volumes,
        };
        let json = serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize");
        write_synced(&partial.join("snapshot.json"), &json)
            .map_err(|e| io("writing snapshot.json", e))?;
        std::fs::rename(&partial, &done).map_err(|e| io("completing the snapshot", e))?;
        Ok(snapshot)
    }

    /// The copy at `to` must count the same files and bytes as `from`.
    pub(super) fn verified(&self, app: &str, from: &Path, to: &Path) -> Result<Tally> {
        let original = self.tally(app, from)?;
        let copy = self.tally(app, to)?;
        if original != copy {
            return Err(Error::Snapshot {
                app: app.to_string(),
                message: format!(
                    "the copy of {} is incomplete: {} files / {} bytes of {} / {}",
                    from.display(),
                    copy.files,
                    copy.bytes,
                    original.files,
                    original.bytes
                ),
            });
        }
        Ok(original)
    }

    /// Puts `snapshot`'s data folder and volumes back in place of the
    /// current ones. The app's containers must be gone. Idempotent.
    pub(super) async fn restore_data(&self, snapshot: &Snapshot) -> Result<()> {
        let app = snapshot.app.as_str();
        let fail = |what: String, e: std::io::Error| Error::Snapshot {
            app: app.to_string(),
            message: format!("restoring {what}: {e}"),
        };
        let from = self.snapshots_dir(app).join(&snapshot.id);
        let dir = self.layout.app_dir(app);
        let data = Layout::data_in(&dir);
        let incoming = dir.join("data.restoring");
        let outgoing = dir.join("data.replaced");
        // data.restoring is a half copy; data.replaced the newer data being
        // dropped: both are redone from the snapshot, never the other way.
        remove_tree(&incoming).map_err(|e| fail("the data folder".into(), e))?;
        copy_tree(&Layout::data_in(&from), &incoming)
            .await
            .map_err(|e| fail("the data folder".into(), e))?;
        self.verified(app, &Layout::data_in(&from), &incoming)?;
        if crate::host::mount_source(&data).is_some() {
            // A capped data folder is its disk's mount point: it stays, its
            // contents are replaced.
            clear_dir(&data).map_err(|e| fail("the data folder".into(), e))?;
            copy_tree(&incoming, &data)
                .await
                .map_err(|e| fail("the data folder".into(), e))?;
            self.verified(app, &Layout::data_in(&from), &data)?;
            remove_tree(&incoming).map_err(|e| fail("the data folder".into(), e))?;
        } else {
            if data.exists() {
                remove_tree(&outgoing).map_err(|e| fail("the data folder".into(), e))?;
                std::fs::rename(&data, &outgoing).map_err(|e| fail("the data folder".into(), e))?;
            }
            std::fs::rename(&incoming, &data).map_err(|e| fail("the data folder".into(), e))?;
            remove_tree(&outgoing).map_err(|e| fail("the data folder".into(), e))?;
        }

        let current = self.engine.project_volumes(app).await?;
        for name in snapshot.volumes.keys() {
            let Some(volume) = current.iter().find(|v| &v.name == name) else {
                return Err(Error::Snapshot {
                    app: app.to_string(),
                    message: format!("volume {name} is missing; it should have been created"),
                });
            };
            clear_dir(&volume.mountpoint).map_err(|e| fail(format!("volume {name}"), e))?;
            let copy = from.join("volumes").join(name);
            copy_tree(&copy, &volume.mountpoint)
                .await
                .map_err(|e| fail(format!("volume {name}"), e))?;
            self.verified(app, &copy, &volume.mountpoint)?;
        }
        Ok(())
    }

    /// Puts `snapshot`'s compose file, store files and record back.
    pub(super) fn restore_files(&self, snapshot: &Snapshot, state: &str) -> Result<()> {
        let app = snapshot.app.as_str();
        let from = self.snapshots_dir(app).join(&snapshot.id);
        let file = self.compose_file(app);
        let tmp = file.with_extension("yml.restoring");
        std::fs::copy(Layout::compose_in(&from), &tmp)
            .and_then(|_| std::fs::rename(&tmp, &file))
            .map_err(|cause| Error::Write {
                path: file.clone(),
                cause,
            })?;
        let app_files = Layout::store_files_in(&from);
        if app_files.is_dir() && std::fs::read_dir(&app_files).is_ok_and(|mut d| d.next().is_some())
        {
            let dest = self.layout.store_files(app);
            remove_tree(&dest).map_err(|cause| Error::Write {
                path: dest.clone(),
                cause,
            })?;
            std::fs::create_dir_all(&dest)
                .and_then(|_| copy_dir_sync(&app_files, &dest))
                .map_err(|cause| Error::Write {
                    path: dest.clone(),
                    cause,
                })?;
        }
        let mut record = snapshot.record.clone();
        record.state = state.to_string();
        self.db.put_app(&record)
    }

    /// Keeps the newest `keep` snapshots of `app`; deletes the rest.
    pub fn prune_snapshots(&self, app: &str, keep: usize) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for old in self.snapshots(app)?.into_iter().skip(keep) {
            let path = self.snapshots_dir(app).join(&old.id);
            remove_tree(&path).map_err(|cause| Error::Write { path, cause })?;
            removed.push(old.id);
        }
        Ok(removed)
    }

    /// Deletes every snapshot of `app` (a purge).
    pub(super) fn delete_snapshots(&self, app: &str) -> Result<()> {
        let path = self.snapshots_dir(app);
        remove_tree(&path).map_err(|cause| Error::Write { path, cause })
    }

    /// Drops what an interrupted snapshot left (`<id>.partial`).
    pub(super) fn drop_partial_snapshot(&self, app: &str, id: &str) -> Result<()> {
        let path = self.snapshots_dir(app).join(format!("{id}.partial"));
        remove_tree(&path).map_err(|cause| Error::Write { path, cause })
    }
}

/// Empties `dir`, keeping the folder itself (a volume's mountpoint).
pub(super) fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Copies a small tree of plain files (an app's store files).
fn copy_dir_sync(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_dir_sync(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_bytes_read_well() {
        let a = snapshot_id(7, 1_764_000_000_000);
        let b = snapshot_id(8, 1_764_000_060_000);
        assert!(a < b, "{a} {b}");
        assert!(!a.contains(':'), "{a}");
        assert!(a.ends_with("-op7"), "{a}");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_400_000_000), "1.4 GB");
    }

    #[test]
    fn tally_counts_files_and_bytes() {
        let dir = std::env::temp_dir().join(format!("berth-tally-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/x"), "12345").unwrap();
        std::fs::write(dir.join("y"), "12").unwrap();
        assert_eq!(Tally::of(&dir).unwrap(), Tally { files: 4, bytes: 7 });
        assert_eq!(Tally::of(&dir.join("none")).unwrap(), Tally::default());
        assert!(free_space(&dir.join("not/yet")).unwrap() > 0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
