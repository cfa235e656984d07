//! The reverse proxy (`berth serve` with `BERTH_PROXY_LISTEN`), against the
//! real daemon, engine and registry, one daemon for the file: apps installed
//! from compose files answer by name (`<app>.<domain>`, `<app>-<server>.local`)
//! at their containers' addresses, Berth itself as `berth.<domain>`; an
//! unknown app is 404, a foreign name 421; a 100 MB download streams with
//! the daemon's memory flat; Berth's session never reaches an app; a
//! WebSocket handshake and its frames pass both ways; a stopped app is 503
//! until it is started again. The same over HTTPS (`BERTH_PROXY_TLS_LISTEN`):
//! a client trusting only the server's own CA reaches apps and Berth by name
//! (HTTP/2 and HTTP/1.1, WebSocket), each name with a certificate of its
//! own; a client without the CA, or a name not ours, gets nowhere; the CA
//! is the same after a restart.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const DOMAIN: &str = "home.test";
const IMAGE: &str = "127.0.0.1:5000/berth-test/box:1.0";
const BIG: u64 = 100 * 1024 * 1024;

/// Static pages from its data folder (the test writes them there).
fn pages_app(port: u16) -> String {
    format!(
        "services:\n  web:\n    image: {IMAGE}\n    command: [sh, -c, \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n    volumes: ['./data:/www']\n    ports: ['{port}:80']\n"
    )
}

/// Answers with the request it received (busybox httpd's CGI passes every
/// header as `HTTP_*`), like ui/e2e/sniffer.
fn sniffer_app(port: u16) -> String {
    format!(
        r#"services:
  web:
    image: {IMAGE}
    command:
      - sh
      - -c
      - |
        mkdir -p /srv/cgi-bin
        printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv\n' > /srv/cgi-bin/index.cgi
        chmod 755 /srv/cgi-bin/index.cgi
        trap 'exit 0' TERM
        httpd -f -p 80 -h /srv &
        wait
    ports: ['{port}:80']
"#
    )
}

/// A WebSocket echo: busybox nc runs `/data/ws.sh` (the test writes it) for
/// each connection, which answers the handshake and sends back what it gets.
fn echo_app(port: u16) -> String {
    format!(
        "services:\n  ws:\n    image: {IMAGE}\n    command: [sh, -c, \"trap 'exit 0' TERM; nc -ll -p 80 -e /data/ws.sh & wait\"]\n    volumes: ['./data:/data']\n    ports: ['{port}:80']\n"
    )
}

/// The handshake in sh: `Sec-WebSocket-Accept` is base64(sha1(key + GUID))
/// (RFC 6455 §4.2.2), then `cat` echoes the frames as they come.
const WS_SCRIPT: &str = r#"#!/bin/sh
key=
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(echo "${line#*:}" | tr -d ' ') ;; esac
done
sum=$(printf '%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11' "$key" | sha1sum | cut -d' ' -f1)
accept=$(printf "$(echo "$sum" | sed 's/../\\x&/g')" | base64)
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' "$accept"
exec cat
"#;

