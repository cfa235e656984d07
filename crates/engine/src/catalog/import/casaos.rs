//! CasaOS app stores: `Apps/<Name>/docker-compose.yml`, metadata under the
//! top-level `x-casaos` key (localised texts: the `en_US` one is taken).
//! Data under `/DATA/AppData/$AppID/…` moves into the app's own data folder;
//! other `/DATA/…` folders (media, downloads) become folders inside it too,
//! and CasaOS's shared folders (`/DATA/Media/Movies`, `/DATA/Downloads`…)
//! become share requests, that folder being their stand-in.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::{
    app_id_of, assemble, main_by_default, map_binds, request_shares, semver_of, settings_for,
    usual_share,
};
use crate::catalog::format::{AppMeta, MainService};
use crate::catalog::Catalog;
use crate::{Error, Result};

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Mapping(m)) => m
            .get("en_US")
            .or_else(|| m.values().next())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// A CasaOS `/DATA/…` bind source inside the app's data folder instead.
fn data_path(src: &str) -> Option<String> {
    if src == "/DATA" || src == "/DATA/" {
        return Some("./data".into());
    }
    let rest = src.strip_prefix("/DATA/")?;
    let rest = ["AppData/$AppID/", "AppData/${AppID}/"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .or_else(|| {
            // AppData/<literal app name>/…
            rest.strip_prefix("AppData/")
                .and_then(|r| r.split_once('/').map(|(_, tail)| tail))
        })
        .unwrap_or(rest);
    Some(format!("./data/{}", rest.trim_end_matches('/')))
}

/// The share a CasaOS shared folder holds: `/DATA/Downloads`,
/// `/DATA/Media/Movies`, `/DATA/Gallery`… and the whole `/DATA/Media` (a
/// share named Media). A folder below one (`/DATA/Downloads/watch`,
/// `/DATA/Gallery/immich`) is the app's own, not a share given whole.
fn casaos_share(src: &str) -> Option<&'static str> {
    let rest = src.strip_prefix("/DATA/")?.trim_end_matches('/');
    match rest.split('/').collect::<Vec<_>>()[..] {
        [media] if media.eq_ignore_ascii_case("media") => Some("Media"),
        [media, folder] if media.eq_ignore_ascii_case("media") => usual_share(folder),
        [folder] => usual_share(folder),
        _ => None,
    }
}

