//! Umbrel app stores: `<app>/umbrel-app.yml` + `<app>/docker-compose.yml`.
//! Umbrel puts an `app_proxy` service in front of the app; Berth publishes
//! the app's port itself, so the proxy is dropped and its `APP_HOST` /
//! `APP_PORT` name the main service and port. `APP_DATA_DIR` keeps its
//! meaning (the app's folder); `APP_PASSWORD` and `APP_SEED` become
//! generated secrets. The user's storage (`${UMBREL_ROOT}/data/storage/…`,
//! `${UMBREL_ROOT}/home/…`) moves into the app's data folder, and its
//! shared folders (`downloads`, `downloads/movies`…) become share requests,
//! that folder being their stand-in.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::{
    app_id_of, assemble, main_by_default, map_binds, request_shares, semver_of, settings_for,
    usual_share,
};
use crate::catalog::format::{AppMeta, MainService};
use crate::catalog::Catalog;
use crate::{Error, Result};

/// A path in the user's storage, relative to it: umbrelOS 0.5 keeps it
/// under `${UMBREL_ROOT}/data/storage`, 1.x under `${UMBREL_ROOT}/home`
/// (and moves the former there).
fn in_storage(src: &str) -> Option<&str> {
    let rest = ["${UMBREL_ROOT}/", "$UMBREL_ROOT/"]
        .iter()
        .find_map(|p| src.strip_prefix(p))?;
    let rest = ["data/storage", "home"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.trim_matches('/'))
}

/// A bind source in the user's storage inside the app's data folder instead.
fn data_path(src: &str) -> Option<String> {
    let rest = in_storage(src)?;
    Some(if rest.is_empty() {
        "./data/storage".into()
    } else {
        format!("./data/{rest}")
    })
}

/// The share an Umbrel storage folder holds: `downloads` (where Umbrel's
/// media apps keep everything), its `movies`, `tv`, `audiobooks`…, and
/// 1.x's `Documents`, `Photos`… A folder an app keeps for itself there
/// (`downloads/podcasts`) is not a share.
fn umbrel_share(src: &str) -> Option<&'static str> {
    match in_storage(src)?.split('/').collect::<Vec<_>>()[..] {
        [folder] => usual_share(folder),
        [downloads, folder] if downloads.eq_ignore_ascii_case("downloads") => usual_share(folder),
        _ => None,
    }
}

/// Imports the Umbrel store at `root` (a folder of app folders).
pub fn import_umbrel(root: &Path, name: &str) -> Result<Catalog> {
    let entries = std::fs::read_dir(root).map_err(|cause| Error::Read {
        path: root.to_path_buf(),
        cause,
    })?;
    let mut folders: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    folders.sort();
    let mut apps = Vec::new();
    let mut unreadable = Vec::new();
    for folder in folders {
        if !folder.join("umbrel-app.yml").is_file() {
            continue;
        }
        match convert(&folder) {
            Ok(app) => apps.push(app),
            Err(why) => unreadable.push((
                app_id_of(&folder.file_name().unwrap_or_default().to_string_lossy()),
                why,
            )),
        }
    }
    let mut catalog = assemble(name, root, apps)?;
    catalog.rejected.extend(unreadable);
    Ok(catalog)
}

