//! Running a disk cap change: a new image made and filled, or the image
//! grown, or the data copied out; each change committed with one rename.

use super::super::snapshot::{copy_tree, remove_tree};
use super::super::{Apps, Progress};
use super::{
    io_err, remove_file, rename, same_owner_and_mode, DiskCapReport, DiskChange, DiskPaths,
    DiskPlan,
};
use crate::host::unmount;
use crate::model::Step;
use crate::{Error, Result};

impl Apps {
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
                self.db.finish_operation(op, "done", None)?;
                Ok(DiskCapReport {
                    operation: Some(op),
                    usage: self.disk_usage(app).await?,
                    restarted: plan.stops && plan.was_running,
                })
            }
            Err(e) => {
                progress(Progress::Step {
                    operation: op,
                    step: Step::Undo,
                });
                match self.settle_disk_plan(plan).await {
                    Ok(()) if !matches!(e, Error::DockerUnavailable { .. }) => {
                        self.db
                            .finish_operation(op, "failed", Some(&e.to_string()))?;
                        Err(e)
                    }
                    settled => {
                        let why = match settled {
                            Ok(()) => e.to_string(),
                            Err(undo) => format!("{e}; undoing it failed: {undo}"),
                        };
                        self.db.note_operation_error(op, &why)?;
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
            self.step(op, Step::Prepare, progress, async {
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
            self.step(op, Step::Stop, progress, self.engine.stop(&project))
                .await?;
        }
        match plan.change {
            DiskChange::Replace => {
                self.step(op, Step::Copy, progress, async {
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
                self.step(op, Step::Swap, progress, async {
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
                self.step(op, Step::Grow, progress, async {
                    grow.await.map_err(io_err(app, "growing its disk"))
                })
                .await?;
            }
            DiskChange::Remove => {
                self.step(op, Step::Copy, progress, async {
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
                self.step(op, Step::Swap, progress, async {
                    swap.await
                        .map_err(io_err(app, "putting its data back on the server's disk"))
                })
                .await?;
            }
        }
        self.step(op, Step::Clean, progress, async {
            self.drop_replaced_disk(&p)
                .map_err(io_err(app, "deleting what its new disk replaced"))
        })
        .await?;
        if plan.stops && plan.was_running {
            self.step(
                op,
                Step::Start,
                progress,
                self.engine.up(&project, &mut |_| {}),
            )
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
    pub(super) fn drop_replaced_disk(&self, p: &DiskPaths) -> std::io::Result<()> {
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
}
