//! Down: stops and removes an app's containers and networks. Named volumes
//! and data folders are kept unless the caller asks for them to go: other
//! stores lost users' data on uninstall; Berth never does that by default.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveVolumeOptions,
};

use super::{docker_err, labels, Engine};
use crate::Result;

/// What `down` removes beyond containers and networks.
#[derive(Debug, Clone, Copy, Default)]
pub struct DownOptions {
    /// Also remove the app's named volumes (its data).
    pub remove_volumes: bool,
}

impl Engine {
    /// Stops and removes everything labelled as `project`'s.
    pub async fn down(&self, project: &str, options: DownOptions) -> Result<()> {
        let filter = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let containers = self
            .docker()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filter.clone()),
                ..Default::default()
            }))
            .await
            .map_err(docker_err(format!("list the containers of {project}")))?;
        let removals = containers.iter().filter_map(|c| {
            let id = c.id.clone()?;
            let service = c
                .labels
                .as_ref()
                .and_then(|l| l.get(labels::SERVICE))
                .cloned()
                .unwrap_or_default();
            Some(async move { self.remove_container(&id, &service).await })
        });
        futures_util::future::join_all(removals)
            .await
            .into_iter()
            .collect::<Result<Vec<()>>>()?;

        let networks = self
            .docker()
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filter.clone()),
            }))
            .await
            .map_err(docker_err(format!("list the networks of {project}")))?;
        for n in networks {
            if let Some(name) = n.name {
                self.docker()
                    .remove_network(&name)
                    .await
                    .map_err(docker_err(format!("remove network {name}")))?;
            }
        }
        if options.remove_volumes {
            let volumes = self
                .docker()
                .list_volumes(Some(ListVolumesOptions {
                    filters: Some(filter),
                }))
                .await
                .map_err(docker_err(format!("list the volumes of {project}")))?;
            for v in volumes.volumes.unwrap_or_default() {
                self.docker()
                    .remove_volume(&v.name, Some(RemoveVolumeOptions { force: false }))
                    .await
                    .map_err(docker_err(format!("remove volume {}", v.name)))?;
            }
        }
        Ok(())
    }
}
