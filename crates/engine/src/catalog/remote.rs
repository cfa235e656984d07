//! Remote stores over HTTP(S): the index is fetched with its minisign
//! signature and verified over its exact bytes before it is parsed; an
//! expired index or one older than the last seen is refused; every app file
//! is fetched and checked against the index's digest. Conditional requests
//! (ETag / If-Modified-Since) make refreshing an unchanged store one 304.
//! Nothing replaces the cached copy until the whole new store checks out.

use std::path::Path;
use std::time::{Duration, SystemTime};

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::tree::{from_tree, parse_index, read_folder, sha256_hex, FileTree, MAX_FILE, MAX_STORE};
use super::Catalog;
use crate::http::describe;
use crate::{Error, Result};

/// The largest index Berth reads.
const MAX_INDEX: u64 = 4 * 1024 * 1024;

/// Where a remote store is and the key it must be signed with.
#[derive(Debug, Clone)]
pub struct RemoteSource {
    /// Base URL: `<url>/index.json`, `<url>/index.json.minisig`, `<url>/<app>/<file>`.
    pub url: String,
    /// The minisign public key (the base64 line of a `.pub` file).
    pub key: String,
    /// Each request's time limit: a server that stalls longer fails the fetch.
    pub timeout: Duration,
}

/// What Berth remembers of a remote store between refreshes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RemoteState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The highest index sequence seen; a lower one is a rollback.
    pub sequence: Option<u64>,
}

/// The outcome of a refresh.
#[derive(Debug)]
pub enum Fetched {
    /// The server said 304: the cached copy is current.
    NotModified,
    /// A new index, verified, with every file; written to the cache folder.
    Updated {
        catalog: Box<Catalog>,
        state: RemoteState,
    },
}

fn err(url: &str, message: impl std::fmt::Display) -> Error {
    Error::Catalog {
        message: format!("store {url}: {message}"),
    }
}

/// Reads a body, refusing it past `limit` bytes.
async fn body(url: &str, response: reqwest::Response, limit: u64) -> Result<Vec<u8>> {
    crate::http::read_body(response, limit)
        .await
        .map_err(|e| err(url, e))
}

async fn get(client: &reqwest::Client, url: &str, limit: u64) -> Result<Vec<u8>> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| err(url, describe(&e)))?;
    if !response.status().is_success() {
        return Err(err(
            url,
            format!("the server answered {}", response.status()),
        ));
    }
    body(url, response, limit).await
}

/// Checks `index` is signed by `key`.
fn verify(url: &str, key: &str, index: &[u8], signature: &[u8]) -> Result<()> {
    let key = key
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(key)
        .trim();
    let public = minisign_verify::PublicKey::from_base64(key).map_err(|e| {
        err(
            url,
            format!("the store's key is not a minisign public key ({e})"),
        )
    })?;
    let text = std::str::from_utf8(signature)
        .map_err(|_| err(url, "index.json.minisig is not a minisign signature"))?;
    let signature = minisign_verify::Signature::decode(text).map_err(|e| {
        err(
            url,
            format!("index.json.minisig is not a minisign signature ({e})"),
        )
    })?;
    public.verify(index, &signature, false).map_err(|_| {
        err(
            url,
            "the index's signature does not match the store's key: it was tampered with or signed by someone else; nothing was changed",
        )
    })
}

/// Refuses an index past its `expires` (or without one).
fn check_expiry(base: &str, index: &super::format::Index) -> Result<()> {
    if let Some(expires) = &index.expires {
        let when = humantime::parse_rfc3339(expires).map_err(|e| {
            err(
                base,
                format!("its expiry \"{expires}\" is not an RFC 3339 UTC time ({e})"),
            )
        })?;
        if when < SystemTime::now() {
            return Err(err(
                base,
                format!("its index expired on {expires}; the store must publish a fresh one (nothing was changed)"),
            ));
        }
    } else {
        return Err(err(
            base,
            "its index has no expiry; remote stores must set `expires`",
        ));
    }
    Ok(())
}

