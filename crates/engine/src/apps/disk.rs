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

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::snapshot::{copy_tree, free_space, human_bytes, remove_tree, Tally};
use super::{Apps, Progress};
use crate::host::{self, can_grow_online, fs_usage, mount_source, unmount, DiskImage};
use crate::lifecycle::ServiceState;
use crate::model::Layout;
use crate::rewrite::valid_app_id;
use crate::store::OperationRecord;
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
        let cap = match p.image.exists() {
            true => Some(
                p.image
                    .size()
                    .map_err(io_err(app, "reading its disk image"))?,
            ),
            false => None,
        };
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

    /// Caps `app`'s data folder at `cap` bytes, or removes its cap (`None`).
    /// See the module's text for what each change does and when the app is
    /// restarted (the report says).
    pub async fn set_disk_cap(
        &self,
        app: &str,
        cap: Option<u64>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<DiskCapReport> {
        match self.begin_disk_cap(app, cap).await? {
            Some((op, plan)) => self.run_disk_cap(op, &plan, progress).await,
            None => Ok(DiskCapReport {
                operation: None,
                usage: self.disk_usage(app).await?,
                restarted: false,
            }),
        }
    }

    /// Checks and records a disk cap change; returns its operation id at
    /// once, or `None` when the cap already is `cap`.
    pub async fn begin_disk_cap(
        &self,
        app: &str,
        cap: Option<u64>,
    ) -> Result<Option<(i64, DiskPlan)>> {
        let record = self.store.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        if record.state != "installed" {
            return Err(Error::AlreadyInstalled {
                app: app.to_string(),
                state: record.state,
            });
        }
        let refuse = |message: String| Error::DiskCap {
            app: app.to_string(),
            message,
        };
        if let Some(cap) = cap.filter(|c| *c < MIN_DISK_CAP) {
            return Err(refuse(format!(
                "{} is too small; a disk cap is at least {}",
                human_bytes(cap),
                human_bytes(MIN_DISK_CAP)
            )));
        }
        let p = self.disk_paths(app);
        let from = match p.image.exists() {
            true => Some(
                p.image
                    .size()
                    .map_err(io_err(app, "reading its disk image"))?,
            ),
            false => None,
        };
        let change = match (from, cap) {
            (from, to) if from == to => return Ok(None),
            (Some(from), Some(to)) if to > from => DiskChange::Grow,
            (_, Some(_)) => DiskChange::Replace,
            (Some(_), None) => DiskChange::Remove,
            (None, None) => return Ok(None),
        };
        host::require_tools().map_err(|e| refuse(e.to_string()))?;
        let used = self.disk_usage(app).await?.used;
        if let Some(to) = cap.filter(|to| used > *to) {
            return Err(refuse(format!(
                "its data takes {}, more than a cap of {}; free some of it or choose a larger cap",
                human_bytes(used),
                human_bytes(to)
            )));
        }
        if change != DiskChange::Grow {
            // The copy of the data lands on the host's disk (the image is sparse).
            let free =
                free_space(self.layout.home()).map_err(io_err(app, "reading the free space"))?;
            if used + HOST_MARGIN > free {
                return Err(refuse(format!(
                    "copying its data needs {} free on {}, which has {}",
                    human_bytes(used + HOST_MARGIN),
                    self.layout.home().display(),
                    human_bytes(free)
                )));
            }
        }
        let stops = change != DiskChange::Grow || !can_grow_online();
        let plan = DiskPlan {
            app: app.to_string(),
            from,
            to: cap,
            change,
            stops,
            was_running: stops && self.app_running(app).await?,
        };
        let op = self.store.begin_operation(
            app,
            "disk",
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok(Some((op, plan)))
    }

    /// Runs a begun disk cap change to its end: done, or undone with the reason.
    pub async fn run_disk_cap(
        &self,
        op: i64,
        plan: &DiskPlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<DiskCapReport> {
        let app = plan.app.as_str();
        match self.disk_steps(op, plan, progress).await {
            Ok(()) => {
                self.store.finish_operation(op, "done", None)?;
                Ok(DiskCapReport {
                    operation: Some(op),
                    usage: self.disk_usage(app).await?,
                    restarted: plan.stops && plan.was_running,
                })
            }
            Err(e) => {
                progress(Progress::Step {
                    operation: op,
                    step: "undo".into(),
                });
                match self.settle_disk_plan(plan).await {
                    Ok(()) if !matches!(e, Error::DockerUnavailable { .. }) => {
                        self.store
                            .finish_operation(op, "failed", Some(&e.to_string()))?;
                        Err(e)
                    }
                    settled => {
                        let why = match settled {
                            Ok(()) => e.to_string(),
                            Err(undo) => format!("{e}; undoing it failed: {undo}"),
                        };
                        self.store.note_operation_error(op, &why)?;
                        Err(Error::Unsettled {
                            cause: Box::new(e),
                            then: "settle this disk cap change",
                        })
                    }
                }
            }
        }
    }

    async fn disk_steps(
        &self,
        op: i64,
        plan: &DiskPlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        let app = plan.app.as_str();
        let p = self.disk_paths(app);
        // The data is read from its filesystem, never from the folder under it.
        self.mount_disk(app).await?;
        let project = self.load_rendered(app)?;
        if plan.change == DiskChange::Replace {
            let to = plan.to.expect("a replacement has a size");
            self.step(op, "prepare", progress, async {
                unmount(&p.staging)
                    .await
                    .and_then(|()| remove_file(&p.new.path))
                    .map_err(io_err(app, "clearing an unfinished disk"))?;
                p.new
                    .create(to)
                    .await
                    .map_err(io_err(app, "creating its disk image"))?;
                p.new
                    .mount(&p.staging)
                    .await
                    .map_err(io_err(app, "mounting its new disk"))?;
                // An empty data folder, as the app had it (some apps refuse a non-empty one).
                std::fs::remove_dir(p.staging.join("lost+found"))
                    .map_err(io_err(app, "preparing its new disk"))
            })
            .await?;
        }
        if plan.stops {
            self.step(op, "stop", progress, self.engine.stop(&project))
                .await?;
        }
        match plan.change {
            DiskChange::Replace => {
                self.step(op, "copy", progress, async {
                    std::fs::create_dir_all(&p.data)
                        .map_err(io_err(app, "creating its data folder"))?;
                    copy_tree(&p.data, &p.staging)
                        .await
                        .map_err(io_err(app, "copying its data onto the new disk"))?;
                    self.verified(app, &p.data, &p.staging)?;
                    same_owner_and_mode(&p.data, &p.staging)
                        .map_err(io_err(app, "preparing its new disk"))
                })
                .await?;
                self.step(op, "swap", progress, async {
                    self.swap_in_disk(&p)
                        .await
                        .map_err(io_err(app, "putting its new disk in place"))
                })
                .await?;
            }
            DiskChange::Grow => {
                let to = plan.to.expect("growth has a size");
                let grow = async {
                    if plan.stops {
                        unmount(&p.data).await?;
                        p.image.grow_offline(to).await?;
                        p.image.mount(&p.data).await
                    } else {
                        p.image.grow_online(to, &p.data).await
                    }
                };
                self.step(op, "grow", progress, async {
                    grow.await.map_err(io_err(app, "growing its disk"))
                })
                .await?;
            }
            DiskChange::Remove => {
                self.step(op, "copy", progress, async {
                    remove_tree(&p.uncapping).map_err(io_err(app, "clearing a half copy"))?;
                    copy_tree(&p.data, &p.uncapping)
                        .await
                        .map_err(io_err(app, "copying its data off its disk"))?;
                    self.verified(app, &p.data, &p.uncapping)?;
                    same_owner_and_mode(&p.data, &p.uncapping)
                        .map_err(io_err(app, "copying its data off its disk"))
                })
                .await?;
                let swap = async {
                    unmount(&p.data).await?;
                    rename(&p.image.path, &p.old)?;
                    std::fs::remove_dir(&p.data)?;
                    rename(&p.uncapping, &p.data)
                };
                self.step(op, "swap", progress, async {
                    swap.await
                        .map_err(io_err(app, "putting its data back on the server's disk"))
                })
                .await?;
            }
        }
        self.step(op, "clean", progress, async {
            self.drop_replaced_disk(&p)
                .map_err(io_err(app, "deleting what its new disk replaced"))
        })
        .await?;
        if plan.stops && plan.was_running {
            self.step(op, "start", progress, self.engine.up(&project, &mut |_| {}))
                .await?;
        }
        Ok(())
    }

    /// The commit of a replacement: the old data folder (or image) aside,
    /// the new image in its place and mounted on the folder.
    async fn swap_in_disk(&self, p: &DiskPaths) -> std::io::Result<()> {
        unmount(&p.staging).await?;
        if p.image.exists() {
            unmount(&p.data).await?;
            rename(&p.image.path, &p.old)?;
        } else {
            rename(&p.data, &p.uncapped)?;
            std::fs::create_dir(&p.data)?;
            same_owner_and_mode(&p.uncapped, &p.data)?;
        }
        rename(&p.new.path, &p.image.path)?;
        p.image.mount(&p.data).await
    }

    /// Deletes what a committed change replaced (only then: a replacement
    /// or a removal in progress still needs it).
    fn drop_replaced_disk(&self, p: &DiskPaths) -> std::io::Result<()> {
        if p.new.exists() || p.uncapping.exists() {
            return Ok(());
        }
        remove_file(&p.old)?;
        if p.image.exists() {
            remove_tree(&p.uncapped)?;
        }
        match std::fs::remove_dir(&p.staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Brings `plan`'s app to a settled disk from whatever a failure or a
    /// crash left: a change not committed is undone (what it moved aside
    /// goes back first, its marker — the new image, the copy — last, so a
    /// crash in here is settled the same way again), a committed one
    /// finished; the image is mounted and the app running if it was.
    async fn settle_disk_plan(&self, plan: &DiskPlan) -> Result<()> {
        let app = plan.app.as_str();
        let p = self.disk_paths(app);
        let undo = async {
            unmount(&p.staging).await?;
            if p.new.exists() {
                if !p.image.exists() && p.old.exists() {
                    rename(&p.old, &p.image.path)?;
                }
                if p.uncapped.exists() {
                    if p.data.exists() {
                        // The empty folder made for the new disk's mount.
                        unmount(&p.data).await?;
                        std::fs::remove_dir(&p.data)?;
                    }
                    rename(&p.uncapped, &p.data)?;
                }
                remove_file(&p.new.path)?;
            } else if p.uncapping.exists() {
                if !p.image.exists() && p.old.exists() {
                    rename(&p.old, &p.image.path)?;
                }
                remove_tree(&p.uncapping)?;
            }
            self.drop_replaced_disk(&p)
        };
        undo.await
            .map_err(io_err(app, "settling an interrupted change"))?;
        self.mount_disk(app).await?;
        if plan.change == DiskChange::Grow {
            // Growing again is harmless: to the image's size, which it may already have.
            let to = plan.to.expect("growth has a size");
            if plan.stops {
                // Never check or resize a filesystem a container still has
                // mounted (a crash may have come after the start).
                self.engine.stop(&self.load_rendered(app)?).await?;
                unmount(&p.data)
                    .await
                    .map_err(io_err(app, "growing its disk"))?;
                p.image
                    .grow_offline(to)
                    .await
                    .map_err(io_err(app, "growing its disk"))?;
                self.mount_disk(app).await?;
            } else {
                p.image
                    .grow_online(to, &p.data)
                    .await
                    .map_err(io_err(app, "growing its disk"))?;
            }
        }
        if plan.stops && plan.was_running {
            let project = self.load_rendered(app)?;
            self.engine.up(&project, &mut |_| {}).await?;
        }
        Ok(())
    }

    /// Settles a disk cap change a crash or the engine's absence interrupted.
    pub(super) async fn settle_disk(&self, op: &OperationRecord) -> Result<()> {
        let plan: DiskPlan = self.journaled_plan(op)?;
        self.settle_disk_plan(&plan).await?;
        let p = self.disk_paths(&plan.app);
        let now = match p.image.exists() {
            true => p.image.size().ok(),
            false => None,
        };
        if now == plan.to {
            self.store
                .finish_operation(op.id, "completed_after_restart", None)
        } else {
            let why = match &op.error {
                Some(error) => format!("{error}; undone, the disk is as it was"),
                None => "interrupted; undone when Berth restarted".to_string(),
            };
            self.store
                .finish_operation(op.id, "rolled_back", Some(&why))
        }
    }

    /// Mounts `app`'s disk image on its data folder, unless it is already.
    async fn mount_disk(&self, app: &str) -> Result<bool> {
        let p = self.disk_paths(app);
        if !p.image.exists() || mount_source(&p.data).is_some() {
            return Ok(false);
        }
        p.image
            .mount(&p.data)
            .await
            .map_err(io_err(app, "mounting its disk"))?;
        Ok(true)
    }

    /// Mounts every disk image of the home on its app's data folder, those
    /// of apps uninstalled with their data kept too; returns the apps whose
    /// disk it mounted. For the daemon's start (after a reboot), before any
    /// operation runs; [`Apps::reconcile`] calls it first.
    pub async fn mount_disks(&self) -> Result<Vec<String>> {
        let dir = self.layout.disks_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => return Err(Error::Read { path: dir, cause }),
        };
        // A change a crash interrupted is settled, mount included, by reconcile.
        let changing: Vec<String> = self
            .store
            .unfinished_operations()?
            .into_iter()
            .filter(|op| op.kind == "disk")
            .map(|op| op.app)
            .collect();
        let mut mounted = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(app) = name.strip_suffix(".img").filter(|a| valid_app_id(a)) else {
                continue;
            };
            if changing.iter().any(|c| c == app) {
                continue;
            }
            if self.mount_disk(app).await? {
                mounted.push(app.to_string());
            }
        }
        Ok(mounted)
    }

    /// Unmounts and deletes `app`'s disk (a purge); its containers must be gone.
    pub(super) async fn delete_disk(&self, app: &str) -> Result<()> {
        let p = self.disk_paths(app);
        let delete = async {
            unmount(&p.staging).await?;
            unmount(&p.data).await?;
            for file in [&p.image.path, &p.new.path, &p.old] {
                remove_file(file)?;
            }
            remove_tree(&p.uncapped)?;
            remove_tree(&p.uncapping)?;
            match std::fs::remove_dir(&p.staging) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        };
        delete.await.map_err(io_err(app, "deleting its disk"))
    }

    /// Whether any container of `app` runs (or tries to).
    async fn app_running(&self, app: &str) -> Result<bool> {
        Ok(self.engine.status(app).await?.iter().any(|s| {
            !matches!(
                s.state,
                ServiceState::Created | ServiceState::Exited { .. } | ServiceState::Other { .. }
            )
        }))
    }
}
