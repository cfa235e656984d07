//! What the engine's storage driver can cap: a container's writable layer
//! (what it writes outside its volumes and bind mounts) takes a size limit
//! (`--storage-opt size=…`) only on some drivers — overlay2 on xfs mounted
//! with project quotas, btrfs, zfs. Elsewhere an app's disk cap holds its
//! data folder only, and the user is told so.

use super::{docker_err, Engine};
use crate::Result;

impl Engine {
    /// `None` when the storage driver can cap containers' writable layers;
    /// otherwise why not, as a sentence for the user.
    pub async fn writable_layer_uncapped(&self) -> Result<Option<String>> {
        let info = self
            .docker()
            .info()
            .await
            .map_err(docker_err("ask the engine about its storage driver"))?;
        let driver = info.driver.unwrap_or_default();
        let backing = info
            .driver_status
            .unwrap_or_default()
            .into_iter()
            .find(|kv| kv.first().map(String::as_str) == Some("Backing Filesystem"))
            .and_then(|kv| kv.get(1).cloned())
            .unwrap_or_default();
        let root = info.docker_root_dir.unwrap_or_default();
        let quota = project_quota(&root);
        Ok(layer_cap_refusal(&driver, &backing, quota))
    }
}

/// Why `driver` on `backing` (with project quotas or not) cannot cap a
/// writable layer; `None` when it can.
fn layer_cap_refusal(driver: &str, backing: &str, project_quota: bool) -> Option<String> {
    let supported = match driver {
        "btrfs" | "zfs" => true,
        "overlay2" | "fuse-overlayfs" => backing == "xfs" && project_quota,
        _ => false,
    };
    if supported {
        return None;
    }
    let on = if backing.is_empty() {
        String::new()
    } else if backing == "xfs" {
        " on xfs without project quotas (pquota)".to_string()
    } else {
        format!(" on {backing}")
    };
    Some(format!(
        "only the app's data folder is capped; its containers' writable layer is not (the storage driver {driver}{on} does not support size limits)"
    ))
}

/// Whether the filesystem holding `dir` is mounted with project quotas.
fn project_quota(dir: &str) -> bool {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return false;
    };
    // The mount whose point is the longest prefix of `dir`.
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            let _source = f.next()?;
            let point = f.next()?;
            let _fstype = f.next()?;
            let options = f.next()?;
            let inside = dir == point
                || point == "/"
                || dir.starts_with(&format!("{}/", point.trim_end_matches('/')));
            inside.then_some((point.len(), options))
        })
        .max_by_key(|(len, _)| *len)
        .is_some_and(|(_, options)| {
            options
                .split(',')
                .any(|o| matches!(o, "prjquota" | "pquota" | "pqnoenforce"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_that_cap_and_those_that_do_not() {
        assert_eq!(layer_cap_refusal("overlay2", "xfs", true), None);
        assert_eq!(layer_cap_refusal("btrfs", "btrfs", false), None);
        assert_eq!(
            layer_cap_refusal("overlay2", "extfs", false).as_deref(),
            Some("only the app's data folder is capped; its containers' writable layer is not (the storage driver overlay2 on extfs does not support size limits)")
        );
        assert!(layer_cap_refusal("overlay2", "xfs", false)
            .unwrap()
            .contains("without project quotas"));
        assert!(layer_cap_refusal("vfs", "", false).is_some());
    }
}
