//! Stop, start and restart. Stop goes in reverse dependency order (a web
//! front stops before the database it uses); start is convergence, which
//! starts stopped containers in dependency order and waits on conditions.

use bollard::query_parameters::StopContainerOptions;

use super::up::start_levels;
use super::{container_name, docker_err, Engine, UpEvent};
use crate::compose::Project;
use crate::Result;

impl Engine {
    /// Stops every service of `project`, dependents first.
    pub async fn stop(&self, project: &Project) -> Result<()> {
        let services: Vec<_> = project
            .services()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect();
        let mut levels = start_levels(&services)?;
        levels.reverse();
        for level in levels {
            let stops = level.iter().map(|service| async move {
                let name = container_name(&project.name, service);
                match self
                    .docker()
                    .stop_container(
                        &name,
                        Some(StopContainerOptions {
                            t: Some(10),
                            ..Default::default()
                        }),
                    )
                    .await
                {
                    Ok(()) => Ok(()),
                    // Already stopped, or never created: nothing to stop.
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 304 | 404,
                        ..
                    }) => Ok(()),
                    Err(e) => Err(docker_err(format!("stop {name}"))(e)),
                }
            });
            futures_util::future::join_all(stops)
                .await
                .into_iter()
                .collect::<Result<Vec<()>>>()?;
        }
        Ok(())
    }

    /// Starts `project` (creating what is missing), in dependency order.
    pub async fn start(
        &self,
        project: &Project,
        progress: &mut (dyn FnMut(UpEvent) + Send),
    ) -> Result<()> {
        self.up(project, progress).await
    }

    /// Stops, then starts `project`.
    pub async fn restart(
        &self,
        project: &Project,
        progress: &mut (dyn FnMut(UpEvent) + Send),
    ) -> Result<()> {
        self.stop(project).await?;
        self.up(project, progress).await
    }
}
