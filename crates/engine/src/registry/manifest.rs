//! Manifests and image configs as registries serve them (Docker v2 and OCI),
//! and the choice of this host's entry in a manifest list or index.

use serde::Deserialize;

pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1";

/// The `Accept` header of every manifest request: the four kinds Berth reads.
pub(crate) fn accept() -> String {
    [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX].join(", ")
}

/// A blob a manifest points to.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Descriptor {
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// The platform of a manifest list or index entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// Any of the four manifest kinds; which fields are set tells them apart.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// A manifest, read.
#[derive(Debug)]
pub(crate) enum Manifest {
    /// One image: its config blob and its layers, base first.
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
    /// A list of images, one per platform.
    Index { manifests: Vec<Descriptor> },
}

/// Reads a manifest body; `content_type` is the response's, when it sent one.
/// The error says what is wrong, in a sentence's second half.
pub(crate) fn parse_manifest(
    content_type: Option<&str>,
    body: &[u8],
) -> std::result::Result<Manifest, String> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| format!("its manifest is not valid JSON ({e})"))?;
    let content_type = content_type
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
        .filter(|t| t.starts_with("application/vnd."));
    let kind = content_type.or(raw.media_type.clone());
    if raw.schema_version == Some(1)
        || kind
            .as_deref()
            .is_some_and(|k| k.starts_with(DOCKER_SCHEMA1))
    {
        return Err("it only has an old schema 1 manifest, which Berth cannot read".into());
    }
    let is_index = match kind.as_deref() {
        Some(DOCKER_LIST | OCI_INDEX) => true,
        Some(DOCKER_MANIFEST | OCI_MANIFEST) => false,
        _ => raw.manifests.is_some(),
    };
    if is_index {
        return Ok(Manifest::Index {
            manifests: raw.manifests.unwrap_or_default(),
        });
    }
    match (raw.config, raw.layers) {
        (Some(config), Some(layers)) => Ok(Manifest::Image { config, layers }),
        _ => Err(format!(
            "its manifest ({}) is not an image manifest",
            kind.as_deref().unwrap_or("of no known type")
        )),
    }
}

/// The part of an image config Berth reads: the uncompressed digest of each
/// layer, in the manifest's order.
#[derive(Debug, Deserialize)]
pub(crate) struct ImageConfig {
    pub rootfs: RootFs,
}

/// `rootfs` of an image config.
#[derive(Debug, Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// This host's platform as registries name it: the architecture, and the
/// variants it runs, best first (`""` stands for an entry with none).
pub(crate) fn host_platform() -> (&'static str, &'static [&'static str]) {
    match std::env::consts::ARCH {
        "x86_64" => ("amd64", &[""]),
        "aarch64" => ("arm64", &["v8", ""]),
        "arm" => ("arm", &["v7", "v6", "v5", ""]),
        "x86" => ("386", &[""]),
        "powerpc64" => ("ppc64le", &[""]),
        "loongarch64" => ("loong64", &[""]),
        other => (other, &[""]),
    }
}

/// The entry of a manifest list or index for linux on `architecture`,
/// preferring variants in `variants`' order.
pub(crate) fn choose_platform<'a>(
    manifests: &'a [Descriptor],
    architecture: &str,
    variants: &[&str],
) -> Option<&'a Descriptor> {
    manifests
        .iter()
        .filter(|m| {
            m.platform
                .as_ref()
                .is_some_and(|p| p.os == "linux" && p.architecture == architecture)
        })
        .min_by_key(|m| {
            let variant = m
                .platform
                .as_ref()
                .and_then(|p| p.variant.as_deref())
                .unwrap_or("");
            variants
                .iter()
                .position(|v| *v == variant)
                .unwrap_or(variants.len())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(os: &str, arch: &str, variant: Option<&str>, digest: &str) -> Descriptor {
        Descriptor {
            digest: digest.into(),
            size: 1,
            platform: Some(Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: variant.map(str::to_string),
            }),
        }
    }

    #[test]
    fn picks_this_platform() {
        let list = vec![
            entry("unknown", "unknown", None, "attestation"),
            entry("windows", "amd64", None, "windows"),
            entry("linux", "arm", Some("v6"), "armv6"),
            entry("linux", "arm", Some("v7"), "armv7"),
            entry("linux", "amd64", None, "amd64"),
            entry("linux", "arm64", Some("v8"), "arm64"),
        ];
        let pick = |arch, variants: &[&str]| {
            choose_platform(&list, arch, variants).map(|d| d.digest.as_str())
        };
        assert_eq!(pick("amd64", &[""]), Some("amd64"));
        assert_eq!(pick("arm64", &["v8", ""]), Some("arm64"));
        assert_eq!(pick("arm", &["v7", "v6", "v5", ""]), Some("armv7"));
        assert_eq!(pick("arm", &["v6", "v5", ""]), Some("armv6"));
        assert_eq!(pick("s390x", &[""]), None);
        let (arch, variants) = host_platform();
        assert!(!arch.is_empty() && variants.contains(&""));
    }

    #[test]
    fn manifest_kinds() {
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
            "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"sha256:c"},
            "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":10,"digest":"sha256:l"}]}"#;
        match parse_manifest(None, image).unwrap() {
            Manifest::Image { config, layers } => {
                assert_eq!(config.digest, "sha256:c");
                assert_eq!(
                    (layers[0].digest.as_str(), layers[0].size),
                    ("sha256:l", 10)
                );
            }
            other => panic!("{other:?}"),
        }
        // OCI indexes may leave out mediaType; the response's type says it.
        let index = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","size":1,
            "platform":{"os":"linux","architecture":"amd64"}}]}"#;
        match parse_manifest(
            Some("application/vnd.oci.image.index.v1+json; charset=utf-8"),
            index,
        )
        .unwrap()
        {
            Manifest::Index { manifests } => assert_eq!(manifests.len(), 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_manifest(Some("application/json"), index),
            Ok(Manifest::Index { .. })
        ));
        let old = br#"{"schemaVersion":1,"name":"a","tag":"b","fsLayers":[]}"#;
        assert!(parse_manifest(None, old).unwrap_err().contains("schema 1"));
        assert!(parse_manifest(None, b"<html>")
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(parse_manifest(Some(OCI_MANIFEST), b"{}")
            .unwrap_err()
            .contains("not an image manifest"));
    }
}
