//! HTTPS for the reverse proxy: a certificate authority of this server's own
//! ([`Authority`], made once under `<home>/tls/`) and the certificates it
//! issues on demand, one per name a browser asks for ([`Certificates`], a
//! rustls certificate resolver keyed by SNI).
//!
//! The CA is limited by X.509 Name Constraints to this server's names (DNS
//! names under the proxy domain and under `local`, no IP address): a device
//! that trusts it accepts nothing it signs for any other site, even if its
//! key leaked. It is ECDSA P-256, valid about ten years, and may sign only
//! end certificates (path length 0). Leaf certificates are ECDSA P-256 too,
//! name exactly one host, last 90 days and are made again in memory when
//! fewer than 30 days are left; nothing but the CA is written to disk.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SerialNumber,
    PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

use super::{Destination, Names};
use crate::{Error, Result};

/// The folder under the home holding the CA.
pub const TLS_DIR: &str = "tls";
/// The CA's certificate (public: offered to devices as `/ca.crt`).
pub const CA_CERT_FILE: &str = "ca.crt";
/// The CA's private key (mode 0600, in a 0700 folder).
pub const CA_KEY_FILE: &str = "ca.key";

/// How long the CA is valid.
const CA_DAYS: u32 = 3650;
/// How long a leaf certificate is valid (browsers accept at most 398 days
/// for public CAs; short is better should one leak).
const LEAF_DAYS: u32 = 90;
/// A leaf with fewer days left than this is made again.
const RENEW_DAYS: u32 = 30;
/// At most this many names' certificates are kept in memory.
pub const CACHE_NAMES: usize = 1024;

const DAY: Duration = Duration::from_secs(24 * 3600);

/// This server's certificate authority: its certificate and signing key.
pub struct Authority {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    fingerprint: String,
    cert_path: PathBuf,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("cert_path", &self.cert_path)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// Where the CA's certificate is kept under `home`.
pub fn ca_cert_path(home: &Path) -> PathBuf {
    home.join(TLS_DIR).join(CA_CERT_FILE)
}

/// The SHA-256 fingerprint of the CA under `home` (`AB:CD:…`), if there is
/// one and it reads.
pub fn ca_fingerprint(home: &Path) -> Option<String> {
    let pem = std::fs::read_to_string(ca_cert_path(home)).ok()?;
    let der = pem_to_der(&pem)?;
    Some(fingerprint(&der))
}

/// `AB:CD:…`: a certificate's SHA-256 as browsers and `openssl x509
/// -fingerprint -sha256` show it.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body = pem
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)?
        .split("-----END CERTIFICATE-----")
        .next()?;
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

impl Authority {
    /// The CA under `<home>/tls/`, made the first time (for the names of
    /// `names`). A CA that is there but cannot be read is an error, never
    /// replaced: devices trust it.
    pub fn open(home: &Path, names: &Names) -> Result<Authority> {
        let dir = home.join(TLS_DIR);
        if !dir.exists() {
            create(home, &dir, names)?;
        }
        let authority = load(&dir)?;
        authority.check_covers(names)?;
        Ok(authority)
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Where the CA certificate is kept.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// Its SHA-256 fingerprint, `AB:CD:…`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A certificate for exactly `name`, valid from an hour before `now`
    /// for [`LEAF_DAYS`], and its key, ready for rustls.
    pub fn issue(&self, name: &str, now: SystemTime) -> Result<Leaf> {
        let fail = |message: String| Error::Certificate {
            path: self.cert_path.clone(),
            message,
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| fail(format!("cannot make a key: {e}")))?;
        let mut params = CertificateParams::new(vec![name.to_string()])
            .map_err(|e| fail(format!("cannot name a certificate {name}: {e}")))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.not_before = (now - Duration::from_secs(3600)).into();
        let not_after = now + LEAF_DAYS * DAY;
        params.not_after = not_after.into();
        params.serial_number = Some(serial()?);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| fail(format!("cannot sign a certificate for {name}: {e}")))?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = rustls::crypto::ring::sign::any_ecdsa_type(&der)
            .map_err(|e| fail(format!("rustls refuses the key made for {name}: {e}")))?;
        Ok(Leaf {
            key: Arc::new(CertifiedKey::new(
                vec![cert.der().clone(), self.cert_der.clone()],
                signing,
            )),
            not_after,
        })
    }

