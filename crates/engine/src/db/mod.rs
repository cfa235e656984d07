//! The database: what the user asked for, kept in SQLite under the Berth
//! home — installed apps, the journal of every mutating operation, the app
//! stores added, users and sessions. (Named `db`, not "store", so it is not
//! taken for an app store.) Docker is the source of truth for what runs;
//! the database, for what should.
//!
//! WAL mode, versioned migrations (`PRAGMA user_version`). Every step of an
//! operation is journaled before it acts, so a restart can finish or undo it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

mod backups;
mod catalogs;
mod holds;
mod images;
mod shares;
mod users;

pub use catalogs::CatalogRecord;
pub use images::ImageRecord;
pub use shares::ShareRecord;
pub use users::{SessionOrigin, SessionRecord};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::model::Layout;
use crate::{Error, Result};

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE apps (
        id           TEXT PRIMARY KEY,
        source       TEXT NOT NULL,
        settings     TEXT NOT NULL,
        limits       TEXT NOT NULL,
        compose_hash TEXT NOT NULL,
        state        TEXT NOT NULL,
        installed_at INTEGER NOT NULL
    );
    CREATE TABLE operations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        app         TEXT NOT NULL,
        kind        TEXT NOT NULL,
        request     TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        outcome     TEXT,
        error       TEXT
    );
    CREATE TABLE journal (
        operation INTEGER NOT NULL REFERENCES operations(id),
        seq       INTEGER NOT NULL,
        step      TEXT NOT NULL,
        at        INTEGER NOT NULL,
        PRIMARY KEY (operation, seq)
    );
",
    "
    CREATE TABLE catalogs (
        name          TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        location      TEXT NOT NULL,
        key           TEXT,
        etag          TEXT,
        last_modified TEXT,
        sequence      INTEGER,
        refreshed_at  INTEGER,
        added_at      INTEGER NOT NULL
    );
    CREATE TABLE secrets (
        app   TEXT NOT NULL,
        name  TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (app, name)
    );
",
    "
    CREATE TABLE users (
        name       TEXT PRIMARY KEY,
        hash       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
",
    "
    CREATE TABLE images (
        id        TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        last_used INTEGER NOT NULL
    );
",
    // What the account page shows of each session: when it was last used,
    // and from which address and browser it logged in.
    "
    ALTER TABLE sessions ADD COLUMN last_used INTEGER;
    ALTER TABLE sessions ADD COLUMN address TEXT;
    ALTER TABLE sessions ADD COLUMN user_agent TEXT;
",
    // Shares: the server's named folders (Movies, Music…) apps may be given.
    "
    CREATE TABLE shares (
        name       TEXT PRIMARY KEY,
        path       TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
",
    // Why the storage guard holds an app (a share's drive absent); for each
    // share, the mount point its folder was on when added (the guard's test
    // of "present"), and whether it is exported over SMB (`read`, `write`).
    "
    ALTER TABLE apps ADD COLUMN held TEXT;
    ALTER TABLE shares ADD COLUMN mount TEXT;
    ALTER TABLE shares ADD COLUMN smb TEXT;
",
    // Each app's name on the proxy (`<name>.<domain>`), unique, chosen at
    // install; apps installed before get one made from their id when the
    // store is opened ([`Database::name_unnamed_apps`]). Whether only
    // people logged in to Berth may open it (`gate`).
    "
    ALTER TABLE apps ADD COLUMN name TEXT;
    ALTER TABLE apps ADD COLUMN gate INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX apps_by_name ON apps(name);
",
    // Migration 10 (9 is the dump helper's): whether an app's main web port
    // is published on the host (`host_port`); off, it is reached by name
    // through the proxy only.
    "
    ALTER TABLE apps ADD COLUMN host_port INTEGER NOT NULL DEFAULT 1;
",
];

/// An installed (or installing, or removing) app as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    pub id: String,
    /// Where the app came from (a compose file's path, later a catalog reference).
    pub source: String,
    /// Settings as JSON.
    pub settings: String,
    /// Limits as JSON.
    pub limits: String,
    pub compose_hash: String,
    /// `installing`, `installed` or `removing`.
    pub state: String,
    pub installed_at: i64,
    /// Its name on the proxy. Set by [`Database::set_app_name`] (an app
    /// recorded without one gets one from its id); [`Database::put_app`]
    /// keeps the recorded one.
    #[serde(default)]
    pub name: String,
    /// Only people logged in to Berth may open it through the proxy. Set by
    /// [`Database::set_app_gate`]; [`Database::put_app`] keeps it.
    #[serde(default)]
    pub gate: bool,
    /// Its main web port is published on the host (`http://server:PORT`);
    /// off, it is reached by name through the proxy only. Set by
    /// [`Database::set_app_host_port`]; [`Database::put_app`] keeps it.
    #[serde(default = "yes")]
    pub host_port: bool,
}

