//! What pulling images would download: the answer the lifecycle's
//! `Engine::download_size` gives by setting the layers a registry serves
//! against those already on this host.

use serde::{Deserialize, Serialize};

/// How many bytes pulling a set of images would download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DownloadSize {
    /// One entry per image asked about, in order.
    pub images: Vec<ImageDownload>,
    /// Bytes to download in all, each layer counted once.
    #[specta(type = f64)]
    pub total: u64,
}

/// How much of one image a pull would download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageDownload {
    pub image: String,
    /// Compressed bytes of its layers not on this host yet; a layer it shares
    /// with an image earlier in the list is counted there only.
    #[specta(type = f64)]
    pub bytes: u64,
    /// Its layers, for this host's platform.
    #[specta(type = f64)]
    pub layers: usize,
    /// Those of its layers already on this host.
    #[specta(type = f64)]
    pub present_layers: usize,
}
