//! A container's labels: the service's own, then those docker compose v2
//! sets, so `docker compose -p <app>` sees the container as its own.

use std::collections::HashMap;

use serde_yaml::{Mapping, Value};

use super::hash::config_hash;
use crate::compose::Project;
use crate::lifecycle::labels;

/// The labels of `service`'s container; compose's win over the service's.
pub(super) fn container_labels(
    project: &Project,
    service: &str,
    svc: &Mapping,
) -> HashMap<String, String> {
    let mut all_labels: HashMap<String, String> = svc
        .get("labels")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in [
        (labels::PROJECT, project.name.clone()),
        (labels::SERVICE, service.to_string()),
        (labels::NUMBER, "1".to_string()),
        (labels::ONEOFF, "False".to_string()),
        (labels::CONFIG_HASH, config_hash(svc)),
        (
            labels::CONFIG_FILES,
            project.config_file.to_string_lossy().into_owned(),
        ),
        (
            labels::WORKING_DIR,
            project.working_dir.to_string_lossy().into_owned(),
        ),
        (labels::VERSION, labels::COMPOSE_VERSION.to_string()),
    ] {
        all_labels.insert(k.to_string(), v);
    }
    all_labels
}
