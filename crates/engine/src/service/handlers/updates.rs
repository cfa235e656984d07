//! Updates: what is on offer, updating, rolling back, snapshots, and
//! pruning the images nothing needs.

use std::path::PathBuf;
use std::sync::Arc;

use super::super::commands::args;
use super::super::{Operation, Service, SnapshotInfo, UpdatesInfo};
use crate::apps::{PruneOptions, PruneReport, UpdateTarget};
use crate::{Error, Result};

impl Service {
    pub(in crate::service) async fn updates(&self, a: args::Updates) -> Result<UpdatesInfo> {
        let cached = self.updates.lock().await.clone();
        let (checked_at, apps) = match cached {
            Some(found) if !a.refresh => found,
            _ => self.check_updates().await?,
        };
        Ok(UpdatesInfo {
            checked_at: Some(checked_at),
            apps,
        })
    }

    pub(in crate::service) async fn update(self: &Arc<Self>, a: args::Update) -> Result<Operation> {
        let target = match a.compose_file {
            Some(file) => UpdateTarget::Compose(PathBuf::from(file)),
            None => UpdateTarget::Latest,
        };
        self.run_update(a.app.into(), target, a.consent).await
    }

    pub(in crate::service) async fn rollback(
        self: &Arc<Self>,
        a: args::Rollback,
    ) -> Result<Operation> {
        self.run_update(
            a.app.into(),
            UpdateTarget::Snapshot(a.to.map(String::from)),
            false,
        )
        .await
    }

    async fn run_update(
        self: &Arc<Self>,
        app: String,
        target: UpdateTarget,
        consent: bool,
    ) -> Result<Operation> {
        // The app stays busy from planning to the end, so no other
        // operation can slip in between; the plan is made (and the disk
        // checked) before the operation is recorded, so a refusal leaves
        // no trace but its message.
        let busy = self.claim(&app)?;
        let (op, plan) = self.apps.begin_update(&app, &target, consent).await?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps.run_update(op, &plan, &mut r.progress()).await?;
            // Only once it is done (a failed update leaves the offer
            // standing): after an update what was available is no longer;
            // after a rollback the newer version is on offer again, so
            // check anew.
            if plan.restore.is_some() {
                let again = s.clone();
                tokio::spawn(async move {
                    if let Err(e) = again.check_updates().await {
                        eprintln!("berth: update check after a rollback: {e}");
                    }
                });
            } else if let Some((_, list)) = s.updates.lock().await.as_mut() {
                list.retain(|u| u.app != plan.app);
            }
            Ok(())
        }))
    }

    pub(in crate::service) async fn snapshots(
        &self,
        a: args::Snapshots,
    ) -> Result<Vec<SnapshotInfo>> {
        let kept = self.apps.snapshots(&a.app)?;
        if kept.is_empty() && self.apps.db().app(&a.app)?.is_none() {
            return Err(Error::NotInstalled { app: a.app.into() });
        }
        Ok(kept
            .into_iter()
            .map(|s| SnapshotInfo {
                bytes: s.bytes(),
                id: s.id,
                created_at: s.created_at,
                reason: s.reason,
                source: s.record.source,
                images: s.images.into_iter().map(|i| i.reference).collect(),
            })
            .collect())
    }

    pub(in crate::service) async fn images_prune(
        &self,
        a: args::ImagesPrune,
    ) -> Result<PruneReport> {
        let options = PruneOptions {
            older_than: a
                .older_than_days
                .map(|d| std::time::Duration::from_secs(u64::from(d) * 86_400)),
            dry_run: a.dry_run,
        };
        self.apps.prune_images(options).await
    }
}
