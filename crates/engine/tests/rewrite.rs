//! Rewrite against the real docker compose: every corpus app that loads is
//! rendered into one Berth home with one port allocator, and docker compose
//! must read each rendered file — with an empty environment — to the same
//! project name, host ports and data folders Berth chose.

use std::collections::BTreeSet;
use std::process::Command;

use berth_engine::compose::{load_file, LoadOptions, ServiceLimits};
use berth_engine::rewrite::{app_dir, render, HostSettings, PortAllocator, RenderRequest};
use berth_testkit::{compose_files, corpus, require_compose};
use serde_json::Value;

#[test]
fn rendered_corpus_apps_are_read_back_by_docker_compose() {
    let corpus = corpus();
    require_compose();
    let mut files = Vec::new();
    compose_files(&corpus, &mut files);

    let home = std::env::temp_dir().join(format!("berth-render-{}", std::process::id()));
    let mut ports = PortAllocator::open(&home.join("ports.json"))
        .unwrap()
        .without_host_probe();
    let mut rendered = 0;
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        // Only files docker compose itself accepts can be rendered.
        if load_file(file, &LoadOptions::default()).is_err() {
            continue;
        }
        let app = format!("app{i}");
        let request = RenderRequest {
            app_id: app.clone(),
            home: home.clone(),
            host: HostSettings::default(),
            settings: Default::default(),
            limits: ServiceLimits {
                memory: Some(512 << 20),
                ..Default::default()
            },
            consent: true,
            shares: Vec::new(),
            no_host_port: false,
        };
        let r = match render(file, &request, &mut ports) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: render failed: {e}", file.display()));
                continue;
            }
        };
        let dir = app_dir(&home, &app);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("compose.yml");
        std::fs::write(&out, &r.yaml).unwrap();
        let config = Command::new("docker")
            .args(["compose", "-f"])
            .arg(&out)
            .args(["config", "--format", "json"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        if !config.status.success() {
            failures.push(format!(
                "{}: docker compose refuses the rendered file: {}",
                file.display(),
                String::from_utf8_lossy(&config.stderr).trim()
            ));
            continue;
        }
        let json: Value = serde_json::from_slice(&config.stdout).unwrap();
        if json["name"] != app.as_str() {
            failures.push(format!(
                "{}: project name {} is not {app}",
                file.display(),
                json["name"]
            ));
        }
        let compose_ports: BTreeSet<String> = json["services"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|s| s["ports"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["published"].as_str().map(str::to_string))
            .collect();
        for c in &r.ports {
            if !compose_ports.contains(&c.published.to_string()) {
                failures.push(format!(
                    "{}: host port {} is not what docker compose reads ({compose_ports:?})",
                    file.display(),
                    c.published
                ));
            }
        }
        for svc in json["services"].as_object().unwrap().values() {
            if svc["labels"]["berth.app"] != app.as_str() {
                failures.push(format!(
                    "{}: a service lacks the berth.app label",
                    file.display()
                ));
            }
            if svc["deploy"]["resources"]["limits"]["memory"] != "536870912" {
                failures.push(format!(
                    "{}: the memory limit did not survive: {}",
                    file.display(),
                    svc["deploy"]
                ));
            }
        }
        rendered += 1;
    }
    let all: Vec<_> = ports
        .held()
        .iter()
        .map(|c| (c.published, c.protocol.clone()))
        .collect();
    let distinct: BTreeSet<_> = all.iter().collect();
    std::fs::remove_dir_all(&home).ok();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rendered >= 200, "only {rendered} corpus apps rendered");
    assert_eq!(all.len(), distinct.len(), "two apps share a host port");
    eprintln!("rendered {rendered} corpus apps; {} host ports, all distinct; docker compose read every file back", all.len());
}
