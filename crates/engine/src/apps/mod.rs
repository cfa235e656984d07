//! Apps: installing and uninstalling as journaled operations. Each step is
//! written to the store before it acts; after a crash, [`Apps::reconcile`]
//! rolls an interrupted install back and finishes an interrupted uninstall,
//! so the host ends with the whole app or none of it — and never loses data
//! it was not told to delete.
//!
//! `install.rs`, `uninstall.rs`, `power.rs` (start/stop/restart),
//! `update.rs` (update and rollback), `limits.rs` (limits changed live),
//! `disk.rs` (disk caps), `reconcile.rs`: a file per operation;
//! `snapshot.rs` keeps the copies an update can return to; `diagnose.rs`
//! writes the redacted bundle a bug report needs.

mod backup;
mod backup_copy;
mod backup_files;
mod check;
mod diagnose;
mod disk;
mod from_catalog;
mod images;
mod install;
mod limits;
mod power;
mod reconcile;
mod restore;
mod shares;
mod snapshot;
mod uninstall;
mod update;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalogs;
use crate::db::Database;
use crate::lifecycle::Engine;
use crate::model::Layout;
use crate::model::Step;
use crate::rewrite::{HostSettings, PortAllocator};
use crate::{Error, Result};

pub use backup::{BackupManifest, BackupPlan, BackupReport};
pub use backup_files::{FilesPlan, FilesRestored};
pub use check::{catalog_images, newer, AppUpdate};
pub use diagnose::{DiagnoseReport, REDACTED};
pub use disk::{DiskCapReport, DiskChange, DiskPlan, DiskUsage, MIN_DISK_CAP};
pub use from_catalog::{CatalogInstall, OpenAddress};
pub use images::{parse_age, PruneOptions, PruneReport, PrunedImage};
pub use install::InstallRequest;
pub use limits::{LimitsBegun, LimitsReport, ServiceLimitsApplied};
pub use power::Power;
pub use restore::RestorePlan;
pub use shares::SharesPlan;
pub use snapshot::{free_space, human_bytes, snapshots_to_keep, Snapshot, Tally};
pub use uninstall::UninstallOptions;
pub use update::{store_source, UpdatePlan, UpdateTarget};

/// Test-only: abort the process at this step boundary (1 = right after the
/// first journal entry), to prove crash safety. Read only in builds with the
/// `test-hooks` feature (Berth's own tests), so no release build can be
/// made to abort by its environment.
const ABORT_AT_ENV: &str = "BERTH_TEST_ABORT_AT";

/// The apps of one Berth home: its store, its ports, the Docker engine.
pub struct Apps {
    layout: Layout,
    db: Database,
    engine: Engine,
    host: HostSettings,
    catalogs: Catalogs,
    /// App → (rendered file's hash, where "Open" goes).
    open_cache: std::sync::Mutex<std::collections::HashMap<String, (String, Option<OpenAddress>)>>,
    boundaries: AtomicU32,
    abort_at: Option<u32>,
}

/// What an operation reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Progress {
    /// A step began.
    Step { operation: i64, step: Step },
    /// Image download progress.
    Pull {
        image: String,
        layer: Option<String>,
        current: Option<i64>,
        total: Option<i64>,
    },
    /// A service changed state.
    Service { service: String, state: String },
}

impl Apps {
    /// Opens the home's database; call [`Apps::reconcile`] before serving requests.
    pub fn open(home: &Path, engine: Engine, host: HostSettings) -> Result<Self> {
        let db = Database::open(home)?;
        let catalogs = Catalogs::open(home, &db)?;
        let abort_at = if cfg!(feature = "test-hooks") {
            std::env::var(ABORT_AT_ENV)
                .ok()
                .and_then(|v| v.parse().ok())
        } else {
            None
        };
        Ok(Apps {
            layout: Layout::new(home),
            db,
            engine,
            host,
            catalogs,
            open_cache: Default::default(),
            boundaries: AtomicU32::new(0),
            abort_at,
        })
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The home's app stores.
    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn home(&self) -> &Path {
        self.layout.home()
    }

    /// The facts about this host every app is rendered with.
    pub fn host(&self) -> &HostSettings {
        &self.host
    }

    /// The rendered compose file Berth runs for `app`.
    pub fn compose_file(&self, app: &str) -> PathBuf {
        self.layout.rendered_compose(app)
    }

    fn ports(&self) -> Result<PortAllocator> {
        PortAllocator::open(&self.layout.ports_file())
    }

    /// A step boundary: where a test may kill the process.
    fn boundary(&self) {
        let n = self.boundaries.fetch_add(1, Ordering::SeqCst) + 1;
        if self.abort_at == Some(n) {
            eprintln!("{ABORT_AT_ENV}={n}: aborting at this step boundary");
            std::process::abort();
        }
    }

    /// The record of `app`, which must be installed and idle: not installing,
    /// updating or being removed.
    fn installed_record(&self, app: &str) -> Result<crate::db::AppRecord> {
        let record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        if record.state != "installed" {
            return Err(Error::InTransition {
                app: app.to_string(),
                state: record.state,
            });
        }
        Ok(record)
    }

    /// The plan an operation journaled as its request, read back to settle it.
    fn journaled_plan<T: serde::de::DeserializeOwned>(
        &self,
        op: &crate::db::OperationRecord,
    ) -> Result<T> {
        serde_json::from_str(&op.request).map_err(|e| Error::CorruptState {
            path: self.layout.database(),
            message: format!("operation {} has an unreadable plan: {e}", op.id),
        })
    }

    /// Journals `step`, runs it, and marks the boundaries on both sides.
    async fn step<T>(
        &self,
        op: i64,
        name: Step,
        progress: &mut (dyn FnMut(Progress) + Send),
        action: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        self.enter(op, name, progress)?;
        let out = action.await?;
        self.boundary();
        Ok(out)
    }

    /// Journals `step` and reports it: the first half of [`Apps::step`], for
    /// steps whose action reports progress itself.
    fn enter(
        &self,
        op: i64,
        name: Step,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        self.db.journal(op, name.as_str())?;
        self.boundary();
        progress(Progress::Step {
            operation: op,
            step: name,
        });
        Ok(())
    }

    /// Undoes what an install may have done, keeping data: containers and
    /// networks go, the record and port choices are forgotten, the rendered
    /// file removed; named volumes and the data folder stay.
    async fn roll_back_install(&self, app: &str) -> Result<()> {
        self.engine.down(app, Default::default()).await?;
        self.forget(app)
    }

    /// Drops the store record, the ports, the rendered file and the store's
    /// copy of the app's files (never its data).
    fn forget(&self, app: &str) -> Result<()> {
        self.db.delete_app(app)?;
        let _ = std::fs::remove_dir_all(self.layout.store_files(app));
        let mut ports = self.ports()?;
        ports.release_app(app);
        ports.save()?;
        match std::fs::remove_file(self.compose_file(app)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write {
                path: self.compose_file(app),
                cause: e,
            }),
            _ => Ok(()),
        }
    }
}
