//! Host facts: what this server is and has left — its CPU, load, memory,
//! uptime, the disks that hold Berth's home and Docker's images, and the
//! Docker engine itself. Read from `/proc`, `statvfs` and the engine's
//! `version` and `info`; nothing is cached, each call reads afresh.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lifecycle::{docker_err, Engine};
use crate::Result;

/// This server, as the system page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfo {
    pub hostname: String,
    pub cpu: CpuInfo,
    pub load: LoadAverage,
    pub memory: MemoryInfo,
    #[specta(type = f64)]
    pub uptime_seconds: u64,
    /// The filesystems holding Berth's home and Docker's root folder (one
    /// entry each, even when they are the same filesystem).
    pub disks: Vec<DiskInfo>,
    pub docker: DockerInfo,
    pub berth_version: String,
    /// The SHA-256 fingerprint of the CA the HTTPS proxy's certificates come from, once there is one.
    pub ca_fingerprint: Option<String>,
    /// This server itself trusts that CA (its system trust store has it).
    pub ca_trusted: bool,
    /// The certificate from an ACME CA (`berth serve --acme-email`), when asked for.
    pub acme: Option<crate::proxy::acme::AcmeStatus>,
    /// Why the HTTPS proxy does not listen though it was asked to (its CA
    /// in `<home>/tls/` is damaged), when it does not: the rest of Berth
    /// runs meanwhile.
    #[serde(default)]
    pub https_problem: Option<String>,
    /// How many apps have a backup warning (no successful backup for a day
    /// while backups failed or were missed): `backupStatus` says which.
    #[serde(default)]
    pub backup_warnings: u32,
}

/// The processor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CpuInfo {
    /// "Intel(R) Core(TM) i5-8500T CPU @ 2.10GHz"; the board's name on ARM.
    pub model: String,
    /// Logical processors (what `nproc` counts).
    pub cores: u32,
}

/// Runnable tasks averaged over 1, 5 and 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

/// Memory and swap, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MemoryInfo {
    #[specta(type = f64)]
    pub total: u64,
    /// What new work can use without swapping (`MemAvailable`).
    #[specta(type = f64)]
    pub available: u64,
    #[specta(type = f64)]
    pub swap_total: u64,
    #[specta(type = f64)]
    pub swap_free: u64,
}

/// One filesystem Berth depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DiskInfo {
    /// `home` (Berth's home: app data, snapshots) or `docker` (images, volumes).
    pub role: String,
    /// The folder asked about.
    #[specta(type = String)]
    pub path: PathBuf,
    /// Where its filesystem is mounted.
    #[specta(type = String)]
    pub mount: PathBuf,
    #[specta(type = f64)]
    pub total: u64,
    /// Free for an unprivileged user (what `df` shows as available).
    #[specta(type = f64)]
    pub free: u64,
}

/// The Docker engine Berth runs apps on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DockerInfo {
    pub version: String,
    /// The engine's own API version.
    pub api_version: String,
    /// The API version Berth speaks with it (negotiated; never newer).
    pub client_api_version: String,
    pub storage_driver: String,
    #[specta(type = String)]
    pub root_dir: PathBuf,
    pub operating_system: String,
    pub kernel_version: String,
}

/// The facts of this server; `home` is Berth's home. Fails only when the
/// engine does not answer: `/proc` files that cannot be read count as zero.
pub async fn system(engine: &Engine, home: &Path) -> Result<SystemInfo> {
    let docker = engine.docker();
    let (version, info) = tokio::join!(docker.version(), docker.info());
    let version = version.map_err(docker_err("ask the Docker engine its version"))?;
    let info = info.map_err(docker_err("ask the Docker engine about itself"))?;
    let root_dir = PathBuf::from(info.docker_root_dir.unwrap_or_default());
    let docker = DockerInfo {
        version: version.version.unwrap_or_default(),
        api_version: version.api_version.unwrap_or_default(),
        client_api_version: engine.api_version(),
        storage_driver: info.driver.unwrap_or_default(),
        root_dir: root_dir.clone(),
        operating_system: info.operating_system.unwrap_or_default(),
        kernel_version: info.kernel_version.unwrap_or_default(),
    };
    let disks = [("home", home), ("docker", root_dir.as_path())]
        .into_iter()
        .filter(|(_, path)| !path.as_os_str().is_empty())
        // Docker's root is unreadable when the engine is on another machine
        // (DOCKER_HOST) or Berth is not root: that disk is left out.
        .filter_map(|(role, path)| disk(role, path).ok())
        .collect();
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    Ok(SystemInfo {
        hostname: read("/proc/sys/kernel/hostname").trim().to_string(),
        cpu: parse_cpuinfo(&read("/proc/cpuinfo")),
        load: parse_loadavg(&read("/proc/loadavg")),
        memory: parse_meminfo(&read("/proc/meminfo")),
        uptime_seconds: parse_uptime(&read("/proc/uptime")),
        disks,
        docker,
        berth_version: env!("CARGO_PKG_VERSION").to_string(),
        ca_fingerprint: crate::proxy::tls::ca_fingerprint(home),
        ca_trusted: crate::proxy::trust::is_trusted(home),
        acme: None,
        https_problem: None,
        backup_warnings: 0,
    })
}