/// Fetches `source` into `cache` (a folder store), unless the server says
/// it has not changed since `state`.
pub async fn fetch_remote(
    source: &RemoteSource,
    state: &RemoteState,
    cache: &Path,
) -> Result<Fetched> {
    let base = source.url.trim_end_matches('/');
    let client = crate::http::client(source.timeout).map_err(|e| err(base, e))?;
    let index_url = format!("{base}/index.json");
    let mut request = client.get(&index_url);
    let have_cache = cache.join("index.json").is_file();
    if have_cache {
        if let Some(etag) = &state.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(date) = &state.last_modified {
            request = request.header(IF_MODIFIED_SINCE, date);
        }
    }
    let response = request
        .send()
        .await
        .map_err(|e| err(&index_url, describe(&e)))?;
    if response.status() == StatusCode::NOT_MODIFIED && have_cache {
        // "Not modified" keeps the cached index, which must still be in date:
        // a server (or someone between) answering 304 forever must not keep
        // a stale index — one with known-vulnerable apps — alive.
        let path = cache.join("index.json");
        let cached = std::fs::read(&path).map_err(|cause| Error::Read {
            path: path.clone(),
            cause,
        })?;
        check_expiry(base, &parse_index(&cached, cache)?)?;
        return Ok(Fetched::NotModified);
    }
    if !response.status().is_success() {
        return Err(err(
            &index_url,
            format!("the server answered {}", response.status()),
        ));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let (etag, last_modified) = (header(ETAG), header(LAST_MODIFIED));
    let index_bytes = body(&index_url, response, MAX_INDEX).await?;
    let signature = get(&client, &format!("{index_url}.minisig"), 64 * 1024).await?;
    verify(base, &source.key, &index_bytes, &signature)?;
    let index = parse_index(&index_bytes, Path::new(base))?;
    check_expiry(base, &index)?;
    if let Some(seen) = state.sequence {
        if index.sequence < seen {
            return Err(err(
                base,
                format!(
                    "its index has sequence {} but Berth has seen {seen}: an older index is being replayed (a rollback); nothing was changed",
                    index.sequence
                ),
            ));
        }
    }

    // Every file, reusing cached copies whose digest still matches.
    let old = if have_cache {
        read_folder(cache).unwrap_or_default()
    } else {
        FileTree::new()
    };
    let mut tree = FileTree::new();
    let mut total = index_bytes.len() as u64;
    for app in &index.apps {
        for (file, digest) in &app.files {
            if !super::tree::safe_name(file) || !crate::rewrite::valid_app_id(&app.id) {
                return Err(err(
                    base,
                    format!(
                        "the index names a file outside the store: {}/{file}",
                        app.id
                    ),
                ));
            }
            let key = format!("{}/{file}", app.id);
            let bytes = match old.get(&key) {
                Some(bytes) if sha256_hex(bytes).eq_ignore_ascii_case(digest) => bytes.clone(),
                _ => get(&client, &format!("{base}/{key}"), MAX_FILE).await?,
            };
            if !sha256_hex(&bytes).eq_ignore_ascii_case(digest) {
                return Err(err(
                    base,
                    format!("{key} does not match the signed index's digest (tampered with); nothing was changed"),
                ));
            }
            total += bytes.len() as u64;
            if total > MAX_STORE {
                return Err(err(
                    base,
                    format!("the store is larger than {MAX_STORE} bytes"),
                ));
            }
            tree.insert(key, bytes);
        }
    }

    // Write the new copy beside the old, then swap.
    let staging = cache.with_extension("new");
    let _ = std::fs::remove_dir_all(&staging);
    let write = |path: &Path, bytes: &[u8]| -> Result<()> {
        std::fs::create_dir_all(path.parent().expect("inside staging"))
            .and_then(|()| std::fs::write(path, bytes))
            .map_err(|cause| Error::Write {
                path: path.to_path_buf(),
                cause,
            })
    };
    for (key, bytes) in &tree {
        write(&staging.join(key), bytes)?;
    }
    write(&staging.join("index.json"), &index_bytes)?;
    write(&staging.join("index.json.minisig"), &signature)?;
    let previous = cache.with_extension("old");
    let _ = std::fs::remove_dir_all(&previous);
    if cache.exists() {
        std::fs::rename(cache, &previous).map_err(|cause| Error::Write {
            path: cache.to_path_buf(),
            cause,
        })?;
    }
    std::fs::rename(&staging, cache).map_err(|cause| Error::Write {
        path: cache.to_path_buf(),
        cause,
    })?;
    let _ = std::fs::remove_dir_all(&previous);

    tree.insert("index.json".into(), index_bytes);
    let catalog = from_tree(tree, Path::new(base))?;
    Ok(Fetched::Updated {
        catalog: Box::new(catalog),
        state: RemoteState {
            etag,
            last_modified,
            sequence: Some(index.sequence.max(state.sequence.unwrap_or(0))),
        },
    })
}
