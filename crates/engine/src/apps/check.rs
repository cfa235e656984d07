//! The update check: for each installed app, a newer version in its store
//! (with its release notes), and for each image pinned by tag only, whether
//! the tag now names another image in its registry (a manifest request, no
//! pull) — and how many bytes updating would download.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::update::store_source;
use super::Apps;
use crate::catalog::CatalogApp;
use crate::compose::{load_bytes, LoadOptions};
use crate::db::AppRecord;
use crate::lifecycle::project_images;
use crate::registry::{is_current, DownloadSize, Registry};
use crate::Result;

/// What updating an app would bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppUpdate {
    pub app: String,
    /// The installed version (`store/app@version`) or compose file.
    pub current: String,
    /// A newer version in the app's store.
    pub version: Option<String>,
    /// That version's release notes.
    pub release_notes: Option<String>,
    /// Images whose tag now names a newer image.
    pub changed_images: Vec<String>,
    /// Bytes updating would download.
    #[specta(type = Option<f64>)]
    pub download_bytes: Option<u64>,
    /// Why (part of) the check failed, e.g. a registry out of reach.
    pub error: Option<String>,
}

impl AppUpdate {
    /// Whether there is anything to update to.
    pub fn available(&self) -> bool {
        self.version.is_some() || !self.changed_images.is_empty()
    }
}

/// Whether `new` is a later version than `old`: by semver when both parse
/// (a leading `v` allowed), else whenever they differ.
pub fn newer(new: &str, old: &str) -> bool {
    let parse = |v: &str| semver::Version::parse(v.trim_start_matches('v')).ok();
    match (parse(new), parse(old)) {
        (Some(n), Some(o)) => n > o,
        _ => new != old,
    }
}

/// The images a store app's compose file names, with its settings' defaults.
pub fn catalog_images(app: &CatalogApp) -> Result<Vec<String>> {
    let bytes = app.files.get("compose.yml").cloned().unwrap_or_default();
    let environment: BTreeMap<String, String> = app
        .meta
        .settings
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.default.clone().unwrap_or_else(|| "x".into()),
            )
        })
        .collect();
    let options = LoadOptions {
        project_name: Some(app.meta.id.clone()),
        environment,
        working_dir: Some(std::env::temp_dir()),
        // A migration's image is downloaded too.
        profiles: app
            .meta
            .migration
            .iter()
            .map(|_| crate::catalog::MIGRATION_PROFILE.to_string())
            .collect(),
        ..Default::default()
    };
    let project = load_bytes(&bytes, Path::new("compose.yml"), &options)?;
    Ok(project_images(&project).into_iter().collect())
}

impl Apps {
    /// Checks every installed app; returns one entry per app.
    pub async fn check_updates(&self, registry: &Registry) -> Result<Vec<AppUpdate>> {
        let mut out = Vec::new();
        for record in self.db.apps()? {
            if record.state == "installed" {
                out.push(self.check_app(registry, &record).await);
            }
        }
        Ok(out)
    }

    async fn check_app(&self, registry: &Registry, record: &AppRecord) -> AppUpdate {
        let mut update = AppUpdate {
            app: record.id.clone(),
            current: record.source.clone(),
            version: None,
            release_notes: None,
            changed_images: Vec::new(),
            download_bytes: None,
            error: None,
        };
        let mut errors = Vec::new();
        let mut to_download = BTreeSet::new();
        if let Some((store, id, installed)) = store_source(&record.source) {
            match self.catalogs.find(id, Some(store)) {
                Ok((_, found)) if newer(&found.meta.version, installed) => {
                    update.version = Some(found.meta.version.clone());
                    update.release_notes =
                        Some(found.meta.release_notes.clone()).filter(|n| !n.trim().is_empty());
                    match catalog_images(&found) {
                        Ok(images) => to_download.extend(images),
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
        match self.load_rendered(&record.id) {
            Ok(project) => {
                for image in project_images(&project) {
                    if image.contains('@') {
                        continue; // pinned by digest: cannot move
                    }
                    let local = match self.engine.local_repo_digests(&image).await {
                        Ok(Some(d)) => d,
                        Ok(None) => continue, // not present: nothing to compare
                        Err(e) => {
                            errors.push(e.to_string());
                            continue;
                        }
                    };
                    match registry.remote_digest(&image).await {
                        Ok(remote) if !is_current(&local, &remote) => {
                            update.changed_images.push(image.clone());
                            if update.version.is_none() {
                                to_download.insert(image);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
        if update.available() && !to_download.is_empty() {
            let images: Vec<String> = to_download.into_iter().collect();
            match self.engine.download_size(registry, &images).await {
                Ok(size) => update.download_bytes = Some(size.total),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if !errors.is_empty() {
            update.error = Some(errors.join("; "));
        }
        update
    }

    /// Bytes installing a store app would download.
    pub async fn catalog_download_size(
        &self,
        registry: &Registry,
        app: &str,
        store: Option<&str>,
    ) -> Result<DownloadSize> {
        let (_, found) = self.catalogs.find(app, store)?;
        let images = catalog_images(&found)?;
        self.engine.download_size(registry, &images).await
    }
}

#[cfg(test)]
mod tests {
    use super::newer;

    #[test]
    fn versions() {
        assert!(newer("1.10.0", "1.9.3"));
        assert!(!newer("1.9.3", "1.10.0"));
        assert!(newer("v2.0.0", "1.0.0"));
        assert!(!newer("1.0.0", "1.0.0"));
        assert!(newer("version-v25.03", "version-v25.02"));
        assert!(!newer("version-v25.02", "version-v25.02"));
    }
}
