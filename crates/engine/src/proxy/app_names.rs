//! Apps' names: the label an app answers to on the proxy
//! (`<name>.<domain>`, `<name>-<server>.local`), chosen at install and
//! changed by `rename`, apart from its id (which names its folder, its
//! containers and its compose project, and never changes).

use crate::db::{AppRecord, Database};
use crate::{Error, Result};

/// Labels no app may take: Berth's own, and names browsers and systems
/// look up on their own (a `wpad` or `isatap` app would be asked for the
/// network's proxy settings by every machine that searches the domain).
pub const RESERVED_NAMES: &[&str] = &["berth", "www", "wpad", "isatap", "localhost"];

/// What a valid app name is, in words, for errors and the UI.
pub const NAME_RULE: &str =
    "use 1 to 63 lowercase letters, digits and `-`, not starting or ending with `-`";

/// Why `name` cannot be an app's name, or `None` when it can: a DNS label
/// of lowercase letters, digits and `-` (1–63, not starting or ending with
/// `-`) that is not one of [`RESERVED_NAMES`].
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(format!("an app's name cannot be empty; {NAME_RULE}"));
    }
    if name.len() > 63 {
        return Some(format!(
            "\"{name}\" is longer than 63 characters; {NAME_RULE}"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some(format!("\"{name}\" is not a valid app name: {NAME_RULE}"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some(format!(
            "\"{name}\" starts or ends with `-`, which a name on the network cannot; {NAME_RULE}"
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Some(format!(
            "\"{name}\" is kept for Berth and the network ({}); choose another name",
            RESERVED_NAMES.join(", ")
        ));
    }
    None
}

/// Whether `name` can be an app's name.
pub fn valid_app_name(name: &str) -> bool {
    name_problem(name).is_none()
}

/// Refuses a name that cannot be an app's, saying why.
pub fn check_app_name(name: &str) -> Result<()> {
    match name_problem(name) {
        None => Ok(()),
        Some(why) => Err(Error::BadAppName {
            name: name.to_string(),
            why,
        }),
    }
}

/// The name an app of id `id` gets unless one is chosen: the id in
/// lowercase with `_` made `-`, trimmed of `-` at its ends; a reserved or
/// empty result gets `-app` (or is `app`). Not yet made unique.
pub fn name_from_id(id: &str) -> String {
    let name: String = id
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '-' => c,
            _ => '-',
        })
        .collect();
    let name = name.trim_matches('-');
    let name = &name[..name.len().min(63)];
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "app".to_string()
    } else if RESERVED_NAMES.contains(&name) {
        format!("{name}-app")
    } else {
        name.to_string()
    }
}

/// `base` if `taken` says it is free, else `base-2`, `base-3`… (`base`
/// shortened to keep 63 characters).
pub fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2u32..)
        .map(|n| {
            let suffix = format!("-{n}");
            let keep = base.len().min(63 - suffix.len());
            format!("{}{suffix}", base[..keep].trim_end_matches('-'))
        })
        .find(|candidate| !taken(candidate))
        .expect("some number is free")
}

/// The installed app a proxy label (a `Host`'s app part) names: looked up
/// by the app's name, never its id. `None` when no app has that name.
pub fn app_for_label(db: &Database, label: &str) -> Result<Option<AppRecord>> {
    if !valid_app_name(label) {
        return Ok(None);
    }
    db.app_by_name(label)
}

/// The apps names lead to, as [`app_for_label`] finds them, kept until the
/// store's apps change ([`Database::apps_changes`]): the proxy asks on
/// every request, and a rename, a gate switched or an uninstall must count
/// at once, but the store (one connection behind one lock) need not be
/// asked each time. Only names that lead to an app are kept, so names
/// clients make up cannot grow it.
#[derive(Default)]
pub struct AppsByName {
    known: std::sync::RwLock<(
        u64,
        std::collections::HashMap<String, std::sync::Arc<AppRecord>>,
    )>,
}

impl AppsByName {
    /// The app named `label`, as the store has it now.
    pub fn app(&self, db: &Database, label: &str) -> Result<Option<std::sync::Arc<AppRecord>>> {
        // Read before the store is asked: a change made meanwhile makes
        // what is kept under this count stale, and the next call sees it.
        let changes = db.apps_changes();
        {
            let known = self.known.read().unwrap_or_else(|p| p.into_inner());
            if known.0 == changes {
                if let Some(app) = known.1.get(label) {
                    return Ok(Some(app.clone()));
                }
            }
        }
        let found = app_for_label(db, label)?.map(std::sync::Arc::new);
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        if known.0 != changes {
            known.1.clear();
            known.0 = changes;
        }
        if let Some(app) = &found {
            known.1.insert(label.to_string(), app.clone());
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels_and_not_reserved() {
        for good in ["a", "jellyfin", "my-app", "app2", "0", &"x".repeat(63)] {
            assert!(valid_app_name(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "My-App",
            "my_app",
            "a.b",
            "é",
            "berth",
            "www",
            "wpad",
            &"x".repeat(64),
        ] {
            assert!(!valid_app_name(bad), "{bad:?}");
        }
        let why = name_problem("berth").unwrap();
        assert!(why.contains("kept for Berth"), "{why}");
        let why = check_app_name("Bad_Name").unwrap_err().to_string();
        assert!(why.contains("lowercase letters, digits and `-`"), "{why}");
    }

    #[test]
    fn ids_become_names() {
        for (id, name) in [
            ("jellyfin", "jellyfin"),
            ("my_app", "my-app"),
            ("_x_", "x"),
            ("__", "app"),
            ("berth", "berth-app"),
            ("www", "www-app"),
        ] {
            assert_eq!(name_from_id(id), name, "{id}");
            assert!(valid_app_name(&name_from_id(id)));
        }
        let long = format!("{}_b", "a".repeat(62));
        assert_eq!(name_from_id(&long), "a".repeat(62));
    }

    #[test]
    fn unique_names_count_up_within_63() {
        let taken = ["web", "web-2"];
        assert_eq!(unique_name("web", |n| taken.contains(&n)), "web-3");
        assert_eq!(unique_name("api", |n| taken.contains(&n)), "api");
        let long = "x".repeat(63);
        let made = unique_name(&long, |n| n == long);
        assert_eq!(made.len(), 63);
        assert!(made.ends_with("-2") && valid_app_name(&made), "{made}");
    }
}
