//! The stores of apps: list, add, remove, refresh, browse, search.

use super::super::commands::args;
use super::super::{CatalogAppInfo, Picture, Service};
use crate::catalog::{AppSummary, RefreshOutcome, StoreInfo};
use crate::Result;

impl Service {
    pub(in crate::service) async fn catalog_stores(
        &self,
        _: args::CatalogStores,
    ) -> Result<Vec<StoreInfo>> {
        self.apps.catalogs().stores(self.apps.db())
    }

    pub(in crate::service) async fn catalog_add(&self, a: args::CatalogAdd) -> Result<StoreInfo> {
        self.apps
            .catalogs()
            .add(
                self.apps.db(),
                &a.location,
                a.key.as_deref(),
                a.name.as_deref(),
            )
            .await
    }

    pub(in crate::service) async fn catalog_remove(&self, a: args::CatalogRemove) -> Result<()> {
        self.apps.catalogs().remove(self.apps.db(), &a.name)
    }

    pub(in crate::service) async fn catalog_refresh(
        &self,
        a: args::CatalogRefresh,
    ) -> Result<Vec<RefreshOutcome>> {
        self.apps
            .catalogs()
            .refresh(self.apps.db(), a.name.as_deref())
            .await
    }

    pub(in crate::service) async fn catalog_apps(
        &self,
        a: args::CatalogApps,
    ) -> Result<Vec<AppSummary>> {
        Ok(self.apps.catalogs().list(a.category.as_deref()))
    }

    pub(in crate::service) async fn catalog_search(
        &self,
        a: args::CatalogSearch,
    ) -> Result<Vec<AppSummary>> {
        Ok(self.apps.catalogs().search(&a.query))
    }

    pub(in crate::service) async fn catalog_show(
        &self,
        a: args::CatalogShow,
    ) -> Result<CatalogAppInfo> {
        let (store, found) = self.apps.catalogs().find(&a.app, a.store.as_deref())?;
        Ok(CatalogAppInfo {
            store,
            files: found.files.keys().cloned().collect(),
            meta: found.meta,
        })
    }

    pub(in crate::service) async fn catalog_picture(
        &self,
        a: args::CatalogPicture,
    ) -> Result<Picture> {
        use base64::Engine as _;
        let (content_type, bytes) = self.apps.catalogs().picture(&a.store, &a.app, &a.file)?;
        Ok(Picture {
            content_type: content_type.to_string(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    pub(in crate::service) async fn download_size(
        &self,
        a: args::DownloadSize,
    ) -> Result<crate::registry::DownloadSize> {
        self.apps
            .catalog_download_size(&self.registry, &a.catalog_app, a.store.as_deref())
            .await
    }
}
