//! The stores of one home: the embedded default store plus those the user
//! added (remote, folder, archive, CasaOS, Umbrel, or any of those uploaded
//! as one archive file), loaded, searchable, and
//! refreshed on request. A store that fails to load is reported, never
//! fatal: the others stay usable.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::import::{import_casaos, import_umbrel};
use super::remote::{fetch_remote, Fetched, RemoteSource, RemoteState};
use super::search::{AppSummary, SearchIndex};
use super::tree::{load_archive, load_folder};
use super::unpack::unpack_store;
use super::{default_catalog, Catalog, CatalogApp, DEFAULT_CATALOG};
use crate::db::{CatalogRecord, Database};
use crate::model::Layout;
use crate::{Error, Result};

/// A store as `berth catalog list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    pub name: String,
    /// `embedded`, `remote`, `folder`, `archive`, `casaos` or `umbrel`.
    pub kind: String,
    pub location: String,
    pub apps: u32,
    /// Apps left out, each with why.
    pub rejected: Vec<(String, String)>,
    /// Why the store could not be loaded, if it could not.
    pub error: Option<String>,
    #[specta(type = Option<f64>)]
    pub sequence: Option<u64>,
    #[specta(type = Option<f64>)]
    pub refreshed_at: Option<i64>,
}

/// What a refresh did to one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RefreshOutcome {
    pub name: String,
    /// `updated`, `unchanged` or `failed`.
    pub outcome: String,
    pub apps: u32,
    pub error: Option<String>,
}

struct Loaded {
    catalogs: Vec<Catalog>,
    errors: Vec<(String, String)>,
    search: SearchIndex,
}

/// The home's stores.
pub struct Catalogs {
    layout: Layout,
    timeout: Duration,
    loaded: RwLock<Loaded>,
}

impl Catalogs {
    /// Loads the embedded store and every store recorded in `store`.
    pub fn open(home: &Path, store: &Database) -> Result<Self> {
        let catalogs = Catalogs {
            layout: Layout::new(home),
            timeout: crate::http::timeout(),
            loaded: RwLock::new(Loaded {
                catalogs: vec![],
                errors: vec![],
                search: SearchIndex::default(),
            }),
        };
        catalogs.reload(store)?;
        Ok(catalogs)
    }

    fn cache_dir(&self, name: &str) -> PathBuf {
        self.layout.catalog_cache(name)
    }

    /// Loads one recorded store from where it lives (remote: its cache).
    fn load(&self, record: &CatalogRecord) -> Result<Catalog> {
        let location = Path::new(&record.location);
        let mut catalog = match record.kind.as_str() {
            "remote" => load_folder(&self.cache_dir(&record.name))?,
            "folder" => load_folder(location)?,
            "archive" => load_archive(location)?,
            "casaos" => import_casaos(location, &record.name)?,
            "umbrel" => import_umbrel(location, &record.name)?,
            other => {
                return Err(Error::Catalog {
                    message: format!("store {}: unknown kind {other}", record.name),
                })
            }
        };
        catalog.name = record.name.clone();
        Ok(catalog)
    }

    /// Reloads every store from disk and rebuilds the search index.
    pub fn reload(&self, store: &Database) -> Result<()> {
        let mut catalogs = vec![default_catalog()?];
        let mut errors = vec![];
        for record in store.catalogs()? {
            match self.load(&record) {
                Ok(c) => catalogs.push(c),
                Err(e) => errors.push((record.name.clone(), e.to_string())),
            }
        }
        let search = SearchIndex::build(&catalogs);
        *self.loaded.write().expect("catalogs lock") = Loaded {
            catalogs,
            errors,
            search,
        };
        Ok(())
    }

