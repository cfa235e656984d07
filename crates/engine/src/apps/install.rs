//! Install: render → pull → start → commit, each step journaled first.
//! A failure rolls back to nothing (data kept); a crash is rolled back by
//! reconcile at the next start.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Apps, Progress};
use crate::compose::{load_bytes, read_file, LoadOptions, Project, ServiceLimits};
use crate::db::{now_ms, AppRecord};
use crate::lifecycle::{PullProgress, UpEvent};
use crate::model::Step;
use crate::policy;
use crate::rewrite::{consented, render, unconsented, RenderRequest};
use crate::{Error, Result};

/// What to install.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstallRequest {
    /// The app's compose file, or a folder holding one: its override file
    /// is merged on top, as `docker compose` run in that folder merges it.
    pub compose_file: PathBuf,
    pub app_id: String,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: ServiceLimits,
    /// Consent to the app's severe findings.
    #[serde(default)]
    pub consent: bool,
    /// Where the app came from (`store/app@version`); `compose_file` when
    /// unset, so an update reads the same folder (and files) again.
    #[serde(default)]
    pub source: Option<String>,
    /// The shares given to it, each resolved to its folder.
    #[serde(default)]
    pub shares: Vec<crate::shares::AppShare>,
    /// Its name on the proxy; by default one made from its id.
    #[serde(default)]
    pub name: Option<String>,
    /// Only people logged in to Berth may open it through the proxy.
    #[serde(default)]
    pub gate: bool,
    /// Leave its main web port off the host: reached by name through
    /// Berth's proxy only.
    #[serde(default)]
    pub no_host_port: bool,
}

