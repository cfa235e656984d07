//! Image removal: only images no container (of any app, or of anything else)
//! still uses.

use std::collections::HashMap;

use bollard::query_parameters::{ListContainersOptions, RemoveImageOptions};

use super::{docker_err, Engine};
use crate::Result;

impl Engine {
    /// Removes those of `images` that no container uses; returns the ones removed.
    pub async fn remove_unused_images(&self, images: &[String]) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for image in images {
            let filter = HashMap::from([("ancestor".to_string(), vec![image.clone()])]);
            let users = self
                .docker()
                .list_containers(Some(ListContainersOptions {
                    all: true,
                    filters: Some(filter),
                    ..Default::default()
                }))
                .await
                .map_err(docker_err(format!("list the containers using {image}")))?;
            if !users.is_empty() {
                continue;
            }
            match self
                .docker()
                .remove_image(
                    image,
                    Some(RemoveImageOptions {
                        force: false,
                        ..Default::default()
                    }),
                    None,
                )
                .await
            {
                Ok(_) => removed.push(image.clone()),
                // Already gone, or taken by a container created meanwhile: keep going.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404 | 409,
                    ..
                }) => {}
                Err(e) => return Err(docker_err(format!("remove image {image}"))(e)),
            }
        }
        Ok(removed)
    }
}
