//! The proxy's names announced over mDNS (`berth serve` with the proxy on,
//! `BERTH_MDNS=on`), against the real daemon, engine and registry, one
//! daemon for the file. The test makes its own network: a namespace with
//! one end of a veth pair (10.213.x.2) and the other end on this host
//! (10.213.x.1), as a laptop on the LAN would be. From inside it a real
//! mDNS query for `<app>-<server>.local` is answered with the host end's
//! address (and no other: not the docker bridge's, not another LAN's);
//! after the app is uninstalled the name is answered no more.

mod common;

use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, Record, RecordType};

const IMAGE: &str = "127.0.0.1:5000/berth-test/box:1.0";

/// A network namespace joined to this host by a veth pair, removed (with
/// the pair) when dropped, also when the test panics.
struct Lan {
    netns: String,
    host_side: String,
    host_ip: Ipv4Addr,
}

impl Lan {
    fn new() -> Lan {
        let pid = std::process::id();
        let x = 20 + pid % 200;
        let lan = Lan {
            netns: format!("berth-mdns-{pid}"),
            // Not `veth…`: Berth leaves containers' veths out, on purpose.
            host_side: format!("bm{pid}h"),
            host_ip: Ipv4Addr::new(10, 213, x as u8, 1),
        };
        let peer = format!("bm{pid}n");
        let (host_cidr, peer_cidr) = (format!("{}/24", lan.host_ip), format!("10.213.{x}.2/24"));
        lan.cleanup();
        let ns = ["netns", "exec", lan.netns.as_str(), "ip"];
        for args in [
            vec!["netns", "add", &lan.netns],
            vec![
                "link",
                "add",
                &lan.host_side,
                "type",
                "veth",
                "peer",
                "name",
                &peer,
            ],
            vec!["link", "set", &peer, "netns", &lan.netns],
            vec!["addr", "add", &host_cidr, "dev", &lan.host_side],
            vec!["link", "set", &lan.host_side, "multicast", "on", "up"],
            [&ns[..], &["addr", "add", &peer_cidr, "dev", &peer]].concat(),
            [&ns[..], &["link", "set", &peer, "multicast", "on", "up"]].concat(),
            [&ns[..], &["link", "set", "lo", "up"]].concat(),
            [&ns[..], &["route", "add", "224.0.0.0/4", "dev", &peer]].concat(),
        ] {
            ip(&args);
        }
        lan
    }

    fn cleanup(&self) {
        // Deleting the namespace deletes the peer, and so the pair.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_side])
            .output();
    }

    /// The A records an mDNS query for `name` gets back within a second and
    /// a half, asked from inside the namespace (a thread that joined it,
    /// with its own socket there), as (name, TTL, address).
    fn ask(&self, name: &str) -> Vec<(String, u32, Ipv4Addr)> {
        self.query(name, RecordType::A)
            .into_iter()
            .filter_map(|record| match record.data {
                RData::A(a) => Some((record.name.to_ascii(), record.ttl, a.0)),
                _ => None,
            })
            .collect()
    }

    /// What a browser's or a phone's list of local web pages shows: the
    /// `_http._tcp` instances answered to a PTR query.
    fn browse(&self) -> Vec<String> {
        let mut found: Vec<String> = self
            .query("_http._tcp.local", RecordType::PTR)
            .into_iter()
            .filter_map(|record| match record.data {
                RData::PTR(ptr) => Some(ptr.0.to_ascii()),
                _ => None,
            })
            .collect();
        found.sort();
        found
    }

