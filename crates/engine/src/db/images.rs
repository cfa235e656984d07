//! Images Berth has run for an app, and when it last saw each in use: what
//! image cleanup may consider (never an image Berth did not run itself).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{db_err, Database};
use crate::Result;

/// An image an app ran, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: String,
    /// The reference it was run as.
    pub reference: String,
    /// When Berth last saw an app (or a kept snapshot) need it, in ms.
    pub last_used: i64,
}

impl Database {
    /// Records that `id` (run as `reference`) is in use at `at`.
    pub fn touch_image(&self, id: &str, reference: &str, at: i64) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO images (id, reference, last_used) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET reference = ?2, last_used = MAX(last_used, ?3)",
                params![id, reference, at],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Every image Berth has run.
    pub fn images(&self) -> Result<Vec<ImageRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, reference, last_used FROM images ORDER BY last_used")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ImageRecord {
                    id: r.get(0)?,
                    reference: r.get(1)?,
                    last_used: r.get(2)?,
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Forgets an image (it was removed from the engine).
    pub fn forget_image(&self, id: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM images WHERE id = ?1", [id])
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }
}
