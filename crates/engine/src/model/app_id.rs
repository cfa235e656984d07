//! An app's id: the name of its folder under the home, its compose project
//! and the prefix of its containers, so it must be a plain name. An
//! [`AppId`] can only hold a valid one: a request naming `../x` is refused
//! when it is read, before any code can join it to a path.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether `id` can name an app: lowercase letters, digits, `-` and `_`, at
/// most 63, starting with a letter or digit.
pub fn valid_app_id(id: &str) -> bool {
    id.len() <= 63
        && id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A valid app id (see [`valid_app_id`]); a string on the wire.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    specta::Type,
)]
#[serde(try_from = "String", into = "String")]
pub struct AppId(String);

/// Why a string is not an app id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a valid app id: use lowercase letters, digits, `-` and `_`, starting with a letter or digit (at most 63 characters)")]
pub struct InvalidAppId(pub String);

impl AppId {
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidAppId> {
        let id = id.into();
        if valid_app_id(&id) {
            Ok(AppId(id))
        } else {
            Err(InvalidAppId(id))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppId {
    type Error = InvalidAppId;
    fn try_from(id: String) -> Result<Self, InvalidAppId> {
        AppId::new(id)
    }
}

impl std::str::FromStr for AppId {
    type Err = InvalidAppId;
    fn from_str(id: &str) -> Result<Self, InvalidAppId> {
        AppId::new(id)
    }
}

impl From<AppId> for String {
    fn from(id: AppId) -> String {
        id.0
    }
}

impl std::ops::Deref for AppId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AppId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl PartialEq<str> for AppId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_app_ids() {
        for good in ["jellyfin", "my-app_2", "0ad", &"a".repeat(63)] {
            assert_eq!(AppId::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "../x", "/etc", "A", "-a", "a b", "a.b", &"a".repeat(64)] {
            assert!(AppId::new(bad).is_err(), "{bad:?}");
        }
        let read: Result<AppId, _> = serde_json::from_str("\"../../etc\"");
        let refused = read.unwrap_err().to_string();
        assert!(refused.contains("is not a valid app id"), "{refused}");
        let id: AppId = serde_json::from_str("\"web\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"web\"");
    }
}
