//! Backing up an app to a target and restoring it from one (the targets and
//! the repository are in `crate::backup`).
//!
//! A backup stops the app (if it runs), brings its kept local copy up to
//! date (`backup_copy.rs`: data folder, named volumes, rendered compose
//! file, store files, record, exact images; only changed files copied)
//! plus `backup.json` (version, settings, generated secrets, image
//! digests), starts the app again, then sends the copy to the target while
//! the app runs. The app is down only while the copy is updated. An app
//! whose app.yml declares a dump (`backup.dump`) and runs is not stopped:
//! the dump is taken in its running service into the copy's `dumps/`,
//! the rest copied live, and a restore feeds the dump to its declared
//! `backup.restore` command once the app runs. The shares given to the app
//! are included (`shares/<name>/`) only when the user turned them on for
//! it. Journaled as operation `backup`: a crash leaves no stopped app and
//! no half dump once settled.
//!
//! A restore fetches a backup into the app's snapshots, then rolls back to
//! it with the update pipeline: the current state is snapshotted first, the
//! files swapped, the data put back, the containers recreated from the
//! restored compose file; any failure, or a crash, puts the app back as it was.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::snapshot::{remove_tree, snapshot_id, Snapshot};
use super::update::store_source;
use super::{Apps, Progress};
use crate::backup::{fetch_snapshot, reach, send_snapshot, BackupInfo, Target};
use crate::catalog::BackupHooks;
use crate::db::{now_ms, OperationRecord};
use crate::lifecycle::ImageRef;
use crate::model::Step;
use crate::{Error, Result};

/// A backup as journaled: all a restart needs to settle it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupPlan {
    pub app: String,
    /// The local snapshot sent (taken at the `snapshot` step, dropped at `clean`).
    pub snapshot: String,
    /// The app ran when the backup began: it is started again.
    pub was_running: bool,
    /// The target's name.
    pub target: String,
    /// The app declares a dump (app.yml `backup.dump`) and runs: the dump
    /// is taken into the kept copy's `dumps/<file>` and the app is not
    /// stopped. The file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump: Option<String>,
    /// The files of the shares given to the app are included (the user
    /// turned it on for the app), under `shares/<name>/`.
    #[serde(default)]
    pub shares: bool,
}

/// `backup.json` in every backup: what restoring the app needs beyond its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupManifest {
    /// The Berth that wrote it.
    pub berth: String,
    pub app: String,
    /// Where the app came from (`store/app@version`, or a compose file's path).
    pub source: String,
    pub version: String,
    /// The user's settings, as the record keeps them (JSON).
    pub settings: String,
    /// The secrets Berth generated for the app (the repository is encrypted).
    pub secrets: BTreeMap<String, String>,
    /// The image each reference named.
    pub images: Vec<ImageRef>,
    /// Each reference's registry digests (`repo@sha256:…`), to pull by digest.
    pub image_digests: BTreeMap<String, Vec<String>>,
    /// How the data was kept consistent: `stopped` (the app was stopped for
    /// the copy), `not running` (it was already stopped) or `dump` (a dump
    /// taken while it ran, see `dump`).
    pub consistency: String,
    /// The dump the backup holds, when `consistency` is `dump`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump: Option<DumpTaken>,
    /// The shares whose files it holds (`shares/<name>/`), when the user
    /// included them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<String>,
    pub taken_at: i64,
}

/// A dump a backup took: `dumps/<file>`, made by `tool` in `service`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpTaken {
    pub file: String,
    pub service: String,
    pub tool: String,
    pub bytes: u64,
}

/// What a backup did.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupReport {
    #[specta(type = f64)]
    pub operation: i64,
    pub target: String,
    pub backup: BackupInfo,
    /// `stopped`: the app was stopped for the copy and started again;
    /// `not running`: it was not running; `dump`: it kept running, a
    /// database dump (app.yml `backup.dump`) kept its data consistent.
    pub consistency: String,
    /// With `dump`: the program that made it (`pg_dump`).
    pub dump: Option<String>,
    /// How long the app was stopped, in milliseconds.
    #[specta(type = f64)]
    pub downtime_ms: u64,
}

/// The version an app's record names: its store version, else `compose`.
pub fn app_version(source: &str) -> String {
    match store_source(source) {
        Some((_, _, version)) => version.to_string(),
        None => "compose".to_string(),
    }
}

