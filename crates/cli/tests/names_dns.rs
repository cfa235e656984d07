//! The DNS answerer (`berth serve --dns-listen`, here `BERTH_DNS_LISTEN`),
//! against the real daemon, one daemon for the file, over UDP and TCP: the
//! proxy's names answer the configured address (A and AAAA, TTL 60);
//! other names are forwarded to the upstream (a tiny answerer this test
//! runs, as `BERTH_DNS_UPSTREAM`) and its answer comes back unchanged; a
//! name the upstream does not answer is SERVFAIL. Refusing clients outside
//! private ranges is the unit tests' (`berth_engine::proxy::dns`,
//! `berth-api`'s `dns.rs`): a test cannot send from a public address.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};

const DOMAIN: &str = "home.test";
/// What the upstream answers for `elsewhere.test`.
const ELSEWHERE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);

/// The upstream's answer to `query`: `elsewhere.test` A, NXDOMAIN for the
/// rest, nothing at all for `silent.test`.
fn upstream_answer(query: &[u8], asked: &AtomicUsize) -> Option<Vec<u8>> {
    let query = Message::from_vec(query).ok()?;
    let question = query.queries.first()?.clone();
    asked.fetch_add(1, Ordering::SeqCst);
    let name = question.name().to_ascii();
    if name == "silent.test." {
        return None;
    }
    let mut reply = Message::response(query.metadata.id, OpCode::Query);
    reply.add_query(question.clone());
    if name == "elsewhere.test." {
        reply.add_answer(Record::from_rdata(
            question.name().clone(),
            321,
            RData::A(A(ELSEWHERE)),
        ));
    } else {
        reply.metadata.response_code = ResponseCode::NXDomain;
    }
    reply.to_vec().ok()
}

/// A tiny upstream resolver on 127.0.0.1, UDP and TCP on one port; counts
/// the questions it gets.
fn start_upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    // The kernel picks a free UDP port; the same number may be taken on TCP
    // (an outgoing connection's ephemeral port), so try a few.
    let (udp, tcp, addr) = (0..50)
        .find_map(|_| {
            let udp = UdpSocket::bind("127.0.0.1:0").ok()?;
            let addr = udp.local_addr().ok()?;
            let tcp = TcpListener::bind(addr).ok()?;
            Some((udp, tcp, addr))
        })
        .expect("no port free on both UDP and TCP on 127.0.0.1 after 50 tries");
    let counter = asked.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = udp.recv_from(&mut buf) {
            if let Some(reply) = upstream_answer(&buf[..n], &counter) {
                let _ = udp.send_to(&reply, from);
            }
        }
    });
    let counter = asked.clone();
    std::thread::spawn(move || {
        for mut stream in tcp.incoming().flatten() {
            let Ok(query) = read_framed(&mut stream) else {
                continue;
            };
            if let Some(reply) = upstream_answer(&query, &counter) {
                let _ = write_framed(&mut stream, &reply);
            }
        }
    });
    (addr, asked)
}

fn read_framed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut message)?;
    Ok(message)
}

fn write_framed(stream: &mut TcpStream, message: &[u8]) -> std::io::Result<()> {
    let mut framed = (message.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    stream.write_all(&framed)
}

fn query(name: &str, kind: RecordType) -> Message {
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
    query
}

/// `name`'s answer from the daemon at `dns`, over UDP or TCP.
fn ask(dns: SocketAddr, name: &str, kind: RecordType, tcp: bool) -> Message {
    let query = query(name, kind);
    let bytes = query.to_vec().unwrap();
    let reply = if tcp {
        let mut stream = TcpStream::connect(dns).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write_framed(&mut stream, &bytes).unwrap();
        read_framed(&mut stream).unwrap_or_else(|e| panic!("{name} over TCP: {e}"))
    } else {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        socket.send_to(&bytes, dns).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = socket
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("{name} over UDP: {e}"));
        buf[..n].to_vec()
    };
    let reply = Message::from_vec(&reply).unwrap();
    assert_eq!(reply.metadata.id, query.metadata.id, "{name}");
    assert_eq!(reply.metadata.message_type, MessageType::Response);
    assert_eq!(
        reply.queries, query.queries,
        "{name}: the question comes back"
    );
    reply
}

