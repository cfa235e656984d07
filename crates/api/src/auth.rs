//! Login for the HTTP transport: one admin account made at first-run setup
//! (with a one-time code the daemon prints, so the first visitor on the LAN
//! cannot claim it) as an argon2id hash; sessions as a random token in an
//! HttpOnly, SameSite=Strict cookie plus a random key the page keeps and
//! sends in a header (cookies are shared by every port of a host, so an app
//! the user opens receives the cookie; without the key it is worthless);
//! only a hash of the two is stored. Short-lived one-time tickets let the
//! browser load what it cannot add a header to (the event stream,
//! downloads). Login attempts are counted before they are checked and
//! checked a few at a time. No password, token or secret is ever logged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use berth_engine::db::{Database, SessionOrigin};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "berth_session";
/// The header carrying the session's key.
pub const KEY_HEADER: &str = "x-berth-session-key";
/// Failed logins allowed from one address within [`WINDOW`] before a lockout.
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Every failed login answers this late, to slow guessing.
pub const FAILURE_DELAY: Duration = Duration::from_secs(1);
/// Password hashes computed at once: each argon2 run takes ~19 MiB, so a
/// burst of logins must queue rather than exhaust memory.
const HASHING_AT_ONCE: usize = 2;

/// How long a session lasts: `BERTH_SESSION_HOURS`, else 7 days.
pub fn session_lifetime() -> Duration {
    let hours = std::env::var("BERTH_SESSION_HOURS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|h| *h > 0.0)
        .unwrap_or(24.0 * 7.0);
    Duration::from_secs_f64(hours * 3600.0)
}

/// How long a ticket may wait to be used: `BERTH_TICKET_SECS`, else 60.
fn ticket_lifetime() -> Duration {
    let secs = std::env::var("BERTH_TICKET_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(60.0);
    Duration::from_secs_f64(secs)
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random generator works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
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

/// What an unknown user's password is checked against, so that a login
/// costs the same whether the name exists or not; made once.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password(&random_hex(16)));

/// Hashes and checks passwords a few at a time.
pub struct Hasher {
    permits: tokio::sync::Semaphore,
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher {
            permits: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
        }
    }
}

impl Hasher {
    /// Whether `password` matches `hash`; an unknown user (`None`) costs the same and fails.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let _permit = self.permits.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(move || match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                let _ = verify_password(&password, &DUMMY_HASH);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    pub async fn hash(&self, password: String) -> String {
        let _permit = self.permits.acquire().await.expect("never closed");
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .expect("hashing does not panic")
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the store keeps of a session: the hash of its cookie token and its
/// key together, so that finding the session takes both.
pub fn session_hash(token: &str, key: &str) -> String {
    sha256_hex(&format!("{token}:{key}"))
}

/// Compares two strings in a time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A new session's cookie token and key.
pub struct NewSession {
    pub token: String,
    pub key: String,
}

/// A new session for `user`, logged in from `origin`.
pub fn new_session(
    store: &Database,
    user: &str,
    origin: &SessionOrigin,
) -> berth_engine::Result<NewSession> {
    let session = NewSession {
        token: random_hex(32),
        key: random_hex(32),
    };
    let expires = berth_engine::db::now_ms() + session_lifetime().as_millis() as i64;
    store.create_session(
        &session_hash(&session.token, &session.key),
        user,
        expires,
        origin,
    )?;
    Ok(session)
}

/// The name the account page knows a session by: derived from its stored
/// hash, which itself never leaves the server.
pub fn session_id(hash: &str) -> String {
    sha256_hex(&format!("session id:{hash}"))[..16].to_string()
}

/// Checks a password's strength (at setup, and when it is changed); the
/// reason if it is too weak.
pub fn weak_password(user: &str, password: &str) -> Option<String> {
    if password.chars().count() < 10 {
        Some("choose a password of at least 10 characters".into())
    } else if password.eq_ignore_ascii_case(user) {
        Some("the password must not be the user name".into())
    } else {
        None
    }
}

/// The one-time code that first-run setup needs: 12 characters without
/// look-alikes (0/O, 1/I), shown as three groups of four.
pub fn new_setup_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A setup code as typed: case, spaces and dashes do not matter.
pub fn normalize_setup_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// One-time tickets for what the browser loads without our header: a
/// ticket names one path, belongs to one session (and its cookie), and is
/// spent at its first use or after [`ticket_lifetime`].
#[derive(Default)]
pub struct Tickets {
    by_hash: Mutex<HashMap<String, Ticket>>,
}

struct Ticket {
    path: String,
    session: String,
    cookie: String,
    expires: Instant,
}

impl Tickets {
    /// A ticket for `path`, for the session `session` whose cookie token is `token`.
    pub fn issue(&self, path: &str, session: &str, token: &str) -> String {
        let ticket = random_hex(32);
        let mut map = self.by_hash.lock().expect("tickets lock");
        let now = Instant::now();
        map.retain(|_, t| t.expires > now);
        map.insert(
            sha256_hex(&ticket),
            Ticket {
                path: path.to_string(),
                session: session.to_string(),
                cookie: sha256_hex(token),
                expires: now + ticket_lifetime(),
            },
        );
        ticket
    }

    /// Spends `ticket` for `path` with the cookie token `token`: the
    /// session's hash when it is good.
    pub fn redeem(&self, ticket: &str, path: &str, token: &str) -> Option<String> {
        let found = self
            .by_hash
            .lock()
            .expect("tickets lock")
            .remove(&sha256_hex(ticket))?;
        (found.expires > Instant::now()
            && found.path == path
            && same(&found.cookie, &sha256_hex(token)))
        .then_some(found.session)
    }
}

#[derive(Default)]
struct Attempts {
    count: u32,
    first: Option<Instant>,
    locked_until: Option<Instant>,
}

/// Login (and setup code) attempts per client address. An attempt counts
/// when it begins, before its password is checked, so that parallel
/// guesses cannot all slip in before the first one fails.
#[derive(Default)]
pub struct Throttle {
    by_addr: Mutex<HashMap<IpAddr, Attempts>>,
}

impl Throttle {
    /// Counts an attempt from `addr`; how long it must still wait if it is
    /// locked out (the attempt is then refused unchecked).
    pub fn begin(&self, addr: IpAddr) -> Result<(), Duration> {
        let mut map = self.by_addr.lock().expect("throttle lock");
        let a = map.entry(addr).or_default();
        let now = Instant::now();
        if let Some(wait) = a
            .locked_until
            .and_then(|until| until.checked_duration_since(now))
        {
            return Err(wait);
        }
        if a.first.is_none_or(|f| now.duration_since(f) > WINDOW) {
            a.count = 0;
            a.first = Some(now);
        }
        a.count += 1;
        if a.count >= MAX_FAILURES {
            a.locked_until = Some(now + LOCKOUT);
            a.count = 0;
            a.first = None;
        }
        Ok(())
    }

    /// The attempt was right: the address starts afresh.
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
    fn the_fifth_attempt_locks_an_address_out() {
        let t = Throttle::default();
        let a: IpAddr = "192.168.1.9".parse().unwrap();
        let b: IpAddr = "192.168.1.10".parse().unwrap();
        for _ in 0..5 {
            assert!(t.begin(a).is_ok());
        }
        assert!(t.begin(a).unwrap_err() > Duration::from_secs(200));
        assert!(t.begin(b).is_ok(), "another address is not locked");
    }

    #[test]
    fn a_right_attempt_starts_the_count_afresh() {
        let t = Throttle::default();
        let a: IpAddr = "192.168.1.9".parse().unwrap();
        for _ in 0..4 {
            t.begin(a).unwrap();
        }
        t.succeeded(a);
        for _ in 0..4 {
            assert!(t.begin(a).is_ok());
        }
    }

    #[test]
    fn session_ids_are_short_and_do_not_show_the_hash() {
        let hash = session_hash("token", "key");
        let id = session_id(&hash);
        assert_eq!(id.len(), 16);
        assert!(!hash.contains(&id));
        assert_ne!(session_id(&session_hash("token", "other")), id);
    }

    #[test]
    fn setup_codes_are_typed_loosely_and_differ() {
        let code = new_setup_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(
            normalize_setup_code(&code.to_lowercase().replace('-', " ")),
            normalize_setup_code(&code)
        );
        assert_ne!(new_setup_code(), code);
    }

    #[test]
    fn a_ticket_is_spent_once_for_its_path_and_cookie() {
        let t = Tickets::default();
        let ticket = t.issue("/api/events", "session", "token");
        assert_eq!(
            t.redeem(&ticket, "/api/events", "token").as_deref(),
            Some("session")
        );
        assert_eq!(t.redeem(&ticket, "/api/events", "token"), None, "spent");
        let other = t.issue("/api/events", "session", "token");
        assert_eq!(t.redeem(&other, "/api/download/logs/a", "token"), None);
        let third = t.issue("/api/events", "session", "token");
        assert_eq!(t.redeem(&third, "/api/events", "another cookie"), None);
    }
}
