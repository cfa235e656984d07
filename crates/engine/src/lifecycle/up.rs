//! Convergence: makes what runs match the rendered project. Networks and
//! volumes first, missing images pulled, then services in dependency order —
//! independent ones concurrently — each waiting for its dependencies'
//! conditions. Health is awaited on the engine's event stream, not polled.
//! A service whose config hash is unchanged keeps its container; a change
//! of its limits alone is made live (`limits.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use bollard::models::{NetworkConnectRequest, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, EventsOptions, ListContainersOptions, RemoveContainerOptions,
    StopContainerOptions,
};
use futures_util::StreamExt;
use serde_yaml::{Mapping, Value};

use super::create::{config_hash, container_spec, service_networks};
use super::{container_name, docker_err, labels, Engine, LimitsApplied, PullProgress};
use crate::compose::{parse_duration, Project};
use crate::model::Layout;
use crate::{Error, Result};

/// What `up` reports as it goes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum UpEvent {
    Pull(PullProgress),
    /// A service changed state: `created`, `recreated`, `limits updated`,
    /// `unchanged`, `started`, `healthy`, `completed`.
    Service {
        service: String,
        state: String,
    },
}

/// A container of the project as the engine has it.
struct Existing {
    id: String,
    hash: String,
    running: bool,
    /// The image it was made from.
    image_id: Option<String>,
}

fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{}={project}", labels::PROJECT)],
    )])
}

/// Services grouped so that each group depends only on earlier groups.
pub(super) fn start_levels(services: &[(String, Mapping)]) -> Result<Vec<Vec<String>>> {
    let mut deps: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (name, svc) in services {
        let d = svc
            .get("depends_on")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        deps.insert(name, d);
    }
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut levels = Vec::new();
    while placed.len() < services.len() {
        let level: Vec<String> = deps
            .iter()
            .filter(|(n, d)| !placed.contains(**n) && d.iter().all(|x| placed.contains(x)))
            .map(|(n, _)| n.to_string())
            .collect();
        if level.is_empty() {
            let stuck: Vec<&str> = deps
                .keys()
                .filter(|n| !placed.contains(**n))
                .copied()
                .collect();
            return Err(Error::Docker {
                action: "order the services".into(),
                message: format!("depends_on forms a cycle among {}", stuck.join(", ")),
            });
        }
        placed.extend(level.iter().cloned());
        levels.push(level);
    }
    Ok(levels)
}

/// How long a healthcheck may take to pass: its own timing, with slack.
pub(super) fn health_deadline(svc: &Mapping) -> Duration {
    let h = svc.get("healthcheck");
    let get = |k: &str, default: u64| {
        h.and_then(|h| h.get(k))
            .and_then(Value::as_str)
            .and_then(parse_duration)
            .map(|n| n as u64)
            .unwrap_or(default * 1_000_000_000)
    };
    let retries = h
        .and_then(|h| h.get("retries"))
        .and_then(Value::as_u64)
        .unwrap_or(3);
    let ns = get("start_period", 0) + (retries + 1) * (get("interval", 30) + get("timeout", 30));
    Duration::from_nanos(ns) + Duration::from_secs(30)
}

impl Engine {
    /// Brings `project` up and converges it: `up` twice changes nothing.
    pub async fn up(
        &self,
        project: &Project,
        progress: &mut (dyn FnMut(UpEvent) + Send),
    ) -> Result<()> {
        let name = &project.name;
        // Images first: a missing image must fail before anything is created.
        self.pull_missing(project, &mut |p| progress(UpEvent::Pull(p)))
            .await?;
        self.ensure_networks(project).await?;
        self.ensure_volumes(project).await?;

        let services: Vec<(String, Mapping)> = project
            .services()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect();
        let mut existing = self.existing(name).await?;

        // Containers of services no longer in the project are removed.
        let wanted: BTreeSet<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
        for (service, old) in existing
            .iter()
            .filter(|(s, _)| !wanted.contains(s.as_str()))
        {
            self.remove_container(&old.id, service).await?;
        }
        existing.retain(|s, _| wanted.contains(s.as_str()));

        let by_name: BTreeMap<&str, &Mapping> =
            services.iter().map(|(n, s)| (n.as_str(), s)).collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<UpEvent>();
        for level in start_levels(&services)? {
            let tasks = level.iter().map(|service| {
                let svc = by_name[service.as_str()];
                let old = existing.get(service);
                let tx = tx.clone();
                let by_name = &by_name;
                async move {
                    self.converge_service(project, service, svc, old, by_name, &tx)
                        .await
                }
            });
            let results = futures_util::future::join_all(tasks).await;
            while let Ok(event) = rx.try_recv() {
                progress(event);
            }
            results.into_iter().collect::<Result<Vec<()>>>()?;
        }
        Ok(())
    }

