//! Reconcile: finish or undo what a crash, or an engine that went away,
//! interrupted. The daemon settles everything at start and then, while it
//! runs, retries what the engine's absence left unsettled.

use super::{Apps, UninstallOptions};
use crate::db::OperationRecord;
use crate::Result;

impl Apps {
    /// Mounts the apps' disks ([`Apps::mount_disks`]), then settles every
    /// unfinished operation, oldest first: an install is rolled back (kept
    /// if it had reached its commit step), an uninstall is completed. Stops at the first that cannot be settled (the engine is
    /// still away) and returns that error. Returns the operations it settled.
    ///
    /// Only call this when no operation is running: a running one is
    /// unfinished too. The daemon holds only the idle apps ([`Apps::settle_unfinished`]).
    pub async fn reconcile(&self) -> Result<Vec<OperationRecord>> {
        self.mount_disks().await?;
        self.settle_unfinished(|_| Some(())).await
    }

    /// Settles every unfinished operation whose app `hold` grants (held
    /// while it is settled; `None` skips the app, e.g. while an operation on
    /// it runs), oldest first. Stops at the first that cannot be settled
    /// (the engine is still away) and returns that error; else the
    /// operations it settled, as they ended. [`Apps::reconcile`] holds
    /// every app; the daemon holds the idle ones, at start and periodically.
    pub async fn settle_unfinished<H>(
        &self,
        mut hold: impl FnMut(&str) -> Option<H>,
    ) -> Result<Vec<OperationRecord>> {
        let mut unfinished = self.db.unfinished_operations()?;
        unfinished.reverse();
        let mut settled = Vec::new();
        for op in unfinished {
            let Some(_held) = hold(&op.app) else {
                continue;
            };
            // Read again under the hold: it may have finished meanwhile.
            let Some(current) = self.db.operation(op.id)?.filter(|o| o.outcome.is_none()) else {
                continue;
            };
            self.settle(&current).await?;
            settled.extend(self.db.operation(op.id)?);
        }
        Ok(settled)
    }

    /// Settles one unfinished operation. Idempotent: on error (the engine is
    /// still away) the operation stays unfinished and can be settled again.
    pub async fn settle(&self, op: &OperationRecord) -> Result<()> {
        match op.kind.as_str() {
            "install" if op.steps.iter().any(|s| s == "commit") => {
                // Everything ran; only the final record may be missing.
                self.db.set_app_state(&op.app, "installed")?;
                self.db
                    .finish_operation(op.id, "completed_after_restart", None)
            }
            "install" => {
                self.roll_back_install(&op.app).await?;
                let why = match &op.error {
                    Some(error) => format!("{error}; rolled back once the engine was back"),
                    None => "interrupted; rolled back when Berth restarted".to_string(),
                };
                self.db.finish_operation(op.id, "rolled_back", Some(&why))
            }
            "uninstall" => {
                let options: UninstallOptions =
                    serde_json::from_str(&op.request).unwrap_or_default();
                self.finish_uninstall(op.id, &op.app, options, &mut |_| {})
                    .await?;
                self.db
                    .finish_operation(op.id, "completed_after_restart", None)
            }
            "update" | "rollback" => self.settle_update(op).await,
            "limits" => self.settle_limits(op).await,
            "shares" | "host_port" => self.settle_shares(op).await,
            "disk" => self.settle_disk(op).await,
            "backup" => self.settle_backup(op).await,
            "restore" => self.settle_restore(op).await,
            "restore-files" => self.settle_restore_files(op).await,
            // Start, stop and restart change nothing Berth must undo: Docker
            // holds the truth of what runs.
            "start" | "stop" | "restart" => self.db.finish_operation(
                op.id,
                "interrupted",
                Some("interrupted before it finished; run it again if needed"),
            ),
            other => self.db.finish_operation(
                op.id,
                "failed",
                Some(&format!("unknown operation kind {other}")),
            ),
        }
    }
}
