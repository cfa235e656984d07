//! Update and rollback: one journaled pipeline that cannot lose data.
//!
//! render the new version beside the old → pull its images while the old
//! keeps running → stop the old → snapshot (data folder, named volumes,
//! compose file, store files, the exact images) → swap the files → start the
//! new → wait until it is ready → commit. The snapshot is taken of the
//! stopped app, so a database's files are consistent.
//!
//! Any failure, or a crash at any step, undoes it: the new containers go, the
//! old files and images come back, the data comes back from the snapshot if
//! the new version ever ran on it, and the old version starts again. Nothing
//! of the old version — not its images, not its snapshot — is deleted before
//! the new one is ready. A rollback is the same pipeline with a kept
//! snapshot as the "new" version (the current state is snapshotted first, so
//! a rollback can itself be undone).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::install::pull_progress;
use super::snapshot::{snapshot_id, snapshots_to_keep};
use super::{Apps, Progress};
use crate::catalog::resolve_settings;
use crate::catalog::MIGRATION_PROFILE;
use crate::compose::{load_file, LoadOptions, Project, ServiceLimits};
use crate::lifecycle::{DownOptions, ImageRef, UpEvent};
use crate::model::Layout;
use crate::rewrite::{consented, render_with_profiles, unconsented, RenderRequest};
use crate::store::{now_ms, AppRecord, OperationRecord};
use crate::{Error, Result};

/// What an update changes an app to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateTarget {
    /// Its store's newest version; for an app installed from a compose
    /// file, that file again with the newest images of its tags.
    Latest,
    /// A new version of the app's compose file.
    Compose(PathBuf),
    /// A kept snapshot, by id; the newest when `None` (a rollback).
    Snapshot(Option<String>),
}

/// An update as journaled: all a restart needs to finish or undo it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdatePlan {
    pub app: String,
    /// The snapshot of the app as it was (taken at the `snapshot` step).
    pub snapshot: String,
    /// The version before (its record's source).
    pub from: String,
    /// What the app is updated to: the new source, or `snapshot <id>`.
    pub to: String,
    /// The file to render (none for a rollback).
    pub compose_file: Option<PathBuf>,
    /// Store files staged in `app.next/` to replace `app/`.
    pub staged_files: bool,
    pub settings: BTreeMap<String, String>,
    pub limits: ServiceLimits,
    pub consent: bool,
    /// The snapshot restored, for a rollback.
    pub restore: Option<String>,
    /// The images the old version ran, taken before anything was pulled.
    pub old_images: Vec<ImageRef>,
    /// The new version's migration service, run once before it starts.
    #[serde(default)]
    pub migration: Option<String>,
}

/// How long a new version may take to become ready
/// (`BERTH_UPDATE_TIMEOUT_SECS`, default 300).
fn ready_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("BERTH_UPDATE_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300),
    )
}