impl Apps {
    /// Installs an app; returns the operation id.
    pub async fn install(
        &self,
        request: &InstallRequest,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<i64> {
        let op = self.begin_install(request)?;
        self.run_install(op, request, progress).await?;
        Ok(op)
    }

    /// Checks and records an install; returns its operation id at once.
    pub fn begin_install(&self, request: &InstallRequest) -> Result<i64> {
        let app = request.app_id.as_str();
        crate::host::check_limits(&request.limits)?;
        if let Some(existing) = self.db.app(app)? {
            return Err(Error::taken(app, existing.state));
        }
        if let Some(name) = &request.name {
            crate::proxy::check_app_name(name)?;
            if let Some(other) = self.db.app_by_name(name)? {
                return Err(Error::NameTaken {
                    name: name.clone(),
                    app: other.id,
                });
            }
        }
        let op = self.db.begin_operation(
            app,
            "install",
            &serde_json::to_string(request).expect("requests serialize"),
        )?;
        self.boundary();
        Ok(op)
    }

    /// Runs a begun install to its end: done, or rolled back.
    pub async fn run_install(
        &self,
        op: i64,
        request: &InstallRequest,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self.install_steps(op, request, progress).await {
            Ok(()) => self.db.finish_operation(op, "done", None),
            Err(e) => {
                // Roll back now; if that fails too (engine gone), the operation
                // stays unfinished and reconcile finishes the rollback later.
                if self.roll_back_install(&request.app_id).await.is_ok() {
                    self.db
                        .finish_operation(op, "failed", Some(&e.to_string()))?;
                    Err(e)
                } else {
                    self.db.note_operation_error(op, &e.to_string())?;
                    Err(Error::Unsettled {
                        cause: Box::new(e),
                        then: "roll this install back",
                    })
                }
            }
        }
    }

    async fn install_steps(
        &self,
        op: i64,
        request: &InstallRequest,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        let app = request.app_id.as_str();
        let project = self
            .step(op, Step::Render, progress, async {
                let mut ports = self.ports()?;
                let render_request = RenderRequest {
                    app_id: app.to_string(),
                    home: self.layout.home().to_path_buf(),
                    host: self.host.clone(),
                    settings: request.settings.clone(),
                    limits: request.limits,
                    consent: request.consent,
                    shares: request.shares.clone(),
                    no_host_port: request.no_host_port,
                };
                let rendered = render(&request.compose_file, &render_request, &mut ports)?;
                let dir = self.layout.app_dir(app);
                std::fs::create_dir_all(&dir).map_err(|cause| Error::Write {
                    path: dir.clone(),
                    cause,
                })?;
                let file = self.compose_file(app);
                let tmp = file.with_extension("yml.tmp");
                std::fs::write(&tmp, &rendered.yaml).map_err(|cause| Error::Write {
                    path: tmp.clone(),
                    cause,
                })?;
                std::fs::rename(&tmp, &file).map_err(|cause| Error::Write {
                    path: file.clone(),
                    cause,
                })?;
                ports.save()?;
                self.db.put_app(&AppRecord {
                    id: app.to_string(),
                    source: request
                        .source
                        .clone()
                        .unwrap_or_else(|| request.compose_file.to_string_lossy().into_owned()),
                    settings: serde_json::to_string(&request.settings).expect("settings serialize"),
                    limits: serde_json::to_string(&request.limits).expect("limits serialize"),
                    compose_hash: super::update::hash(rendered.yaml.as_bytes()),
                    state: "installing".into(),
                    installed_at: now_ms(),
                    name: String::new(),
                    gate: false,
                    host_port: true,
                })?;
                if let Some(name) = &request.name {
                    self.db.set_app_name(app, name)?;
                }
                self.db.set_app_gate(app, request.gate)?;
                self.db.set_app_host_port(app, !request.no_host_port)?;
                self.load_rendered(app)
            })
            .await?;
        // These steps report their own progress, so they enter and leave by hand.
        self.enter(op, Step::Pull, progress)?;
        self.engine
            .pull_missing(&project, &mut |p| progress(pull_progress(p)))
            .await?;
        self.boundary();
        self.enter(op, Step::Start, progress)?;
        self.check_storage(app, &project, false).await?;
        self.engine
            .up(&project, &mut |e| progress(up_progress(e)))
            .await?;
        self.boundary();
        self.step(op, Step::Commit, progress, async {
            self.db.set_app_state(app, "installed")
        })
        .await?;
        self.note_app_images(&project).await;
        Ok(())
    }

    /// Records the images `project` runs as Berth's (for image cleanup);
    /// best effort, the app runs either way.
    pub(super) async fn note_app_images(&self, project: &Project) {
        if let Ok(images) = self.engine.image_ids(project).await {
            for image in images {
                let _ = self.db.touch_image(&image.id, &image.reference, now_ms());
            }
        }
    }

    /// The project of an installed app, read from its rendered file — only
    /// if it is the file Berth rendered and checked (its hash is recorded)
    /// and everything it asks of the host was consented to: an app that can
    /// write its own compose file must not be able to grant itself more.
    pub fn load_rendered(&self, app: &str) -> Result<Project> {
        let file = self.compose_file(app);
        let bytes = read_file(&file)?;
        if let Some(record) = self.db.app(app)? {
            if super::update::hash(&bytes) != record.compose_hash {
                return Err(Error::Tampered {
                    app: app.to_string(),
                    path: file,
                });
            }
        }
        let dir = self.layout.app_dir(app);
        let options = LoadOptions {
            project_name: Some(app.to_string()),
            working_dir: Some(dir.clone()),
            ..Default::default()
        };
        let project = load_bytes(&bytes, &file, &options)?;
        let missing = unconsented(&policy::check(&project, Some(&dir)), &consented(&project));
        if !missing.is_empty() {
            return Err(Error::ConsentRequired {
                app: app.to_string(),
                findings: missing,
            });
        }
        Ok(project)
    }
}

/// An `up`'s event as the operation's progress.
pub(super) fn up_progress(e: UpEvent) -> Progress {
    match e {
        UpEvent::Pull(p) => pull_progress(p),
        UpEvent::Service { service, state } => Progress::Service { service, state },
    }
}

pub(super) fn pull_progress(p: PullProgress) -> Progress {
    Progress::Pull {
        image: p.image,
        layer: p.layer,
        current: p.current,
        total: p.total,
    }
}
