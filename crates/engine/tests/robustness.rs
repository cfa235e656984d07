//! Robustness: parse → normalize → rewrite must never panic, whatever the
//! input; errors are fine. What is accepted must reload to the same model.

use std::path::{Path, PathBuf};

use berth_engine::compose::{load_bytes, LoadOptions};
use berth_engine::rewrite::{render, PortAllocator, RenderRequest};
use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

fn options() -> LoadOptions {
    LoadOptions {
        project_name: Some("fuzz".into()),
        environment: [
            ("SET".to_string(), "value".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]
        .into(),
        ..Default::default()
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Strings that look like what compose files hold: ports, paths, templates, junk.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z0-9_./:-]{0,12}".prop_map(Value::from),
        "\\$\\{?[A-Z_]{0,5}(:?[-+?][a-z$]{0,4})?\\}?".prop_map(Value::from),
        "[0-9]{1,5}(-[0-9]{1,5})?(:[0-9]{1,6})?(/(tcp|udp|xyz))?".prop_map(Value::from),
        "(\\.|/|~)?[a-z]{0,5}(:[a-z/]{0,6}){0,3}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        "\\PC{0,8}".prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::vec((key(), inner), 0..4).prop_map(|kv| Value::Mapping(
                kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect()
            )),
        ]
    })
}

/// Keys compose acts on, so generated documents reach deep into normalization.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "image",
            "ports",
            "volumes",
            "environment",
            "depends_on",
            "command",
            "entrypoint",
            "healthcheck",
            "deploy",
            "resources",
            "limits",
            "memory",
            "cpus",
            "pids",
            "networks",
            "labels",
            "devices",
            "extra_hosts",
            "tmpfs",
            "privileged",
            "cap_add",
            "network_mode",
            "restart",
            "extends",
            "profiles",
            "env_file",
            "target",
            "published",
            "source",
            "type",
            "condition",
            "test",
            "interval",
            "user",
            "mem_limit",
            "x-ext",
            "<<",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}",
    ]
}

fn document() -> impl Strategy<Value = Value> {
    let service = prop::collection::vec((key(), value()), 0..8).prop_map(|kv| {
        let mut m: Mapping = kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect();
        m.entry("image".into()).or_insert_with(|| "busybox".into());
        Value::Mapping(m)
    });
    (
        prop::collection::vec(("[a-z]{1,4}", service), 1..4),
        prop::option::of(prop::collection::vec(("[a-z]{1,4}", value()), 0..3)),
        prop::option::of(prop::collection::vec(("[a-z]{1,4}", value()), 0..3)),
    )
        .prop_map(|(services, volumes, networks)| {
            let mut doc = Mapping::new();
            doc.insert(
                "services".into(),
                Value::Mapping(
                    services
                        .into_iter()
                        .map(|(k, v)| (Value::from(k), v))
                        .collect(),
                ),
            );
            if let Some(v) = volumes {
                doc.insert(
                    "volumes".into(),
                    Value::Mapping(v.into_iter().map(|(k, v)| (Value::from(k), v)).collect()),
                );
            }
            if let Some(n) = networks {
                doc.insert(
                    "networks".into(),
                    Value::Mapping(n.into_iter().map(|(k, v)| (Value::from(k), v)).collect()),
                );
            }
            Value::Mapping(doc)
        })
}

