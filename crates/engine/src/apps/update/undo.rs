//! Undoing an update that failed or was interrupted: the new containers go,
//! the old files, images and (if the new version ran on it) data come back,
//! and the old version starts again; after a crash, settling finishes past
//! the commit or undoes before it.

use super::super::Apps;
use super::{ready_timeout, UpdatePlan};
use crate::db::OperationRecord;
use crate::lifecycle::DownOptions;
use crate::Result;

impl Apps {
    /// Undoes an update that got as far as `steps`: the old version back,
    /// running, with its data. Idempotent, so reconcile can run it again.
    pub(in crate::apps) async fn undo_update(
        &self,
        plan: &UpdatePlan,
        steps: &[String],
    ) -> Result<()> {
        let app = plan.app.as_str();
        let did = |s: &str| steps.iter().any(|x| x == s);
        let _ = std::fs::remove_file(self.next_compose_file(app));
        let _ = std::fs::remove_file(self.migration_file(app));
        let _ = std::fs::remove_dir_all(self.staged_dir(app));
        if !plan.snapshot.is_empty() {
            self.drop_partial_snapshot(app, &plan.snapshot)?;
        }
        if did("swap") {
            // The new version's files (and maybe containers) are in place.
            let snapshot = self.snapshot(app, Some(&plan.snapshot))?;
            self.engine.down(app, DownOptions::default()).await?;
            self.restore_files(&snapshot, "installed")?;
            // The new version, its migration or a restore touched the data.
            if did("start") || did("data") || did("migrate") {
                let old = self.load_rendered(app)?;
                self.engine.prepare(&old).await?;
                self.restore_data(&snapshot).await?;
            }
        }
        for image in &plan.old_images {
            self.engine.retag(image).await?;
        }
        if did("stop") || did("swap") {
            let old = self.load_rendered(app)?;
            self.engine.up(&old, &mut |_| {}).await?;
            let main = self
                .db
                .app(app)?
                .and_then(|record| self.main_service(&record));
            // Best effort: report, but the old version is back either way.
            if let Ok(Err(why)) = self
                .engine
                .wait_ready(
                    &old,
                    main.as_ref().map(|(s, p, t)| (s.as_str(), *p, *t)),
                    ready_timeout(),
                )
                .await
            {
                eprintln!("berth: {app} is back on its previous version but not ready: {why}");
            }
        }
        Ok(())
    }

    /// Settles an update or rollback a crash interrupted.
    pub(in crate::apps) async fn settle_update(&self, op: &OperationRecord) -> Result<()> {
        let plan: UpdatePlan = self.journaled_plan(op)?;
        if op.steps.iter().any(|s| s == "commit" || s == "unchanged") {
            self.db.set_app_state(&plan.app, "installed")?;
            return self
                .db
                .finish_operation(op.id, "completed_after_restart", None);
        }
        self.undo_update(&plan, &op.steps).await?;
        let why = match &op.error {
            Some(error) => format!("{error}; the previous version was put back"),
            None => "interrupted; the previous version was put back when Berth restarted".into(),
        };
        self.db.finish_operation(op.id, "rolled_back", Some(&why))
    }
}
