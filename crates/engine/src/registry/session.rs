//! One image's conversation with its registry: requests sent with the
//! repository's bearer token (fetched when the registry asks, cached on the
//! client), manifests fetched and checked against their digest, the image
//! config read to pair layers with their uncompressed digests.

use std::sync::PoisonError;

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::auth::{parse_challenges, Challenge};
use super::errors::Subject;
use super::manifest::{self, Descriptor, ImageConfig};
use super::{Reference, Registry, RemoteLayer, MAX_MANIFEST, MAX_SMALL};
use crate::catalog::sha256_hex;
use crate::http::read_body;
use crate::model::valid_digest;
use crate::{Error, Result};

/// A response header's value, trimmed.
pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// A manifest as fetched.
pub(super) struct Fetched {
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
    /// The digest of its bytes (the pinned one, when fetched by digest).
    pub(super) digest: String,
}

/// One image's conversation with its registry.
pub(super) struct Session<'a> {
    pub(super) registry: &'a Registry,
    pub(super) client: &'a reqwest::Client,
    /// The image as the caller wrote it, for errors.
    pub(super) image: &'a str,
    pub(super) reference: Reference,
    /// `http(s)://host/v2/<repository>`.
    pub(super) base: String,
    pub(super) https: bool,
}

impl Session<'_> {
    pub(super) fn fail(&self, message: impl Into<String>) -> Error {
        Error::Registry {
            image: self.image.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn host(&self) -> &str {
        self.reference.api_host()
    }

    pub(super) fn manifest_url(&self, reference: &str) -> String {
        format!("{}/manifests/{reference}", self.base)
    }

    /// Refuses a digest from a response before it goes into a URL.
    pub(super) fn check_digest(&self, digest: &str) -> Result<()> {
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
    pub(super) async fn send(
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
    pub(super) async fn manifest(&self, reference: &str) -> Result<Fetched> {
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
    pub(super) async fn pair_layers(
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
}