/// Services built from plausible values, so most documents are accepted and
/// the reload property is exercised, not just the error paths.
fn plausible_document() -> impl Strategy<Value = String> {
    let port = prop::sample::select(vec![
        "80",
        "\"8080:80\"",
        "\"127.0.0.1:53:53/udp\"",
        "\"9000-9001:9000-9001\"",
        "\"${SET:-81}:81\"",
        "{target: 443, published: 8443}",
        "\"[::1]:8443:443\"",
        "\"3000-3002\"",
    ]);
    let volume = prop::sample::select(vec![
        "./data:/data",
        "named:/named",
        "/anon",
        "./c:/c:ro",
        "~/x:/x",
        "/abs:/abs:ro,rshared",
        "{type: tmpfs, target: /t, tmpfs: {size: 10m}}",
        "{type: bind, source: ./l, target: /l/}",
    ]);
    let env = prop::sample::select(vec![
        "A: 1",
        "B: ${SET}",
        "C: ${UNSET:-d}",
        "D: \"$$literal\"",
        "E: ${EMPTY-x}",
        "F:",
        "G: true",
        "H: ${SET:+on}",
    ]);
    let extra = prop::sample::select(vec![
        "command: echo hi && echo there",
        "command: [\"sh\", \"-c\", \"x\"]",
        "entrypoint: /bin/sh",
        "restart: always",
        "privileged: true",
        "cap_add: [NET_ADMIN]",
        "user: \"1000:1000\"",
        "healthcheck: {test: curl -f localhost, interval: 90s, retries: 3}",
        "mem_limit: 1g",
        "cpus: 0.5",
        "deploy: {resources: {limits: {memory: 512M, cpus: \"1.5\", pids: 10}}}",
        "labels: [a=b, c]",
        "extra_hosts: [\"h:1.2.3.4\"]",
        "devices: [/dev/null]",
        "tmpfs: /run",
        "network_mode: none",
        "networks: [front]",
        "depends_on: [s0]",
        "profiles: [debug]",
        "working_dir: /w",
    ]);
    let service = (
        prop::collection::vec(port, 0..3),
        prop::collection::vec(volume, 0..3),
        prop::collection::vec(env, 0..4),
        prop::collection::vec(extra, 0..4),
    );
    prop::collection::vec(service, 1..4).prop_map(|services| {
        let mut text = String::from("services:\n");
        for (i, (ports, volumes, env, extra)) in services.iter().enumerate() {
            text.push_str(&format!("  s{i}:\n    image: busybox:1.{i}\n"));
            let mut seen = std::collections::BTreeSet::new();
            for e in extra {
                let key = e.split(':').next().unwrap();
                // One of each key, and no self-dependency.
                if seen.insert(key) && !(i == 0 && e.starts_with("depends_on")) {
                    text.push_str(&format!("    {e}\n"));
                }
            }
            if !ports.is_empty() {
                text.push_str(&format!("    ports: [{}]\n", ports.join(", ")));
            }
            if !volumes.is_empty() {
                text.push_str(&format!("    volumes: [{}]\n", volumes.join(", ")));
            }
            if !env.is_empty() {
                text.push_str("    environment:\n");
                for e in env {
                    text.push_str(&format!("      {e}\n"));
                }
            }
        }
        text.push_str("volumes:\n  named:\nnetworks:\n  front:\n");
        text
    })
}

fn check_reload(bytes: &[u8], path: &Path) -> bool {
    let Ok(project) = load_bytes(bytes, path, &options()) else {
        return false;
    };
    {
        let again =
            load_bytes(project.to_yaml().as_bytes(), path, &options()).unwrap_or_else(|e| {
                panic!(
                    "accepted, but its normalized form is refused: {e}\n{}",
                    project.to_yaml()
                )
            });
        assert_eq!(
            project.model, again.model,
            "normalized form changed on reload"
        );
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = load_bytes(&bytes, Path::new("/tmp/fuzz/compose.yml"), &options());
    }

    #[test]
    fn arbitrary_text_with_yaml_punctuation_never_panics(text in "[ \\n:\\-\\[\\]{}&*!|>'\"#%@`a-z0-9$<]{0,200}") {
        let _ = load_bytes(text.as_bytes(), Path::new("/tmp/fuzz/compose.yml"), &options());
    }

    #[test]
    fn compose_shaped_documents_never_panic_and_reload_identically(doc in document()) {
        let text = serde_yaml::to_string(&doc).unwrap();
        let dir = scratch();
        let path = dir.join("compose.yml");
        check_reload(text.as_bytes(), &path);
        std::fs::write(&path, &text).unwrap();
        let request = RenderRequest {
            app_id: "fuzz".into(),
            home: dir.join("home"),
            host: Default::default(),
            settings: Default::default(),
            limits: Default::default(),
            consent: true,
                shares: Vec::new(),
                no_host_port: false,
        };
        let _ = render(&path, &request, &mut PortAllocator::in_memory().without_host_probe());
    }
}

/// Most plausible documents must be accepted (else the property above tests
/// only error paths), and every accepted one must reload and render.
#[test]
fn plausible_documents_are_mostly_accepted_reload_and_render() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let dir = scratch();
    let path = dir.join("plausible.yml");
    let strategy = plausible_document();
    let (mut accepted, total) = (0, 300);
    for _ in 0..total {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if check_reload(text.as_bytes(), &path) {
            accepted += 1;
            std::fs::write(&path, &text).unwrap();
            let request = RenderRequest {
                app_id: "plausible".into(),
                home: dir.join("home"),
                host: Default::default(),
                settings: Default::default(),
                limits: Default::default(),
                shares: Vec::new(),
                consent: true,
                no_host_port: false,
            };
            render(
                &path,
                &request,
                &mut PortAllocator::in_memory().without_host_probe(),
            )
            .unwrap_or_else(|e| panic!("accepted but not rendered: {e}\n{text}"));
        }
    }
    eprintln!("{accepted}/{total} plausible documents accepted, reloaded and rendered");
    assert!(
        accepted * 2 > total,
        "only {accepted}/{total} plausible documents were accepted"
    );
}

