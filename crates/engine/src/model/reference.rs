//! Image references read the way Docker reads them: `nginx` is
//! `docker.io/library/nginx:latest`, a first component with a `.` or a `:`
//! (or `localhost`) names the registry, and `@sha256:…` pins a digest.

use std::fmt;

use crate::{Error, Result};

/// Docker Hub's name in references.
const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's host for the registry API.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Splits `name[:tag][@digest]` without checking it: the name as written,
/// the tag and the digest, each when present. The Engine API's pull takes
/// the name as written with the digest (or else the tag).
pub(crate) fn split_reference(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (named, digest) = match image.split_once('@') {
        Some((named, digest)) => (named, Some(digest)),
        None => (image, None),
    };
    // A colon after the last slash separates the tag (a registry port is before it).
    match named.rfind(':') {
        Some(i) if !named[i..].contains('/') => (&named[..i], Some(&named[i + 1..]), digest),
        _ => (named, None, digest),
    }
}

/// An image reference, normalised as Docker normalises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry as references name it: `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// The repository on that registry: `library/nginx`, `berth-test/box`.
    pub repository: String,
    /// The tag; `latest` when none is written.
    pub tag: String,
    /// The pinned manifest digest (`sha256:…`), when written.
    pub digest: Option<String>,
}

impl Reference {
    /// Reads `image`; a reference Docker would refuse is an error saying why.
    pub fn parse(image: &str) -> Result<Reference> {
        let invalid = |why: &str| Error::Registry {
            image: image.to_string(),
            message: format!("it is not a valid image reference ({why})"),
        };
        if image.is_empty() {
            return Err(invalid("it is empty"));
        }
        if image.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("it contains spaces"));
        }
        let (name, tag, digest) = split_reference(image);
        let (registry, remainder) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first, rest)
            }
            _ => (DOCKER_HUB, name),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !remainder.contains('/') {
            format!("library/{remainder}")
        } else {
            remainder.to_string()
        };
        if registry.is_empty() {
            return Err(invalid("the registry is empty"));
        }
        for component in repository.split('/') {
            if component.is_empty() {
                return Err(invalid("the name has an empty part"));
            }
            if component.chars().any(|c| c.is_ascii_uppercase()) {
                return Err(invalid("repository names must be lowercase"));
            }
            let edges_ok = component.starts_with(|c: char| c.is_ascii_alphanumeric())
                && component.ends_with(|c: char| c.is_ascii_alphanumeric());
            let chars_ok = component
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !edges_ok || !chars_ok {
                return Err(invalid(&format!(
                    "\"{component}\" may only use a-z, 0-9, `.`, `_` and `-`, starting and ending with a letter or digit"
                )));
            }
        }
        if let Some(tag) = tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && !tag.starts_with(['.', '-'])
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return Err(invalid(&format!(
                    "the tag \"{tag}\" may only use letters, digits, `.`, `_` and `-` (at most 128)"
                )));
            }
        }
        if let Some(digest) = digest {
            if !valid_digest(digest) {
                return Err(invalid(&format!(
                    "the digest \"{digest}\" is not of the form sha256:<64 hex digits>"
                )));
            }
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository,
            tag: tag.unwrap_or("latest").to_string(),
            digest: digest.map(str::to_string),
        })
    }

    /// The host (and port) to send registry API requests to:
    /// `registry-1.docker.io` for Docker Hub, else the registry itself.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What a manifest request names: the pinned digest, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest.as_deref().unwrap_or(&self.tag)
    }

    /// `registry/repository`, as messages name it.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)?;
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// `algorithm:hex`, with sha256 digests 64 lowercase hex digits.
pub(crate) fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let hex_ok = !hex.is_empty() && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    match algorithm {
        "sha256" => hex_ok && hex.len() == 64,
        "sha384" => hex_ok && hex.len() == 96,
        "sha512" => hex_ok && hex.len() == 128,
        _ => false,
    }
}

