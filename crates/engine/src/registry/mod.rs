//! The registry client: asks an image's registry, without pulling, which
//! manifest its tag points to now (has the image changed?) and which layers
//! a pull would fetch (how many bytes would it download?).
//!
//! It speaks the registry HTTP API v2 (Docker v2 and OCI manifests, lists
//! and indexes) with anonymous bearer tokens, cached per repository. Plain
//! HTTP is used for registries on this machine (`localhost`, `127.0.0.0/8`,
//! `::1`, as Docker does) and those listed in `BERTH_INSECURE_REGISTRIES`
//! (comma-separated `host:port`); HTTPS for every other. Each request gives
//! up after `BERTH_HTTP_TIMEOUT_SECS` (30 by default).
//!
//! The engine side — what is already on this host — is the lifecycle's
//! (`Engine::local_repo_digests`, `Engine::download_size`): the registry
//! client knows nothing of the local engine.
//!
//! `mod.rs` is the client (its settings, the two questions it answers, the
//! token cache); `session.rs` one image's conversation with its registry;
//! `errors.rs` what its refusals mean; `manifest.rs` and `auth.rs` the
//! formats it reads.

mod auth;
mod download;
mod errors;
mod manifest;
mod session;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::model::{digest_part, valid_digest};
use crate::{Error, Result};
use errors::Subject;
use manifest::{choose_platform, host_platform, parse_manifest, Descriptor, Manifest};
use session::{header, Session};

pub use crate::model::Reference;
pub use download::{DownloadSize, ImageDownload};

/// The largest manifest or image config Berth reads.
const MAX_MANIFEST: u64 = 4 * 1024 * 1024;
/// The largest token or error response Berth reads.
const MAX_SMALL: u64 = 1024 * 1024;
/// The most tags a "has no tag" error lists.
const MAX_TAGS_SHOWN: usize = 12;
/// How many manifest lists may lead to an image manifest.
const MAX_NESTING: usize = 2;
/// The environment variable listing registries to reach over plain HTTP.
const INSECURE_ENV: &str = "BERTH_INSECURE_REGISTRIES";

/// One layer a pull would fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLayer {
    /// The compressed blob's digest: what a pull downloads.
    pub digest: String,
    /// The uncompressed content's digest, as `RootFS.Layers` of
    /// `docker image inspect` lists it.
    pub diff_id: String,
    /// The compressed size, in bytes.
    pub size: u64,
}

