//! The DNS answerer (`berth serve --dns-listen ADDR:PORT`), for people who
//! point their router's DNS at the server: over UDP and TCP, the proxy's
//! names answer this server's address (A, and AAAA when it has one, TTL
//! 60 s); every other name is forwarded as it came to this machine's own
//! resolvers (`/etc/resolv.conf`, or `BERTH_DNS_UPSTREAM`) and their answer
//! passed back unchanged; clients outside private, loopback and link-local
//! ranges are refused. What is ours and who is served is the engine's
//! ([`berth_engine::proxy::dns`]); this module owns the sockets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use berth_engine::proxy::dns::{default_route_addresses, private_client, upstreams, TTL};
use berth_engine::proxy::Names;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;

use crate::ApiError;

/// How long one upstream has to answer before the next is asked.
const UPSTREAM_WAIT: Duration = Duration::from_secs(2);
/// How long a TCP client may take to send its next query.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// Queries over UDP handled at once; more are dropped (clients retry).
const UDP_IN_FLIGHT: usize = 256;
/// TCP connections served at once; more wait to be accepted.
const TCP_CONNECTIONS: usize = 64;

/// Where the DNS answerer listens and what it answers.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// UDP and TCP, the same address and port.
    pub listen: SocketAddr,
    /// The addresses our names answer; empty: this server's address on the
    /// interface of its default route, looked up for each answer.
    pub addresses: Vec<IpAddr>,
    /// Where other names are forwarded; `None`: the `nameserver`s of
    /// `/etc/resolv.conf`, read again for each query.
    pub upstreams: Option<Vec<SocketAddr>>,
}

/// The answerer's sockets, bound before anything is served so a taken
/// port is an error at start.
pub(crate) struct Bound {
    udp: UdpSocket,
    tcp: TcpListener,
}

impl Bound {
    /// UDP and TCP on `addr` (port 0: a free port both can have).
    pub(crate) async fn bind(addr: SocketAddr) -> Result<Self, ApiError> {
        let fail = |e: std::io::Error| {
            let hint = if addr.port() == 53 && e.kind() == std::io::ErrorKind::AddrInUse {
                " (another DNS server holds port 53, often systemd-resolved's stub on 127.0.0.53: listen on this server's LAN address instead)"
            } else {
                ""
            };
            ApiError::Setup(format!(
                "cannot listen for DNS on {addr} ({e}){hint}; pick another address with --dns-listen ADDR:PORT"
            ))
        };
        let mut tries = 0;
        loop {
            let udp = UdpSocket::bind(addr).await.map_err(fail)?;
            let port = udp.local_addr()?.port();
            match TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
                Ok(tcp) => return Ok(Bound { udp, tcp }),
                Err(e) if addr.port() == 0 && tries < 20 => {
                    tries += 1;
                    let _ = e;
                }
                Err(e) => return Err(fail(e)),
            }
        }
    }

    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.udp.local_addr()
    }
}

/// Serves DNS on `bound` until the daemon stops.
pub(crate) fn serve(bound: Bound, names: Names, options: DnsOptions) -> std::io::Result<()> {
    let answerer = Arc::new(Answerer {
        names,
        addresses: options.addresses,
        upstreams: options.upstreams,
        own: bound.local_addr()?,
        warned: AtomicBool::new(false),
    });
    tokio::spawn(serve_udp(Arc::new(bound.udp), answerer.clone()));
    tokio::spawn(serve_tcp(bound.tcp, answerer));
    Ok(())
}

async fn serve_udp(socket: Arc<UdpSocket>, answerer: Arc<Answerer>) {
    let in_flight = Arc::new(Semaphore::new(UDP_IN_FLIGHT));
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, client)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            continue;
        };
        let query = buf[..n].to_vec();
        let (socket, answerer) = (socket.clone(), answerer.clone());
        tokio::spawn(async move {
            if let Some(reply) = answerer.handle(&query, client.ip(), false).await {
                let _ = socket.send_to(&reply, client).await;
            }
            drop(permit);
        });
    }
}

async fn serve_tcp(listener: TcpListener, answerer: Arc<Answerer>) {
    let connections = Arc::new(Semaphore::new(TCP_CONNECTIONS));
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let Ok((stream, client)) = listener.accept().await else {
            continue;
        };
        let answerer = answerer.clone();
        tokio::spawn(async move {
            let _ = answer_tcp(stream, client.ip(), &answerer).await;
            drop(permit);
        });
    }
}

/// Queries on one TCP connection (each with its two-byte length), answered
/// in turn until the client closes it or stays idle.
async fn answer_tcp(
    mut stream: TcpStream,
    client: IpAddr,
    answerer: &Answerer,
) -> std::io::Result<()> {
    loop {
        let Ok(query) = tokio::time::timeout(TCP_IDLE, read_framed(&mut stream)).await else {
            return Ok(());
        };
        let query = query?;
        let Some(reply) = answerer.handle(&query, client, true).await else {
            return Ok(());
        };
        write_framed(&mut stream, &reply).await?;
    }
}

