//! Uninstall: mark → down → purge (only when asked) → forget. Named volumes
//! and the data folder (and its disk, when capped) are kept unless
//! `purge_data` is set.

use serde::{Deserialize, Serialize};

use super::{Apps, Progress};
use crate::lifecycle::DownOptions;
use crate::model::Step;
use crate::{Error, Result};

/// How far an uninstall goes.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct UninstallOptions {
    /// Also delete the app's named volumes and data folder.
    pub purge_data: bool,
    /// Also delete the app's images that nothing else uses.
    #[serde(default)]
    pub remove_images: bool,
}

impl Apps {
    /// Uninstalls an app; returns the operation id.
    pub async fn uninstall(
        &self,
        app: &str,
        options: UninstallOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<i64> {
        let op = self.begin_uninstall(app, options)?;
        self.run_uninstall(op, app, options, progress).await?;
        Ok(op)
    }

    /// Checks and records an uninstall; returns its operation id at once.
    pub fn begin_uninstall(&self, app: &str, options: UninstallOptions) -> Result<i64> {
        if self.db.app(app)?.is_none() {
            return Err(Error::NotInstalled {
                app: app.to_string(),
            });
        }
        let op = self.db.begin_operation(
            app,
            "uninstall",
            &serde_json::to_string(&options).expect("options serialize"),
        )?;
        self.boundary();
        Ok(op)
    }

    /// Runs a begun uninstall to its end.
    pub async fn run_uninstall(
        &self,
        op: i64,
        app: &str,
        options: UninstallOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self.uninstall_steps(op, app, options, progress).await {
            Ok(()) => self.db.finish_operation(op, "done", None),
            Err(e @ Error::DockerUnavailable { .. }) => {
                // Left unfinished: reconcile completes it once the engine is back.
                self.db.note_operation_error(op, &e.to_string())?;
                Err(Error::Unsettled {
                    cause: Box::new(e),
                    then: "finish this uninstall",
                })
            }
            Err(e) => {
                // The app stays marked `removing`; uninstalling again finishes the job.
                self.db
                    .finish_operation(op, "failed", Some(&e.to_string()))?;
                Err(e)
            }
        }
    }

    async fn uninstall_steps(
        &self,
        op: i64,
        app: &str,
        options: UninstallOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        self.step(op, Step::Mark, progress, async {
            self.db.set_app_state(app, "removing")
        })
        .await?;
        self.finish_uninstall(op, app, options, progress).await
    }

    /// The steps after `mark`, also used by reconcile; each is idempotent.
    pub(super) async fn finish_uninstall(
        &self,
        op: i64,
        app: &str,
        options: UninstallOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        // Read before `forget` removes the rendered file; a crash after it has nothing left to remove.
        let images: Vec<String> = match self.load_rendered(app) {
            Ok(project) => project
                .services()
                .filter_map(|(_, s)| s.get("image").and_then(|i| i.as_str()).map(str::to_string))
                .collect(),
            Err(_) => Vec::new(),
        };
        let down = DownOptions {
            remove_volumes: options.purge_data,
        };
        self.step(op, Step::Down, progress, self.engine.down(app, down))
            .await?;
        if options.remove_images {
            self.step(op, Step::Images, progress, async {
                self.engine.remove_unused_images(&images).await.map(drop)
            })
            .await?;
        }
        if options.purge_data {
            self.step(op, Step::Purge, progress, async {
                self.db.delete_secrets(app)?;
                self.delete_snapshots(app)?;
                let copy = self.backup_copy_dir(app);
                super::snapshot::remove_tree(&copy)
                    .map_err(|cause| Error::Write { path: copy, cause })?;
                self.delete_disk(app).await?;
                let data = self.layout.data_dir(app);
                match std::fs::remove_dir_all(&data) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write {
                        path: data,
                        cause: e,
                    }),
                    _ => Ok(()),
                }
            })
            .await?;
        }
        self.step(op, Step::Forget, progress, async { self.forget(app) })
            .await
    }
}
