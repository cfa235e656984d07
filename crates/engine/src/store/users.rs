//! Users (the admin account, its password hash) and login sessions (only a
//! digest of each session token is stored, so a copy of the database does
//! not log anyone in).

use rusqlite::{params, OptionalExtension};

use super::{db_err, now_ms, Store};
use crate::Result;

impl Store {
    pub fn user_count(&self) -> Result<u64> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| db_err(&self.path, e))
    }

    /// Creates the first user; false if a user already exists (setup is
    /// done once, atomically).
    pub fn create_first_user(&self, name: &str, hash: &str) -> Result<bool> {
        self.conn()
            .execute(
                "INSERT INTO users (name, hash, created_at)
                 SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM users)",
                params![name, hash, now_ms()],
            )
            .map(|n| n == 1)
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn user_hash(&self, name: &str) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT hash FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn create_session(&self, token_hash: &str, user: &str, expires_at: i64) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now_ms()])
            .map_err(|e| db_err(&self.path, e))?;
        conn.execute(
            "INSERT INTO sessions (token_hash, user, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, user, now_ms(), expires_at],
        )
        .map(drop)
        .map_err(|e| db_err(&self.path, e))
    }

    /// The user of a live session.
    pub fn session_user(&self, token_hash: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT user FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![token_hash, now_ms()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| db_err(&self.path, e))
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }
}
