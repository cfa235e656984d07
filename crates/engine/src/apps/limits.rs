//! Limits: an installed app's CPU, memory and process limits changed while
//! it runs. The new limits go into its rendered compose file (so every
//! later start, and every update, keeps them) and its record, then onto
//! its containers, running or stopped, live (`Engine::apply_limits`): no
//! recreate, no downtime.
//!
//! Operation `limits`: render → apply. Both steps are idempotent, so a
//! crash is settled by running them again; a refusal puts the previous
//! file, record and limits back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::update::{hash, write_atomic};
use super::Apps;
use crate::compose::{load_bytes, LoadOptions, Project, ServiceLimits};
use crate::db::OperationRecord;
use crate::host::check_limits;
use crate::lifecycle::LimitsApplied;
use crate::model::Step;
use crate::{Error, Result};

/// A limits change as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LimitsPlan {
    app: String,
    before: ServiceLimits,
    after: ServiceLimits,
}

/// A limits change checked and journaled, ready to run.
#[derive(Debug)]
pub struct LimitsBegun {
    pub operation: i64,
    plan: LimitsPlan,
    /// The rendered file before, put back if the change is refused.
    previous: Vec<u8>,
}

/// How a limits change went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitsReport {
    pub operation: i64,
    /// The app-wide limits now in force.
    pub limits: ServiceLimits,
    /// Each service's container, and what the change did to it.
    pub services: Vec<ServiceLimitsApplied>,
}

/// What a limits change did to one service's container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceLimitsApplied {
    pub service: String,
    pub applied: LimitsApplied,
}

/// `change` over `current`: each limit given replaces, each `None` keeps.
fn merged(current: ServiceLimits, change: ServiceLimits) -> ServiceLimits {
    ServiceLimits {
        cpus: change.cpus.or(current.cpus),
        memory: change.memory.or(current.memory),
        memory_swap: change.memory_swap.or(current.memory_swap),
        pids: change.pids.or(current.pids),
    }
}

impl Apps {
    /// Changes an installed app's limits, live. Each limit given in
    /// `change` replaces the app's (for every service); each `None` keeps
    /// it. Refuses limits above the host's CPUs or memory, below Docker's
    /// minimum memory, or memory above an explicit memory+swap limit
    /// (give `memory_swap` too then: equal to `memory` for no swap, -1 for
    /// unlimited). Without an explicit one, memory+swap is twice the
    /// memory, as Docker sets it.
    pub async fn set_limits(&self, app: &str, change: ServiceLimits) -> Result<LimitsReport> {
        let begun = self.begin_limits(app, change)?;
        self.run_limits(&begun, &mut |_| {}).await
    }