/// Imports the CasaOS store at `root` (the folder holding `Apps/`).
pub fn import_casaos(root: &Path, name: &str) -> Result<Catalog> {
    let apps_dir = if root.join("Apps").is_dir() {
        root.join("Apps")
    } else {
        root.to_path_buf()
    };
    let entries = std::fs::read_dir(&apps_dir).map_err(|cause| Error::Read {
        path: apps_dir.clone(),
        cause,
    })?;
    let mut folders: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    folders.sort();
    let mut apps = Vec::new();
    let mut unreadable = Vec::new();
    for folder in folders {
        let file = folder.join("docker-compose.yml");
        if !file.is_file() {
            continue;
        }
        match convert(&file, &folder) {
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

fn convert(file: &Path, folder: &Path) -> std::result::Result<(AppMeta, String), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut doc: Mapping =
        serde_yaml::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let x = doc
        .remove("x-casaos")
        .and_then(|v| v.as_mapping().cloned())
        .ok_or_else(|| format!("{} has no x-casaos metadata", file.display()))?;
    let folder_name = folder
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let id = app_id_of(
        doc.get("name")
            .and_then(Value::as_str)
            .unwrap_or(&folder_name),
    );
    doc.insert("name".into(), Value::String(id.clone()));
    let main_service = x.get("main").and_then(Value::as_str).map(str::to_string);
    let port_map = match x.get("port_map") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let mut main_port = None;
    let mut first_service = None;
    let mut shares = Vec::new();
    if let Some(Value::Mapping(services)) = doc.get_mut("services") {
        for (svc_name, service) in services.iter_mut() {
            let svc_name = svc_name.as_str().unwrap_or_default().to_string();
            first_service.get_or_insert(svc_name.clone());
            let Value::Mapping(service) = service else {
                continue;
            };
            service.remove("x-casaos");
            service.remove("container_name");
            request_shares(&mut shares, &svc_name, service, "CasaOS", &casaos_share);
            map_binds(service, &data_path);
            if Some(&svc_name) == main_service.as_ref() || main_service.is_none() {
                main_port = main_port.or_else(|| container_port(service, &port_map));
            }
        }
    }
    let main = MainService {
        service: main_service.or(first_service).ok_or("it has no services")?,
        port: main_port.unwrap_or(80),
        path: x.get("index").and_then(Value::as_str).map(str::to_string),
    };
    main_by_default(&mut shares, &main.service);
    let compose = serde_yaml::to_string(&doc).map_err(|e| e.to_string())?;
    let title = text(x.get("title"));
    let version = x
        .get("version")
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
        .unwrap_or_default();
    let meta = AppMeta {
        name: if title.is_empty() {
            folder_name.clone()
        } else {
            title
        },
        version: semver_of(&version),
        tagline: {
            let t = text(x.get("tagline"));
            if t.trim().is_empty() {
                folder_name.clone()
            } else {
                t.trim().to_string()
            }
        },
        description: text(x.get("description")).trim().to_string(),
        categories: x
            .get("category")
            .and_then(Value::as_str)
            .map(|c| vec![c.to_string()])
            .unwrap_or_default(),
        icon: None,
        screenshots: vec![],
        homepage: x.get("website").and_then(Value::as_str).map(str::to_string),
        source: x.get("repo").and_then(Value::as_str).map(str::to_string),
        main,
        settings: settings_for(&compose, &[]),
        architectures: x
            .get("architectures")
            .and_then(Value::as_sequence)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        min_berth: None,
        release_notes: text(x.get("release_notes")).trim().to_string(),
        migration: None,
        permissions: vec![],
        resources: Default::default(),
        shares,
        backup: None,
        id,
    };
    Ok((meta, compose))
}

/// The container port published on `published`, else the first one.
fn container_port(service: &Mapping, published: &str) -> Option<u16> {
    let ports = service.get("ports")?.as_sequence()?;
    let mut first = None;
    for p in ports {
        let (target, host) = match p {
            Value::Mapping(m) => (m.get("target").map(scalar), m.get("published").map(scalar)),
            Value::String(s) => {
                let s = s.split('/').next().unwrap_or_default();
                let parts: Vec<&str> = s.rsplitn(3, ':').collect();
                (
                    parts.first().map(|t| t.to_string()),
                    parts.get(1).map(|h| h.to_string()),
                )
            }
            Value::Number(n) => (Some(n.to_string()), None),
            _ => (None, None),
        };
        let target = target.and_then(|t| t.parse::<u16>().ok());
        first = first.or(target);
        if host.as_deref() == Some(published) && target.is_some() {
            return target;
        }
    }
    first
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::format::ShareUse;

    #[test]
    fn casaos_shared_folders_are_the_usual_shares() {
        for (src, share) in [
            ("/DATA/Media/Movies", Some("Movies")),
            ("/DATA/Media/TV Shows", Some("TV")),
            ("/DATA/Media/Music/", Some("Music")),
            ("/DATA/Media/Pictures", Some("Photos")),
            ("/DATA/Gallery", Some("Photos")),
            ("/DATA/Media/Audiobooks", Some("Books")),
            ("/DATA/Media/Manga", Some("Books")),
            ("/DATA/Downloads", Some("Downloads")),
            ("/DATA/Media/Downloads", Some("Downloads")),
            ("/DATA/Documents", Some("Documents")),
            ("/DATA/Media", Some("Media")),
            // The app's own folders, below a share or elsewhere.
            ("/DATA/Downloads/watch", None),
            ("/DATA/Gallery/immich", None),
            ("/DATA/Media/Podcasts", None),
            ("/DATA/AppData/$AppID/config", None),
            ("/DATA", None),
            ("/srv/Movies", None),
        ] {
            assert_eq!(casaos_share(src), share, "{src}");
        }
    }

    #[test]
    fn casaos_media_binds_become_share_requests_with_their_stand_in() {
        let folder =
            std::env::temp_dir().join(format!("berth-casaos-shares-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join("docker-compose.yml");
        std::fs::write(
            &file,
            r#"
name: mediabox
services:
  player:
    image: example/player:1
    volumes:
      - type: bind
        source: /DATA/AppData/$AppID/config
        target: /config
      - type: bind
        source: /DATA/Media/TV Shows
        target: /tv
      - /DATA/Media/Music:/music:ro
  fetcher:
    image: example/fetcher:1
    volumes:
      - /DATA/Downloads:/downloads
      - /DATA/Downloads:/incomplete
x-casaos:
  main: player
  title: { en_US: Mediabox }
  tagline: { en_US: Plays things }
"#,
        )
        .unwrap();
        let (meta, compose) = convert(&file, &folder).unwrap();
        std::fs::remove_dir_all(&folder).ok();
        let asked: Vec<_> = meta
            .shares
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.share.as_str(),
                    r.service.as_deref(),
                    r.target.as_str(),
                    r.access,
                )
            })
            .collect();
        assert_eq!(
            asked,
            [
                ("tv-shows", "TV", None, "/tv", ShareUse::Write),
                ("music", "Music", None, "/music", ShareUse::Read),
                (
                    "downloads",
                    "Downloads",
                    Some("fetcher"),
                    "/downloads",
                    ShareUse::Write
                ),
                (
                    "incomplete",
                    "Downloads",
                    Some("fetcher"),
                    "/incomplete",
                    ShareUse::Write
                ),
            ]
        );
        assert_eq!(
            meta.shares[0].why,
            "This app uses your TV folder (CasaOS mounted /DATA/Media/TV Shows)."
        );
        // Each keeps its stand-in in the app's data folder at the same target.
        for stand_in in [
            "source: ./data/Media/TV Shows\n      target: /tv",
            "./data/Media/Music:/music:ro",
            "./data/Downloads:/downloads",
            "./data/Downloads:/incomplete",
            "source: ./data/config",
        ] {
            assert!(compose.contains(stand_in), "{stand_in} in\n{compose}");
        }
        assert!(meta.problems().is_empty(), "{:?}", meta.problems());
    }
}
