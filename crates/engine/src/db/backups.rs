//! The journal's `backup` operations, read for the backup schedule and its
//! status (`crate::backup::schedule`): they survive restarts.

use super::{db_err, Database};
use crate::backup::schedule::Attempt;
use crate::Result;

impl Database {
    /// The last `limit` backups of `app`, newest first: running, done or not.
    pub fn backup_attempts(&self, app: &str, limit: usize) -> Result<Vec<Attempt>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, started_at, finished_at, outcome, error FROM operations
                 WHERE kind = 'backup' AND app = ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(rusqlite::params![app, limit], |r| {
                Ok(Attempt {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    outcome: r.get(3)?,
                    error: r.get(4)?,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_apps_backups_are_read_newest_first_with_their_outcomes() {
        let home = std::env::temp_dir().join(format!("berth-db-backups-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let db = Database::open(&home).unwrap();
        let a = db.begin_operation("media", "backup", "{}").unwrap();
        db.finish_operation(a, "failed", Some("no target")).unwrap();
        db.begin_operation("media", "update", "{}").unwrap();
        db.begin_operation("notes", "backup", "{}").unwrap();
        let b = db.begin_operation("media", "backup", "{}").unwrap();
        let got = db.backup_attempts("media", 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].id, got[0].outcome.as_deref()), (b, None));
        assert_eq!(got[1].outcome.as_deref(), Some("failed"));
        assert_eq!(got[1].error.as_deref(), Some("no target"));
        assert!(got[1].finished_at.is_some());
        let _ = std::fs::remove_dir_all(&home);
    }
}
