//! Diagnostics: one `.tar.gz` a user can attach to a bug report — the app's
//! rendered compose file, its record and settings, the state and recent
//! logs of each service, its recent operations, and the host's facts —
//! with every secret replaced by `<redacted>` in every file.
//!
//! Secrets are the values the store keeps for the app (generated at
//! install), the values of its `password` settings, and the values of
//! settings whose names say they are secret (`…PASSWORD`, `…TOKEN`, …:
//! apps installed from a compose file have no setting types). A part that
//! cannot be read (the engine away, a container gone) is written as the
//! sentence saying why, so the bundle is made whatever state the app is in.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Apps;
use crate::catalog::{AppMeta, SettingKind};
use crate::db::AppRecord;
use crate::metrics::system;
use crate::{Error, Result};

/// What replaces a secret in a bundle.
pub const REDACTED: &str = "<redacted>";
/// Lines of each service's log a bundle keeps.
const LOG_LINES: usize = 1000;
/// Operations of the app a bundle keeps.
const OPERATIONS: usize = 20;

/// A diagnostics bundle written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DiagnoseReport {
    #[specta(type = String)]
    pub path: PathBuf,
    /// The archive's size.
    #[specta(type = f64)]
    pub bytes: u64,
    /// The files in it, in order.
    pub files: Vec<String>,
}

impl Apps {
    /// Writes `app`'s diagnostics bundle to `out` (a `.tar.gz`, replaced
    /// if it exists, readable by its owner only).
    pub async fn diagnose(&self, app: &str, out: &Path) -> Result<DiagnoseReport> {
        let record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        let settings: BTreeMap<String, String> =
            serde_json::from_str(&record.settings).unwrap_or_default();
        let secret_names = self.secret_settings(&record, &settings)?;
        let mut secrets: Vec<String> = self.db.secrets(app)?.into_values().collect();
        secrets.extend(
            secret_names
                .iter()
                .filter_map(|(name, declared)| Some((settings.get(name)?, declared)))
                .filter(|(value, declared)| **declared || !trivial(value))
                .map(|(value, _)| value.clone()),
        );
        let redactor = Redactor::new(secrets);

        let engine = &self.engine;
        let (host, details, operations) = tokio::join!(
            system(engine, self.layout.home()),
            engine.inspect_services(app),
            async { self.db.app_operations(app, OPERATIONS) },
        );
        let services: BTreeSet<String> = match &details {
            Ok(details) => details.iter().map(|d| d.service.clone()).collect(),
            Err(_) => self
                .load_rendered(app)
                .map(|p| p.services().map(|(name, _)| name.to_string()).collect())
                .unwrap_or_default(),
        };
        let logs = futures_util::future::join_all(services.iter().map(|service| async move {
            let text = match engine
                .stamped_logs(app, Some(service), Some(LOG_LINES), None)
                .await
            {
                Ok(lines) => lines.iter().map(|l| l.to_text_line() + "\n").collect(),
                Err(e) => format!("error: {e}\n"),
            };
            (format!("logs/{service}.log"), text)
        }))
        .await;

        let compose = std::fs::read_to_string(self.compose_file(app))
            .unwrap_or_else(|e| format!("# cannot read the rendered compose file: {e}\n"));
        let operations = operations.map(|ops| {
            ops.into_iter()
                .map(|op| {
                    serde_json::json!({
                        "id": op.id,
                        "kind": op.kind,
                        // The request is JSON itself: kept as JSON, so its
                        // secrets are escaped once, as the redactor expects.
                        "request": serde_json::from_str::<serde_json::Value>(&op.request)
                            .unwrap_or(serde_json::Value::String(op.request)),
                        "startedAt": op.started_at,
                        "finishedAt": op.finished_at,
                        "outcome": op.outcome,
                        "error": op.error,
                        "steps": op.steps,
                    })
                })
                .collect::<Vec<_>>()
        });
        let summary = serde_json::json!({
            "berthVersion": env!("CARGO_PKG_VERSION"),
            "app": app,
            "createdAt": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            "secretsRedacted": redactor.secrets,
        });

        let mut files = vec![
            ("summary.json".to_string(), json(&Ok(summary))),
            ("compose.yml".to_string(), compose),
            (
                "app.json".to_string(),
                json(&Ok(app_json(&record, &settings, &secret_names))),
            ),
            ("status.json".to_string(), json(&details)),
            ("host.json".to_string(), json(&host)),
            ("operations.json".to_string(), json(&operations)),
        ];
        files.extend(logs);
        for (_, text) in &mut files {
            *text = redactor.apply(text);
        }
        write_archive(app, out, &files)?;
        let bytes = std::fs::metadata(out)
            .map_err(|cause| Error::Read {
                path: out.to_path_buf(),
                cause,
            })?
            .len();
        Ok(DiagnoseReport {
            path: out.to_path_buf(),
            bytes,
            files: files
                .into_iter()
                .map(|(name, _)| format!("{}/{name}", folder(app)))
                .collect(),
        })
    }

