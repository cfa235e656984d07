//! Pulling images, with per-layer progress.

use std::collections::BTreeSet;

use bollard::query_parameters::CreateImageOptions;
use futures_util::StreamExt;

use super::{docker_err, Engine};
use crate::compose::Project;
use crate::model::split_reference;
use crate::{Error, Result};

/// One progress report from a pull.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PullProgress {
    pub image: String,
    /// The layer, when the report is about one.
    pub layer: Option<String>,
    /// What the engine says (`Downloading`, `Pull complete`…).
    pub status: String,
    pub current: Option<i64>,
    pub total: Option<i64>,
}

impl Engine {
    /// Pulls the project's images that are not present yet (compose's
    /// default `pull_policy: missing`), reporting progress.
    pub async fn pull_missing(
        &self,
        project: &Project,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<()> {
        let images: BTreeSet<String> = project
            .services()
            .filter_map(|(_, s)| s.get("image").and_then(|v| v.as_str()).map(str::to_string))
            .collect();
        for image in images {
            if self.docker().inspect_image(&image).await.is_ok() {
                continue;
            }
            self.pull(&image, progress).await?;
        }
        Ok(())
    }

    /// Pulls one image; a missing image or an unreachable registry is an
    /// error that names the image.
    pub async fn pull(
        &self,
        image: &str,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<()> {
        // `name:tag@digest` pulls by digest; the tag is only a note.
        let (name, tag, digest) = split_reference(image);
        let options = CreateImageOptions {
            from_image: Some(name.to_string()),
            tag: Some(digest.or(tag).unwrap_or("latest").to_string()),
            ..Default::default()
        };
        let mut stream = self.docker().create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| match docker_err(format!("pull {image}"))(e) {
                Error::Docker { action, message } => Error::Docker {
                    action,
                    message: format!("{message} (check the image name and tag, and that its registry is reachable)"),
                },
                other => other,
            })?;
            if let Some(detail) = info.error_detail {
                return Err(Error::Docker {
                    action: format!("pull {image}"),
                    message: detail
                        .message
                        .unwrap_or_else(|| "the registry refused it".into()),
                });
            }
            let detail = info.progress_detail.unwrap_or_default();
            progress(PullProgress {
                image: image.to_string(),
                layer: info.id,
                status: info.status.unwrap_or_default(),
                current: detail.current,
                total: detail.total,
            });
        }
        Ok(())
    }
}
