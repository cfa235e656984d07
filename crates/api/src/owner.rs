//! The owner of a Berth home: takes its lock, opens the engine and the
//! store, settles what a crash left unfinished, keeps sampling and checking
//! for updates, and serves the daemon's commands on the unix socket and
//! over HTTP (`berth serve`), or in-process (the desktop app).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_engine::apps::Apps;
use berth_engine::lifecycle::Engine;
use berth_engine::metrics::sample_forever;
use berth_engine::proxy::tls::{Authority, Certificates};
use berth_engine::proxy::Names;
use berth_engine::rewrite::HostSettings;
use berth_engine::service::{Answer, Event, Request, Service, Started};
use tokio::net::UnixListener;
use tokio::sync::broadcast;

use crate::socket::SOCKET_NAME;
use crate::ApiError;

/// Where the web UI and HTTP API listen unless told otherwise: every
/// interface, so phones and laptops on the home network reach it.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8420";
/// The file in the home where the daemon writes the address it listens on.
pub const HTTP_ADDR_FILE: &str = "http.addr";
/// The file in the home where the daemon writes its reverse proxy's address.
pub const PROXY_ADDR_FILE: &str = "proxy.addr";
/// The file in the home where the daemon writes its DNS answerer's address.
pub const DNS_ADDR_FILE: &str = "dns.addr";
/// The file in the home where the daemon writes its HTTPS proxy's address.
pub const PROXY_TLS_ADDR_FILE: &str = "proxy-tls.addr";
/// Where the reverse proxy listens unless told otherwise (HTTP).
pub const DEFAULT_PROXY_LISTEN: &str = "0.0.0.0:80";
/// Where the reverse proxy listens unless told otherwise (HTTPS).
pub const DEFAULT_PROXY_TLS_LISTEN: &str = "0.0.0.0:443";

/// Where the reverse proxy listens, the names it answers to, and how
/// devices learn them: announced over mDNS (`mdns`), answered over DNS
/// (`dns`).
pub struct ProxyOptions {
    /// HTTP, if at all.
    pub listen: Option<std::net::SocketAddr>,
    /// HTTPS (certificates from this server's CA under `<home>/tls/`), if at all.
    pub tls_listen: Option<std::net::SocketAddr>,
    /// `listen` is the default, not asked for: if it cannot be bound
    /// (taken, not root), a warning says so and Berth goes on without it.
    pub listen_optional: bool,
    /// The same for `tls_listen`.
    pub tls_listen_optional: bool,
    pub names: Names,
    /// Announce `berth-<server>.local` and `<app>-<server>.local` over mDNS.
    pub mdns: bool,
    /// The DNS answerer, if any.
    pub dns: Option<crate::DnsOptions>,
    /// A certificate for `*.<domain>` from an ACME CA, if asked for.
    pub acme: Option<berth_engine::proxy::acme::AcmeOptions>,
}

impl ProxyOptions {
    /// The proxy on `listen` (HTTP only), apps named under `domain`, by default
    /// `<this server's short host name>.local`; always also as
    /// `<app>-<server>.local`.
    pub fn new(listen: std::net::SocketAddr, domain: Option<&str>) -> Self {
        let host = crate::hosts::hostname().unwrap_or_else(|| "berth".into());
        let server = host.split('.').next().unwrap_or(&host).to_string();
        let domain = domain
            .map(str::to_string)
            .unwrap_or_else(|| format!("{server}.local"));
        ProxyOptions {
            listen: Some(listen),
            tls_listen: None,
            listen_optional: false,
            tls_listen_optional: false,
            names: Names::new(&domain, &server),
            mdns: true,
            dns: None,
            acme: None,
        }
    }
}

/// Where [`Owner::serve_web`] listens.
#[derive(Debug, Default, Clone, Copy)]
pub struct Web {
    /// The web UI and API.
    pub http: Option<std::net::SocketAddr>,
    /// The reverse proxy.
    pub proxy: Option<std::net::SocketAddr>,
    /// The DNS answerer (UDP and TCP).
    pub dns: Option<std::net::SocketAddr>,
    /// Whether the proxy's names are announced over mDNS.
    pub mdns: bool,
    /// The reverse proxy over HTTPS.
    pub proxy_tls: Option<std::net::SocketAddr>,
}