/// A folder of its own under the scratch folder, for tests that write files.
fn folder(name: &str) -> PathBuf {
    let dir = scratch().join(name);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Included files are read with the same limits as the main one: size,
/// alias expansion, and a cap on how many files one load may read (a diamond
/// of includes would otherwise multiply).
#[test]
fn included_files_keep_the_parse_limits() {
    let app = folder("limits");
    let main = app.join("compose.yml");
    std::fs::write(&main, "include: [big.yml]\nservices: {}\n").unwrap();
    std::fs::write(
        app.join("big.yml"),
        vec![b'#'; berth_engine::compose::MAX_FILE_BYTES as usize + 1],
    )
    .unwrap();
    let err = berth_engine::compose::load_file(&main, &options()).unwrap_err();
    assert!(err.to_string().contains("big.yml"), "{err}");
    assert!(err.to_string().contains("larger than"), "{err}");

    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (n, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    std::fs::write(app.join("big.yml"), bomb).unwrap();
    let err = berth_engine::compose::load_file(&main, &options()).unwrap_err();
    assert!(err.to_string().contains("billion laughs"), "{err}");

    // Each level includes the next one twice: 2^20 loads without a cap.
    for level in 0..20 {
        std::fs::write(
            app.join(format!("l{level}.yml")),
            format!("include: [l{n}.yml, l{n}.yml]\n", n = level + 1),
        )
        .unwrap();
    }
    std::fs::write(app.join("l20.yml"), "services: {}\n").unwrap();
    std::fs::write(&main, "include: [l0.yml]\nservices: {}\n").unwrap();
    let err = berth_engine::compose::load_file(&main, &options()).unwrap_err();
    assert!(err.to_string().contains("more than"), "{err}");
}

/// An included or extended file is part of the app: one that leaves the
/// app's folder, by `..` or through a symlink, is refused with the path it
/// resolves to (docker compose would read it).
#[test]
fn included_and_extended_files_stay_in_the_app_folder() {
    let top = folder("outside");
    let app = top.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        top.join("shared.yml"),
        "services:\n  base: {image: busybox}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&top, app.join("up")).unwrap();
    let main = app.join("compose.yml");
    for (text, at) in [
        ("include: [../shared.yml]\nservices: {}\n", "include[0]"),
        (
            "include: [{path: up/shared.yml}]\nservices: {}\n",
            "include[0]",
        ),
        (
            "services:\n  web:\n    extends: {file: ./sub/../../shared.yml, service: base}\n",
            "services.web.extends.file",
        ),
        (
            "services:\n  web:\n    extends: {file: up/shared.yml, service: base}\n",
            "services.web.extends.file",
        ),
    ] {
        std::fs::create_dir_all(app.join("sub")).unwrap();
        std::fs::write(&main, text).unwrap();
        let err = berth_engine::compose::load_file(&main, &options())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("outside the app's folder")
                && err.contains(at)
                && err.contains("shared.yml"),
            "{text}: {err}"
        );
    }
    // Inside the folder, through a symlink that stays inside, is fine.
    std::fs::write(
        app.join("sub/base.yml"),
        "services:\n  base: {image: busybox}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("sub", app.join("linked")).unwrap();
    std::fs::write(
        &main,
        "include: [linked/base.yml]\nservices:\n  web: {extends: {file: linked/base.yml, service: base}}\n",
    )
    .unwrap();
    let project = berth_engine::compose::load_file(&main, &options()).unwrap();
    assert_eq!(project.services().count(), 2);
}

/// An override file is part of the app too: one that is a symlink leading
/// out of the app's folder is refused, with where it leads; a folder
/// without a compose file says so.
#[test]
fn override_files_stay_in_the_app_folder() {
    let top = folder("override-outside");
    let app = top.join("app");
    std::fs::create_dir_all(&app).unwrap();
    let err = berth_engine::compose::load_file(&app, &options())
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds no compose file"), "{err}");

    std::fs::write(
        app.join("compose.yaml"),
        "services:\n  web: {image: busybox}\n",
    )
    .unwrap();
    std::fs::write(
        top.join("elsewhere.yml"),
        "services:\n  web: {privileged: true}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("../elsewhere.yml", app.join("compose.override.yaml")).unwrap();
    let err = berth_engine::compose::load_file(&app, &options())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("outside the app's folder") && err.contains("elsewhere.yml"),
        "{err}"
    );
    // The main file alone, as `-f` names it, reads no override file.
    let project = berth_engine::compose::load_file(&app.join("compose.yaml"), &options()).unwrap();
    assert!(project.model["services"]["web"].get("privileged").is_none());
}
