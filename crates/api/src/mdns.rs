//! Announcing the proxy's names over mDNS (`berth serve --mdns on`, the
//! default when the proxy listens): an `mdns-sd` responder that answers
//! A/AAAA queries for `berth-<server>.local` and `<app>-<server>.local`
//! with this server's address on the interface the query came in on, and
//! offers each app once as an `_http._tcp` service on the proxy's port (its
//! flat name; the `<app>.<server>.local` form answers only for its address). Which
//! names and which interfaces is the engine's ([`berth_engine::proxy::announce`]);
//! this module owns the responder and keeps it in step with the installed
//! apps.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth_engine::proxy::announce::{lan_interface, web_apps, Announced};
use berth_engine::proxy::Names;
use berth_engine::service::Service;
use mdns_sd::{DaemonEvent, IfKind, IfPredicate, ServiceDaemon, ServiceInfo};

const SERVICE_TYPE: &str = "_http._tcp.local.";
/// The type under which the names that are not listed as web pages are
/// registered (mdns-sd answers a host name's address only for a service):
/// no browser or phone lists it, so no app shows up twice.
const ALIAS_TYPE: &str = "_berth-alias._tcp.local.";
const PORT: u16 = 5353;

/// The responder and what it announces now (instance → its full name).
pub struct Announcer {
    daemon: ServiceDaemon,
    names: Names,
    port: u16,
    announced: Mutex<BTreeMap<Announced, String>>,
    events: mdns_sd::Receiver<DaemonEvent>,
}

impl Announcer {
    /// A responder on UDP port 5353 answering on the LAN interfaces, or
    /// `None` after one warning when the port cannot be used (another mDNS
    /// responder holds it without sharing, or no permission). `port` is the
    /// proxy's, offered in the `_http._tcp` records.
    pub fn start(names: Names, port: u16) -> Option<Arc<Self>> {
        // mdns-sd binds its sockets in its own thread and only logs a
        // failure there; try the same bind here to say so. It shares the
        // port (SO_REUSEADDR and SO_REUSEPORT, as avahi-daemon does), so a
        // running avahi is no obstacle.
        if let Err(e) = shared_bind() {
            eprintln!(
                "berth: warning: cannot use UDP port {PORT} for mDNS ({e}), so the apps' .local names are not announced; \
                 the proxy still answers them (turn this off with --mdns off)"
            );
            return None;
        }
        let daemon = match ServiceDaemon::new() {
            Ok(daemon) => daemon,
            Err(e) => {
                eprintln!("berth: warning: cannot start mDNS ({e}); the apps' .local names are not announced");
                return None;
            }
        };
        let not_lan = IfPredicate::new(|intf| !lan_interface(&intf.name, intf.is_loopback()));
        let events = match daemon
            .disable_interface(IfKind::Predicate(not_lan))
            .and_then(|()| daemon.monitor())
        {
            Ok(events) => events,
            Err(e) => {
                eprintln!("berth: warning: cannot set up mDNS ({e}); the apps' .local names are not announced");
                let _ = daemon.shutdown();
                return None;
            }
        };
        Some(Arc::new(Announcer {
            daemon,
            names,
            port,
            announced: Mutex::default(),
            events,
        }))
    }

    /// Keeps the announced names those of the installed apps with a web
    /// page, looking every `every`, until the daemon stops.
    pub async fn keep(self: Arc<Self>, service: Arc<Service>, every: Duration) {
        let mut last_error = None;
        loop {
            let outcome = match web_apps(service.app_manager()) {
                Ok(apps) => {
                    self.set(&apps);
                    None
                }
                Err(e) => Some(format!("cannot list the apps to announce: {e}")),
            };
            if outcome != last_error {
                if let Some(e) = &outcome {
                    eprintln!("berth: mDNS: {e}");
                }
                last_error = outcome;
            }
            self.report_events();
            tokio::time::sleep(every).await;
        }
    }

    /// Announces the names `apps` need and withdraws the others (with a
    /// goodbye, so caches forget them at once).
    fn set(&self, apps: &[String]) {
        let wanted = self.names.announced(apps);
        let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
        let gone: Vec<Announced> = announced
            .keys()
            .filter(|name| !wanted.contains(*name))
            .cloned()
            .collect();
        // A full command queue (`Again`) is tried again on the next round.
        for name in gone {
            match announced
                .get(&name)
                .map(|fullname| self.daemon.unregister(fullname))
            {
                Some(Err(mdns_sd::Error::Again)) => {}
                Some(Err(e)) => {
                    eprintln!("berth: mDNS: cannot withdraw {}: {e}", name.host);
                    announced.remove(&name);
                }
                _ => {
                    announced.remove(&name);
                }
            }
        }
        for name in wanted {
            if announced.contains_key(&name) {
                continue;
            }
            match self.register(&name) {
                Ok(fullname) => {
                    announced.insert(name, fullname);
                }
                Err(mdns_sd::Error::Again) => {}
                Err(e) => eprintln!("berth: mDNS: cannot announce {}: {e}", name.host),
            }
        }
    }

    fn register(&self, name: &Announced) -> Result<String, mdns_sd::Error> {
        let kind = if name.browsable {
            SERVICE_TYPE
        } else {
            ALIAS_TYPE
        };
        let info = ServiceInfo::new(
            kind,
            &name.instance,
            &format!("{}.", name.host),
            (),
            self.port,
            &[("path", "/")][..],
        )?
        // The addresses of the interfaces mDNS runs on, followed as they
        // change; each query is answered with those of its interface.
        .enable_addr_auto();
        let fullname = info.get_fullname().to_string();
        self.daemon.register(info)?;
        Ok(fullname)
    }

    /// Says what the responder had to change or could not do (a name
    /// another device holds is announced with `-2` appended).
    fn report_events(&self) {
        while let Ok(event) = self.events.try_recv() {
            match event {
                DaemonEvent::NameChange(change) => eprintln!(
                    "berth: mDNS: {} is taken by another device on the network; announced as {}",
                    change.original, change.new_name
                ),
                DaemonEvent::Error(e) => eprintln!("berth: mDNS: {e}"),
                _ => {}
            }
        }
    }

    /// Withdraws every name (goodbye packets) and stops the responder.
    pub async fn stop(&self) {
        let fullnames: Vec<String> = {
            let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *announced).into_values().collect()
        };
        let waits: Vec<_> = fullnames
            .iter()
            .filter_map(|name| self.daemon.unregister(name).ok())
            .collect();
        let daemon = self.daemon.clone();
        let _ = tokio::task::spawn_blocking(move || {
            for wait in waits {
                let _ = wait.recv_timeout(Duration::from_secs(2));
            }
            if let Ok(done) = daemon.shutdown() {
                let _ = done.recv_timeout(Duration::from_secs(2));
            }
        })
        .await;
    }
}

/// Binds UDP port 5353 the way mdns-sd does (shared), and lets it go.
fn shared_bind() -> std::io::Result<()> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)).into())
}

/// How often the announcer compares the names with the installed apps:
/// `BERTH_MDNS_SECS`, else 5 seconds.
pub(crate) fn announce_interval() -> Duration {
    let secs = std::env::var("BERTH_MDNS_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}