/// The size and free space of the filesystem holding `path` (its nearest
/// existing parent), and where it is mounted.
pub fn disk(role: &str, path: &Path) -> std::io::Result<DiskInfo> {
    let stat = crate::host::statvfs(path)?;
    let at = std::fs::canonicalize(crate::host::existing_ancestor(path))?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    Ok(DiskInfo {
        role: role.to_string(),
        path: path.to_path_buf(),
        mount: mount_point(&mounts, &at),
        total: stat.f_blocks as u64 * stat.f_frsize as u64,
        free: stat.f_bavail as u64 * stat.f_frsize as u64,
    })
}

/// The longest mount point of `/proc/self/mounts` that holds `path` (an
/// absolute path without symlinks).
fn mount_point(mounts: &str, path: &Path) -> PathBuf {
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        // Spaces and tabs in mount points are written as octal escapes.
        .map(|m| {
            PathBuf::from(
                m.replace("\\040", " ")
                    .replace("\\011", "\t")
                    .replace("\\134", "\\"),
            )
        })
        .filter(|m| path.starts_with(m))
        .max_by_key(|m| m.components().count())
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The model and the number of logical processors, from `/proc/cpuinfo`.
fn parse_cpuinfo(text: &str) -> CpuInfo {
    let field = |line: &str| {
        line.split_once(':')
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
    };
    let fields: Vec<(String, String)> = text.lines().filter_map(field).collect();
    let cores = fields.iter().filter(|(k, _)| k == "processor").count() as u32;
    // x86 names the model; ARM boards name the board (`Model`) or the
    // hardware instead.
    let model = ["model name", "Model", "Hardware", "cpu model", "cpu"]
        .iter()
        .find_map(|want| {
            fields
                .iter()
                .find(|(k, v)| k == want && !v.is_empty())
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    CpuInfo {
        model,
        cores: cores.max(1),
    }
}

fn parse_loadavg(text: &str) -> LoadAverage {
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or_default());
    LoadAverage {
        one: fields.next().unwrap_or_default(),
        five: fields.next().unwrap_or_default(),
        fifteen: fields.next().unwrap_or_default(),
    }
}

/// `/proc/meminfo` counts in kB (KiB, in fact).
fn parse_meminfo(text: &str) -> MemoryInfo {
    let mut info = MemoryInfo::default();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let kib: u64 = rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let bytes = kib * 1024;
        match key {
            "MemTotal" => info.total = bytes,
            "MemAvailable" => info.available = bytes,
            "SwapTotal" => info.swap_total = bytes,
            "SwapFree" => info.swap_free = bytes,
            _ => {}
        }
    }
    info
}

fn parse_uptime(text: &str) -> u64 {
    text.split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(0, |s| s as u64)
}

/// The host's memory in bytes (0 when `/proc/meminfo` cannot be read).
pub(crate) fn memory_total() -> u64 {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default()).total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_on_x86_and_on_a_raspberry_pi() {
        let x86 = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Processor\n\n\
                   processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(
            parse_cpuinfo(x86),
            CpuInfo {
                model: "Intel(R) Xeon(R) Processor".into(),
                cores: 2
            }
        );
        let pi = "processor\t: 0\nBogoMIPS\t: 108.00\nCPU part\t: 0xd08\n\nprocessor\t: 1\n\nprocessor\t: 2\n\n\
                  processor\t: 3\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n";
        assert_eq!(
            parse_cpuinfo(pi),
            CpuInfo {
                model: "Raspberry Pi 4 Model B Rev 1.4".into(),
                cores: 4
            }
        );
    }

    #[test]
    fn load_memory_and_uptime() {
        assert_eq!(
            parse_loadavg("2.32 1.66 1.42 3/156 576\n"),
            LoadAverage {
                one: 2.32,
                five: 1.66,
                fifteen: 1.42
            }
        );
        let meminfo = "MemTotal:       24683656 kB\nMemFree:        15825600 kB\n\
                       MemAvailable:   23640728 kB\nSwapTotal:       1048572 kB\nSwapFree:         524288 kB\n";
        assert_eq!(
            parse_meminfo(meminfo),
            MemoryInfo {
                total: 24683656 * 1024,
                available: 23640728 * 1024,
                swap_total: 1048572 * 1024,
                swap_free: 524288 * 1024,
            }
        );
        assert_eq!(parse_uptime("1550.96 1002.52\n"), 1550);
        assert_eq!(parse_uptime(""), 0);
    }

    #[test]
    fn the_longest_mount_point_holds_a_path() {
        let mounts = "overlay / overlay rw,relatime 0 0\n\
                      proc /proc proc rw 0 0\n\
                      /dev/sdb1 /srv/my\\040disk ext4 rw 0 0\n\
                      /dev/sdb2 /srv/my\\040disk/berth ext4 rw 0 0\n";
        let at = |p: &str| mount_point(mounts, Path::new(p));
        assert_eq!(
            at("/srv/my disk/berth/apps"),
            Path::new("/srv/my disk/berth")
        );
        assert_eq!(at("/srv/my disk/other"), Path::new("/srv/my disk"));
        assert_eq!(at("/srv/my diskette"), Path::new("/"));
        assert_eq!(mount_point("", Path::new("/x")), Path::new("/"));
    }

    #[test]
    fn a_disk_names_its_mount_point() {
        let dir = std::env::temp_dir().join("no/such/folder");
        let d = disk("home", &dir).unwrap();
        assert_eq!(d.path, dir);
        assert!(d.total > 0 && d.free <= d.total, "{d:?}");
        assert!(std::env::temp_dir()
            .canonicalize()
            .unwrap()
            .starts_with(&d.mount));
    }
}
