//! The reverse proxy: one listener where every app answers by its own name
//! (`<app>.<domain>`, `<app>-<server>.local`) and Berth's web UI and API by
//! theirs (`berth.<domain>`), so Berth and each app are different origins.
//! Which name means what and where an app answers is the engine's
//! ([`berth_engine::proxy`]); this file only carries HTTP.
//!
//! HTTP/1.1 and HTTP/2, in clear or over TLS with certificates from this
//! server's own CA ([`serve_proxy_tls`]; hyper-util's auto builder); bodies stream
//! both ways with hyper's back-pressure (nothing is buffered whole);
//! WebSocket and other upgrades are joined and copied both ways;
//! hop-by-hop headers are dropped; `X-Forwarded-For`, `-Proto` and `-Host`
//! are set. Berth's session cookie (and key header) never reach an app.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Request, Response, StatusCode, Uri, Version};
use axum::Router;
use berth_engine::proxy::tls::Certificates;
use berth_engine::proxy::{AppsByName, Destination, Names, Route, Routes};
use berth_engine::service::Service;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tower::ServiceExt;

use crate::auth::{COOKIE, KEY_HEADER};
use crate::error::ApiError;
use crate::gate::{self, Gate, GATE_COOKIE, GATE_PAGE, GATE_PATH};
use upstream::{BoxError, Kept};

mod upstream;

/// How long a found route is trusted before the engine is asked again.
const ROUTE_KEEP: Duration = Duration::from_secs(2);
/// How long an app may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take for the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Headers that describe one connection, not the request (RFC 9110 §7.6.1):
/// never passed on.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The proxy's state: the names it answers to, the routing table, Berth's
/// own web router and the client that reaches apps (keeps connections).
#[derive(Clone)]
pub(crate) struct Proxy {
    service: Arc<Service>,
    names: Arc<Names>,
    routes: Arc<Routes>,
    /// What each name leads to, kept until the store's apps change.
    apps: Arc<AppsByName>,
    berth: Router,
    client: Client<HttpConnector, Incoming>,
    /// The login gate's tickets and cookies, shared with Berth's web UI.
    gate: Arc<Gate>,
    /// Requests came over TLS (`X-Forwarded-Proto: https`; the gate's cookie is then `Secure`).
    https: bool,
    /// The daemon's runtime: Berth's own pages and the engine look-ups
    /// run there, not on the proxy's workers.
    main: tokio::runtime::Handle,
    /// Over TLS: the certificates, which say whether a request's name may
    /// come on a connection made for another.
    certificates: Option<Arc<Certificates>>,
}

impl Proxy {
    /// A proxy answering to `names`, serving Berth's own names with `berth`.
    /// Called on the daemon's runtime.
    pub(crate) fn new(service: Arc<Service>, names: Names, berth: Router, gate: Arc<Gate>) -> Self {
        Proxy {
            service,
            names: Arc::new(names),
            routes: Arc::new(Routes::new(ROUTE_KEEP)),
            apps: Arc::default(),
            berth,
            client: client(),
            gate,
            https: false,
            main: tokio::runtime::Handle::current(),
            certificates: None,
        }
    }

    /// The same proxy (names, routes) for one worker, with its own pool
    /// of connections to the apps, kept on the worker's thread.
    fn for_worker(&self, https: bool) -> Self {
        Proxy {
            client: client(),
            https,
            ..self.clone()
        }
    }

