//! The stores a home has added, what Berth remembers of each remote one,
//! and the secrets generated for apps.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{db_err, now_ms, Database};
use crate::Result;

/// A store added to this home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogRecord {
    pub name: String,
    /// `remote`, `folder`, `archive`, `casaos` or `umbrel`.
    pub kind: String,
    /// URL or path.
    pub location: String,
    /// minisign public key (remote stores).
    pub key: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sequence: Option<u64>,
    pub refreshed_at: Option<i64>,
    pub added_at: i64,
}

fn catalog_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogRecord> {
    Ok(CatalogRecord {
        name: r.get(0)?,
        kind: r.get(1)?,
        location: r.get(2)?,
        key: r.get(3)?,
        etag: r.get(4)?,
        last_modified: r.get(5)?,
        sequence: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
        refreshed_at: r.get(7)?,
        added_at: r.get(8)?,
    })
}

const COLUMNS: &str =
    "name, kind, location, key, etag, last_modified, sequence, refreshed_at, added_at";

impl Database {
    /// Records a store (insert or replace).
    pub fn put_catalog(&self, c: &CatalogRecord) -> Result<()> {
        self.conn()
            .execute(
                &format!("INSERT OR REPLACE INTO catalogs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    c.name,
                    c.kind,
                    c.location,
                    c.key,
                    c.etag,
                    c.last_modified,
                    c.sequence.map(|s| s as i64),
                    c.refreshed_at,
                    if c.added_at == 0 { now_ms() } else { c.added_at }
                ],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn delete_catalog(&self, name: &str) -> Result<bool> {
        self.conn()
            .execute("DELETE FROM catalogs WHERE name = ?1", [name])
            .map(|n| n > 0)
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn catalog(&self, name: &str) -> Result<Option<CatalogRecord>> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM catalogs WHERE name = ?1"),
                [name],
                catalog_row,
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn catalogs(&self) -> Result<Vec<CatalogRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM catalogs ORDER BY added_at, name"
            ))
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([], catalog_row)
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Keeps secrets generated for `app` (existing names are not replaced:
    /// a secret, once made, stays what the app's data was set up with).
    pub fn add_secrets(&self, app: &str, secrets: &BTreeMap<String, String>) -> Result<()> {
        let conn = self.conn();
        for (name, value) in secrets {
            conn.execute(
                "INSERT OR IGNORE INTO secrets (app, name, value) VALUES (?1, ?2, ?3)",
                params![app, name, value],
            )
            .map_err(|e| db_err(&self.path, e))?;
        }
        Ok(())
    }

    pub fn secrets(&self, app: &str) -> Result<BTreeMap<String, String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT name, value FROM secrets WHERE app = ?1 ORDER BY name")
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map([app], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<BTreeMap<_, _>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(rows)
    }

    /// Forgets `app`'s secrets (when its data is purged: nothing needs them).
    pub fn delete_secrets(&self, app: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM secrets WHERE app = ?1", [app])
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }
}
