//! A certificate browsers already trust, for users with a real domain: one
//! wildcard certificate `*.<domain>` plus `<domain>` from an ACME CA (Let's
//! Encrypt by default), validated by DNS-01 so the server needs no port open
//! to the internet.
//!
//! The TXT records are published by a command the user gives (the "manual
//! hook" of certbot and acme.sh, so any DNS provider works): it is run as
//! `HOOK set _acme-challenge.<domain> <value>` before validation and `HOOK
//! unset _acme-challenge.<domain> <value>` after, once per value (the
//! wildcard and the domain itself each need one, on the same name). It
//! should return once the record is published.
//!
//! The account key, the certificate and its key are kept under
//! `<home>/tls/acme/` (folder 0700, files 0600), so a restart does not ask
//! for a new one. A certificate with fewer than [`RENEW_DAYS`] days left is
//! renewed; the new one replaces the old in the running proxy. [`Acme`] is
//! the state and one attempt at a time ([`Acme::renew`]); the daemon's task
//! decides when to try ([`Acme::next_wait`]).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};

use super::tls::TLS_DIR;

/// The folder under `<home>/tls/` holding the account and certificate.
pub const ACME_DIR: &str = "acme";
/// Let's Encrypt's production directory, the default.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// A certificate with fewer days left than this is renewed (Let's
/// Encrypt's are valid 90 days).
pub const RENEW_DAYS: u64 = 30;
/// How long the DNS hook may take for one record.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(600);
/// The wait after a first failure; it doubles up to [`LONGEST_RETRY`].
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
pub const LONGEST_RETRY: Duration = Duration::from_secs(6 * 3600);
/// How often a valid certificate is looked at again.
const CHECK_EVERY: Duration = Duration::from_secs(12 * 3600);

const ACCOUNT_FILE: &str = "account.json";
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";
const SOURCE_FILE: &str = "directory";
const DAY: Duration = Duration::from_secs(24 * 3600);

/// What the user chose (`berth serve --acme-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeOptions {
    /// The account's contact address (the CA's expiry mails go there).
    pub email: String,
    /// The command that publishes and removes the TXT records.
    pub hook: PathBuf,
    /// The ACME directory URL.
    pub directory: String,
    /// PEM certificates trusted for the ACME server's own HTTPS (a private
    /// ACME server: step-ca, pebble), instead of the system's roots.
    pub ca_file: Option<PathBuf>,
}

/// Why `domain` cannot have a certificate from a public ACME CA, if so.
pub fn domain_problem(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let private = ["local", "localhost", "home.arpa", "internal", "lan"];
    if let Some(suffix) = private
        .iter()
        .find(|s| domain == **s || domain.ends_with(&format!(".{s}")))
    {
        return Some(format!(
            "{domain} is a name only this network knows (.{suffix}): ACME certificates are for a domain you own in public DNS; set --proxy-domain to one (e.g. home.example.com, with a wildcard DNS record to this server)"
        ));
    }
    if !domain.contains('.')
        || !domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    {
        return Some(format!(
            "{domain} is not a domain name like home.example.com: ACME needs --proxy-domain set to a domain you own"
        ));
    }
    None
}

/// The ACME certificate's state, for people (`berth proxy status`, the
/// system page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AcmeStatus {
    /// The names asked for: `*.<domain>` and `<domain>`.
    pub names: Vec<String>,
    /// The ACME directory.
    pub directory: String,
    /// A certificate from the ACME CA is being served.
    pub issued: bool,
    /// When it expires (RFC 3339).
    pub expires: Option<String>,
    /// When Berth starts renewing it (RFC 3339).
    pub renews: Option<String>,
    /// An attempt is under way.
    pub working: bool,
    /// Why the last attempt failed, if it did (cleared by a success).
    pub last_error: Option<String>,
    /// When the last attempt ended (RFC 3339).
    pub last_attempt: Option<String>,
    /// When the next attempt is due (RFC 3339), after a failure.
    pub next_attempt: Option<String>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// A certificate in use.
#[derive(Clone)]
struct Issued {
    key: Arc<CertifiedKey>,
    not_after: SystemTime,
}

/// One domain's ACME certificate: kept on disk, served from memory,
/// renewed by [`Acme::renew`].
pub struct Acme {
    dir: PathBuf,
    domain: String,
    options: AcmeOptions,
    current: RwLock<Option<Issued>>,
    status: Mutex<AcmeStatus>,
    failures: Mutex<u32>,
}

