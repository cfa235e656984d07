//! Changing the shares given to an installed app: its store files rendered
//! again with the new shares (settings, limits, ports and consent as they
//! were), the file and record swapped, then only the services whose mounts
//! changed re-created (`up` keeps a container whose configuration is the
//! same). Operation `shares`: render → start; a failure puts the previous
//! file back (and its containers, if they ran); a crash is settled by
//! running both steps again, as they are idempotent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::update::{hash, write_atomic};
use super::{Apps, Progress};
use crate::catalog::AppMeta;
use crate::compose::{Project, ServiceLimits};
use crate::db::OperationRecord;
use crate::model::{ShareName, Step};
use crate::rewrite::{consented, render, unconsented, RenderRequest};
use crate::shares::{recorded_shares, AppShare};
use crate::{Error, Result};

/// A change of an app's shares as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharesPlan {
    pub app: String,
    pub before: Vec<AppShare>,
    pub after: Vec<AppShare>,
    /// The rendered file before, put back if the change fails.
    previous: String,
    /// Whether any of its services ran (they are re-created then).
    running: bool,
    /// A change of whether its main web port is published on the host
    /// (the `host_port` operation: same shares, rendered again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host_port: Option<HostPortChange>,
}

/// Publishing an app's main web port on the host, or not.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct HostPortChange {
    before: bool,
    after: bool,
}

impl Apps {
    /// The app.yml of the installed version of a store app.
    pub fn installed_meta(&self, app: &str) -> Result<AppMeta> {
        let file = self.layout.store_files(app).join("app.yml");
        let bytes = std::fs::read(&file).map_err(|cause| Error::Read {
            path: file.clone(),
            cause,
        })?;
        serde_yaml::from_slice(&bytes).map_err(|e| Error::Yaml {
            path: file,
            message: e.to_string(),
        })
    }

    /// Checks and journals a change of `app`'s shares to `choices`
    /// (request → share; a request left out gets none).
    pub async fn begin_shares(
        &self,
        app: &str,
        choices: &BTreeMap<String, ShareName>,
    ) -> Result<(i64, SharesPlan)> {
        self.installed_record(app)?;
        let meta = self
            .installed_meta(app)
            .map_err(|_| Error::UnknownShareRequest {
                app: app.to_string(),
                request: choices.keys().next().cloned().unwrap_or_default(),
                known: Vec::new(),
            })?;
        let after = self.give_shares(app, &meta.shares, &meta.main.service, choices)?;
        let (current, previous, running) = self.rerender_base(app).await?;
        let plan = SharesPlan {
            app: app.to_string(),
            before: recorded_shares(&current),
            after,
            previous,
            running,
            host_port: None,
        };
        let op = self.journal_rerender("shares", &plan)?;
        Ok((op, plan))
    }

    /// What a re-render of `app` starts from: its rendered project, its
    /// compose file's text (to put back) and whether it runs.
    async fn rerender_base(&self, app: &str) -> Result<(crate::compose::Project, String, bool)> {
        let current = self.load_rendered(app)?;
        let running = self.engine.status(app).await?.iter().any(|s| s.is_up());
        let previous =
            std::fs::read_to_string(self.compose_file(app)).map_err(|cause| Error::Read {
                path: self.compose_file(app),
                cause,
            })?;
        Ok((current, previous, running))
    }