    /// Checks and journals a limits change; [`Apps::run_limits`] carries it out.
    pub fn begin_limits(&self, app: &str, change: ServiceLimits) -> Result<LimitsBegun> {
        let record = self.installed_record(app)?;
        let before: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
        let plan = LimitsPlan {
            app: app.to_string(),
            before,
            after: merged(before, change),
        };
        check_limits(&plan.after)?;
        // Checked before anything is journaled: a service's own limits
        // may not agree with the new app-wide ones.
        self.limited_project(&plan)?;
        let previous = std::fs::read(self.compose_file(app)).map_err(|cause| Error::Read {
            path: self.compose_file(app),
            cause,
        })?;
        let operation = self.db.begin_operation(
            app,
            "limits",
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok(LimitsBegun {
            operation,
            plan,
            previous,
        })
    }

    /// Runs a begun limits change to its end: applied, or undone.
    pub async fn run_limits(
        &self,
        begun: &LimitsBegun,
        progress: &mut (dyn FnMut(super::Progress) + Send),
    ) -> Result<LimitsReport> {
        let LimitsBegun {
            operation: op,
            plan,
            previous,
        } = begun;
        let op = *op;
        match self.limits_steps(op, plan, progress).await {
            Ok(services) => {
                self.db.finish_operation(op, "done", None)?;
                Ok(LimitsReport {
                    operation: op,
                    limits: plan.after,
                    services,
                })
            }
            Err(e @ Error::DockerUnavailable { .. }) => {
                // The new limits are written; reconcile applies them once
                // the engine is back.
                self.db.note_operation_error(op, &e.to_string())?;
                Err(Error::Unsettled {
                    cause: Box::new(e),
                    then: "apply the new limits",
                })
            }
            Err(e) => {
                self.undo_limits(plan, previous).await;
                self.db
                    .finish_operation(op, "failed", Some(&e.to_string()))?;
                Err(e)
            }
        }
    }

    async fn limits_steps(
        &self,
        op: i64,
        plan: &LimitsPlan,
        progress: &mut (dyn FnMut(super::Progress) + Send),
    ) -> Result<Vec<ServiceLimitsApplied>> {
        let project = self
            .step(op, Step::Render, progress, async {
                self.write_limits(plan)
            })
            .await?;
        let applied = self
            .step(
                op,
                Step::Apply,
                progress,
                self.engine.apply_limits(&project),
            )
            .await?;
        Ok(applied
            .into_iter()
            .map(|(service, applied)| ServiceLimitsApplied { service, applied })
            .collect())
    }

    /// The app's rendered file with `plan.after` in force, and its project.
    fn limited_project(&self, plan: &LimitsPlan) -> Result<(String, Project)> {
        limited_file(
            &self.compose_file(&plan.app),
            &plan.app,
            &self.layout.app_dir(&plan.app),
            &plan.after,
        )
    }

    /// Writes the rendered file with the new limits, then the record.
    fn write_limits(&self, plan: &LimitsPlan) -> Result<Project> {
        let (yaml, project) = self.limited_project(plan)?;
        write_atomic(&self.compose_file(&plan.app), yaml.as_bytes())?;
        let mut record = self.db.app(&plan.app)?.ok_or_else(|| Error::NotInstalled {
            app: plan.app.clone(),
        })?;
        record.limits = serde_json::to_string(&plan.after).expect("limits serialize");
        record.compose_hash = hash(yaml.as_bytes());
        self.db.put_app(&record)?;
        Ok(project)
    }

    /// Puts the previous file, record and live limits back; best effort,
    /// reported and not raised, the refusal being what the user needs to see.
    async fn undo_limits(&self, plan: &LimitsPlan, previous: &[u8]) {
        let undone = async {
            write_atomic(&self.compose_file(&plan.app), previous)?;
            if let Some(mut record) = self.db.app(&plan.app)? {
                record.limits = serde_json::to_string(&plan.before).expect("limits serialize");
                record.compose_hash = hash(previous);
                self.db.put_app(&record)?;
            }
            let project = self.load_rendered(&plan.app)?;
            self.engine.apply_limits(&project).await.map(drop)
        };
        if let Err(e) = undone.await {
            eprintln!(
                "berth: could not put the previous limits of {} back: {e}",
                plan.app
            );
        }
    }

    /// Finishes a limits change a crash or the engine's absence interrupted.
    pub(super) async fn settle_limits(&self, op: &OperationRecord) -> Result<()> {
        let plan: LimitsPlan = self.journaled_plan(op)?;
        if self.db.app(&plan.app)?.is_none() {
            return self.db.finish_operation(
                op.id,
                "interrupted",
                Some("the app was uninstalled before its limits were applied"),
            );
        }
        let project = self.write_limits(&plan)?;
        self.engine.apply_limits(&project).await?;
        self.db
            .finish_operation(op.id, "completed_after_restart", None)
    }
}

/// `file`, the rendered file of `app`, with `after` applied to every
/// service, and its project; refuses a service whose limits would not hold
/// together. The file is edited as written (not normalized again), so it is
/// byte for byte what a new render with these limits gives.
fn limited_file(
    file: &Path,
    app: &str,
    dir: &Path,
    after: &ServiceLimits,
) -> Result<(String, Project)> {
    let bytes = std::fs::read(file).map_err(|cause| Error::Read {
        path: file.to_path_buf(),
        cause,
    })?;
    let mut model: serde_yaml::Value = serde_yaml::from_slice(&bytes).map_err(|e| Error::Yaml {
        path: file.to_path_buf(),
        message: e.to_string(),
    })?;
    if let Some(services) = model
        .get_mut("services")
        .and_then(serde_yaml::Value::as_mapping_mut)
    {
        for (name, svc) in services.iter_mut() {
            let Some(svc) = svc.as_mapping_mut() else {
                continue;
            };
            after.apply_to_if_set(svc);
            check_limits(&ServiceLimits::of(svc)).map_err(|e| match e {
                Error::InvalidLimit { what, message } => Error::InvalidLimit {
                    what,
                    message: format!("service {}: {message}", name.as_str().unwrap_or_default()),
                },
                other => other,
            })?;
        }
    }
    let yaml = serde_yaml::to_string(&model).expect("a YAML value always serializes");
    let options = LoadOptions {
        project_name: Some(app.to_string()),
        working_dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    let project = load_bytes(yaml.as_bytes(), file, &options)?;
    Ok((yaml, project))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rewrite::{app_dir, render, HostSettings, PortAllocator, RenderRequest};

    #[test]
    fn given_limits_replace_and_none_keeps() {
        let current = ServiceLimits {
            cpus: Some(1.0),
            memory: Some(256 << 20),
            memory_swap: None,
            pids: Some(100),
        };
        let change = ServiceLimits {
            memory: Some(512 << 20),
            ..Default::default()
        };
        assert_eq!(
            merged(current, change),
            ServiceLimits {
                memory: Some(512 << 20),
                ..current
            }
        );
    }

    /// A limits change edits the rendered file into exactly what a new
    /// render with the new limits gives, so an update that renders the
    /// same app again finds it unchanged.
    #[test]
    fn the_edited_file_is_the_new_render() {
        let root = std::env::temp_dir().join(format!("berth-limits-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let source = root.join("source.yml");
        std::fs::write(
            &source,
            "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    command: sh -c 'echo $$HOME'\n    volumes: ['./data:/data']\n    environment: {URL: $APP_URL}\n  db:\n    image: postgres\n    mem_limit: 1g\n",
        )
        .unwrap();
        let home = root.join("home");
        let render_with = |limits: ServiceLimits| {
            let request = RenderRequest {
                app_id: "lim".into(),
                home: home.clone(),
                host: HostSettings::default(),
                settings: Default::default(),
                limits,
                consent: false,
                shares: Vec::new(),
                no_host_port: false,
            };
            render(
                &source,
                &request,
                &mut PortAllocator::in_memory().without_host_probe(),
            )
            .unwrap()
            .yaml
        };
        let dir = app_dir(&home, "lim");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("compose.yml"),
            render_with(ServiceLimits::default()),
        )
        .unwrap();
        let after = ServiceLimits {
            cpus: Some(0.5),
            memory: Some(64 << 20),
            ..Default::default()
        };
        let (yaml, project) = limited_file(&dir.join("compose.yml"), "lim", &dir, &after).unwrap();
        assert_eq!(yaml, render_with(after));
        for (_, svc) in project.services() {
            assert_eq!(ServiceLimits::of(svc).memory, Some(64 << 20));
        }
        std::fs::remove_dir_all(&root).ok();
    }
}
