//! Catalogs: the embedded default store (every app passes normalize, its
//! declared permissions, rewrite, and `docker compose config` on the
//! rendered file) and the CasaOS and Umbrel importers over the real stores in
//! the shared corpus (`BERTH_CORPUS`), with a report of what imports and
//! renders cleanly and why the rest does not. Every share request of either
//! has its stand-in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth_engine::catalog::{
    default_catalog, import::import_casaos, import::import_umbrel, resolve_settings, Catalog,
    CatalogApp, ShareUse,
};
use berth_engine::rewrite::{render, HostSettings, PortAllocator, RenderRequest};
use berth_engine::Error;
use berth_testkit::corpus;

/// What is wrong with the stand-ins of an app's share requests: each needs
/// a bind of its service at the same target inside the app's data folder,
/// read-only when the request is, so that the app runs on a folder of its
/// own when it is given no share.
fn stand_in_problems(id: &str, app: &CatalogApp) -> Vec<String> {
    let compose: serde_yaml::Value = serde_yaml::from_slice(app.compose()).unwrap();
    let mut out = Vec::new();
    for r in &app.meta.shares {
        let service = r.service_in(&app.meta.main.service);
        let volumes = compose["services"][service]["volumes"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let binds = volumes.iter().filter_map(|v| match v {
            serde_yaml::Value::String(s) => {
                let mut parts = s.splitn(3, ':');
                let source = parts.next()?.to_string();
                let target = parts.next()?.to_string();
                let ro = parts
                    .next()
                    .is_some_and(|m| m.split(',').any(|o| o == "ro"));
                Some((source, target, ro))
            }
            serde_yaml::Value::Mapping(_) => Some((
                v["source"].as_str()?.to_string(),
                v["target"].as_str()?.to_string(),
                v["read_only"].as_bool() == Some(true),
            )),
            _ => None,
        });
        let same = |t: &str| t.trim_end_matches('/') == r.target.trim_end_matches('/');
        match binds.into_iter().find(|(_, t, _)| same(t)) {
            None => out.push(format!(
                "{id}: share {} has no stand-in at {} in {service}",
                r.name, r.target
            )),
            Some((source, _, ro)) => {
                if !(source.starts_with("./data/") || source.starts_with("${APP_DATA_DIR}/")) {
                    out.push(format!(
                        "{id}: the stand-in of share {} ({source}) is not in the app's data folder",
                        r.name
                    ));
                }
                if ro != (r.access == ShareUse::Read) {
                    out.push(format!(
                        "{id}: the stand-in of share {} is {} but the share is {:?}",
                        r.name,
                        if ro { "read-only" } else { "writable" },
                        r.access
                    ));
                }
            }
        }
    }
    out
}

/// Renders every app of `catalog` into a fresh home; returns app → the
/// rendered file, or the error.
fn render_all(catalog: &Catalog, home: &Path) -> BTreeMap<String, Result<PathBuf, Error>> {
    std::fs::remove_dir_all(home).ok();
    let mut ports = PortAllocator::in_memory();
    let mut out = BTreeMap::new();
    for (id, app) in &catalog.apps {
        let source = home.join("sources").join(id);
        app.write_to(&source).unwrap();
        let result =
            resolve_settings(&app.meta, &BTreeMap::new(), &BTreeMap::new()).and_then(|settings| {
                let request = RenderRequest {
                    app_id: id.clone(),
                    home: home.to_path_buf(),
                    host: HostSettings::default(),
                    settings: settings.values,
                    limits: Default::default(),
                    consent: false,
                    shares: Vec::new(),
                    no_host_port: false,
                };
                let rendered = render(&source.join("compose.yml"), &request, &mut ports)?;
                let file = home.join("rendered").join(format!("{id}.yml"));
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, rendered.yaml).unwrap();
                Ok(file)
            });
        out.insert(id.clone(), result);
    }
    out
}