/// A listener on `addr`, or an error saying which option picks another.
async fn bind(
    addr: std::net::SocketAddr,
    option: &str,
) -> Result<tokio::net::TcpListener, ApiError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        ApiError::Setup(format!(
            "cannot listen on {addr} ({e}); pick another address with {option}"
        ))
    })
}

/// As [`bind`]; when `optional` (a default port, not asked for), a port
/// that cannot be had is one warning line and no listener.
async fn bind_maybe(
    addr: std::net::SocketAddr,
    option: &str,
    optional: bool,
) -> Result<Option<tokio::net::TcpListener>, ApiError> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => Ok(Some(listener)),
        Err(e) if optional => {
            eprintln!(
                "berth: warning: not serving apps by name on {addr} ({e}); Berth goes on without it (run it as root, free the port, or pick another with {option}, or turn it off with none)"
            );
            Ok(None)
        }
        Err(_) => bind(addr, option).await.map(Some),
    }
}

/// The single owner of a Berth home: holds its lock, the Docker engine and
/// the store, settles unfinished operations, and runs commands. `berth
/// serve` wraps one in the unix socket and HTTP; the desktop app runs one
/// in-process.
pub struct Owner {
    service: Arc<Service>,
    home: PathBuf,
    /// The mDNS responder while the proxy's names are announced.
    announcer: std::sync::Mutex<Option<Arc<crate::mdns::Announcer>>>,
    _lock: std::fs::File,
}