    /// Renders `plan` into memory, so a refusal comes before anything is
    /// touched, then journals it as operation `kind`.
    fn journal_rerender(&self, kind: &str, plan: &SharesPlan) -> Result<i64> {
        self.render_shares(plan)?;
        let op = self.db.begin_operation(
            &plan.app,
            kind,
            &serde_json::to_string(plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok(op)
    }

    /// Checks and journals publishing `app`'s main web port on the host
    /// (`on`) or taking it off (reached by its name through the proxy
    /// only): the app rendered again from its source as it is, its main
    /// service re-created if it ran. Journaled as `host_port`; run by
    /// [`Apps::run_shares`].
    pub async fn begin_host_port(&self, app: &str, on: bool) -> Result<(i64, SharesPlan)> {
        let record = self.installed_record(app)?;
        let (current, previous, running) = self.rerender_base(app).await?;
        let shares = recorded_shares(&current);
        let plan = SharesPlan {
            app: app.to_string(),
            before: shares.clone(),
            after: shares,
            previous,
            running,
            host_port: Some(HostPortChange {
                before: record.host_port,
                after: on,
            }),
        };
        let op = self.journal_rerender("host_port", &plan)?;
        Ok((op, plan))
    }

    /// Runs a begun change of shares to its end: done, or undone.
    pub async fn run_shares(
        &self,
        op: i64,
        plan: &SharesPlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        match self.shares_steps(op, plan, progress).await {
            Ok(()) => self.db.finish_operation(op, "done", None),
            Err(e) => {
                let undone = async {
                    write_atomic(&self.compose_file(&plan.app), plan.previous.as_bytes())?;
                    self.record_hash(&plan.app, plan.previous.as_bytes())?;
                    if let Some(change) = plan.host_port {
                        self.db.set_app_host_port(&plan.app, change.before)?;
                    }
                    if plan.running {
                        let old = self.load_rendered(&plan.app)?;
                        self.engine.up(&old, &mut |_| {}).await?;
                    }
                    Ok::<_, Error>(())
                }
                .await;
                match undone {
                    Ok(()) => {
                        self.db
                            .finish_operation(op, "failed", Some(&e.to_string()))?;
                        Err(e)
                    }
                    Err(undo) => {
                        self.db
                            .note_operation_error(op, &format!("{e}; undoing: {undo}"))?;
                        Err(Error::Unsettled {
                            cause: Box::new(e),
                            then: "finish changing its shares",
                        })
                    }
                }
            }
        }
    }

    async fn shares_steps(
        &self,
        op: i64,
        plan: &SharesPlan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<()> {
        let project = self
            .step(op, Step::Render, progress, async {
                self.write_shares(plan)
            })
            .await?;
        if plan.running {
            self.enter(op, Step::Start, progress)?;
            self.check_storage(&plan.app, &project, false).await?;
            self.engine
                .up(&project, &mut |e| progress(super::install::up_progress(e)))
                .await?;
            self.boundary();
        }
        Ok(())
    }

    /// The app rendered from its store files with the plan's shares; what
    /// was consented to before carries over, and the shares are consented
    /// to by their choice; anything else new is refused.
    fn render_shares(&self, plan: &SharesPlan) -> Result<crate::rewrite::Rendered> {
        let record = self.installed_record(&plan.app)?;
        // A store app's files, else the compose file (or folder, or kept
        // text) it was installed from.
        let file = match crate::service::AppSource::parse(&record.source) {
            crate::service::AppSource::Store { .. } => {
                self.layout.store_files(&plan.app).join("compose.yml")
            }
            crate::service::AppSource::File { .. } => std::path::PathBuf::from(&record.source),
        };
        let settings: BTreeMap<String, String> =
            serde_json::from_str(&record.settings).unwrap_or_default();
        let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
        let request = RenderRequest {
            app_id: plan.app.clone(),
            home: self.layout.home().to_path_buf(),
            host: self.host.clone(),
            settings,
            limits,
            consent: true,
            shares: plan.after.clone(),
            no_host_port: !plan.host_port.map_or(record.host_port, |c| c.after),
        };
        let mut ports = self.ports()?;
        let rendered = render(&file, &request, &mut ports)?;
        let before = consented(&crate::compose::load_bytes(
            plan.previous.as_bytes(),
            &self.compose_file(&plan.app),
            &Default::default(),
        )?);
        let new = unconsented(
            &rendered.policy,
            &[before, rendered.chosen.clone()].concat(),
        );
        if !new.is_empty() {
            return Err(Error::ConsentRequired {
                app: plan.app.clone(),
                findings: new,
            });
        }
        Ok(rendered)
    }

    /// Writes the file with the new shares, then the record's hash.
    fn write_shares(&self, plan: &SharesPlan) -> Result<Project> {
        let rendered = self.render_shares(plan)?;
        write_atomic(&self.compose_file(&plan.app), rendered.yaml.as_bytes())?;
        self.record_hash(&plan.app, rendered.yaml.as_bytes())?;
        if let Some(change) = plan.host_port {
            self.db.set_app_host_port(&plan.app, change.after)?;
        }
        self.load_rendered(&plan.app)
    }

    fn record_hash(&self, app: &str, yaml: &[u8]) -> Result<()> {
        let mut record = self.db.app(app)?.ok_or_else(|| Error::NotInstalled {
            app: app.to_string(),
        })?;
        record.compose_hash = hash(yaml);
        self.db.put_app(&record)
    }

    /// Finishes a change of shares a crash or the engine's absence interrupted.
    pub(super) async fn settle_shares(&self, op: &OperationRecord) -> Result<()> {
        let plan: SharesPlan = self.journaled_plan(op)?;
        if self.db.app(&plan.app)?.is_none() {
            return self.db.finish_operation(
                op.id,
                "interrupted",
                Some("the app was uninstalled before its shares were changed"),
            );
        }
        let project = self.write_shares(&plan)?;
        if plan.running {
            self.engine.up(&project, &mut |_| {}).await?;
        }
        self.db
            .finish_operation(op.id, "completed_after_restart", None)
    }
}
