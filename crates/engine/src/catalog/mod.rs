//! Catalogs (app stores): the store format, the embedded default store,
//! folder and archive stores, signed remote stores, CasaOS and Umbrel
//! importers, browsing and search, and install settings with secrets.
//!
//! A loaded store is a [`Catalog`]: its index and, per app, its metadata and
//! the bytes of its files, each checked against the index's digest. An app
//! that breaks the format is left out with its reason in
//! [`Catalog::rejected`]; the others stay usable.
//!
//! `format.rs` (index.json, app.yml), `tree.rs` (loading a file tree),
//! `embedded.rs`, `remote.rs` (fetch, signature, cache), `import/`,
//! `search.rs`, `settings.rs`, `unpack.rs` (a store uploaded as one archive).

mod embedded;
mod format;
pub mod import;
mod library;
mod remote;
mod search;
mod settings;
mod tree;
mod unpack;

pub use embedded::{default_catalog, DEFAULT_CATALOG};
pub use format::{
    AppMeta, BackupHooks, DumpHook, ExecHook, Index, IndexEntry, MainService, ResourceSpec,
    Resources, Setting, SettingKind, ShareRequest, ShareUse, FORMAT, MIGRATION_PROFILE,
    PERMISSIONS,
};
pub use library::{Catalogs, RefreshOutcome, StoreInfo};
pub use remote::{fetch_remote, Fetched, RemoteSource, RemoteState};
pub use search::{AppSummary, SearchIndex};
pub use settings::{generate_secret, resolve_settings, Resolved};
pub use tree::{index_folder, load_archive, load_folder, sha256_hex, FileTree};

use std::collections::BTreeMap;
use std::path::Path;

use crate::{Error, Result};

/// One loaded store.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub name: String,
    pub index: Index,
    pub apps: BTreeMap<String, CatalogApp>,
    /// Apps left out, with why.
    pub rejected: Vec<(String, String)>,
}

/// One app of a store: its metadata and its files' bytes.
#[derive(Debug, Clone)]
pub struct CatalogApp {
    pub meta: AppMeta,
    /// File name relative to the app's folder → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Catalog {
    pub fn app(&self, id: &str) -> Option<&CatalogApp> {
        self.apps.get(id)
    }
}

impl CatalogApp {
    /// The app's compose file.
    pub fn compose(&self) -> &[u8] {
        self.files
            .get("compose.yml")
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Writes the app's files into `dir` (created), replacing what is there,
    /// so that `dir/compose.yml` can be installed.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        let _ = std::fs::remove_dir_all(dir);
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            let write = || -> std::io::Result<()> {
                std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
                std::fs::write(&path, bytes)
            };
            write().map_err(|cause| Error::Write {
                path: path.clone(),
                cause,
            })?;
        }
        Ok(())
    }
}
