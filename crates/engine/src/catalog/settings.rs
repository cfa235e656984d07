//! Install settings: the user's values checked against the app's declared
//! settings, defaults filled in, and secrets generated once and kept.

use std::collections::BTreeMap;

use super::format::AppMeta;
use crate::{Error, Result};

/// Settings ready for an install.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Every setting's value, offered to the compose file's interpolation.
    pub values: BTreeMap<String, String>,
    /// Secrets generated now, to store with the app.
    pub new_secrets: BTreeMap<String, String>,
}

/// A random secret of `len` letters and digits, from the OS's generator.
pub fn generate_secret(len: u16) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len as usize);
    let mut buf = [0u8; 64];
    while out.len() < len as usize {
        getrandom::fill(&mut buf).expect("the OS random generator works");
        // Rejection sampling keeps every character equally likely.
        for b in buf {
            if (b as usize) < 256 - 256 % ALPHABET.len() && out.len() < len as usize {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// Checks `given` against `meta`'s settings: unknown names and bad values
/// are refused, missing required ones are named together; a setting with
/// `generate` takes the kept secret, else a new one. `kept` are the secrets
/// already stored for this app.
pub fn resolve_settings(
    meta: &AppMeta,
    given: &BTreeMap<String, String>,
    kept: &BTreeMap<String, String>,
) -> Result<Resolved> {
    let mut problems = Vec::new();
    for name in given.keys() {
        if !meta.settings.iter().any(|s| &s.name == name) {
            let known: Vec<&str> = meta.settings.iter().map(|s| s.name.as_str()).collect();
            problems.push(format!(
                "{} has no setting {name} (its settings: {})",
                meta.id,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    let mut values = BTreeMap::new();
    let mut new_secrets = BTreeMap::new();
    let mut missing = Vec::new();
    for s in &meta.settings {
        let value = match (given.get(&s.name), s.generate) {
            (Some(v), _) => Some(v.clone()),
            (None, Some(len)) => Some(kept.get(&s.name).cloned().unwrap_or_else(|| {
                let secret = generate_secret(len);
                new_secrets.insert(s.name.clone(), secret.clone());
                secret
            })),
            (None, None) => s.default.clone(),
        };
        match value {
            Some(v) if v.is_empty() && s.required => missing.push(s.name.clone()),
            Some(v) => {
                if let Err(e) = s.check(&v) {
                    problems.push(e);
                }
                values.insert(s.name.clone(), v);
            }
            None if s.required => missing.push(s.name.clone()),
            None => {
                values.insert(s.name.clone(), String::new());
            }
        }
    }
    if !missing.is_empty() {
        problems.push(format!(
            "{} needs {} (give {})",
            meta.id,
            missing.join(", "),
            missing
                .iter()
                .map(|m| format!("--set {m}=…"))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if problems.is_empty() {
        Ok(Resolved {
            values,
            new_secrets,
        })
    } else {
        Err(Error::InvalidSettings {
            app: meta.id.clone(),
            problems,
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::format::{MainService, Setting, SettingKind};

    fn meta() -> AppMeta {
        let setting = |name: &str, kind, required, default: Option<&str>, generate| Setting {
            name: name.into(),
            label: name.into(),
            kind,
            required,
            default: default.map(str::to_string),
            options: if kind == SettingKind::Select {
                vec!["a".into(), "b".into()]
            } else {
                vec![]
            },
            generate,
            description: String::new(),
        };
        AppMeta {
            id: "demo".into(),
            name: "Demo".into(),
            version: "1.0.0".into(),
            tagline: "t".into(),
            description: String::new(),
            categories: vec![],
            icon: None,
            screenshots: vec![],
            homepage: None,
            source: None,
            main: MainService {
                service: "web".into(),
                port: 80,
                path: None,
            },
            settings: vec![
                setting("ADMIN", SettingKind::String, true, None, None),
                setting("MODE", SettingKind::Select, false, Some("a"), None),
                setting("DB_PASSWORD", SettingKind::Password, true, None, Some(24)),
                setting("WORKERS", SettingKind::Number, false, Some("2"), None),
            ],
            architectures: vec![],
            min_berth: None,
            release_notes: String::new(),
            migration: None,
            permissions: vec![],
            resources: Default::default(),
            shares: Vec::new(),
            backup: None,
        }
    }

    #[test]
    fn missing_required_settings_are_named_together() {
        let err = resolve_settings(&meta(), &BTreeMap::new(), &BTreeMap::new()).unwrap_err();
        match err {
            Error::InvalidSettings { missing, .. } => assert_eq!(missing, ["ADMIN"]),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn secrets_are_generated_once_and_kept() {
        let given = BTreeMap::from([("ADMIN".to_string(), "me".to_string())]);
        let first = resolve_settings(&meta(), &given, &BTreeMap::new()).unwrap();
        let secret = first.new_secrets["DB_PASSWORD"].clone();
        assert_eq!(secret.len(), 24);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(first.values["MODE"], "a");
        let again = resolve_settings(&meta(), &given, &first.new_secrets).unwrap();
        assert!(again.new_secrets.is_empty());
        assert_eq!(again.values["DB_PASSWORD"], secret);
        assert_ne!(generate_secret(24), generate_secret(24));
    }

    #[test]
    fn bad_values_and_unknown_names_are_refused() {
        let given = BTreeMap::from([
            ("ADMIN".to_string(), "me".to_string()),
            ("MODE".to_string(), "c".to_string()),
            ("WORKERS".to_string(), "many".to_string()),
            ("NOPE".to_string(), "1".to_string()),
        ]);
        let err = resolve_settings(&meta(), &given, &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("one of a, b"), "{err}");
        assert!(err.contains("must be a number"), "{err}");
        assert!(err.contains("no setting NOPE"), "{err}");
    }
}