async fn read_framed(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let len = stream.read_u16().await?;
    let mut message = vec![0u8; usize::from(len)];
    stream.read_exact(&mut message).await?;
    Ok(message)
}

async fn write_framed(stream: &mut TcpStream, message: &[u8]) -> std::io::Result<()> {
    let len = u16::try_from(message.len()).map_err(|_| std::io::ErrorKind::InvalidData)?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(message);
    stream.write_all(&framed).await
}

struct Answerer {
    names: Names,
    addresses: Vec<IpAddr>,
    upstreams: Option<Vec<SocketAddr>>,
    /// Where we listen, never forwarded to.
    own: SocketAddr,
    /// Whether "nowhere to forward to" was said already.
    warned: AtomicBool,
}

impl Answerer {
    /// The reply to `query` from `client`, or `None` for what is not a DNS
    /// query (nothing is sent back).
    async fn handle(&self, query: &[u8], client: IpAddr, tcp: bool) -> Option<Vec<u8>> {
        let message = Message::from_vec(query).ok()?;
        if message.metadata.message_type != MessageType::Query {
            return None;
        }
        if !private_client(client) {
            return reply(&message, ResponseCode::Refused).to_vec().ok();
        }
        if message.metadata.op_code != OpCode::Query {
            return reply(&message, ResponseCode::NotImp).to_vec().ok();
        }
        let [question] = message.queries.as_slice() else {
            return reply(&message, ResponseCode::FormErr).to_vec().ok();
        };
        if self.names.answers(&question.name().to_ascii()) {
            return self.answer(&message).to_vec().ok();
        }
        let upstreams = self.upstreams();
        if upstreams.is_empty() {
            if !self.warned.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "berth: DNS: no resolver to forward other names to (none in /etc/resolv.conf but this answerer); they are refused"
                );
            }
            return reply(&message, ResponseCode::Refused).to_vec().ok();
        }
        for upstream in upstreams {
            let answered = if tcp {
                forward_tcp(query, upstream).await
            } else {
                forward_udp(query, upstream).await
            };
            if let Ok(answer) = answered {
                return Some(answer);
            }
        }
        reply(&message, ResponseCode::ServFail).to_vec().ok()
    }

    /// Our name's address records: those of the question's type.
    fn answer(&self, query: &Message) -> Message {
        let mut message = reply(query, ResponseCode::NoError);
        message.metadata.authoritative = true;
        let question = &query.queries[0];
        let addresses = if self.addresses.is_empty() {
            default_route_addresses()
        } else {
            self.addresses.clone()
        };
        for ip in addresses {
            let data = match (ip, question.query_type()) {
                (IpAddr::V4(v4), RecordType::A | RecordType::ANY) => RData::A(A(v4)),
                (IpAddr::V6(v6), RecordType::AAAA | RecordType::ANY) => RData::AAAA(AAAA(v6)),
                _ => continue,
            };
            message.add_answer(Record::from_rdata(question.name().clone(), TTL, data));
        }
        message
    }

    /// The resolvers other names go to, never this answerer itself (a
    /// router that hands out this server as DNS makes it the server's own
    /// resolver too).
    fn upstreams(&self) -> Vec<SocketAddr> {
        let listed = match &self.upstreams {
            Some(list) => list.clone(),
            None => upstreams(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()),
        };
        let own_ips = if self.own.ip().is_unspecified() {
            crate::hosts::interface_addresses()
        } else {
            [self.own.ip()].into()
        };
        listed
            .into_iter()
            .filter(|up| {
                let ours = own_ips.contains(&up.ip())
                    || (self.own.ip().is_unspecified() && up.ip().is_loopback());
                !(up.port() == self.own.port() && ours)
            })
            .collect()
    }
}

/// A reply to `query` carrying its question, with `code`.
fn reply(query: &Message, code: ResponseCode) -> Message {
    let mut message = Message::response(query.metadata.id, query.metadata.op_code);
    message.metadata.recursion_desired = query.metadata.recursion_desired;
    message.metadata.recursion_available = true;
    message.metadata.response_code = code;
    message.add_queries(query.queries.iter().cloned());
    if query.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        message.set_edns(edns);
    }
    message
}

