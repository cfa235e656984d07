//! Shares as recorded: a name and the folder it stands for. Forgetting a
//! share never touches its folder.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{db_err, now_ms, Database};
use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    pub name: String,
    pub path: String,
    pub created_at: i64,
    /// The mount point its folder was on when added (`/` for the system
    /// disk): the storage guard's test that its drive is present.
    pub mount: Option<String>,
    /// Exported over SMB: `read`, `write`, or not (`None`).
    pub smb: Option<String>,
}

const COLUMNS: &str = "name, path, created_at, mount, smb";

fn record(r: &rusqlite::Row) -> rusqlite::Result<ShareRecord> {
    Ok(ShareRecord {
        name: r.get(0)?,
        path: r.get(1)?,
        created_at: r.get(2)?,
        mount: r.get(3)?,
        smb: r.get(4)?,
    })
}

impl Database {
    /// Every share, by name.
    pub fn shares(&self) -> Result<Vec<ShareRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM shares ORDER BY name COLLATE NOCASE"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], record)
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    pub fn share(&self, name: &str) -> Result<Option<ShareRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM shares WHERE name = ?1 COLLATE NOCASE"),
                [name],
                record,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Records a share; false when one of that name (in any case) exists.
    pub fn add_share(&self, name: &str, path: &str, mount: Option<&str>) -> Result<bool> {
        if self.share(name)?.is_some() {
            return Ok(false);
        }
        self.conn()
            .execute(
                "INSERT INTO shares (name, path, created_at, mount) VALUES (?1, ?2, ?3, ?4)",
                params![name, path, now_ms(), mount],
            )
            .map(|n| n == 1)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Sets how a share is offered over SMB (`None`: not); false when there is no such share.
    pub fn set_share_smb(&self, name: &str, smb: Option<&str>) -> Result<bool> {
        self.conn()
            .execute(
                "UPDATE shares SET smb = ?2 WHERE name = ?1 COLLATE NOCASE",
                params![name, smb],
            )
            .map(|n| n == 1)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Forgets a share (its folder stays); false when there was none.
    pub fn remove_share(&self, name: &str) -> Result<bool> {
        self.conn()
            .execute("DELETE FROM shares WHERE name = ?1 COLLATE NOCASE", [name])
            .map(|n| n == 1)
            .map_err(|e| db_err(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_kept_by_name_in_any_case() {
        let dir = std::env::temp_dir().join(format!("berth-db-shares-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Database::open(&dir).unwrap();
        assert!(db.add_share("Movies", "/srv/movies", Some("/srv")).unwrap());
        assert!(
            !db.add_share("movies", "/elsewhere", None).unwrap(),
            "one name, any case"
        );
        assert!(db.add_share("Music", "/srv/music", None).unwrap());
        let names: Vec<_> = db.shares().unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["Movies", "Music"]);
        let movies = db.share("MOVIES").unwrap().unwrap();
        assert_eq!(movies.path, "/srv/movies");
        assert_eq!(movies.mount.as_deref(), Some("/srv"));
        assert!(db.remove_share("movies").unwrap());
        assert!(!db.remove_share("movies").unwrap());
        std::fs::remove_dir_all(&dir).ok();
    }
}