impl std::fmt::Debug for Acme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acme")
            .field("dir", &self.dir)
            .field("domain", &self.domain)
            .finish()
    }
}

impl Acme {
    /// The ACME state for `domain` under `<home>/tls/acme/` (made, 0700),
    /// with the certificate kept there if it is for this domain and
    /// directory and still valid. `<home>/tls/` must exist (the local CA
    /// makes it).
    pub fn open(home: &Path, domain: &str, options: AcmeOptions) -> crate::Result<Arc<Acme>> {
        if let Some(problem) = domain_problem(domain) {
            return Err(crate::Error::BadRequest { message: problem });
        }
        let dir = home.join(TLS_DIR).join(ACME_DIR);
        let made = std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(&dir)
            .and_then(|_| std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o700)));
        made.map_err(|cause| crate::Error::Write {
            path: dir.clone(),
            cause,
        })?;
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let acme = Acme {
            status: Mutex::new(AcmeStatus {
                names: vec![format!("*.{domain}"), domain.clone()],
                directory: options.directory.clone(),
                ..AcmeStatus::default()
            }),
            dir,
            domain,
            options,
            current: RwLock::new(None),
            failures: Mutex::new(0),
        };
        match acme.load() {
            Ok(Some(issued)) => acme.install(issued),
            Ok(None) => {}
            Err(e) => {
                eprintln!(
                    "berth: ACME: the kept certificate is not used ({e}); a new one is asked for"
                )
            }
        }
        Ok(Arc::new(acme))
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The certificate for `name` (lower case, no final dot), if it is
    /// one label under the domain and an unexpired ACME certificate is
    /// there.
    pub fn cert_for(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        let label = name.strip_suffix(&self.domain)?.strip_suffix('.')?;
        if label.is_empty() || label.contains('.') {
            return None;
        }
        let current = self.current.read().unwrap_or_else(|p| p.into_inner());
        let issued = current.as_ref()?;
        (issued.not_after > SystemTime::now()).then(|| issued.key.clone())
    }

    pub fn status(&self) -> AcmeStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How long to wait before the next attempt at `now`: none when there
    /// is no certificate or it is due for renewal (unless a failure's
    /// backoff says later), else until it is due (at most [`CHECK_EVERY`]);
    /// after failures, the backoff.
    pub fn next_wait(&self, now: SystemTime) -> Duration {
        let failures = *self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures > 0 {
            return backoff(failures);
        }
        let due = match &*self.current.read().unwrap_or_else(|p| p.into_inner()) {
            Some(issued) => issued.not_after - Duration::from_secs(RENEW_DAYS * DAY.as_secs()),
            None => now,
        };
        due.duration_since(now).unwrap_or_default().min(CHECK_EVERY)
    }

    /// Whether a certificate is needed at `now` (none, or due).
    pub fn due(&self, now: SystemTime) -> bool {
        match &*self.current.read().unwrap_or_else(|p| p.into_inner()) {
            Some(issued) => {
                issued.not_after < now + Duration::from_secs(RENEW_DAYS * DAY.as_secs())
            }
            None => true,
        }
    }

    /// One attempt: order, validate, keep and serve a new certificate. The
    /// status says how it went; an error also comes back.
    pub async fn renew(&self) -> Result<(), String> {
        self.with_status(|s| s.working = true);
        let result = self.order().await;
        let now = SystemTime::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok(issued) => {
                *failures = 0;
                self.install(issued.clone());
                self.with_status(|s| {
                    s.last_error = None;
                    s.next_attempt = None;
                });
                eprintln!(
                    "berth: ACME certificate for *.{0} and {0} issued, valid until {1}",
                    self.domain,
                    rfc3339(issued.not_after)
                );
            }
            Err(e) => {
                *failures += 1;
                let next = now + backoff(*failures);
                self.with_status(|s| {
                    s.last_error = Some(e.clone());
                    s.next_attempt = Some(rfc3339(next));
                });
                eprintln!(
                    "berth: ACME certificate for {}: {e}; trying again at {}",
                    self.domain,
                    rfc3339(next)
                );
            }
        }
        self.with_status(|s| {
            s.working = false;
            s.last_attempt = Some(rfc3339(now));
        });
        result.map(|_| ())
    }

    fn with_status(&self, change: impl FnOnce(&mut AcmeStatus)) {
        change(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn install(&self, issued: Issued) {
        self.with_status(|s| {
            s.issued = true;
            s.expires = Some(rfc3339(issued.not_after));
            s.renews = Some(rfc3339(
                issued.not_after - Duration::from_secs(RENEW_DAYS * DAY.as_secs()),
            ));
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(issued);
    }

    /// The certificate kept on disk, if it is this directory's, names this
    /// domain and is valid.
    fn load(&self) -> Result<Option<Issued>, String> {
        let cert = self.dir.join(CERT_FILE);
        if !cert.exists() {
            return Ok(None);
        }
        let source = std::fs::read_to_string(self.dir.join(SOURCE_FILE)).unwrap_or_default();
        if source.trim() != self.options.directory {
            return Err(format!(
                "it came from {}, not {}",
                source.trim(),
                self.options.directory
            ));
        }
        let read = |file: &str| {
            std::fs::read_to_string(self.dir.join(file))
                .map_err(|e| format!("cannot read {}: {e}", self.dir.join(file).display()))
        };
        let issued = certified(&read(CERT_FILE)?, &read(KEY_FILE)?, &self.domain)?;
        if issued.not_after <= SystemTime::now() {
            return Err("it has expired".into());
        }
        Ok(Some(issued))
    }

    /// The account: the one kept for this directory, else a new one (kept).
    async fn account(&self) -> Result<Account, String> {
        let builder = || match &self.options.ca_file {
            Some(pem) => Account::builder_with_root(pem)
                .map_err(|e| format!("cannot use {} as the ACME server's CA: {e}", pem.display())),
            None => Account::builder().map_err(|e| format!("no HTTPS client for ACME: {e}")),
        };
        let path = self.dir.join(ACCOUNT_FILE);
        #[derive(Serialize, Deserialize)]
        struct Kept {
            directory: String,
            email: String,
            credentials: AccountCredentials,
        }
        if let Ok(text) = std::fs::read_to_string(&path) {
            match serde_json::from_str::<Kept>(&text) {
                Ok(kept)
                    if kept.directory == self.options.directory
                        && kept.email == self.options.email =>
                {
                    return builder()?
                        .from_credentials(kept.credentials)
                        .await
                        .map_err(|e| {
                            format!("the ACME server {} does not answer: {e}", self.directory())
                        });
                }
                Ok(_) => {} // another directory or address: a new account
                Err(e) => eprintln!(
                    "berth: ACME: {} is unreadable ({e}); a new account is made",
                    path.display()
                ),
            }
        }
        let contact = format!("mailto:{}", self.options.email);
        let (account, credentials) = builder()?
            .create(
                &NewAccount {
                    contact: &[&contact],
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                self.options.directory.clone(),
                None,
            )
            .await
            .map_err(|e| {
                format!(
                    "cannot make an account at the ACME server {}: {e}",
                    self.directory()
                )
            })?;
        let kept = Kept {
            directory: self.options.directory.clone(),
            email: self.options.email.clone(),
            credentials,
        };
        let json = serde_json::to_vec_pretty(&kept).map_err(|e| e.to_string())?;
        write_private(&path, &json)?;
        Ok(account)
    }

    fn directory(&self) -> &str {
        &self.options.directory
    }

    /// Orders the certificate, publishing and then removing the TXT
    /// records, and keeps it on disk.
    async fn order(&self) -> Result<Issued, String> {
        let account = self.account().await?;
        let identifiers = [
            Identifier::Dns(format!("*.{}", self.domain)),
            Identifier::Dns(self.domain.clone()),
        ];
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .map_err(|e| format!("the ACME server refused the order: {e}"))?;
        // Every pending authorization's TXT value, published before any is
        // validated: both go on the same name.
        let mut values = Vec::new();
        {
            let mut authorizations = order.authorizations();
            while let Some(authz) = authorizations.next().await {
                let mut authz = authz.map_err(|e| format!("cannot read an authorization: {e}"))?;
                match authz.status {
                    AuthorizationStatus::Pending => {}
                    AuthorizationStatus::Valid => continue,
                    other => return Err(format!("an authorization is {other:?}")),
                }
                let challenge = authz.challenge(ChallengeType::Dns01).ok_or_else(|| {
                    "the ACME server offers no DNS-01 challenge for a wildcard name".to_string()
                })?;
                values.push(challenge.key_authorization().dns_value());
            }
        }
        let record = format!("_acme-challenge.{}", self.domain);
        let mut published = Vec::new();
        let mut outcome = Ok(());
        for value in &values {
            match self.hook("set", &record, value).await {
                Ok(()) => published.push(value.clone()),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        if outcome.is_ok() {
            outcome = self.validate(&mut order).await;
        }
        for value in &published {
            if let Err(e) = self.hook("unset", &record, value).await {
                eprintln!("berth: ACME: {e}");
            }
        }
        outcome?;
        // The key and the request for the certificate.
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| format!("cannot make a key: {e}"))?;
        let mut params =
            CertificateParams::new(vec![format!("*.{}", self.domain), self.domain.clone()])
                .map_err(|e| format!("cannot name the certificate: {e}"))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        let csr = params
            .serialize_request(&key)
            .map_err(|e| format!("cannot make the certificate request: {e}"))?;
        order
            .finalize_csr(csr.der())
            .await
            .map_err(|e| format!("the ACME server refused the certificate request: {e}"))?;
        let chain = order
            .poll_certificate(&retries())
            .await
            .map_err(|e| format!("no certificate from the ACME server: {e}"))?;
        let key_pem = key.serialize_pem();
        let issued = certified(&chain, &key_pem, &self.domain)?;
        write_private(&self.dir.join(KEY_FILE), key_pem.as_bytes())?;
        write_private(&self.dir.join(CERT_FILE), chain.as_bytes())?;
        write_private(
            &self.dir.join(SOURCE_FILE),
            self.options.directory.as_bytes(),
        )?;
        Ok(issued)
    }

    /// Tells the CA the records are there and waits for its verdict.
    async fn validate(&self, order: &mut instant_acme::Order) -> Result<(), String> {
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.map_err(|e| format!("cannot read an authorization: {e}"))?;
            if authz.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut challenge) = authz.challenge(ChallengeType::Dns01) {
                challenge
                    .set_ready()
                    .await
                    .map_err(|e| format!("the ACME server did not take the challenge: {e}"))?;
            }
        }
        let status = order.poll_ready(&retries()).await.map_err(|e| {
            format!(
                "DNS validation of _acme-challenge.{} failed: {e}",
                self.domain
            )
        })?;
        if status != OrderStatus::Ready {
            let detail = order
                .state()
                .error
                .as_ref()
                .map(|p| format!(": {p}"))
                .unwrap_or_default();
            return Err(format!(
                "DNS validation of _acme-challenge.{} failed (the order is {status:?}{detail}); check that the hook published the TXT record in public DNS",
                self.domain
            ));
        }
        Ok(())
    }

    /// Runs the hook as `HOOK <action> <record> <value>`, within
    /// [`HOOK_TIMEOUT`].
    async fn hook(&self, action: &str, record: &str, value: &str) -> Result<(), String> {
        let hook = &self.options.hook;
        let mut command = tokio::process::Command::new(hook);
        command
            .args([action, record, value])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let run = command.output();
        let output = match tokio::time::timeout(HOOK_TIMEOUT, run).await {
            Err(_) => {
                return Err(format!(
                    "the DNS hook `{} {action} {record}` did not finish within {} s",
                    hook.display(),
                    HOOK_TIMEOUT.as_secs()
                ))
            }
            Ok(Err(e)) => return Err(format!("cannot run the DNS hook {}: {e}", hook.display())),
            Ok(Ok(output)) => output,
        };
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        let tail: String = if stderr.len() > 2000 {
            let cut = stderr.len() - 2000;
            let cut = (cut..stderr.len())
                .find(|i| stderr.is_char_boundary(*i))
                .unwrap_or(cut);
            format!("…{}", &stderr[cut..])
        } else {
            stderr.to_string()
        };
        Err(format!(
            "the DNS hook `{} {action} {record}` failed ({}){}",
            hook.display(),
            output.status,
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            }
        ))
    }
}

/// The wait after `failures` failures in a row: 1 min, 2, 4… up to 6 h.
pub fn backoff(failures: u32) -> Duration {
    let doubled = FIRST_RETRY.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled.min(LONGEST_RETRY)
}

/// How long to poll the CA for a verdict.
fn retries() -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(Duration::from_millis(500))
        .backoff(1.5)
        .timeout(Duration::from_secs(180))
}

/// The certificate chain `chain` (PEM) with its key, ready for rustls, if
/// it names `*.domain` and `domain`.
fn certified(chain: &str, key_pem: &str, domain: &str) -> Result<Issued, String> {
    let certs = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the certificate is not PEM: {e}"))?;
    let leaf = certs.first().ok_or("the certificate chain is empty")?;
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| format!("the certificate does not read: {e}"))?;
    let names: Vec<String> = parsed
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => {
                        Some(d.to_ascii_lowercase())
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    for wanted in [format!("*.{domain}"), domain.to_string()] {
        if !names.contains(&wanted) {
            return Err(format!(
                "the certificate does not name {wanted} (it names {})",
                names.join(", ")
            ));
        }
    }
    let not_after = SystemTime::UNIX_EPOCH
        + Duration::from_secs(parsed.validity().not_after.timestamp().max(0) as u64);
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| format!("the certificate's key is not PEM: {e}"))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| format!("rustls refuses the certificate's key: {e}"))?;
    Ok(Issued {
        key: Arc::new(CertifiedKey::new(certs, signing)),
        not_after,
    })
}

