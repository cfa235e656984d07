//! A container's restart policy, from compose's `restart`.

use bollard::models::{RestartPolicy, RestartPolicyNameEnum};
use serde_yaml::Mapping;

use super::values::text;

/// `no`, `always`, `unless-stopped` or `on-failure[:retries]`; `no` when unset.
pub(super) fn restart_policy(svc: &Mapping) -> RestartPolicy {
    let restart = text(svc.get("restart")).unwrap_or_else(|| "no".into());
    let (policy, retries) = match restart.split_once(':') {
        Some((p, n)) => (p.to_string(), n.parse().ok()),
        None => (restart, None),
    };
    RestartPolicy {
        name: Some(match policy.as_str() {
            "always" => RestartPolicyNameEnum::ALWAYS,
            "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            _ => RestartPolicyNameEnum::NO,
        }),
        maximum_retry_count: retries,
    }
}
