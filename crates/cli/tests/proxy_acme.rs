//! ACME for a real domain (`berth serve --acme-email … --acme-dns-hook …`),
//! against a real ACME server: Debian's `pebble`, validating DNS-01 through
//! `pebble-challtestsrv`'s DNS, whose TXT records the hook script sets over
//! its HTTP API with curl. The daemon gets one certificate for
//! `*.example.test` and `example.test`, served for Berth's and apps' names
//! under the domain and verifying against pebble's root; the hook was run
//! with `set` and `unset` for two values; a restart serves the same
//! certificate without asking again. A hook that fails leaves its stderr in
//! `berth proxy status` and the local CA serving. A `.local` domain, or
//! none, is refused at start (exit 2).

mod common;

use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const DOMAIN: &str = "example.test";

/// Fails the test unless `tool` is installed.
fn require(tool: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: install Debian's pebble package (sudo apt-get install pebble, or scripts/setup)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Pebble and its DNS, running; the CA its HTTPS is signed by.
struct Pebble {
    directory: String,
    management: u16,
    challtest: u16,
    tls_ca: PathBuf,
    _processes: Vec<Running>,
}

impl Pebble {
    fn start(dir: &Path) -> Pebble {
        let pebble = require("pebble");
        let challtestsrv = require("pebble-challtestsrv");
        std::fs::create_dir_all(dir).unwrap();
        // Pebble's own HTTPS: a CA of the test's and a certificate for 127.0.0.1.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pebble test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap();
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let cert = params.signed_by(&key, &issuer).unwrap();
        let tls_ca = dir.join("pebble-ca.pem");
        std::fs::write(&tls_ca, ca_cert.pem()).unwrap();
        std::fs::write(dir.join("pebble.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("pebble.key"), key.serialize_pem()).unwrap();

        let (dns, challtest, listen, management) =
            (free_port(), free_port(), free_port(), free_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{listen}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": dir.join("pebble.pem"),
                "privateKey": dir.join("pebble.key"),
                "httpPort": free_port(),
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
        let log = |name: &str| std::fs::File::create(dir.join(name)).unwrap();
        let dns_server = Command::new(challtestsrv)
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-management", &format!("127.0.0.1:{challtest}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .stdout(log("challtestsrv.log"))
            .stderr(log("challtestsrv.err"))
            .spawn()
            .unwrap();
        let dns_server = Running(dns_server);
        wait_for_port(
            challtest,
            "pebble-challtestsrv",
            &dir.join("challtestsrv.log"),
        );
        let server = Command::new(pebble)
            .arg("-config")
            .arg(dir.join("pebble.json"))
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            .env("PEBBLE_VA_NOSLEEP", "1")
            // Every nonce good: the test is about DNS-01, not nonce retries.
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(log("pebble.log"))
            .stderr(Stdio::from(log("pebble.err")))
            .spawn()
            .unwrap();
        let server = Running(server);
        wait_for_port(listen, "pebble", &dir.join("pebble.log"));
        wait_for_port(
            management,
            "pebble's management API",
            &dir.join("pebble.log"),
        );
        Pebble {
            directory: format!("https://127.0.0.1:{listen}/dir"),
            management,
            challtest,
            tls_ca,
            _processes: vec![server, dns_server],
        }
    }

    /// The root pebble signs certificates under (made anew each run).
    fn root(&self) -> String {
        let ca = std::fs::read(&self.tls_ca).unwrap();
        let client = reqwest::blocking::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .build()
            .unwrap();
        let root = client
            .get(format!("https://127.0.0.1:{}/roots/0", self.management))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .unwrap();
        assert!(root.contains("BEGIN CERTIFICATE"), "{root}");
        root
    }
}

/// The hook: sets and clears TXT records through challtestsrv's API,
/// logging each call.
fn hook_script(dir: &Path, challtest: u16) -> PathBuf {
    let path = dir.join("dns-hook");
    let log = dir.join("hook.log");
    std::fs::write(
        &path,
        format!(
            r#"#!/bin/sh
set -e
echo "$1 $2 $3" >> {log}
api=http://127.0.0.1:{challtest}
case "$1" in
  set) curl -sSf -X POST -d "{{\"host\":\"$2.\",\"value\":\"$3\"}}" $api/set-txt ;;
  unset) curl -sSf -X POST -d "{{\"host\":\"$2.\"}}" $api/clear-txt ;;
  *) echo "unknown action $1" >&2; exit 2 ;;
esac
"#,
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn failing_hook(dir: &Path) -> PathBuf {
    let path = dir.join("failing-hook");
    std::fs::write(
        &path,
        "#!/bin/sh\necho \"no API token for $2 at the DNS provider\" >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn addr_in(home: &Path, file: &str) -> SocketAddr {
    let start = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(home.join(file)) {
            return addr.trim().parse().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not say where its HTTPS proxy listens: {}",
            std::fs::read_to_string(home.join("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `berth proxy status --json`'s `acme`, once `done` says so (within 120 s).
fn acme_status(home: &Path, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let status = json(&berth_ok(home, &["proxy", "status", "--json"]));
        let acme = status["acme"].clone();
        assert!(acme.is_object(), "no ACME status: {status}");
        if done(&acme) {
            return acme;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the ACME status stayed {acme}; daemon log: {}",
            std::fs::read_to_string(home.join("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// GETs `https://name:port/` from `tls`, trusting only `ca`; the server's
/// certificate (DER) and the status.
fn fetch(ca: &str, tls: SocketAddr, name: &str) -> Result<(Vec<u8>, u16), String> {
    let client = reqwest::blocking::Client::builder()
        .resolve(name, tls)
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
        .tls_info(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let response = client
        .get(format!("https://{name}:{}/", tls.port()))
        .send()
        .map_err(|e| format!("{e:?}"))?;
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .unwrap();
    let cert = info.peer_certificate().unwrap().to_vec();
    Ok((cert, response.status().as_u16()))
}

fn env<'a>(
    tls_home: &'a str,
    directory: &'a str,
    hook: &'a str,
    ca: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("BERTH_PROXY_TLS_LISTEN", tls_home),
        ("BERTH_PROXY_DOMAIN", DOMAIN),
        ("BERTH_MDNS", "off"),
        ("BERTH_ACME_EMAIL", "admin@example.test"),
        ("BERTH_ACME_DNS_HOOK", hook),
        ("BERTH_ACME_DIRECTORY", directory),
        ("BERTH_ACME_CA_FILE", ca),
    ]
}

#[test]
fn a_wildcard_certificate_by_dns01_from_pebble() {
    let work = TempHome::new("acme-work");
    let pebble = Pebble::start(&work.path().join("pebble"));
    let hook = hook_script(work.path(), pebble.challtest);
    let home = TempHome::new("acme");
    let home = home.path();
    let tls_ca = pebble.tls_ca.to_str().unwrap().to_string();
    let hook_arg = hook.to_str().unwrap().to_string();
    let vars = env("127.0.0.1:0", &pebble.directory, &hook_arg, &tls_ca);
    let daemon = start_daemon_with(home, &vars);
    let tls = addr_in(home, berth_api::PROXY_TLS_ADDR_FILE);

    let acme = acme_status(home, |a| a["issued"] == true || a["lastError"].is_string());
    assert_eq!(acme["issued"], true, "{acme}");
    assert_eq!(
        acme["names"],
        serde_json::json!(["*.example.test", "example.test"])
    );
    assert!(acme["lastError"].is_null(), "{acme}");
    assert!(acme["expires"].as_str().unwrap().ends_with('Z'), "{acme}");

    // The hook set two values on the one name, then removed them.
    let calls = std::fs::read_to_string(work.path().join("hook.log")).unwrap();
    let calls: Vec<Vec<&str>> = calls.lines().map(|l| l.split(' ').collect()).collect();
    let record = "_acme-challenge.example.test";
    let of = |action: &str| -> Vec<&str> {
        calls
            .iter()
            .filter(|c| c[0] == action)
            .map(|c| {
                assert_eq!(c[1], record, "{calls:?}");
                c[2]
            })
            .collect()
    };
    let set = of("set");
    assert_eq!(set.len(), 2, "{calls:?}");
    assert_ne!(set[0], set[1], "{calls:?}");
    assert_eq!(of("unset"), set, "{calls:?}");
    assert_eq!(calls.len(), 4, "{calls:?}");

    // What is kept on disk is root's only.
    let mode = |p: &str| {
        std::fs::metadata(home.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("tls/acme"), 0o700);
    for file in ["account.json", "key.pem", "cert.pem"] {
        assert_eq!(mode(&format!("tls/acme/{file}")), 0o600, "{file}");
    }

    // Berth and apps by name present a chain to pebble's root.
    let root = pebble.root();
    let (berth_cert, status) = fetch(&root, tls, "berth.example.test").unwrap();
    assert!(status < 500, "{status}");
    let (app_cert, status) = fetch(&root, tls, "app.example.test").unwrap();
    assert_eq!(status, 404, "no app is installed under that name");
    assert_eq!(berth_cert, app_cert, "one wildcard certificate");
    let (_, parsed) = x509_parser::parse_x509_certificate(&berth_cert).unwrap();
    let san = format!(
        "{:?}",
        parsed
            .subject_alternative_name()
            .unwrap()
            .unwrap()
            .value
            .general_names
    );
    assert!(san.contains("\"*.example.test\""), "{san}");
    // The local CA no longer vouches for those names.
    let local_ca = std::fs::read_to_string(home.join("tls/ca.crt")).unwrap();
    assert!(fetch(&local_ca, tls, "berth.example.test").is_err());

    let shown = text(&berth_ok(home, &["proxy", "status"]));
    assert!(shown.contains("certificate: issued, expires"), "{shown}");
    let system = json(&berth_ok(home, &["system", "--json"]));
    assert_eq!(system["acme"]["issued"], true, "{system}");

    // After a restart the kept certificate is served, the hook not run again.
    drop(daemon);
    let _daemon = start_daemon_with(home, &vars);
    let tls = addr_in(home, berth_api::PROXY_TLS_ADDR_FILE);
    let acme = acme_status(home, |a| a["issued"] == true);
    assert!(acme["lastAttempt"].is_null(), "no new order: {acme}");
    let (again, _) = fetch(&root, tls, "berth.example.test").unwrap();
    assert_eq!(again, berth_cert);
    let calls_after = std::fs::read_to_string(work.path().join("hook.log")).unwrap();
    assert_eq!(calls_after.lines().count(), 4, "{calls_after}");
}

#[test]
fn a_failing_hook_is_reported_and_the_local_ca_keeps_serving() {
    let work = TempHome::new("acme-fail-work");
    let pebble = Pebble::start(&work.path().join("pebble"));
    let hook = failing_hook(work.path());
    let home = TempHome::new("acme-fail");
    let home = home.path();
    let tls_ca = pebble.tls_ca.to_str().unwrap().to_string();
    let hook_arg = hook.to_str().unwrap().to_string();
    let _daemon = start_daemon_with(
        home,
        &env("127.0.0.1:0", &pebble.directory, &hook_arg, &tls_ca),
    );
    let tls = addr_in(home, berth_api::PROXY_TLS_ADDR_FILE);
    let acme = acme_status(home, |a| a["lastError"].is_string());
    let error = acme["lastError"].as_str().unwrap();
    assert!(error.contains("the DNS hook"), "{error}");
    assert!(error.contains("exit status: 3"), "{error}");
    assert!(
        error.contains("no API token for _acme-challenge.example.test at the DNS provider"),
        "{error}"
    );
    assert_eq!(acme["issued"], false, "{acme}");
    assert!(acme["nextAttempt"].is_string(), "{acme}");
    let shown = text(&berth_ok(home, &["proxy", "status"]));
    assert!(shown.contains("last error: the DNS hook"), "{shown}");
    assert!(shown.contains("certificate: none yet"), "{shown}");

    // Meanwhile the local CA's certificate is served for the same names.
    let local_ca = std::fs::read_to_string(home.join("tls/ca.crt")).unwrap();
    let (_, status) = fetch(&local_ca, tls, "berth.example.test").unwrap();
    assert!(status < 500, "{status}");
    assert!(fetch(&pebble.root(), tls, "berth.example.test").is_err());
}

#[test]
fn acme_needs_a_real_domain_and_a_hook() {
    let home = TempHome::new("acme-refused");
    let home = home.path();
    let serve = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("--home")
            .arg(home)
            .args(["serve", "--listen", "none", "--proxy-listen", "none"])
            .args(["--proxy-tls-listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("BERTH_PROXY_DOMAIN")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        text(&out)
    };
    let hook = [
        "--acme-email",
        "me@example.com",
        "--acme-dns-hook",
        "/bin/true",
    ];
    let local = serve(&[&hook[..], &["--proxy-domain", "box.local"]].concat());
    assert!(local.contains("only this network knows"), "{local}");
    let none = serve(&hook);
    assert!(none.contains("set --proxy-domain"), "{none}");
    let no_hook = serve(&["--acme-email", "me@example.com", "--proxy-domain", DOMAIN]);
    assert!(no_hook.contains("--acme-dns-hook PATH"), "{no_hook}");
    let plain = serve(&[
        "--acme-email",
        "me@example.com",
        "--acme-dns-hook",
        "/bin/true",
        "--proxy-domain",
        DOMAIN,
        "--acme-directory",
        "http://127.0.0.1:1/dir",
    ]);
    assert!(plain.contains("https:// URL"), "{plain}");
    assert!(!home.join("tls").exists(), "nothing was made");
}