    /// Adds a store: a URL (a signed remote store; `key` required), a folder
    /// with an index.json, a `.tar.gz` of one, a CasaOS store (a folder with
    /// `Apps/`) or an Umbrel store (app folders with `umbrel-app.yml`).
    pub async fn add(
        &self,
        store: &Database,
        location: &str,
        key: Option<&str>,
        name: Option<&str>,
    ) -> Result<StoreInfo> {
        let remote = location.starts_with("http://") || location.starts_with("https://");
        let (kind, location) = if remote {
            ("remote", location.trim_end_matches('/').to_string())
        } else {
            let path = std::fs::canonicalize(location).map_err(|cause| Error::Read {
                path: PathBuf::from(location),
                cause,
            })?;
            (detect_kind(&path)?, path.to_string_lossy().into_owned())
        };
        if remote && key.is_none() {
            return Err(Error::Catalog {
                message: format!(
                    "{location} is a remote store: give the key it is signed with (--key PUBKEY, the base64 line of its minisign .pub file)"
                ),
            });
        }
        let name = match name {
            Some(n) => n.to_string(),
            None => default_name(&location),
        };
        check_new_name(store, &name)?;
        let mut record = CatalogRecord {
            name: name.clone(),
            kind: kind.to_string(),
            location,
            key: key.map(str::to_string),
            etag: None,
            last_modified: None,
            sequence: None,
            refreshed_at: None,
            added_at: 0,
        };
        if remote {
            self.fetch(&mut record).await?;
        } else {
            self.load(&record)?; // refuse what does not load
        }
        store.put_catalog(&record)?;
        self.reload(store)?;
        self.stores(store)?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::Catalog {
                message: format!("store {name} vanished"),
            })
    }

    /// Adds a store that came as one archive file (uploaded through the web
    /// UI): a `.tar.gz` or `.zip` of a Berth, CasaOS or Umbrel store,
    /// unpacked into the home (where [`Catalogs::remove`] deletes it) and
    /// added from there as [`Catalogs::add`] adds a folder.
    pub async fn add_archive(
        &self,
        store: &Database,
        archive: &Path,
        name: &str,
    ) -> Result<StoreInfo> {
        check_new_name(store, name)?;
        let dir = self.cache_dir(name);
        // Left by an add that failed half way: no store owns it.
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|cause| Error::Write {
                path: parent.to_path_buf(),
                cause,
            })?;
        }
        let added = match unpack_store(archive, &dir) {
            Ok(root) => {
                self.add(store, &root.to_string_lossy(), None, Some(name))
                    .await
            }
            Err(e) => Err(e),
        };
        if added.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        added
    }

    async fn fetch(&self, record: &mut CatalogRecord) -> Result<bool> {
        let source = RemoteSource {
            url: record.location.clone(),
            key: record.key.clone().unwrap_or_default(),
            timeout: self.timeout,
        };
        let state = RemoteState {
            etag: record.etag.clone(),
            last_modified: record.last_modified.clone(),
            sequence: record.sequence,
        };
        let fetched = fetch_remote(&source, &state, &self.cache_dir(&record.name)).await?;
        record.refreshed_at = Some(crate::db::now_ms());
        Ok(match fetched {
            Fetched::NotModified => false,
            Fetched::Updated { state, .. } => {
                record.etag = state.etag;
                record.last_modified = state.last_modified;
                record.sequence = state.sequence;
                true
            }
        })
    }

    /// Removes an added store (installed apps from it stay installed).
    pub fn remove(&self, store: &Database, name: &str) -> Result<()> {
        if !store.delete_catalog(name)? {
            return Err(Error::Catalog {
                message: format!("no store named {name} (see `berth catalog list`)"),
            });
        }
        let _ = std::fs::remove_dir_all(self.cache_dir(name));
        self.reload(store)
    }

    /// Refreshes one store, or all: remote ones are fetched (one 304 when
    /// unchanged), local ones re-read.
    pub async fn refresh(
        &self,
        store: &Database,
        name: Option<&str>,
    ) -> Result<Vec<RefreshOutcome>> {
        let records: Vec<CatalogRecord> = store
            .catalogs()?
            .into_iter()
            .filter(|r| name.is_none_or(|n| n == r.name))
            .collect();
        if let Some(n) = name {
            if records.is_empty() && n != DEFAULT_CATALOG {
                return Err(Error::Catalog {
                    message: format!("no store named {n} (see `berth catalog list`)"),
                });
            }
        }
        let mut out = vec![];
        for mut record in records {
            let result = if record.kind == "remote" {
                self.fetch(&mut record).await
            } else {
                self.load(&record).map(|_| true)
            };
            match result {
                Ok(changed) => {
                    store.put_catalog(&record)?;
                    out.push(RefreshOutcome {
                        name: record.name.clone(),
                        outcome: if changed { "updated" } else { "unchanged" }.into(),
                        apps: 0,
                        error: None,
                    });
                }
                Err(e) => out.push(RefreshOutcome {
                    name: record.name.clone(),
                    outcome: "failed".into(),
                    apps: 0,
                    error: Some(e.to_string()),
                }),
            }
        }
        self.reload(store)?;
        let loaded = self.loaded.read().expect("catalogs lock");
        for o in &mut out {
            o.apps = loaded
                .catalogs
                .iter()
                .find(|c| c.name == o.name)
                .map(|c| c.apps.len() as u32)
                .unwrap_or(0);
        }
        Ok(out)
    }

    /// Every store, the embedded one first.
    pub fn stores(&self, store: &Database) -> Result<Vec<StoreInfo>> {
        let loaded = self.loaded.read().expect("catalogs lock");
        let info = |c: &Catalog, kind: &str, location: &str, r: Option<&CatalogRecord>| StoreInfo {
            name: c.name.clone(),
            kind: kind.to_string(),
            location: location.to_string(),
            apps: c.apps.len() as u32,
            rejected: c.rejected.clone(),
            error: None,
            sequence: r.and_then(|r| r.sequence).or(Some(c.index.sequence)),
            refreshed_at: r.and_then(|r| r.refreshed_at),
        };
        let mut out = vec![info(&loaded.catalogs[0], "embedded", "(built in)", None)];
        for record in store.catalogs()? {
            match loaded.catalogs.iter().find(|c| c.name == record.name) {
                Some(c) => out.push(info(c, &record.kind, &record.location, Some(&record))),
                None => out.push(StoreInfo {
                    name: record.name.clone(),
                    kind: record.kind.clone(),
                    location: record.location.clone(),
                    apps: 0,
                    rejected: vec![],
                    error: loaded
                        .errors
                        .iter()
                        .find(|(n, _)| *n == record.name)
                        .map(|(_, e)| e.clone()),
                    sequence: record.sequence,
                    refreshed_at: record.refreshed_at,
                }),
            }
        }
        Ok(out)
    }

    pub fn list(&self, category: Option<&str>) -> Vec<AppSummary> {
        self.loaded
            .read()
            .expect("catalogs lock")
            .search
            .list(category)
    }

    pub fn categories(&self) -> Vec<(String, usize)> {
        self.loaded
            .read()
            .expect("catalogs lock")
            .search
            .categories()
    }

    pub fn search(&self, query: &str) -> Vec<AppSummary> {
        self.loaded
            .read()
            .expect("catalogs lock")
            .search
            .search(query)
    }

    /// Finds an app by id: in `store` when given, else in the first store
    /// that has it (the embedded one first, then in the order added).
    /// Returns the store's name and the app.
    /// A picture (icon, screenshot) of a store app, with its content type;
    /// only pictures: a store app's other files are not handed out.
    pub fn picture(&self, store: &str, app: &str, file: &str) -> Result<(&'static str, Vec<u8>)> {
        let (_, found) = self.find(app, Some(store))?;
        match found.files.get(file) {
            Some(bytes) if crate::model::is_picture(file) => {
                Ok((crate::model::content_type(file), bytes.clone()))
            }
            _ => Err(Error::Catalog {
                message: format!("{app} of {store} has no picture {file}"),
            }),
        }
    }

    pub fn find(&self, id: &str, store: Option<&str>) -> Result<(String, CatalogApp)> {
        let loaded = self.loaded.read().expect("catalogs lock");
        for c in &loaded.catalogs {
            if store.is_some_and(|s| s != c.name) {
                continue;
            }
            if let Some(app) = c.apps.get(id) {
                return Ok((c.name.clone(), app.clone()));
            }
        }
        let suggestions: Vec<String> = loaded
            .search
            .search(id)
            .into_iter()
            .take(3)
            .map(|a| format!("{} ({})", a.id, a.store))
            .collect();
        Err(Error::Catalog {
            message: match store {
                Some(s) if !loaded.catalogs.iter().any(|c| c.name == s) => {
                    format!("no store named {s} (see `berth catalog list`)")
                }
                _ => format!(
                    "no app {id} in {}{}",
                    store.unwrap_or("any store"),
                    if suggestions.is_empty() {
                        String::new()
                    } else {
                        format!("; did you mean {}?", suggestions.join(", "))
                    }
                ),
            },
        })
    }
}