    async fn converge_service(
        &self,
        project: &Project,
        service: &str,
        svc: &Mapping,
        old: Option<&Existing>,
        all: &BTreeMap<&str, &Mapping>,
        tx: &tokio::sync::mpsc::UnboundedSender<UpEvent>,
    ) -> Result<()> {
        let report = |state: &str| {
            let _ = tx.send(UpEvent::Service {
                service: service.to_string(),
                state: state.to_string(),
            });
        };
        self.wait_for_dependencies(project, service, svc, all)
            .await?;
        let hash = config_hash(svc);
        // Like docker compose: a container whose image is no longer the one
        // its reference names (the tag moved, a pull brought a new one) is
        // recreated even though its configuration is unchanged.
        let current_image = match svc.get("image").and_then(Value::as_str) {
            Some(image) => self
                .docker()
                .inspect_image(image)
                .await
                .ok()
                .and_then(|i| i.id),
            None => None,
        };
        let same_image = |o: &Existing| match (&o.image_id, &current_image) {
            (Some(had), Some(now)) => had == now,
            _ => true,
        };
        let name = container_name(&project.name, service);
        // Same configuration: the container stays, its limits brought in
        // line live — unless one was lifted, which only a new container can do.
        let keep = match old {
            Some(o) if o.hash == hash && same_image(o) => {
                let inspected = self
                    .docker()
                    .inspect_container(&o.id, None)
                    .await
                    .map_err(docker_err(format!("inspect {name}")))?;
                let actual = inspected.host_config.unwrap_or_default();
                match self.converge_limits(&name, svc, &actual).await? {
                    LimitsApplied::NeedsRecreate => false,
                    LimitsApplied::Updated => {
                        report("limits updated");
                        true
                    }
                    _ => true,
                }
            }
            _ => false,
        };
        let id = match old {
            Some(o) if keep => {
                report("unchanged");
                if o.running {
                    return Ok(());
                }
                o.id.clone()
            }
            Some(o) => {
                self.remove_container(&o.id, service).await?;
                let id = self.create_service_container(project, service, svc).await?;
                report("recreated");
                id
            }
            None => {
                let id = self.create_service_container(project, service, svc).await?;
                report("created");
                id
            }
        };
        // Docker follows links in a bind's source at every start, and another
        // container of the app may have made one since this one was created.
        guard_binds(project, service, svc)?;
        self.docker()
            .start_container(&id, None)
            .await
            .map_err(docker_err(format!("start {name}")))?;
        report("started");
        Ok(())
    }

