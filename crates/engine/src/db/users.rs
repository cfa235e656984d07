//! Users (the admin account, its password hash) and login sessions (only a
//! digest of each session token is stored, so a copy of the database does
//! not log anyone in), with when each was last used and where it logged in
//! from, for the account page.

use rusqlite::{params, OptionalExtension};

use super::{db_err, now_ms, Database};
use crate::Result;

/// A session's last use is written at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Where a session logged in from, as far as the server could tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionOrigin {
    /// The client's address as the server saw it (a reverse proxy's, behind one).
    pub address: Option<String>,
    /// The browser's `User-Agent`.
    pub user_agent: Option<String>,
}

/// One live session as stored (times in ms).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub created_at: i64,
    pub last_used: i64,
    pub expires_at: i64,
    pub origin: SessionOrigin,
}

impl Database {
    pub fn user_count(&self) -> Result<u64> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| db_err(&self.path, e))
    }

    /// The first user's name: the admin.
    pub fn first_user(&self) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT name FROM users ORDER BY created_at, name LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
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

    pub fn create_session(
        &self,
        token_hash: &str,
        user: &str,
        expires_at: i64,
        origin: &SessionOrigin,
    ) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now_ms()])
            .map_err(|e| db_err(&self.path, e))?;
        let now = now_ms();
        conn.execute(
            "INSERT INTO sessions (token_hash, user, created_at, expires_at, last_used, address, user_agent)
             VALUES (?1, ?2, ?3, ?4, ?3, ?5, ?6)",
            params![token_hash, user, now, expires_at, origin.address, origin.user_agent],
        )
        .map(drop)
        .map_err(|e| db_err(&self.path, e))
    }

    /// Notes that a session was used now; at most once a minute, so that
    /// every request does not cost a write.
    pub fn touch_session(&self, token_hash: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE sessions SET last_used = ?2
                 WHERE token_hash = ?1 AND (last_used IS NULL OR last_used < ?2 - ?3)",
                params![token_hash, now_ms(), TOUCH_EVERY_MS],
            )
            .map(drop)
            .map_err(|e| db_err(&self.path, e))
    }

    /// The live sessions of `user`, the most recently used first.
    pub fn sessions_of(&self, user: &str) -> Result<Vec<SessionRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT token_hash, created_at, COALESCE(last_used, created_at), expires_at, address, user_agent
                 FROM sessions WHERE user = ?1 AND expires_at > ?2
                 ORDER BY COALESCE(last_used, created_at) DESC, created_at DESC",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let sessions = stmt
            .query_map(params![user, now_ms()], |r| {
                Ok(SessionRecord {
                    token_hash: r.get(0)?,
                    created_at: r.get(1)?,
                    last_used: r.get(2)?,
                    expires_at: r.get(3)?,
                    origin: SessionOrigin {
                        address: r.get(4)?,
                        user_agent: r.get(5)?,
                    },
                })
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(sessions)
    }

    /// Sets `user`'s password hash and ends every other session of theirs
    /// than `keep`, at once; how many sessions ended.
    pub fn change_password(&self, user: &str, hash: &str, keep: &str) -> Result<usize> {
        let conn = self.conn();
        let tx = conn
            .unchecked_transaction()
            .map_err(|e| db_err(&self.path, e))?;
        let changed = tx
            .execute(
                "UPDATE users SET hash = ?2 WHERE name = ?1",
                params![user, hash],
            )
            .map_err(|e| db_err(&self.path, e))?;
        if changed != 1 {
            return Err(crate::Error::Database {
                path: self.path.clone(),
                message: format!("there is no user {user}"),
            });
        }
        let ended = tx
            .execute(
                "DELETE FROM sessions WHERE user = ?1 AND token_hash != ?2",
                params![user, keep],
            )
            .map_err(|e| db_err(&self.path, e))?;
        tx.commit().map_err(|e| db_err(&self.path, e))?;
        Ok(ended)
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

    /// Ends a session; whether it existed.
    pub fn delete_session(&self, token_hash: &str) -> Result<bool> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(|n| n == 1)
            .map_err(|e| db_err(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str) -> (Database, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("berth-users-{}-{name}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        (Database::open(&dir).unwrap(), dir)
    }

    #[test]
    fn a_password_change_ends_the_other_sessions_only() {
        let (store, dir) = store("password");
        assert!(store.create_first_user("admin", "old").unwrap());
        let later = now_ms() + 60_000;
        let phone = SessionOrigin {
            address: Some("192.168.1.20".into()),
            user_agent: Some("Phone".into()),
        };
        store
            .create_session("this", "admin", later, &SessionOrigin::default())
            .unwrap();
        store
            .create_session("phone", "admin", later, &phone)
            .unwrap();
        store
            .create_session("laptop", "admin", later, &SessionOrigin::default())
            .unwrap();
        let listed = store.sessions_of("admin").unwrap();
        assert_eq!(listed.len(), 3);
        let found = listed.iter().find(|s| s.token_hash == "phone").unwrap();
        assert_eq!(found.origin, phone);
        assert_eq!(found.last_used, found.created_at);

        assert_eq!(store.change_password("admin", "new", "this").unwrap(), 2);
        assert_eq!(store.user_hash("admin").unwrap().as_deref(), Some("new"));
        assert_eq!(
            store.session_user("this").unwrap().as_deref(),
            Some("admin")
        );
        assert_eq!(store.session_user("phone").unwrap(), None);
        assert!(store.change_password("nobody", "x", "this").is_err());
        assert!(store.delete_session("this").unwrap());
        assert!(!store.delete_session("this").unwrap());
        assert!(store.sessions_of("admin").unwrap().is_empty());
        std::fs::remove_dir_all(&dir).ok();
    }
}
