//! The config hash docker compose labels a container with, which tells a
//! changed service (to recreate) from an unchanged one (left running).

use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

/// A service's config hash: changes exactly when its canonical model does,
/// resource limits aside — those change live (`limits.rs`), so a new limit
/// alone never recreates a container.
pub(crate) fn config_hash(service: &Mapping) -> String {
    let json = serde_json::to_vec(&without_limits(service)).expect("a model serializes");
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The service with its CPU, memory and process limits taken out, and the
/// `deploy` sections left empty by that dropped, so a service with limits
/// and the same service without any compare equal.
fn without_limits(service: &Mapping) -> Mapping {
    let mut svc = service.clone();
    for key in ["cpus", "mem_limit", "memswap_limit", "pids_limit"] {
        svc.remove(key);
    }
    let Some(Value::Mapping(deploy)) = svc.get_mut("deploy") else {
        return svc;
    };
    if let Some(Value::Mapping(resources)) = deploy.get_mut("resources") {
        resources.remove("limits");
        if resources.is_empty() {
            deploy.remove("resources");
        }
    }
    let empty = |v: &Value| v.as_mapping().is_some_and(Mapping::is_empty);
    if deploy.get("placement").is_some_and(empty) {
        deploy.remove("placement");
    }
    if deploy.is_empty() {
        svc.remove("deploy");
    }
    svc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(yaml: &str) -> Mapping {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn limits_are_not_part_of_the_config_hash() {
        let plain = svc("image: x\ncommand: [a]\n");
        let limited = svc("image: x\ncommand: [a]\nmemswap_limit: '1'\ndeploy: {placement: {}, resources: {limits: {cpus: 0.5, memory: '67108864', pids: 9}}}\n");
        assert_eq!(config_hash(&plain), config_hash(&limited));
        let reserved = svc("image: x\ncommand: [a]\ndeploy: {placement: {}, resources: {reservations: {memory: '1'}}}\n");
        assert_ne!(
            config_hash(&plain),
            config_hash(&reserved),
            "reservations count"
        );
        assert_ne!(
            config_hash(&plain),
            config_hash(&svc("image: x\ncommand: [b]\n"))
        );
    }
}
