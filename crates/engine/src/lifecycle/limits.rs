//! Live limits: a container's CPU, memory and process limits changed in
//! place through the Engine API's container update (`docker update`) — no
//! recreate, no downtime. Limits are left out of the config hash
//! (`create.rs`), so convergence keeps a container whose limits alone
//! changed and brings them in line here.
//!
//! Swap follows Docker: a service with a memory limit and no `memswap_limit`
//! gets memory+swap of twice its memory, what `docker run -m` and docker
//! compose give a new container; a live change sends that value explicitly,
//! so a changed container and a new one are the same. (`docker update -m`
//! alone would keep the old swap figure, or refuse when it is below the new
//! memory.)

use bollard::models::{ContainerUpdateBody, HostConfig};
use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;

use super::{container_name, docker_err, Engine};
use crate::compose::{Project, ServiceLimits};
use crate::Result;

/// What a limits change did to one service's container (`Engine::apply_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LimitsApplied {
    /// Its limits already matched.
    Unchanged,
    /// Changed live.
    Updated,
    /// It has no container yet; it gets the limits when it is created.
    NotCreated,
    /// A limit was lifted, which Docker cannot do live (it ignores a zero
    /// CPU or memory limit in an update): the next start recreates it.
    NeedsRecreate,
}

/// What a container needs for its limits to match its service's.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum LiveChange {
    Same,
    Update(Box<ContainerUpdateBody>),
    Recreate,
}

/// NanoCPUs for a fractional CPU count (`0.5` → 500 000 000).
pub(super) fn nano_cpus(cpus: f64) -> i64 {
    (cpus * 1e9).round() as i64
}

/// Memory+swap as Docker sets it: the service's, else twice the memory.
pub(super) fn memory_swap(limits: &ServiceLimits) -> Option<i64> {
    limits
        .memory_swap
        .or_else(|| limits.memory.map(|m| m.saturating_mul(2)))
}

/// The update that brings a container's `actual` limits to `svc`'s.
pub(super) fn live_change(svc: &Mapping, actual: &HostConfig) -> LiveChange {
    let want = ServiceLimits::of(svc);
    let set = |v: Option<i64>| v.filter(|n| *n > 0);
    let mut body = ContainerUpdateBody::default();
    let mut changed = false;

    let have_cpus = set(actual.nano_cpus);
    match want.cpus.map(nano_cpus) {
        Some(n) if have_cpus != Some(n) => {
            body.nano_cpus = Some(n);
            changed = true;
        }
        None if have_cpus.is_some() => return LiveChange::Recreate,
        _ => {}
    }

    let have_memory = set(actual.memory);
    match want.memory {
        Some(m) => {
            let swap = memory_swap(&want);
            // -1 is unlimited swap; an engine without swap accounting also
            // reports -1 whatever was asked, so there it is not a difference.
            let swap_differs = actual.memory_swap != swap && actual.memory_swap != Some(-1);
            if have_memory != Some(m) || swap_differs {
                body.memory = Some(m);
                body.memory_swap = swap;
                changed = true;
            }
        }
        None if have_memory.is_some() => return LiveChange::Recreate,
        None => {}
    }

    let have_pids = set(actual.pids_limit);
    match want.pids {
        Some(p) if have_pids != Some(p) => {
            body.pids_limit = Some(p);
            changed = true;
        }
        // Docker lifts a pids limit live: -1 is unlimited.
        None if have_pids.is_some() => {
            body.pids_limit = Some(-1);
            changed = true;
        }
        _ => {}
    }

    if changed {
        LiveChange::Update(Box::new(body))
    } else {
        LiveChange::Same
    }
}

impl Engine {
    /// Brings the limits of `project`'s existing containers, running or
    /// stopped, to what its services say, live: no restart.
    pub async fn apply_limits(&self, project: &Project) -> Result<Vec<(String, LimitsApplied)>> {
        let mut out = Vec::new();
        for (service, svc) in project.services() {
            let name = container_name(&project.name, service);
            let applied = match self.docker().inspect_container(&name, None).await {
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => LimitsApplied::NotCreated,
                Err(e) => return Err(docker_err(format!("inspect {name}"))(e)),
                Ok(inspected) => {
                    let actual = inspected.host_config.unwrap_or_default();
                    self.converge_limits(&name, svc, &actual).await?
                }
            };
            out.push((service.to_string(), applied));
        }
        Ok(out)
    }

    /// Updates the limits of container `name` to `svc`'s when they differ.
    pub(super) async fn converge_limits(
        &self,
        name: &str,
        svc: &Mapping,
        actual: &HostConfig,
    ) -> Result<LimitsApplied> {
        match live_change(svc, actual) {
            LiveChange::Same => Ok(LimitsApplied::Unchanged),
            LiveChange::Recreate => Ok(LimitsApplied::NeedsRecreate),
            LiveChange::Update(body) => {
                self.docker()
                    .update_container(name, *body)
                    .await
                    .map_err(docker_err(format!("change the limits of {name}")))?;
                Ok(LimitsApplied::Updated)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn host(nano: i64, memory: i64, swap: i64, pids: Option<i64>) -> HostConfig {
        HostConfig {
            nano_cpus: Some(nano),
            memory: Some(memory),
            memory_swap: Some(swap),
            pids_limit: pids,
            ..Default::default()
        }
    }

    #[test]
    fn same_limits_need_nothing() {
        let s = svc(
            "image: x\ndeploy: {resources: {limits: {cpus: 0.5, memory: '67108864', pids: 50}}}\n",
        );
        assert_eq!(
            live_change(&s, &host(500_000_000, 64 << 20, 128 << 20, Some(50))),
            LiveChange::Same
        );
        assert_eq!(
            live_change(&svc("image: x\n"), &host(0, 0, 0, None)),
            LiveChange::Same
        );
    }

    #[test]
    fn changed_limits_update_live_with_dockers_swap() {
        let s = svc("image: x\ndeploy: {resources: {limits: {memory: '134217728'}}}\n");
        let LiveChange::Update(body) = live_change(&s, &host(0, 64 << 20, 128 << 20, None)) else {
            panic!("an update")
        };
        assert_eq!(body.memory, Some(128 << 20));
        assert_eq!(body.memory_swap, Some(256 << 20), "twice the memory");
        assert_eq!(body.nano_cpus, None);
        let s = svc("image: x\nmemswap_limit: '67108864'\ndeploy: {resources: {limits: {memory: '67108864', pids: 10}}}\n");
        let LiveChange::Update(body) = live_change(&s, &host(0, 64 << 20, 128 << 20, None)) else {
            panic!("an update")
        };
        assert_eq!(body.memory_swap, Some(64 << 20), "no swap");
        assert_eq!(body.pids_limit, Some(10));
    }

    #[test]
    fn lifting_cpu_or_memory_needs_a_recreate_but_pids_do_not() {
        let s = svc("image: x\n");
        assert_eq!(
            live_change(&s, &host(500_000_000, 0, 0, None)),
            LiveChange::Recreate
        );
        assert_eq!(
            live_change(&s, &host(0, 64 << 20, 128 << 20, None)),
            LiveChange::Recreate
        );
        let LiveChange::Update(body) = live_change(&s, &host(0, 0, 0, Some(50))) else {
            panic!("an update")
        };
        assert_eq!(body.pids_limit, Some(-1));
    }
}
