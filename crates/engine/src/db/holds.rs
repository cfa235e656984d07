//! The storage guard's holds: an app kept stopped while a share's drive
//! (or its data disk) is absent, and why; started again when it is back.

use rusqlite::{params, OptionalExtension};

use super::{db_err, Database};
use crate::Result;

impl Database {
    /// Holds `app` for `reason` (`None`: lets it go).
    pub fn set_held(&self, app: &str, reason: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE apps SET held = ?2 WHERE id = ?1",
                params![app, reason],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Why `app` is held, if it is.
    pub fn held(&self, app: &str) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT held FROM apps WHERE id = ?1", [app], |r| r.get(0))
            .optional()
            .map(Option::flatten)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Whether the user last meant `app` to run: its last install, update,
    /// rollback, start or restart is newer than its last stop.
    pub fn meant_to_run(&self, app: &str) -> Result<bool> {
        let kind: Option<String> = self
            .conn()
            .query_row(
                "SELECT kind FROM operations WHERE app = ?1
                 AND kind IN ('install', 'update', 'rollback', 'start', 'restart', 'stop')
                 ORDER BY id DESC LIMIT 1",
                [app],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(kind.is_some_and(|k| k != "stop"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::AppRecord;
    use super::*;

    #[test]
    fn a_hold_is_kept_until_let_go_and_intent_follows_the_last_power_operation() {
        let dir = std::env::temp_dir().join(format!("berth-db-holds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Database::open(&dir).unwrap();
        db.put_app(&AppRecord {
            id: "media".into(),
            source: "x".into(),
            settings: "{}".into(),
            limits: "{}".into(),
            compose_hash: String::new(),
            state: "installed".into(),
            installed_at: 0,
            name: String::new(),
            gate: false,
            host_port: true,
        })
        .unwrap();
        assert_eq!(db.held("media").unwrap(), None);
        db.set_held("media", Some("Movies (drive not present)"))
            .unwrap();
        assert_eq!(
            db.held("media").unwrap().as_deref(),
            Some("Movies (drive not present)")
        );
        db.set_held("media", None).unwrap();
        assert_eq!(db.held("media").unwrap(), None);

        assert!(!db.meant_to_run("media").unwrap(), "nothing done yet");
        let op = db.begin_operation("media", "install", "{}").unwrap();
        db.finish_operation(op, "done", None).unwrap();
        assert!(db.meant_to_run("media").unwrap());
        db.begin_operation("media", "stop", "{}").unwrap();
        assert!(!db.meant_to_run("media").unwrap());
        db.begin_operation("media", "limits", "{}").unwrap();
        assert!(!db.meant_to_run("media").unwrap(), "limits say nothing");
        db.begin_operation("media", "start", "{}").unwrap();
        assert!(db.meant_to_run("media").unwrap());
        std::fs::remove_dir_all(&dir).ok();
    }
}
