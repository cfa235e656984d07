//! The reverse proxy's default ports (80 and 443): a `berth serve` that
//! cannot have them (taken, or not root) says so in one warning line each
//! and goes on without them; an address asked for that cannot be had stops
//! it with an error naming the option.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn default_ports_taken_are_a_warning_and_asked_ones_an_error() {
    require_testbed();
    // Hold 80 and 443 (or find them held already): the daemon cannot have them.
    let _held: Vec<TcpListener> = [80u16, 443]
        .into_iter()
        .filter_map(|port| TcpListener::bind(("0.0.0.0", port)).ok())
        .collect();
    for port in [80u16, 443] {
        assert!(
            TcpListener::bind(("0.0.0.0", port)).is_err(),
            "port {port} should be taken now"
        );
    }
    let home = TempHome::new("proxy-ports");
    // Empty means unset: the defaults.
    let daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[("BERTH_PROXY_LISTEN", ""), ("BERTH_PROXY_TLS_LISTEN", "")],
    );
    let health = reqwest::blocking::get(format!("{}/api/health", http_base(&home))).unwrap();
    assert_eq!(health.status(), 200, "Berth goes on without the proxy");
    let log = std::fs::read_to_string(home.join("daemon.log")).unwrap();
    for (addr, option) in [
        ("0.0.0.0:80", "--proxy-listen"),
        ("0.0.0.0:443", "--proxy-tls-listen"),
    ] {
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(&format!("warning: not serving apps by name on {addr} ")))
            .collect();
        assert_eq!(warnings.len(), 1, "{log}");
        assert!(warnings[0].contains(option), "{}", warnings[0]);
    }
    assert!(!home.join(berth_api::PROXY_ADDR_FILE).exists());
    assert!(!home.join(berth_api::PROXY_TLS_ADDR_FILE).exists());
    // Without an HTTPS listener no CA was made, and `berth proxy ca` says so.
    assert!(!home.join("tls").exists());
    let ca = berth(&home, &["proxy", "ca"]);
    assert_eq!(ca.status.code(), Some(2));
    assert!(
        text(&ca).contains("no HTTPS certificate authority yet"),
        "{}",
        text(&ca)
    );
    drop(daemon);

    // Asked for, the same ports are an error, and the daemon stops.
    for (option, addr) in [
        ("--proxy-listen", "0.0.0.0:80"),
        ("--proxy-tls-listen", "0.0.0.0:443"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("--home")
            .arg(&*home)
            .args(["serve", "--listen", "127.0.0.1:0", option, addr])
            .env("BERTH_PROXY_LISTEN", "none")
            .env("BERTH_PROXY_TLS_LISTEN", "none")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("berth serve {option} {addr} kept running on a port it cannot have");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("cannot listen on {addr}")) && err.contains(option),
            "{err}"
        );
    }
}
