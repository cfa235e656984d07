//! What an app may use: its CPU, memory and process limits, and its data
//! folder's disk cap. Both changes are jobs: journaled, run in their own
//! task (a client that leaves does not abandon a half-copied disk), with
//! progress events.

use std::sync::Arc;

use super::super::commands::args;
use super::super::{AppDisk, LimitsChanged, LimitsInfo, Operation, Service};
use crate::apps::DiskUsage;
use crate::compose::ServiceLimits;
use crate::Result;

impl Service {
    pub(in crate::service) async fn limits(self: &Arc<Self>, a: args::Limits) -> Result<Operation> {
        let change = ServiceLimits {
            cpus: a.cpus,
            memory: a.memory,
            memory_swap: a.memory_swap,
            pids: a.pids,
        };
        let busy = self.claim(&a.app)?;
        let begun = self.apps.begin_limits(&a.app, change)?;
        let op = begun.operation;
        Ok(self.spawn_job(busy, op, move |s, r| async move {
            let report = s.apps.run_limits(&begun, &mut r.progress()).await?;
            Ok(LimitsChanged {
                operation: report.operation,
                limits: LimitsInfo::from(report.limits),
                services: report
                    .services
                    .into_iter()
                    .map(|s| (s.service, s.applied))
                    .collect(),
            })
        }))
    }

    pub(in crate::service) async fn disk(&self, a: args::Disk) -> Result<AppDisk> {
        self.require_installed(&a.app)?;
        let usage = self.apps.disk_usage(&a.app).await?;
        Ok(self.disk_info(usage, false).await)
    }

    pub(in crate::service) async fn disk_cap(
        self: &Arc<Self>,
        a: args::DiskCap,
    ) -> Result<Operation> {
        self.require_installed(&a.app)?;
        let busy = self.claim(&a.app)?;
        let Some((op, plan)) = self.apps.begin_disk_cap(&a.app, a.bytes).await? else {
            // Already that cap: nothing to journal, the answer is the disk as it is.
            drop(busy);
            let usage = self.apps.disk_usage(&a.app).await?;
            return Operation::ready(a.app.into(), self.disk_info(usage, false).await);
        };
        Ok(self.spawn_job(busy, op, move |s, r| async move {
            let report = s.apps.run_disk_cap(op, &plan, &mut r.progress()).await?;
            Ok(s.disk_info(report.usage, report.restarted).await)
        }))
    }

    async fn disk_info(&self, usage: DiskUsage, restarted: bool) -> AppDisk {
        let uncapped = match self.apps.engine().writable_layer_uncapped().await {
            Ok(note) => note,
            Err(e) => Some(format!("cannot tell what the storage driver caps: {e}")),
        };
        AppDisk {
            used: usage.used,
            cap: usage.cap,
            near_full: usage.near_full,
            uncapped,
            restarted,
        }
    }
}
