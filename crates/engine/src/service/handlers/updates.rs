//! Updates: what is on offer, updating, rolling back, snapshots, and
//! pruning the images nothing needs.

use std::path::PathBuf;
use std::sync::Arc;

use super::super::commands::args;
use super::super::{Busy, Operation, Service, SnapshotInfo, UpdatesInfo};
use super::compose::shown;
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
        let app = String::from(a.app);
        // Claimed before a text is kept: versions are kept and pruned only
        // under the app's claim.
        let busy = self.claim(&app)?;
        let (target, kept) = match (a.compose_file, a.compose) {
            (Some(_), Some(_)) => {
                return Err(Error::BadRequest {
                    message:
                        "update takes composeFile or compose (a compose file's text), not both"
                            .into(),
                })
            }
            (Some(file), None) => (UpdateTarget::Compose(PathBuf::from(file)), None),
            (None, Some(text)) => {
                self.require_installed(&app)?;
                let (path, new) = self.keep_compose_text(&app, &text)?;
                (UpdateTarget::Compose(path.clone()), Some((path, new)))
            }
            (None, None) => (UpdateTarget::Latest, None),
        };
        let started = self.start_update(busy, target, a.consent).await;
        match (started, kept) {
            (Err(e), Some((path, new))) => {
                if new {
                    self.drop_compose_text(&path);
                }
                Err(shown(e, &path))
            }
            (started, _) => started,
        }
    }

    pub(in crate::service) async fn rollback(
        self: &Arc<Self>,
        a: args::Rollback,
    ) -> Result<Operation> {
        let busy = self.claim(&a.app)?;
        self.start_update(busy, UpdateTarget::Snapshot(a.to.map(String::from)), false)
            .await
    }

    /// Plans and starts an update (or rollback) of the app `busy` holds.
    pub(in crate::service) async fn start_update(
        self: &Arc<Self>,
        busy: Busy,
        target: UpdateTarget,
        consent: bool,
    ) -> Result<Operation> {
        // The app stays busy from planning to the end, so no other
        // operation can slip in between; the plan is made (and the disk
        // checked) before the operation is recorded, so a refusal leaves
        // no trace but its message.
        let app = busy.app.clone();
        let (op, plan) = self.apps.begin_update(&app, &target, consent).await?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            let result = s.apps.run_update(op, &plan, &mut r.progress()).await;
            // Versions of its compose text that neither the app nor a kept
            // snapshot names go once it ended, done or rolled back (one
            // left unfinished may still need its file).
            if !matches!(result, Err(Error::Unsettled { .. })) {
                s.prune_compose_texts(&plan.app);
            }
            result?;
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
