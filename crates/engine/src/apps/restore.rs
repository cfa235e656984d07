//! Restoring an app that is not installed here — onto a new server, or
//! after an uninstall — from a backup: an install whose files, settings,
//! secrets, exact images and data come from the backup.
//!
//! Journaled as operation `restore`, step by step like an install: the
//! backup fetched into the app's snapshots (`copy`), its store files and
//! record put back and its compose file rendered again for this host
//! (`render`: this server's folders and ports), each image pulled by the
//! digest the backup recorded and tagged as its reference (`pull`), the
//! volumes created and the data put back (`data`), the containers started
//! (`start`), the app recorded as installed (`commit`). A failure, or a
//! crash before the commit, removes everything the restore made — the
//! containers, volumes, data folder, record, secrets and the fetched copy —
//! so no half app is left; after the commit it stays.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::install::{pull_progress, up_progress};
use super::snapshot::remove_tree;
use super::update::{hash, store_source};
use super::{Apps, Progress};
use crate::backup::Target;
use crate::compose::{load_file, LoadOptions, ServiceLimits};
use crate::db::{now_ms, OperationRecord};
use crate::lifecycle::{DownOptions, ImageRef};
use crate::model::{split_reference, Layout, Step};
use crate::rewrite::{consented, render, unconsented, RenderRequest};
use crate::{Error, Result};

/// A restore of an app not installed here, as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestorePlan {
    pub app: String,
    /// The backup's id, as asked (a prefix, maybe).
    pub backup: String,
    /// The target's name.
    pub target: String,
    /// The fetched copy's id in the app's snapshots, once fetched.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// The app had secrets here already (an uninstall keeps none, but an
    /// earlier Berth may have): an undo keeps them.
    pub had_secrets: bool,
}