impl Apps {
    /// Checks and journals a backup of `app` to `target`.
    pub async fn begin_backup(&self, app: &str, target: &Target) -> Result<(i64, BackupPlan)> {
        self.installed_record(app)?;
        self.check_snapshot_space(app).await?;
        let was_running = self.app_running(app).await?;
        // A declared dump needs its service up: only a running app takes one.
        let dump = match was_running {
            true => self.backup_hooks(app).map(|h| h.dump.file),
            false => None,
        };
        let mut plan = BackupPlan {
            app: app.to_string(),
            snapshot: String::new(),
            was_running,
            target: target.name.clone(),
            dump,
            shares: crate::backup::schedule::Schedules::new(self.layout.home())
                .load()?
                .is_some_and(|s| s.includes_shares(app)),
        };
        let op = self.db.begin_operation(
            app,
            "backup",
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        let started = self
            .db
            .operation(op)?
            .map(|o| o.started_at)
            .unwrap_or_else(now_ms);
        plan.snapshot = snapshot_id(op, started);
        self.db
            .set_operation_request(op, &serde_json::to_string(&plan).expect("plans serialize"))?;
        self.boundary();
        Ok((op, plan))
    }

    /// Runs a begun backup to its end; the app runs again afterwards if it
    /// ran before, whatever happened.
    pub async fn run_backup(
        &self,
        op: i64,
        plan: &BackupPlan,
        target: &Target,
        password: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<BackupReport> {
        let result = self
            .backup_steps(op, plan, target, password, progress)
            .await;
        let settled = self.settle_backup_plan(plan).await;
        match (result, settled) {
            (Ok(report), Ok(())) => {
                self.db.finish_operation(op, "done", None)?;
                Ok(report)
            }
            (Ok(_), Err(e)) | (Err(e), Ok(())) => {
                self.db
                    .finish_operation(op, "failed", Some(&e.to_string()))?;
                Err(e)
            }
            (Err(e), Err(undo)) => {
                self.db
                    .note_operation_error(op, &format!("{e}; then: {undo}"))?;
                Err(Error::Unsettled {
                    cause: Box::new(e),
                    then: "settle this backup",
                })
            }
        }
    }

    async fn backup_steps(
        &self,
        op: i64,
        plan: &BackupPlan,
        target: &Target,
        password: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<BackupReport> {
        let app = plan.app.as_str();
        let record = self.installed_record(app)?;
        let project = self.load_rendered(app)?;
        let images = self.engine.image_ids(&project).await?;
        let mut image_digests = BTreeMap::new();
        for image in &images {
            if let Some(digests) = self.engine.local_repo_digests(&image.reference).await? {
                image_digests.insert(image.reference.clone(), digests);
            }
        }
        let version = app_version(&record.source);
        // The target first: one that cannot be reached costs no downtime.
        {
            let (target, password) = (target.clone(), password.to_string());
            tokio::task::spawn_blocking(move || reach(&target, &password))
                .await
                .map_err(|e| Error::Internal {
                    message: format!("the backup's task failed: {e}"),
                })??;
        }
        let dir = self.backup_copy_dir(app);
        let hooks = match &plan.dump {
            Some(_) => Some(self.backup_hooks(app).ok_or_else(|| Error::Backup {
                message: format!("{app}'s app.yml no longer declares its backup dump"),
            })?),
            None => None,
        };
        let dump = match &hooks {
            Some(hooks) => Some(
                self.step(op, Step::Dump, progress, self.take_dump(app, hooks))
                    .await?,
            ),
            None => {
                // A dump from an earlier backup would be restored over this
                // copy's newer data: only a backup that takes one keeps one.
                let dumps = dir.join("dumps");
                remove_tree(&dumps).map_err(|cause| Error::Write { path: dumps, cause })?;
                None
            }
        };
        let live = dump.is_some();
        let stopped_at = std::time::Instant::now();
        if plan.was_running && !live {
            self.step(op, Step::Stop, progress, self.engine.stop(&project))
                .await?;
        }
        // The kept copy brought up to date: only what changed is copied
        // (with a dump, while the app runs, without what the dump covers).
        let exclude = hooks
            .as_ref()
            .map(|h| h.exclude.clone())
            .unwrap_or_default();
        self.step(
            op,
            Step::Snapshot,
            progress,
            self.update_backup_copy(app, &plan.snapshot, op, images.clone(), live, &exclude),
        )
        .await?;
        let manifest = BackupManifest {
            berth: env!("CARGO_PKG_VERSION").to_string(),
            app: app.to_string(),
            source: record.source.clone(),
            version: version.clone(),
            settings: record.settings.clone(),
            secrets: self.db.secrets(app)?,
            images,
            image_digests,
            consistency: match (&dump, plan.was_running) {
                (Some(_), _) => "dump",
                (None, true) => "stopped",
                (None, false) => "not running",
            }
            .into(),
            dump: dump.clone(),
            shares: match plan.shares {
                true => {
                    let mut names: Vec<String> = crate::shares::recorded_shares(&project)
                        .into_iter()
                        .map(|s| s.share)
                        .collect();
                    names.sort();
                    names.dedup();
                    names
                }
                false => Vec::new(),
            },
            taken_at: now_ms(),
        };
        let file = dir.join("backup.json");
        std::fs::write(
            &file,
            serde_json::to_vec_pretty(&manifest).expect("manifests serialize"),
        )
        .map_err(|cause| Error::Write { path: file, cause })?;
        if plan.was_running && !live {
            self.step(op, Step::Start, progress, async {
                self.engine.start(&project, &mut |_| {}).await
            })
            .await?;
        }
        let downtime_ms = match live || !plan.was_running {
            true => 0,
            false => stopped_at.elapsed().as_millis() as u64,
        };
        // The shares' files, when included: while the app runs again.
        self.update_backup_shares(app, &project, plan.shares)
            .await?;
        let sent = self
            .step(op, Step::Copy, progress, async {
                let (target, password, app, version, dir) = (
                    target.clone(),
                    password.to_string(),
                    app.to_string(),
                    version.clone(),
                    dir.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    send_snapshot(&target, &password, &app, &version, &dir)
                })
                .await
                .map_err(|e| Error::Internal {
                    message: format!("the backup's task failed: {e}"),
                })?
            })
            .await?;
        Ok(BackupReport {
            operation: op,
            target: target.name.clone(),
            backup: sent.info,
            consistency: manifest.consistency,
            dump: dump.map(|d| d.tool),
            downtime_ms,
        })
    }

    /// Puts things as they were before the backup, whatever step it reached:
    /// the local copy dropped, the app running if it ran. Idempotent.
    async fn settle_backup_plan(&self, plan: &BackupPlan) -> Result<()> {
        let app = plan.app.as_str();
        self.drop_partial_snapshot(app, &plan.snapshot)?;
        // A dump cut short is never kept.
        let dumps = self.backup_copy_dir(app).join("dumps");
        if let Ok(entries) = std::fs::read_dir(&dumps) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().ends_with(".partial") {
                    std::fs::remove_file(entry.path()).map_err(|cause| Error::Write {
                        path: entry.path(),
                        cause,
                    })?;
                }
            }
        }
        let dir = self.snapshots_dir(app).join(&plan.snapshot);
        remove_tree(&dir).map_err(|cause| Error::Write { path: dir, cause })?;
        if plan.was_running && !self.app_running(app).await? {
            let project = self.load_rendered(app)?;
            self.engine.start(&project, &mut |_| {}).await?;
        }
        Ok(())
    }

