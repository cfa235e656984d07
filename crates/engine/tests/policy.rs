//! Policy fuzz: services that mix every field an app file can use to reach
//! the host — privileges, capabilities in any spelling, devices, namespaces
//! of the host or of other containers, security options, binds with `..`,
//! env files — checked against an oracle written here from the rules, not
//! from the policy's code. Anything that gives control of the host must
//! yield a severe finding; anything that reaches beyond the app must need
//! consent; a service that asks for nothing must need none.

use std::path::{Component, Path, PathBuf};

use berth_engine::compose::{load_bytes, LoadOptions};
use berth_engine::policy::{check, Severity};
use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

/// The app's folder: under a root that does not exist here, so no link on
/// this machine changes what the paths mean.
const APP_DIR: &str = "/nonexistent-berth-home/apps/fuzz";
const HOME: &str = "/nonexistent-berth-home";

/// What an ingredient asks of the host, per the oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Nothing,
    /// Beyond the app: needs consent.
    Beyond,
    /// Control of the host (or of Berth, or of another app): severe.
    Control,
}

#[derive(Debug, Clone)]
struct Ingredient {
    key: &'static str,
    value: Value,
    reach: Reach,
}

fn spelled(cap: &str) -> impl Strategy<Value = String> {
    let cap = cap.to_string();
    (any::<bool>(), 0..3u8).prop_map(move |(prefix, case)| {
        let name = if prefix {
            format!("CAP_{cap}")
        } else {
            cap.clone()
        };
        match case {
            0 => name.to_ascii_lowercase(),
            1 => name,
            _ => name
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect(),
        }
    })
}

fn capability() -> impl Strategy<Value = Ingredient> {
    let dangerous = [
        "SYS_ADMIN",
        "SYS_MODULE",
        "SYS_PTRACE",
        "SYS_RAWIO",
        "ALL",
        "DAC_READ_SEARCH",
        "NET_ADMIN",
        "BPF",
    ];
    let default = ["CHOWN", "NET_BIND_SERVICE", "KILL", "SETUID"];
    let other = ["SYS_NICE", "IPC_LOCK", "NET_BROADCAST", "WAKE_ALARM"];
    prop_oneof![
        prop::sample::select(dangerous.to_vec())
            .prop_flat_map(spelled)
            .prop_map(|c| (c, Reach::Control)),
        prop::sample::select(default.to_vec())
            .prop_flat_map(spelled)
            .prop_map(|c| (c, Reach::Nothing)),
        prop::sample::select(other.to_vec())
            .prop_flat_map(spelled)
            .prop_map(|c| (c, Reach::Beyond)),
    ]
    .prop_map(|(cap, reach)| Ingredient {
        key: "cap_add",
        value: Value::Sequence(vec![cap.into()]),
        reach,
    })
}

fn device() -> impl Strategy<Value = Ingredient> {
    prop_oneof![
        prop::sample::select(vec![
            "/dev/vda",
            "/dev/sda1",
            "/dev/nvme0n1",
            "/dev/mem",
            "/dev/kmem",
            "/dev/port",
            "/dev/kmsg",
            "/dev/../dev/sdb",
            "/dev/mapper/root",
            "/dev/disk/by-id/x"
        ])
        .prop_map(|d| (d, Reach::Control)),
        prop::sample::select(vec!["/dev/net/tun", "/dev/ttyUSB0", "/dev/snd"])
            .prop_map(|d| (d, Reach::Beyond)),
    ]
    .prop_map(|(d, reach)| Ingredient {
        key: "devices",
        value: Value::Sequence(vec![format!("{d}:/dev/x").into()]),
        reach,
    })
}

fn namespace() -> impl Strategy<Value = Ingredient> {
    let field = prop::sample::select(vec![
        "pid",
        "ipc",
        "network_mode",
        "userns_mode",
        "cgroup",
        "uts",
    ]);
    let mode = prop::sample::select(vec![
        "host",
        "container:other-app-db-1",
        "service:peer",
        "service:ghost",
    ]);
    (field, mode).prop_map(|(field, mode)| {
        let reach = match (field, mode) {
            ("network_mode" | "uts", "host") => Reach::Beyond,
            (_, "service:peer") => Reach::Nothing,
            _ => Reach::Control,
        };
        Ingredient {
            key: field,
            value: mode.into(),
            reach,
        }
    })
}

fn security_opt() -> impl Strategy<Value = Ingredient> {
    prop_oneof![
        prop::sample::select(vec![
            "seccomp:unconfined",
            "seccomp=unconfined",
            "apparmor=unconfined",
            "apparmor:docker-custom",
            "label=disable",
            "label:type:spc_t",
            "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
            "seccomp=/etc/p.json",
            "systempaths=unconfined",
            "no-new-privileges:false"
        ])
        .prop_map(|o| (o, Reach::Control)),
        prop::sample::select(vec![
            "no-new-privileges",
            "no-new-privileges:true",
            "no-new-privileges=true"
        ])
        .prop_map(|o| (o, Reach::Nothing)),
    ]
    .prop_map(|(o, reach)| Ingredient {
        key: "security_opt",
        value: Value::Sequence(vec![o.into()]),
        reach,
    })
}

/// Lexical cleaning, as the oracle understands a path.
fn clean(path: &Path) -> PathBuf {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    PathBuf::from(format!("/{}", parts.join("/")))
}

