//! Running an update's journaled steps: pull, stop, snapshot, swap the
//! files in, migrate, start, wait until ready, commit; any failure undone.

use super::super::install::{pull_progress, up_progress};
use super::super::snapshot::snapshots_to_keep;
use super::super::{Apps, Progress};
use super::{hash, ready_timeout, write_atomic, UpdatePlan};
use crate::compose::Project;
use crate::model::Layout;
use crate::model::Step;
use crate::{Error, Result};

impl Apps {
    /// Runs a begun update to its end: done, or undone with the reason.
    pub async fn run_update(
        &self,
        op: i64,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self.update_steps(op, plan, progress).await {
            Ok(outcome) => self.db.finish_operation(op, outcome, None),
            Err(e) => {
                let why = e.to_string();
                let steps = self.db.operation(op)?.map(|o| o.steps).unwrap_or_default();
                progress(Progress::Step {
                    operation: op,
                    step: Step::Undo,
                });
                match self.undo_update(plan, &steps).await {
                    Ok(()) => {
                        self.db.finish_operation(op, "rolled_back", Some(&why))?;
                        Err(Error::RolledBack {
                            app: plan.app.clone(),
                            why,
                        })
                    }
                    Err(undo) => {
                        self.db.note_operation_error(
                            op,
                            &format!("{why}; undoing it failed: {undo}"),
                        )?;
                        Err(Error::Unsettled {
                            cause: Box::new(e),
                            then: "put the previous version back",
                        })
                    }
                }
            }
        }
    }