    /// The names of `record`'s settings that hold secrets, each with
    /// whether the app declares it one: those the store generated and the
    /// `password` settings of the app's store entry (its copy under the
    /// app's folder) are declared; those only named like a secret are not.
    fn secret_settings(
        &self,
        record: &AppRecord,
        settings: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, bool>> {
        let mut names: BTreeMap<String, bool> = settings
            .keys()
            .filter(|n| named_secret(n))
            .map(|n| (n.clone(), false))
            .collect();
        names.extend(self.db.secrets(&record.id)?.into_keys().map(|n| (n, true)));
        let meta = self.layout.store_files(&record.id).join("app.yml");
        if let Some(meta) = std::fs::read(&meta)
            .ok()
            .and_then(|bytes| serde_yaml::from_slice::<AppMeta>(&bytes).ok())
        {
            names.extend(
                meta.settings
                    .into_iter()
                    .filter(|s| s.kind == SettingKind::Password)
                    .map(|s| (s.name, true)),
            );
        }
        Ok(names)
    }
}

/// `DB_PASSWORD`, `api_token`, `SECRET_KEY`…
fn named_secret(name: &str) -> bool {
    let name = name.to_ascii_uppercase();
    ["PASS", "SECRET", "TOKEN", "KEY"]
        .iter()
        .any(|w| name.contains(w))
}

/// A value too common to be anyone's secret (`USE_TOKEN=true`): replacing
/// it everywhere would only garble the bundle. Settings the app declares as
/// passwords, and generated secrets, are redacted whatever they are.
fn trivial(value: &str) -> bool {
    value.len() < 4
        || ["true", "false", "yes", "no", "null", "none"]
            .iter()
            .any(|w| value.eq_ignore_ascii_case(w))
}

/// The app's record with its secret settings' values replaced.
fn app_json(
    record: &AppRecord,
    settings: &BTreeMap<String, String>,
    secret: &BTreeMap<String, bool>,
) -> serde_json::Value {
    let settings: BTreeMap<&str, &str> = settings
        .iter()
        .map(|(name, value)| {
            let value = if secret.contains_key(name) {
                REDACTED
            } else {
                value.as_str()
            };
            (name.as_str(), value)
        })
        .collect();
    serde_json::json!({
        "id": record.id,
        "source": record.source,
        "state": record.state,
        "installedAt": record.installed_at,
        "composeHash": record.compose_hash,
        "limits": serde_json::from_str::<serde_json::Value>(&record.limits).unwrap_or_default(),
        "settings": settings,
    })
}

/// Pretty JSON, or the error as `{"error": "…"}`.
fn json<T: Serialize>(value: &Result<T>) -> String {
    let value = match value {
        Ok(v) => serde_json::to_value(v).unwrap_or_default(),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

fn folder(app: &str) -> String {
    format!("{app}-diagnostics")
}

/// Writes `files` under one folder into a `.tar.gz` at `out`: first to a
/// side file, renamed into place once complete.
fn write_archive(app: &str, out: &Path, files: &[(String, String)]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let write_err = |cause| Error::Write {
        path: out.to_path_buf(),
        cause,
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(write_err)?;
    }
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .map_err(write_err)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let written = (|| -> std::io::Result<()> {
        for (name, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(now);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            tar.append_data(
                &mut header,
                format!("{}/{name}", folder(app)),
                text.as_bytes(),
            )?;
        }
        tar.into_inner()?.finish()?.flush()
    })();
    written
        .and_then(|()| std::fs::rename(&partial, out))
        .map_err(|cause| {
            let _ = std::fs::remove_file(&partial);
            write_err(cause)
        })
}

/// Replaces each secret, as written raw and as JSON, YAML and compose
/// escape it, by [`REDACTED`].
struct Redactor {
    /// Longest first, so a secret containing another goes whole.
    needles: Vec<String>,
    /// How many distinct secrets.
    secrets: usize,
}

impl Redactor {
    fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets: BTreeSet<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        let mut needles: BTreeSet<String> = BTreeSet::new();
        for s in &secrets {
            let json = serde_json::to_string(s).unwrap_or_default();
            needles.insert(json[1..json.len() - 1].to_string());
            needles.insert(s.replace('\'', "''"));
            needles.insert(s.replace('$', "$$"));
            needles.insert(s.clone());
        }
        let mut needles: Vec<String> = needles.into_iter().filter(|n| !n.is_empty()).collect();
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Redactor {
            needles,
            secrets: secrets.len(),
        }
    }

    fn apply(&self, text: &str) -> String {
        self.needles.iter().fold(text.to_string(), |text, needle| {
            text.replace(needle, REDACTED)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_form_of_a_secret_goes() {
        let r = Redactor::new(["s3cr\"et".to_string(), "it's$x".to_string(), String::new()]);
        assert_eq!(r.secrets, 2);
        let text =
            "raw s3cr\"et, json \"s3cr\\\"et\", yaml 'it''s$x', compose it's$$x, plain it's$x";
        let out = r.apply(text);
        assert_eq!(
            out,
            "raw <redacted>, json \"<redacted>\", yaml '<redacted>', compose <redacted>, plain <redacted>"
        );
        assert_eq!(Redactor::new([]).apply("nothing"), "nothing");
    }

    #[test]
    fn a_secret_inside_another_goes_whole() {
        let r = Redactor::new(["abc".to_string(), "xxabcxx".to_string()]);
        assert_eq!(r.apply("1 xxabcxx 2 abc"), "1 <redacted> 2 <redacted>");
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "api_token",
            "SECRET_KEY",
            "PASS",
            "SMTP_PASSWD",
        ] {
            assert!(named_secret(name), "{name}");
        }
        for name in ["ADMIN_NAME", "PORT", "TZ", "GREETING"] {
            assert!(!named_secret(name), "{name}");
        }
    }

    #[test]
    fn settings_in_the_record_are_redacted_by_name() {
        let record = AppRecord {
            id: "a".into(),
            source: "s/a@1".into(),
            settings: String::new(),
            limits: "{\"cpus\":0.5}".into(),
            compose_hash: "h".into(),
            state: "installed".into(),
            installed_at: 1,
            name: String::new(),
            gate: false,
            host_port: true,
        };
        let settings = BTreeMap::from([
            ("ADMIN".to_string(), "me".to_string()),
            ("TOKEN".to_string(), "t0k".to_string()),
        ]);
        let v = app_json(
            &record,
            &settings,
            &BTreeMap::from([("TOKEN".to_string(), false)]),
        );
        assert_eq!(v["settings"]["ADMIN"], "me");
        assert_eq!(v["settings"]["TOKEN"], REDACTED);
        assert_eq!(v["limits"]["cpus"], 0.5);
    }
}
