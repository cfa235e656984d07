//! Settling a disk cap change a failure or a crash interrupted: what is on
//! disk says how far it got, so it is undone, or finished past the commit.

use super::super::snapshot::remove_tree;
use super::super::Apps;
use super::{io_err, remove_file, rename, DiskChange, DiskPlan};
use crate::db::OperationRecord;
use crate::host::unmount;
use crate::Result;

impl Apps {
    /// Brings `plan`'s app to a settled disk from whatever a failure or a
    /// crash left: a change not committed is undone (what it moved aside
    /// goes back first, its marker — the new image, the copy — last, so a
    /// crash in here is settled the same way again), a committed one
    /// finished; the image is mounted and the app running if it was.
    pub(super) async fn settle_disk_plan(&self, plan: &DiskPlan) -> Result<()> {
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
    pub(in crate::apps) async fn settle_disk(&self, op: &OperationRecord) -> Result<()> {
        let plan: DiskPlan = self.journaled_plan(op)?;
        self.settle_disk_plan(&plan).await?;
        let p = self.disk_paths(&plan.app);
        let now = match p.image.exists() {
            true => p.image.size().ok(),
            false => None,
        };
        if now == plan.to {
            self.db
                .finish_operation(op.id, "completed_after_restart", None)
        } else {
            let why = match &op.error {
                Some(error) => format!("{error}; undone, the disk is as it was"),
                None => "interrupted; undone when Berth restarted".to_string(),
            };
            self.db.finish_operation(op.id, "rolled_back", Some(&why))
        }
    }
}
