//! Importers: other stores' layouts turned into Berth stores.

mod casaos;
mod umbrel;

pub use casaos::import_casaos;
pub use umbrel::import_umbrel;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::format::{AppMeta, Index, IndexEntry, Setting, SettingKind, ShareRequest, ShareUse};
use super::tree::{from_tree, sha256_hex, FileTree};
use super::Catalog;
use crate::compose::{load_bytes, LoadOptions};
use crate::policy::{self, Severity};
use crate::Result;

/// Variables Berth itself offers every app.
const STANDARD: &[&str] = &[
    "TZ",
    "PUID",
    "PGID",
    "HDA_DOMAIN",
    "APP_ID",
    "APP_DATA_DIR",
    "APP_URL",
    "APP_PORT",
    "AppID",
    "DEVICE_DOMAIN_NAME",
];

/// A version made semver: `v1.2` → `1.2.0`; anything else → `0.0.0-<cleaned>`.
pub(crate) fn semver_of(raw: &str) -> String {
    let v = raw.trim().trim_start_matches(['v', 'V']);
    if semver::Version::parse(v).is_ok() {
        return v.to_string();
    }
    let nums: Vec<&str> = v.split(['.', '-', '+']).take(3).collect();
    if !nums.is_empty()
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    {
        let mut parts: Vec<String> = nums
            .iter()
            .map(|n| n.trim_start_matches('0').to_string())
            .collect();
        for p in parts.iter_mut() {
            if p.is_empty() {
                *p = "0".into();
            }
        }
        while parts.len() < 3 {
            parts.push("0".into());
        }
        let candidate = parts.join(".");
        if semver::Version::parse(&candidate).is_ok() {
            return candidate;
        }
    }
    let cleaned: String = v
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    if cleaned.is_empty() {
        "0.0.0".into()
    } else {
        format!("0.0.0-{cleaned}")
    }
}

/// An app id made from any name: lowercase, `-` for anything else.
pub(crate) fn app_id_of(raw: &str) -> String {
    let mut id: String = raw
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    id = id.trim_matches(['-', '_']).to_string();
    id.truncate(63);
    id
}

/// A plain icon for an imported app: its initial on a colour from its name
/// (the original stores link their icons online; Berth works offline).
pub(crate) fn monogram_icon(name: &str) -> Vec<u8> {
    let initial = name
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_else(|| "?".into());
    let hue = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 360;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><rect width=\"64\" height=\"64\" rx=\"14\" fill=\"hsl({hue},55%,45%)\"/><text x=\"32\" y=\"43\" font-family=\"sans-serif\" font-size=\"32\" font-weight=\"700\" text-anchor=\"middle\" fill=\"#fff\">{initial}</text></svg>\n"
    )
    .into_bytes()
}

