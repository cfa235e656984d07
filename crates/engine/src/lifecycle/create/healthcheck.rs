//! A container's healthcheck, from compose's `healthcheck`.

use bollard::models::HealthConfig;
use serde_yaml::{Mapping, Value};

use super::values::{nanos, strings};

/// The health config; `disable: true` is the engine's `NONE` test.
pub(super) fn health_config(svc: &Mapping) -> Option<HealthConfig> {
    svc.get("healthcheck").map(|h| {
        let disabled = h.get("disable").and_then(Value::as_bool) == Some(true);
        HealthConfig {
            test: if disabled {
                Some(vec!["NONE".into()])
            } else {
                strings(h.get("test"))
            },
            interval: nanos(h.get("interval")),
            timeout: nanos(h.get("timeout")),
            retries: h.get("retries").and_then(Value::as_i64),
            start_period: nanos(h.get("start_period")),
            start_interval: nanos(h.get("start_interval")),
        }
    })
}