    /// The app's declared backup dump (app.yml `backup`), if it has one.
    pub(in crate::apps) fn backup_hooks(&self, app: &str) -> Option<BackupHooks> {
        self.installed_meta(app).ok().and_then(|m| m.backup)
    }

    /// Takes the app's declared dump into the kept copy's `dumps/<file>`:
    /// its command run in the service's running container, its output
    /// written beside the file and renamed into place once it succeeded,
    /// so a failed or interrupted dump leaves the previous one.
    async fn take_dump(&self, app: &str, hooks: &BackupHooks) -> Result<DumpTaken> {
        let dump = &hooks.dump;
        let dumps = self.backup_copy_dir(app).join("dumps");
        std::fs::create_dir_all(&dumps).map_err(|cause| Error::Write {
            path: dumps.clone(),
            cause,
        })?;
        let (file, partial) = (
            dumps.join(&dump.file),
            dumps.join(format!(".{}.partial", dump.file)),
        );
        let tool = dump.tool();
        let ran = self
            .engine
            .exec_in(app, &dump.service, &dump.command, None, Some(&partial))
            .await;
        let bytes = match ran {
            Ok(Ok(bytes)) => bytes,
            failed => {
                let _ = std::fs::remove_file(&partial);
                let why = match failed {
                    Ok(Err(why)) => why,
                    Err(e) => e.to_string(),
                    Ok(Ok(_)) => unreachable!(),
                };
                return Err(Error::Backup {
                    message: format!(
                        "the dump of {app} ({tool} in service {}) failed, so no backup was made and {app} kept running: {why}",
                        dump.service
                    ),
                });
            }
        };
        std::fs::rename(&partial, &file).map_err(|cause| Error::Write {
            path: file.clone(),
            cause,
        })?;
        // Only the declared dump: a file it no longer declares is dropped.
        if let Ok(entries) = std::fs::read_dir(&dumps) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy() != dump.file.as_str() {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(DumpTaken {
            file: dump.file.clone(),
            service: dump.service.clone(),
            tool,
            bytes,
        })
    }

    /// Feeds a restored backup's dump (`<from>/dumps/<file>`) to the app's
    /// declared `backup.restore` command, once the app runs. Nothing to do
    /// when the backup holds no dump or the app declares no restore.
    pub(in crate::apps) async fn load_dump(&self, app: &str, from: &std::path::Path) -> Result<()> {
        let Some(hooks) = self.backup_hooks(app) else {
            return Ok(());
        };
        let file = from.join("dumps").join(&hooks.dump.file);
        let (Some(restore), true) = (&hooks.restore, file.is_file()) else {
            return Ok(());
        };
        self.engine
            .exec_in(app, &restore.service, &restore.command, Some(&file), None)
            .await?
            .map_err(|why| Error::Backup {
                message: format!(
                    "loading the backup's dump {} into {app} (service {}) failed: {why}",
                    hooks.dump.file, restore.service
                ),
            })?;
        Ok(())
    }

    /// Settles a backup a crash interrupted: it is not finished, the app is
    /// as it was.
    pub(in crate::apps) async fn settle_backup(&self, op: &OperationRecord) -> Result<()> {
        let plan: BackupPlan = self.journaled_plan(op)?;
        self.settle_backup_plan(&plan).await?;
        let why = match &op.error {
            Some(error) => format!("{error}; the app was put back as it was"),
            None => "interrupted; the app was put back as it was when Berth restarted; run the backup again".into(),
        };
        self.db.finish_operation(op.id, "interrupted", Some(&why))
    }

    /// Fetches backup `id` of `app` from `target` into the app's snapshots,
    /// ready to roll back to; returns the local snapshot's id.
    pub async fn fetch_backup(
        &self,
        app: &str,
        target: &Target,
        password: &str,
        id: &str,
    ) -> Result<String> {
        self.installed_record(app)?;
        let (local, manifest) = self.fetch_into_snapshots(app, target, password, id).await?;
        if let Some(m) = &manifest {
            // Secrets the app had then and this server has no longer.
            self.db.add_secrets(app, &m.secrets)?;
        }
        Ok(local)
    }

    /// Fetches backup `id` of `app` into `<snapshots>/<app>/<stamp>-backup-<short id>`
    /// (through `fetch-<id>.partial`, so a snapshot that exists is whole);
    /// returns its id and the backup's `backup.json`.
    pub(in crate::apps) async fn fetch_into_snapshots(
        &self,
        app: &str,
        target: &Target,
        password: &str,
        id: &str,
    ) -> Result<(String, Option<BackupManifest>)> {
        let root = self.snapshots_dir(app);
        let partial = root.join(format!("fetch-{id}.partial"));
        remove_tree(&partial).map_err(|cause| Error::Write {
            path: partial.clone(),
            cause,
        })?;
        let found = {
            let (target, password, app, id, partial) = (
                target.clone(),
                password.to_string(),
                app.to_string(),
                id.to_string(),
                partial.clone(),
            );
            tokio::task::spawn_blocking(move || {
                fetch_snapshot(&target, &password, &app, &id, &partial)
            })
            .await
            .map_err(|e| Error::Internal {
                message: format!("the restore's task failed: {e}"),
            })??
        };
        let bad = |message: String| Error::Backup { message };
        let json = partial.join("snapshot.json");
        let mut snapshot: Snapshot = std::fs::read(&json)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| {
                bad(format!(
                    "backup {} holds no readable snapshot.json ({e}); was it written by Berth?",
                    found.short_id
                ))
            })?;
        let manifest: Option<BackupManifest> = std::fs::read(partial.join("backup.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let stamp = snapshot
            .id
            .split("-op")
            .next()
            .unwrap_or_default()
            .to_string();
        let local = format!("{stamp}-backup-{}", found.short_id);
        snapshot.id = local.clone();
        snapshot.app = app.to_string();
        snapshot.reason = format!("restored from backup {}", found.short_id);
        std::fs::write(
            &json,
            serde_json::to_vec_pretty(&snapshot).expect("snapshots serialize"),
        )
        .map_err(|cause| Error::Write {
            path: json.clone(),
            cause,
        })?;
        let done = root.join(&local);
        remove_tree(&done).map_err(|cause| Error::Write {
            path: done.clone(),
            cause,
        })?;
        std::fs::rename(&partial, &done).map_err(|cause| Error::Write { path: done, cause })?;
        Ok((local, manifest))
    }

    /// Drops what fetches a crash interrupted (`<snapshots>/*/fetch-*.partial`):
    /// a restore that had not begun yet, nothing to settle but the files. Call
    /// it at start, before any operation runs.
    pub fn drop_stray_fetches(&self) {
        let Ok(apps) = std::fs::read_dir(self.layout.snapshots_root()) else {
            return;
        };
        for dir in apps.flatten() {
            let Ok(entries) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("fetch-") && name.ends_with(".partial") {
                    if let Err(e) = remove_tree(&entry.path()) {
                        eprintln!("berth: cannot remove {}: {e}", entry.path().display());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::app_version;

    #[test]
    fn versions_read_from_the_source() {
        assert_eq!(app_version("berth/jellyfin@10.10.7"), "10.10.7");
        assert_eq!(app_version("/srv/x/compose.yml"), "compose");
    }
}