/// Names of the variables a compose file uses (`$X`, `${X…}`), `$$` skipped.
pub(crate) fn variables(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        let start = if bytes.get(i + 1) == Some(&b'{') {
            i + 2
        } else {
            i + 1
        };
        let end = (start..bytes.len())
            .find(|&j| !(bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_'))
            .unwrap_or(bytes.len());
        if end > start && !bytes[start].is_ascii_digit() {
            out.insert(text[start..end].to_string());
        }
        i = end.max(i + 1);
    }
    out
}

/// Settings for the variables an imported compose file uses beyond Berth's
/// standard ones; `secrets` become generated passwords.
pub(crate) fn settings_for(compose: &str, secrets: &[&str]) -> Vec<Setting> {
    variables(compose)
        .into_iter()
        .filter(|v| !STANDARD.contains(&v.as_str()))
        .map(|name| {
            let secret = secrets.contains(&name.as_str());
            Setting {
                label: name.replace('_', " ").to_lowercase(),
                kind: if secret {
                    SettingKind::Password
                } else {
                    SettingKind::String
                },
                required: false,
                default: (!secret).then(|| default_for(&name)).flatten(),
                options: vec![],
                generate: secret.then_some(32),
                description: String::new(),
                name,
            }
        })
        .collect()
}

/// A default for a variable another store's platform would have set, by
/// its name: folders go inside the app's data folder, addresses bind to all
/// interfaces, ports get a stable high number (the allocator moves it if taken).
fn default_for(name: &str) -> Option<String> {
    if name.ends_with("_DIR") || name.ends_with("_ROOT") || name.ends_with("_PATH") {
        Some(format!("./data/{}", name.to_lowercase()))
    } else if name.ends_with("_IP") {
        Some("0.0.0.0".into())
    } else if name.ends_with("_PORT") {
        let hash = name
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        Some((20000 + hash % 10000).to_string())
    } else {
        None
    }
}

/// The permissions an imported app needs: the kinds of its warning and
/// severe policy findings, as the import found them.
pub(crate) fn permissions_for(meta: &AppMeta, compose: &[u8]) -> Vec<String> {
    let options = LoadOptions {
        project_name: Some(meta.id.clone()),
        environment: super::tree::preview_environment(meta),
        working_dir: Some(Path::new("/var/lib/berth/apps").join(&meta.id)),
        ..Default::default()
    };
    let Ok(project) = load_bytes(compose, Path::new("compose.yml"), &options) else {
        return vec![];
    };
    let mut kinds: Vec<String> = policy::check(&project, None)
        .findings
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter_map(|f| {
            serde_json::to_value(f.kind)
                .ok()?
                .as_str()
                .map(str::to_string)
        })
        .filter(|k| k != "bind_outside_app")
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Rewrites a bind source through `map` in a service's `volumes`, in both
/// short (`src:dst`) and long (`source:`) forms.
pub(crate) fn map_binds(service: &mut Mapping, map: &dyn Fn(&str) -> Option<String>) {
    let Some(Value::Sequence(volumes)) = service.get_mut("volumes") else {
        return;
    };
    for v in volumes {
        match v {
            Value::String(s) => {
                let (src, rest) = s.split_once(':').unwrap_or((s.as_str(), ""));
                if let Some(new) = map(src) {
                    *s = if rest.is_empty() {
                        new
                    } else {
                        format!("{new}:{rest}")
                    };
                }
            }
            Value::Mapping(m) => {
                if let Some(Value::String(src)) = m.get_mut("source") {
                    if let Some(new) = map(src) {
                        *src = new;
                    }
                }
            }
            _ => {}
        }
    }
}

/// The usual share (Movies, TV…) that another platform's shared folder of
/// this name holds: CasaOS's `Media/TV Shows`, Umbrel's `downloads/movies`.
pub(crate) fn usual_share(folder: &str) -> Option<&'static str> {
    Some(match folder.to_lowercase().as_str() {
        "movies" | "films" | "videos" => "Movies",
        "tv" | "tv shows" | "tvshows" | "shows" | "series" => "TV",
        "music" => "Music",
        "photos" | "pictures" | "gallery" => "Photos",
        "books" | "ebooks" | "audiobooks" | "comics" | "manga" => "Books",
        "documents" => "Documents",
        "downloads" => "Downloads",
        _ => return None,
    })
}

/// A bind in a service's `volumes`: its source as written, its target, and
/// whether it is read-only.
struct Bind {
    source: String,
    target: String,
    read_only: bool,
}

fn binds(service: &Mapping) -> Vec<Bind> {
    let Some(Value::Sequence(volumes)) = service.get("volumes") else {
        return vec![];
    };
    volumes
        .iter()
        .filter_map(|v| match v {
            Value::String(s) => {
                let mut parts = s.splitn(3, ':');
                let source = parts.next()?.to_string();
                let target = parts.next()?.to_string();
                let read_only = parts
                    .next()
                    .is_some_and(|mode| mode.split(',').any(|o| o == "ro" || o == "readonly"));
                Some(Bind {
                    source,
                    target,
                    read_only,
                })
            }
            Value::Mapping(m) => Some(Bind {
                source: m.get("source")?.as_str()?.to_string(),
                target: m.get("target")?.as_str()?.to_string(),
                read_only: m.get("read_only").and_then(Value::as_bool) == Some(true),
            }),
            _ => None,
        })
        .collect()
}

/// Adds to `requests` a share request for each bind of `service` whose
/// source `share_of` recognises as the platform's shared folder for a
/// share (before [`map_binds`] turns that bind into the stand-in in the
/// app's data folder). It writes there unless the bind is read-only.
pub(crate) fn request_shares(
    requests: &mut Vec<ShareRequest>,
    service_name: &str,
    service: &Mapping,
    platform: &str,
    share_of: &dyn Fn(&str) -> Option<&'static str>,
) {
    for bind in binds(service) {
        let Some(share) = share_of(&bind.source) else {
            continue;
        };
        let folder = bind.source.trim_end_matches('/');
        let folder = folder.rsplit('/').next().unwrap_or(folder);
        let target = bind.target.trim_end_matches('/');
        let taken = |name: &str| requests.iter().any(|r| r.name == name);
        let mut name = request_name(folder);
        if taken(&name) {
            name = request_name(target.rsplit('/').next().unwrap_or(target));
        }
        let base = name.clone();
        let mut n = 2;
        while taken(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        requests.push(ShareRequest {
            name,
            share: share.to_string(),
            service: Some(service_name.to_string()),
            target: bind.target.clone(),
            access: if bind.read_only {
                ShareUse::Read
            } else {
                ShareUse::Write
            },
            why: format!(
                "This app uses your {share} folder ({platform} mounted {}).",
                bind.source
            ),
        });
    }
}

/// A share request's name from a folder's: a lowercase word.
fn request_name(folder: &str) -> String {
    let mut name = String::new();
    for c in folder.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name = name.trim_end_matches('-').to_string();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "share-");
    }
    name.truncate(28);
    name.trim_end_matches('-').to_string()
}