/// A client for image registries; it keeps anonymous tokens per repository.
pub struct Registry {
    /// The HTTP client, or why none could be set up (reported on first use).
    client: std::result::Result<reqwest::Client, String>,
    timeout: Duration,
    /// `host:port` of registries reached over plain HTTP.
    insecure: Vec<String>,
    /// `host/repository` → bearer token.
    tokens: Mutex<HashMap<String, String>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// A client with the time limit of `BERTH_HTTP_TIMEOUT_SECS` and the
    /// plain-HTTP registries of `BERTH_INSECURE_REGISTRIES`.
    pub fn new() -> Self {
        let timeout = crate::http::timeout();
        let insecure = insecure_hosts(&std::env::var(INSECURE_ENV).unwrap_or_default());
        Registry {
            client: crate::http::client(timeout).map_err(|e| e.to_string()),
            timeout,
            insecure,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// The digest of the manifest the registry serves now for `image`'s tag
    /// (of the list or index, for a multi-platform image): the digest a pull
    /// records in `RepoDigests`. A digest-pinned image is its own answer.
    pub async fn remote_digest(&self, image: &str) -> Result<String> {
        let session = self.session(image)?;
        if let Some(digest) = &session.reference.digest {
            return Ok(digest.clone());
        }
        let tag = session.reference.tag.clone();
        let url = session.manifest_url(&tag);
        let response = session
            .send(Method::HEAD, &url, Some(&manifest::accept()))
            .await?;
        let status = response.status();
        if status.is_success() {
            if let Some(digest) =
                header(response.headers(), "docker-content-digest").filter(|d| valid_digest(d))
            {
                return Ok(digest);
            }
        } else if status != StatusCode::NOT_FOUND {
            return Err(session
                .status_error(response, Subject::Manifest(&tag))
                .await);
        }
        // No digest header, or not found: a GET hashes the body, or its error
        // body tells a missing tag from a missing repository.
        Ok(session.manifest(&tag).await?.digest)
    }

    /// The layers a pull of `image` would fetch on this host (for a
    /// multi-platform image, those of linux on this architecture), base first.
    pub async fn layers(&self, image: &str) -> Result<Vec<RemoteLayer>> {
        let session = self.session(image)?;
        let mut reference = session.reference.manifest_reference().to_string();
        for _ in 0..=MAX_NESTING {
            let fetched = session.manifest(&reference).await?;
            let parsed = parse_manifest(fetched.content_type.as_deref(), &fetched.body)
                .map_err(|m| session.fail(m))?;
            match parsed {
                Manifest::Index { manifests } => {
                    let (arch, variants) = host_platform();
                    let entry = choose_platform(&manifests, arch, variants)
                        .ok_or_else(|| session.fail(no_platform(arch, &manifests)))?;
                    session.check_digest(&entry.digest)?;
                    reference = entry.digest.clone();
                }
                Manifest::Image { config, layers } => {
                    return session.pair_layers(&config, layers).await;
                }
            }
        }
        Err(session.fail("its manifest lists nest too deeply"))
    }

    /// Whether `host` is reached over plain HTTP: on this machine, or listed.
    fn plain_http(&self, host: &str) -> bool {
        is_local(host) || self.insecure.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn session<'a>(&'a self, image: &'a str) -> Result<Session<'a>> {
        let reference = Reference::parse(image)?;
        let client = self.client.as_ref().map_err(|e| Error::Registry {
            image: image.to_string(),
            message: format!("Berth cannot set up HTTPS on this host ({e})"),
        })?;
        let host = reference.api_host();
        let scheme = if self.plain_http(host) {
            "http"
        } else {
            "https"
        };
        Ok(Session {
            registry: self,
            client,
            image,
            base: format!("{scheme}://{host}/v2/{}", reference.repository),
            https: scheme == "https",
            reference,
        })
    }
}

/// Whether `remote_digest` is among an image's local repo digests
/// (`repo@sha256:…`, as `Engine::local_repo_digests` gives them); when it
/// is not, the registry has a different image under the tag.
pub fn is_current(local_repo_digests: &[String], remote_digest: &str) -> bool {
    let remote = digest_part(remote_digest);
    local_repo_digests.iter().any(|d| digest_part(d) == remote)
}

/// The `host:port` entries of a `BERTH_INSECURE_REGISTRIES` value.
fn insecure_hosts(list: &str) -> Vec<String> {
    list.split(',')
        .map(|h| {
            let h = h.trim();
            let h = h
                .strip_prefix("http://")
                .or_else(|| h.strip_prefix("https://"))
                .unwrap_or(h);
            h.trim_end_matches('/').to_ascii_lowercase()
        })
        .filter(|h| !h.is_empty())
        .collect()
}

/// Whether a registry host is on this machine (`localhost`, `127.0.0.0/8`, `::1`).
fn is_local(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host_port
            .rsplit_once(':')
            .map_or(host_port, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Says which platforms an index has, when none is this host's.
fn no_platform(arch: &str, manifests: &[Descriptor]) -> String {
    let mut platforms: Vec<String> = manifests
        .iter()
        .filter_map(|m| m.platform.as_ref())
        .filter(|p| p.os != "unknown" && !p.os.is_empty())
        .map(|p| match &p.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", p.os, p.architecture),
            _ => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    platforms.dedup();
    if platforms.is_empty() {
        format!("it has no build for linux/{arch}")
    } else {
        format!(
            "it has no build for linux/{arch}, only for {}",
            platforms.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_registries_are_plain_http() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "[::1]",
        ] {
            assert!(is_local(host), "{host}");
        }
        for host in [
            "registry-1.docker.io",
            "ghcr.io",
            "10.0.0.2:5000",
            "localhost.example.com:5000",
            "[::2]:5000",
        ] {
            assert!(!is_local(host), "{host}");
        }
    }

    #[test]
    fn listed_registries_are_plain_http() {
        let listed = insecure_hosts(" nas.lan:5000, http://10.0.0.2:5000/ ,,");
        assert_eq!(listed, ["nas.lan:5000", "10.0.0.2:5000"]);
        let registry = Registry {
            insecure: listed,
            ..Registry::new()
        };
        for (host, http) in [
            ("nas.lan:5000", true),
            ("NAS.lan:5000", true),
            ("10.0.0.2:5000", true),
            ("127.0.0.1:5000", true),
            ("nas.lan", false),
            ("10.0.0.2:5001", false),
            ("registry-1.docker.io", false),
        ] {
            assert_eq!(registry.plain_http(host), http, "{host}");
        }
        assert!(insecure_hosts("").is_empty());
    }

    /// The shells run these on multi-threaded runtimes.
    #[allow(dead_code)]
    fn futures_are_send(registry: &Registry) {
        fn send<T: Send>(_: T) {}
        send(registry.remote_digest(""));
        send(registry.layers(""));
    }

    #[test]
    fn current_compares_digests_only() {
        let d1 = "sha256:".to_string() + &"1".repeat(64);
        let d2 = "sha256:".to_string() + &"2".repeat(64);
        let local = vec![format!("127.0.0.1:5000/a/b@{d1}"), format!("nginx@{d2}")];
        assert!(is_current(&local, &d1));
        assert!(is_current(&local, &format!("other/name@{d2}")));
        assert!(!is_current(
            &local,
            &("sha256:".to_string() + &"3".repeat(64))
        ));
        assert!(!is_current(&[], &d1));
    }
}