impl Apps {
    /// Checks and journals a restore of `app`, which is not installed here.
    /// Refuses when data of an earlier install of it is still here: the
    /// restore would replace it, and its undo would delete it.
    pub async fn begin_restore(
        &self,
        app: &str,
        backup: &str,
        target: &Target,
    ) -> Result<(i64, RestorePlan)> {
        if let Some(existing) = self.db.app(app)? {
            return Err(Error::taken(app, existing.state));
        }
        let data = self.layout.data_dir(app);
        if std::fs::read_dir(&data).is_ok_and(|mut d| d.next().is_some()) {
            return Err(Error::BadRequest {
                message: format!(
                    "{app} is not installed but its data folder {} is still here (kept by an uninstall): move it away (or uninstall with --purge-data) before restoring it from a backup",
                    data.display()
                ),
            });
        }
        let volumes = self.engine.project_volumes(app).await?;
        if !volumes.is_empty() {
            return Err(Error::BadRequest {
                message: format!(
                    "{app} is not installed but its volumes are still here ({}): remove them (docker volume rm) before restoring it from a backup",
                    volumes.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        let plan = RestorePlan {
            app: app.to_string(),
            backup: backup.to_string(),
            target: target.name.clone(),
            snapshot: None,
            had_secrets: !self.db.secrets(app)?.is_empty(),
        };
        let op = self.db.begin_operation(
            app,
            "restore",
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok((op, plan))
    }

    /// Runs a begun restore to its end: the app installed and running, or
    /// nothing of it left.
    pub async fn run_restore(
        &self,
        op: i64,
        plan: &mut RestorePlan,
        target: &Target,
        password: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self
            .restore_steps(op, plan, target, password, progress)
            .await
        {
            Ok(()) => self.db.finish_operation(op, "done", None),
            Err(e) => match self.undo_restore(plan).await {
                Ok(()) => {
                    self.db
                        .finish_operation(op, "failed", Some(&e.to_string()))?;
                    Err(e)
                }
                Err(undo) => {
                    self.db
                        .note_operation_error(op, &format!("{e}; then: {undo}"))?;
                    Err(Error::Unsettled {
                        cause: Box::new(e),
                        then: "undo this restore",
                    })
                }
            },
        }
    }

    async fn restore_steps(
        &self,
        op: i64,
        plan: &mut RestorePlan,
        target: &Target,
        password: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        let app = plan.app.clone();
        let app = app.as_str();
        let (local, manifest) = self
            .step(
                op,
                Step::Copy,
                progress,
                self.fetch_into_snapshots(app, target, password, &plan.backup),
            )
            .await?;
        plan.snapshot = Some(local.clone());
        self.db
            .set_operation_request(op, &serde_json::to_string(&plan).expect("plans serialize"))?;
        let snapshot = self.snapshot(app, Some(&local))?;
        let from = self.snapshots_dir(app).join(&local);

        let project = self
            .step(op, Step::Render, progress, async {
                if let Some(m) = &manifest {
                    self.db.add_secrets(app, &m.secrets)?;
                }
                // The store files, as the app had them.
                let files = Layout::store_files_in(&from);
                let dest = self.layout.store_files(app);
                remove_tree(&dest).map_err(|cause| Error::Write {
                    path: dest.clone(),
                    cause,
                })?;
                if files.is_dir() {
                    super::snapshot::copy_tree(&files, &dest)
                        .await
                        .map_err(|cause| Error::Write {
                            path: dest.clone(),
                            cause,
                        })?;
                }
                let record = &snapshot.record;
                let source = match store_source(&record.source) {
                    Some(_) => dest.join("compose.yml"),
                    None => std::path::PathBuf::from(&record.source),
                };
                if !source.exists() {
                    return Err(Error::BadRequest {
                        message: format!(
                            "{app} was installed from the compose file {}, which is not on this server: put it there (with the files it uses) and restore again",
                            source.display()
                        ),
                    });
                }
                // Rendered again for this server: its folders, its free ports.
                let settings: BTreeMap<String, String> =
                    serde_json::from_str(&record.settings).unwrap_or_default();
                let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
                let mut ports = self.ports()?;
                let mut request = RenderRequest {
                    app_id: app.to_string(),
                    home: self.layout.home().to_path_buf(),
                    host: self.host.clone(),
                    settings,
                    limits,
                    consent: false,
                    shares: Vec::new(),
                    no_host_port: !record.host_port,
                };
                let rendered = match render(&source, &request, &mut ports) {
                    Err(Error::ConsentRequired { .. }) => {
                        // The consent given for it then covers the same findings.
                        let options = LoadOptions {
                            project_name: Some(app.to_string()),
                            working_dir: Some(self.layout.app_dir(app)),
                            ..Default::default()
                        };
                        let before = consented(&load_file(&Layout::compose_in(&from), &options)?);
                        request.consent = true;
                        let rendered = render(&source, &request, &mut ports)?;
                        let new = unconsented(&rendered.policy, &before);
                        if !new.is_empty() {
                            return Err(Error::ConsentRequired {
                                app: app.to_string(),
                                findings: new,
                            });
                        }
                        rendered
                    }
                    other => other?,
                };
                let dir = self.layout.app_dir(app);
                std::fs::create_dir_all(&dir).map_err(|cause| Error::Write {
                    path: dir.clone(),
                    cause,
                })?;
                super::update::write_atomic(&self.compose_file(app), rendered.yaml.as_bytes())?;
                ports.save()?;
                let mut fresh = record.clone();
                fresh.compose_hash = hash(rendered.yaml.as_bytes());
                fresh.state = "installing".into();
                fresh.installed_at = now_ms();
                fresh.name = String::new();
                let gate = fresh.gate;
                self.db.put_app(&fresh)?;
                // Its name on the proxy, if no app here has it.
                if !record.name.is_empty() && self.db.app_by_name(&record.name)?.is_none() {
                    self.db.set_app_name(app, &record.name)?;
                }
                self.db.set_app_gate(app, gate)?;
                self.db.set_app_host_port(app, record.host_port)?;
                self.load_rendered(app)
            })
            .await?;

        // The exact images: by the digest recorded, tagged as referenced.
        self.enter(op, Step::Pull, progress)?;
        let digests = manifest
            .as_ref()
            .map(|m| m.image_digests.clone())
            .unwrap_or_default();
        for image in &snapshot.images {
            self.pull_exact(image, digests.get(&image.reference), progress)
                .await?;
        }
        self.engine
            .pull_missing(&project, &mut |p| progress(pull_progress(p)))
            .await?;
        self.note_app_images(&project).await;
        self.boundary();

        self.step(op, Step::Data, progress, async {
            self.engine.prepare(&project).await?;
            self.restore_data(&snapshot).await
        })
        .await?;

        self.enter(op, Step::Start, progress)?;
        self.check_storage(app, &project, false).await?;
        self.engine
            .up(&project, &mut |e| progress(up_progress(e)))
            .await?;
        self.boundary();
        if from.join("dumps").is_dir() {
            // The backup's database dump fed back, now that the app runs.
            self.step(op, Step::Dump, progress, self.load_dump(app, &from))
                .await?;
        }
        self.step(op, Step::Commit, progress, async {
            self.db.set_app_state(app, "installed")
        })
        .await?;
        Ok(())
    }

    /// Puts `image` here as it was: the image itself when this engine still
    /// has it, else pulled by one of its `digests`, else by its reference.
    async fn pull_exact(
        &self,
        image: &ImageRef,
        digests: Option<&Vec<String>>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        if self.engine.has_image(&image.id).await? {
            return self.engine.retag(image).await;
        }
        let (repo, _, _) = split_reference(&image.reference);
        let by_digest = digests
            .into_iter()
            .flatten()
            .find(|d| d.split_once('@').is_some_and(|(r, _)| r == repo))
            .or_else(|| digests.and_then(|d| d.first()));
        let Some(by_digest) = by_digest else {
            // Built here and never pushed: its reference is all there is.
            return self
                .engine
                .pull(&image.reference, &mut |p| progress(pull_progress(p)))
                .await;
        };
        self.engine
            .pull(by_digest, &mut |p| progress(pull_progress(p)))
            .await
            .map_err(|e| Error::Backup {
                message: format!(
                    "the backup ran {} as {by_digest}, which cannot be pulled now (has its registry dropped it?): {e}",
                    image.reference
                ),
            })?;
        let id = self.engine.image_id(by_digest).await?;
        self.engine
            .retag(&ImageRef {
                reference: image.reference.clone(),
                id,
            })
            .await
    }

    /// Removes everything a restore of an app that was not installed made:
    /// containers and volumes, the data folder, the record, ports and files,
    /// secrets (unless it had some before), the fetched copy. Idempotent.
    async fn undo_restore(&self, plan: &RestorePlan) -> Result<()> {
        let app = plan.app.as_str();
        self.engine
            .down(
                app,
                DownOptions {
                    remove_volumes: true,
                },
            )
            .await?;
        self.forget(app)?;
        let dir = self.layout.app_dir(app);
        remove_tree(&dir).map_err(|cause| Error::Write { path: dir, cause })?;
        if !plan.had_secrets {
            self.db.delete_secrets(app)?;
        }
        let root = self.snapshots_dir(app);
        let partial = root.join(format!("fetch-{}.partial", plan.backup));
        remove_tree(&partial).map_err(|cause| Error::Write {
            path: partial,
            cause,
        })?;
        // The fetched copy, also when a crash came before its id was journaled.
        if let Ok(entries) = std::fs::read_dir(&root) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let fetched = plan.snapshot.as_deref() == Some(name.as_str())
                    || name.rsplit_once("-backup-").is_some_and(|(_, short)| {
                        short.starts_with(&plan.backup) || plan.backup.starts_with(short)
                    });
                if fetched {
                    remove_tree(&entry.path()).map_err(|cause| Error::Write {
                        path: entry.path(),
                        cause,
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Settles a restore a crash interrupted: kept if it had reached its
    /// commit, else undone.
    pub(in crate::apps) async fn settle_restore(&self, op: &OperationRecord) -> Result<()> {
        let plan: RestorePlan = self.journaled_plan(op)?;
        if op.steps.iter().any(|s| s == "commit") {
            self.db.set_app_state(&plan.app, "installed")?;
            return self
                .db
                .finish_operation(op.id, "completed_after_restart", None);
        }
        self.undo_restore(&plan).await?;
        let why = match &op.error {
            Some(error) => format!("{error}; undone once the engine was back"),
            None => "interrupted; undone when Berth restarted (nothing of the app is left): restore again".into(),
        };
        self.db.finish_operation(op.id, "rolled_back", Some(&why))
    }
}