    fn proto(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    async fn handle(
        self: Arc<Self>,
        peer: SocketAddr,
        sni: Option<&str>,
        kept: &Kept,
        request: Request<Incoming>,
    ) -> Response<Body> {
        let host = host_of(&request);
        if let (Some(sni), Some(certificates)) = (sni, &self.certificates) {
            let name = host
                .rsplit_once(':')
                .map_or(host.as_str(), |(name, _)| name);
            if !certificates.covers_both(sni, name) {
                return page(
                    StatusCode::MISDIRECTED_REQUEST,
                    "Wrong connection",
                    format!("This connection is for {sni}, not {name}: ask again on a connection of its own."),
                );
            }
        }
        match self.names.destination(&host) {
            Destination::Foreign => page(
                StatusCode::MISDIRECTED_REQUEST,
                "Not a name of this server",
                format!(
                    "This server answers only to its own names (its apps under {}).",
                    self.names.domain()
                ),
            ),
            Destination::NoSuchName => no_such_app(&self.names),
            Destination::Berth => self.serve_berth(peer, host, request).await,
            Destination::App(app) => self.serve_app(peer, host, &app, kept, request).await,
        }
    }

    /// Berth's own web UI and API, in this process: it sees the real peer
    /// (its login throttle counts by address).
    async fn serve_berth(
        self: Arc<Self>,
        peer: SocketAddr,
        host: String,
        request: Request<Incoming>,
    ) -> Response<Body> {
        let mut request = request.map(Body::new);
        if let Ok(host) = HeaderValue::from_str(&host) {
            // HTTP/2 carries the name in the authority only; Berth's checks read `Host`.
            request.headers_mut().entry(header::HOST).or_insert(host);
        }
        if self.https {
            // Berth's own checks (the session cookie's `Secure`) read this.
            request
                .headers_mut()
                .insert("x-forwarded-proto", HeaderValue::from_static("https"));
        }
        request.extensions_mut().insert(ConnectInfo(peer));
        let berth = self.berth.clone();
        match self.main.spawn(berth.oneshot(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(e) => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Berth failed",
                format!("Berth failed to answer this request: {e}"),
            ),
        }
    }

    async fn serve_app(
        self: Arc<Self>,
        peer: SocketAddr,
        host: String,
        app: &str,
        kept: &Kept,
        request: Request<Incoming>,
    ) -> Response<Body> {
        // The name's app, as the store has it now (kept until the apps
        // change), so a rename moves it at once.
        let db = self.service.app_manager().db();
        let record = match self.apps.app(db, app) {
            Ok(Some(record)) if record.state == "installed" => record,
            Ok(_) => return no_such_app(&self.names),
            Err(e) => {
                return page(
                    StatusCode::BAD_GATEWAY,
                    "Cannot find the app",
                    format!("Berth cannot look up the app {app}: {e}"),
                )
            }
        };
        // The gate's own path is the proxy's, for every app: never the app's.
        if request.uri().path() == GATE_PATH {
            return self.gate_entry(&host, &record.id, &request);
        }
        if record.gate && !self.passes_gate(&record.id, request.headers()) {
            return self.to_gate(&host, app, &request);
        }
        let upstream = match self.route(&record.id).await {
            Ok(Route::Upstream(upstream)) => upstream,
            Ok(Route::NoSuchApp) => return no_such_app(&self.names),
            Ok(Route::NoWebPort) => {
                return page(
                    StatusCode::NOT_FOUND,
                    "No web page",
                    format!("The app {app} publishes no port, so it has no page to open."),
                )
            }
            Ok(Route::NotRunning(service)) => {
                return page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Not running",
                    format!(
                        "The app {app} is not running (its service {service} has no running container); start it in Berth."
                    ),
                )
            }
            Ok(Route::Unreachable(service)) => {
                return page(
                    StatusCode::BAD_GATEWAY,
                    "Cannot reach the app",
                    format!(
                        "The app {app} is up, but its service {service} has no network address now (it may be restarting); try again in a moment, or see its page in Berth."
                    ),
                )
            }
            Err(e) => {
                return page(
                    StatusCode::BAD_GATEWAY,
                    "Cannot find the app",
                    format!("Berth cannot find where {app} answers: {e}"),
                )
            }
        };
        match self.forward(peer, &host, upstream, kept, request).await {
            Ok(response) => response,
            Err(e) => {
                // Recreated containers get new addresses: look again next time.
                self.routes.forget(&record.id);
                page(
                    StatusCode::BAD_GATEWAY,
                    "The app does not answer",
                    format!(
                        "The app {app} did not answer at {upstream}: {}",
                        causes(e.as_ref())
                    ),
                )
            }
        }
    }

    /// Where the app `id` answers: as kept, else asked of the engine on
    /// the daemon's runtime (its Docker client lives there).
    async fn route(&self, id: &str) -> berth_engine::Result<Route> {
        if let Some(route) = self.routes.kept(id) {
            return Ok(route);
        }
        let (routes, service, id) = (self.routes.clone(), self.service.clone(), id.to_string());
        let found = self
            .main
            .spawn(async move { routes.find(service.app_manager(), &id).await })
            .await;
        found.unwrap_or_else(|e| {
            Err(berth_engine::Error::Internal {
                message: format!("the route look-up failed: {e}"),
            })
        })
    }

    /// Whether a request to the gated app `app` (its id) carries a gate
    /// cookie of that app whose Berth session still lives.
    fn passes_gate(&self, app: &str, headers: &HeaderMap) -> bool {
        cookie_values(headers, GATE_COOKIE).any(|value| {
            let Some(session) = self.gate.pass(&value, app) else {
                return false;
            };
            let alive = matches!(
                self.service.app_manager().db().session_user(&session),
                Ok(Some(_))
            );
            if !alive {
                self.gate.close(&session);
            }
            alive
        })
    }

