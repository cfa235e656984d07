//! What this host's engine already has, against what a registry serves: an
//! image's repo digests (to tell whether its tag has moved) and which layers
//! are already here (to tell how much a pull would download).

use std::collections::HashSet;

use bollard::query_parameters::ListImagesOptions;

use super::{docker_err, Engine};
use crate::registry::{DownloadSize, ImageDownload, Registry};
use crate::Result;

impl Engine {
    /// The `repo@sha256:…` digests of the manifests `image` was pulled or
    /// pushed as; `None` when it is not on this host. An image built here
    /// and never pushed has none.
    pub async fn local_repo_digests(&self, image: &str) -> Result<Option<Vec<String>>> {
        match self.docker().inspect_image(image).await {
            Ok(inspect) => Ok(Some(inspect.repo_digests.unwrap_or_default())),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(docker_err(format!("inspect image {image}"))(e)),
        }
    }

    /// How many bytes pulling `images` would download: the compressed size
    /// of each layer, for this host's platform, whose content no image on
    /// this host has yet. Asks the registry for manifests and configs only.
    pub async fn download_size(
        &self,
        registry: &Registry,
        images: &[String],
    ) -> Result<DownloadSize> {
        let present = self.local_layers().await?;
        let mut counted = HashSet::new();
        let mut out = Vec::with_capacity(images.len());
        let mut total = 0;
        for image in images {
            let layers = registry.layers(image).await?;
            let mut bytes = 0;
            let mut present_layers = 0;
            for layer in &layers {
                if present.contains(&layer.diff_id) {
                    present_layers += 1;
                } else if counted.insert(layer.diff_id.clone()) {
                    bytes += layer.size;
                }
            }
            total += bytes;
            out.push(ImageDownload {
                image: image.clone(),
                bytes,
                layers: layers.len(),
                present_layers,
            });
        }
        Ok(DownloadSize { images: out, total })
    }

    /// The uncompressed digests of the layers of every image on this host.
    async fn local_layers(&self) -> Result<HashSet<String>> {
        let images = self
            .docker()
            .list_images(Some(ListImagesOptions::default()))
            .await
            .map_err(docker_err("list the images"))?;
        let mut layers = HashSet::new();
        for image in images {
            match self.docker().inspect_image(&image.id).await {
                Ok(inspect) => {
                    layers.extend(inspect.root_fs.and_then(|r| r.layers).unwrap_or_default())
                }
                // Removed since the listing: its layers are not here to count.
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(docker_err(format!("inspect image {}", image.id))(e)),
            }
        }
        Ok(layers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shells run these on multi-threaded runtimes.
    #[allow(dead_code)]
    fn futures_are_send(registry: &Registry, engine: &Engine) {
        fn send<T: Send>(_: T) {}
        send(engine.local_repo_digests(""));
        send(engine.download_size(registry, &[]));
    }
}
