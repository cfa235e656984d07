//! The names a request carries that become parts of paths under the home
//! (or of container names): an installed app's id, a store's name, a store
//! app's id, a compose service's name, a snapshot's id. Each is a type that
//! can only hold a valid name, so a request naming `../x` is refused when
//! it is read, before any code can join it to a path.

use std::fmt;

use serde::{Deserialize, Serialize};

const ID_RULE: &str =
    "use lowercase letters, digits, `-` and `_`, starting with a letter or digit (at most 63 characters)";
const PLAIN_RULE: &str =
    "use letters, digits, `.`, `-` and `_`, starting with a letter or digit (at most 63 characters)";

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

/// A name that is one path component and no more: a compose service name
/// as Docker accepts it, a snapshot id (`2026-01-02T03-04-05Z-op9`).
fn plain_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why a string is not a valid name of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a valid {what}: {rule}")]
pub struct InvalidName {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
}

macro_rules! names {
    ($( $(#[doc = $doc:literal])* $name:ident: $what:literal, $valid:path, $rule:ident; )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize, specta::Type)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
                let name = name.into();
                if $valid(&name) {
                    Ok($name(name))
                } else {
                    Err(InvalidName { what: $what, value: name, rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidName;
            fn try_from(name: String) -> Result<Self, InvalidName> {
                $name::new(name)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidName;
            fn from_str(name: &str) -> Result<Self, InvalidName> {
                $name::new(name)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    )*};
}

names! {
    /// An installed app's id: its folder under the home, its compose
    /// project, the prefix of its containers.
    AppId: "app id", valid_app_id, ID_RULE;
    /// An app store's name (`berth`, `casaos`…): its folder under the home.
    StoreName: "store name", valid_app_id, ID_RULE;
    /// An app's id in its store: its folder in the store.
    StoreAppId: "store app id", valid_app_id, ID_RULE;
    /// A compose service's name: part of its container's name.
    ServiceName: "service name", plain_name, PLAIN_RULE;
    /// A kept snapshot's id: its folder under the app's snapshots.
    SnapshotId: "snapshot id", plain_name, PLAIN_RULE;
    /// A share's name (`Movies`, `Photos`): a default share's folder under
    /// the home's `shares/`.
    ShareName: "share name", plain_name, PLAIN_RULE;
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

    #[test]
    fn each_kind_of_name_keeps_to_its_rule() {
        assert!(StoreName::new("casaos").is_ok());
        assert!(StoreName::new("..").is_err());
        assert!(StoreAppId::new("../greeter").is_err());
        assert!(ServiceName::new("Web.1").is_ok());
        assert!(ServiceName::new("../../containers").is_err());
        assert!(SnapshotId::new("2026-01-02T03-04-05Z-op9").is_ok());
        let e = SnapshotId::new("../b").unwrap_err().to_string();
        assert!(e.contains("is not a valid snapshot id"), "{e}");
    }
}
