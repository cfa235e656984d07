//! Readiness, and what an update needs from the engine: the health gate
//! (each service healthy by its healthcheck, else the main service's port
//! answering, else running without restarts), the exact image each service
//! runs (so a rollback can put the old image back under its tag even after
//! the tag moved), and the project's named volumes with their folders.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::query_parameters::{ListVolumesOptions, TagImageOptions};
use serde::{Deserialize, Serialize};
use serde_yaml::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::up::health_deadline;
use super::{container_name, docker_err, labels, Engine, PullProgress};
use crate::compose::Project;
use crate::Result;

/// An image reference and the image it names on this engine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ImageRef {
    /// As the compose file writes it (`repo:tag`).
    pub reference: String,
    /// The image id (`sha256:…`).
    pub id: String,
}

/// A named volume of a project, and where its files are on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectVolume {
    pub name: String,
    pub mountpoint: PathBuf,
}

/// The images a project's services name.
pub fn project_images(project: &Project) -> BTreeSet<String> {
    project
        .services()
        .filter_map(|(_, s)| s.get("image").and_then(Value::as_str).map(str::to_string))
        .collect()
}

impl Engine {
    /// The image each of `project`'s images names now; images not present are left out.
    pub async fn image_ids(&self, project: &Project) -> Result<Vec<ImageRef>> {
        let mut out = Vec::new();
        for reference in project_images(project) {
            match self.docker().inspect_image(&reference).await {
                Ok(image) => {
                    if let Some(id) = image.id {
                        out.push(ImageRef { reference, id });
                    }
                }
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => return Err(docker_err(format!("inspect image {reference}"))(e)),
            }
        }
        Ok(out)
    }