/// Writes `bytes` to `path` (mode 0600) through a new file renamed into
/// place.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_domains() {
        assert!(domain_problem("home.example.com").is_none());
        assert!(domain_problem("example.test.").is_none());
        for private in ["box.local", "local", "x.home.arpa", "lan", "a.internal"] {
            let problem = domain_problem(private).unwrap();
            assert!(problem.contains("only this network knows"), "{problem}");
        }
        assert!(domain_problem("localhost").is_some());
        assert!(domain_problem("example").is_some());
        assert!(domain_problem("a..b").is_some());
    }

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(2), Duration::from_secs(120));
        assert_eq!(backoff(5), Duration::from_secs(960));
        assert_eq!(backoff(12), LONGEST_RETRY);
        assert_eq!(backoff(60), LONGEST_RETRY);
    }

    #[test]
    fn the_certificate_serves_one_label_under_the_domain_only() {
        let home = std::env::temp_dir().join(format!("berth-acme-{}", std::process::id()));
        std::fs::create_dir_all(home.join(TLS_DIR)).unwrap();
        let options = AcmeOptions {
            email: "a@example.com".into(),
            hook: "/bin/false".into(),
            directory: "https://acme.invalid/dir".into(),
            ca_file: None,
        };
        assert!(Acme::open(&home, "box.local", options.clone()).is_err());
        let acme = Acme::open(&home, "Example.Test", options).unwrap();
        let dir = home.join(TLS_DIR).join(ACME_DIR);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(acme.due(SystemTime::now()));
        assert_eq!(acme.next_wait(SystemTime::now()), Duration::ZERO);
        // A self-made stand-in for the CA's certificate.
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let params =
            CertificateParams::new(vec!["*.example.test".into(), "example.test".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let issued = certified(&cert.pem(), &key.serialize_pem(), "example.test").unwrap();
        assert!(certified(&cert.pem(), &key.serialize_pem(), "other.test").is_err());
        acme.install(issued);
        assert!(acme.cert_for("app.example.test").is_some());
        assert!(acme.cert_for("a.b.example.test").is_none());
        assert!(acme.cert_for("example.test").is_none());
        assert!(acme.cert_for("app-box.local").is_none());
        assert!(acme.cert_for("appexample.test").is_none());
        // The wildcard covers every app's name: a browser may ask for one
        // app on another's connection (HTTP/2 coalescing), not for a name
        // it does not cover.
        let names = crate::proxy::Names::new("example.test", "box");
        let ca_home = home.join("local-ca");
        std::fs::create_dir_all(&ca_home).unwrap();
        let authority = Arc::new(crate::proxy::tls::Authority::open(&ca_home, &names).unwrap());
        let certs = crate::proxy::tls::Certificates::new(authority, names).with_acme(acme.clone());
        assert!(certs.covers_both("app.example.test", "Other.Example.Test"));
        assert!(!certs.covers_both("app.example.test", "app-box.local"));
        assert!(!certs.covers_both("app.example.test", "example.test"));
        let status = acme.status();
        assert!(status.issued);
        assert_eq!(status.names, ["*.example.test", "example.test"]);
        std::fs::remove_dir_all(&home).unwrap();
    }
}
