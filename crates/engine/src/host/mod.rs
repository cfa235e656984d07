//! This host itself, beside the Docker engine: how many CPUs and how much
//! memory it has (what limits are checked against), and `disk_image.rs`,
//! the size-capped filesystems that app data folders can live on.

mod disk_image;

use std::path::Path;

use crate::model::{format_bytes, validate_limits, ServiceLimits};
use crate::{Error, Result};

pub use crate::model::MIN_MEMORY;
pub use disk_image::can_grow_online;
pub(crate) use disk_image::{fs_usage, mount_source, require_tools, unmount, DiskImage};

/// `path`, or its nearest parent that exists.
pub fn existing_ancestor(path: &Path) -> &Path {
    let mut at = path;
    while !at.exists() {
        at = at.parent().unwrap_or(Path::new("/"));
    }
    at
}

/// Where `path` really leads once every symbolic link on the way is
/// followed, as the kernel follows them when Docker mounts it: its longest
/// existing part made canonical, the rest appended. `None` when a link on
/// the way leads nowhere (the mount could then land anywhere it is pointed
/// later). `path` should be absolute and lexically clean.
pub fn resolved(path: &Path) -> Option<std::path::PathBuf> {
    let mut existing = path;
    while std::fs::symlink_metadata(existing).is_err() {
        existing = existing.parent()?;
    }
    let real = std::fs::canonicalize(existing).ok()?;
    let rest = path
        .strip_prefix(existing)
        .expect("an ancestor is a prefix");
    // Joining an empty rest would add a trailing `/`.
    Some(if rest.as_os_str().is_empty() {
        real
    } else {
        real.join(rest)
    })
}

/// The mount point of the filesystem holding the existing folder `path`
/// (after links): the nearest folder whose parent is on another device,
/// `/` for the system disk. `None` when `path` is not there.
pub fn mount_point(path: &Path) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut at = std::fs::canonicalize(path).ok()?;
    let dev = std::fs::metadata(&at).ok()?.dev();
    while let Some(parent) = at.parent() {
        if std::fs::metadata(parent).ok()?.dev() != dev {
            break;
        }
        at = parent.to_path_buf();
    }
    Some(at)
}

/// The statistics of the filesystem holding `path` (its nearest existing
/// parent): sizes are in `f_frsize` blocks.
pub fn statvfs(path: &Path) -> std::io::Result<libc::statvfs> {
    use std::os::unix::ffi::OsStrExt;
    let at = existing_ancestor(path);
    let c = std::ffi::CString::new(at.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `stat` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat)
}

/// The CPUs this process may run on: what Docker counts when it refuses
/// `--cpus` above them.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The host's memory in bytes (`MemTotal` of `/proc/meminfo`).
pub fn memory_total() -> Result<u64> {
    let path = Path::new("/proc/meminfo");
    let text = std::fs::read_to_string(path).map_err(|cause| Error::Read {
        path: path.to_path_buf(),
        cause,
    })?;
    mem_total(&text).ok_or_else(|| Error::Read {
        path: path.to_path_buf(),
        cause: std::io::Error::other("it has no MemTotal line"),
    })
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Refuses limits this host cannot honour or Docker would refuse: more
/// CPUs or memory than the host has, memory below Docker's minimum, no
/// room for a process, a memory+swap limit below the memory limit.
pub fn check_limits(limits: &ServiceLimits) -> Result<()> {
    validate_limits(limits)?;
    if let Some(cpus) = limits.cpus {
        let cores = cpu_count();
        if cpus > cores as f64 {
            return Err(Error::InvalidLimit {
                what: "cpus",
                message: format!("{cpus} CPUs is more than this server has ({cores})"),
            });
        }
    }
    if let Some(memory) = limits.memory {
        let total = memory_total()?;
        if memory as u64 > total {
            return Err(Error::InvalidLimit {
                what: "memory",
                message: format!(
                    "{} is more than this server's memory ({})",
                    format_bytes(memory),
                    format_bytes(total as i64)
                ),
            });
        }
    }
    if let (Some(swap), Some(memory)) = (limits.memory_swap, limits.memory) {
        if swap != -1 && swap < memory {
            return Err(Error::InvalidLimit {
                what: "memory_swap",
                message: format!(
                    "memory plus swap ({}) cannot be less than memory ({}); give the same value for no swap, or -1 for unlimited swap",
                    format_bytes(swap),
                    format_bytes(memory)
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_facts() {
        assert_eq!(
            mem_total("MemTotal:       24683656 kB\nMemFree: 1 kB\n"),
            Some(24683656 * 1024)
        );
        assert!(cpu_count() >= 1);
        assert!(memory_total().unwrap() > MIN_MEMORY as u64);
    }

    #[test]
    fn limits_beyond_the_host_are_refused_naming_both_values() {
        let cores = cpu_count();
        let err = check_limits(&ServiceLimits {
            cpus: Some(cores as f64 + 1.0),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format!("{}", cores + 1)) && err.contains(&format!("({cores})")),
            "{err}"
        );
        let total = memory_total().unwrap() as i64;
        let err = check_limits(&ServiceLimits {
            memory: Some(total * 2),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(&format_bytes(total * 2)) && err.contains(&format_bytes(total)),
            "{err}"
        );
        for bad in [
            ServiceLimits {
                memory: Some(1 << 20),
                ..Default::default()
            },
            ServiceLimits {
                pids: Some(0),
                ..Default::default()
            },
            ServiceLimits {
                memory: Some(64 << 20),
                memory_swap: Some(32 << 20),
                ..Default::default()
            },
        ] {
            assert!(check_limits(&bad).is_err(), "{bad:?}");
        }
        check_limits(&ServiceLimits {
            cpus: Some(0.5),
            memory: Some(64 << 20),
            memory_swap: Some(64 << 20),
            pids: Some(50),
        })
        .unwrap();
    }
}