    /// Whether this engine has the image `id` (`sha256:…`).
    pub async fn has_image(&self, id: &str) -> Result<bool> {
        match self.docker().inspect_image(id).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(docker_err(format!("inspect image {id}"))(e)),
        }
    }

    /// The id of the image `reference` names here.
    pub async fn image_id(&self, reference: &str) -> Result<String> {
        self.docker()
            .inspect_image(reference)
            .await
            .map_err(docker_err(format!("inspect image {reference}")))?
            .id
            .ok_or_else(|| crate::Error::Docker {
                action: format!("inspect image {reference}"),
                message: "the engine gave no id".into(),
            })
    }

    /// Points `image.reference` at `image.id` again (a rollback after an
    /// update moved the tag). Fails if the old image is gone.
    pub async fn retag(&self, image: &ImageRef) -> Result<()> {
        if let Ok(now) = self.docker().inspect_image(&image.reference).await {
            if now.id.as_deref() == Some(image.id.as_str()) {
                return Ok(());
            }
        }
        let (repo, tag, digest) = crate::model::split_reference(&image.reference);
        if digest.is_some() {
            // Pinned by digest: the reference cannot move.
            return Ok(());
        }
        self.docker()
            .tag_image(
                &image.id,
                Some(TagImageOptions {
                    repo: Some(repo.to_string()),
                    tag: Some(tag.unwrap_or("latest").to_string()),
                }),
            )
            .await
            .map_err(docker_err(format!(
                "put {} back on its previous image",
                image.reference
            )))
    }

    /// Pulls every image of `project` (an update wants each tag's newest image).
    pub async fn pull_all(
        &self,
        project: &Project,
        progress: &mut (dyn FnMut(PullProgress) + Send),
    ) -> Result<()> {
        for image in project_images(project) {
            if image.contains('@') && self.docker().inspect_image(&image).await.is_ok() {
                continue; // pinned by digest and present: nothing newer exists
            }
            self.pull(&image, progress).await?;
        }
        Ok(())
    }

    /// Creates `project`'s networks and volumes if missing.
    pub async fn prepare(&self, project: &Project) -> Result<()> {
        self.ensure_networks(project).await?;
        self.ensure_volumes(project).await
    }

    /// The named volumes labelled as `project`'s, with their folders.
    pub async fn project_volumes(&self, project: &str) -> Result<Vec<ProjectVolume>> {
        let filter = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let list = self
            .docker()
            .list_volumes(Some(ListVolumesOptions {
                filters: Some(filter),
            }))
            .await
            .map_err(docker_err(format!("list the volumes of {project}")))?;
        let mut out: Vec<ProjectVolume> = list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| ProjectVolume {
                name: v.name,
                mountpoint: PathBuf::from(v.mountpoint),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Waits until every service of a started `project` is ready: healthy
    /// by its healthcheck; else, for the main service (`main`: its name,
    /// host port if published, container port), its host port answering,
    /// or without one its container port on the app's network; else running without restarts. One-off services that
    /// exited 0 count as ready. The outer error is the engine's, the inner
    /// says which service is not ready and why.
    pub async fn wait_ready(
        &self,
        project: &Project,
        main: Option<(&str, Option<u16>, u16)>,
        timeout: Duration,
    ) -> Result<std::result::Result<(), String>> {
        let started = Instant::now();
        let services: BTreeMap<String, serde_yaml::Mapping> = project
            .services()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect();
        let checks = services.iter().map(|(service, svc)| async move {
            let container = container_name(&project.name, service);
            let inspected = match self.docker().inspect_container(&container, None).await {
                Ok(c) => c,
                Err(e @ bollard::errors::Error::DockerResponseServerError { .. }) => {
                    return Ok(Err(format!("{service} has no container ({e})")))
                }
                Err(e) => return Err(docker_err(format!("inspect {container}"))(e)),
            };
            let state = inspected.state.clone().unwrap_or_default();
            let restarts = inspected.restart_count.unwrap_or_default();
            if state.health.is_some() {
                let deadline = health_deadline(svc).min(timeout);
                return Ok(self
                    .wait_healthy(&container, deadline)
                    .await?
                    .map_err(|why| format!("{service} {why}")));
            }
            if !state.running.unwrap_or(false) {
                let code = state.exit_code.unwrap_or_default();
                let one_off = matches!(
                    svc.get("restart").and_then(Value::as_str),
                    None | Some("no")
                );
                return Ok(if code == 0 && one_off {
                    Ok(())
                } else {
                    Err(format!("{service} stopped (exit code {code})"))
                });
            }
            if let Some((_, host_port, target)) = main.filter(|(m, _, _)| *m == service) {
                let port = host_port.unwrap_or(target);
                loop {
                    let at = match host_port {
                        Some(port) => Some(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
                        None => match self.service_address(&project.name, service).await? {
                            super::ServiceAddress::At(ip) => Some(SocketAddr::new(ip, target)),
                            _ => None,
                        },
                    };
                    if let Some(at) = at {
                        if answers(at).await {
                            break;
                        }
                    }
                    if started.elapsed() >= timeout {
                        return Ok(Err(format!(
                            "{service} did not answer on port {port} within {}s",
                            timeout.as_secs()
                        )));
                    }
                    if !self.running(&container).await? {
                        return Ok(Err(format!("{service} stopped before it answered")));
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            // Still up, and not restarting in a loop.
            let again = self
                .docker()
                .inspect_container(&container, None)
                .await
                .map_err(docker_err(format!("inspect {container}")))?;
            let running = again.state.and_then(|s| s.running).unwrap_or(false);
            Ok(
                if running && again.restart_count.unwrap_or_default() == restarts {
                    Ok(())
                } else {
                    Err(format!("{service} keeps restarting"))
                },
            )
        });
        let results = futures_util::future::join_all(checks).await;
        let mut failures = Vec::new();
        for r in results {
            if let Err(why) = r? {
                failures.push(why);
            }
        }
        Ok(if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        })
    }

    async fn running(&self, container: &str) -> Result<bool> {
        match self.docker().inspect_container(container, None).await {
            Ok(c) => Ok(c.state.and_then(|s| s.running).unwrap_or(false)),
            Err(bollard::errors::Error::DockerResponseServerError { .. }) => Ok(false),
            Err(e) => Err(docker_err(format!("inspect {container}"))(e)),
        }
    }
}

/// Whether something answers on the host's `port`: any reply to an HTTP
/// request, or a connection the far side keeps open in silence (a non-HTTP
/// service). Docker's port proxy accepts and then closes at once when
/// nothing listens behind it; that is "not answering".
async fn answers(at: SocketAddr) -> bool {
    let connect = tokio::net::TcpStream::connect(at);
    let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(1), connect).await else {
        return false;
    };
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
        Ok(Ok(n)) => n > 0,
        Ok(Err(_)) => false,
        Err(_) => true,
    }
}
