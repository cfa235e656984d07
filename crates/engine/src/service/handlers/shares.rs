//! Shares: list, add (a folder of the server, or a new one under the home),
//! forget, the usual set; whether the apps can use their files and, when
//! the user asks, giving the files to the apps; offering them over SMB.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::super::commands::args;
use super::super::{EventKind, Operation, OwnershipFixed, Service, ShareInfo};
use crate::db::ShareRecord;
use crate::model::{Layout, ShareName};
use crate::shares::{check_access, operation_subject, GuardAction, SmbAccess, SmbStatus};
use crate::{Error, Result};

/// A share as clients see it; reads its folder (a bounded sample), so off
/// the async threads.
fn share_info(root: &Path, uid: u32, gid: u32, r: ShareRecord) -> ShareInfo {
    let path = Path::new(&r.path);
    ShareInfo {
        present: path.is_dir(),
        made_by_berth: path.starts_with(root),
        access: check_access(path, uid, gid),
        smb: SmbAccess::from_column(r.smb.as_deref()),
        name: r.name,
        path: r.path,
    }
}

fn internal(e: tokio::task::JoinError) -> Error {
    Error::Internal {
        message: e.to_string(),
    }
}

impl Service {
    pub(in crate::service) async fn shares(&self, _: args::Shares) -> Result<Vec<ShareInfo>> {
        self.share_infos(self.apps.shares()?).await
    }

    pub(in crate::service) async fn share(&self, a: args::Share) -> Result<ShareInfo> {
        let record = self.share_record(&a.name)?;
        Ok(self.share_infos(vec![record]).await?.remove(0))
    }

    pub(in crate::service) async fn share_add(&self, a: args::ShareAdd) -> Result<ShareInfo> {
        let added = self
            .apps
            .add_share(&a.name, a.path.as_deref().map(Path::new))?;
        Ok(self.share_infos(vec![added]).await?.remove(0))
    }

    pub(in crate::service) async fn share_remove(&self, a: args::ShareRemove) -> Result<()> {
        self.apps.remove_share(&a.name)?;
        self.smb_follow().await;
        Ok(())
    }

    pub(in crate::service) async fn app_shares(
        self: &Arc<Self>,
        a: args::AppShares,
    ) -> Result<Operation> {
        let app = a.app.to_string();
        let busy = self.claim(&app)?;
        let (op, plan) = self.apps.begin_shares(&app, &a.shares).await?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps.run_shares(op, &plan, &mut r.progress()).await
        }))
    }

    /// One round of the storage guard over the apps no operation holds,
    /// each reported on the daemon's output.
    pub async fn guard_storage(&self) {
        for action in self.apps.guard_storage(|app| self.claim(app).ok()).await {
            match action {
                GuardAction::Stopped { app, waiting } => {
                    eprintln!("berth: stopped {app}: waiting for {waiting}")
                }
                GuardAction::Held { app, waiting } => {
                    eprintln!("berth: holding {app}: waiting for {waiting}")
                }
                GuardAction::Started { app } => {
                    eprintln!("berth: started {app}: what it waited for is back")
                }
                GuardAction::StartFailed { app, error } => {
                    eprintln!("berth: could not start {app} again: {error}")
                }
            }
        }
    }

    pub(in crate::service) async fn shares_defaults(
        &self,
        _: args::SharesDefaults,
    ) -> Result<Vec<ShareInfo>> {
        let shares = self.apps.add_default_shares()?;
        self.share_infos(shares).await
    }

    pub(in crate::service) async fn share_fix_ownership(
        self: &Arc<Self>,
        a: args::ShareFixOwnership,
    ) -> Result<Operation> {
        let record = self.share_record(&a.name)?;
        let busy = self.claim(&operation_subject(&record.name))?;
        let begun = self.apps.begin_fix_ownership(&a.name)?;
        let op = begun.operation;
        Ok(self.spawn_job(busy, op, move |s, r| async move {
            let worker = s.clone();
            let name = begun.share.clone();
            let tally = tokio::task::spawn_blocking(move || {
                worker.apps.run_fix_ownership(&begun, &mut |t| {
                    r.send(EventKind::Files {
                        seen: t.seen,
                        changed: t.changed,
                    })
                })
            })
            .await
            .map_err(internal)??;
            let record = s.share_record(&ShareName::new(&name)?)?;
            Ok(OwnershipFixed {
                share: s.share_infos(vec![record]).await?.remove(0),
                seen: tally.seen,
                changed: tally.changed,
                other_filesystems: tally.other_filesystems,
            })
        }))
    }

    pub(in crate::service) async fn share_smb(&self, a: args::ShareSmb) -> Result<ShareInfo> {
        let record = self.apps.set_share_smb(&a.name, a.access)?;
        self.smb_follow().await;
        Ok(self.share_infos(vec![record]).await?.remove(0))
    }

    pub(in crate::service) async fn smb(&self, _: args::Smb) -> Result<SmbStatus> {
        Ok(self.smb.status(&self.apps).await)
    }

    pub(in crate::service) async fn smb_set(&self, a: args::SmbSet) -> Result<SmbStatus> {
        self.smb
            .set(&self.apps, a.enabled, a.password.as_deref(), a.port)
            .await?;
        Ok(self.smb.status(&self.apps).await)
    }

    /// Brings a running smbd in line with the shares; a failure is the
    /// SMB status's to show, not the share change's.
    async fn smb_follow(&self) {
        if let Err(e) = self.smb.apply(&self.apps).await {
            eprintln!("berth: {e}");
        }
    }

    fn share_record(&self, name: &ShareName) -> Result<ShareRecord> {
        self.apps.db().share(name)?.ok_or_else(|| Error::NoShare {
            name: name.to_string(),
        })
    }

    async fn share_infos(&self, records: Vec<ShareRecord>) -> Result<Vec<ShareInfo>> {
        let root: PathBuf = Layout::new(self.apps.home()).shares_root();
        let (uid, gid) = (self.apps.host().puid, self.apps.host().pgid);
        tokio::task::spawn_blocking(move || {
            records
                .into_iter()
                .map(|r| share_info(&root, uid, gid, r))
                .collect()
        })
        .await
        .map_err(internal)
    }
}
