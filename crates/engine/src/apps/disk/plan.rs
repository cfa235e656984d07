//! Planning a disk cap change: checked against the app's data and the
//! host's free space, and journaled before anything is touched.

use super::super::snapshot::{free_space, human_bytes};
use super::super::{Apps, Progress};
use super::{io_err, DiskCapReport, DiskChange, DiskPlan, HOST_MARGIN, MIN_DISK_CAP};
use crate::host::{self, can_grow_online};
use crate::{Error, Result};

impl Apps {
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
        self.installed_record(app)?;
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
        let from = p.cap(app)?;
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
        let op = self.db.begin_operation(
            app,
            "disk",
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok(Some((op, plan)))
    }
}