fn yes() -> bool {
    true
}

/// One operation and how it ended (`None` while unfinished).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationRecord {
    pub id: i64,
    pub app: String,
    /// `install` or `uninstall`.
    pub kind: String,
    /// The request, as JSON, so a restart can finish it.
    pub request: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `done`, `failed`, `rolled_back` or `completed_after_restart`.
    pub outcome: Option<String>,
    pub error: Option<String>,
    /// Steps journaled, in order.
    pub steps: Vec<String>,
}

/// The SQLite store of one Berth home. One connection, shared by the
/// daemon's concurrent operations behind a mutex (SQLite writes are serial anyway).
pub struct Database {
    db: Mutex<Connection>,
    path: PathBuf,
    /// Counts changes to the apps' records (bumped after each write), so
    /// the proxy can keep what a name leads to until it changes.
    apps_changes: std::sync::atomic::AtomicU64,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

impl Database {
    /// Opens (creating if needed) `<home>/berth.db` and migrates it.
    pub fn open(home: &Path) -> Result<Self> {
        std::fs::create_dir_all(home).map_err(|cause| Error::Write {
            path: home.to_path_buf(),
            cause,
        })?;
        let path = Layout::new(home).database();
        let conn = Connection::open(&path).map_err(|e| db_err(&path, e))?;
        // The store holds the apps' settings and generated secrets: its
        // owner only (root's when Berth runs as root).
        {
            use std::os::unix::fs::PermissionsExt;
            let private = |p: &Path, mode| {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(
                    |cause| Error::Write {
                        path: p.to_path_buf(),
                        cause,
                    },
                )
            };
            private(home, 0o700)?;
            private(&path, 0o600)?;
        }
        let store = Database {
            db: Mutex::new(conn),
            path,
            apps_changes: Default::default(),
        };
        store.configure()?;
        store.migrate()?;
        store.name_unnamed_apps()?;
        Ok(store)
    }

    /// How many times the apps' records have changed since the store was
    /// opened: what was read of them at one count holds while it stays.
    pub fn apps_changes(&self) -> u64 {
        self.apps_changes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Called after every write to the apps' records (also a failed one).
    pub(crate) fn apps_changed(&self) {
        self.apps_changes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every write is one statement or a transaction).
        self.db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn configure(&self) -> Result<()> {
        self.conn()
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| db_err(&self.path, e))?;
        self.conn()
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| db_err(&self.path, e))
    }

