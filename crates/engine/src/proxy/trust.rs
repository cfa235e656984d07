//! Making this server itself trust Berth's certificate authority (the
//! desktop app's "Trust on this computer", `berth proxy trust`): the CA is
//! copied to Debian's local CA folder and `update-ca-certificates` run, so
//! browsers and tools on the server open `https://<app>.<domain>` without a
//! warning. The CA is limited by Name Constraints to Berth's own names (see
//! `tls`), so trusting it lets it vouch for nothing else.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::tls::{ca_cert_path, ca_fingerprint};
use crate::{Error, Result};

/// Where Debian and Ubuntu take local CA certificates from.
pub const LOCAL_CA_DIR: &str = "/usr/local/share/ca-certificates";

/// The CA, trusted.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CaTrusted {
    /// The copy the system's trust store is built from.
    pub path: String,
    /// Its SHA-256 fingerprint.
    pub fingerprint: String,
}

/// This machine's short host name, as in the CA's name.
fn server_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = name
        .trim()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if name.is_empty() {
        "berth".into()
    } else {
        name
    }
}

/// The file the CA is trusted as: `/usr/local/share/ca-certificates/berth-<server>.crt`.
pub fn trusted_copy() -> PathBuf {
    Path::new(LOCAL_CA_DIR).join(format!("berth-{}.crt", server_name()))
}

/// Whether this server trusts the CA under `home` (its copy is in the
/// local CA folder, the same bytes).
pub fn is_trusted(home: &Path) -> bool {
    match (
        std::fs::read(ca_cert_path(home)),
        std::fs::read(trusted_copy()),
    ) {
        (Ok(ca), Ok(copy)) => ca == copy,
        _ => false,
    }
}

/// Makes this server trust the CA under `home` (needs root).
pub fn trust(home: &Path) -> Result<CaTrusted> {
    let cert = ca_cert_path(home);
    let fingerprint = ca_fingerprint(home).ok_or_else(|| Error::BadRequest {
        message: format!(
            "{} has no HTTPS certificate authority yet: it is made when `berth serve` first starts its HTTPS proxy",
            home.display()
        ),
    })?;
    let tool = [
        "/usr/sbin/update-ca-certificates",
        "/usr/bin/update-ca-certificates",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .ok_or_else(|| Error::BadRequest {
        message: format!(
            "update-ca-certificates is not installed (apt install ca-certificates); or add {} to this system's trust store by hand",
            cert.display()
        ),
    })?;
    let target = trusted_copy();
    std::fs::create_dir_all(LOCAL_CA_DIR)
        .and_then(|_| std::fs::copy(&cert, &target))
        .map_err(|cause| Error::Write {
            path: target.clone(),
            cause,
        })?;
    let out = std::process::Command::new(&tool)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::Internal {
            message: format!("cannot run {}: {e}", tool.display()),
        })?;
    if !out.status.success() {
        return Err(Error::Internal {
            message: format!(
                "{} failed ({}): {}",
                tool.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(CaTrusted {
        path: target.to_string_lossy().into_owned(),
        fingerprint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_is_named_after_the_server_in_debians_local_ca_folder() {
        let copy = trusted_copy();
        assert!(copy.starts_with(LOCAL_CA_DIR));
        let name = copy.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("berth-") && name.ends_with(".crt"),
            "{name}"
        );
        assert!(!name.contains('/') && !name.contains(".."), "{name}");
        // No CA, not trusted, and trusting it is refused in a sentence.
        let home = std::env::temp_dir().join(format!("berth-trust-{}", std::process::id()));
        assert!(!is_trusted(&home));
        let e = trust(&home).unwrap_err().to_string();
        assert!(e.contains("no HTTPS certificate authority yet"), "{e}");
    }
}