/// Refuses a name a new store cannot take: not an id, the built-in store's,
/// or one already added.
fn check_new_name(store: &Database, name: &str) -> Result<()> {
    if !crate::rewrite::valid_app_id(name) || name == DEFAULT_CATALOG {
        return Err(Error::Catalog {
            message: format!("\"{name}\" cannot name a store (use lowercase letters, digits and -, and not \"{DEFAULT_CATALOG}\"); pick one with --name"),
        });
    }
    if store.catalog(name)?.is_some() {
        return Err(Error::Catalog {
            message: format!(
                "a store named {name} is already added; remove it first or pick another --name"
            ),
        });
    }
    Ok(())
}

/// What kind of local store `path` is.
fn detect_kind(path: &Path) -> Result<&'static str> {
    if path.is_file() {
        let name = path.to_string_lossy();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            return Ok("archive");
        }
    } else if path.join("index.json").is_file() {
        return Ok("folder");
    } else if path.join("Apps").is_dir() {
        return Ok("casaos");
    } else if std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| e.path().join("umbrel-app.yml").is_file())
        })
        .unwrap_or(false)
    {
        return Ok("umbrel");
    }
    Err(Error::Catalog {
        message: format!(
            "{} is not a store Berth knows: expected a folder with index.json (a Berth store), a .tar.gz of one, a CasaOS store (with Apps/) or an Umbrel store (app folders with umbrel-app.yml)",
            path.display()
        ),
    })
}

/// A store name from its location: the last path or URL part, made an id.
fn default_name(location: &str) -> String {
    let last = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(location)
        .trim_end_matches(".tar.gz")
        .trim_end_matches(".tgz");
    let name = super::import::app_id_of(last);
    if name.is_empty() || name == DEFAULT_CATALOG {
        "store".into()
    } else {
        name
    }
}
