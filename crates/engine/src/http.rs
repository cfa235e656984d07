//! What every HTTP client in the engine shares: the time limit from
//! `BERTH_HTTP_TIMEOUT_SECS`, the user agent, bodies read with a size limit,
//! and transport errors put in words.

use std::time::Duration;

/// Each request's time limit: `BERTH_HTTP_TIMEOUT_SECS`, else 30 seconds.
pub(crate) fn timeout() -> Duration {
    std::env::var("BERTH_HTTP_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(30))
}

/// A client with Berth's user agent whose requests give up after `timeout`.
pub(crate) fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It is (or announced itself) larger than the limit, in bytes.
    TooLarge(u64),
    /// The transfer broke off.
    Failed(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(limit) => {
                write!(f, "the response is larger than {limit} bytes")
            }
            BodyError::Failed(message) => write!(f, "download failed: {message}"),
        }
    }
}

/// Reads a body, refusing it past `limit` bytes.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> std::result::Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BodyError::Failed(describe(&e)))?
    {
        out.extend_from_slice(&chunk);
        if out.len() as u64 > limit {
            return Err(BodyError::TooLarge(limit));
        }
    }
    Ok(out)
}

/// A transport error in words.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the server did not answer in time".into()
    } else if e.is_connect() {
        format!("cannot connect ({e})")
    } else {
        e.to_string()
    }
}
