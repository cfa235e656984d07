//! One-off services: run a service of a project to its end (an update's
//! migration step), after bringing up what it depends on, and say how it
//! ended — with its last lines of output when it failed.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use serde_yaml::{Mapping, Value};

use super::{container_name, docker_err, Engine, UpEvent};
use crate::compose::Project;
use crate::{Error, Result};

/// How many of a failed one-off's last output lines its error quotes.
const TAIL: usize = 15;

/// The services `service` depends on, transitively, in no order.
fn dependencies(project: &Project, service: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo = vec![service.to_string()];
    while let Some(s) = todo.pop() {
        let deps = project
            .services()
            .find(|(name, _)| *name == s)
            .and_then(|(_, svc)| svc.get("depends_on").and_then(Value::as_mapping).cloned())
            .unwrap_or_default();
        for dep in deps.keys().filter_map(Value::as_str) {
            if found.insert(dep.to_string()) {
                todo.push(dep.to_string());
            }
        }
    }
    found
}

/// `project` with only `keep` among its services.
fn only(project: &Project, keep: &BTreeSet<String>) -> Project {
    let mut subset = project.clone();
    if let Some(services) = subset
        .model
        .get_mut("services")
        .and_then(Value::as_mapping_mut)
    {
        services.retain(|name, _| name.as_str().is_some_and(|n| keep.contains(n)));
    }
    subset
}

impl Engine {
    /// Runs `service` of `project` once, to its end, within `timeout`: its
    /// dependencies are brought up first (and left running), the one-off
    /// container is removed after. `Ok(Err(why))` when it fails or times out.
    pub async fn run_once(
        &self,
        project: &Project,
        service: &str,
        timeout: Duration,
        progress: &mut (dyn FnMut(UpEvent) + Send),
    ) -> Result<std::result::Result<(), String>> {
        let svc: Mapping = project
            .services()
            .find(|(name, _)| *name == service)
            .map(|(_, svc)| svc.clone())
            .ok_or_else(|| Error::ServiceFailed {
                app: project.name.clone(),
                service: service.to_string(),
                message: "is not in the compose file".into(),
            })?;
        let deps = dependencies(project, service);
        if deps.contains(service) {
            return Ok(Err(format!("{service} depends on itself")));
        }
        // Its dependencies, as the app runs them; then the one-off itself.
        self.up(&only(project, &deps), progress).await?;
        let mut once = svc.clone();
        once.insert("restart".into(), "no".into());
        let mut alone = only(project, &[service.to_string()].into());
        if let Some(services) = alone
            .model
            .get_mut("services")
            .and_then(Value::as_mapping_mut)
        {
            services.insert(service.into(), Value::Mapping(once.clone()));
        }
        self.pull_missing(&alone, &mut |p| progress(UpEvent::Pull(p)))
            .await?;
        let name = container_name(&project.name, service);
        // A one-off left by an earlier, interrupted run goes first.
        if let Ok(old) = self.docker().inspect_container(&name, None).await {
            if let Some(id) = old.id {
                self.remove_container(&id, service).await?;
            }
        }
        let id = self
            .create_service_container(&alone, service, &once)
            .await?;
        progress(UpEvent::Service {
            service: service.to_string(),
            state: "created".into(),
        });
        let ended = async {
            self.docker()
                .start_container(&id, None)
                .await
                .map_err(docker_err(format!("start {name}")))?;
            progress(UpEvent::Service {
                service: service.to_string(),
                state: "started".into(),
            });
            match tokio::time::timeout(timeout, self.wait_completed(&id)).await {
                Ok(result) => result,
                Err(_) => Ok(Err(format!(
                    "did not finish within {} s",
                    timeout.as_secs()
                ))),
            }
        }
        .await;
        let ended = match ended {
            Ok(Err(why)) => {
                let lines: Vec<String> = self
                    .logs(&project.name, service, Some(TAIL), false)
                    .filter_map(|l| async move { l.ok().map(|l| l.text) })
                    .collect()
                    .await;
                Ok(Err(if lines.is_empty() {
                    why
                } else {
                    format!("{why}; its last output:\n{}", lines.join("\n"))
                }))
            }
            other => other,
        };
        self.remove_container(&id, service).await?;
        if let Ok(Ok(())) = ended {
            progress(UpEvent::Service {
                service: service.to_string(),
                state: "completed".into(),
            });
        }
        ended
    }
}