    /// An error unless the CA's name constraints allow `names`' domain and
    /// `.local` (a CA made for another `--proxy-domain` would sign
    /// certificates every device rejects).
    fn check_covers(&self, names: &Names) -> Result<()> {
        let permitted = permitted_dns(&self.cert_der).map_err(|message| Error::Certificate {
            path: self.cert_path.clone(),
            message,
        })?;
        let Some(permitted) = permitted else {
            return Ok(());
        };
        for wanted in [names.domain(), "local"] {
            if !permitted.iter().any(|p| within(wanted, p)) {
                return Err(Error::Certificate {
                    path: self.cert_path.clone(),
                    message: format!(
                        "it was made for names under {} only, not {wanted}; to use {wanted}, move the folder {} aside and start Berth again to make a new one (devices must then trust the new one)",
                        permitted.join(" and "),
                        self.cert_path.parent().unwrap_or(Path::new(".")).display()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `name` is `subtree` or under it.
fn within(name: &str, subtree: &str) -> bool {
    name == subtree || name.ends_with(&format!(".{subtree}"))
}

/// The DNS names a CA's name constraints permit (`None`: no constraints).
fn permitted_dns(der: &[u8]) -> std::result::Result<Option<Vec<String>>, String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not a readable certificate: {e}"))?;
    let constraints = cert
        .name_constraints()
        .map_err(|e| format!("unreadable name constraints: {e}"))?;
    Ok(constraints.map(|c| {
        c.value
            .permitted_subtrees
            .iter()
            .flatten()
            .filter_map(|s| match s.base {
                GeneralName::DNSName(name) => Some(name.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    }))
}

fn serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal {
        message: format!("no random numbers for a certificate serial: {e}"),
    })?;
    bytes[0] &= 0x7f; // a positive number
    Ok(SerialNumber::from_slice(&bytes))
}

/// Makes the CA in a folder of its own next to `dir`, then renames it into
/// place: a crash leaves either no CA or a whole one.
fn create(home: &Path, dir: &Path, names: &Names) -> Result<()> {
    let fail = |message: String| Error::Certificate {
        path: dir.to_path_buf(),
        message,
    };
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| fail(format!("cannot make a key: {e}")))?;
    let params = ca_params(names, SystemTime::now())?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| fail(format!("cannot sign the CA: {e}")))?;
    std::fs::create_dir_all(home).map_err(|cause| Error::Write {
        path: home.to_path_buf(),
        cause,
    })?;
    let tmp = home.join(format!(".{TLS_DIR}.new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let write = |path: &Path, bytes: &[u8]| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    let made = std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&tmp)
        .and_then(|_| write(&tmp.join(CA_KEY_FILE), key.serialize_pem().as_bytes()))
        .and_then(|_| write(&tmp.join(CA_CERT_FILE), cert.pem().as_bytes()))
        .and_then(|_| {
            std::fs::set_permissions(tmp.join(CA_CERT_FILE), PermissionsExt::from_mode(0o644))
        })
        .and_then(|_| std::fs::rename(&tmp, dir));
    if let Err(cause) = made {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(Error::Write {
            path: dir.to_path_buf(),
            cause,
        });
    }
    Ok(())
}

/// The CA's certificate: whose it is, ten years, only end certificates,
/// only this server's names.
fn ca_params(names: &Names, now: SystemTime) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        DnType::CommonName,
        format!("Berth local CA for {}", names.server()),
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Berth");
    params.not_before = (now - DAY).into();
    params.not_after = (now + CA_DAYS * DAY).into();
    params.serial_number = Some(serial()?);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let mut permitted = vec![names.domain().to_string()];
    if !within(names.domain(), "local") {
        permitted.push("local".to_string());
    } else {
        permitted = vec!["local".to_string()];
    }
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: permitted.into_iter().map(GeneralSubtree::DnsName).collect(),
        // No certificate for an IP address either: with only DNS subtrees
        // permitted, addresses would be unconstrained.
        excluded_subtrees: vec![
            GeneralSubtree::IpAddress(CidrSubnet::V4([0; 4], [0; 4])),
            GeneralSubtree::IpAddress(CidrSubnet::V6([0; 16], [0; 16])),
        ],
    });
    Ok(params)
}

fn load(dir: &Path) -> Result<Authority> {
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|cause| Error::Read {
            path: path.clone(),
            cause,
        })
    };
    let cert_path = dir.join(CA_CERT_FILE);
    let key_path = dir.join(CA_KEY_FILE);
    let cert_pem = read(CA_CERT_FILE)?;
    let key_pem = read(CA_KEY_FILE)?;
    let broken = |path: &Path, message: String| {
        Error::Certificate {
        path: path.to_path_buf(),
        message: format!(
            "{message}; Berth does not replace it by itself (devices trust it): put the right file back, or move the folder {} aside to make a new CA",
            dir.display()
        ),
    }
    };
    let cert_der = pem_to_der(&cert_pem)
        .ok_or_else(|| broken(&cert_path, "it is not a PEM certificate".into()))?;
    let key = KeyPair::from_pem(&key_pem)
        .map_err(|e| broken(&key_path, format!("it is not a readable private key ({e})")))?;
    let public = key.public_key_raw().to_vec();
    let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| {
        broken(
            &cert_path,
            format!("it is not a readable CA certificate ({e})"),
        )
    })?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der).map_err(|e| {
        broken(
            &cert_path,
            format!("it is not a readable certificate ({e})"),
        )
    })?;
    if parsed.public_key().subject_public_key.data.as_ref() != public.as_slice() {
        return Err(broken(
            &key_path,
            format!("this key does not belong to {}", cert_path.display()),
        ));
    }
    Ok(Authority {
        fingerprint: fingerprint(&cert_der),
        cert_der: CertificateDer::from(cert_der),
        cert_pem,
        issuer,
        cert_path,
    })
}

