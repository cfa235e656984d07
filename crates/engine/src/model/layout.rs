//! The Berth home's file layout: the one place that names its files.
//!
//! ```text
//! <home>/berth.db                   the store
//! <home>/ports.json                 the ports chosen for apps
//! <home>/http.addr                  where `berth serve` answers HTTP
//! <home>/catalogs/<name>/           a remote app store's cache
//! <home>/disks/                     the disk images capping apps' data
//! <home>/snapshots/<app>/<id>/      a snapshot: a copy of the app folder
//! <home>/apps/<app>/                the app folder:
//!     compose.yml                   the rendered file Berth runs
//!     app/                          the app store's files for the app
//!     data/                         the app's data
//!     source/<digest>/compose.yml   a compose file given as text (pasted in the web UI), one folder per version
//!     compose.next.yml, compose.migrate.yml, app.next/   an update, staged
//! ```

use std::path::{Path, PathBuf};

/// Where everything lives under one Berth home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    home: PathBuf,
}

impl Layout {
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Layout { home: home.into() }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The store's database.
    pub fn database(&self) -> PathBuf {
        self.home.join("berth.db")
    }

    /// The port allocator's record.
    pub fn ports_file(&self) -> PathBuf {
        self.home.join("ports.json")
    }

    /// Where the daemon writes the address it serves HTTP on.
    pub fn http_addr(&self) -> PathBuf {
        self.home.join("http.addr")
    }

    /// What Berth keeps of the added store `name` itself (a remote store's
    /// cache, an uploaded store unpacked); it goes when the store is removed.
    pub fn catalog_cache(&self, name: &str) -> PathBuf {
        self.home.join("catalogs").join(name)
    }

    /// The disk images that cap apps' data folders.
    /// Where the default shares' folders are made: `<home>/shares`.
    pub fn shares_root(&self) -> PathBuf {
        self.home.join("shares")
    }

    pub fn disks_dir(&self) -> PathBuf {
        self.home.join("disks")
    }

    /// Where every app's snapshots are kept.
    pub fn snapshots_root(&self) -> PathBuf {
        self.home.join("snapshots")
    }

    /// Where `app`'s snapshots are kept, one folder each.
    pub fn snapshots_dir(&self, app: &str) -> PathBuf {
        self.snapshots_root().join(app)
    }

    /// The folder of `app`: its rendered file, store files and data.
    pub fn app_dir(&self, app: &str) -> PathBuf {
        app_dir(&self.home, app)
    }

    /// The rendered compose file Berth runs for `app`.
    pub fn rendered_compose(&self, app: &str) -> PathBuf {
        Self::compose_in(&self.app_dir(app))
    }

    /// `app`'s data folder.
    pub fn data_dir(&self, app: &str) -> PathBuf {
        Self::data_in(&self.app_dir(app))
    }

    /// The app store's files for `app` (its `app.yml`, icons, shipped files).
    pub fn store_files(&self, app: &str) -> PathBuf {
        Self::store_files_in(&self.app_dir(app))
    }

    /// The compose files of `app` given as text rather than as a path:
    /// outside its data folder, so the app cannot reach them without a
    /// severe finding the user must consent to.
    pub fn sources_dir(&self, app: &str) -> PathBuf {
        self.app_dir(app).join("source")
    }

    /// One version of `app`'s compose text, in a folder of its own named by
    /// its digest: a new version never overwrites one that a snapshot (and
    /// so a rollback) still names, and nothing else sits beside it to be
    /// included or read as its `.env`.
    pub fn source_file(&self, app: &str, digest: &str) -> PathBuf {
        self.sources_dir(app).join(digest).join("compose.yml")
    }

    /// An update's new rendered file, before it replaces the running one.
    pub fn staged_compose(&self, app: &str) -> PathBuf {
        self.app_dir(app).join("compose.next.yml")
    }

    /// An update's new version rendered with its migration service.
    pub fn migration_compose(&self, app: &str) -> PathBuf {
        self.app_dir(app).join("compose.migrate.yml")
    }

    /// An update's new store files, before they replace the current ones.
    pub fn staged_store_files(&self, app: &str) -> PathBuf {
        self.app_dir(app).join("app.next")
    }

    /// The rendered compose file in an app folder (or a snapshot of one).
    pub fn compose_in(app_dir: &Path) -> PathBuf {
        app_dir.join("compose.yml")
    }

    /// The data folder in an app folder (or a snapshot of one).
    pub fn data_in(app_dir: &Path) -> PathBuf {
        app_dir.join("data")
    }

    /// The store files in an app folder (or a snapshot of one).
    pub fn store_files_in(app_dir: &Path) -> PathBuf {
        app_dir.join("app")
    }

    /// The home an app folder is in, for a path laid out as `<home>/apps/<app>`.
    pub fn home_of(app_dir: &Path) -> Option<&Path> {
        app_dir.parent().and_then(Path::parent)
    }
}

/// The folder of app `app` under the Berth home `home`.
pub fn app_dir(home: &Path, app: &str) -> PathBuf {
    home.join("apps").join(app)
}