    async fn update_steps(
        &self,
        op: i64,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<&'static str> {
        let app = plan.app.as_str();
        let next_file = self.next_compose_file(app);
        // The project that will run: rendered beside the old, or the snapshot's.
        let next = self
            .step(op, Step::Render, progress, async {
                let path = match &plan.restore {
                    Some(id) => Layout::compose_in(&self.snapshots_dir(app).join(id)),
                    None => {
                        let yaml = self.render_next(plan, true, false)?;
                        write_atomic(&next_file, yaml.as_bytes())?;
                        if plan.migration.is_some() {
                            let yaml = self.render_next(plan, false, true)?;
                            write_atomic(&self.migration_file(app), yaml.as_bytes())?;
                        }
                        next_file.clone()
                    }
                };
                self.load_project(app, &path)
            })
            .await?;
        let restore = match &plan.restore {
            Some(id) => Some(self.snapshot(app, Some(id))?),
            None => None,
        };

        self.enter(op, Step::Pull, progress)?;
        match &restore {
            // A rollback runs the snapshot's exact images, kept since.
            Some(s) => {
                for image in &s.images {
                    self.engine.retag(image).await?;
                }
                self.engine
                    .pull_missing(&next, &mut |p| progress(pull_progress(p)))
                    .await?;
            }
            None => {
                // With its migration service (a superset), when it has one.
                let all = match plan.migration {
                    Some(_) => self.load_migration(app)?,
                    None => next.clone(),
                };
                self.engine
                    .pull_all(&all, &mut |p| progress(pull_progress(p)))
                    .await?
            }
        }
        self.note_app_images(&next).await;
        self.boundary();

        if restore.is_none() && self.unchanged(plan, &next).await? {
            // Same file, same images: nothing to do, and no downtime for it.
            let _ = std::fs::remove_file(&next_file);
            let _ = std::fs::remove_file(self.migration_file(app));
            let _ = std::fs::remove_dir_all(self.staged_dir(app));
            self.step(op, Step::Unchanged, progress, async { Ok(()) })
                .await?;
            return Ok("unchanged");
        }

        let old = self.load_rendered(app)?;
        self.step(op, Step::Stop, progress, self.engine.stop(&old))
            .await?;
        let reason = match &plan.restore {
            Some(id) => format!("before rolling back to {id}"),
            None => format!("before updating to {}", plan.to),
        };
        self.step(op, Step::Snapshot, progress, async {
            self.take_snapshot(app, &plan.snapshot, op, &reason, plan.old_images.clone())
                .await
                .map(drop)
        })
        .await?;
        self.step(op, Step::Swap, progress, async {
            match &restore {
                Some(s) => self.restore_files(s, "updating"),
                None => self.swap_in(plan),
            }
        })
        .await?;
        if let Some(s) = &restore {
            self.step(op, Step::Data, progress, async {
                self.engine.prepare(&next).await?;
                self.restore_data(s).await
            })
            .await?;
        }
        if let Some(service) = plan.migration.as_deref().filter(|_| restore.is_none()) {
            // On the new files and the old data, before the new version starts.
            self.enter(op, Step::Migrate, progress)?;
            let file = self.migration_file(app);
            let project = self.load_migration(app)?;
            self.engine
                .run_once(&project, service, ready_timeout(), &mut |e| {
                    progress(up_progress(e))
                })
                .await?
                .map_err(|why| Error::MigrationFailed {
                    app: app.to_string(),
                    service: service.to_string(),
                    why,
                })?;
            let _ = std::fs::remove_file(&file);
            self.boundary();
        }
        self.enter(op, Step::Start, progress)?;
        self.engine
            .up(&next, &mut |e| progress(up_progress(e)))
            .await?;
        self.boundary();
        self.step(op, Step::Health, progress, async {
            let record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
                app: app.to_string(),
            })?;
            let main = self.main_service(&record);
            self.engine
                .wait_ready(
                    &next,
                    main.as_ref().map(|(s, p, t)| (s.as_str(), *p, *t)),
                    ready_timeout(),
                )
                .await?
                .map_err(|why| Error::NotReady {
                    app: app.to_string(),
                    why,
                })
        })
        .await?;
        if let Some(id) = &plan.restore {
            // A backup's database dump fed back, now that the app runs.
            let from = self.snapshots_dir(app).join(id);
            if from.join("dumps").is_dir() {
                self.step(op, Step::Dump, progress, self.load_dump(app, &from))
                    .await?;
            }
        }
        self.step(op, Step::Commit, progress, async {
            self.db.set_app_state(app, "installed")?;
            self.prune_snapshots(app, snapshots_to_keep()).map(drop)
        })
        .await?;
        self.note_app_images(&next).await;
        Ok("done")
    }

    /// Whether the new version is the same version, rendering to the same
    /// file, with the same images. (A new store version with the same
    /// compose file still updates: its record, files and migration change.)
    pub(super) async fn unchanged(&self, plan: &UpdatePlan, next: &Project) -> Result<bool> {
        if plan.to != plan.from {
            return Ok(false);
        }
        let current = std::fs::read(self.compose_file(&plan.app)).unwrap_or_default();
        let new = std::fs::read(self.next_compose_file(&plan.app)).unwrap_or_default();
        if hash(&current) != hash(&new) {
            return Ok(false);
        }
        let mut now = self.engine.image_ids(next).await?;
        let mut before = plan.old_images.clone();
        now.sort();
        before.sort();
        Ok(now == before)
    }

    /// Puts the rendered new version in place and records it.
    fn swap_in(&self, plan: &UpdatePlan) -> Result<()> {
        let app = plan.app.as_str();
        let next_file = self.next_compose_file(app);
        let file = self.compose_file(app);
        if next_file.exists() {
            std::fs::rename(&next_file, &file).map_err(|cause| Error::Write {
                path: file.clone(),
                cause,
            })?;
        }
        if plan.staged_files {
            let staged = self.staged_dir(app);
            let dest = self.layout.store_files(app);
            if staged.exists() {
                let _ = std::fs::remove_dir_all(&dest);
                std::fs::rename(&staged, &dest).map_err(|cause| Error::Write {
                    path: dest.clone(),
                    cause,
                })?;
            }
        }
        let yaml = std::fs::read(&file).map_err(|cause| Error::Read {
            path: file.clone(),
            cause,
        })?;
        let mut record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        record.source = plan.to.clone();
        record.settings = serde_json::to_string(&plan.settings).expect("settings serialize");
        record.compose_hash = hash(&yaml);
        record.state = "updating".into();
        self.db.put_app(&record)
    }
}
