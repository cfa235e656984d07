//! Login for the HTTP transport: one admin account made at first-run setup
//! (argon2id hash), sessions as random tokens in an HttpOnly, SameSite=Strict
//! cookie (only their sha256 is stored), expiry, and failed logins slowed and
//! then locked out per client address. No password, token or secret is ever
//! logged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use berth_engine::store::Store;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const COOKIE: &str = "berth_session";
/// Failed logins allowed from one address within [`WINDOW`] before a lockout.
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Every failed login answers this late, to slow guessing.
pub const FAILURE_DELAY: Duration = Duration::from_secs(1);

/// How long a session lasts: `BERTH_SESSION_HOURS`, else 7 days.
pub fn session_lifetime() -> Duration {
    let hours = std::env::var("BERTH_SESSION_HOURS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|h| *h > 0.0)
        .unwrap_or(24.0 * 7.0);
    Duration::from_secs_f64(hours * 3600.0)
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random generator works");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new session for `user`; returns the token for the cookie.
pub fn new_session(store: &Store, user: &str) -> berth_engine::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let expires = berth_engine::store::now_ms() + session_lifetime().as_millis() as i64;
    store.create_session(&token_hash(&token), user, expires)?;
    Ok(token)
}

/// Checks a password's strength at setup; the reason if it is too weak.
pub fn weak_password(user: &str, password: &str) -> Option<String> {
    if password.chars().count() < 10 {
        Some("choose a password of at least 10 characters".into())
    } else if password.eq_ignore_ascii_case(user) {
        Some("the password must not be the user name".into())
    } else {
        None
    }
}

#[derive(Default)]
struct Attempts {
    failures: u32,
    first: Option<Instant>,
    locked_until: Option<Instant>,
}

/// Failed logins per client address.
#[derive(Default)]
pub struct Throttle {
    by_addr: Mutex<HashMap<IpAddr, Attempts>>,
}

impl Throttle {
    /// How long `addr` must still wait, if it is locked out.
    pub fn locked(&self, addr: IpAddr) -> Option<Duration> {
        let map = self.by_addr.lock().expect("throttle lock");
        let until = map.get(&addr)?.locked_until?;
        until.checked_duration_since(Instant::now())
    }

    pub fn failed(&self, addr: IpAddr) {
        let mut map = self.by_addr.lock().expect("throttle lock");
        let a = map.entry(addr).or_default();
        let now = Instant::now();
        if a.first.is_none_or(|f| now.duration_since(f) > WINDOW) {
            a.failures = 0;
            a.first = Some(now);
        }
        a.failures += 1;
        if a.failures >= MAX_FAILURES {
            a.locked_until = Some(now + LOCKOUT);
            a.failures = 0;
            a.first = None;
        }
    }

    pub fn succeeded(&self, addr: IpAddr) {
        self.by_addr.lock().expect("throttle lock").remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn five_failures_lock_an_address_out() {
        let t = Throttle::default();
        let a: IpAddr = "192.168.1.9".parse().unwrap();
        let b: IpAddr = "192.168.1.10".parse().unwrap();
        for _ in 0..4 {
            t.failed(a);
            assert!(t.locked(a).is_none());
        }
        t.failed(a);
        assert!(t.locked(a).unwrap() > Duration::from_secs(200));
        assert!(t.locked(b).is_none(), "another address is not locked");
    }
}
