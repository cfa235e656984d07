//! A container's resources: the limits (which `limits.rs` also changes
//! live), reservations, CPU shares and ulimits.

use bollard::models::{HostConfig, ResourcesUlimits};
use serde_yaml::{Mapping, Value};

use super::values::bytes;
use crate::compose::ServiceLimits;
use crate::lifecycle::limits::nano_cpus;

/// The host config's resource fields; every other field is left default.
pub(super) fn resources(svc: &Mapping) -> HostConfig {
    let limits = ServiceLimits::of(svc);
    let ulimits = svc.get("ulimits").and_then(Value::as_mapping).map(|m| {
        m.iter()
            .filter_map(|(k, v)| {
                let (soft, hard) = match v {
                    Value::Mapping(l) => (l.get("soft")?.as_i64()?, l.get("hard")?.as_i64()?),
                    v => (v.as_i64()?, v.as_i64()?),
                };
                Some(ResourcesUlimits {
                    name: Some(k.as_str()?.to_string()),
                    soft: Some(soft),
                    hard: Some(hard),
                })
            })
            .collect()
    });
    HostConfig {
        ulimits,
        nano_cpus: limits.cpus.map(nano_cpus),
        memory: limits.memory,
        memory_swap: limits.memory_swap,
        pids_limit: limits.pids,
        cpu_shares: svc.get("cpu_shares").and_then(Value::as_i64),
        memory_reservation: bytes(svc.get("mem_reservation")).or_else(|| {
            bytes(
                svc.get("deploy")
                    .and_then(|d| d.get("resources"))
                    .and_then(|r| r.get("reservations"))
                    .and_then(|r| r.get("memory")),
            )
        }),
        ..Default::default()
    }
}