/// A client that sends every name it is given to the proxy, as a resolver
/// pointing those names at this server would.
fn client(proxy: SocketAddr, names: &[&str]) -> reqwest::blocking::Client {
    names
        .iter()
        .fold(reqwest::blocking::Client::builder(), |b, name| {
            b.resolve(name, proxy)
        })
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn proxy_addr(home: &Path) -> SocketAddr {
    addr_in(home, berth_api::PROXY_ADDR_FILE)
}

fn addr_in(home: &Path, file: &str) -> SocketAddr {
    let start = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(home.join(file)) {
            return addr.trim().parse().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not say where its proxy listens"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim().to_ascii_lowercase();
    name.split('.').next().unwrap().to_string()
}

#[test]
fn the_proxy_serves_apps_and_berth_by_name() {
    require_testbed();
    let home = TempHome::new("proxy");
    let (alpha, beta, echo) = ("proxy-alpha", "proxy-beta", "proxy-echo");
    let _cleanup = [alpha, beta, echo].map(AppCleanup::new);
    let daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_TLS_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", DOMAIN),
        ],
    );
    let proxy = proxy_addr(&home);
    let tls = addr_in(&home, berth_api::PROXY_TLS_ADDR_FILE);
    let port = proxy.port();
    let name = |app: &str| format!("{app}.{DOMAIN}");
    let local = format!("{alpha}-{}.local", short_hostname());
    let berth_name = name("berth");
    let (alpha_name, beta_name, echo_name) = (name(alpha), name(beta), name(echo));
    let http = client(
        proxy,
        &[
            &alpha_name,
            &beta_name,
            &berth_name,
            &local,
            "nosuch.home.test",
            "evil.test",
        ],
    );
    let url = |host: &str, path: &str| format!("http://{host}:{port}{path}");

    for (app, compose) in [
        (alpha, pages_app(18501)),
        (beta, sniffer_app(18502)),
        (echo, echo_app(18503)),
    ] {
        let file = berth_testkit::write_compose(&home, app, &compose);
        berth_ok(&home, &["install", file.to_str().unwrap(), "--id", app]);
    }
    let data = |app: &str| home.join("apps").join(app).join("data");
    std::fs::write(data(alpha).join("index.html"), "alpha page\n").unwrap();
    let script = data(echo).join("ws.sh");
    std::fs::write(&script, WS_SCRIPT).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Host routing: each name reaches its own app, in both forms.
    let page = http.get(url(&alpha_name, "/")).send().unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.text().unwrap(), "alpha page\n");
    let page = http.get(url(&local, "/")).send().unwrap();
    assert_eq!(page.text().unwrap(), "alpha page\n", "{local}");
    let seen = http
        .get(url(&beta_name, "/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(seen.contains("SERVER_PROTOCOL=HTTP/1.1"), "{seen}");
    assert!(
        seen.contains(&format!("HTTP_HOST={beta_name}:{port}")),
        "the app sees the name it was asked by: {seen}"
    );

    // Cleartext HTTP/2 (prior knowledge) reaches the same app.
    let h2 = reqwest::blocking::Client::builder()
        .resolve(&alpha_name, proxy)
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let page = h2.get(url(&alpha_name, "/")).send().unwrap();
    assert_eq!(page.version(), reqwest::Version::HTTP_2);
    assert_eq!(page.text().unwrap(), "alpha page\n");

    // Unknown app: 404 with a page; not our name at all: 421.
    let missing = http.get(url("nosuch.home.test", "/")).send().unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().unwrap().contains("No such app"));
    let foreign = http.get(url("evil.test", "/")).send().unwrap();
    assert_eq!(foreign.status(), 421);

    // Berth itself, by its own name: first-run setup and a command through
    // the proxy, with the session it gives.
    let health = http.get(url(&berth_name, "/api/health")).send().unwrap();
    assert_eq!(health.status(), 200);
    let ui = http
        .get(url(&berth_name, "/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(ui.to_ascii_lowercase().contains("<!doctype html"), "{ui}");
    let setup = http
        .post(url(&berth_name, "/api/setup"))
        .json(&serde_json::json!({"user": "admin", "password": "a long passphrase", "code": setup_code(&home)}))
        .send()
        .unwrap();
    let session = WebSession::from_login(&url(&berth_name, ""), setup);
    let apps = http
        .post(url(&berth_name, "/api/apps"))
        .header("cookie", &session.cookie)
        .header("x-berth-session-key", &session.key)
        .json(&serde_json::json!({}))
        .send()
        .unwrap();
    assert_eq!(apps.status(), 200);
    assert!(apps.text().unwrap().contains(alpha));

    // Berth's session cookie and key never reach an app; its own cookies do,
    // and the X-Forwarded headers say where the request came from.
    assert!(
        session.cookie.starts_with("berth_session="),
        "{}",
        session.cookie
    );
    let seen = http
        .get(url(&beta_name, "/"))
        .header("cookie", format!("theme=dark; {}; lang=en", session.cookie))
        .header("x-berth-session-key", &session.key)
        .header("x-forwarded-for", "10.9.8.7")
        .send()
        .unwrap()
        .text()
        .unwrap();
    let token = session.cookie.split_once('=').unwrap().1;
    assert!(!seen.contains(token), "the app got Berth's session: {seen}");
    assert!(
        !seen.contains(&session.key),
        "the app got Berth's key: {seen}"
    );
    assert!(!seen.contains("berth_session"), "{seen}");
    assert!(seen.contains("HTTP_COOKIE=theme=dark; lang=en"), "{seen}");
    assert!(
        seen.contains("HTTP_X_FORWARDED_FOR=10.9.8.7, 127.0.0.1"),
        "{seen}"
    );
    assert!(seen.contains("HTTP_X_FORWARDED_PROTO=http"), "{seen}");
    assert!(
        seen.contains(&format!("HTTP_X_FORWARDED_HOST={beta_name}:{port}")),
        "{seen}"
    );
    let only_berth = http
        .get(url(&beta_name, "/"))
        .header("cookie", &session.cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!only_berth.contains("HTTP_COOKIE"), "{only_berth}");

    download_streams(&http, &url(&alpha_name, "/big"), &data(alpha), daemon.id());
    websocket_echoes(proxy, &echo_name);

    let ca = https_by_name(
        &home,
        tls,
        [&alpha_name, &beta_name, &echo_name, &berth_name],
    );

    // A stopped app answers 503 once the short-lived route is looked up again.
    berth_ok(&home, &["stop", beta]);
    std::thread::sleep(Duration::from_secs(3));
    let stopped = http.get(url(&beta_name, "/")).send().unwrap();
    assert_eq!(stopped.status(), 503);
    assert!(stopped.text().unwrap().contains("not running"));
    // Started again, it answers by name again (a stopped app is not kept).
    berth_ok(&home, &["start", beta]);
    let start = Instant::now();
    loop {
        let status = http.get(url(&beta_name, "/")).send().unwrap().status();
        if status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the started app still answers {status} through the proxy"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The CA is kept: after a restart it is the same one devices trust.
    drop(daemon);
    let _daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_TLS_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", DOMAIN),
        ],
    );
    let tls = addr_in(&home, berth_api::PROXY_TLS_ADDR_FILE);
    assert!(
        !home.join(berth_api::PROXY_ADDR_FILE).exists(),
        "the HTTP proxy was not asked for this time"
    );
    let after = std::fs::read_to_string(home.join("tls/ca.crt")).unwrap();
    assert_eq!(fingerprint_of(&after), fingerprint_of(&ca));
    let page = trusting(&ca, tls, &[&alpha_name])
        .get(format!("https://{alpha_name}:{}/", tls.port()))
        .send()
        .unwrap();
    assert_eq!(page.text().unwrap(), "alpha page\n");
    let shown = berth_ok(&home, &["proxy", "ca"]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains(&fingerprint_of(&ca)), "{shown}");
}

/// The HTTPS side: the CA as the web UI offers it, apps and Berth by name
/// for a client trusting only that CA, the certificate per name, the
/// refusals. Returns the CA (PEM).
fn https_by_name(home: &Path, tls: SocketAddr, [alpha, beta, echo, berth]: [&str; 4]) -> String {
    let port = tls.port();
    let url = |host: &str, path: &str| format!("https://{host}:{port}{path}");
    let ca = std::fs::read_to_string(home.join("tls/ca.crt")).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let mode = |p: &str| {
        std::fs::metadata(home.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("tls"), 0o700);
    assert_eq!(mode("tls/ca.key"), 0o600);

    // The web UI offers the CA to anyone (it is public), as a download.
    let offered = reqwest::blocking::get(format!("{}/ca.crt", http_base(home))).unwrap();
    assert_eq!(offered.status(), 200);
    assert_eq!(
        offered.headers()["content-type"],
        "application/x-x509-ca-cert"
    );
    let disposition = offered.headers()["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"berth-{}-ca.crt\"", short_hostname())
    );
    assert_eq!(offered.text().unwrap(), ca);

    let client = trusting(
        &ca,
        tls,
        &[alpha, beta, berth, "evil.test", "a.b.home.test"],
    );
    // HTTP/2 by ALPN, the name's own certificate.
    let page = client.get(url(alpha, "/")).send().unwrap();
    assert_eq!(page.version(), reqwest::Version::HTTP_2);
    let info = page.extensions().get::<reqwest::tls::TlsInfo>().unwrap();
    let der = info.peer_certificate().expect("a certificate").to_vec();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    assert_eq!(
        format!("{:?}", san.value.general_names),
        format!("[DNSName({alpha:?})]")
    );
    assert!(
        cert.issuer().to_string().contains("Berth local CA for"),
        "{}",
        cert.issuer()
    );
    assert_eq!(page.text().unwrap(), "alpha page\n");
    // HTTP/1.1 too.
    let h1 = trusting_with(&ca, tls, &[alpha], |b| b.http1_only());
    let page = h1.get(url(alpha, "/")).send().unwrap();
    assert_eq!(page.version(), reqwest::Version::HTTP_11);
    assert_eq!(page.text().unwrap(), "alpha page\n");

    // The app learns it was asked over HTTPS, and by which name.
    let seen = client.get(url(beta, "/")).send().unwrap().text().unwrap();
    assert!(seen.contains("HTTP_X_FORWARDED_PROTO=https"), "{seen}");
    assert!(seen.contains(&format!("HTTP_HOST={beta}:{port}")), "{seen}");

    // Berth itself: the CA there too, and a login whose cookie is Secure.
    let health = client.get(url(berth, "/api/health")).send().unwrap();
    assert_eq!(health.status(), 200);
    let offered = client.get(url(berth, "/ca.crt")).send().unwrap();
    assert_eq!(offered.text().unwrap(), ca);
    let login = client
        .post(url(berth, "/api/login"))
        // As the page at that name sends it (over HTTP/2 the name is the authority).
        .header("origin", format!("https://{berth}:{port}"))
        .json(&serde_json::json!({"user": "admin", "password": "a long passphrase"}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("berth_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");

    // A WebSocket over TLS (HTTP/1.1 by ALPN).
    websocket_echoes_on(tls_stream(&ca, tls, echo).unwrap(), echo);

    // A request for another name than the handshake's (whose certificate
    // does not cover it) is misdirected: 421, so a client asks again on a
    // connection of its own; neither app nor Berth sees it.
    for other in [beta, berth] {
        let mut stream = tls_stream(&ca, tls, alpha).unwrap();
        write!(
            stream,
            "GET /api/health HTTP/1.1\r\nHost: {other}:{port}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        // The answer ends with the connection (with or without close_notify).
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 421"),
            "a request for {other} over {alpha}'s connection: {answer}"
        );
    }

    // No certificate for a name not ours (or not a host name), so no handshake.
    for name in ["evil.test", "a.b.home.test"] {
        let refused = client.get(url(name, "/")).send();
        assert!(refused.is_err(), "{name}: {refused:?}");
        let Err(e) = tls_stream(&ca, tls, name) else {
            panic!("{name}: the handshake succeeded");
        };
        assert!(e.to_lowercase().contains("alert"), "{name}: {e}");
    }
    // A client that does not trust Berth's CA refuses Berth's certificates.
    let stranger = reqwest::blocking::Client::builder()
        .resolve(alpha, tls)
        .build()
        .unwrap();
    let refused = stranger.get(url(alpha, "/")).send();
    assert!(refused.is_err(), "{refused:?}");
    ca
}

/// A client that trusts only `ca` and sends `names` to `tls`.
fn trusting(ca: &str, tls: SocketAddr, names: &[&str]) -> reqwest::blocking::Client {
    trusting_with(ca, tls, names, |b| b)
}

fn trusting_with(
    ca: &str,
    tls: SocketAddr,
    names: &[&str],
    more: impl FnOnce(reqwest::blocking::ClientBuilder) -> reqwest::blocking::ClientBuilder,
) -> reqwest::blocking::Client {
    let ca = reqwest::Certificate::from_pem(ca.as_bytes()).unwrap();
    let builder = names
        .iter()
        .fold(reqwest::blocking::Client::builder(), |b, name| {
            b.resolve(name, tls)
        })
        .tls_certs_only([ca])
        .tls_info(true)
        .timeout(Duration::from_secs(60));
    more(builder).build().unwrap()
}

/// A TLS connection to `tls` asking for `name` (HTTP/1.1 by ALPN), trusting
/// only `ca`, its handshake done; or the handshake's error.
fn tls_stream(
    ca: &str,
    tls: SocketAddr,
    name: &str,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let connection = rustls::ClientConnection::new(std::sync::Arc::new(config), server).unwrap();
    let socket = TcpStream::connect(tls).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .map_err(|e| e.to_string())?;
    }
    assert_eq!(stream.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    Ok(stream)
}

/// `AB:CD:…` of a PEM certificate, as `berth proxy ca` shows it.
fn fingerprint_of(pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    berth_engine::proxy::tls::fingerprint(&der)
}

/// 100 MB of random bytes made in the app's data folder arrive whole and in
/// order, while the daemon's resident memory stays far below their size.
fn download_streams(http: &reqwest::blocking::Client, url: &str, data: &Path, pid: u32) {
    let big = data.join("big");
    let made = std::process::Command::new("dd")
        .args(["if=/dev/urandom", "bs=1M", "count=100", "status=none"])
        .arg(format!("of={}", big.display()))
        .status()
        .unwrap();
    assert!(made.success(), "dd");
    let before = memory_kib(pid, "VmRSS");
    let start = Instant::now();
    let mut response = http.get(url).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(BIG));
    let mut file = std::fs::File::open(&big).unwrap();
    let (mut got, mut want) = (vec![0u8; 256 * 1024], vec![0u8; 256 * 1024]);
    let (mut total, mut peak, mut next_sample) = (0u64, before, 0u64);
    loop {
        let n = response.read(&mut got).unwrap();
        if n == 0 {
            break;
        }
        file.read_exact(&mut want[..n]).unwrap();
        assert!(got[..n] == want[..n], "bytes differ after {total}");
        total += n as u64;
        if total >= next_sample {
            peak = peak.max(memory_kib(pid, "VmRSS"));
            next_sample += 4 * 1024 * 1024;
        }
    }
    let took = start.elapsed();
    assert_eq!(total, BIG);
    let hwm = memory_kib(pid, "VmHWM");
    eprintln!(
        "100 MiB through the proxy in {took:.2?} ({:.0} MiB/s); daemon VmRSS {} MiB before, at most {} MiB during; VmHWM {} MiB",
        100.0 / took.as_secs_f64(),
        before / 1024,
        peak / 1024,
        hwm / 1024
    );
    assert!(
        peak < before + 32 * 1024,
        "the daemon grew from {before} KiB to {peak} KiB while streaming"
    );
    assert!(hwm < 100 * 1024, "the daemon's peak memory was {hwm} KiB");
}

/// A WebSocket handshake through the proxy (the app computes the accept
/// key), then frames both ways on the upgraded connection.
fn websocket_echoes(proxy: SocketAddr, host: &str) {
    let socket = TcpStream::connect(proxy).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    websocket_echoes_on(socket, host);
}

/// The same on a connection already made (clear or TLS).
fn websocket_echoes_on(mut socket: impl Read + Write, host: &str) {
    write!(
        socket,
        "GET /chat HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            socket.read(&mut byte).unwrap(),
            1,
            "the proxy closed: {head:?}"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: websocket"), "{head}");
    // RFC 6455's own example key and answer.
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    for text in ["hello through berth", "and again"] {
        let frame = masked_text_frame(text);
        socket.write_all(&frame).unwrap();
        let mut echoed = vec![0u8; frame.len()];
        socket.read_exact(&mut echoed).unwrap();
        assert_eq!(echoed, frame, "{text}");
    }
}

/// A client's text frame (FIN, opcode 1, masked, short length).
fn masked_text_frame(text: &str) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend(mask);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}