/// A leaf certificate with its key, and when it stops being valid.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub key: Arc<CertifiedKey>,
    pub not_after: SystemTime,
}

/// The proxy's certificates, one per name, made when a client first asks
/// (by SNI) and kept in memory: at most [`CACHE_NAMES`] names, made again
/// when fewer than 30 days are left. A name that is not ours (or no name
/// at all, as when a browser is pointed at an IP address) gets none, so
/// the handshake fails: Berth has no certificate a browser would accept
/// for it anyway.
#[derive(Debug)]
pub struct Certificates {
    authority: Arc<Authority>,
    names: Names,
    cache: Mutex<HashMap<String, Leaf>>,
    limit: usize,
    /// The ACME certificate, served for names under the domain once issued.
    acme: Option<Arc<super::acme::Acme>>,
}

impl Certificates {
    pub fn new(authority: Arc<Authority>, names: Names) -> Self {
        Self::with_limit(authority, names, CACHE_NAMES)
    }

    /// As [`Certificates::new`], keeping at most `limit` names.
    pub fn with_limit(authority: Arc<Authority>, names: Names, limit: usize) -> Self {
        Certificates {
            authority,
            names,
            cache: Mutex::new(HashMap::new()),
            limit: limit.max(1),
            acme: None,
        }
    }

    /// These certificates, with `acme`'s served instead of the local CA's
    /// for names under its domain once it has one.
    pub fn with_acme(mut self, acme: Arc<super::acme::Acme>) -> Self {
        self.acme = Some(acme);
        self
    }

    pub fn authority(&self) -> &Arc<Authority> {
        &self.authority
    }

    /// The certificate for `name` at `now`: kept, or made (and kept) when
    /// there is none or it is near its end; `None` for a name not ours.
    pub fn for_name(&self, name: &str, now: SystemTime) -> Option<Arc<CertifiedKey>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !self.is_ours(&name) {
            return None;
        }
        if let Some(key) = self.acme.as_ref().and_then(|acme| acme.cert_for(&name)) {
            return Some(key);
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(leaf) = cache.get(&name) {
            if leaf.not_after > now + RENEW_DAYS * DAY {
                return Some(leaf.key.clone());
            }
        }
        let leaf = match self.authority.issue(&name, now) {
            Ok(leaf) => leaf,
            Err(e) => {
                eprintln!("berth: no HTTPS certificate for {name}: {e}");
                return None;
            }
        };
        if cache.len() >= self.limit && !cache.contains_key(&name) {
            // The one nearest its end goes (the oldest made).
            if let Some(oldest) = cache
                .iter()
                .min_by_key(|(_, leaf)| leaf.not_after)
                .map(|(name, _)| name.clone())
            {
                cache.remove(&oldest);
            }
        }
        cache.insert(name, leaf.clone());
        Some(leaf.key)
    }

