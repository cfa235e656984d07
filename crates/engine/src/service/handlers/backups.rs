//! Backups: targets, backing an app up, listing backups, restoring an app
//! from one (`crate::backup`, `crate::apps::backup`).

use std::path::PathBuf;
use std::sync::Arc;

use super::super::commands::args;
use super::super::{Operation, Service};
use crate::apps::{FilesPlan, UpdateTarget};
use crate::backup::{
    list_files, list_snapshots, valid_snapshot_id, BackupEntry, BackupInfo, Target, TargetAdded,
    Targets,
};
use crate::{Error, Result};

impl Service {
    pub(in crate::service) fn targets(&self) -> Targets {
        Targets::new(self.apps.home())
    }

    pub(in crate::service) async fn backup_targets(
        &self,
        _: args::BackupTargets,
    ) -> Result<Vec<Target>> {
        self.targets().list()
    }

    pub(in crate::service) async fn backup_target_add(
        &self,
        a: args::BackupTargetAdd,
    ) -> Result<TargetAdded> {
        let targets = self.targets();
        // Creating a repository derives its key (scrypt): off the runtime.
        tokio::task::spawn_blocking(move || {
            if a.path.starts_with("sftp:") {
                targets.add_sftp(a.name.as_deref(), &a.path, a.password.as_deref())
            } else {
                targets.add_folder(
                    a.name.as_deref(),
                    &PathBuf::from(a.path),
                    a.password.as_deref(),
                )
            }
        })
        .await
        .map_err(|e| Error::Internal {
            message: format!("adding the target failed: {e}"),
        })?
    }

    pub(in crate::service) async fn backup_ssh_key(&self, _: args::BackupSshKey) -> Result<String> {
        let targets = self.targets();
        tokio::task::spawn_blocking(move || targets.ssh_key())
            .await
            .map_err(|e| Error::Internal {
                message: format!("making the SSH key failed: {e}"),
            })?
    }

    pub(in crate::service) async fn backup(self: &Arc<Self>, a: args::Backup) -> Result<Operation> {
        self.require_installed(&a.app)?;
        let targets = self.targets();
        let target = targets.get(a.target.as_deref())?;
        let password = targets.password()?;
        let busy = self.claim(&a.app)?;
        let (op, plan) = self.apps.begin_backup(&a.app, &target).await?;
        Ok(self.spawn_job(busy, op, move |s, r| async move {
            let report = {
                // Shared with other backups; a prune waits for it.
                let _sharing = crate::backup::retention::REPOSITORY.read().await;
                s.apps
                    .run_backup(op, &plan, &target, &password, &mut r.progress())
                    .await?
            };
            // Its backups beyond the keep rules forgotten, the data pruned.
            s.retain_after_backup(&plan.app, &target, &password, &r)
                .await;
            Ok(report)
        }))
    }

    pub(in crate::service) async fn backups(&self, a: args::Backups) -> Result<Vec<BackupInfo>> {
        let targets = self.targets();
        let target = targets.get(a.target.as_deref())?;
        let password = targets.password()?;
        let app = a.app.map(String::from);
        tokio::task::spawn_blocking(move || list_snapshots(&target, &password, app.as_deref()))
            .await
            .map_err(|e| Error::Internal {
                message: format!("listing the backups failed: {e}"),
            })?
    }

    pub(in crate::service) async fn restore(
        self: &Arc<Self>,
        a: args::Restore,
    ) -> Result<Operation> {
        check_backup_id(&a.backup)?;
        let targets = self.targets();
        let target = targets.get(a.target.as_deref())?;
        let password = targets.password()?;
        if self.apps.db().app(&a.app)?.is_none() {
            // Not installed here (a new server, or after an uninstall): an
            // install from the backup, journaled and undone like one.
            let busy = self.claim(&a.app)?;
            let (op, mut plan) = self.apps.begin_restore(&a.app, &a.backup, &target).await?;
            let shares = a.shares;
            return Ok(self.spawn_operation(busy, op, move |s, r| async move {
                s.apps
                    .run_restore(op, &mut plan, &target, &password, &mut r.progress())
                    .await?;
                match (shares, &plan.snapshot) {
                    (true, Some(local)) => s
                        .apps
                        .restore_backup_shares(&plan.app, local)
                        .await
                        .map(drop),
                    _ => Ok(()),
                }
            }));
        }
        self.require_installed(&a.app)?;
        let busy = self.claim(&a.app)?;
        let local = self
            .apps
            .fetch_backup(&a.app, &target, &password, &a.backup)
            .await?;
        if a.shares {
            // The shares' files first (asked for): they are the user's, not
            // the app's, and stay whatever the rollback does.
            self.apps.restore_backup_shares(&a.app, &local).await?;
        }
        // A rollback to it: the current state snapshotted first, journaled,
        // undone on failure or after a crash.
        self.start_update(busy, UpdateTarget::Snapshot(Some(local)), false)
            .await
    }

    pub(in crate::service) async fn backup_files(
        &self,
        a: args::BackupFiles,
    ) -> Result<Vec<BackupEntry>> {
        check_backup_id(&a.backup)?;
        let targets = self.targets();
        let target = targets.get(a.target.as_deref())?;
        let password = targets.password()?;
        let path = a.path.unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            list_files(&target, &password, &a.app, &a.backup, &path)
        })
        .await
        .map_err(|e| Error::Internal {
            message: format!("reading the backup failed: {e}"),
        })?
    }

    pub(in crate::service) async fn restore_files(
        self: &Arc<Self>,
        a: args::RestoreFiles,
    ) -> Result<Operation> {
        check_backup_id(&a.backup)?;
        self.require_installed(&a.app)?;
        let targets = self.targets();
        let target = targets.get(a.target.as_deref())?;
        let password = targets.password()?;
        let busy = self.claim(&a.app)?;
        let plan = FilesPlan {
            app: a.app.to_string(),
            backup: a.backup,
            paths: a.paths,
            to: a.to.map(PathBuf::from),
            target: target.name.clone(),
        };
        let op = self.apps.begin_restore_files(&plan).await?;
        Ok(self.spawn_job(busy, op, move |s, r| async move {
            s.apps
                .run_restore_files(op, &plan, &target, &password, &mut r.progress())
                .await
        }))
    }
}

fn check_backup_id(id: &str) -> Result<()> {
    if valid_snapshot_id(id) {
        Ok(())
    } else {
        Err(Error::BadRequest {
            message: format!(
                "{id:?} is not a backup id: give the id `berth backup list` shows (hex digits)"
            ),
        })
    }
}
