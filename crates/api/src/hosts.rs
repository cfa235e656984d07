//! The names and addresses this server answers to over HTTP. A web page of
//! another site can point its own name at this server's address (DNS
//! rebinding) and then talk to it as "the same site"; the `Host` the
//! browser sends still carries that other name, so Berth answers only when
//! the `Host` is one of its own: its host name (and `<name>.local`), the
//! addresses of its interfaces, localhost, and the names the user adds
//! (`--allow-host`, `BERTH_ALLOWED_HOSTS`).

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Interfaces come and go (DHCP, VPNs): their addresses are read again when
/// a request names one not seen, at most this often.
const REREAD: Duration = Duration::from_secs(5);

pub(crate) struct AllowedHosts {
    names: HashSet<String>,
    addresses: Mutex<(Instant, HashSet<IpAddr>)>,
}

impl AllowedHosts {
    /// This server's names and addresses, plus `extra` and those in
    /// `BERTH_ALLOWED_HOSTS` (comma-separated).
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut names: HashSet<String> = ["localhost".to_string()].into();
        if let Some(host) = hostname() {
            let short = host.split('.').next().unwrap_or(&host).to_string();
            names.insert(format!("{short}.local"));
            names.insert(short);
            names.insert(host);
        }
        let from_env = std::env::var("BERTH_ALLOWED_HOSTS").unwrap_or_default();
        for name in extra.iter().map(String::as_str).chain(from_env.split(',')) {
            let name = normalize(name);
            if !name.is_empty() {
                names.insert(name);
            }
        }
        AllowedHosts {
            names,
            addresses: Mutex::new((Instant::now(), interface_addresses())),
        }
    }

    /// Whether a request whose `Host` (or authority) is `host` is for us.
    pub(crate) fn allows(&self, host: &str) -> bool {
        let name = normalize(strip_port(host));
        match name.parse::<IpAddr>() {
            Ok(ip) if ip.is_loopback() => true,
            Ok(ip) => {
                let mut known = self.addresses.lock().expect("addresses lock");
                if known.1.contains(&ip) {
                    return true;
                }
                if known.0.elapsed() >= REREAD {
                    *known = (Instant::now(), interface_addresses());
                }
                known.1.contains(&ip)
            }
            Err(_) => self.names.contains(&name),
        }
    }
}

fn normalize(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .map(str::to_string)
        .unwrap_or(name)
}

/// `name:port` → `name`; `[v6]:port` → `[v6]`; a bare IPv6 address stays whole.
fn strip_port(host: &str) -> &str {
    let is_port = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) if host[end + 1..].is_empty() => host,
            Some(end) if host[end + 1..].strip_prefix(':').is_some_and(is_port) => &host[..=end],
            _ => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && is_port(port) => name,
        _ => host,
    }
}

pub(crate) fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is passed.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = normalize(&String::from_utf8_lossy(&buf[..end]));
    (!name.is_empty()).then_some(name)
}

/// The IPv4 and IPv6 addresses of every interface.
pub(crate) fn interface_addresses() -> HashSet<IpAddr> {
    let mut found = HashSet::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we only read and
    // then free once with freeifaddrs; each address is read as the type its
    // family says it is.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return found;
        }
        let mut node = list;
        while let Some(entry) = node.as_ref() {
            if let Some(addr) = entry.ifa_addr.as_ref() {
                match i32::from(addr.sa_family) {
                    libc::AF_INET => {
                        let v4 = &*(entry.ifa_addr as *const libc::sockaddr_in);
                        found.insert(IpAddr::from(u32::from_be(v4.sin_addr.s_addr).to_be_bytes()));
                    }
                    libc::AF_INET6 => {
                        let v6 = &*(entry.ifa_addr as *const libc::sockaddr_in6);
                        found.insert(IpAddr::from(v6.sin6_addr.s6_addr));
                    }
                    _ => {}
                }
            }
            node = entry.ifa_next;
        }
        libc::freeifaddrs(list);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_matched_without_their_port() {
        let allowed = AllowedHosts::new(&["Berth.Example.".to_string()]);
        for ok in [
            "localhost",
            "localhost:8420",
            "127.0.0.1:8420",
            "[::1]:8420",
            "::1",
            "berth.example:8420",
            "BERTH.example",
        ] {
            assert!(allowed.allows(ok), "{ok}");
        }
        for refused in [
            "evil.test:8420",
            "evil.test",
            "",
            "localhost.evil.test",
            "[::1].evil",
        ] {
            assert!(!allowed.allows(refused), "{refused}");
        }
    }

    #[test]
    fn this_machines_name_and_addresses_are_allowed() {
        let allowed = AllowedHosts::new(&[]);
        let name = hostname().expect("this machine has a name");
        assert!(allowed.allows(&format!("{name}:8420")));
        let short = name.split('.').next().unwrap();
        assert!(allowed.allows(&format!("{short}.local")));
        let addresses = interface_addresses();
        assert!(addresses.iter().any(IpAddr::is_loopback), "{addresses:?}");
        for ip in addresses {
            let host = match ip {
                IpAddr::V4(v4) => format!("{v4}:8420"),
                IpAddr::V6(v6) => format!("[{v6}]:8420"),
            };
            assert!(allowed.allows(&host), "{host}");
        }
    }
}