    pub(super) async fn create_service_container(
        &self,
        project: &Project,
        service: &str,
        svc: &Mapping,
    ) -> Result<String> {
        guard_binds(project, service, svc)?;
        let spec = container_spec(project, service, svc)?;
        let name = container_name(&project.name, service);
        let options = CreateContainerOptions {
            name: Some(name.clone()),
            ..Default::default()
        };
        let created = self
            .docker()
            .create_container(Some(options), spec)
            .await
            .map_err(docker_err(format!("create {name}")))?;
        // Before API 1.44 a container is created on one network; join the rest now.
        if svc.get("network_mode").is_none() {
            for (network, endpoint) in service_networks(project, service, svc).into_iter().skip(1) {
                let request = NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint),
                };
                self.docker()
                    .connect_network(&network, request)
                    .await
                    .map_err(docker_err(format!("connect {name} to {network}")))?;
            }
        }
        Ok(created.id)
    }

    /// Waits until every dependency meets its condition.
    async fn wait_for_dependencies(
        &self,
        project: &Project,
        service: &str,
        svc: &Mapping,
        all: &BTreeMap<&str, &Mapping>,
    ) -> Result<()> {
        let Some(deps) = svc.get("depends_on").and_then(Value::as_mapping) else {
            return Ok(());
        };
        for (dep, spec) in deps {
            let dep = dep.as_str().unwrap_or_default();
            let condition = spec
                .get("condition")
                .and_then(Value::as_str)
                .unwrap_or("service_started");
            let container = container_name(&project.name, dep);
            let failed = |message: String| Error::ServiceFailed {
                app: project.name.clone(),
                service: service.to_string(),
                message: format!("cannot start: its dependency {dep} {message}"),
            };
            match condition {
                "service_healthy" => {
                    let deadline = all
                        .get(dep)
                        .map(|s| health_deadline(s))
                        .unwrap_or(Duration::from_secs(120));
                    self.wait_healthy(&container, deadline)
                        .await?
                        .map_err(failed)?;
                }
                "service_completed_successfully" => {
                    self.wait_completed(&container).await?.map_err(failed)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Waits for `container` to report healthy, from the event stream. The
    /// outer error is the engine's (it went away), the inner the container's.
    pub(super) async fn wait_healthy(
        &self,
        container: &str,
        deadline: Duration,
    ) -> Result<std::result::Result<(), String>> {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("container".to_string(), vec![container.to_string()]),
        ]);
        // Subscribe first, then look, so no transition is missed in between.
        let mut events = self.docker().events(Some(EventsOptions {
            filters: Some(filters),
            ..Default::default()
        }));
        let state = |s: Option<bollard::models::ContainerState>| {
            let s = s.unwrap_or_default();
            let health = s.health.and_then(|h| h.status).map(|h| h.to_string());
            (s.running.unwrap_or(false), health, s.exit_code)
        };
        let inspected = match self.docker().inspect_container(container, None).await {
            Ok(inspected) => inspected,
            Err(e @ bollard::errors::Error::DockerResponseServerError { .. }) => {
                return Ok(Err(format!("is missing ({e})")))
            }
            Err(e) => return Err(docker_err(format!("inspect container {container}"))(e)),
        };
        match state(inspected.state) {
            (_, Some(h), _) if h == "healthy" => return Ok(Ok(())),
            (_, None, _) => {
                return Ok(Err(
                    "has no healthcheck, so it can never become healthy".into()
                ))
            }
            (false, _, code) => {
                return Ok(Err(format!(
                    "stopped (exit code {})",
                    code.unwrap_or_default()
                )))
            }
            _ => {}
        }
        let wait = async {
            while let Some(event) = events.next().await {
                let event = event.map_err(docker_err(format!("watch container {container}")))?;
                match event.action.as_deref().unwrap_or_default() {
                    "health_status: healthy" => return Ok(Ok(())),
                    "health_status: unhealthy" => {
                        return Ok(Err("is unhealthy: its healthcheck fails".to_string()))
                    }
                    "die" => return Ok(Err("stopped before becoming healthy".to_string())),
                    _ => {}
                }
            }
            Err(Error::DockerUnavailable {
                message: format!("while watching container {container}: the event stream ended"),
            })
        };
        tokio::time::timeout(deadline, wait)
            .await
            .unwrap_or_else(|_| {
                Ok(Err(format!(
                    "did not become healthy within {}s",
                    deadline.as_secs()
                )))
            })
    }

    /// Waits for `container` to exit, successfully. The outer error is the
    /// engine's, the inner the container's.
    pub(super) async fn wait_completed(
        &self,
        container: &str,
    ) -> Result<std::result::Result<(), String>> {
        let mut wait = self.docker().wait_container(container, None);
        match wait.next().await {
            Some(Ok(r)) if r.status_code == 0 => Ok(Ok(())),
            Some(Ok(r)) => Ok(Err(format!("exited with code {}", r.status_code))),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                Ok(Err(format!("exited with code {code}")))
            }
            Some(Err(e @ bollard::errors::Error::DockerResponseServerError { .. })) => {
                Ok(Err(format!("could not be waited for: {e}")))
            }
            Some(Err(e)) => Err(docker_err(format!("wait for container {container}"))(e)),
            None => Err(Error::DockerUnavailable {
                message: format!("while waiting for container {container}: the stream ended"),
            }),
        }
    }

    async fn existing(&self, project: &str) -> Result<BTreeMap<String, Existing>> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(project_filter(project)),
            ..Default::default()
        };
        let list = self
            .docker()
            .list_containers(Some(options))
            .await
            .map_err(docker_err(format!("list the containers of {project}")))?;
        Ok(list
            .into_iter()
            .filter_map(|c| {
                let labels = c.labels.unwrap_or_default();
                let service = labels.get(labels::SERVICE)?.clone();
                let running = c.state.map(|s| s.to_string() == "running").unwrap_or(false);
                Some((
                    service,
                    Existing {
                        id: c.id?,
                        hash: labels.get(labels::CONFIG_HASH).cloned().unwrap_or_default(),
                        running,
                        image_id: c.image_id,
                    },
                ))
            })
            .collect())
    }

    pub(crate) async fn remove_container(&self, id: &str, service: &str) -> Result<()> {
        let what = format!("remove the container of {service}");
        self.docker()
            .stop_container(
                id,
                Some(StopContainerOptions {
                    t: Some(10),
                    ..Default::default()
                }),
            )
            .await
            .or_else(|e| match e {
                // Already stopped.
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 304, ..
                } => Ok(()),
                e => Err(e),
            })
            .map_err(docker_err(what.clone()))?;
        self.docker()
            .remove_container(
                id,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(docker_err(what))
    }

    pub(super) async fn ensure_networks(&self, project: &Project) -> Result<()> {
        let Some(networks) = project.model.get("networks").and_then(Value::as_mapping) else {
            return Ok(());
        };
        for (key, net) in networks {
            let key = key.as_str().unwrap_or_default();
            let name = net
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string();
            let external = net
                .get("external")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if self.docker().inspect_network(&name, None).await.is_ok() {
                continue;
            }
            if external {
                return Err(Error::Docker {
                    action: format!("use network {name}"),
                    message: "it is declared external but does not exist; create it first".into(),
                });
            }
            let labels = HashMap::from([
                (labels::PROJECT.to_string(), project.name.clone()),
                (labels::NETWORK.to_string(), key.to_string()),
                (
                    labels::VERSION.to_string(),
                    labels::COMPOSE_VERSION.to_string(),
                ),
                (labels::BERTH_APP.to_string(), project.name.clone()),
            ]);
            let request = NetworkCreateRequest {
                name: name.clone(),
                driver: net
                    .get("driver")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                internal: net.get("internal").and_then(Value::as_bool),
                labels: Some(labels),
                ..Default::default()
            };
            self.docker()
                .create_network(request)
                .await
                .map_err(docker_err(format!("create network {name}")))?;
        }
        Ok(())
    }

    pub(super) async fn ensure_volumes(&self, project: &Project) -> Result<()> {
        let Some(volumes) = project.model.get("volumes").and_then(Value::as_mapping) else {
            return Ok(());
        };
        for (key, vol) in volumes {
            let key = key.as_str().unwrap_or_default();
            let name = vol
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_string();
            if self.docker().inspect_volume(&name).await.is_ok() {
                continue;
            }
            if vol.get("external").and_then(Value::as_bool) == Some(true) {
                return Err(Error::Docker {
                    action: format!("use volume {name}"),
                    message: "it is declared external but does not exist; create it first".into(),
                });
            }
            let labels = HashMap::from([
                (labels::PROJECT.to_string(), project.name.clone()),
                (labels::VOLUME.to_string(), key.to_string()),
                (
                    labels::VERSION.to_string(),
                    labels::COMPOSE_VERSION.to_string(),
                ),
                (labels::BERTH_APP.to_string(), project.name.clone()),
            ]);
            let request = VolumeCreateRequest {
                name: Some(name.clone()),
                driver: vol
                    .get("driver")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                labels: Some(labels),
                ..Default::default()
            };
            self.docker()
                .create_volume(request)
                .await
                .map_err(docker_err(format!("create volume {name}")))?;
        }
        Ok(())
    }
}