fn addresses(reply: &Message) -> Vec<(IpAddr, u32)> {
    reply
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some((IpAddr::V4(a.0), r.ttl)),
            RData::AAAA(a) => Some((IpAddr::V6(a.0), r.ttl)),
            _ => None,
        })
        .collect()
}

fn dns_addr(home: &Path) -> SocketAddr {
    let start = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(home.join(berth_api::DNS_ADDR_FILE)) {
            return addr.trim().parse().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not say where its DNS answerer listens"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim().to_ascii_lowercase();
    name.split('.').next().unwrap().to_string()
}

#[test]
fn the_dns_answerer_answers_our_names_and_forwards_the_rest() {
    require_testbed();
    let home = TempHome::new("names-dns");
    let (upstream, asked) = start_upstream();
    let upstream = upstream.to_string();
    let _daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", DOMAIN),
            ("BERTH_MDNS", "off"),
            ("BERTH_DNS_LISTEN", "127.0.0.1:0"),
            ("BERTH_DNS_ADDRESS", "192.168.77.10, fd00::77"),
            ("BERTH_DNS_UPSTREAM", &upstream),
        ],
    );
    let dns = dns_addr(&home);
    let v4: IpAddr = "192.168.77.10".parse().unwrap();
    let v6: IpAddr = "fd00::77".parse().unwrap();
    let server = short_hostname();

    for tcp in [false, true] {
        let how = if tcp { "TCP" } else { "UDP" };
        // Our names: Berth's, an app's in both forms, the bare domain.
        for name in [
            format!("berth.{DOMAIN}."),
            format!("jellyfin.{DOMAIN}."),
            format!("Jellyfin.{}.", DOMAIN.to_uppercase()),
            format!("{DOMAIN}."),
            format!("berth-{server}.local."),
            format!("jellyfin-{server}.local."),
        ] {
            let a = ask(dns, &name, RecordType::A, tcp);
            assert_eq!(
                a.metadata.response_code,
                ResponseCode::NoError,
                "{name} {how}"
            );
            assert!(a.metadata.authoritative, "{name} {how}");
            assert_eq!(addresses(&a), [(v4, 60)], "{name} A over {how}");
            let aaaa = ask(dns, &name, RecordType::AAAA, tcp);
            assert_eq!(addresses(&aaaa), [(v6, 60)], "{name} AAAA over {how}");
        }

        // Other names go to the upstream, its answer passed back as it was.
        let before = asked.load(Ordering::SeqCst);
        let forwarded = ask(dns, "elsewhere.test.", RecordType::A, tcp);
        assert_eq!(forwarded.metadata.response_code, ResponseCode::NoError);
        assert_eq!(
            addresses(&forwarded),
            [(IpAddr::V4(ELSEWHERE), 321)],
            "{how}"
        );
        let missing = ask(dns, "nothing.test.", RecordType::A, tcp);
        assert_eq!(
            missing.metadata.response_code,
            ResponseCode::NXDomain,
            "{how}"
        );
        // Not ours, though close: forwarded too.
        let near = ask(dns, &format!("{server}.local."), RecordType::A, tcp);
        assert_eq!(near.metadata.response_code, ResponseCode::NXDomain, "{how}");
        assert_eq!(asked.load(Ordering::SeqCst), before + 3, "{how}");

        // An upstream that does not answer: SERVFAIL, over UDP once it has
        // had its time (over TCP the test's upstream hangs up at once).
        let start = Instant::now();
        let silent = ask(dns, "silent.test.", RecordType::A, tcp);
        assert_eq!(
            silent.metadata.response_code,
            ResponseCode::ServFail,
            "{how}"
        );
        assert!(tcp || start.elapsed() >= Duration::from_secs(1), "{how}");
    }
}
