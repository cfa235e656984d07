//! Policy: what an app asks of the host, each request with a severity and a
//! sentence a home user understands. Severe findings make rewrite refuse the
//! app unless the user consented to them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};

use crate::compose::Project;
use crate::model::Layout;

/// How much a request puts the host at risk.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, specta::Type,
)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Privileged,
    Capability,
    Device,
    HostNetwork,
    HostPid,
    HostIpc,
    HostUts,
    HostUserNamespace,
    HostCgroup,
    DockerSocket,
    SystemPath,
    BindOutsideApp,
    /// A folder of the Berth home that is not the app's data: its rendered
    /// compose file, its store files, another app's folder, Berth's database.
    BerthFiles,
    /// A host file read into the app (`env_file`, a secret's or config's `file`).
    HostFile,
    /// Another app's (or any outside) container, volume or network joined.
    OtherApp,
    Sysctl,
    Unconfined,
}

impl FindingKind {
    /// The name app.yml's `permissions` and the UI use.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Privileged => "privileged",
            FindingKind::Capability => "capability",
            FindingKind::Device => "device",
            FindingKind::HostNetwork => "host_network",
            FindingKind::HostPid => "host_pid",
            FindingKind::HostIpc => "host_ipc",
            FindingKind::HostUts => "host_uts",
            FindingKind::HostUserNamespace => "host_user_namespace",
            FindingKind::HostCgroup => "host_cgroup",
            FindingKind::DockerSocket => "docker_socket",
            FindingKind::SystemPath => "system_path",
            FindingKind::BindOutsideApp => "bind_outside_app",
            FindingKind::BerthFiles => "berth_files",
            FindingKind::HostFile => "host_file",
            FindingKind::OtherApp => "other_app",
            FindingKind::Sysctl => "sysctl",
            FindingKind::Unconfined => "unconfined",
        }
    }
}

/// One thing an app asks of the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The service that asks (empty for the project's own volumes and networks).
    pub service: String,
    /// Where in the compose file, e.g. `services.web.volumes[1]`.
    pub at: String,
    pub kind: FindingKind,
    pub severity: Severity,
    /// One sentence for the user.
    pub message: String,
}

impl Finding {
    /// Whether the app may have this only with the user's consent: anything
    /// that reaches beyond the app's own containers and data folder.
    pub fn needs_consent(&self) -> bool {
        self.severity >= Severity::Warning
    }

    /// What a consent covers: this kind of access at this place, so that a
    /// new request (a device added by an update) needs consent again.
    pub fn consent_key(&self) -> String {
        format!("{}@{}", self.kind.name(), self.at)
    }
}

/// Everything an app asks of the host, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PolicyReport {
    pub findings: Vec<Finding>,
}

impl PolicyReport {
    /// Whether any finding is severe.
    pub fn is_severe(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Severe)
    }

    /// The severe findings.
    pub fn severe(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Severe)
    }

    /// The findings the user must consent to.
    pub fn needing_consent(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.needs_consent())
    }
}

/// Capabilities Docker gives every container anyway: asking for them again
/// changes nothing.
const DEFAULT_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Capabilities that amount to control of the host.
const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "SYS_RESOURCE",
    "SYS_PACCT",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "AUDIT_CONTROL",
    "SYSLOG",
    "BPF",
    "PERFMON",
    "LINUX_IMMUTABLE",
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
    "/var/run/containerd",
    "/run/containerd",
];

/// Device nodes that read or write the host's memory, disks or kernel.
const SEVERE_DEVICES: &[&str] = &[
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
    "/dev/kmsg",
    "/dev/console",
    "/dev/mapper",
    "/dev/disk",
    "/dev/cpu",
    "/dev/watchdog",
    "/dev/fuse",
    "/dev/loop-control",
    "/dev/btrfs-control",
];

/// Name prefixes of disk device nodes, for when the node is not on this host
/// (the app file may be meant for another box).
const DISK_PREFIXES: &[&str] = &[
    "sd", "vd", "hd", "xvd", "nvme", "mmcblk", "loop", "dm-", "md", "sr", "nbd", "zd", "rbd",
];