impl Owner {
    /// Takes the home (refused when another process owns it), connects to
    /// the engine, opens the store, settles what a crash left unfinished and
    /// keeps settling what an absent engine leaves unfinished.
    pub async fn open(home: &Path, host: HostSettings) -> Result<Self, ApiError> {
        std::fs::create_dir_all(home)?;
        let lock = std::fs::File::create(home.join("berth.lock"))?;
        if lock.try_lock().is_err() {
            return Err(ApiError::AlreadyServing {
                home: home.to_path_buf(),
            });
        }
        let engine = Engine::connect().await?;
        let apps = Apps::open(home, engine, host)?;
        // A restore's fetch a crash interrupted had not begun the restore.
        apps.drop_stray_fetches();
        let service = Arc::new(Service::new(apps));
        // Capped data folders are mounted again before anything runs on them.
        match service.app_manager().mount_disks().await {
            Ok(mounted) if !mounted.is_empty() => {
                eprintln!(
                    "berth: mounted the capped data folders of {}",
                    mounted.join(", ")
                )
            }
            Ok(_) => {}
            Err(e) => eprintln!("berth: could not mount every capped data folder: {e}"),
        }
        service.settle_idle(&mut None).await;
        let settler = service.clone();
        let settle_every = settle_interval();
        tokio::spawn(async move {
            let mut last_error = None;
            loop {
                tokio::time::sleep(settle_every).await;
                settler.settle_idle(&mut last_error).await;
            }
        });
        // The storage guard: apps whose share's drive is absent are held,
        // and started again when it is back.
        service.guard_storage().await;
        let guard = service.clone();
        let guard_every = guard_interval();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(guard_every).await;
                guard.guard_storage().await;
            }
        });
        // SMB sharing, when it is on, from now until the daemon stops.
        tokio::spawn(service.clone().keep_smb(std::time::Duration::from_secs(5)));
        if let Some(every) = stats_interval() {
            let owner = service.clone();
            let apps = move || {
                owner
                    .app_manager()
                    .db()
                    .apps()
                    .map(|list| list.into_iter().map(|a| a.id).collect())
                    .unwrap_or_default()
            };
            tokio::spawn(sample_forever(
                service.app_manager().engine().clone(),
                apps,
                service.history(),
                every,
            ));
        }
        // Scheduled backups, once a target exists: looked at every 30 s
        // (sooner when one is due sooner), run one at a time.
        tokio::spawn(
            service
                .clone()
                .run_backup_schedule(std::time::Duration::from_secs(30)),
        );
        if let Some(every) = update_check_interval() {
            let checker = service.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = checker.check_updates().await {
                        eprintln!("berth: the update check failed, will try again: {e}");
                    }
                    tokio::time::sleep(every).await;
                }
            });
        }
        Ok(Owner {
            service,
            home: home.to_path_buf(),
            announcer: std::sync::Mutex::default(),
            _lock: lock,
        })
    }

    /// Stops what the daemon runs besides its tasks (Berth's smbd), and
    /// withdraws the names it announced (goodbye packets).
    pub async fn shutdown(&self) {
        self.service.stop_smb().await;
        let announcer = self
            .announcer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(announcer) = announcer {
            announcer.stop().await;
        }
    }

    /// Runs one command; long operations answer `{"operation": id}` at once
    /// and report on [`Owner::subscribe`].
    pub async fn call(&self, request: Request) -> Result<serde_json::Value, ApiError> {
        call_detached(&self.service, request).await
    }

    /// Every operation's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.service.subscribe()
    }

    /// A picture (icon, screenshot) of a store app, with its content type.
    pub fn store_picture(
        &self,
        store: &str,
        app: &str,
        file: &str,
    ) -> Option<(&'static str, Vec<u8>)> {
        self.service
            .app_manager()
            .catalogs()
            .picture(store, app, file)
            .ok()
    }

    /// The Docker Engine API version in use.
    pub fn docker_api(&self) -> String {
        self.service.app_manager().engine().api_version()
    }

    /// Serves the HTTP API and web UI on `addr` (with the login) in the
    /// background, answering to this server's names and `allowed_hosts`;
    /// writes the address to `<home>/http.addr` and returns it.
    pub async fn serve_http(
        &self,
        addr: std::net::SocketAddr,
        allowed_hosts: &[String],
    ) -> Result<std::net::SocketAddr, ApiError> {
        let web = self.serve_web(Some(addr), None, allowed_hosts).await?;
        Ok(web.http.expect("the web UI was asked for"))
    }

    /// Serves, in the background, the web UI and API on `listen` and the
    /// reverse proxy as `proxy` says (Berth's own names there lead to the
    /// same UI, with the same logins), announcing its names over mDNS and
    /// answering them over DNS when it says so; writes their addresses to
    /// `<home>/http.addr`, `<home>/proxy.addr` and `<home>/dns.addr`.
    pub async fn serve_web(
        &self,
        listen: Option<std::net::SocketAddr>,
        proxy: Option<ProxyOptions>,
        allowed_hosts: &[String],
    ) -> Result<Web, ApiError> {
        let http_listener = match listen {
            Some(addr) => Some(bind(addr, "--listen ADDR:PORT").await?),
            None => None,
        };
        let proxy_listener = match proxy.as_ref().and_then(|p| Some((p.listen?, p))) {
            Some((addr, p)) => {
                bind_maybe(addr, "--proxy-listen ADDR:PORT", p.listen_optional).await?
            }
            None => None,
        };
        let tls = match proxy.as_ref().and_then(|p| Some((p.tls_listen?, p))) {
            Some((addr, p)) => {
                match bind_maybe(addr, "--proxy-tls-listen ADDR:PORT", p.tls_listen_optional)
                    .await?
                {
                    Some(listener) => match Authority::open(&self.home, &p.names) {
                        // A damaged CA is never replaced (devices trust
                        // it): HTTPS stays off and says why; the UI, the
                        // apps and plain HTTP go on.
                        Err(e) => {
                            eprintln!("berth: warning: the HTTPS proxy does not listen: {e}");
                            self.service.set_https_problem(Some(e.to_string()));
                            None
                        }
                        Ok(authority) => {
                            let authority = Arc::new(authority);
                            let mut certificates =
                                Certificates::new(authority.clone(), p.names.clone());
                            if let Some(options) = &p.acme {
                                let acme = berth_engine::proxy::acme::Acme::open(
                                    &self.home,
                                    p.names.domain(),
                                    options.clone(),
                                )?;
                                certificates = certificates.with_acme(acme.clone());
                                self.service.set_acme(Some(acme.clone()));
                                tokio::spawn(crate::acme::keep(acme));
                            }
                            Some((listener, Arc::new(certificates), authority))
                        }
                    },
                    None => {
                        if p.acme.is_some() {
                            eprintln!("berth: warning: no ACME certificate is asked for: the HTTPS proxy does not listen");
                        }
                        None
                    }
                }
            }
            None => None,
        };
        let dns_sockets = match proxy.as_ref().and_then(|p| p.dns.as_ref()) {
            Some(dns) => Some(crate::dns::Bound::bind(dns.listen).await?),
            None => None,
        };
        let mut hosts = allowed_hosts.to_vec();
        if let Some(p) = &proxy {
            hosts.extend(p.names.berth_names());
        }
        // The setup code exists before anyone can learn where to use it.
        let mut http = crate::http::prepare(self.service.clone(), &hosts)?;
        http.names = proxy.as_ref().map(|p| Arc::new(p.names.clone()));
        let gate = http.gate.clone();
        let router = crate::http::router(http);
        let mut web = Web::default();
        if let Some(listener) = http_listener {
            let bound = listener.local_addr()?;
            std::fs::write(self.home.join(HTTP_ADDR_FILE), bound.to_string())?;
            tokio::spawn(crate::http::serve_http(router.clone(), listener));
            web.http = Some(bound);
        }
        if let Some(options) = proxy {
            let http_bound = proxy_listener
                .as_ref()
                .map(|l| l.local_addr())
                .transpose()?;
            let tls_bound = tls.as_ref().map(|(l, _, _)| l.local_addr()).transpose()?;
            // "Open" goes to apps by name from now on.
            self.service
                .set_open_by_name(Some(berth_engine::proxy::OpenByName {
                    names: options.names.clone(),
                    http_port: http_bound.map(|a| a.port()),
                    https_port: tls_bound.map(|a| a.port()),
                }));
            if let (Some(sockets), Some(dns)) = (dns_sockets, options.dns) {
                let at = sockets.local_addr()?;
                crate::dns::serve(sockets, options.names.clone(), dns)?;
                std::fs::write(self.home.join(DNS_ADDR_FILE), at.to_string())?;
                web.dns = Some(at);
            }
            let announced_port = http_bound.or(tls_bound).map(|a| a.port());
            if let (true, Some(port)) = (options.mdns, announced_port) {
                if let Some(announcer) = crate::mdns::Announcer::start(options.names.clone(), port)
                {
                    tokio::spawn(
                        announcer
                            .clone()
                            .keep(self.service.clone(), crate::mdns::announce_interval()),
                    );
                    *self.announcer.lock().unwrap_or_else(|p| p.into_inner()) = Some(announcer);
                    web.mdns = true;
                }
            }
            let proxy = crate::proxy::Proxy::new(self.service.clone(), options.names, router, gate);
            if let (Some(listener), Some(bound)) = (proxy_listener, http_bound) {
                std::fs::write(self.home.join(PROXY_ADDR_FILE), bound.to_string())?;
                crate::proxy::serve_proxy(proxy.clone(), listener)?;
                web.proxy = Some(bound);
            }
            if let (Some((listener, certificates, authority)), Some(bound)) = (tls, tls_bound) {
                std::fs::write(self.home.join(PROXY_TLS_ADDR_FILE), bound.to_string())?;
                eprintln!(
                    "berth: HTTPS certificates from the local CA {} (SHA-256 {}); devices trust it once (see /ca.crt)",
                    authority.cert_path().display(),
                    authority.fingerprint()
                );
                crate::proxy::serve_proxy_tls(proxy, listener, certificates)?;
                web.proxy_tls = Some(bound);
            }
        }
        Ok(web)
    }

    /// Serves the commands on `<home>/berth.sock` (mode 0600) until SIGINT
    /// or SIGTERM.
    pub async fn serve_socket(&self) -> Result<(), ApiError> {
        let socket = self.home.join(SOCKET_NAME);
        // We hold the lock, so a socket file left here is stale.
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
        eprintln!(
            "berth: serving {} (docker API {})",
            socket.display(),
            self.docker_api()
        );
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _) = accepted?;
                    let service = self.service.clone();
                    tokio::spawn(crate::socket::handle(service, stream));
                }
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
            }
        }
        let _ = std::fs::remove_file(&socket);
        Ok(())
    }
}