    /// Whether a connection whose handshake asked for `sni` may carry a
    /// request for `host`: the same name, or one certificate covers both
    /// (the ACME wildcard: a browser reuses an HTTP/2 connection for every
    /// name its certificate covers). Anything else is misdirected (421).
    pub fn covers_both(&self, sni: &str, host: &str) -> bool {
        let plain = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
        let (sni, host) = (plain(sni), plain(host));
        if sni == host {
            return true;
        }
        let Some(acme) = &self.acme else {
            return false;
        };
        matches!(
            (acme.cert_for(&sni), acme.cert_for(&host)),
            (Some(a), Some(b)) if Arc::ptr_eq(&a, &b)
        )
    }

    /// How many names' certificates are kept.
    pub fn kept(&self) -> usize {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Berth's own names and app names that are valid DNS labels.
    fn is_ours(&self, name: &str) -> bool {
        match self.names.destination(name) {
            Destination::Berth => true,
            Destination::App(app) => dns_label(&app),
            Destination::NoSuchName | Destination::Foreign => false,
        }
    }

    /// A rustls server configuration using these certificates, offering
    /// HTTP/2 and HTTP/1.1 (ALPN).
    pub fn server_config(self: Arc<Self>) -> Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Internal {
                message: format!("rustls: {e}"),
            })?
            .with_no_client_auth()
            .with_cert_resolver(self);
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.for_name(hello.server_name()?, SystemTime::now())
    }
}

