//! A registry's refusals and failures, in words a home user can act on: a
//! missing repository told from a missing tag (by its tag list), a login
//! Berth does not do, rate limits, unreachable hosts, oversized answers.

use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::session::Session;
use super::{INSECURE_ENV, MAX_SMALL, MAX_TAGS_SHOWN};
use crate::http::{read_body, BodyError};
use crate::model::valid_digest;
use crate::Error;

/// The innermost cause of a transport error (`Connection refused`…).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// What a request was about, for its error.
pub(super) enum Subject<'a> {
    /// A manifest, by tag or digest.
    Manifest(&'a str),
    /// A blob, by digest.
    Blob(&'a str),
}

impl Session<'_> {
    /// The error for a registry's refusal, in words a home user can act on.
    pub(super) async fn status_error(
        &self,
        response: reqwest::Response,
        subject: Subject<'_>,
    ) -> Error {
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

    pub(super) fn needs_login(&self) -> Error {
        self.fail(format!(
            "{} does not exist or needs a login; Berth only looks at public images",
            self.reference.name()
        ))
    }

    pub(super) fn transport_error(&self, host: &str, e: &reqwest::Error) -> Error {
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

    pub(super) fn body_error(&self, host: &str, what: &str, e: BodyError) -> Error {
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