pub(super) fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Apps {
    fn next_compose_file(&self, app: &str) -> PathBuf {
        self.layout.staged_compose(app)
    }

    /// The new version rendered with its migration service.
    fn migration_file(&self, app: &str) -> PathBuf {
        self.layout.migration_compose(app)
    }

    fn staged_dir(&self, app: &str) -> PathBuf {
        self.layout.staged_store_files(app)
    }

    /// Updates (or rolls back) an app; returns the operation id.
    pub async fn update(
        &self,
        app: &str,
        target: &UpdateTarget,
        consent: bool,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<i64> {
        let (op, plan) = self.begin_update(app, target, consent).await?;
        self.run_update(op, &plan, progress).await?;
        Ok(op)
    }

    /// Checks an update, records it and returns its operation id at once.
    /// Refuses when the disk cannot hold the snapshot.
    pub async fn begin_update(
        &self,
        app: &str,
        target: &UpdateTarget,
        consent: bool,
    ) -> Result<(i64, UpdatePlan)> {
        let record = self.store.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        if record.state != "installed" {
            return Err(Error::AlreadyInstalled {
                app: app.to_string(),
                state: record.state,
            });
        }
        let old = self.load_rendered(app)?;
        let settings: BTreeMap<String, String> =
            serde_json::from_str(&record.settings).unwrap_or_default();
        let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
        let mut plan = UpdatePlan {
            app: app.to_string(),
            snapshot: String::new(),
            from: record.source.clone(),
            to: record.source.clone(),
            compose_file: None,
            staged_files: false,
            settings,
            limits,
            consent,
            restore: None,
            old_images: self.engine.image_ids(&old).await?,
            migration: None,
        };
        for image in &plan.old_images {
            self.store
                .touch_image(&image.id, &image.reference, now_ms())?;
        }
        let kind = match target {
            UpdateTarget::Snapshot(id) => {
                let snapshot = self.snapshot(app, id.as_deref())?;
                plan.to = format!("snapshot {}", snapshot.id);
                plan.restore = Some(snapshot.id);
                "rollback"
            }
            UpdateTarget::Compose(file) => {
                if !file.is_file() {
                    return Err(Error::Read {
                        path: file.clone(),
                        cause: std::io::Error::from(std::io::ErrorKind::NotFound),
                    });
                }
                plan.to = file.to_string_lossy().into_owned();
                plan.compose_file = Some(file.clone());
                "update"
            }
            UpdateTarget::Latest => {
                self.plan_latest(&record, &mut plan)?;
                "update"
            }
        };
        if plan.compose_file.is_some() {
            // Render now, into memory, so a broken new version is refused
            // before anything is touched.
            self.render_next(&plan, false, plan.migration.is_some())?;
        }
        self.check_snapshot_space(app).await?;
        let op = self.store.begin_operation(
            app,
            kind,
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        let started = self
            .store
            .operation(op)?
            .map(|o| o.started_at)
            .unwrap_or_else(now_ms);
        plan.snapshot = snapshot_id(op, started);
        self.store
            .set_operation_request(op, &serde_json::to_string(&plan).expect("plans serialize"))?;
        self.boundary();
        Ok((op, plan))
    }

    /// The newest version of the app's source: its store's, staged in
    /// `app.next/`, or its compose file again.
    fn plan_latest(&self, record: &AppRecord, plan: &mut UpdatePlan) -> Result<()> {
        match store_source(&record.source) {
            Some((store, id, _)) => {
                let (store, found) = self.catalogs.find(id, Some(store))?;
                let meta = &found.meta;
                let kept = self.store.secrets(&record.id)?;
                // Keep the user's values for settings the new version still has.
                let given: BTreeMap<String, String> = plan
                    .settings
                    .iter()
                    .filter(|(k, _)| meta.settings.iter().any(|s| &s.name == *k))
                    .filter(|(k, _)| !kept.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let resolved = resolve_settings(meta, &given, &kept)?;
                let staged = self.staged_dir(&record.id);
                found.write_to(&staged)?;
                self.store.add_secrets(&record.id, &resolved.new_secrets)?;
                plan.settings = resolved.values;
                plan.compose_file = Some(staged.join("compose.yml"));
                plan.staged_files = true;
                plan.to = format!("{store}/{}@{}", meta.id, meta.version);
                plan.migration = meta.migration.clone();
            }
            None => {
                let file = PathBuf::from(&record.source);
                if !file.is_file() {
                    return Err(Error::Read {
                        path: file,
                        cause: std::io::Error::other(
                            "the compose file this app was installed from is gone; update it with --compose FILE",
                        ),
                    });
                }
                plan.compose_file = Some(file);
            }
        }
        Ok(())
    }

    /// Renders the plan's compose file for this host, with its migration
    /// service when `migration`. Consent given at install carries over to the
    /// same findings; anything new needs it again.
    fn render_next(&self, plan: &UpdatePlan, save_ports: bool, migration: bool) -> Result<String> {
        let profiles: &[&str] = if migration { &[MIGRATION_PROFILE] } else { &[] };
        let file = plan.compose_file.as_ref().expect("a compose update");
        let mut ports = self.ports()?;
        let mut request = RenderRequest {
            app_id: plan.app.clone(),
            home: self.layout.home().to_path_buf(),
            host: self.host.clone(),
            settings: plan.settings.clone(),
            limits: plan.limits,
            consent: plan.consent,
        };
        let rendered = match render_with_profiles(file, &request, &mut ports, profiles) {
            Err(Error::ConsentRequired { app, .. }) => {
                // Consent given before covers the same requests at the same
                // places; anything new (a device, a folder) needs it again.
                let before = consented(&self.load_rendered(&plan.app)?);
                request.consent = true;
                let rendered = render_with_profiles(file, &request, &mut ports, profiles)?;
                let new = unconsented(&rendered.policy, &before);
                if !new.is_empty() {
                    return Err(Error::ConsentRequired { app, findings: new });
                }
                rendered
            }
            other => other?,
        };
        if save_ports {
            ports.save()?;
        }
        Ok(rendered.yaml)
    }

    /// Runs a begun update to its end: done, or undone with the reason.
    pub async fn run_update(
        &self,
        op: i64,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self.update_steps(op, plan, progress).await {
            Ok(outcome) => self.store.finish_operation(op, outcome, None),
            Err(e) => {
                let why = e.to_string();
                let steps = self
                    .store
                    .operation(op)?
                    .map(|o| o.steps)
                    .unwrap_or_default();
                progress(Progress::Step {
                    operation: op,
                    step: "undo".into(),
                });
                match self.undo_update(plan, &steps).await {
                    Ok(()) => {
                        self.store.finish_operation(op, "rolled_back", Some(&why))?;
                        Err(Error::RolledBack {
                            app: plan.app.clone(),
                            why,
                        })
                    }
                    Err(undo) => {
                        self.store.note_operation_error(
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
            .step(op, "render", progress, async {
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

        self.enter(op, "pull", progress)?;
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
            self.step(op, "unchanged", progress, async { Ok(()) })
                .await?;
            return Ok("unchanged");
        }

        let old = self.load_rendered(app)?;
        self.step(op, "stop", progress, self.engine.stop(&old))
            .await?;
        let reason = match &plan.restore {
            Some(id) => format!("before rolling back to {id}"),
            None => format!("before updating to {}", plan.to),
        };
        self.step(op, "snapshot", progress, async {
            self.take_snapshot(app, &plan.snapshot, op, &reason, plan.old_images.clone())
                .await
                .map(drop)
        })
        .await?;
        self.step(op, "swap", progress, async {
            match &restore {
                Some(s) => self.restore_files(s, "updating"),
                None => self.swap_in(plan),
            }
        })
        .await?;
        if let Some(s) = &restore {
            self.step(op, "data", progress, async {
                self.engine.prepare(&next).await?;
                self.restore_data(s).await
            })
            .await?;
        }
        if let Some(service) = plan.migration.as_deref().filter(|_| restore.is_none()) {
            // On the new files and the old data, before the new version starts.
            self.enter(op, "migrate", progress)?;
            let file = self.migration_file(app);
            let project = self.load_migration(app)?;
            self.engine
                .run_once(&project, service, ready_timeout(), &mut |e| {
                    progress(match e {
                        UpEvent::Pull(p) => pull_progress(p),
                        UpEvent::Service { service, state } => Progress::Service { service, state },
                    })
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
        self.enter(op, "start", progress)?;
        self.engine
            .up(&next, &mut |e| {
                progress(match e {
                    UpEvent::Pull(p) => pull_progress(p),
                    UpEvent::Service { service, state } => Progress::Service { service, state },
                })
            })
            .await?;
        self.boundary();
        self.step(op, "health", progress, async {
            let record = self.store.app(app)?.ok_or_else(|| Error::NotInstalled {
                app: app.to_string(),
            })?;
            let main = self.main_service(&record);
            self.engine
                .wait_ready(
                    &next,
                    main.as_ref().map(|(s, p)| (s.as_str(), *p)),
                    ready_timeout(),
                )
                .await?
                .map_err(|why| Error::NotReady {
                    app: app.to_string(),
                    why,
                })
        })
        .await?;
        self.step(op, "commit", progress, async {
            self.store.set_app_state(app, "installed")?;
            self.prune_snapshots(app, snapshots_to_keep()).map(drop)
        })
        .await?;
        self.note_app_images(&next).await;
        Ok("done")
    }

    /// Whether the new version is the same version, rendering to the same
    /// file, with the same images. (A new store version with the same
    /// compose file still updates: its record, files and migration change.)
    async fn unchanged(&self, plan: &UpdatePlan, next: &Project) -> Result<bool> {
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
        let mut record = self.store.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        record.source = plan.to.clone();
        record.settings = serde_json::to_string(&plan.settings).expect("settings serialize");
        record.compose_hash = hash(&yaml);
        record.state = "updating".into();
        self.store.put_app(&record)
    }

    /// Undoes an update that got as far as `steps`: the old version back,
    /// running, with its data. Idempotent, so reconcile can run it again.
    pub(super) async fn undo_update(&self, plan: &UpdatePlan, steps: &[String]) -> Result<()> {
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
                .store
                .app(app)?
                .and_then(|record| self.main_service(&record));
            // Best effort: report, but the old version is back either way.
            if let Ok(Err(why)) = self
                .engine
                .wait_ready(
                    &old,
                    main.as_ref().map(|(s, p)| (s.as_str(), *p)),
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
    pub(super) async fn settle_update(&self, op: &OperationRecord) -> Result<()> {
        let plan: UpdatePlan = self.journaled_plan(op)?;
        if op.steps.iter().any(|s| s == "commit" || s == "unchanged") {
            self.store.set_app_state(&plan.app, "installed")?;
            return self
                .store
                .finish_operation(op.id, "completed_after_restart", None);
        }
        self.undo_update(&plan, &op.steps).await?;
        let why = match &op.error {
            Some(error) => format!("{error}; the previous version was put back"),
            None => "interrupted; the previous version was put back when Berth restarted".into(),
        };
        self.store
            .finish_operation(op.id, "rolled_back", Some(&why))
    }

    /// The new version with its migration service, as rendered.
    fn load_migration(&self, app: &str) -> Result<Project> {
        let options = LoadOptions {
            project_name: Some(app.to_string()),
            working_dir: Some(self.layout.app_dir(app)),
            profiles: vec![MIGRATION_PROFILE.to_string()],
            ..Default::default()
        };
        load_file(&self.migration_file(app), &options)
    }

    fn load_project(&self, app: &str, file: &std::path::Path) -> Result<Project> {
        let options = LoadOptions {
            project_name: Some(app.to_string()),
            working_dir: Some(self.layout.app_dir(app)),
            ..Default::default()
        };
        load_file(file, &options)
    }
}

/// `store/app@version` → its parts; `None` for a compose file's path.
pub fn store_source(source: &str) -> Option<(&str, &str, &str)> {
    if source.starts_with('/') || source.starts_with('.') {
        return None;
    }
    let (store, rest) = source.split_once('/')?;
    let (id, version) = rest.split_once('@')?;
    Some((store, id, version))
}

pub(super) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("yml.tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|cause| Error::Write {
            path: path.to_path_buf(),
            cause,
        })
}

#[cfg(test)]
mod tests {
    use super::store_source;

    #[test]
    fn sources() {
        assert_eq!(
            store_source("berth/jellyfin@10.10.7"),
            Some(("berth", "jellyfin", "10.10.7"))
        );
        assert_eq!(store_source("/srv/apps/x/compose.yml"), None);
    }
}