/// Where an app may reach without consent, and what it must never reach.
struct Scope<'a> {
    project: &'a Project,
    /// `<home>/apps/<app>`.
    app_dir: Option<&'a Path>,
    /// `<home>/apps/<app>/data`, the only host folder an app owns.
    data: Option<PathBuf>,
    /// The Berth home.
    home: Option<&'a Path>,
}

/// Checks every service of `project`, and its volumes and networks. Bind
/// mounts inside the app's data folder (`<app_dir>/data`, after `..` and
/// symbolic links are resolved) are the app's business; elsewhere they are
/// findings, and its own rendered file, its store files and the rest of the
/// Berth home are severe. With no `app_dir`, every bind is reported.
pub fn check(project: &Project, app_dir: Option<&Path>) -> PolicyReport {
    let scope = Scope {
        project,
        app_dir,
        data: app_dir.map(Layout::data_in),
        home: app_dir.and_then(Layout::home_of),
    };
    let mut findings = Vec::new();
    for (name, svc) in project.services() {
        check_service(&scope, name, svc, &mut findings);
    }
    check_project_resources(&scope, &mut findings);
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    PolicyReport { findings }
}

/// Collects findings of one service (or the project's resources when `service` is empty).
struct Out<'a> {
    service: &'a str,
    findings: &'a mut Vec<Finding>,
}

impl Out<'_> {
    fn add(&mut self, at: String, kind: FindingKind, severity: Severity, message: String) {
        self.findings.push(Finding {
            service: self.service.to_string(),
            at,
            kind,
            severity,
            message,
        });
    }
}

/// A capability as Docker reads it: any case, with or without `CAP_`.
pub fn capability_name(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map(str::to_string)
        .unwrap_or(upper)
}

/// `security_opt` values that change nothing about the container's guards.
fn harmless_security_opt(opt: &str) -> bool {
    let o = opt.trim().replace('=', ":").to_ascii_lowercase();
    matches!(o.as_str(), "no-new-privileges" | "no-new-privileges:true")
}