    /// Every answer record to a one-shot mDNS query from inside the namespace.
    fn query(&self, name: &str, kind: RecordType) -> Vec<Record> {
        let netns = format!("/run/netns/{}", self.netns);
        let name = name.to_string();
        std::thread::spawn(move || {
            let ns = std::fs::File::open(&netns).unwrap_or_else(|e| panic!("{netns}: {e}"));
            // SAFETY: joins this thread (only) to the namespace the file is.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {netns}: {}", std::io::Error::last_os_error());
            let mut query = Message::query();
            query.add_query(Query::query(
                Name::from_ascii(format!("{name}.")).unwrap(),
                kind,
            ));
            // From a port other than 5353: a one-shot ("legacy") query, answered
            // straight to this socket (RFC 6762 §6.7).
            let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
            socket
                .send_to(&query.to_vec().unwrap(), "224.0.0.251:5353")
                .unwrap();
            let until = Instant::now() + Duration::from_millis(1500);
            let mut found = Vec::new();
            let mut buf = [0u8; 9000];
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                socket
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .unwrap();
                let Ok((n, _)) = socket.recv_from(&mut buf) else {
                    break;
                };
                let Ok(reply) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                found.extend(reply.answers);
            }
            found
        })
        .join()
        .unwrap()
    }

    /// Listens, from inside the namespace, to what is multicast on mDNS's
    /// group for `secs` seconds (start it, then make the daemon speak):
    /// every record of every message, as (name, TTL).
    fn overhear(&self, secs: u64) -> std::thread::JoinHandle<Vec<(String, u32)>> {
        let netns = format!("/run/netns/{}", self.netns);
        let peer_ip = Ipv4Addr::from(u32::from(self.host_ip) + 1);
        let (ready, listening) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let ns = std::fs::File::open(&netns).unwrap_or_else(|e| panic!("{netns}: {e}"));
            // SAFETY: joins this thread (only) to the namespace the file is.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {netns}: {}", std::io::Error::last_os_error());
            // Nothing else in this fresh namespace holds port 5353.
            let socket = UdpSocket::bind("0.0.0.0:5353").unwrap();
            socket
                .join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 251), &peer_ip)
                .unwrap();
            ready.send(()).unwrap();
            let until = Instant::now() + Duration::from_secs(secs);
            let mut heard = Vec::new();
            let mut buf = [0u8; 9000];
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                socket
                    .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                    .unwrap();
                let Ok((n, _)) = socket.recv_from(&mut buf) else {
                    break;
                };
                if let Ok(message) = Message::from_vec(&buf[..n]) {
                    heard.extend(message.all_sections().map(|r| (r.name.to_ascii(), r.ttl)));
                }
            }
            heard
        });
        listening.recv().expect("the listener started");
        thread
    }

    /// Asks for `name` until `done` says the answers are what the test
    /// waits for, or fails after `wait`.
    fn wait_for(
        &self,
        name: &str,
        wait: Duration,
        what: &str,
        done: impl Fn(&[(String, u32, Ipv4Addr)]) -> bool,
    ) -> Vec<(String, u32, Ipv4Addr)> {
        let start = Instant::now();
        loop {
            let found = self.ask(name);
            if done(&found) {
                return found;
            }
            assert!(
                start.elapsed() < wait,
                "{name}: {what} within {wait:?}; last answers {found:?}"
            );
        }
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        self.cleanup();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `ip` ({e}): install iproute2 (apt-get install iproute2)")
    });
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// This machine's short host name, read as the daemon reads it.
fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim().to_ascii_lowercase();
    name.split('.').next().unwrap().to_string()
}

#[test]
fn the_proxys_names_are_answered_over_mdns_on_the_lan() {
    require_testbed();
    let lan = Lan::new();
    let home = TempHome::new("names-mdns");
    let app = "mdns-pages";
    let _cleanup = AppCleanup::new(app);
    let server = short_hostname();
    let domain = format!("{server}.local");
    let daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", &domain),
            ("BERTH_MDNS", "on"),
            ("BERTH_MDNS_SECS", "1"),
        ],
    );
    let flat = format!("{app}-{server}.local");
    let only_ours = |found: &[(String, u32, Ipv4Addr)], name: &str| {
        !found.is_empty()
            && found
                .iter()
                .all(|(n, ttl, a)| n == &format!("{name}.") && *ttl > 0 && *a == lan.host_ip)
    };

    // Berth's own name is announced from the start.
    let berth = format!("berth-{server}.local");
    lan.wait_for(
        &berth,
        Duration::from_secs(30),
        "answered with the host end's address only",
        |found| only_ours(found, &berth),
    );
    // No app, no name.
    assert_eq!(lan.ask(&flat), [], "{flat} before the app is installed");

    let compose = format!(
        "services:\n  web:\n    image: {IMAGE}\n    command: [sh, -c, \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n    volumes: ['./data:/www']\n    ports: ['18561:80']\n"
    );
    let file = berth_testkit::write_compose(&home, app, &compose);
    berth_ok(&home, &["install", file.to_str().unwrap(), "--id", app]);
    let found = lan.wait_for(
        &flat,
        Duration::from_secs(30),
        "answered with the host end's address only",
        |found| only_ours(found, &flat),
    );
    eprintln!("{flat}: {found:?}");
    // The name under the default domain (more than one label before
    // .local) is answered too, for the clients that ask mDNS for it.
    let multi = format!("{app}.{domain}");
    lan.wait_for(
        &multi,
        Duration::from_secs(10),
        "answered with the host end's address only",
        |found| only_ours(found, &multi),
    );
    // Listed once as a web page, under its flat name: the other form only
    // answers for its address.
    let listed = lan.browse();
    assert_eq!(
        listed
            .iter()
            .filter(|instance| instance.starts_with(app))
            .collect::<Vec<_>>(),
        [&format!("{app}-{server}._http._tcp.local.")],
        "the app's _http._tcp instances; all listed: {listed:?}"
    );

    berth_ok(&home, &["uninstall", app]);
    lan.wait_for(
        &flat,
        Duration::from_secs(30),
        "no longer answered after the uninstall",
        |found| found.is_empty(),
    );
    assert_eq!(lan.ask(&multi), [], "{multi} after the uninstall");
    // Berth's own name stays.
    assert!(only_ours(&lan.ask(&berth), &berth));

    // Stopping the daemon says goodbye: Berth's name multicast with TTL 0,
    // so caches on the LAN drop it at once.
    let listener = lan.overhear(4);
    drop(daemon);
    let heard = listener.join().unwrap();
    assert!(
        heard.contains(&(format!("{berth}."), 0)),
        "no goodbye for {berth} when the daemon stopped; heard {heard:?}"
    );
    let log = std::fs::read_to_string(home.join("daemon.log")).unwrap();
    assert!(log.contains("over mDNS"), "{log}");
    assert!(!log.contains("warning"), "{log}");
}