    /// A request for a gated app without a good gate cookie: a page load
    /// goes to Berth's gate page (same name form, scheme and port), which
    /// comes back with a ticket; anything else is refused with 401.
    fn to_gate<B>(&self, host: &str, name: &str, request: &Request<B>) -> Response<Body> {
        let navigation = (request.method() == axum::http::Method::GET
            || request.method() == axum::http::Method::HEAD)
            && request
                .headers()
                .get("sec-fetch-mode")
                .is_none_or(|mode| mode.as_bytes() == b"navigate");
        let Some(berth) = self.names.sibling(host, "berth") else {
            return no_such_app(&self.names);
        };
        if !navigation {
            return page(
                StatusCode::UNAUTHORIZED,
                "Log in to Berth first",
                format!("Only people logged in to Berth can open {name}; open it from Berth at {berth}."),
            );
        }
        let to = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let location = format!(
            "{}://{berth}{GATE_PAGE}?app={}&to={}",
            self.proto(),
            gate::encode(name),
            gate::encode(to)
        );
        let mut response = page(
            StatusCode::FOUND,
            "Log in to Berth first",
            format!("Only people logged in to Berth can open {name}: Berth asks you to log in at {berth}."),
        );
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// `/.berth/gate?ticket=…&to=…` on an app's name: a good ticket for
    /// this app becomes its gate cookie, and the browser goes on to `to`
    /// (a path of this name only); a bad one is refused.
    fn gate_entry<B>(&self, host: &str, app: &str, request: &Request<B>) -> Response<Body> {
        let query = request.uri().query().unwrap_or_default();
        let session = gate::query_value(query, "ticket").and_then(|t| self.gate.redeem(&t, app));
        let alive = session.as_deref().is_some_and(|s| {
            matches!(self.service.app_manager().db().session_user(s), Ok(Some(_)))
        });
        let (Some(session), true) = (session, alive) else {
            return page(
                StatusCode::FORBIDDEN,
                "This link has expired",
                format!("The link into this app was used already, is too old or is for another app; open the app again from Berth ({}).", self.names.sibling(host, "berth").unwrap_or_default()),
            );
        };
        let to = gate::query_value(query, "to").unwrap_or_default();
        let to = gate::safe_path(&to);
        let cookie = format!(
            "{GATE_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{}",
            self.gate.open(app, &session),
            if self.https { "; Secure" } else { "" }
        );
        let mut response = page(
            StatusCode::FOUND,
            "Opening the app",
            format!("Go on to {to}."),
        );
        let headers = response.headers_mut();
        if let (Ok(cookie), Ok(location)) =
            (HeaderValue::from_str(&cookie), HeaderValue::from_str(to))
        {
            headers.insert(header::SET_COOKIE, cookie);
            headers.insert(header::LOCATION, location);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        response
    }

    /// Sends `request` to `upstream` as HTTP/1.1 and its answer back, both
    /// bodies streamed; joins an upgraded connection (WebSocket) both ways.
    async fn forward(
        &self,
        peer: SocketAddr,
        host: &str,
        upstream: SocketAddr,
        kept: &Kept,
        mut request: Request<Incoming>,
    ) -> Result<Response<Body>, BoxError> {
        // One request after another (HTTP/1): on the app connection this
        // client connection keeps; HTTP/2's streams come together: the pool.
        let one_at_a_time = request.version() <= Version::HTTP_11;
        let upgrade = (request.version() == Version::HTTP_11)
            .then(|| upgrade_protocol(request.headers()))
            .flatten();
        let client_side = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        let headers = &mut parts.headers;
        remove_hop_by_hop(headers);
        remove_berth_session(headers);
        headers.remove(KEY_HEADER);
        if let Some(protocol) = &upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, protocol.clone());
        }
        forwarded_for(headers, peer);
        headers.insert("x-forwarded-proto", HeaderValue::from_static(self.proto()));
        if let Ok(host) = HeaderValue::from_str(host) {
            headers.insert("x-forwarded-host", host.clone());
            // Apps make their links from the name they were asked by.
            headers.insert(header::HOST, host);
        }
        let path = || parts.uri.path_and_query().map_or("/", |p| p.as_str());
        if !one_at_a_time {
            // The pool picks the connection by the URI's authority.
            parts.uri = Uri::builder()
                .scheme("http")
                .authority(upstream.to_string())
                .path_and_query(path())
                .build()
                .expect("an address and a request's path make a URI");
        } else if parts.uri.authority().is_some() {
            // Asked in absolute form: the app gets the path (origin form).
            parts.uri = Uri::try_from(path())?;
        }
        parts.version = Version::HTTP_11;
        let request = Request::from_parts(parts, body);
        let mut response = if one_at_a_time {
            kept.send(upstream, request).await?
        } else {
            self.client.request(request).await?
        };
        let switched = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        match client_side {
            Some(client_side) if switched => {
                let kept = [header::CONNECTION, header::UPGRADE]
                    .map(|name| (name.clone(), response.headers().get(name).cloned()));
                let app_side = hyper::upgrade::on(&mut response);
                tokio::spawn(async move {
                    if let (Ok(client), Ok(app)) = tokio::join!(client_side, app_side) {
                        let _ = tokio::io::copy_bidirectional(
                            &mut TokioIo::new(client),
                            &mut TokioIo::new(app),
                        )
                        .await;
                    }
                });
                remove_hop_by_hop(response.headers_mut());
                for (name, value) in kept {
                    if let Some(value) = value {
                        response.headers_mut().insert(name, value);
                    }
                }
            }
            _ => remove_hop_by_hop(response.headers_mut()),
        }
        Ok(response.map(Body::new))
    }
}

