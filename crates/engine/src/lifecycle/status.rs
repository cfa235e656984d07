//! Status: what each service of an app is doing, as the engine sees it.

use std::collections::HashMap;

use bollard::query_parameters::ListContainersOptions;

use super::{docker_err, labels, Engine};
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
}

impl Engine {
    /// The state of each service of `project` that has a container.
    pub async fn status(&self, project: &str) -> Result<Vec<ServiceStatus>> {
        let filter = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let list = self
            .docker()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filter),
                ..Default::default()
            }))
            .await
            .map_err(docker_err(format!("list the containers of {project}")))?;
        let mut out = Vec::new();
        for c in list {
            let Some(id) = c.id else { continue };
            let service = c
                .labels
                .as_ref()
                .and_then(|l| l.get(labels::SERVICE))
                .cloned()
                .unwrap_or_default();
            let inspected = self
                .docker()
                .inspect_container(&id, None)
                .await
                .map_err(docker_err(format!("inspect the container of {service}")))?;
            let s = inspected.state.unwrap_or_default();
            let health = s.health.and_then(|h| h.status).map(|h| h.to_string());
            let engine_state = s.status.map(|x| x.to_string()).unwrap_or_default();
            let state = match (engine_state.as_str(), health.as_deref()) {
                ("running", Some("healthy")) => ServiceState::Healthy,
                ("running", Some("unhealthy")) => ServiceState::Unhealthy,
                ("running", Some("starting")) => ServiceState::Starting,
                ("running", _) => ServiceState::Running,
                ("restarting", _) => ServiceState::Restarting,
                ("created", _) => ServiceState::Created,
                ("exited" | "dead", _) => ServiceState::Exited {
                    code: s.exit_code.unwrap_or_default(),
                },
                (other, _) => ServiceState::Other {
                    engine_state: other.to_string(),
                },
            };
            out.push(ServiceStatus {
                service,
                container: inspected
                    .name
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                image: c.image.unwrap_or_default(),
                state,
            });
        }
        out.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(out)
    }
}
