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
use berth_engine::proxy::{AppsByName, Destination, Names, Route, Routes};
use berth_engine::service::Service;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tower::ServiceExt;

use crate::auth::{COOKIE, KEY_HEADER};
use crate::gate::{self, Gate, GATE_COOKIE, GATE_PAGE, GATE_PATH};

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
}

impl Proxy {
    /// A proxy answering to `names`, serving Berth's own names with `berth`.
    pub(crate) fn new(service: Arc<Service>, names: Names, berth: Router, gate: Arc<Gate>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        Proxy {
            service,
            names: Arc::new(names),
            routes: Arc::new(Routes::new(ROUTE_KEEP)),
            apps: Arc::default(),
            berth,
            client: Client::builder(TokioExecutor::new()).build(connector),
            gate,
            https: false,
        }
    }

    /// The same proxy (routes, client), for requests that came over TLS.
    pub(crate) fn over_tls(&self) -> Self {
        Proxy {
            https: true,
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
        request: Request<Incoming>,
    ) -> Response<Body> {
        let host = host_of(&request);
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
            Destination::App(app) => self.serve_app(peer, host, &app, request).await,
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
        match self.berth.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    async fn serve_app(
        self: Arc<Self>,
        peer: SocketAddr,
        host: String,
        app: &str,
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
        let upstream = match self.routes.find(self.service.app_manager(), &record.id).await {
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
        match self.forward(peer, &host, upstream, request).await {
            Ok(response) => response,
            Err(e) => {
                // Recreated containers get new addresses: look again next time.
                self.routes.forget(&record.id);
                page(
                    StatusCode::BAD_GATEWAY,
                    "The app does not answer",
                    format!("The app {app} did not answer at {upstream}: {}", causes(&e)),
                )
            }
        }
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
        mut request: Request<Incoming>,
    ) -> Result<Response<Body>, hyper_util::client::legacy::Error> {
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
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        parts.uri = Uri::builder()
            .scheme("http")
            .authority(upstream.to_string())
            .path_and_query(path)
            .build()
            .expect("an address and a request's path make a URI");
        parts.version = Version::HTTP_11;
        let mut response = self
            .client
            .request(Request::from_parts(parts, body))
            .await?;
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

/// Serves one client connection (clear or TLS) with `proxy`.
async fn serve_connection<I>(server: Server, proxy: Arc<Proxy>, peer: SocketAddr, io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        let proxy = proxy.clone();
        async move { Ok::<_, Infallible>(proxy.handle(peer, request).await) }
    });
    let _ = server
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .await;
}

/// Serves the proxy over TLS on `listener` until the process ends: the
/// certificate is chosen by the name the client asks for (SNI), HTTP/2 or
/// HTTP/1.1 by ALPN.
pub(crate) async fn serve_proxy_tls(
    proxy: Proxy,
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let proxy = Arc::new(proxy.over_tls());
    let server = server();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("berth: the HTTPS proxy cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (proxy, server, acceptor) = (proxy.clone(), server.clone(), acceptor.clone());
        tokio::spawn(async move {
            // A name that is not ours gets no certificate: the handshake
            // fails, and there is nothing to answer.
            if let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            {
                serve_connection(server, proxy, peer, stream).await;
            }
        });
    }
}

/// Serves the proxy on `listener` until the process ends.
pub(crate) async fn serve_proxy(proxy: Proxy, listener: tokio::net::TcpListener) {
    // One proxy shared by every connection and request (cloned by pointer).
    let proxy = Arc::new(proxy);
    let server = server();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: pass, do not spin.
                eprintln!("berth: the proxy cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(
            server.clone(),
            proxy.clone(),
            peer,
            stream,
        ));
    }
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