/// The policy's bind guard for a rendered project, whose working folder is
/// the app folder.
fn guard_binds(project: &Project, service: &str, svc: &Mapping) -> Result<()> {
    crate::policy::guard_binds(
        project,
        &Layout::data_in(&project.working_dir),
        service,
        svc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(deps: &[&str]) -> Mapping {
        let mut m = Mapping::new();
        let d: Mapping = deps
            .iter()
            .map(|d| (Value::from(*d), Value::Mapping(Mapping::new())))
            .collect();
        m.insert("depends_on".into(), Value::Mapping(d));
        m
    }

    #[test]
    fn levels_follow_dependencies() {
        let services = vec![
            ("web".to_string(), svc(&["db", "cache"])),
            ("db".to_string(), svc(&[])),
            ("cache".to_string(), svc(&[])),
            ("worker".to_string(), svc(&["web"])),
        ];
        let levels = start_levels(&services).unwrap();
        assert_eq!(
            levels,
            vec![
                vec!["cache".to_string(), "db".to_string()],
                vec!["web".to_string()],
                vec!["worker".to_string()]
            ]
        );
        let cyclic = vec![
            ("a".to_string(), svc(&["b"])),
            ("b".to_string(), svc(&["a"])),
        ];
        assert!(start_levels(&cyclic)
            .unwrap_err()
            .to_string()
            .contains("cycle"));
    }
}
