//! Shares: list, add (a folder of the server, or a new one under the home),
//! forget, and the usual set.

use std::path::Path;

use super::super::commands::args;
use super::super::{Service, ShareInfo};
use crate::db::ShareRecord;
use crate::model::Layout;
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