/// Runs one command for a client that does not stay for an operation's
/// events (HTTP, the desktop's IPC): an operation answers `{"operation":
/// id}` at once and goes on in its own task, reporting on the event
/// stream; a job is waited for (and also goes on if this request is
/// dropped); following logs needs a streaming client.
pub(crate) async fn call_detached(
    service: &Arc<Service>,
    request: Request,
) -> Result<serde_json::Value, ApiError> {
    match service.run(request).await? {
        Answer::Value(value) => Ok(value),
        Answer::Operation(op) => Ok(serde_json::to_value(Started { operation: op.id })
            .expect("replies serialize")),
        Answer::Job(op) => Ok(op.finish().await?),
        Answer::Stream(_) => Err(ApiError::Engine(berth_engine::Error::BadRequest {
            message: "following logs needs a streaming client (berth logs --follow); ask for the last lines instead".into(),
        })),
    }
}

/// Serves `home` until SIGINT or SIGTERM: the unix socket, HTTP on
/// `listen` unless it is `None` (answering to this server's own names and
/// `allowed_hosts`), and the reverse proxy when `proxy` says where.
pub async fn serve(
    home: &Path,
    host: HostSettings,
    listen: Option<std::net::SocketAddr>,
    proxy: Option<ProxyOptions>,
    allowed_hosts: &[String],
) -> Result<(), ApiError> {
    let owner = Owner::open(home, host).await?;
    let _ = std::fs::remove_file(home.join(HTTP_ADDR_FILE));
    let _ = std::fs::remove_file(home.join(PROXY_ADDR_FILE));
    let _ = std::fs::remove_file(home.join(DNS_ADDR_FILE));
    let _ = std::fs::remove_file(home.join(PROXY_TLS_ADDR_FILE));
    let domain = proxy.as_ref().map(|p| p.names.domain().to_string());
    let domain_for_dns = domain.clone();
    if listen.is_some() || proxy.is_some() {
        let web = owner.serve_web(listen, proxy, allowed_hosts).await?;
        if let Some(addr) = web.http {
            eprintln!("berth: web UI at {}", shown(addr));
        }
        if let (Some(addr), Some(domain)) = (web.proxy, &domain) {
            eprintln!(
                "berth: apps by name at {} (Host <app>.{domain} or <app>-<server>.local; Berth itself as berth.{domain})",
                shown(addr)
            );
        }
        if let (Some(addr), Some(domain)) = (web.proxy_tls, &domain) {
            eprintln!(
                "berth: apps by name over HTTPS on port {} of {} (https://<app>.{domain}, https://berth.{domain})",
                addr.port(),
                addr.ip()
            );
        }
        if web.mdns {
            eprintln!("berth: announcing berth-<server>.local and <app>-<server>.local over mDNS");
        }
        if let (Some(addr), Some(domain)) = (web.dns, domain_for_dns) {
            eprintln!(
                "berth: DNS answerer on {addr} (UDP and TCP): {domain}, *.{domain} and *-<server>.local answer this server, other names are forwarded; private clients only"
            );
        }
    }
    let served = owner.serve_socket().await;
    owner.shutdown().await;
    served
}

