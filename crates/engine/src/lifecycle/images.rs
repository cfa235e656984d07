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

/// An image on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    pub id: String,
    pub tags: Vec<String>,
    /// Bytes on disk (layers shared with other images included).
    pub size: u64,
}

impl Engine {
    /// Every image on the engine.
    pub async fn local_images(&self) -> Result<Vec<LocalImage>> {
        let list = self
            .docker()
            .list_images(Some(bollard::query_parameters::ListImagesOptions {
                all: false,
                ..Default::default()
            }))
            .await
            .map_err(docker_err("list the images"))?;
        Ok(list
            .into_iter()
            .map(|i| LocalImage {
                id: i.id,
                tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: u64::try_from(i.size).unwrap_or_default(),
            })
            .collect())
    }

    /// The ids of the images any container (running or not) was made from.
    pub async fn images_in_use(&self) -> Result<std::collections::BTreeSet<String>> {
        let list = self
            .docker()
            .list_containers(Some(ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await
            .map_err(docker_err("list the containers"))?;
        Ok(list.into_iter().filter_map(|c| c.image_id).collect())
    }

    /// Removes an image by id, with all its tags; false if it was gone already
    /// or a container took it meanwhile.
    pub async fn remove_image_id(&self, id: &str) -> Result<bool> {
        match self
            .docker()
            .remove_image(
                id,
                Some(RemoveImageOptions {
                    force: true,
                    ..Default::default()
                }),
                None,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => Ok(false),
            Err(e) => Err(docker_err(format!("remove image {id}"))(e)),
        }
    }
}