fn check_service(scope: &Scope, name: &str, svc: &Mapping, findings: &mut Vec<Finding>) {
    let mut out = Out {
        service: name,
        findings,
    };
    let at = |field: &str| format!("services.{name}.{field}");
    let text = |v: &Value| crate::compose::scalar_string(v);

    if svc.get("privileged").and_then(Value::as_bool) == Some(true)
        || svc.get("privileged").and_then(Value::as_str) == Some("true")
    {
        out.add(
            at("privileged"),
            FindingKind::Privileged,
            Severity::Severe,
            format!("{name} asks for full access to the host (privileged mode): it can do anything root can do on this server."),
        );
    }
    for (i, cap) in sequence(svc, "cap_add").enumerate() {
        let Some(cap) = text(cap) else { continue };
        let bare = capability_name(&cap);
        let (severity, message) = if DANGEROUS_CAPS.contains(&bare.as_str()) {
            (Severity::Severe, format!("{name} asks for the {bare} capability, which lets it change how this server itself runs."))
        } else if DEFAULT_CAPS.contains(&bare.as_str()) {
            (
                Severity::Notice,
                format!("{name} asks for the {bare} capability, which every container has anyway."),
            )
        } else {
            (Severity::Warning, format!("{name} asks for the {bare} capability, a permission beyond what containers get by default."))
        };
        out.add(
            at(&format!("cap_add[{i}]")),
            FindingKind::Capability,
            severity,
            message,
        );
    }
    for (i, d) in sequence(svc, "devices").enumerate() {
        let source = d
            .get("source")
            .and_then(text)
            .or_else(|| text(d).map(|s| s.split(':').next().unwrap_or_default().to_string()))
            .unwrap_or_default();
        let (severity, message) = if severe_device(&source) {
            (Severity::Severe, format!("{name} asks for the host device {source}, which gives direct access to this server's disks, memory or kernel."))
        } else {
            (
                Severity::Warning,
                format!("{name} asks to use the host device {source} directly."),
            )
        };
        out.add(
            at(&format!("devices[{i}]")),
            FindingKind::Device,
            severity,
            message,
        );
    }
    for (i, rule) in sequence(svc, "device_cgroup_rules").enumerate() {
        let rule = text(rule).unwrap_or_default();
        out.add(
            at(&format!("device_cgroup_rules[{i}]")),
            FindingKind::Device,
            Severity::Severe,
            format!("{name} asks to use every host device matching \"{rule}\", which can include this server's disks."),
        );
    }
    let reserved = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"));
    if reserved.is_some() || svc.contains_key("gpus") {
        out.add(
            at("deploy.resources.reservations.devices"),
            FindingKind::Device,
            Severity::Warning,
            format!("{name} asks for the host's GPUs or other devices."),
        );
    }
    for (field, kind, what) in [
        ("network_mode", FindingKind::HostNetwork, "network"),
        ("pid", FindingKind::HostPid, "process list"),
        ("ipc", FindingKind::HostIpc, "shared memory"),
        ("uts", FindingKind::HostUts, "host name"),
        (
            "userns_mode",
            FindingKind::HostUserNamespace,
            "user accounts",
        ),
        ("cgroup", FindingKind::HostCgroup, "control groups"),
    ] {
        let Some(mode) = svc.get(field).and_then(text) else {
            continue;
        };
        if mode == "host" {
            let (severity, consequence) = match kind {
                FindingKind::HostNetwork => (
                    Severity::Warning,
                    "it can open any port on this server and see all of its network traffic",
                ),
                FindingKind::HostUts => (
                    Severity::Warning,
                    "it sees this server's name and can be mistaken for it",
                ),
                _ => (
                    Severity::Severe,
                    "it can see and affect everything else running on this server",
                ),
            };
            out.add(
                at(field),
                kind,
                severity,
                format!("{name} asks to share the host's {what}: {consequence}."),
            );
        } else if let Some(joined) = joins_outside(scope, field, &mode) {
            out.add(
                at(field),
                FindingKind::OtherApp,
                Severity::Severe,
                format!("{name} asks to join {joined}'s {what}, which is not part of this app."),
            );
        }
    }
    if let Some(parent) = svc.get("cgroup_parent").and_then(text) {
        out.add(
            at("cgroup_parent"),
            FindingKind::HostCgroup,
            Severity::Warning,
            format!("{name} asks to run in the host's control group {parent}, outside the limits Berth sets."),
        );
    }
    for (i, from) in sequence(svc, "volumes_from").enumerate() {
        let from = text(from).unwrap_or_default();
        let other = match from.split_once(':') {
            Some(("container", c)) => Some(c.to_string()),
            _ => {
                let service = from.split(':').next().unwrap_or_default();
                (!has_service(scope.project, service)).then(|| service.to_string())
            }
        };
        if let Some(other) = other {
            out.add(
                at(&format!("volumes_from[{i}]")),
                FindingKind::OtherApp,
                Severity::Severe,
                format!("{name} asks for the folders of the container {other}, which is not part of this app."),
            );
        }
    }
    for (i, link) in sequence(svc, "external_links").enumerate() {
        let link = text(link).unwrap_or_default();
        out.add(
            at(&format!("external_links[{i}]")),
            FindingKind::OtherApp,
            Severity::Severe,
            format!("{name} asks to reach the container {link}, which is not part of this app."),
        );
    }
    for (i, opt) in sequence(svc, "security_opt").enumerate() {
        let Some(opt) = text(opt) else { continue };
        if !harmless_security_opt(&opt) {
            out.add(
                at(&format!("security_opt[{i}]")),
                FindingKind::Unconfined,
                Severity::Severe,
                format!("{name} asks to change a safety guard of the container ({opt}), so a flaw in it can reach the host."),
            );
        }
    }
    if let Some(Value::Mapping(sysctls)) = svc.get("sysctls") {
        for key in sysctls.keys().filter_map(Value::as_str) {
            // net.* sysctls are namespaced per container; others reach the host kernel.
            let host_wide = !key.starts_with("net.");
            out.add(
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
    for (i, v) in sequence(svc, "volumes").enumerate() {
        if v.get("type").and_then(Value::as_str) != Some("bind") {
            continue;
        }
        let Some(source) = v.get("source").and_then(text) else {
            continue;
        };
        let read_only = v.get("read_only").and_then(Value::as_bool) == Some(true);
        check_host_path(
            scope,
            &mut out,
            at(&format!("volumes[{i}]")),
            &source,
            read_only,
        );
    }
    for (i, file) in sequence(svc, "env_file").enumerate() {
        let path = file
            .get("path")
            .and_then(text)
            .or_else(|| text(file))
            .unwrap_or_default();
        check_host_file(
            scope,
            &mut out,
            at(&format!("env_file[{i}]")),
            &path,
            "its environment",
        );
    }
}

fn sequence<'a>(svc: &'a Mapping, key: &str) -> impl Iterator<Item = &'a Value> {
    svc.get(key)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
}

fn has_service(project: &Project, service: &str) -> bool {
    project.services().any(|(n, _)| n == service)
}

/// The container (or network) a `network_mode`/`pid`/`ipc`/... value joins
/// when it is not a service of this app.
fn joins_outside(scope: &Scope, field: &str, mode: &str) -> Option<String> {
    match mode.split_once(':') {
        Some(("service", s)) => (!has_service(scope.project, s)).then(|| s.to_string()),
        Some(("container", c)) => Some(format!("the container {c}")),
        _ => match (field, mode) {
            (_, "" | "private" | "default") => None,
            ("network_mode", "none" | "bridge") => None,
            ("ipc", "none" | "shareable") => None,
            // Any other network_mode is a network by name: someone else's.
            ("network_mode", other) => Some(format!("the network {other}")),
            _ => None,
        },
    }
}

/// Whether a device node gives access to the host's disks, memory or kernel.
fn severe_device(source: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let cleaned = crate::compose::clean(Path::new(source));
    let real = crate::host::resolved(&cleaned).unwrap_or_else(|| cleaned.clone());
    [&cleaned, &real].iter().any(|path| {
        let is_block = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device());
        let text = path.to_string_lossy();
        let base = text.strip_prefix("/dev/").unwrap_or("");
        is_block
            || !text.starts_with("/dev/")
            || SEVERE_DEVICES
                .iter()
                .any(|d| text == *d || text.starts_with(&format!("{d}/")))
            || DISK_PREFIXES.iter().any(|p| base.starts_with(p))
    })
}