fn bind() -> impl Strategy<Value = Ingredient> {
    let start = prop::sample::select(vec![
        format!("{APP_DIR}/data"),
        "./data".to_string(),
        ".".to_string(),
        APP_DIR.to_string(),
        "/etc".to_string(),
        "/mnt/media".to_string(),
        HOME.to_string(),
        "/var/run".to_string(),
    ]);
    let step = prop::sample::select(vec![
        "..",
        "x",
        "data",
        ".",
        "docker.sock",
        "apps",
        "app",
        "compose.yml",
    ]);
    (start, prop::collection::vec(step, 0..6), any::<bool>()).prop_map(|(start, steps, ro)| {
        let source = std::iter::once(start)
            .chain(steps.iter().map(|s| s.to_string()))
            .collect::<Vec<_>>()
            .join("/");
        let absolute = if source.starts_with('/') {
            PathBuf::from(&source)
        } else {
            Path::new(APP_DIR).join(&source)
        };
        let real = clean(&absolute);
        let text = real.to_string_lossy().into_owned();
        let data = Path::new(APP_DIR).join("data");
        let system = ["/etc", "/var/run", "/var", "/"].iter().any(|s| text == *s)
            || ["/etc/", "/var/run/docker"]
                .iter()
                .any(|s| text.starts_with(s));
        let berth = real.starts_with(HOME) || Path::new(HOME).starts_with(&real);
        let reach = if real.starts_with(&data) {
            Reach::Nothing
        } else if berth || text.starts_with("/var/run/docker") || (system && !ro) || text == "/" {
            Reach::Control
        } else {
            Reach::Beyond
        };
        Ingredient {
            key: "volumes",
            value: Value::Sequence(vec![format!(
                "{source}:/mnt/in{}",
                if ro { ":ro" } else { "" }
            )
            .into()]),
            reach,
        }
    })
}

fn env_file() -> impl Strategy<Value = Ingredient> {
    prop_oneof![prop::sample::select(vec![
        "/etc/hostname",
        "/root/.aws/credentials",
        "../../other/app/.env",
        "/nonexistent-berth-home/berth.db"
    ])
    .prop_map(|f| (f, Reach::Control)),]
    .prop_map(|(f, reach)| Ingredient {
        key: "env_file",
        value: Value::Sequence(vec![Value::Mapping(Mapping::from_iter([
            ("path".into(), f.into()),
            ("required".into(), false.into()),
        ]))]),
        reach,
    })
}

fn privileged() -> impl Strategy<Value = Ingredient> {
    any::<bool>().prop_map(|p| Ingredient {
        key: "privileged",
        value: p.into(),
        reach: if p { Reach::Control } else { Reach::Nothing },
    })
}

fn ingredient() -> impl Strategy<Value = Ingredient> {
    prop_oneof![
        capability(),
        device(),
        namespace(),
        security_opt(),
        bind(),
        env_file(),
        privileged(),
    ]
}

/// Puts ingredients into a service; two for the same key are merged when
/// they are lists, else the later one wins (as YAML would have it).
fn service(ingredients: &[Ingredient]) -> (Mapping, Reach) {
    let mut svc = Mapping::new();
    svc.insert("image".into(), "busybox".into());
    let mut kept: Vec<&Ingredient> = Vec::new();
    for i in ingredients {
        match (svc.get_mut(i.key), &i.value) {
            (Some(Value::Sequence(list)), Value::Sequence(more)) => {
                list.extend(more.iter().cloned());
                kept.push(i);
            }
            _ => {
                kept.retain(|k| k.key != i.key);
                svc.insert(i.key.into(), i.value.clone());
                kept.push(i);
            }
        }
    }
    // network_mode excludes networks; the peer service gives `service:peer` something to join.
    let reach = kept.iter().map(|i| i.reach).max().unwrap_or(Reach::Nothing);
    (svc, reach)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn whatever_reaches_the_host_is_found(ingredients in prop::collection::vec(ingredient(), 1..6)) {
        let (svc, reach) = service(&ingredients);
        let mut services = Mapping::new();
        services.insert("app".into(), Value::Mapping(svc));
        services.insert("peer".into(), Value::Mapping(Mapping::from_iter([("image".into(), "busybox".into())])));
        let mut doc = Mapping::new();
        doc.insert("services".into(), Value::Mapping(services));
        let yaml = serde_yaml::to_string(&Value::Mapping(doc)).unwrap();
        let project = match load_bytes(
            yaml.as_bytes(),
            &Path::new(APP_DIR).join("app/compose.yml"),
            &LoadOptions { project_name: Some("fuzz".into()), bind_base: Some(APP_DIR.into()), ..Default::default() },
        ) {
            Ok(p) => p,
            // What the loader refuses (`service:ghost`) can never be installed.
            Err(_) => return Ok(()),
        };
        let report = check(&project, Some(Path::new(APP_DIR)));
        let needs_consent = report.needing_consent().next().is_some();
        match reach {
            Reach::Control => prop_assert!(report.is_severe(), "host control not severe:\n{yaml}\n{report:#?}"),
            Reach::Beyond => {
                prop_assert!(needs_consent, "host access without consent:\n{yaml}\n{report:#?}");
                prop_assert!(!report.is_severe(), "only consent was due:\n{yaml}\n{report:#?}");
            }
            Reach::Nothing => prop_assert!(!needs_consent, "nothing asked, consent wanted:\n{yaml}\n{report:#?}"),
        }
        prop_assert!(report.findings.iter().all(|f| f.severity != Severity::Severe || f.needs_consent()));
    }
}
