//! A container's storage: binds as `Binds` (the engine creates a missing
//! source folder, as compose's short syntax does), except a bind with
//! `create_host_path: false` (a share), which is a bind mount the engine
//! refuses to start when its folder is missing; named and anonymous
//! volumes and tmpfs as mounts.

use bollard::models::{
    Mount, MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType,
    MountVolumeOptions,
};
use serde_yaml::{Mapping, Value};

use super::values::{bytes, text};
use crate::compose::Project;
use crate::{Error, Result};

/// The service's binds and mounts; a volume type Berth does not run is
/// refused through `unsupported`.
pub(super) fn binds_and_mounts(
    project: &Project,
    svc: &Mapping,
    unsupported: impl Fn(&str) -> Error,
) -> Result<(Vec<String>, Vec<Mount>)> {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    let top_volumes = project.model.get("volumes").and_then(Value::as_mapping);
    for v in svc
        .get("volumes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let target = text(v.get("target")).unwrap_or_default();
        let read_only = v.get("read_only").and_then(Value::as_bool).unwrap_or(false);
        match v.get("type").and_then(Value::as_str) {
            Some("bind")
                if v.get("bind")
                    .and_then(|b| b.get("create_host_path"))
                    .and_then(Value::as_bool)
                    == Some(false) =>
            {
                let propagation = v
                    .get("bind")
                    .and_then(|b| b.get("propagation"))
                    .and_then(Value::as_str)
                    .and_then(|p| p.parse::<MountBindOptionsPropagationEnum>().ok());
                mounts.push(Mount {
                    target: Some(target),
                    source: text(v.get("source")),
                    typ: Some(MountType::BIND),
                    read_only: Some(read_only),
                    bind_options: Some(MountBindOptions {
                        propagation,
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            Some("bind") => {
                let mut opts = vec![if read_only { "ro" } else { "rw" }.to_string()];
                if let Some(p) = v
                    .get("bind")
                    .and_then(|b| b.get("propagation"))
                    .and_then(Value::as_str)
                {
                    opts.push(p.to_string());
                }
                if let Some(z) = v
                    .get("bind")
                    .and_then(|b| b.get("selinux"))
                    .and_then(Value::as_str)
                {
                    opts.push(z.to_string());
                }
                binds.push(format!(
                    "{}:{target}:{}",
                    text(v.get("source")).unwrap_or_default(),
                    opts.join(",")
                ));
            }
            Some("volume") => {
                let source = text(v.get("source")).map(|key| {
                    top_volumes
                        .and_then(|t| t.get(key.as_str()))
                        .and_then(|t| t.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or(key)
                });
                let nocopy = v
                    .get("volume")
                    .and_then(|o| o.get("nocopy"))
                    .and_then(Value::as_bool);
                mounts.push(Mount {
                    target: Some(target),
                    source,
                    typ: Some(MountType::VOLUME),
                    read_only: Some(read_only),
                    volume_options: nocopy.map(|n| MountVolumeOptions {
                        no_copy: Some(n),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            Some("tmpfs") => mounts.push(Mount {
                target: Some(target),
                typ: Some(MountType::TMPFS),
                tmpfs_options: Some(MountTmpfsOptions {
                    size_bytes: bytes(v.get("tmpfs").and_then(|t| t.get("size"))),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            other => return Err(unsupported(&format!("a volume of type {other:?}"))),
        }
    }
    Ok((binds, mounts))
}