/// Classifies a host folder an app mounts (a bind, or a volume that binds).
fn check_host_path(scope: &Scope, out: &mut Out, here: String, source: &str, read_only: bool) {
    let who = if out.service.is_empty() {
        "This app".to_string()
    } else {
        out.service.to_string()
    };
    let verb = if read_only { "read" } else { "read and change" };
    let cleaned = crate::compose::clean(Path::new(source));
    // Where the kernel will really mount: `..` and symbolic links resolved.
    let real = crate::host::resolved(&cleaned);
    let real_data = scope.data.as_deref().and_then(crate::host::resolved);
    if let (Some(real), Some(data)) = (&real, &real_data) {
        if real.starts_with(data) {
            return;
        }
    }
    // A link inside the data folder is the app's to change: whatever it
    // leads to now, it may lead anywhere at the next start.
    let through_link = scope
        .data
        .as_deref()
        .is_some_and(|d| cleaned.starts_with(d));
    let path = real.clone().unwrap_or_else(|| cleaned.clone());
    let text = path.to_string_lossy().into_owned();
    let described = match (&real, text == source) {
        (_, true) => source.to_string(),
        (Some(_), false) => format!("{source} (that is {text})"),
        (None, false) => format!("{source} (a link that leads nowhere yet)"),
    };
    let reaches_berth = scope.home.is_some_and(|home| {
        [Some(home.to_path_buf()), crate::host::resolved(home)]
            .into_iter()
            .flatten()
            .any(|h| path.starts_with(&h) || h.starts_with(&path))
    });
    let system = SYSTEM_PATHS.contains(&text.as_str()) || is_under_system(&text);
    let (kind, severity, message) = if DOCKER_SOCKETS
        .iter()
        .any(|s| text == *s || text.starts_with(&format!("{s}/")))
    {
        (
            FindingKind::DockerSocket,
            Severity::Severe,
            format!("{who} asks for the Docker socket ({described}): it can start containers with full control of this server."),
        )
    } else if system {
        (
            FindingKind::SystemPath,
            if read_only && text != "/" && !reaches_berth {
                Severity::Warning
            } else {
                Severity::Severe
            },
            format!("{who} asks to {verb} the system folder {described} of this server."),
        )
    } else if reaches_berth {
        (
            FindingKind::BerthFiles,
            Severity::Severe,
            format!("{who} asks to {verb} {described}, Berth's own files or another app's: it could change what Berth runs."),
        )
    } else {
        (
            FindingKind::BindOutsideApp,
            Severity::Warning,
            format!("{who} asks to {verb} the folder {described}, outside its own data folder."),
        )
    };
    if through_link {
        out.add(
            here,
            kind,
            Severity::Severe,
            format!("{who} asks to {verb} {described} through a symbolic link inside its data folder; Berth refuses links that lead out of it."),
        );
    } else {
        out.add(here, kind, severity, message);
    }
}

