//! Reading and writing a service's resource limits ([`ServiceLimits`]):
//! `deploy.resources.limits` folded with the legacy `cpus`, `mem_limit`,
//! `memswap_limit` and `pids_limit` keys, which docker compose accepts side
//! by side as long as they agree.

use serde_yaml::{Mapping, Value};

use super::normalize::scalar_string;
use crate::model::ServiceLimits;

fn number<T: std::str::FromStr>(value: Option<&Value>) -> Option<T> {
    value.and_then(scalar_string).and_then(|s| s.parse().ok())
}

impl ServiceLimits {
    /// Reads the limits of a normalized service; `deploy.resources.limits`
    /// wins over the legacy keys (normalization refused files where they disagree).
    pub fn of(service: &Mapping) -> Self {
        let deploy = service
            .get("deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get("limits"));
        let from_deploy = |key: &str| deploy.and_then(|l| l.get(key));
        ServiceLimits {
            cpus: number(from_deploy("cpus")).or_else(|| number(service.get("cpus"))),
            memory: number(from_deploy("memory")).or_else(|| number(service.get("mem_limit"))),
            memory_swap: number(service.get("memswap_limit")),
            pids: number(from_deploy("pids")).or_else(|| number(service.get("pids_limit"))),
        }
    }

    /// Writes these limits into a normalized service: each one given goes to
    /// `deploy.resources.limits` and its legacy twin is removed, so the two
    /// can never disagree; limits left `None` are not touched.
    pub fn apply_to(&self, service: &mut Mapping) {
        let deploy = service
            .entry("deploy".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if !deploy.is_mapping() {
            *deploy = Value::Mapping(Mapping::new());
        }
        let deploy = deploy.as_mapping_mut().expect("made a mapping above");
        if !deploy.contains_key("placement") {
            deploy.insert("placement".into(), Value::Mapping(Mapping::new()));
        }
        let resources = deploy
            .entry("resources".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        let limits = resources
            .as_mapping_mut()
            .expect("normalized resources are a mapping")
            .entry("limits".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()))
            .as_mapping_mut()
            .expect("normalized limits are a mapping");
        let mut legacy_to_drop = Vec::new();
        if let Some(cpus) = self.cpus {
            limits.insert("cpus".into(), cpus.into());
            legacy_to_drop.push("cpus");
        }
        if let Some(memory) = self.memory {
            limits.insert("memory".into(), memory.to_string().into());
            legacy_to_drop.push("mem_limit");
        }
        if let Some(pids) = self.pids {
            limits.insert("pids".into(), pids.into());
            legacy_to_drop.push("pids_limit");
        }
        for key in legacy_to_drop {
            service.remove(key);
        }
        if let Some(swap) = self.memory_swap {
            service.insert("memswap_limit".into(), swap.to_string().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn legacy_and_deploy_fold() {
        let s = service("cpus: 1.5\nmem_limit: '1073741824'\npids_limit: 50\n");
        assert_eq!(
            ServiceLimits::of(&s),
            ServiceLimits {
                cpus: Some(1.5),
                memory: Some(1 << 30),
                memory_swap: None,
                pids: Some(50)
            }
        );
        let s =
            service("mem_limit: '1'\ndeploy: {resources: {limits: {memory: '2', cpus: 0.5}}}\n");
        assert_eq!(ServiceLimits::of(&s).memory, Some(2));
        assert_eq!(ServiceLimits::of(&s).cpus, Some(0.5));
    }

    #[test]
    fn apply_replaces_legacy_twins() {
        let mut s = service("image: x\nmem_limit: '1073741824'\ncpus: 2\n");
        ServiceLimits {
            memory: Some(512 << 20),
            ..Default::default()
        }
        .apply_to(&mut s);
        assert!(s.get("mem_limit").is_none());
        assert_eq!(
            s.get("cpus").and_then(Value::as_f64),
            Some(2.0),
            "untouched limits stay"
        );
        assert_eq!(ServiceLimits::of(&s).memory, Some(512 << 20));
        assert_eq!(ServiceLimits::of(&s).cpus, Some(2.0));
    }
}
