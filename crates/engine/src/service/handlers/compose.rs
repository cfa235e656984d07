//! Compose files given as text (pasted, or a file the browser read): read
//! as installing them would read them, kept owner-only in the app's folder
//! — one folder per version, named by its digest, out of the app's reach —
//! installed and updated from there like any compose file, and read back
//! to be edited.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::super::commands::args;
use super::super::{
    AppSource, ComposeFinding, ComposePort, ComposeReport, ComposeService, ComposeText, Service,
};
use crate::compose::{read_file, suggested_name};
use crate::model::Layout;
use crate::rewrite::{consented, render_text, PortAllocator, RenderRequest, Rendered};
use crate::{Error, Result};

/// How Berth names a compose text in what it says of it: the user gave
/// text, not a path on the server.
const SHOWN_AS: &str = "compose.yml";

/// The app id of a text that suggests none.
const FALLBACK_ID: &str = "app";

/// Hex digits of the sha256 naming a version's folder.
const DIGEST_LEN: usize = 16;

impl Service {
    pub(in crate::service) async fn compose_check(
        &self,
        a: args::ComposeCheck,
    ) -> Result<ComposeReport> {
        let app = match a.app_id {
            Some(id) => String::from(id),
            None => suggested_id(&a.compose)?,
        };
        let installed = self.apps.db().app(&app)?.is_some();
        // What the installed app was allowed carries over to an update.
        let before = if installed {
            self.apps
                .load_rendered(&app)
                .map(|p| consented(&p))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let request = RenderRequest {
            app_id: app.clone(),
            home: self.apps.home().to_path_buf(),
            host: self.apps.host().clone(),
            settings: Default::default(),
            limits: Default::default(),
            // Every finding is reported, none refused: nothing runs.
            consent: true,
            shares: Vec::new(),
            no_host_port: false,
        };
        let rendered = self.render_compose_text(&a.compose, &request)?;
        Ok(report(app, installed, &before, rendered))
    }

    pub(in crate::service) async fn compose_source(
        &self,
        a: args::ComposeSource,
    ) -> Result<ComposeText> {
        let record = self.apps.db().app(&a.app)?.ok_or(Error::NotInstalled {
            app: a.app.to_string(),
        })?;
        let path = match AppSource::parse(&record.source) {
            AppSource::Store {
                store,
                app,
                version,
            } => {
                return Err(Error::BadRequest {
                    message: format!(
                        "{} was installed from the store {store} ({app} {version}); its compose file is the store's, so it is updated from the store",
                        a.app
                    ),
                })
            }
            AppSource::File { path } => PathBuf::from(path),
        };
        if path.is_dir() {
            return Err(Error::BadRequest {
                message: format!(
                    "{} was installed from the folder {} on the server (its compose file and override file); edit them there and run `berth update {}`",
                    a.app,
                    path.display(),
                    a.app
                ),
            });
        }
        let compose = String::from_utf8(read_file(&path)?).map_err(|_| Error::Yaml {
            path: path.clone(),
            message: "is not UTF-8 text".into(),
        })?;
        Ok(ComposeText {
            app: a.app.into(),
            path: path.to_string_lossy().into_owned(),
            compose,
        })
    }

    /// Renders `text` as the file it would be kept as for `request`'s app,
    /// with the ports as they are now (none is claimed); its errors name it
    /// `compose.yml`.
    pub(in crate::service) fn render_compose_text(
        &self,
        text: &str,
        request: &RenderRequest,
    ) -> Result<Rendered> {
        let kept = self.compose_text_path(&request.app_id, text);
        let mut ports = PortAllocator::open(&self.layout().ports_file())?;
        render_text(text.as_bytes(), &kept, request, &mut ports).map_err(|e| shown(e, &kept))
    }

    /// Keeps `text` as a version of `app`'s compose file, owner-only;
    /// returns its path and whether it is new. A text that is not a compose
    /// document is refused before anything is written. Call it with the
    /// app claimed: [`Service::prune_compose_texts`] runs under the same claim.
    pub(in crate::service) fn keep_compose_text(
        &self,
        app: &str,
        text: &str,
    ) -> Result<(PathBuf, bool)> {
        suggested_id(text)?;
        let path = self.compose_text_path(app, text);
        if path.is_file() {
            return Ok((path, false));
        }
        let version = path.parent().expect("a version has its folder");
        let write = |path: &Path| {
            let path = path.to_path_buf();
            move |cause| Error::Write { path, cause }
        };
        std::fs::create_dir_all(version).map_err(write(version))?;
        for dir in [&self.layout().sources_dir(app), version] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(write(dir))?;
        }
        let tmp = path.with_extension("yml.tmp");
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|_| f.sync_all()))
            .map_err(write(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(write(&path))?;
        Ok((path, true))
    }

    /// Removes a version [`Service::keep_compose_text`] just made and
    /// nothing uses (its update was refused).
    pub(in crate::service) fn drop_compose_text(&self, kept: &Path) {
        if let Some(version) = kept.parent() {
            let _ = std::fs::remove_dir_all(version);
        }
    }

    /// Removes the versions of `app`'s compose text that neither its record
    /// nor one of its kept snapshots names (a rollback goes back to those);
    /// best effort, with the app claimed.
    pub(in crate::service) fn prune_compose_texts(&self, app: &str) {
        let dir = self.layout().sources_dir(app);
        let Ok(versions) = std::fs::read_dir(&dir) else {
            return;
        };
        let mut named: Vec<PathBuf> = self
            .apps
            .snapshots(app)
            .unwrap_or_default()
            .into_iter()
            .map(|s| PathBuf::from(s.record.source))
            .collect();
        if let Ok(Some(record)) = self.apps.db().app(app) {
            named.push(PathBuf::from(record.source));
        }
        for version in versions.flatten() {
            if !named.iter().any(|n| n.starts_with(version.path())) {
                let _ = std::fs::remove_dir_all(version.path());
            }
        }
        // Gone with its last version.
        let _ = std::fs::remove_dir(&dir);
    }

    fn compose_text_path(&self, app: &str, text: &str) -> PathBuf {
        self.layout().source_file(app, &digest(text))
    }

    fn layout(&self) -> Layout {
        Layout::new(self.apps.home())
    }
}