/// A host file an app reads at install (`env_file`) or mounts (a secret's
/// or config's `file`): only files of the app's own folders.
fn check_host_file(scope: &Scope, out: &mut Out, here: String, path: &str, into: &str) {
    let cleaned = crate::compose::clean(Path::new(path));
    let real = crate::host::resolved(&cleaned);
    let roots = [Some(scope.project.working_dir.as_path()), scope.app_dir];
    let inside = roots.iter().flatten().any(|root| {
        let root = crate::host::resolved(&crate::compose::clean(root));
        match (&real, root) {
            (Some(real), Some(root)) => real.starts_with(&root) && root != Path::new("/"),
            _ => false,
        }
    });
    if !inside {
        let who = if out.service.is_empty() {
            "This app".to_string()
        } else {
            out.service.to_string()
        };
        out.add(
            here,
            FindingKind::HostFile,
            Severity::Severe,
            format!("{who} asks to read the host file {path} into {into}; apps may only read files of their own folder."),
        );
    }
}

/// The project's own volumes, networks, secrets and configs: each must be
/// the app's, scoped to its project name, and none may bind host folders.
fn check_project_resources(scope: &Scope, findings: &mut Vec<Finding>) {
    let mut out = Out {
        service: "",
        findings,
    };
    let project = &scope.project.name;
    let top = |key: &str| {
        scope
            .project
            .model
            .get(key)
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
    };
    let text = |v: Option<&Value>| v.and_then(crate::compose::scalar_string);
    for (what, key) in [("volume", "volumes"), ("network", "networks")] {
        for (name, spec) in top(key) {
            let here = format!("{key}.{name}");
            let external = spec.get("external").and_then(Value::as_bool) == Some(true)
                || spec.get("external").is_some_and(Value::is_mapping);
            let actual = text(spec.get("name")).unwrap_or_else(|| format!("{project}_{name}"));
            if external || actual != format!("{project}_{name}") {
                out.add(
                    here.clone(),
                    FindingKind::OtherApp,
                    Severity::Severe,
                    format!(
                        "This app asks to use the {what} {actual}, which is not its own{}.",
                        if actual == "host" {
                            ": the host's network"
                        } else {
                            " (another app's, or the host's)"
                        }
                    ),
                );
            }
            let driver = text(spec.get("driver")).unwrap_or_else(|| "local".into());
            if key == "networks" && matches!(driver.as_str(), "host" | "macvlan" | "ipvlan") {
                out.add(
                    format!("{here}.driver"),
                    FindingKind::HostNetwork,
                    Severity::Warning,
                    format!("This app asks for a {driver} network, which puts it on the host's own network."),
                );
            }
            if key != "volumes" {
                continue;
            }
            if driver != "local" {
                out.add(
                    format!("{here}.driver"),
                    FindingKind::BindOutsideApp,
                    Severity::Warning,
                    format!("This app asks for the volume plugin {driver}, which stores data outside Berth's reach."),
                );
            }
            let opts = spec.get("driver_opts");
            let opt = |k: &str| text(opts.and_then(|o| o.get(k)));
            if let Some(device) = opt("device") {
                let binds = opt("o")
                    .is_some_and(|o| o.split(',').any(|o| o == "bind" || o == "rbind"))
                    || opt("type").as_deref() == Some("none");
                if binds {
                    check_host_path(
                        scope,
                        &mut out,
                        format!("{here}.driver_opts.device"),
                        &device,
                        false,
                    );
                } else if device.starts_with('/') {
                    out.add(
                        format!("{here}.driver_opts.device"),
                        FindingKind::Device,
                        Severity::Severe,
                        format!(
                            "This app asks to mount the host device {device} as its volume {name}."
                        ),
                    );
                } else {
                    out.add(
                        format!("{here}.driver_opts.device"),
                        FindingKind::BindOutsideApp,
                        Severity::Warning,
                        format!("This app asks to mount {device} from the network as its volume {name}."),
                    );
                }
            }
        }
    }
    for key in ["secrets", "configs"] {
        for (name, spec) in top(key) {
            let here = format!("{key}.{name}");
            if let Some(file) = text(spec.get("file")) {
                check_host_file(
                    scope,
                    &mut out,
                    format!("{here}.file"),
                    &file,
                    "a container",
                );
            }
            if spec.get("external").and_then(Value::as_bool) == Some(true) {
                out.add(
                    here,
                    FindingKind::OtherApp,
                    Severity::Severe,
                    format!("This app asks for the {key} {name}, which is not its own."),
                );
            }
        }
    }
}