    fn migrate(&self) -> Result<()> {
        let version = self.schema_version()?;
        if version > MIGRATIONS.len() {
            return Err(Error::CorruptState {
                path: self.path.clone(),
                message: format!(
                    "it has schema version {version}, newer than this Berth knows ({})",
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let batch = format!("BEGIN; {sql} PRAGMA user_version = {}; COMMIT;", i + 1);
            self.conn()
                .execute_batch(&batch)
                .map_err(|e| db_err(&self.path, e))?;
        }
        Ok(())
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize> {
        let version: i64 = self
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db_err(&self.path, e))?;
        Ok(usize::try_from(version).unwrap_or_default())
    }

    /// Starts an operation; its first journal step is `begin`.
    pub fn begin_operation(&self, app: &str, kind: &str, request: &str) -> Result<i64> {
        let conn = self.conn();
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| db_err(&self.path, e))?;
        tx.execute(
            "INSERT INTO operations (app, kind, request, started_at) VALUES (?1, ?2, ?3, ?4)",
            params![app, kind, request, now_ms()],
        )
        .map_err(|e| db_err(&self.path, e))?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO journal (operation, seq, step, at) VALUES (?1, 0, 'begin', ?2)",
            params![id, now_ms()],
        )
        .map_err(|e| db_err(&self.path, e))?;
        tx.commit().map_err(|e| db_err(&self.path, e))?;
        Ok(id)
    }

    /// Journals `step` of operation `op` (durably, before the step acts).
    pub fn journal(&self, op: i64, step: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO journal (operation, seq, step, at)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM journal WHERE operation = ?1), ?2, ?3)",
                params![op, step, now_ms()],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Replaces the request of an operation (its plan, once complete).
    pub fn set_operation_request(&self, op: i64, request: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE operations SET request = ?2 WHERE id = ?1",
                params![op, request],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Records how operation `op` ended.
    pub fn finish_operation(&self, op: i64, outcome: &str, error: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE operations SET finished_at = ?2, outcome = ?3, error = ?4 WHERE id = ?1",
                params![op, now_ms(), outcome, error],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Records why an operation could not finish yet, leaving it unfinished
    /// so that reconcile settles it later.
    pub fn note_operation_error(&self, op: i64, error: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE operations SET error = ?2 WHERE id = ?1 AND outcome IS NULL",
                params![op, error],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Operations that never finished (a crash or kill interrupted them).
    pub fn unfinished_operations(&self) -> Result<Vec<OperationRecord>> {
        self.operations_where("outcome IS NULL", usize::MAX)
    }

    /// One operation, by id.
    pub fn operation(&self, id: i64) -> Result<Option<OperationRecord>> {
        Ok(self.operations_where(&format!("id = {id}"), 1)?.pop())
    }

    /// The most recent operations, newest first.
    pub fn recent_operations(&self, limit: usize) -> Result<Vec<OperationRecord>> {
        self.operations_where("1", limit)
    }

    /// The most recent operations of `app`, newest first.
    pub fn app_operations(&self, app: &str, limit: usize) -> Result<Vec<OperationRecord>> {
        // App ids are checked before anything is stored; quoted all the same.
        self.operations_where(&format!("app = '{}'", app.replace('\'', "''")), limit)
    }

    fn operations_where(&self, condition: &str, limit: usize) -> Result<Vec<OperationRecord>> {
        let sql = format!(
            "SELECT id, app, kind, request, started_at, finished_at, outcome, error FROM operations
             WHERE {condition} ORDER BY id DESC LIMIT ?1"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&sql).map_err(|e| db_err(&self.path, e))?;
            let rows = stmt
                .query_map([limit], |r| {
                    Ok(OperationRecord {
                        id: r.get(0)?,
                        app: r.get(1)?,
                        kind: r.get(2)?,
                        request: r.get(3)?,
                        started_at: r.get(4)?,
                        finished_at: r.get(5)?,
                        outcome: r.get(6)?,
                        error: r.get(7)?,
                        steps: Vec::new(),
                    })
                })
                .map_err(|e| db_err(&self.path, e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| db_err(&self.path, e))?;
            rows
        };
        rows.into_iter()
            .map(|mut op| {
                op.steps = self.steps(op.id)?;
                Ok(op)
            })
            .collect()
    }

    fn steps(&self, op: i64) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT step FROM journal WHERE operation = ?1 ORDER BY seq")
            .map_err(|e| db_err(&self.path, e))?;
        let steps = stmt
            .query_map([op], |r| r.get(0))
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(steps)
    }

    /// Records an app (insert or replace), keeping its name and gate when
    /// it is recorded already; a new app gets a name from its id.
    pub fn put_app(&self, app: &AppRecord) -> Result<()> {
        let written = self
            .conn()
            .execute(
                "INSERT INTO apps (id, source, settings, limits, compose_hash, state, installed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET source = excluded.source, settings = excluded.settings,
                   limits = excluded.limits, compose_hash = excluded.compose_hash,
                   state = excluded.state, installed_at = excluded.installed_at",
                params![app.id, app.source, app.settings, app.limits, app.compose_hash, app.state, app.installed_at],
            )
            .map_err(|e| db_err(&self.path, e));
        self.apps_changed();
        written?;
        self.name_unnamed_apps()
    }

    /// Gives every app recorded without a name one: its id when that is a
    /// valid name no other app has, else one made from it (`my_app` →
    /// `my-app`, then `my-app-2`…), oldest app first. Nothing else changes.
    pub fn name_unnamed_apps(&self) -> Result<()> {
        use crate::proxy::{name_from_id, unique_name, valid_app_name};
        let conn = self.conn();
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| db_err(&self.path, e))?;
        let (mut taken, unnamed) = {
            let mut stmt = tx
                .prepare("SELECT id, name FROM apps ORDER BY installed_at, id")
                .map_err(|e| db_err(&self.path, e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(|e| db_err(&self.path, e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| db_err(&self.path, e))?;
            let taken: std::collections::HashSet<String> =
                rows.iter().filter_map(|(_, n)| n.clone()).collect();
            let unnamed: Vec<String> = rows
                .into_iter()
                .filter(|(_, n)| n.is_none())
                .map(|(id, _)| id)
                .collect();
            (taken, unnamed)
        };
        if unnamed.is_empty() {
            return Ok(());
        }
        // Ids that are names already keep them before any other takes them.
        let mut named = Vec::new();
        for id in &unnamed {
            if valid_app_name(id) && !taken.contains(id) {
                taken.insert(id.clone());
                named.push((id.clone(), id.clone()));
            }
        }
        for id in &unnamed {
            if named.iter().any(|(i, _)| i == id) {
                continue;
            }
            let name = unique_name(&name_from_id(id), |n| taken.contains(n));
            taken.insert(name.clone());
            named.push((id.clone(), name));
        }
        for (id, name) in named {
            tx.execute("UPDATE apps SET name = ?2 WHERE id = ?1", params![id, name])
                .map_err(|e| db_err(&self.path, e))?;
        }
        let committed = tx.commit().map_err(|e| db_err(&self.path, e));
        self.apps_changed();
        committed
    }

    /// The app named `name` (its name on the proxy, not its id).
    pub fn app_by_name(&self, name: &str) -> Result<Option<AppRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {APP_COLUMNS} FROM apps WHERE name = ?1"),
                [name],
                app_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Names app `id` `name` (checked: a valid name no other app has).
    pub fn set_app_name(&self, id: &str, name: &str) -> Result<()> {
        crate::proxy::check_app_name(name)?;
        if let Some(other) = self.app_by_name(name)?.filter(|a| a.id != id) {
            return Err(Error::NameTaken {
                name: name.to_string(),
                app: other.id,
            });
        }
        let changed = self
            .conn()
            .execute("UPDATE apps SET name = ?2 WHERE id = ?1", params![id, name]);
        self.apps_changed();
        let changed = changed.map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Error::NameTaken {
                    name: name.to_string(),
                    app: "another app".into(),
                }
            }
            e => db_err(&self.path, e),
        })?;
        if changed == 0 {
            return Err(Error::NotInstalled {
                app: id.to_string(),
            });
        }
        Ok(())
    }

    /// Turns app `id`'s login gate on or off.
    pub fn set_app_gate(&self, id: &str, gate: bool) -> Result<()> {
        let changed = self
            .conn()
            .execute("UPDATE apps SET gate = ?2 WHERE id = ?1", params![id, gate]);
        self.apps_changed();
        let changed = changed.map_err(|e| db_err(&self.path, e))?;
        if changed == 0 {
            return Err(Error::NotInstalled {
                app: id.to_string(),
            });
        }
        Ok(())
    }

    /// Publishes app `id`'s main web port on the host, or not.
    pub fn set_app_host_port(&self, id: &str, host_port: bool) -> Result<()> {
        let changed = self.conn().execute(
            "UPDATE apps SET host_port = ?2 WHERE id = ?1",
            params![id, host_port],
        );
        self.apps_changed();
        let changed = changed.map_err(|e| db_err(&self.path, e))?;
        if changed == 0 {
            return Err(Error::NotInstalled {
                app: id.to_string(),
            });
        }
        Ok(())
    }

    /// Changes an app's state.
    pub fn set_app_state(&self, id: &str, state: &str) -> Result<()> {
        let written = self.conn().execute(
            "UPDATE apps SET state = ?2 WHERE id = ?1",
            params![id, state],
        );
        self.apps_changed();
        written.map(drop).map_err(|e| db_err(&self.path, e))
    }

    /// Forgets an app.
    pub fn delete_app(&self, id: &str) -> Result<()> {
        let written = self.conn().execute("DELETE FROM apps WHERE id = ?1", [id]);
        self.apps_changed();
        written.map(drop).map_err(|e| db_err(&self.path, e))
    }

    pub fn app(&self, id: &str) -> Result<Option<AppRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {APP_COLUMNS} FROM apps WHERE id = ?1"),
                [id],
                app_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn apps(&self) -> Result<Vec<AppRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {APP_COLUMNS} FROM apps ORDER BY id"))
            .map_err(|e| db_err(&self.path, e))?;
        let apps = stmt
            .query_map([], app_row)
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(apps)
    }
}

/// What [`app_row`] reads, in its order.
const APP_COLUMNS: &str =
    "id, source, settings, limits, compose_hash, state, installed_at, COALESCE(name, ''), gate, host_port";

fn app_row(r: &rusqlite::Row) -> rusqlite::Result<AppRecord> {
    Ok(AppRecord {
        name: r.get(7)?,
        gate: r.get(8)?,
        host_port: r.get(9)?,
        id: r.get(0)?,
        source: r.get(1)?,
        settings: r.get(2)?,
        limits: r.get(3)?,
        compose_hash: r.get(4)?,
        state: r.get(5)?,
        installed_at: r.get(6)?,
    })
}

fn db_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::Database {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("berth-store-{}-{name}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        dir
    }

    #[test]
    fn migrates_once_and_keeps_data_across_reopen() {
        let dir = home("reopen");
        let store = Database::open(&dir).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        let app = AppRecord {
            id: "a".into(),
            source: "/x/compose.yml".into(),
            settings: "{}".into(),
            limits: "{}".into(),
            compose_hash: "h".into(),
            state: "installed".into(),
            installed_at: 1,
            name: String::new(),
            gate: false,
            host_port: true,
        };
        store.put_app(&app).unwrap();
        let op = store.begin_operation("a", "install", "{}").unwrap();
        store.journal(op, "render").unwrap();
        drop(store);
        let store = Database::open(&dir).unwrap();
        let named = AppRecord {
            name: "a".into(),
            ..app
        };
        assert_eq!(store.app("a").unwrap(), Some(named));
        let unfinished = store.unfinished_operations().unwrap();
        assert_eq!(unfinished.len(), 1);
        assert_eq!(unfinished[0].steps, ["begin", "render"]);
        store.finish_operation(op, "done", None).unwrap();
        assert!(store.unfinished_operations().unwrap().is_empty());
        assert_eq!(
            store.recent_operations(10).unwrap()[0].outcome.as_deref(),
            Some("done")
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// A store at schema 7 (before apps had names) with these app ids.
    fn store_before_names(dir: &Path, ids: &[&str]) {
        std::fs::create_dir_all(dir).unwrap();
        let conn = Connection::open(Layout::new(dir).database()).unwrap();
        for sql in &MIGRATIONS[..7] {
            conn.execute_batch(sql).unwrap();
        }
        for (at, id) in ids.iter().enumerate() {
            conn.execute(
                "INSERT INTO apps (id, source, settings, limits, compose_hash, state, installed_at)
                 VALUES (?1, 's', '{}', '{}', 'h', 'installed', ?2)",
                params![id, at as i64],
            )
            .unwrap();
        }
        conn.execute_batch("PRAGMA user_version = 7").unwrap();
    }

    #[test]
    fn apps_installed_before_names_get_unique_names_from_their_ids() {
        let dir = home("names");
        store_before_names(&dir, &["my_app", "jellyfin", "my-app", "berth", "www_"]);
        let store = Database::open(&dir).unwrap();
        let name = |id: &str| store.app(id).unwrap().unwrap().name;
        // An id that is a name keeps it, even when an older app's id makes the same.
        assert_eq!(name("my-app"), "my-app");
        assert_eq!(name("my_app"), "my-app-2");
        assert_eq!(name("jellyfin"), "jellyfin");
        assert_eq!(name("berth"), "berth-app");
        assert_eq!(name("www_"), "www-app");
        // Nothing else changed.
        let app = store.app("my_app").unwrap().unwrap();
        assert_eq!(
            (app.source.as_str(), app.state.as_str()),
            ("s", "installed")
        );
        assert!(!app.gate);
        // What the proxy keeps of a name holds until the apps change.
        let cache = crate::proxy::AppsByName::default();
        let found = cache.app(&store, "my-app").unwrap().unwrap();
        assert_eq!(found.id, "my-app");
        assert!(!found.gate);
        store.set_app_gate("my-app", true).unwrap();
        assert!(
            cache.app(&store, "my-app").unwrap().unwrap().gate,
            "a gate counts at once"
        );
        store.set_app_name("my-app", "renamed").unwrap();
        assert!(
            cache.app(&store, "my-app").unwrap().is_none(),
            "a rename counts at once"
        );
        assert_eq!(cache.app(&store, "renamed").unwrap().unwrap().id, "my-app");
        store.set_app_host_port("my-app", false).unwrap();
        assert!(!cache.app(&store, "renamed").unwrap().unwrap().host_port);
        store.set_app_name("my-app", "my-app").unwrap();
        // Names stay across reopening.
        drop(store);
        let store = Database::open(&dir).unwrap();
        assert_eq!(store.app("my_app").unwrap().unwrap().name, "my-app-2");
        assert_eq!(store.app_by_name("my-app-2").unwrap().unwrap().id, "my_app");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn renames_are_checked_and_kept_by_put_app() {
        let dir = home("rename");
        store_before_names(&dir, &["a", "b"]);
        let store = Database::open(&dir).unwrap();
        store.set_app_name("a", "wiki").unwrap();
        store.set_app_gate("a", true).unwrap();
        let err = store.set_app_name("b", "wiki").unwrap_err();
        assert!(
            matches!(err, Error::NameTaken { ref app, .. } if app == "a"),
            "{err}"
        );
        assert!(err.to_string().contains("taken by the app a"), "{err}");
        let err = store.set_app_name("b", "Wiki!").unwrap_err().to_string();
        assert!(err.contains("lowercase letters"), "{err}");
        assert!(store.set_app_name("b", "berth").is_err());
        assert_eq!(store.app("b").unwrap().unwrap().name, "b", "unchanged");
        assert!(matches!(
            store.set_app_name("nope", "x"),
            Err(Error::NotInstalled { .. })
        ));
        // Renaming to its own name is no change, not a conflict.
        store.set_app_name("a", "wiki").unwrap();
        // An update or a restore records the app again: name and gate stay.
        let mut record = store.app("a").unwrap().unwrap();
        record.compose_hash = "new".into();
        record.name = String::new();
        record.gate = false;
        store.put_app(&record).unwrap();
        let again = store.app("a").unwrap().unwrap();
        assert_eq!(
            (again.name.as_str(), again.gate, again.compose_hash.as_str()),
            ("wiki", true, "new")
        );
        // So does its host port setting; apps recorded before it have one.
        assert!(
            again.host_port,
            "apps from before migration 10 keep their port"
        );
        store.set_app_host_port("a", false).unwrap();
        let mut record = store.app("a").unwrap().unwrap();
        record.host_port = true;
        store.put_app(&record).unwrap();
        assert!(!store.app("a").unwrap().unwrap().host_port);
        assert!(
            store.app_by_name("a").unwrap().is_none(),
            "the old name is free"
        );
        // A new app whose id is taken as a name gets another.
        store.set_app_name("b", "c").unwrap();
        store
            .put_app(&AppRecord {
                id: "c".into(),
                name: String::new(),
                gate: false,
                host_port: true,
                ..record
            })
            .unwrap();
        assert_eq!(store.app("c").unwrap().unwrap().name, "c-2");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = home("newer");
        drop(Database::open(&dir).unwrap());
        let conn = Connection::open(Layout::new(&dir).database()).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(conn);
        let err = Database::open(&dir).err().unwrap().to_string();
        assert!(err.contains("newer than this Berth knows"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
