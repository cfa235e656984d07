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

mod auth;
mod download;
mod manifest;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::catalog::sha256_hex;
use crate::http::{read_body, BodyError};
use crate::model::{digest_part, valid_digest};
use crate::{Error, Result};
use auth::{parse_challenges, Challenge};
use manifest::{choose_platform, host_platform, parse_manifest, Descriptor, ImageConfig, Manifest};

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

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
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

/// The innermost cause of a transport error (`Connection refused`…).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// What a request was about, for its error.
enum Subject<'a> {
    /// A manifest, by tag or digest.
    Manifest(&'a str),
    /// A blob, by digest.
    Blob(&'a str),
}

/// A manifest as fetched.
struct Fetched {
    content_type: Option<String>,
    body: Vec<u8>,
    /// The digest of its bytes (the pinned one, when fetched by digest).
    digest: String,
}

/// One image's conversation with its registry.
struct Session<'a> {
    registry: &'a Registry,
    client: &'a reqwest::Client,
    /// The image as the caller wrote it, for errors.
    image: &'a str,
    reference: Reference,
    /// `http(s)://host/v2/<repository>`.
    base: String,
    https: bool,
}

impl Session<'_> {
    fn fail(&self, message: impl Into<String>) -> Error {
        Error::Registry {
            image: self.image.to_string(),
            message: message.into(),
        }
    }

    fn host(&self) -> &str {
        self.reference.api_host()
    }

    fn manifest_url(&self, reference: &str) -> String {
        format!("{}/manifests/{reference}", self.base)
    }

    /// Refuses a digest from a response before it goes into a URL.
    fn check_digest(&self, digest: &str) -> Result<()> {
        if valid_digest(digest) {
            Ok(())
        } else {
            Err(self.fail(format!(
                "the registry at {} named a malformed digest \"{digest}\"",
                self.host()
            )))
        }
    }

    /// Sends a request with this repository's token, getting one when the
    /// registry asks (or the cached one has expired).
    async fn send(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
    ) -> Result<reqwest::Response> {
        let key = format!("{}/{}", self.host(), self.reference.repository);
        let mut fresh_token = false;
        loop {
            let mut request = self.client.request(method.clone(), url);
            if let Some(accept) = accept {
                request = request.header(ACCEPT, accept);
            }
            let token = self
                .registry
                .tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key)
                .cloned();
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .map_err(|e| self.transport_error(self.host(), &e))?;
            if response.status() != StatusCode::UNAUTHORIZED || fresh_token {
                return Ok(response);
            }
            let bearer = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(parse_challenges)
                .find(|c| c.scheme == "bearer");
            let Some(bearer) = bearer else {
                // Basic or no challenge: a login Berth does not do.
                return Ok(response);
            };
            let token = self.token(&bearer).await?;
            self.registry
                .tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.clone(), token);
            fresh_token = true;
        }
    }

    /// Gets an anonymous token as a bearer challenge says.
    async fn token(&self, challenge: &Challenge) -> Result<String> {
        let host = self.host();
        let realm = challenge.param("realm").ok_or_else(|| {
            self.fail(format!(
                "the registry at {host} asks for a login without saying where to get a token"
            ))
        })?;
        let mut url = reqwest::Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                self.fail(format!(
                    "the registry at {host} names a token service that is not a web address ({realm})"
                ))
            })?;
        let token_host = url.host_str().unwrap_or(host).to_string();
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = challenge.param("service") {
                query.append_pair("service", service);
            }
            let scope = challenge
                .param("scope")
                .map(str::to_string)
                .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
            query.append_pair("scope", &scope);
        }
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| self.transport_error(&token_host, &e))?;
        let status = response.status();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(self.needs_login());
        }
        if !status.is_success() {
            return Err(self.fail(format!(
                "the token service of the registry at {host} ({token_host}) answered {status}; try again later"
            )));
        }
        let body = read_body(response, MAX_SMALL)
            .await
            .map_err(|e| self.body_error(&token_host, "token", e))?;
        #[derive(Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            self.fail(format!(
                "the token service of the registry at {host} ({token_host}) sent something that is not a token ({e})"
            ))
        })?;
        parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                self.fail(format!(
                    "the token service of the registry at {host} ({token_host}) sent no token"
                ))
            })
    }

    /// Fetches a manifest by tag or digest, checking a fetch by digest got
    /// the bytes it names.
    async fn manifest(&self, reference: &str) -> Result<Fetched> {
        let response = self
            .send(
                Method::GET,
                &self.manifest_url(reference),
                Some(&manifest::accept()),
            )
            .await?;
        if !response.status().is_success() {
            return Err(self
                .status_error(response, Subject::Manifest(reference))
                .await);
        }
        let content_type = header(response.headers(), CONTENT_TYPE.as_str());
        let served_digest = header(response.headers(), "docker-content-digest");
        let body = read_body(response, MAX_MANIFEST)
            .await
            .map_err(|e| self.body_error(self.host(), "manifest", e))?;
        let computed = format!("sha256:{}", sha256_hex(&body));
        let digest = if valid_digest(reference) {
            if reference.starts_with("sha256:") && reference != computed {
                return Err(self.fail(format!(
                    "the registry at {} sent a manifest that does not match its digest {reference}",
                    self.host()
                )));
            }
            reference.to_string()
        } else {
            match served_digest {
                // Another algorithm than Berth hashes with: take the registry's word.
                Some(d) if valid_digest(&d) && !d.starts_with("sha256:") => d,
                _ => computed,
            }
        };
        Ok(Fetched {
            content_type,
            body,
            digest,
        })
    }

    /// Reads the image config and pairs each layer with its uncompressed digest.
    async fn pair_layers(
        &self,
        config: &Descriptor,
        layers: Vec<Descriptor>,
    ) -> Result<Vec<RemoteLayer>> {
        self.check_digest(&config.digest)?;
        let response = self
            .send(
                Method::GET,
                &format!("{}/blobs/{}", self.base, config.digest),
                None,
            )
            .await?;
        if !response.status().is_success() {
            return Err(self
                .status_error(response, Subject::Blob(&config.digest))
                .await);
        }
        let body = read_body(response, MAX_MANIFEST)
            .await
            .map_err(|e| self.body_error(self.host(), "image config", e))?;
        if config.digest.starts_with("sha256:")
            && format!("sha256:{}", sha256_hex(&body)) != config.digest
        {
            return Err(self.fail(format!(
                "the registry at {} sent an image config that does not match its digest {}",
                self.host(),
                config.digest
            )));
        }
        let parsed: ImageConfig = serde_json::from_slice(&body)
            .map_err(|e| self.fail(format!("its image config is not one Berth can read ({e})")))?;
        let diff_ids = parsed.rootfs.diff_ids;
        if diff_ids.len() != layers.len() {
            return Err(self.fail(format!(
                "its manifest lists {} layers but its config {}, so its size cannot be told",
                layers.len(),
                diff_ids.len()
            )));
        }
        Ok(layers
            .into_iter()
            .zip(diff_ids)
            .map(|(layer, diff_id)| RemoteLayer {
                digest: layer.digest,
                diff_id,
                size: layer.size,
            })
            .collect())
    }

    /// The error for a registry's refusal, in words a home user can act on.
    async fn status_error(&self, response: reqwest::Response, subject: Subject<'_>) -> Error {
        let host = self.host();
        let name = self.reference.name();
        let status = response.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.needs_login(),
            StatusCode::NOT_FOUND => {
                // The error body's code tells a missing repository from a missing tag.
                let codes: Vec<String> = match read_body(response, MAX_SMALL).await {
                    Ok(body) => serde_json::from_slice::<RegistryErrors>(&body)
                        .map(|e| e.errors.into_iter().map(|e| e.code).collect())
                        .unwrap_or_default(),
                    Err(_) => vec![],
                };
                let missing_repository =
                    format!("{name} does not exist on the registry at {host}");
                if codes.iter().any(|c| c == "NAME_UNKNOWN") {
                    return self.fail(missing_repository);
                }
                match subject {
                    Subject::Manifest(r) if valid_digest(r) => {
                        self.fail(format!("{name} has no manifest {r}"))
                    }
                    // Registries answer MANIFEST_UNKNOWN for a missing
                    // repository too; its tag list tells them apart.
                    Subject::Manifest(tag) => match self.tags().await {
                        Some(Err(())) => self.fail(missing_repository),
                        Some(Ok(tags)) if tags.is_empty() => {
                            self.fail(format!("{name} has no tag {tag}; it has no tags at all"))
                        }
                        Some(Ok(tags)) if tags.len() <= MAX_TAGS_SHOWN => self.fail(format!(
                            "{name} has no tag {tag}; its tags are {}",
                            tags.join(", ")
                        )),
                        _ => self.fail(format!("{name} has no tag {tag}")),
                    },
                    Subject::Blob(digest) => self.fail(format!(
                        "the registry at {host} is missing {digest}, a part of this image; it may have been deleted"
                    )),
                }
            }
            StatusCode::TOO_MANY_REQUESTS => self.fail(format!(
                "the registry at {host} is limiting requests (Docker Hub allows a limited number per hour); try again later"
            )),
            s if s.is_server_error() => {
                self.fail(format!("the registry at {host} failed ({s}); try again later"))
            }
            s => self.fail(format!("the registry at {host} answered {s}")),
        }
    }

    /// The repository's tags; `Err` when the registry says the repository
    /// does not exist, `None` when it will not say.
    async fn tags(&self) -> Option<std::result::Result<Vec<String>, ()>> {
        #[derive(Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let response = self
            .send(Method::GET, &format!("{}/tags/list", self.base), None)
            .await
            .ok()?;
        let status = response.status();
        let body = read_body(response, MAX_SMALL).await.ok()?;
        if status == StatusCode::NOT_FOUND {
            let errors = serde_json::from_slice::<RegistryErrors>(&body).ok()?;
            return errors
                .errors
                .iter()
                .any(|e| e.code == "NAME_UNKNOWN")
                .then_some(Err(()));
        }
        if !status.is_success() {
            return None;
        }
        let list: TagList = serde_json::from_slice(&body).ok()?;
        let mut tags = list.tags.unwrap_or_default();
        tags.sort();
        Some(Ok(tags))
    }

    fn needs_login(&self) -> Error {
        self.fail(format!(
            "{} does not exist or needs a login; Berth only looks at public images",
            self.reference.name()
        ))
    }

    fn transport_error(&self, host: &str, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            return self.fail(format!(
                "the registry at {host} did not answer within {} seconds (BERTH_HTTP_TIMEOUT_SECS)",
                self.registry.timeout.as_secs_f64()
            ));
        }
        let cause = root_cause(e);
        let lower = cause.to_ascii_lowercase();
        let hint = if self.https
            && ["tls", "ssl", "certificate", "handshake"]
                .iter()
                .any(|w| lower.contains(w))
        {
            format!("; if it only speaks plain HTTP, add {host} to {INSECURE_ENV}")
        } else {
            String::new()
        };
        if e.is_connect() {
            self.fail(format!(
                "the registry at {host} is unreachable ({cause}){hint}"
            ))
        } else {
            self.fail(format!(
                "the request to the registry at {host} failed ({cause}){hint}"
            ))
        }
    }

    fn body_error(&self, host: &str, what: &str, e: BodyError) -> Error {
        match e {
            BodyError::TooLarge(limit) => self.fail(format!(
                "the registry at {host} sent a {what} larger than {} MiB",
                limit / (1024 * 1024)
            )),
            BodyError::Failed(message) => self.fail(format!(
                "the registry at {host} broke off while sending the {what} ({message})"
            )),
        }
    }
}

/// A registry's error body: `{"errors": [{"code": "MANIFEST_UNKNOWN", …}]}`.
#[derive(Deserialize)]
struct RegistryErrors {
    #[serde(default)]
    errors: Vec<RegistryError>,
}

#[derive(Deserialize)]
struct RegistryError {
    #[serde(default)]
    code: String,
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
