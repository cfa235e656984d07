//! Reconcile: at start, finish or undo what a crash interrupted.

use super::{Apps, UninstallOptions};
use crate::store::OperationRecord;
use crate::Result;

impl Apps {
    /// Settles every unfinished operation, oldest first: an install is rolled
    /// back (kept if it had reached its commit step), an uninstall is
    /// completed. Returns the operations it settled.
    pub async fn reconcile(&self) -> Result<Vec<OperationRecord>> {
        let mut unfinished = self.store.unfinished_operations()?;
        unfinished.reverse();
        for op in &unfinished {
            match op.kind.as_str() {
                "install" if op.steps.iter().any(|s| s == "commit") => {
                    // Everything ran; only the final record may be missing.
                    self.store.set_app_state(&op.app, "installed")?;
                    self.store
                        .finish_operation(op.id, "completed_after_restart", None)?;
                }
                "install" => {
                    self.roll_back_install(&op.app).await?;
                    self.store.finish_operation(
                        op.id,
                        "rolled_back",
                        Some("interrupted; rolled back when Berth restarted"),
                    )?;
                }
                "uninstall" => {
                    let options: UninstallOptions =
                        serde_json::from_str(&op.request).unwrap_or_default();
                    self.finish_uninstall(op.id, &op.app, options, &mut |_| {})
                        .await?;
                    self.store
                        .finish_operation(op.id, "completed_after_restart", None)?;
                }
                _ => {
                    self.store
                        .finish_operation(op.id, "failed", Some("unknown operation kind"))?
                }
            }
        }
        self.store.recent_operations(unfinished.len())
    }
}
