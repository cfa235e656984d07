//! Trusting Berth's CA on the server itself, for real: through the API (the
//! desktop app's "Trust it on this server") the CA lands in Debian's local CA
//! folder and update-ca-certificates puts it in the system bundle, after
//! which curl — with the system's trust and nothing else — opens Berth by
//! name over HTTPS, which it refused before. `berth proxy trust` does the
//! same from the CLI. The system's trust store is put back afterwards.

use std::path::Path;
use std::process::Command;

mod common;
use common::*;

use berth_testkit::{Daemon, TempHome};

const DOMAIN: &str = "trust.test";

/// Takes Berth's copy out of the system's trust store again, whatever happened.
struct Untrust;

impl Drop for Untrust {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(berth_engine::proxy::trust::trusted_copy());
        let _ = Command::new("update-ca-certificates").output();
    }
}

/// curl with the system's trust store only, to Berth by name on `port`.
fn curl_by_name(port: u16) -> std::process::Output {
    let name = format!("berth.{DOMAIN}");
    Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .args(["--resolve", &format!("{name}:{port}:127.0.0.1")])
        .arg(format!("https://{name}:{port}/api/auth"))
        .output()
        .expect("curl runs (apt install curl)")
}

#[test]
fn the_server_trusts_berths_ca_after_the_desktop_asks_and_curl_opens_berth_by_name() {
    assert!(
        Path::new("/usr/sbin/update-ca-certificates").exists(),
        "this test needs update-ca-certificates: apt install ca-certificates"
    );
    let _untrust = Untrust;
    let home = TempHome::new("proxy-trust");
    let _daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_TLS_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", DOMAIN),
        ],
    );
    let base = http_base(&home);
    let started = std::time::Instant::now();
    let tls: std::net::SocketAddr = loop {
        if let Ok(addr) = std::fs::read_to_string(home.join(berth_api::PROXY_TLS_ADDR_FILE)) {
            break addr.trim().parse().unwrap();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the daemon did not say where its HTTPS proxy listens"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };

    // Not trusted yet: curl refuses the certificate, the server page says so.
    let before = curl_by_name(tls.port());
    assert!(
        !before.status.success(),
        "curl trusted Berth's CA before it was installed: {}",
        text(&before)
    );
    let web = WebSession::setup(&home, &base, "admin", "a long enough password");
    let info: serde_json::Value = web
        .post("/api/system", serde_json::json!({}))
        .json()
        .unwrap();
    assert_eq!(info["caTrusted"], false, "{info}");

    // The desktop's button: the command trusts it.
    let reply = web.post("/api/caTrust", serde_json::json!({}));
    assert!(reply.status().is_success(), "caTrust: {}", reply.status());
    let trusted: serde_json::Value = reply.json().unwrap();
    let copy = berth_engine::proxy::trust::trusted_copy();
    assert_eq!(
        trusted["path"],
        copy.to_string_lossy().as_ref(),
        "{trusted}"
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(home.join("tls/ca.crt")).unwrap(),
        "the system's copy is Berth's CA"
    );
    let after = curl_by_name(tls.port());
    assert!(
        after.status.success(),
        "curl with the system's trust: {}",
        text(&after)
    );
    assert_eq!(String::from_utf8_lossy(&after.stdout), "200");
    let info: serde_json::Value = web
        .post("/api/system", serde_json::json!({}))
        .json()
        .unwrap();
    assert_eq!(info["caTrusted"], true, "{info}");

    // The CLI does the same, again (nothing changes).
    let said = text(&berth_ok(&home, &["proxy", "trust"]));
    assert!(said.contains("this server now trusts"), "{said}");
    assert!(curl_by_name(tls.port()).status.success());
}

/// A damaged CA (its key file overwritten) is never replaced, since devices
/// trust it, and does not take Berth down either: the daemon serves the UI
/// and the API, the HTTPS proxy does not listen, and `system` says why.
#[test]
fn a_damaged_ca_turns_https_off_with_the_reason_shown_and_berth_runs_on() {
    let home = TempHome::new("proxy-damaged-ca");
    let env = [
        ("BERTH_PROXY_TLS_LISTEN", "127.0.0.1:0"),
        ("BERTH_PROXY_DOMAIN", DOMAIN),
    ];
    // Made once by a first daemon, then damaged.
    {
        let _first = Daemon::start(Path::new(env!("CARGO_BIN_EXE_berth")), &home, &env);
        let started = std::time::Instant::now();
        while !home.join("tls/ca.key").exists() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "no CA made"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let cert = std::fs::read(home.join("tls/ca.crt")).unwrap();
    std::fs::write(home.join("tls/ca.key"), "not a key\n").unwrap();
    let _ = std::fs::remove_file(home.join(berth_api::PROXY_TLS_ADDR_FILE));
    let _daemon = Daemon::start(Path::new(env!("CARGO_BIN_EXE_berth")), &home, &env);
    let base = http_base(&home);
    let web = WebSession::setup(&home, &base, "admin", "a long enough password");
    let info: serde_json::Value = web
        .post("/api/system", serde_json::json!({}))
        .json()
        .unwrap();
    let problem = info["httpsProblem"]
        .as_str()
        .unwrap_or_else(|| panic!("no httpsProblem: {info}"));
    assert!(
        problem.contains("ca.key") && problem.contains("move the folder"),
        "{problem}"
    );
    assert!(
        !home.join(berth_api::PROXY_TLS_ADDR_FILE).exists(),
        "the HTTPS proxy listens with a damaged CA"
    );
    assert_eq!(
        std::fs::read(home.join("tls/ca.crt")).unwrap(),
        cert,
        "the CA was replaced"
    );
    // The CLI works too.
    berth_ok(&home, &["apps"]);
}