/// `query` to `upstream` over UDP under an ID of our own (so a stray
/// packet cannot pass for the answer), its answer with the client's ID.
async fn forward_udp(query: &[u8], upstream: SocketAddr) -> std::io::Result<Vec<u8>> {
    let local: SocketAddr = match upstream {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(upstream).await?;
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).expect("the OS random generator works");
    let mut ours = query.to_vec();
    ours[..2].copy_from_slice(&id);
    socket.send(&ours).await?;
    let mut buf = vec![0u8; 65535];
    let answer = tokio::time::timeout(UPSTREAM_WAIT, async {
        loop {
            let n = socket.recv(&mut buf).await?;
            if n >= 12 && buf[..2] == id {
                return Ok::<_, std::io::Error>(buf[..n].to_vec());
            }
        }
    })
    .await
    .map_err(|_| std::io::ErrorKind::TimedOut)??;
    Ok(with_id(answer, query))
}

/// `query` to `upstream` over TCP, for clients that asked over TCP (most
/// often after a truncated UDP answer).
async fn forward_tcp(query: &[u8], upstream: SocketAddr) -> std::io::Result<Vec<u8>> {
    tokio::time::timeout(UPSTREAM_WAIT, async {
        let mut stream = TcpStream::connect(upstream).await?;
        write_framed(&mut stream, query).await?;
        let answer = read_framed(&mut stream).await?;
        if answer.len() < 12 || answer[..2] != query[..2] {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        Ok(answer)
    })
    .await
    .map_err(|_| std::io::ErrorKind::TimedOut)?
}

fn with_id(mut answer: Vec<u8>, query: &[u8]) -> Vec<u8> {
    answer[..2].copy_from_slice(&query[..2]);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;

    fn answerer(addresses: &[&str]) -> Answerer {
        Answerer {
            names: Names::new("home.test", "box"),
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
            upstreams: Some(vec![]),
            own: "127.0.0.1:5300".parse().unwrap(),
            warned: AtomicBool::new(false),
        }
    }

    fn ask(name: &str, kind: RecordType) -> Vec<u8> {
        let mut query = Message::query();
        query.metadata.recursion_desired = true;
        query.add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
        query.to_vec().unwrap()
    }

    async fn answer(answerer: &Answerer, query: &[u8], client: &str) -> Message {
        let reply = answerer.handle(query, client.parse().unwrap(), false).await;
        Message::from_vec(&reply.expect("an answer")).unwrap()
    }

    #[tokio::test]
    async fn a_client_outside_private_ranges_is_refused() {
        let answerer = answerer(&["192.168.1.10"]);
        let query = ask("wiki.home.test.", RecordType::A);
        let refused = answer(&answerer, &query, "203.0.113.9").await;
        assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
        assert!(refused.answers.is_empty());
        let served = answer(&answerer, &query, "192.168.1.33").await;
        assert_eq!(served.metadata.response_code, ResponseCode::NoError);
        assert_eq!(served.answers.len(), 1);
    }

    #[tokio::test]
    async fn our_names_answer_each_family_by_its_type() {
        let answerer = answerer(&["192.168.1.10", "fd00::10"]);
        let a = answer(&answerer, &ask("berth-box.local.", RecordType::A), "::1").await;
        assert!(a.metadata.authoritative);
        assert_eq!(a.answers.len(), 1);
        assert_eq!(a.answers[0].ttl, TTL);
        assert_eq!(
            a.answers[0].data,
            RData::A(A("192.168.1.10".parse().unwrap()))
        );
        let aaaa = answer(&answerer, &ask("wiki.home.test.", RecordType::AAAA), "::1").await;
        assert_eq!(
            aaaa.answers[0].data,
            RData::AAAA(AAAA("fd00::10".parse().unwrap()))
        );
        // A name of ours with no record of that type: no error, no answer.
        let mx = answer(&answerer, &ask("wiki.home.test.", RecordType::MX), "::1").await;
        assert_eq!(mx.metadata.response_code, ResponseCode::NoError);
        assert!(mx.answers.is_empty());
        // Nowhere to forward a foreign name: refused.
        let foreign = answer(&answerer, &ask("example.com.", RecordType::A), "::1").await;
        assert_eq!(foreign.metadata.response_code, ResponseCode::Refused);
    }

    #[test]
    fn the_answerer_never_forwards_to_itself() {
        let mut answerer = answerer(&[]);
        answerer.upstreams = Some(
            ["127.0.0.1:5300", "127.0.0.1:53", "10.0.0.1:5300"]
                .map(|a| a.parse().unwrap())
                .to_vec(),
        );
        assert_eq!(
            answerer.upstreams(),
            ["127.0.0.1:53", "10.0.0.1:5300"].map(|a| a.parse::<SocketAddr>().unwrap())
        );
        answerer.own = "0.0.0.0:53".parse().unwrap();
        assert_eq!(
            answerer.upstreams(),
            ["127.0.0.1:5300", "10.0.0.1:5300"].map(|a| a.parse::<SocketAddr>().unwrap())
        );
    }
}
