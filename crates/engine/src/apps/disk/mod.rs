//! Disk caps: an app's data folder (`<home>/apps/<id>/data`) on a
//! filesystem of its own — `<home>/disks/<id>.img`, a sparse ext4 image
//! loop-mounted on the folder (`host::DiskImage`) — so an app that fills
//! its disk stops at its cap, not at the server's. The image is the record:
//! its size is the cap, and [`Apps::mount_disks`] mounts every image of
//! `<home>/disks/` again at start, also those of apps uninstalled with
//! their data kept, so a reinstall finds its data in place.
//!
//! Operation `disk`, journaled. Each change commits with one rename, and
//! what is on disk says how far it got, so a failure or a crash is undone
//! (or finished, past the commit) from there ([`Apps::settle_disk`]):
//! - a first cap, or a lower one: a new image is made and mounted aside,
//!   the app stopped, its data copied in (`cp -a`, counted), the old data
//!   folder (or image) moved aside, the new image renamed into place — the
//!   commit — and mounted on the folder, the app started again. Its
//!   containers must restart: a bind mount resolves its source at start.
//!   (ext4 cannot shrink while mounted; a lower cap is a new filesystem.)
//! - a higher cap: the image grows in place — online, with no unmount and
//!   no restart, where the kernel lets Berth (CAP_SYS_RESOURCE); otherwise
//!   the app is stopped, the image unmounted, checked, grown, mounted again.
//! - no cap: the app stopped, its data copied out beside the folder, the
//!   image unmounted and moved aside, the copy renamed into place — the
//!   commit — and the image deleted.
//!
//! `plan.rs` checks and journals a change, `run.rs` makes it, `settle.rs`
//! undoes or finishes an interrupted one, `mount.rs` mounts the images;
//! this file holds the types, the paths and the usage report.

mod mount;
mod plan;
mod run;
mod settle;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::snapshot::Tally;
use super::Apps;
use crate::host::{fs_usage, mount_source, DiskImage};
use crate::lifecycle::ServiceState;
use crate::model::Layout;
use crate::{Error, Result};

/// The smallest cap: an ext4 filesystem and a little data.
pub const MIN_DISK_CAP: u64 = 16 * 1024 * 1024;

/// Used above this share of the cap, an app's disk is nearly full.
const NEAR_FULL_PERCENT: u64 = 90;

/// Free space kept on the host beyond a copy's own size.
const HOST_MARGIN: u64 = 64 * 1024 * 1024;

/// How much an app's data folder holds, and its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskUsage {
    /// Bytes used: of the capped filesystem, or the folder's files when uncapped.
    pub used: u64,
    /// The cap in bytes, when there is one.
    pub cap: Option<u64>,
    /// More than 90% of the cap is used.
    pub near_full: bool,
}

/// How a disk cap change went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiskCapReport {
    /// The operation; `None` when the cap already was the one asked.
    pub operation: Option<i64>,
    pub usage: DiskUsage,
    /// The app's containers were stopped and started again for it.
    pub restarted: bool,
}

/// What a disk cap change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskChange {
    /// A new filesystem under the data folder: a first cap, or a lower one.
    Replace,
    /// The filesystem grows in place.
    Grow,
    /// The data folder goes back on the host's filesystem.
    Remove,
}

/// A disk cap change as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiskPlan {
    pub app: String,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub change: DiskChange,
    /// The app's containers are stopped for the change.
    pub stops: bool,
    /// Some of them ran before: the app is started again after.
    pub was_running: bool,
}

/// Where an app's disk and the steps of changing it live.
struct DiskPaths {
    image: DiskImage,
    /// A replacement being filled; its rename to `image` is the commit.
    new: DiskImage,
    /// The image replaced or removed, deleted after the commit.
    old: PathBuf,
    /// Where `new` is mounted while the data is copied in.
    staging: PathBuf,
    data: PathBuf,
    /// The uncapped data folder, moved aside by a first cap.
    uncapped: PathBuf,
    /// The data copied out of the image by a removal; its rename to `data` is the commit.
    uncapping: PathBuf,
}

impl DiskPaths {
    /// The size of `app`'s disk image: its cap, if it has one.
    fn cap(&self, app: &str) -> Result<Option<u64>> {
        match self.image.exists() {
            true => Ok(Some(
                self.image
                    .size()
                    .map_err(io_err(app, "reading its disk image"))?,
            )),
            false => Ok(None),
        }
    }
}

fn io_err(app: &str, what: &str) -> impl FnOnce(std::io::Error) -> Error {
    let app = app.to_string();
    let what = what.to_string();
    move |e| Error::DiskCap {
        app,
        message: format!("{what}: {e}"),
    }
}

fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("renaming {} to {}: {e}", from.display(), to.display()),
        )
    })
}

fn remove_file(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Gives `to` the owner and mode of `from` (a new filesystem's root
/// becomes the data folder it replaces).
fn same_owner_and_mode(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(from)?;
    std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()))?;
    std::fs::set_permissions(to, meta.permissions())
}

impl Apps {
    fn disk_paths(&self, app: &str) -> DiskPaths {
        let disks = self.layout.disks_dir();
        let dir = self.layout.app_dir(app);
        DiskPaths {
            image: DiskImage::new(disks.join(format!("{app}.img"))),
            new: DiskImage::new(disks.join(format!("{app}.img.new"))),
            old: disks.join(format!("{app}.img.old")),
            staging: disks.join(format!("{app}.staging")),
            data: Layout::data_in(&dir),
            uncapped: dir.join("data.uncapped"),
            uncapping: dir.join("data.uncapping"),
        }
    }

    /// How much `app`'s data folder holds, and its cap. Uncapped, the
    /// folder's files are counted (a walk of the tree).
    pub async fn disk_usage(&self, app: &str) -> Result<DiskUsage> {
        let p = self.disk_paths(app);
        let cap = p.cap(app)?;
        // Near full against what the filesystem can hold: its own
        // bookkeeping takes a share of the cap.
        let (used, room) = match (cap, mount_source(&p.data)) {
            (Some(_), Some(_)) => {
                fs_usage(&p.data).map_err(io_err(app, "reading its disk's usage"))?
            }
            _ => {
                let data = p.data.clone();
                let tally = tokio::task::spawn_blocking(move || Tally::of(&data))
                    .await
                    .map_err(|e| Error::DiskCap {
                        app: app.to_string(),
                        message: format!("counting its data folder: {e}"),
                    })?
                    .map_err(io_err(app, "counting its data folder"))?;
                (tally.bytes, cap.unwrap_or_default())
            }
        };
        Ok(DiskUsage {
            used,
            cap,
            near_full: cap.is_some() && used * 100 > room * NEAR_FULL_PERCENT,
        })
    }

    /// Whether any container of `app` runs (or tries to).
    pub(in crate::apps) async fn app_running(&self, app: &str) -> Result<bool> {
        Ok(self.engine.status(app).await?.iter().any(|s| {
            !matches!(
                s.state,
                ServiceState::Created | ServiceState::Exited { .. } | ServiceState::Other { .. }
            )
        }))
    }
}