/// Leaves out the service of the requests of the main service, which is
/// their default.
pub(crate) fn main_by_default(requests: &mut [ShareRequest], main: &str) {
    for r in requests {
        if r.service.as_deref() == Some(main) {
            r.service = None;
        }
    }
}

/// Assembles imported apps (id → app.yml meta, compose text, extra files)
/// into a Berth store and loads it like any other.
pub(crate) fn assemble(name: &str, origin: &Path, apps: Vec<(AppMeta, String)>) -> Result<Catalog> {
    let mut tree = FileTree::new();
    let mut entries = Vec::new();
    let mut seen = BTreeSet::new();
    let asks_shares = apps.iter().any(|(meta, _)| !meta.shares.is_empty());
    for (mut meta, compose) in apps {
        while !seen.insert(meta.id.clone()) {
            meta.id = format!("{}-2", meta.id);
        }
        meta.permissions = permissions_for(&meta, compose.as_bytes());
        let icon = monogram_icon(&meta.name);
        meta.icon = Some("icon.svg".into());
        let app_yml = serde_yaml::to_string(&meta).expect("metadata serializes");
        let mut files = BTreeMap::new();
        for (file, bytes) in [
            ("app.yml", app_yml.into_bytes()),
            ("compose.yml", compose.into_bytes()),
            ("icon.svg", icon),
        ] {
            files.insert(file.to_string(), sha256_hex(&bytes));
            tree.insert(format!("{}/{file}", meta.id), bytes);
        }
        entries.push(IndexEntry {
            id: meta.id.clone(),
            version: meta.version.clone(),
            files,
        });
    }
    let index = Index {
        // A store asking for shares needs a Berth that reads them.
        format: if asks_shares {
            crate::catalog::FORMAT
        } else {
            1
        },
        name: name.to_string(),
        sequence: 1,
        generated: None,
        expires: None,
        apps: entries,
    };
    tree.insert(
        "index.json".into(),
        serde_json::to_vec(&index).expect("index serializes"),
    );
    from_tree(tree, origin)
}
