//! Status: what each service of an app is doing, as the engine sees it.

use std::collections::HashMap;

use bollard::query_parameters::ListContainersOptions;

use super::{docker_err, labels, Engine};
use crate::compose::format_bytes;
use crate::Result;

/// A service's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ServiceState {
    Created,
    Running,
    Starting,
    Healthy,
    Unhealthy,
    Restarting,
    Exited { code: i64 },
    Other { engine_state: String },
}

/// One service's container and state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceStatus {
    pub service: String,
    pub container: String,
    pub image: String,
    pub state: ServiceState,
    /// The kernel killed it for running out of memory (its limit's, or the
    /// host's): known for a stopped or restarting container.
    pub oom_killed: bool,
    /// What went wrong, for people: `killed: out of memory (limit 64 MiB)`.
    pub message: Option<String>,
}

impl ServiceStatus {
    /// Whether its container runs (healthy or not, starting, restarting).
    pub fn is_up(&self) -> bool {
        !matches!(
            self.state,
            ServiceState::Created | ServiceState::Exited { .. } | ServiceState::Other { .. }
        )
    }
}

impl Engine {
    /// The state of each service of `project` that has a container.
    pub async fn status(&self, project: &str) -> Result<Vec<ServiceStatus>> {
        let label = format!("{}={project}", labels::PROJECT);
        let mut all = self.list_status(label, project).await?;
        Ok(all.remove(project).unwrap_or_default())
    }

    /// The state of every service of every compose project, by project, in
    /// one engine call: what `berth apps` shows for any number of apps.
    pub async fn status_all(&self) -> Result<HashMap<String, Vec<ServiceStatus>>> {
        self.list_status(labels::PROJECT.to_string(), "the apps")
            .await
    }

    async fn list_status(
        &self,
        label_filter: String,
        what: &str,
    ) -> Result<HashMap<String, Vec<ServiceStatus>>> {
        let filter = HashMap::from([("label".to_string(), vec![label_filter])]);
        let list = self
            .docker()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filter),
                ..Default::default()
            }))
            .await
            .map_err(docker_err(format!("list the containers of {what}")))?;
        let mut out: HashMap<String, Vec<ServiceStatus>> = HashMap::new();
        for c in list {
            let label = |key: &str| {
                c.labels
                    .as_ref()
                    .and_then(|l| l.get(key))
                    .cloned()
                    .unwrap_or_default()
            };
            let project = label(labels::PROJECT);
            let service = label(labels::SERVICE);
            let engine_state = c.state.map(|s| s.to_string()).unwrap_or_default();
            let state = summary_state(&engine_state, c.status.as_deref().unwrap_or_default());
            let container = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default();
            // Only the inspect of a container says why it stopped; one
            // that runs needs none.
            let stopped = matches!(
                state,
                ServiceState::Exited { .. } | ServiceState::Restarting
            );
            let (oom_killed, message) = match (&c.id, stopped) {
                (Some(id), true) => self.oom_report(id).await?,
                _ => (false, None),
            };
            out.entry(project).or_default().push(ServiceStatus {
                service,
                container,
                image: c.image.unwrap_or_default(),
                state,
                oom_killed,
                message,
            });
        }
        for services in out.values_mut() {
            services.sort_by(|a, b| a.service.cmp(&b.service));
        }
        Ok(out)
    }
}

impl Engine {
    /// Whether container `id` was killed for want of memory, and the
    /// sentence that says so with its limit.
    async fn oom_report(&self, id: &str) -> Result<(bool, Option<String>)> {
        let inspected = match self.docker().inspect_container(id, None).await {
            Ok(i) => i,
            // Removed since the listing: nothing to report.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok((false, None)),
            Err(e) => return Err(docker_err(format!("inspect container {id}"))(e)),
        };
        let oom = inspected.state.and_then(|s| s.oom_killed).unwrap_or(false);
        let limit = inspected
            .host_config
            .and_then(|h| h.memory)
            .filter(|m| *m > 0);
        Ok((oom, oom.then(|| oom_message(limit))))
    }
}

/// `killed: out of memory (limit 64 MiB)`; the host's memory when no limit.
fn oom_message(limit: Option<i64>) -> String {
    match limit {
        Some(bytes) => format!("killed: out of memory (limit {})", format_bytes(bytes)),
        None => "killed: out of memory (the server ran out)".to_string(),
    }
}

/// A container's state from the list summary: the engine's state word plus
/// its status line, which carries health ("Up 3 minutes (healthy)",
/// "(health: starting)") and exit codes ("Exited (137) 2 seconds ago") — so
/// listing needs no inspect per container.
fn summary_state(engine_state: &str, status: &str) -> ServiceState {
    let health = if status.contains("(health: starting)") {
        Some("starting")
    } else if status.contains("(unhealthy)") {
        Some("unhealthy")
    } else if status.contains("(healthy)") {
        Some("healthy")
    } else {
        None
    };
    match (engine_state, health) {
        ("running", Some("healthy")) => ServiceState::Healthy,
        ("running", Some("unhealthy")) => ServiceState::Unhealthy,
        ("running", Some("starting")) => ServiceState::Starting,
        ("running", _) => ServiceState::Running,
        ("restarting", _) => ServiceState::Restarting,
        ("created", _) => ServiceState::Created,
        ("exited" | "dead", _) => ServiceState::Exited {
            code: exit_code(status).unwrap_or_default(),
        },
        (other, _) => ServiceState::Other {
            engine_state: other.to_string(),
        },
    }
}

/// The code in "Exited (137) 2 seconds ago".
fn exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest[..rest.find(')')?].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom_is_told_with_the_limit() {
        assert_eq!(
            oom_message(Some(64 << 20)),
            "killed: out of memory (limit 64 MiB)"
        );
        assert!(oom_message(None).contains("out of memory"));
    }

    #[test]
    fn states_come_from_the_summary_line() {
        assert_eq!(
            summary_state("running", "Up 3 minutes (healthy)"),
            ServiceState::Healthy
        );
        assert_eq!(
            summary_state("running", "Up 1 second (health: starting)"),
            ServiceState::Starting
        );
        assert_eq!(
            summary_state("running", "Up 2 hours (unhealthy)"),
            ServiceState::Unhealthy
        );
        assert_eq!(
            summary_state("running", "Up 2 hours"),
            ServiceState::Running
        );
        assert_eq!(
            summary_state("exited", "Exited (137) 2 seconds ago"),
            ServiceState::Exited { code: 137 }
        );
        assert_eq!(summary_state("created", "Created"), ServiceState::Created);
        assert_eq!(
            summary_state("paused", "Up 3 minutes (Paused)"),
            ServiceState::Other {
                engine_state: "paused".into()
            }
        );
    }
}