type Server = Arc<hyper_util::server::conn::auto::Builder<TokioExecutor>>;

fn server() -> Server {
    let mut server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    server
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    Arc::new(server)
}

/// A client for the apps' upstreams (connections kept alive and reused).
fn client() -> Client<HttpConnector, Incoming> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Serves one client connection (clear, or TLS whose handshake asked for
/// `sni`) with `proxy`.
async fn serve_connection<I>(
    server: Server,
    proxy: Arc<Proxy>,
    peer: SocketAddr,
    sni: Option<Arc<str>>,
    io: I,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kept = Arc::new(Kept::default());
    let service = hyper::service::service_fn(move |request| {
        let (proxy, sni, kept) = (proxy.clone(), sni.clone(), kept.clone());
        async move { Ok::<_, Infallible>(proxy.handle(peer, sni.as_deref(), &kept, request).await) }
    });
    let _ = server
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .await;
}

/// Runs `serve` on one thread per core, each with its own single-threaded
/// runtime accepting on `listener`, as nginx runs one worker per core: a
/// request, its app connection and its answer stay on one thread, with no
/// hand-over between threads on the way.
fn spawn_workers<F, Fut>(
    what: &'static str,
    listener: tokio::net::TcpListener,
    serve: F,
) -> std::io::Result<()>
where
    F: Fn(tokio::net::TcpListener) -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let listener = listener.into_std()?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    for worker in 0..workers {
        let listener = listener.try_clone()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let serve = serve.clone();
        std::thread::Builder::new()
            .name(format!("berth-{what}-{worker}"))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener).await,
                        Err(e) => eprintln!("berth: the {what} worker cannot listen: {e}"),
                    }
                })
            })?;
    }
    Ok(())
}

/// Accepts connections on `listener` until the process ends, handing each
/// to `serve` on this thread.
async fn accept_loop<F, Fut>(what: &str, listener: tokio::net::TcpListener, serve: F)
where
    F: Fn(tokio::net::TcpStream, SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pass, do not spin.
                eprintln!("berth: the {what} cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(stream, peer));
    }
}

/// Serves the proxy over TLS on `listener` until the process ends: the
/// certificate is chosen by the name the client asks for (SNI), HTTP/2 or
/// HTTP/1.1 by ALPN.
pub(crate) fn serve_proxy_tls(
    proxy: Proxy,
    listener: tokio::net::TcpListener,
    certificates: Arc<Certificates>,
) -> Result<(), ApiError> {
    let acceptor = tokio_rustls::TlsAcceptor::from(certificates.clone().server_config()?);
    let proxy = Proxy {
        certificates: Some(certificates),
        ..proxy
    };
    let serving = spawn_workers("https", listener, move |listener| {
        let proxy = Arc::new(proxy.for_worker(true));
        let acceptor = acceptor.clone();
        let server = server();
        accept_loop("HTTPS proxy", listener, move |stream, peer| {
            let (proxy, server, acceptor) = (proxy.clone(), server.clone(), acceptor.clone());
            async move {
                // A name that is not ours gets no certificate: the handshake
                // fails, and there is nothing to answer.
                if let Ok(Ok(stream)) =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                {
                    // What the handshake asked for, so a request for
                    // another name on this connection can be refused.
                    let sni = stream.get_ref().1.server_name().map(Arc::from);
                    serve_connection(server, proxy, peer, sni, stream).await;
                }
            }
        })
    });
    Ok(serving?)
}