fn read_yaml(path: &Path) -> std::result::Result<Mapping, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn string(m: &Mapping, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn convert(folder: &Path) -> std::result::Result<(AppMeta, String), String> {
    let info = read_yaml(&folder.join("umbrel-app.yml"))?;
    let mut doc = read_yaml(&folder.join("docker-compose.yml"))?;
    doc.remove("version");
    let id = app_id_of(&string(&info, "id").ok_or("umbrel-app.yml has no id")?);
    if let Some(Value::Sequence(deps)) = info.get("dependencies") {
        let deps: Vec<&str> = deps.iter().filter_map(Value::as_str).collect();
        if !deps.is_empty() {
            return Err(format!(
                "it runs on top of the Umbrel app(s) {}, which Berth does not provide",
                deps.join(", ")
            ));
        }
    }
    let mut main_service = None;
    let mut main_port = None;
    let mut shares = Vec::new();
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        if let Some(Value::Mapping(proxy)) = services.remove("app_proxy") {
            if let Some(Value::Mapping(env)) = proxy.get("environment") {
                // APP_HOST is `<app-id>_<service>_1` or the service name.
                main_service = string(env, "APP_HOST").map(|h| {
                    let h = h
                        .strip_prefix(&format!("{}_", string(&info, "id").unwrap_or_default()))
                        .unwrap_or(&h)
                        .to_string();
                    h.strip_suffix("_1").unwrap_or(&h).to_string()
                });
                main_port = string(env, "APP_PORT").and_then(|p| p.parse::<u16>().ok());
            }
        }
        for (svc_name, service) in services.iter_mut() {
            let svc_name = svc_name.as_str().unwrap_or_default().to_string();
            let Value::Mapping(service) = service else {
                continue;
            };
            service.remove("container_name");
            request_shares(&mut shares, &svc_name, service, "Umbrel", &umbrel_share);
            map_binds(service, &data_path);
            // Umbrel gives services fixed addresses on its own network.
            if let Some(Value::Mapping(nets)) = service.get_mut("networks") {
                for (_, net) in nets.iter_mut() {
                    if let Value::Mapping(net) = net {
                        net.remove("ipv4_address");
                    }
                }
            }
            if let Some(Value::Sequence(deps)) = service.get_mut("depends_on") {
                deps.retain(|d| d.as_str() != Some("app_proxy"));
            }
            if let Some(Value::Mapping(deps)) = service.get_mut("depends_on") {
                deps.remove("app_proxy");
            }
        }
        let known = |s: &str| services.contains_key(s);
        if !main_service.as_deref().is_some_and(known) {
            main_service = services
                .keys()
                .next()
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        let ui_port = string(&info, "port").and_then(|p| p.parse::<u16>().ok());
        // The proxy published the UI; now the main service does (unless it
        // uses the host's network, where its port is already the host's).
        if let (Some(service), Some(target)) = (main_service.as_deref(), main_port.or(ui_port)) {
            if let Some(Value::Mapping(s)) = services.get_mut(service) {
                let host_net = s.get("network_mode").and_then(Value::as_str) == Some("host");
                if !host_net && !s.contains_key("ports") {
                    let published = ui_port.unwrap_or(target);
                    s.insert(
                        "ports".into(),
                        Value::Sequence(vec![Value::String(format!("{published}:{target}"))]),
                    );
                }
                main_port = Some(target);
            }
        }
    }
    let compose = serde_yaml::to_string(&doc).map_err(|e| e.to_string())?;
    let main_service = main_service.ok_or("it has no services")?;
    main_by_default(&mut shares, &main_service);
    let name = string(&info, "name").unwrap_or_else(|| id.clone());
    let meta = AppMeta {
        name: name.clone(),
        version: semver_of(&string(&info, "version").unwrap_or_default()),
        tagline: string(&info, "tagline")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(name),
        description: string(&info, "description")
            .unwrap_or_default()
            .trim()
            .to_string(),
        categories: string(&info, "category").into_iter().collect(),
        icon: None,
        screenshots: vec![],
        homepage: string(&info, "website"),
        source: string(&info, "repo"),
        main: MainService {
            service: main_service,
            port: main_port.unwrap_or(80),
            path: string(&info, "path").filter(|p| !p.is_empty()),
        },
        settings: settings_for(&compose, &["APP_PASSWORD", "APP_SEED"]),
        architectures: vec![],
        min_berth: None,
        release_notes: string(&info, "releaseNotes")
            .unwrap_or_default()
            .trim()
            .to_string(),
        migration: None,
        permissions: vec![],
        resources: Default::default(),
        shares,
        backup: None,
        id,
    };
    Ok((meta, compose))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::format::ShareUse;

    #[test]
    fn umbrel_storage_folders_are_the_usual_shares() {
        for (src, share) in [
            ("${UMBREL_ROOT}/data/storage/downloads", Some("Downloads")),
            ("$UMBREL_ROOT/data/storage/downloads/", Some("Downloads")),
            (
                "${UMBREL_ROOT}/data/storage/downloads/movies",
                Some("Movies"),
            ),
            ("${UMBREL_ROOT}/data/storage/downloads/tv", Some("TV")),
            (
                "${UMBREL_ROOT}/data/storage/downloads/audiobooks",
                Some("Books"),
            ),
            ("${UMBREL_ROOT}/home/Downloads", Some("Downloads")),
            ("${UMBREL_ROOT}/home/Documents", Some("Documents")),
            ("${UMBREL_ROOT}/home/Photos", Some("Photos")),
            ("${UMBREL_ROOT}/home/Downloads/Films", Some("Movies")),
            // An app's own folder in the storage, the storage as a whole,
            // another app's data.
            ("${UMBREL_ROOT}/data/storage/downloads/podcasts", None),
            ("${UMBREL_ROOT}/home", None),
            ("${UMBREL_ROOT}/homework/Downloads", None),
            ("${UMBREL_ROOT}/app-data/lightning/data/lnd", None),
            ("${APP_DATA_DIR}/data/downloads", None),
        ] {
            assert_eq!(umbrel_share(src), share, "{src}");
        }
        assert_eq!(
            data_path("${UMBREL_ROOT}/data/storage/downloads/podcasts").as_deref(),
            Some("./data/downloads/podcasts")
        );
        assert_eq!(
            data_path("${UMBREL_ROOT}/home/Downloads").as_deref(),
            Some("./data/Downloads")
        );
        assert_eq!(data_path("${APP_DATA_DIR}/data"), None);
    }

    #[test]
    fn umbrel_storage_binds_become_share_requests_with_their_stand_in() {
        let folder =
            std::env::temp_dir().join(format!("berth-umbrel-shares-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("umbrel-app.yml"),
            "id: bookshelf\nname: Bookshelf\nversion: \"1.0\"\ntagline: Listen\nport: 13378\n",
        )
        .unwrap();
        std::fs::write(
            folder.join("docker-compose.yml"),
            r#"
version: "3.7"
services:
  app_proxy:
    environment:
      APP_HOST: bookshelf_web_1
      APP_PORT: 80
  web:
    image: example/bookshelf:1
    volumes:
      - ${APP_DATA_DIR}/data/config:/config
      - ${UMBREL_ROOT}/data/storage/downloads/audiobooks:/audiobooks:ro
      - ${UMBREL_ROOT}/data/storage/downloads/podcasts:/podcasts
"#,
        )
        .unwrap();
        let (meta, compose) = convert(&folder).unwrap();
        std::fs::remove_dir_all(&folder).ok();
        assert_eq!(meta.shares.len(), 1, "{:?}", meta.shares);
        let books = &meta.shares[0];
        assert_eq!(
            (
                books.name.as_str(),
                books.share.as_str(),
                books.service.as_deref(),
                books.target.as_str(),
                books.access
            ),
            ("audiobooks", "Books", None, "/audiobooks", ShareUse::Read)
        );
        assert!(books.why.contains("your Books folder (Umbrel mounted"));
        for bind in [
            "${APP_DATA_DIR}/data/config:/config",
            "./data/downloads/audiobooks:/audiobooks:ro",
            "./data/downloads/podcasts:/podcasts",
        ] {
            assert!(compose.contains(bind), "{bind} in\n{compose}");
        }
        assert!(
            meta.settings.iter().all(|s| s.name != "UMBREL_ROOT"),
            "no setting for a root the app no longer uses"
        );
        assert!(meta.problems().is_empty(), "{:?}", meta.problems());
    }
}
