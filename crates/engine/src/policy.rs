//! Policy: what an app asks of the host, each request with a severity and a
//! sentence a home user understands. Severe findings make rewrite refuse the
//! app unless the user consented to them.

use std::path::Path;

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use crate::compose::Project;

/// How much a request puts the host at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no risk to the host.
    Notice,
    /// Widens what the app can reach; fine for apps that need it.
    Warning,
    /// Gives the app control over the host; needs the user's consent.
    Severe,
}

/// What kind of host access a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Privileged,
    Capability,
    Device,
    HostNetwork,
    HostPid,
    HostIpc,
    HostUserNamespace,
    HostCgroup,
    DockerSocket,
    SystemPath,
    BindOutsideApp,
    Sysctl,
    Unconfined,
}

/// One thing an app asks of the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The service that asks.
    pub service: String,
    /// Where in the compose file, e.g. `services.web.volumes[1]`.
    pub at: String,
    pub kind: FindingKind,
    pub severity: Severity,
    /// One sentence for the user.
    pub message: String,
}

/// Everything an app asks of the host, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyReport {
    pub findings: Vec<Finding>,
}

impl PolicyReport {
    /// Whether any finding needs the user's consent.
    pub fn is_severe(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Severe)
    }

    /// The findings that need consent.
    pub fn severe(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Severe)
    }
}

/// Capabilities that amount to control of the host.
const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "NET_ADMIN",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "BPF",
    "PERFMON",
    "LINUX_IMMUTABLE",
    "SETFCAP",
    "CHECKPOINT_RESTORE",
];

/// Host folders whose contents are the system itself.
const SYSTEM_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/sbin",
    "/var",
    "/var/lib",
    "/var/lib/docker",
    "/var/run",
    "/run",
    "/home",
    "/opt",
];

const DOCKER_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/docker",
    "/run/docker",
];

