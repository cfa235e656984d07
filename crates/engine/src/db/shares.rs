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
}

impl Database {
    /// Every share, by name.
    pub fn shares(&self) -> Result<Vec<ShareRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT name, path, created_at FROM shares ORDER BY name COLLATE NOCASE")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ShareRecord {
                    name: r.get(0)?,
                    path: r.get(1)?,
                    created_at: r.get(2)?,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    pub fn share(&self, name: &str) -> Result<Option<ShareRecord>> {
        self.conn()
            .query_row(
                "SELECT name, path, created_at FROM shares WHERE name = ?1 COLLATE NOCASE",
                [name],
                |r| {
                    Ok(ShareRecord {
                        name: r.get(0)?,
                        path: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    /// Records a share; false when one of that name (in any case) exists.
    pub fn add_share(&self, name: &str, path: &str) -> Result<bool> {
        if self.share(name)?.is_some() {
            return Ok(false);
        }
        self.conn()
            .execute(
                "INSERT INTO shares (name, path, created_at) VALUES (?1, ?2, ?3)",
                params![name, path, now_ms()],
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
        assert!(db.add_share("Movies", "/srv/movies").unwrap());
        assert!(
            !db.add_share("movies", "/elsewhere").unwrap(),
            "one name, any case"
        );
        assert!(db.add_share("Music", "/srv/music").unwrap());
        let names: Vec<_> = db.shares().unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["Movies", "Music"]);
        assert_eq!(db.share("MOVIES").unwrap().unwrap().path, "/srv/movies");
        assert!(db.remove_share("movies").unwrap());
        assert!(!db.remove_share("movies").unwrap());
        std::fs::remove_dir_all(&dir).ok();
    }
}