/// How to reach a listener, for people.
fn shown(addr: std::net::SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!(
            "http://<this server's address>:{} (and http://127.0.0.1:{})",
            addr.port(),
            addr.port()
        )
    } else {
        format!("http://{addr}")
    }
}

/// How often the daemon retries unsettled operations: `BERTH_SETTLE_SECS`,
/// else 10 seconds.
fn settle_interval() -> std::time::Duration {
    let secs = std::env::var("BERTH_SETTLE_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(10.0);
    std::time::Duration::from_secs_f64(secs)
}

/// How often the storage guard looks at the apps' shares and data disks:
/// `BERTH_GUARD_SECS`, else 5 seconds.
fn guard_interval() -> std::time::Duration {
    let secs = std::env::var("BERTH_GUARD_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(5.0);
    std::time::Duration::from_secs_f64(secs)
}

/// How often the daemon samples what apps use: `BERTH_STATS_SECS` (default
/// 10; 0 turns sampling off).
fn stats_interval() -> Option<std::time::Duration> {
    let secs = std::env::var("BERTH_STATS_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(10.0);
    (secs > 0.0).then(|| std::time::Duration::from_secs_f64(secs))
}

/// How often the daemon checks for updates: `BERTH_UPDATE_CHECK_HOURS`
/// (default 24; 0 turns the periodic check off).
fn update_check_interval() -> Option<std::time::Duration> {
    let hours = std::env::var("BERTH_UPDATE_CHECK_HOURS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(24.0);
    (hours > 0.0).then(|| std::time::Duration::from_secs_f64(hours * 3600.0))
}
