//! The default store, compiled into the binary from the repository's
//! `catalog/` folder, so Berth has real apps to offer offline.

use std::path::Path;

use include_dir::{include_dir, Dir};

use super::tree::{from_tree, FileTree};
use super::Catalog;
use crate::Result;

static CATALOG_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../catalog");

/// The embedded store's name.
pub const DEFAULT_CATALOG: &str = "berth";

/// Loads the embedded default store.
pub fn default_catalog() -> Result<Catalog> {
    let mut tree = FileTree::new();
    collect(&CATALOG_DIR, &mut tree);
    let mut catalog = from_tree(tree, Path::new("(embedded catalog)"))?;
    catalog.name = DEFAULT_CATALOG.to_string();
    Ok(catalog)
}

fn collect(dir: &Dir<'_>, tree: &mut FileTree) {
    for file in dir.files() {
        tree.insert(
            file.path().to_string_lossy().into_owned(),
            file.contents().to_vec(),
        );
    }
    for sub in dir.dirs() {
        collect(sub, tree);
    }
}
