//! The DNS answerer's decisions (`berth serve --dns-listen`): which names
//! are ours, which clients it serves, which address it answers with and
//! where it forwards the rest. The sockets are a transport's (`berth-api`'s
//! `dns.rs`).
//!
//! For people who point their router's DNS at the server (as Amahi did):
//! the proxy's names (`<domain>`, `*.<domain>`, `*-<server>.local`) answer
//! this server's LAN address; every other name is forwarded to this
//! machine's own resolvers, so the whole household can use it. Only clients
//! on private, loopback or link-local addresses are served, so a server
//! whose port 53 is reachable from the internet is no open resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use super::{Destination, Names};

/// How long clients may keep our answers: short, as a DHCP lease can move
/// the server.
pub const TTL: u32 = 60;

impl Names {
    /// Whether the DNS answerer answers `name` itself (with this server's
    /// address): the domain, any name under it (as a wildcard record would)
    /// and `<label>-<server>.local`. The proxy then says which of them lead
    /// to an app.
    pub fn answers(&self, name: &str) -> bool {
        self.destination(name) != Destination::Foreign
    }
}

/// Whether a client at `ip` may use the answerer: RFC 1918, shared address
/// space (100.64/10, carrier-grade NAT and Tailscale), loopback, link-local
/// and unique local IPv6 (fc00::/7). Everyone else is refused.
pub fn private_client(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => private_v4(v4),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b))
}

/// The resolvers a `resolv.conf` names (`nameserver` lines), on port 53.
/// Scoped IPv6 addresses (`fe80::1%eth0`) are left out.
pub fn upstreams(resolv_conf: &str) -> Vec<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            words.next()?.parse::<IpAddr>().ok()
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// `IP[:PORT]` or `[IPv6]:PORT`, comma-separated (`BERTH_DNS_UPSTREAM`),
/// port 53 unless given.
pub fn parse_upstreams(list: &str) -> std::result::Result<Vec<SocketAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<SocketAddr>()
                .or_else(|_| item.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| format!("{item}: write an address like 192.168.1.1 or 192.168.1.1:53"))
        })
        .collect()
}

/// This server's addresses on the interface of its default route (IPv4,
/// and IPv6 when it has a global one), found without sending anything: a
/// UDP socket `connect`ed to a public address has the source address the
/// kernel would use.
pub fn default_route_addresses() -> Vec<IpAddr> {
    let probes: [SocketAddr; 2] = [
        (Ipv4Addr::new(1, 1, 1, 1), 53).into(),
        (
            Ipv6Addr::new(0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111),
            53,
        )
            .into(),
    ];
    probes
        .iter()
        .filter_map(|probe| {
            let bind: SocketAddr = match probe {
                SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
            };
            let socket = UdpSocket::bind(bind).ok()?;
            socket.connect(probe).ok()?;
            let ip = socket.local_addr().ok()?.ip();
            usable_address(ip).then_some(ip)
        })
        .collect()
}

/// An address other devices can reach us at.
fn usable_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_unspecified() && !v4.is_loopback(),
        IpAddr::V6(v6) => {
            !v6.is_unspecified() && !v6.is_loopback() && (v6.segments()[0] & 0xffc0) != 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_clients_are_served() {
        for ok in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.20",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.3.4",
            "100.64.0.1",
            "100.127.255.254",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "::ffff:192.168.1.2",
        ] {
            assert!(private_client(ok.parse().unwrap()), "{ok}");
        }
        for refused in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "172.15.255.255",
            "192.169.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "11.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "2001:db8::1",
            "2606:4700::1111",
            "fec0::1",
            "::ffff:8.8.8.8",
            "::",
        ] {
            assert!(!private_client(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn our_names_are_the_domain_below_it_and_the_flat_local_ones() {
        let names = Names::new("home.arpa", "box");
        for ours in [
            "home.arpa",
            "home.arpa.",
            "berth.home.arpa",
            "Jellyfin.Home.Arpa.",
            "a.b.home.arpa",
            "berth-box.local",
            "wiki-box.local.",
        ] {
            assert!(names.answers(ours), "{ours}");
        }
        for foreign in [
            "example.com",
            "box.local",
            "wiki.box.local",
            "arpa",
            "evilhome.arpa",
            "home.arpa.evil.test",
            "",
        ] {
            assert!(!names.answers(foreign), "{foreign}");
        }
    }

    #[test]
    fn resolv_conf_names_its_resolvers() {
        let conf = "# generated\nsearch lan\nnameserver 192.168.1.1\nnameserver  ::1 \noptions edns0\nnameserver fe80::1%eth0\nnameserver bogus\n;nameserver 9.9.9.9\n";
        assert_eq!(
            upstreams(conf),
            [
                "192.168.1.1:53".parse::<SocketAddr>().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert!(upstreams("").is_empty());
    }

    #[test]
    fn upstream_lists_take_ports_or_port_53() {
        assert_eq!(
            parse_upstreams("127.0.0.1:5300, 10.0.0.1,[::1]:53").unwrap(),
            [
                "127.0.0.1:5300".parse::<SocketAddr>().unwrap(),
                "10.0.0.1:53".parse().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert!(parse_upstreams("router.lan").is_err());
    }

    #[test]
    fn the_default_route_address_is_reachable_by_others() {
        // A machine that runs the tests has a default route (a server
        // without one has no LAN address to give); its address is neither
        // loopback nor unspecified.
        let found = default_route_addresses();
        assert!(found.iter().any(IpAddr::is_ipv4), "{found:?}");
        assert!(found.iter().all(|ip| usable_address(*ip)), "{found:?}");
        assert!(!usable_address("127.0.0.1".parse().unwrap()));
        assert!(!usable_address("fe80::1".parse().unwrap()));
        assert!(usable_address("fd00::2".parse().unwrap()));
    }
}