/// The check made at render and again just before Docker mounts a
/// service's folders (at each create and start, when an earlier container
/// of the app may have made links in its data folder): every bind source
/// written inside the app's `data` folder must still lead inside it.
pub fn guard_binds(
    project: &Project,
    data: &Path,
    service: &str,
    svc: &Mapping,
) -> crate::Result<()> {
    let data = crate::compose::clean(data);
    let real_data = crate::host::resolved(&data);
    for v in sequence(svc, "volumes") {
        if v.get("type").and_then(Value::as_str) != Some("bind") {
            continue;
        }
        let Some(source) = v.get("source").and_then(crate::compose::scalar_string) else {
            continue;
        };
        let cleaned = crate::compose::clean(Path::new(&source));
        if !cleaned.starts_with(&data) {
            continue;
        }
        let real = crate::host::resolved(&cleaned);
        let inside = match (&real, &real_data) {
            (Some(real), Some(data)) => real.starts_with(data),
            _ => false,
        };
        if !inside || Path::new(&source) != cleaned {
            return Err(crate::Error::BindEscapes {
                app: project.name.clone(),
                service: service.to_string(),
                folder: source,
                leads: real
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|| "a link that leads nowhere".into()),
            });
        }
    }
    Ok(())
}

/// Why `path` cannot be a share (a folder of the server given to apps with
/// the user's consent), judged like any bind: after `..` and symbolic
/// links are resolved it must be a folder of its own, not the root, a
/// system folder, the Docker socket, nor Berth's files or an app's (the
/// home's `shares/` folder, where Berth makes the default shares, is fine).
pub fn share_path_problem(path: &Path, home: &Path) -> Option<String> {
    if !path.is_absolute() {
        return Some(format!(
            "{} is not a full path (start it with /)",
            path.display()
        ));
    }
    let cleaned = crate::compose::clean(path);
    let real = crate::host::resolved(&cleaned).unwrap_or(cleaned);
    let text = real.to_string_lossy().into_owned();
    let that_is = if real.as_path() == path {
        String::new()
    } else {
        format!(" (that is {text})")
    };
    if SYSTEM_PATHS.contains(&text.as_str()) || is_under_system(&text) {
        return Some(format!(
            "{}{that_is} is a system folder of this server; choose a folder of its own, e.g. on a data disk (/srv/…, /mnt/…, /media/…)",
            path.display()
        ));
    }
    if DOCKER_SOCKETS
        .iter()
        .any(|s| text == *s || text.starts_with(&format!("{s}/")))
    {
        return Some(format!(
            "{}{that_is} is the Docker engine's",
            path.display()
        ));
    }
    let homes = [Some(home.to_path_buf()), crate::host::resolved(home)];
    for h in homes.into_iter().flatten() {
        let shares_root = h.join("shares");
        if real.starts_with(&shares_root) && real != shares_root {
            continue;
        }
        if real.starts_with(&h) || h.starts_with(&real) {
            return Some(format!(
                "{}{that_is} holds Berth's own files or its apps'; choose a folder outside {} (or under {})",
                path.display(),
                h.display(),
                shares_root.display()
            ));
        }
    }
    None
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
            "services:\n  a:\n    image: x\n    network_mode: host\n    devices: [/dev/dri]\n    sysctls: {net.ipv4.ip_forward: 1, kernel.shmmax: 1}\n    volumes: ['/mnt/media:/media', './data/own:/own']\n",
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

    fn finding<'a>(r: &'a PolicyReport, at: &str) -> &'a Finding {
        r.findings
            .iter()
            .find(|f| f.at == at)
            .unwrap_or_else(|| panic!("no finding at {at}: {r:?}"))
    }

    #[test]
    fn shares_are_judged_like_binds() {
        let home = Path::new("/var/lib/berth");
        for bad in [
            "/",
            "/etc",
            "/etc/ssl",
            "/home",
            "/var/lib/docker/volumes",
            "/var/run/docker.sock",
            "/var/lib/berth",
            "/var/lib/berth/apps/x/data",
            "/var/lib/berth/shares",
            "/srv/../etc",
            "srv/movies",
        ] {
            assert!(share_path_problem(Path::new(bad), home).is_some(), "{bad}");
        }
        for good in [
            "/srv/movies",
            "/mnt/disk1/Photos",
            "/home/ann/Music",
            "/var/lib/berth/shares/Movies",
        ] {
            assert_eq!(share_path_problem(Path::new(good), home), None, "{good}");
        }
        // A link is judged by where it leads.
        let dir = std::env::temp_dir().join(format!("berth-share-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("photos");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/etc", &link).unwrap();
        let why = share_path_problem(&link, home).unwrap();
        assert!(why.contains("that is /etc"), "{why}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn dot_dot_and_berth_files_are_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    volumes:\n      - /srv/apps/t/data/../../../..:/host\n      - ./:/appdir\n      - ./app:/store\n      - /srv/apps/other/data:/other\n      - /srv:/home-of-berth:ro\n      - ./data/../data/ok:/ok\n",
            Some("/srv/apps/t"),
        );
        assert_eq!(
            finding(&r, "services.a.volumes[0]").severity,
            Severity::Severe
        );
        assert_eq!(
            finding(&r, "services.a.volumes[0]").kind,
            FindingKind::SystemPath
        );
        for i in 1..=4 {
            let f = finding(&r, &format!("services.a.volumes[{i}]"));
            assert_eq!(
                (f.kind, f.severity),
                (FindingKind::BerthFiles, Severity::Severe),
                "{f:?}"
            );
        }
        assert!(
            !r.findings.iter().any(|f| f.at == "services.a.volumes[5]"),
            "{r:?}"
        );
    }

    #[test]
    fn a_link_in_the_data_folder_is_followed() {
        let root = std::env::temp_dir().join(format!("berth-policy-link-{}", std::process::id()));
        let data = root.join("apps/t/data");
        std::fs::create_dir_all(&data).unwrap();
        let _ = std::fs::remove_file(data.join("etc"));
        std::os::unix::fs::symlink("/etc", data.join("etc")).unwrap();
        let yaml = "services:\n  a:\n    image: x\n    volumes: ['./data/etc:/x', './data/etc/ssh:/y', './data/real:/z']\n";
        let project = load_bytes(
            yaml.as_bytes(),
            &root.join("apps/t/compose.yml"),
            &LoadOptions {
                project_name: Some("t".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let r = check(&project, Some(&root.join("apps/t")));
        for at in ["services.a.volumes[0]", "services.a.volumes[1]"] {
            let f = finding(&r, at);
            assert_eq!(f.severity, Severity::Severe, "{f:?}");
            assert!(f.message.contains("symbolic link"), "{f:?}");
        }
        assert!(
            !r.findings.iter().any(|f| f.at == "services.a.volumes[2]"),
            "{r:?}"
        );
        let svc = project.services().next().unwrap().1;
        let err = guard_binds(&project, &data, "a", svc)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/etc") && err.contains("symbolic link"),
            "{err}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn capabilities_in_any_spelling() {
        let r = report(
            "services:\n  a:\n    image: x\n    cap_add: [cap_sys_module, Cap_Sys_Admin, all, ' sys_ptrace', CAP_NET_BIND_SERVICE, sys_nice]\n",
            None,
        );
        for i in 0..4 {
            let f = finding(&r, &format!("services.a.cap_add[{i}]"));
            assert_eq!(f.severity, Severity::Severe, "{f:?}");
        }
        assert_eq!(
            finding(&r, "services.a.cap_add[4]").severity,
            Severity::Notice
        );
        assert_eq!(
            finding(&r, "services.a.cap_add[5]").severity,
            Severity::Warning
        );
    }

    #[test]
    fn disks_memory_and_device_rules_are_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    devices: ['/dev/vda:/dev/disk0', /dev/mem, '/dev/../dev/sda1:/d', /dev/kmsg, /dev/net/tun, /dev/nvme0n1]\n    device_cgroup_rules: ['b *:* rwm']\n",
            None,
        );
        for i in [0, 1, 2, 3, 5] {
            let f = finding(&r, &format!("services.a.devices[{i}]"));
            assert_eq!(f.severity, Severity::Severe, "{f:?}");
        }
        assert_eq!(
            finding(&r, "services.a.devices[4]").severity,
            Severity::Warning
        );
        assert_eq!(
            finding(&r, "services.a.device_cgroup_rules[0]").severity,
            Severity::Severe
        );
        assert!(r.findings.iter().all(Finding::needs_consent));
    }

    #[test]
    fn joining_another_app_is_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    network_mode: 'container:nextcloud-db-1'\n    pid: 'container:other'\n    ipc: 'service:b'\n    volumes_from: ['container:x', b]\n  b:\n    image: x\n    ipc: 'container:y'\n    volumes: ['shared:/s', 'named:/n']\n    networks: [theirs, hostnet]\nvolumes:\n  shared: {external: true, name: nextcloud_data}\n  named: {name: other_data}\nnetworks:\n  theirs: {name: nextcloud_default}\n  hostnet: {external: true, name: host}\n",
            None,
        );
        for at in [
            "services.a.network_mode",
            "services.a.pid",
            "services.a.volumes_from[0]",
            "services.b.ipc",
            "volumes.shared",
            "volumes.named",
            "networks.theirs",
            "networks.hostnet",
        ] {
            let f = finding(&r, at);
            assert_eq!(
                (f.kind, f.severity),
                (FindingKind::OtherApp, Severity::Severe),
                "{f:?}"
            );
        }
        assert!(
            !r.findings
                .iter()
                .any(|f| f.at == "services.a.ipc" || f.at == "services.a.volumes_from[1]"),
            "{r:?}"
        );
    }

    #[test]
    fn any_changed_guard_is_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    security_opt: ['seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}', 'apparmor=unconfined', 'label:type:spc_t', 'seccomp=/tmp/p.json', 'no-new-privileges:true', 'systempaths=unconfined']\n",
            None,
        );
        for i in [0, 1, 2, 3, 5] {
            let f = finding(&r, &format!("services.a.security_opt[{i}]"));
            assert_eq!(f.severity, Severity::Severe, "{f:?}");
        }
        assert!(!r
            .findings
            .iter()
            .any(|f| f.at == "services.a.security_opt[4]"));
    }

    #[test]
    fn host_files_and_binding_volumes_are_severe() {
        let r = report(
            "services:\n  a:\n    image: x\n    env_file: [/etc/hostname]\n    volumes: ['v:/v', 'disk:/d']\nvolumes:\n  v: {driver_opts: {type: none, o: bind, device: /etc}}\n  disk: {driver_opts: {type: ext4, device: /dev/sda1}}\n",
            Some("/srv/apps/t"),
        );
        let f = finding(&r, "services.a.env_file[0]");
        assert_eq!(
            (f.kind, f.severity),
            (FindingKind::HostFile, Severity::Severe)
        );
        assert_eq!(
            finding(&r, "volumes.v.driver_opts.device").severity,
            Severity::Severe
        );
        assert_eq!(
            finding(&r, "volumes.disk.driver_opts.device").severity,
            Severity::Severe
        );
    }
}