/// A DNS host name label: letters, digits and inner `-`.
fn dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{ServerName, UnixTime};

    fn home() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "berth-tls-{}-{}",
            std::process::id(),
            serial().unwrap().to_bytes()[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names() -> Names {
        Names::new("home.test", "box")
    }

    /// webpki's verdict on `chain` for `name`, trusting only `authority`.
    fn verify(authority: &Authority, chain: &[CertificateDer<'static>], name: &str) -> bool {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(authority.cert_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        verifier
            .verify_server_cert(
                &chain[0],
                &chain[1..],
                &ServerName::try_from(name.to_string()).unwrap(),
                &[],
                UnixTime::now(),
            )
            .is_ok()
    }

    #[test]
    fn the_ca_is_made_once_private_and_reused() {
        let home = home();
        let first = Authority::open(&home, &names()).unwrap();
        let dir = home.join(TLS_DIR);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(CA_KEY_FILE)), 0o600);
        let again = Authority::open(&home, &names()).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(ca_fingerprint(&home).as_deref(), Some(first.fingerprint()));
        assert_eq!(first.fingerprint().len(), 32 * 3 - 1);
        let (_, cert) = x509_parser::parse_x509_certificate(&first.cert_der).unwrap();
        assert_eq!(
            cert.subject().to_string(),
            "CN=Berth local CA for box, O=Berth"
        );
        let years = (cert.validity().not_after.timestamp()
            - cert.validity().not_before.timestamp())
            / (365 * 24 * 3600);
        assert_eq!(years, 10);
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn a_broken_ca_is_an_error_and_left_alone() {
        let home = home();
        Authority::open(&home, &names()).unwrap();
        let key = home.join(TLS_DIR).join(CA_KEY_FILE);
        std::fs::write(&key, "not a key").unwrap();
        let e = Authority::open(&home, &names()).unwrap_err().to_string();
        assert!(e.contains("not a readable private key"), "{e}");
        assert!(e.contains("move the folder"), "{e}");
        assert_eq!(std::fs::read_to_string(&key).unwrap(), "not a key");
        // Another CA's key does not pass for this one's.
        let other = home.join("other");
        Authority::open(&other, &names()).unwrap();
        std::fs::copy(other.join(TLS_DIR).join(CA_KEY_FILE), &key).unwrap();
        let e = Authority::open(&home, &names()).unwrap_err().to_string();
        assert!(e.contains("does not belong"), "{e}");
        std::fs::remove_file(home.join(TLS_DIR).join(CA_CERT_FILE)).unwrap();
        let e = Authority::open(&home, &names()).unwrap_err().to_string();
        assert!(e.contains("cannot read"), "{e}");
        // A CA made for another domain is not used for this one.
        let e = Authority::open(&other, &Names::new("home.arpa", "box"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not home.arpa"), "{e}");
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn the_ca_is_limited_to_our_names() {
        let home = home();
        let authority = Authority::open(&home, &names()).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&authority.cert_der).unwrap();
        let constraints = cert.name_constraints().unwrap().unwrap().value;
        assert!(cert.name_constraints().unwrap().unwrap().critical);
        let permitted: Vec<String> = constraints
            .permitted_subtrees
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| format!("{:?}", s.base))
            .collect();
        assert_eq!(permitted, ["DNSName(\"home.test\")", "DNSName(\"local\")"]);
        assert_eq!(constraints.excluded_subtrees.as_ref().unwrap().len(), 2);

        // What it signs for our names verifies; for anyone else's, even
        // signed by the same key, webpki refuses it.
        let now = SystemTime::now();
        for name in ["wiki.home.test", "wiki-box.local", "berth.home.test"] {
            let leaf = authority.issue(name, now).unwrap();
            assert!(verify(&authority, &leaf.key.cert, name), "{name}");
        }
        for name in ["example.com", "home.test.evil.com", "bank.test"] {
            let leaf = authority.issue(name, now).unwrap();
            assert!(!verify(&authority, &leaf.key.cert, name), "{name}");
        }
        // A leaf names exactly one host.
        let leaf = authority.issue("wiki.home.test", now).unwrap();
        assert!(!verify(&authority, &leaf.key.cert, "other.home.test"));
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn certificates_are_made_for_our_names_kept_and_renewed() {
        let home = home();
        let authority = Arc::new(Authority::open(&home, &names()).unwrap());
        let certs = Certificates::new(authority.clone(), names());
        let t0 = SystemTime::now();
        assert!(certs.for_name("example.com", t0).is_none());
        assert!(certs.for_name("a.b.home.test", t0).is_none());
        assert!(certs.for_name("my_app.home.test", t0).is_none());
        assert_eq!(certs.kept(), 0);
        let first = certs.for_name("wiki.home.test", t0).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&first.cert[0]).unwrap();
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp())
            / (24 * 3600);
        assert_eq!(days, 90);
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert_eq!(
            format!("{:?}", san.value.general_names),
            "[DNSName(\"wiki.home.test\")]"
        );
        // Kept while more than 30 days are left…
        let later = certs.for_name("Wiki.Home.Test.", t0 + 59 * DAY).unwrap();
        assert!(Arc::ptr_eq(&first, &later));
        // …made again when fewer are.
        let renewed = certs.for_name("wiki.home.test", t0 + 61 * DAY).unwrap();
        assert!(!Arc::ptr_eq(&first, &renewed));
        assert_ne!(first.cert[0], renewed.cert[0]);
        // One local certificate covers one name: another name's request
        // on its connection is misdirected.
        assert!(certs.covers_both("wiki.home.test", "Wiki.Home.Test."));
        assert!(!certs.covers_both("wiki.home.test", "berth.home.test"));
        assert!(!certs.covers_both("wiki.home.test", "jellyfin.home.test"));
        let (_, cert) = x509_parser::parse_x509_certificate(&renewed.cert[0]).unwrap();
        assert!(
            cert.validity().not_after.timestamp() > {
                let t = (t0 + 61 * DAY + 89 * DAY).duration_since(SystemTime::UNIX_EPOCH);
                t.unwrap().as_secs() as i64
            }
        );
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn the_cache_is_bounded() {
        let home = home();
        let authority = Arc::new(Authority::open(&home, &names()).unwrap());
        let certs = Certificates::with_limit(authority, names(), 8);
        let now = SystemTime::now();
        let first = certs.for_name("app0.home.test", now).unwrap();
        for i in 1..20 {
            let at = now + Duration::from_secs(i);
            assert!(certs.for_name(&format!("app{i}.home.test"), at).is_some());
            assert!(certs.kept() <= 8, "{} kept", certs.kept());
        }
        assert_eq!(certs.kept(), 8);
        // The oldest went: asked again, it is made anew.
        let again = certs.for_name("app0.home.test", now).unwrap();
        assert!(!Arc::ptr_eq(&first, &again));
        assert_eq!(certs.kept(), 8);
        std::fs::remove_dir_all(&home).unwrap();
    }
}
