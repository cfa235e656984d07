//! The login gate in front of an app (its `gate` flag): only people logged
//! in to Berth may open it through the proxy.
//!
//! A request for a gated app without a good `berth_gate` cookie is sent to
//! Berth's own name (in the same form and with the same port as the app's)
//! at `/gate?app=<name>&to=<path>`, a page of Berth's web UI: there the
//! user logs in if needed, and the page (which holds the session's key)
//! asks `POST /api/gate` for a one-time ticket: random, 60 s, for that app
//! and that session, kept in memory only. The browser takes it to
//! `<app's name>/.berth/gate?ticket=…&to=<path>`, which the proxy answers
//! itself (it never reaches the app): it swaps the ticket for a host-only
//! `berth_gate` cookie (a random value mapped to the app and the session)
//! and sends the browser on to `to`, which must be a path of that name.
//! Every gated request checks the mapped session still lives, so logging
//! out (or the session's end) closes the gate. The cookie never reaches
//! the app.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::auth::random_hex;

/// The gate cookie's name, on app names only.
pub const GATE_COOKIE: &str = "berth_gate";
/// Where an app's name takes a ticket: answered by the proxy, never the app.
pub const GATE_PATH: &str = "/.berth/gate";
/// Berth's page that makes a ticket (logging in first if needed).
pub const GATE_PAGE: &str = "/gate";
/// How long a ticket may wait to be used.
const TICKET_LIFETIME: Duration = Duration::from_secs(60);
/// The most gate cookies kept: the oldest go first beyond this.
const MOST_PASSES: usize = 10_000;

/// A ticket or a pass: for one app, from one Berth session.
struct Grant {
    app: String,
    session: String,
    at: Instant,
}

/// The tickets waiting to be used and the gate cookies given, each kept
/// by its hash only.
#[derive(Default)]
pub struct Gate {
    tickets: Mutex<HashMap<String, Grant>>,
    passes: Mutex<HashMap<String, Grant>>,
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Gate {
    /// A one-time ticket (256 random bits) into app `app` (its id) for the
    /// Berth session stored under `session`.
    pub fn issue(&self, app: &str, session: &str) -> String {
        let ticket = random_hex(32);
        let mut tickets = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        tickets.retain(|_, t| t.at.elapsed() < TICKET_LIFETIME);
        tickets.insert(
            hash(&ticket),
            Grant {
                app: app.to_string(),
                session: session.to_string(),
                at: Instant::now(),
            },
        );
        ticket
    }

    /// Spends `ticket` (whatever the outcome) at app `app`: the session it
    /// was made for, if it is good for this app and not too old.
    pub fn redeem(&self, ticket: &str, app: &str) -> Option<String> {
        let grant = self
            .tickets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&hash(ticket))?;
        (grant.app == app && grant.at.elapsed() < TICKET_LIFETIME).then_some(grant.session)
    }

    /// A new gate cookie's value for app `app` and the session `session`.
    pub fn open(&self, app: &str, session: &str) -> String {
        let value = random_hex(32);
        let mut passes = self.passes.lock().unwrap_or_else(|p| p.into_inner());
        if passes.len() >= MOST_PASSES {
            if let Some(oldest) = passes
                .iter()
                .min_by_key(|(_, p)| p.at)
                .map(|(k, _)| k.clone())
            {
                passes.remove(&oldest);
            }
        }
        passes.insert(
            hash(&value),
            Grant {
                app: app.to_string(),
                session: session.to_string(),
                at: Instant::now(),
            },
        );
        value
    }

    /// The session a gate cookie `value` at app `app` stands for.
    pub fn pass(&self, value: &str, app: &str) -> Option<String> {
        let passes = self.passes.lock().unwrap_or_else(|p| p.into_inner());
        passes
            .get(&hash(value))
            .filter(|p| p.app == app)
            .map(|p| p.session.clone())
    }

    /// Forgets every gate cookie of the session `session` (it ended).
    pub fn close(&self, session: &str) {
        self.passes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, p| p.session != session);
    }
}

/// `to` if it is a path of this name (`/…`, not `//…` or `/\…`, with no
/// backslash, space or control character a browser would read as another
/// host), else `/`.
pub fn safe_path(to: &str) -> &str {
    let fine = to.starts_with('/')
        && !to.starts_with("//")
        && !to.bytes().any(|b| b == b'\\' || b <= b' ' || b == 0x7f);
    if fine {
        to
    } else {
        "/"
    }
}

/// `text` with everything but unreserved characters and `/` as `%XX`, for a
/// query string.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string's value of `name`, `%XX` and `+` decoded.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_opens_once_and_one_app_only() {
        let gate = Gate::default();
        let ticket = gate.issue("wiki", "s1");
        assert_eq!(gate.redeem(&ticket, "notes"), None, "another app");
        assert_eq!(gate.redeem(&ticket, "wiki"), None, "spent by the try above");
        let ticket = gate.issue("wiki", "s1");
        assert_eq!(gate.redeem(&ticket, "wiki").as_deref(), Some("s1"));
        assert_eq!(gate.redeem(&ticket, "wiki"), None, "spent");
        assert!(ticket.len() >= 32, "at least 128 bits");
    }

    #[test]
    fn passes_belong_to_one_app_and_close_with_their_session() {
        let gate = Gate::default();
        let pass = gate.open("wiki", "s1");
        let other = gate.open("wiki", "s2");
        assert_eq!(gate.pass(&pass, "wiki").as_deref(), Some("s1"));
        assert_eq!(gate.pass(&pass, "notes"), None);
        assert_eq!(gate.pass("made-up", "wiki"), None);
        gate.close("s1");
        assert_eq!(gate.pass(&pass, "wiki"), None);
        assert_eq!(gate.pass(&other, "wiki").as_deref(), Some("s2"));
    }

    #[test]
    fn only_paths_of_this_name_are_followed() {
        for fine in ["/", "/a?b=c#d", "/x//y"] {
            assert_eq!(safe_path(fine), fine);
        }
        for bad in [
            "//evil.test",
            "/\\evil.test",
            "/\t/evil.test",
            "https://evil.test",
            "evil.test",
            "",
            "/a b",
        ] {
            assert_eq!(safe_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn query_values_round_trip() {
        let to = "/a b?c=d&e=%2F//";
        let query = format!("app=wiki&to={}", encode(to));
        assert_eq!(query_value(&query, "to").as_deref(), Some(to));
        assert_eq!(query_value(&query, "app").as_deref(), Some("wiki"));
        assert_eq!(query_value(&query, "ticket"), None);
        assert_eq!(query_value("to=%2", "to").as_deref(), Some("%2"));
    }
}
