//! Shares: list, add (a folder of the server, or a new one under the home),
//! forget, and the usual set.

use std::path::Path;
use std::sync::Arc;

use super::super::commands::args;
use super::super::{Operation, Service, ShareInfo};
use crate::db::ShareRecord;
use crate::model::Layout;
use crate::shares::GuardAction;
use crate::Result;

impl Service {
    pub(in crate::service) async fn shares(&self, _: args::Shares) -> Result<Vec<ShareInfo>> {
        Ok(self.share_infos(self.apps.shares()?))
    }

    pub(in crate::service) async fn share_add(&self, a: args::ShareAdd) -> Result<ShareInfo> {
        let added = self
            .apps
            .add_share(&a.name, a.path.as_deref().map(Path::new))?;
        Ok(self.share_info(added))
    }

    pub(in crate::service) async fn share_remove(&self, a: args::ShareRemove) -> Result<()> {
        self.apps.remove_share(&a.name)
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
        Ok(self.share_infos(self.apps.add_default_shares()?))
    }

    fn share_infos(&self, records: Vec<ShareRecord>) -> Vec<ShareInfo> {
        records.into_iter().map(|r| self.share_info(r)).collect()
    }

    fn share_info(&self, r: ShareRecord) -> ShareInfo {
        let root = Layout::new(self.apps.home()).shares_root();
        ShareInfo {
            present: Path::new(&r.path).is_dir(),
            made_by_berth: Path::new(&r.path).starts_with(&root),
            name: r.name,
            path: r.path,
        }
    }
}