/// The digest part of `repo@sha256:…` (as `RepoDigests` lists them), or the
/// string itself when it has no `@`.
pub(crate) fn digest_part(repo_digest: &str) -> &str {
    repo_digest
        .rsplit_once('@')
        .map_or(repo_digest, |(_, digest)| digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parsed(image: &str) -> (String, String, String, Option<String>, String) {
        let r = Reference::parse(image).unwrap_or_else(|e| panic!("{image}: {e}"));
        let host = r.api_host().to_string();
        (r.registry, r.repository, r.tag, r.digest, host)
    }

    #[test]
    fn split_as_the_engine_api_takes_it() {
        assert_eq!(split_reference("nginx"), ("nginx", None, None));
        assert_eq!(split_reference("nginx:1.27"), ("nginx", Some("1.27"), None));
        assert_eq!(
            split_reference("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000/a/b", None, None)
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/a/b:1.0"),
            ("127.0.0.1:5000/a/b", Some("1.0"), None)
        );
        assert_eq!(
            split_reference("a@sha256:ab"),
            ("a", None, Some("sha256:ab"))
        );
        assert_eq!(
            split_reference("postgres:17.3@sha256:ab"),
            ("postgres", Some("17.3"), Some("sha256:ab"))
        );
    }

    #[test]
    fn docker_hub_names() {
        let hub = |repo: &str, tag: &str| {
            (
                "docker.io".to_string(),
                repo.to_string(),
                tag.to_string(),
                None,
                "registry-1.docker.io".to_string(),
            )
        };
        assert_eq!(parsed("nginx"), hub("library/nginx", "latest"));
        assert_eq!(
            parsed("nginx:1.27-alpine"),
            hub("library/nginx", "1.27-alpine")
        );
        assert_eq!(parsed("user/app:tag"), hub("user/app", "tag"));
        assert_eq!(parsed("docker.io/nginx"), hub("library/nginx", "latest"));
        assert_eq!(
            parsed("index.docker.io/user/app"),
            hub("user/app", "latest")
        );
        assert_eq!(
            parsed("docker.io/library/redis:7"),
            hub("library/redis", "7")
        );
    }

    #[test]
    fn other_registries() {
        assert_eq!(
            parsed("ghcr.io/o/a:1"),
            (
                "ghcr.io".into(),
                "o/a".into(),
                "1".into(),
                None,
                "ghcr.io".into()
            )
        );
        assert_eq!(
            parsed("127.0.0.1:5000/berth-test/box:1.0"),
            (
                "127.0.0.1:5000".into(),
                "berth-test/box".into(),
                "1.0".into(),
                None,
                "127.0.0.1:5000".into()
            )
        );
        assert_eq!(
            parsed("localhost/app"),
            (
                "localhost".into(),
                "app".into(),
                "latest".into(),
                None,
                "localhost".into()
            )
        );
        assert_eq!(
            parsed("[::1]:5000/a/b:2"),
            (
                "[::1]:5000".into(),
                "a/b".into(),
                "2".into(),
                None,
                "[::1]:5000".into()
            )
        );
        // A single-component name is a Docker Hub repository, not a host.
        assert_eq!(parsed("quay.io").1, "library/quay.io");
    }

    #[test]
    fn digests() {
        let r = Reference::parse(&format!("postgres:17.3@{D}")).unwrap();
        assert_eq!(r.repository, "library/postgres");
        assert_eq!(r.tag, "17.3");
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.manifest_reference(), D);
        assert_eq!(
            r.to_string(),
            format!("docker.io/library/postgres:17.3@{D}")
        );
        let r = Reference::parse(&format!("ghcr.io/o/a@{D}")).unwrap();
        assert_eq!((r.tag.as_str(), r.manifest_reference()), ("latest", D));
        assert_eq!(digest_part(&format!("127.0.0.1:5000/a/b@{D}")), D);
        assert_eq!(digest_part(D), D);
    }

    #[test]
    fn refusals_say_why() {
        for (image, why) in [
            ("", "empty"),
            ("ng inx", "spaces"),
            ("Nginx", "lowercase"),
            ("user/App", "lowercase"),
            ("a//b", "empty part"),
            ("a/-b", "may only use"),
            ("nginx:", "tag"),
            ("nginx:-x", "tag"),
            ("nginx@sha256:abc", "digest"),
            ("nginx@md5:abc", "digest"),
        ] {
            let e = Reference::parse(image).expect_err(image).to_string();
            assert!(e.contains(why), "{image:?}: {e}");
            assert!(e.contains("not a valid image reference"), "{e}");
        }
    }
}