/// The app id `text` suggests (see [`suggested_name`]), else `app`.
pub(in crate::service) fn suggested_id(text: &str) -> Result<String> {
    Ok(suggested_name(text.as_bytes(), Path::new(SHOWN_AS))?
        .unwrap_or_else(|| FALLBACK_ID.to_string()))
}

/// `e`, naming `kept` (where a text is or would be kept) `compose.yml`.
pub(in crate::service) fn shown(e: Error, kept: &Path) -> Error {
    let name = |path: PathBuf| {
        if path == kept {
            PathBuf::from(SHOWN_AS)
        } else {
            path
        }
    };
    match e {
        Error::Read { path, cause } => Error::Read {
            path: name(path),
            cause,
        },
        Error::TooLarge { path, size, limit } => Error::TooLarge {
            path: name(path),
            size,
            limit,
        },
        Error::Yaml { path, message } => Error::Yaml {
            path: name(path),
            message,
        },
        Error::Invalid { path, at, message } => Error::Invalid {
            path: name(path),
            at,
            message,
        },
        Error::RequiredVariable {
            path,
            name: variable,
            message,
        } => Error::RequiredVariable {
            path: name(path),
            name: variable,
            message,
        },
        Error::Unsupported { path, message } => Error::Unsupported {
            path: name(path),
            message,
        },
        other => other,
    }
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .take(DIGEST_LEN / 2)
        .collect()
}

/// What a render found, for the user: consent already given for the
/// installed app's findings (`before`) carries over.
fn report(app: String, installed: bool, before: &[String], rendered: Rendered) -> ComposeReport {
    let findings: Vec<ComposeFinding> = rendered
        .policy
        .findings
        .iter()
        .map(|f| ComposeFinding {
            service: f.service.clone(),
            at: f.at.clone(),
            kind: f.kind,
            severity: f.severity,
            message: f.message.clone(),
            needs_consent: f.needs_consent(),
            consented: f.needs_consent() && before.contains(&f.consent_key()),
        })
        .collect();
    ComposeReport {
        app_id: app,
        installed,
        services: rendered
            .project
            .services()
            .map(|(name, svc)| ComposeService {
                name: name.to_string(),
                image: svc
                    .get("image")
                    .and_then(|i| i.as_str())
                    .map(str::to_string),
            })
            .collect(),
        ports: rendered
            .ports
            .into_iter()
            .map(|p| ComposePort {
                service: p.service,
                target: p.target,
                protocol: p.protocol,
                requested: p.requested,
                published: p.published,
                note: p.note,
            })
            .collect(),
        needs_consent: findings.iter().any(|f| f.needs_consent && !f.consented),
        findings,
        warnings: rendered.warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_suggests_its_name_else_its_first_service() {
        let id = |t: &str| suggested_id(t).unwrap();
        assert_eq!(
            id("name: photos\nservices:\n  web:\n    image: x\n"),
            "photos"
        );
        assert_eq!(
            id("services:\n  Jelly:\n    image: x\n  db:\n    image: y\n"),
            "jelly"
        );
        // A name that is a variable, or no usable name at all.
        assert_eq!(
            id("name: ${NAME}\nservices:\n  web:\n    image: x\n"),
            "web"
        );
        assert_eq!(id("services:\n  \"my app\":\n    image: x\n"), "app");
    }

    #[test]
    fn a_broken_text_is_one_sentence_naming_compose_yml() {
        let e = suggested_id("services:\n  web:\n    image: [x\n").unwrap_err();
        assert_eq!(e.code(), crate::service::ErrorCode::Invalid);
        let sentence = e.to_string();
        assert!(
            sentence.starts_with("compose.yml: invalid YAML"),
            "{sentence}"
        );
        assert!(suggested_id("just words").is_err());
        assert!(suggested_id("").unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn errors_name_the_kept_text_compose_yml_and_other_files_as_they_are() {
        let kept = Path::new("/home/apps/a/source/0123/compose.yml");
        let e = shown(
            Error::Invalid {
                path: kept.into(),
                at: "services.web".into(),
                message: "unknown key".into(),
            },
            kept,
        );
        assert_eq!(e.to_string(), "compose.yml: services.web: unknown key");
        let other = shown(
            Error::Yaml {
                path: "/srv/other.yml".into(),
                message: "bad".into(),
            },
            kept,
        );
        assert_eq!(other.to_string(), "/srv/other.yml: bad");
    }

    #[test]
    fn each_version_has_its_own_folder() {
        let layout = Layout::new("/h");
        let a = layout.source_file("x", &digest("services: {}\n"));
        let b = layout.source_file("x", &digest("services: {} \n"));
        assert_ne!(a, b);
        assert!(a.starts_with("/h/apps/x/source"));
        assert_eq!(a.file_name().unwrap(), "compose.yml");
        assert_eq!(a.parent().unwrap().file_name().unwrap().len(), DIGEST_LEN);
    }
}