#[test]
fn the_default_store_has_thirty_real_apps_that_all_render() {
    let catalog = default_catalog().expect("the embedded catalog loads");
    assert!(
        catalog.rejected.is_empty(),
        "apps of the default store break the format: {:#?}",
        catalog.rejected
    );
    assert!(
        catalog.apps.len() >= 30,
        "the default store has {} apps; it needs at least 30",
        catalog.apps.len()
    );
    let home = std::env::temp_dir().join(format!("berth-catalog-{}", std::process::id()));
    let mut failures: Vec<String> = catalog
        .apps
        .iter()
        .flat_map(|(id, app)| stand_in_problems(id, app))
        .collect();
    for (id, result) in render_all(&catalog, &home) {
        let app = &catalog.apps[&id];
        assert!(
            app.meta
                .icon
                .as_ref()
                .is_some_and(|i| app.files.contains_key(i)),
            "{id} has no icon"
        );
        for (_, service) in serde_yaml::from_slice::<serde_yaml::Value>(app.compose()).unwrap()
            ["services"]
            .as_mapping()
            .unwrap()
        {
            let image = service["image"].as_str().unwrap_or_default();
            let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
            assert!(
                !tag.is_empty() && tag != "latest" && !tag.contains('/'),
                "{id}: image {image} is not pinned to a version"
            );
        }
        match result {
            Err(e) => failures.push(format!("{id}: {e}")),
            Ok(file) => {
                let out = Command::new("docker")
                    .args(["compose", "-f"])
                    .arg(&file)
                    .args(["config", "-q"])
                    .env_clear()
                    .env("PATH", std::env::var("PATH").unwrap_or_default())
                    .output()
                    .expect("docker compose v2 is needed: run .ci/setup-docker");
                if !out.status.success() {
                    failures.push(format!(
                        "{id}: docker compose config refuses the rendered file: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
    }
    std::fs::remove_dir_all(&home).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Imports a store, renders every app, prints the report, and checks that
/// every app that does not render is refused for a reason the user can act
/// on (its asks need consent), not by a failure of the importer.
fn import_report(label: &str, catalog: Catalog, folders: usize) {
    let mut unexpected: Vec<String> = catalog
        .apps
        .iter()
        .flat_map(|(id, app)| stand_in_problems(id, app))
        .collect();
    let asking: Vec<_> = catalog
        .apps
        .values()
        .filter(|a| !a.meta.shares.is_empty())
        .collect();
    let mut by_share = BTreeMap::<&str, usize>::new();
    for r in asking.iter().flat_map(|a| &a.meta.shares) {
        *by_share.entry(r.share.as_str()).or_default() += 1;
    }
    println!(
        "{label}: {} apps ask for {} shares: {by_share:?}",
        asking.len(),
        by_share.values().sum::<usize>()
    );
    let home = std::env::temp_dir().join(format!("berth-import-{label}-{}", std::process::id()));
    let rendered = render_all(&catalog, &home);
    std::fs::remove_dir_all(&home).ok();
    let clean = rendered.values().filter(|r| r.is_ok()).count();
    println!(
        "{label}: {folders} apps in the store, {} imported, {clean} render cleanly",
        catalog.apps.len()
    );
    for (id, why) in &catalog.rejected {
        println!("  not imported: {id}: {why}");
        // Apps built on other Umbrel apps (a bitcoin or lightning node) need
        // those apps, which Berth's stores do not have: listed, not hidden.
        if !why.contains("which Berth does not provide") {
            unexpected.push(format!("{id}: {why}"));
        }
    }
    for (id, result) in &rendered {
        match result {
            Ok(_) => {}
            Err(e @ Error::ConsentRequired { .. }) => println!("  needs consent: {id}: {e}"),
            Err(e) => {
                println!("  does not render: {id}: {e}");
                unexpected.push(format!("{id}: {e}"));
            }
        }
    }
    assert_eq!(
        catalog.apps.len() + catalog.rejected.len(),
        folders,
        "{label}: some apps were neither imported nor reported"
    );
    assert!(
        unexpected.is_empty(),
        "{label}: {} apps fail for reasons other than policy:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}

fn count_dirs(path: &Path, marker: &str) -> usize {
    std::fs::read_dir(path)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(marker).is_file())
        .count()
}

#[test]
fn the_casaos_store_imports_and_renders() {
    let root = corpus().join("casaos-appstore");
    let folders = count_dirs(&root.join("Apps"), "docker-compose.yml");
    let catalog = import_casaos(&root, "casaos").unwrap();
    import_report("casaos", catalog, folders);
}

#[test]
fn the_umbrel_store_imports_and_renders() {
    let root = corpus().join("umbrel-sample");
    let folders = count_dirs(&root, "umbrel-app.yml");
    let catalog = import_umbrel(&root, "umbrel").unwrap();
    import_report("umbrel", catalog, folders);
}
