//! Inspect: the details of each service's container that the status list
//! leaves out — restarts, exit code, out-of-memory kills, health — for a
//! diagnostics bundle or a service's page.

use futures_util::future::try_join_all;

use super::{docker_err, Engine};
use crate::Result;

/// One service's container, in detail.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDetail {
    pub service: String,
    pub container: String,
    pub image: String,
    /// The engine's word: `running`, `exited`, `restarting`, `created`…
    pub state: String,
    /// `healthy`, `unhealthy` or `starting` when the service has a health check.
    pub health: Option<String>,
    /// The last health check's output.
    pub health_output: Option<String>,
    /// How it last ended; none while it runs.
    #[specta(type = Option<f64>)]
    pub exit_code: Option<i64>,
    /// How often the engine restarted it.
    #[specta(type = f64)]
    pub restarts: i64,
    pub oom_killed: bool,
    /// Why the engine could not run it, if it says.
    pub error: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl Engine {
    /// The details of every container of `project`, by service; each
    /// container inspected at the same time.
    pub async fn inspect_services(&self, project: &str) -> Result<Vec<ServiceDetail>> {
        let services = self.status(project).await?;
        try_join_all(services.into_iter().map(|s| async move {
            let c = self
                .docker()
                .inspect_container(&s.container, None)
                .await
                .map_err(docker_err(format!("inspect {}", s.container)))?;
            let state = c.state.unwrap_or_default();
            let health = state.health.unwrap_or_default();
            // The engine says "0001-01-01T00:00:00Z" for "never".
            let nonempty =
                |v: Option<String>| v.filter(|v| !v.is_empty() && !v.starts_with("0001-"));
            Ok(ServiceDetail {
                service: s.service,
                container: s.container,
                image: s.image,
                state: state.status.map(|s| s.to_string()).unwrap_or_default(),
                health: health
                    .status
                    .map(|h| h.to_string())
                    .filter(|h| !h.is_empty() && h != "none"),
                health_output: health
                    .log
                    .and_then(|log| log.last().and_then(|r| r.output.clone())),
                exit_code: state.exit_code.filter(|_| state.running != Some(true)),
                restarts: c.restart_count.unwrap_or_default(),
                oom_killed: state.oom_killed.unwrap_or_default(),
                error: nonempty(state.error),
                started_at: nonempty(state.started_at),
                finished_at: nonempty(state.finished_at),
            })
        }))
        .await
    }
}