/// Serves the proxy on `listener` until the process ends.
pub(crate) fn serve_proxy(proxy: Proxy, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    spawn_workers("http", listener, move |listener| {
        // One proxy shared by every connection of this worker.
        let proxy = Arc::new(proxy.for_worker(false));
        let server = server();
        accept_loop("proxy", listener, move |stream, peer| {
            serve_connection(server.clone(), proxy.clone(), peer, None, stream)
        })
    })
}

/// The name a request was sent to: its authority (HTTP/2, absolute form),
/// else its `Host`.
fn host_of<B>(request: &Request<B>) -> String {
    request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// The protocol a request asks to switch to (`Upgrade: websocket` with
/// `Connection: upgrade`).
fn upgrade_protocol(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// Drops the hop-by-hop headers and those the `Connection` header names.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
}

/// The values of the cookie `name` in every `Cookie` header.
fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |kv| {
            let (k, v) = kv.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
}

/// Removes Berth's session cookie and the gate's from every `Cookie`
/// header, keeping the app's own cookies: a browser sends cookies to every
/// port of a host, and an app must never hold the user's Berth session.
fn remove_berth_session(headers: &mut HeaderMap) {
    let kept: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .map(|pair| String::from_utf8_lossy(pair).trim().to_string())
        .filter(|pair| {
            let name = pair.split('=').next().map(str::trim);
            !pair.is_empty() && name != Some(COOKIE) && name != Some(GATE_COOKIE)
        })
        .collect();
    headers.remove(header::COOKIE);
    if !kept.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&kept.join("; ")) {
            headers.insert(header::COOKIE, value);
        }
    }
}

/// Adds the client's address to `X-Forwarded-For` (after what earlier
/// proxies wrote).
fn forwarded_for(headers: &mut HeaderMap, peer: SocketAddr) {
    let ip = peer.ip().to_canonical().to_string();
    let value = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) if !earlier.trim().is_empty() => format!("{earlier}, {ip}"),
        _ => ip,
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert("x-forwarded-for", value);
    }
}

/// An error and its causes in one line: the client's own message alone
/// ("client error (Connect)") does not say what went wrong.
fn causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

fn no_such_app(names: &Names) -> Response<Body> {
    page(
        StatusCode::NOT_FOUND,
        "No such app",
        format!(
            "No app of this server has that name. Apps answer as <app>.{}; Berth lists them at berth.{}.",
            names.domain(),
            names.domain()
        ),
    )
}

/// A short page of the proxy's own.
fn page(status: StatusCode, title: &str, sentence: String) -> Response<Body> {
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1><p>{}</p>\n",
        escape(&sentence)
    );
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_berth_cookie_is_removed_and_the_apps_kept() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; berth_session=secret;lang=en"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("berth_session=again; berth_gate=pass"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("berth_sessionx=app"),
        );
        remove_berth_session(&mut headers);
        let all: Vec<_> = headers.get_all(header::COOKIE).iter().collect();
        assert_eq!(all, ["theme=dark; lang=en; berth_sessionx=app"]);

        let mut only = HeaderMap::new();
        only.insert(
            header::COOKIE,
            HeaderValue::from_static(" berth_session = x"),
        );
        remove_berth_session(&mut only);
        assert!(only.get(header::COOKIE).is_none());
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_go() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, X-Secret"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "websocket"),
            ("x-kept", "1"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        remove_hop_by_hop(&mut headers);
        let left: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["x-kept"]);
    }

    #[test]
    fn an_upgrade_needs_both_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert_eq!(upgrade_protocol(&headers), None);
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert_eq!(
            upgrade_protocol(&headers),
            Some(HeaderValue::from_static("websocket"))
        );
    }

    #[test]
    fn forwarded_for_appends_the_peer() {
        let mut headers = HeaderMap::new();
        forwarded_for(&mut headers, "[::ffff:10.0.0.2]:5000".parse().unwrap());
        assert_eq!(headers["x-forwarded-for"], "10.0.0.2");
        forwarded_for(&mut headers, "192.168.1.9:1".parse().unwrap());
        assert_eq!(headers["x-forwarded-for"], "10.0.0.2, 192.168.1.9");
    }
}