/// Checks every service of `project`. Bind mounts inside `app_dir` (the
/// app's own folder under the Berth home) are the app's business; outside
/// it, they are findings. With no `app_dir`, every bind is reported.
pub fn check(project: &Project, app_dir: Option<&Path>) -> PolicyReport {
    let mut findings = Vec::new();
    for (name, svc) in project.services() {
        check_service(name, svc, app_dir, &mut findings);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    PolicyReport { findings }
}

fn check_service(name: &str, svc: &Mapping, app_dir: Option<&Path>, out: &mut Vec<Finding>) {
    let mut add = |at: String, kind, severity, message: String| {
        out.push(Finding {
            service: name.to_string(),
            at,
            kind,
            severity,
            message,
        })
    };
    let at = |field: &str| format!("services.{name}.{field}");

    if svc.get("privileged").and_then(Value::as_bool) == Some(true) {
        add(
            at("privileged"),
            FindingKind::Privileged,
            Severity::Severe,
            format!("{name} asks for full access to the host (privileged mode): it can do anything root can do on this server."),
        );
    }
    if let Some(Value::Sequence(caps)) = svc.get("cap_add") {
        for (i, cap) in caps.iter().enumerate() {
            let Some(cap) = cap.as_str() else { continue };
            let bare = cap.trim_start_matches("CAP_").to_ascii_uppercase();
            let dangerous = DANGEROUS_CAPS.contains(&bare.as_str());
            add(
                at(&format!("cap_add[{i}]")),
                FindingKind::Capability,
                if dangerous {
                    Severity::Severe
                } else {
                    Severity::Notice
                },
                if dangerous {
                    format!("{name} asks for the {bare} capability, which lets it change how this server itself runs.")
                } else {
                    format!("{name} asks for the {bare} capability, a narrow permission that does not reach beyond the app.")
                },
            );
        }
    }
    if let Some(Value::Sequence(devices)) = svc.get("devices") {
        for (i, d) in devices.iter().enumerate() {
            let source = d
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("a device");
            add(
                at(&format!("devices[{i}]")),
                FindingKind::Device,
                Severity::Warning,
                format!("{name} asks to use the host device {source} directly."),
            );
        }
    }
    for (field, kind, what) in [
        ("network_mode", FindingKind::HostNetwork, "network"),
        ("pid", FindingKind::HostPid, "process list"),
        ("ipc", FindingKind::HostIpc, "shared memory"),
        (
            "userns_mode",
            FindingKind::HostUserNamespace,
            "user accounts",
        ),
        ("cgroup", FindingKind::HostCgroup, "control groups"),
    ] {
        if svc.get(field).and_then(Value::as_str) == Some("host") {
            let (severity, consequence) = match kind {
                FindingKind::HostNetwork => (
                    Severity::Warning,
                    "it can open any port on this server and see all of its network traffic",
                ),
                _ => (
                    Severity::Severe,
                    "it can see and affect everything else running on this server",
                ),
            };
            add(
                at(field),
                kind,
                severity,
                format!("{name} asks to share the host's {what}: {consequence}."),
            );
        }
    }
    if let Some(Value::Sequence(opts)) = svc.get("security_opt") {
        for (i, opt) in opts.iter().enumerate() {
            let Some(opt) = opt.as_str() else { continue };
            let o = opt.replace('=', ":");
            if matches!(
                o.as_str(),
                "seccomp:unconfined"
                    | "apparmor:unconfined"
                    | "label:disable"
                    | "no-new-privileges:false"
                    | "systempaths:unconfined"
            ) {
                add(
                    at(&format!("security_opt[{i}]")),
                    FindingKind::Unconfined,
                    Severity::Severe,
                    format!("{name} asks to switch off a safety guard of the container ({opt}), so a flaw in it can reach the host."),
                );
            }
        }
    }
    if let Some(Value::Mapping(sysctls)) = svc.get("sysctls") {
        for key in sysctls.keys().filter_map(Value::as_str) {
            // net.* sysctls are namespaced per container; others reach the host kernel.
            let host_wide = !key.starts_with("net.");
            add(
                at(&format!("sysctls.{key}")),
                FindingKind::Sysctl,
                if host_wide {
                    Severity::Warning
                } else {
                    Severity::Notice
                },
                format!("{name} sets the kernel setting {key}."),
            );
        }
    }
    if let Some(Value::Sequence(volumes)) = svc.get("volumes") {
        for (i, v) in volumes.iter().enumerate() {
            if v.get("type").and_then(Value::as_str) != Some("bind") {
                continue;
            }
            let Some(source) = v.get("source").and_then(Value::as_str) else {
                continue;
            };
            let read_only = v.get("read_only").and_then(Value::as_bool) == Some(true);
            let here = at(&format!("volumes[{i}]"));
            let normalized = source.trim_end_matches('/');
            let normalized = if normalized.is_empty() {
                "/"
            } else {
                normalized
            };
            if DOCKER_SOCKETS
                .iter()
                .any(|s| normalized == *s || normalized.starts_with(&format!("{s}/")))
            {
                add(
                    here,
                    FindingKind::DockerSocket,
                    Severity::Severe,
                    format!("{name} asks for the Docker socket ({source}): it can start containers with full control of this server."),
                );
            } else if SYSTEM_PATHS.contains(&normalized) || is_under_system(normalized) {
                add(
                    here,
                    FindingKind::SystemPath,
                    if read_only && normalized != "/" {
                        Severity::Warning
                    } else {
                        Severity::Severe
                    },
                    format!(
                        "{name} asks to {} the system folder {source} of this server.",
                        if read_only { "read" } else { "read and change" }
                    ),
                );
            } else if !app_dir.is_some_and(|dir| Path::new(source).starts_with(dir)) {
                add(
                    here,
                    FindingKind::BindOutsideApp,
                    Severity::Warning,
                    format!(
                        "{name} asks to {} the folder {source}, outside its own data folder.",
                        if read_only { "read" } else { "read and change" }
                    ),
                );
            }
        }
    }
}

/// Paths under system folders that are system state themselves.
fn is_under_system(path: &str) -> bool {
    ["/etc/", "/proc/", "/sys/", "/boot/", "/root/", "/usr/", "/lib/", "/bin/", "/sbin/", "/var/lib/docker/"]
        .iter()
        .any(|p| path.starts_with(p))
        // Device trees are reported as devices when passed as such; a bind of one is as strong.
        || path.starts_with("/dev/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{load_bytes, LoadOptions};

    fn report(yaml: &str, app_dir: Option<&str>) -> PolicyReport {
        let project = load_bytes(
            yaml.as_bytes(),
            Path::new("/srv/apps/t/compose.yml"),
            &LoadOptions {
                project_name: Some("t".into()),
                ..Default::default()
            },
        )
        .unwrap();
        check(&project, app_dir.map(Path::new))
    }

    fn kinds(r: &PolicyReport) -> Vec<(FindingKind, Severity)> {
        r.findings.iter().map(|f| (f.kind, f.severity)).collect()
    }

    #[test]
    fn a_plain_app_asks_nothing() {
        let r = report(
            "services:\n  web:\n    image: nginx\n    volumes: [./data:/data]\n",
            Some("/srv/apps/t"),
        );
        assert!(r.findings.is_empty(), "{r:?}");
        assert!(!r.is_severe());
    }

    #[test]
    fn host_control_is_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    privileged: true\n    pid: host\n    cap_add: [SYS_ADMIN, CHOWN]\n    security_opt: ['seccomp:unconfined']\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock', '/:/host', '/etc:/etc:ro']\n",
            Some("/srv/apps/t"),
        );
        assert!(r.is_severe());
        let k = kinds(&r);
        for expected in [
            (FindingKind::Privileged, Severity::Severe),
            (FindingKind::HostPid, Severity::Severe),
            (FindingKind::Capability, Severity::Severe),
            (FindingKind::Capability, Severity::Notice),
            (FindingKind::Unconfined, Severity::Severe),
            (FindingKind::DockerSocket, Severity::Severe),
            (FindingKind::SystemPath, Severity::Severe),
            (FindingKind::SystemPath, Severity::Warning),
        ] {
            assert!(k.contains(&expected), "missing {expected:?} in {k:?}");
        }
        assert_eq!(
            r.findings[0].severity,
            Severity::Severe,
            "most severe first"
        );
        let socket = r
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::DockerSocket)
            .unwrap();
        assert_eq!(socket.at, "services.a.volumes[0]");
        assert!(socket.message.contains("Docker socket"));
    }

    #[test]
    fn outside_binds_devices_and_host_network_warn() {
        let r = report(
            "services:\n  a:\n    image: x\n    network_mode: host\n    devices: [/dev/dri]\n    sysctls: {net.ipv4.ip_forward: 1, kernel.shmmax: 1}\n    volumes: ['/mnt/media:/media', './own:/own']\n",
            Some("/srv/apps/t"),
        );
        assert!(!r.is_severe(), "{r:?}");
        let k = kinds(&r);
        assert!(k.contains(&(FindingKind::HostNetwork, Severity::Warning)));
        assert!(k.contains(&(FindingKind::Device, Severity::Warning)));
        assert!(k.contains(&(FindingKind::BindOutsideApp, Severity::Warning)));
        assert!(k.contains(&(FindingKind::Sysctl, Severity::Notice)));
        assert!(k.contains(&(FindingKind::Sysctl, Severity::Warning)));
        assert_eq!(
            r.findings
                .iter()
                .filter(|f| f.kind == FindingKind::BindOutsideApp)
                .count(),
            1
        );
    }
}
