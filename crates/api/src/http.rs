//! The HTTP transport: `POST /api/<command>` for every typed command (the
//! same JSON argument object Tauri IPC uses), `GET /api/events` (server-sent
//! events: every operation's progress and end), store files (icons,
//! screenshots), downloads, login, the account (password, sessions), stores
//! uploaded as one archive, and the bundled web UI at `/`.
//!
//! Secure by default: Berth answers only to its own names and addresses
//! (421 otherwise, against DNS rebinding); every `/api` route except
//! `health`, `auth`, `setup`, `login` and `logout` answers 401 without a
//! session — the cookie *and* the session key header, or for the event
//! stream and downloads a one-time ticket of that session; first-run setup
//! needs the code the daemon printed; requests naming paths on this host
//! are refused (only the local socket and the desktop may); requests that
//! change anything must come from this page (`Origin` checked); security
//! headers on every answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use berth_engine::db::SessionOrigin;
use berth_engine::model::Layout;
use berth_engine::rewrite::valid_app_id;
use futures_util::StreamExt;
use include_dir::{include_dir, Dir};
use serde::Deserialize;

use crate::auth::{self, Hasher, Throttle, Tickets, COOKIE, KEY_HEADER};
use berth_engine::model::content_type;
use berth_engine::service::{Request as Command, Service, COMMANDS};

use crate::hosts::AllowedHosts;
use crate::ApiError;

static UI: Dir<'_> = include_dir!("$BERTH_UI_DIST");

/// Routes outside `/api/<command>`, for the test that proves every route but
/// the open ones needs a session.
pub const OPEN_ROUTES: &[&str] = &["health", "auth", "setup", "login", "logout"];

/// Routes beside the commands that only HTTP has (the desktop app has no
/// login, and takes stores from paths): all POST, all need a session.
pub const HTTP_ONLY_ROUTES: &[&str] = &[
    "gate",
    "account/password",
    "account/sessions",
    "account/sessions/end",
    "upload/store",
];

/// The largest store archive an upload may be: what a store may hold.
pub const STORE_UPLOAD_LIMIT: u64 = 64 * 1024 * 1024;

/// The file in the home holding the first-run setup code until setup is done.
pub const SETUP_CODE_FILE: &str = "setup-code";

/// How often an open event stream checks that its session still exists.
const SESSION_RECHECK: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub(crate) struct Http {
    service: Arc<Service>,
    throttle: Arc<Throttle>,
    hasher: Arc<Hasher>,
    tickets: Arc<Tickets>,
    hosts: Arc<AllowedHosts>,
    /// The login gate's tickets and cookies, shared with the proxy.
    pub(crate) gate: Arc<crate::gate::Gate>,
    /// The proxy's names, when it runs (for the gate's way back to an app).
    pub(crate) names: Option<Arc<berth_engine::proxy::Names>>,
    /// The first-run setup code (as typed, normalized), until setup is done.
    setup_code: Arc<Mutex<Option<String>>>,
}

/// A request's session: the hash it is stored under, and its cookie token.
#[derive(Clone)]
struct Session {
    hash: String,
    token: String,
}

/// Why a request is refused, before it is made an answer with [`error`].
type Refusal = (StatusCode, String);

/// A refusal of the HTTP layer itself (no session, a bad route…):
/// `{"error": sentence}`, as before any command ran.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// A command's failure: its status from its code, and `{code, message,
/// details}` (with `error`, the sentence, for older clients).
fn failed(e: &ApiError) -> Response {
    let failure = e.failure();
    let status = StatusCode::from_u16(failure.code.http_status())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = serde_json::to_value(&failure).expect("failures serialize");
    body["error"] = serde_json::Value::String(failure.message.clone());
    (status, Json(body)).into_response()
}

/// The HTTP side of `service`, answering to this server's names and to
/// `allowed_hosts`. With no admin yet, makes the first-run setup code,
/// prints it and writes it (owner-only) to `<home>/setup-code`.
pub(crate) fn prepare(service: Arc<Service>, allowed_hosts: &[String]) -> std::io::Result<Http> {
    let code_file = service.app_manager().home().join(SETUP_CODE_FILE);
    let _ = std::fs::remove_file(&code_file);
    let setup_code = if service.app_manager().db().user_count().unwrap_or(1) == 0 {
        let code = auth::new_setup_code();
        write_owner_only(&code_file, &format!("{code}\n"))?;
        eprintln!(
            "berth: first-run setup code: {code} (the web UI asks for it to create the admin account; it is also in {})",
            code_file.display()
        );
        Some(auth::normalize_setup_code(&code))
    } else {
        None
    };
    Ok(Http {
        service,
        throttle: Arc::default(),
        hasher: Arc::default(),
        tickets: Arc::default(),
        hosts: Arc::new(AllowedHosts::new(allowed_hosts)),
        gate: Arc::default(),
        names: None,
        setup_code: Arc::new(Mutex::new(setup_code)),
    })
}

fn write_owner_only(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

/// The web UI and API's routes, with their checks (host, origin, session)
/// and security headers: served on the web listener and, for Berth's own
/// names, by the reverse proxy.
pub(crate) fn router(state: Http) -> Router {
    let protected = Router::new()
        .route("/api/events", get(events))
        .route("/api/files/{store}/{app}/{*file}", get(store_file))
        .route("/api/download/diagnostics/{app}", get(download_diagnostics))
        .route("/api/download/logs/{app}", get(download_logs))
        .route("/api/ticket", post(ticket))
        .route("/api/gate", post(gate_ticket))
        .route("/api/account/password", post(change_password))
        .route("/api/account/sessions", post(account_sessions))
        .route("/api/account/sessions/end", post(end_session))
        .route("/api/upload/store", post(upload_store))
        .route("/api/{command}", post(command))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    Router::new()
        .route(
            "/api/health",
            get(|| async { Json(serde_json::json!({ "ok": true })) }),
        )
        .route("/api/auth", get(auth_state))
        .route("/api/setup", post(setup))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/ca.crt", get(ca_cert))
        .merge(protected)
        .fallback(get(ui))
        .layer(middleware::from_fn(check_origin))
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Serves `app` (see [`router`]) on `listener` until the process ends.
pub(crate) async fn serve_http(app: Router, listener: tokio::net::TcpListener) {
    let _ = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await;
}

/// This server's CA certificate (public: every device that is to trust
/// Berth's HTTPS names downloads it), PEM.
async fn ca_cert(State(state): State<Http>) -> Response {
    let home = state.service.app_manager().home();
    match std::fs::read(berth_engine::proxy::tls::ca_cert_path(home)) {
        Ok(pem) => {
            let host = crate::hosts::hostname().unwrap_or_else(|| "berth".into());
            let server: String = host
                .split('.')
                .next()
                .unwrap_or("berth")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/x-x509-ca-cert"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!(
                            "attachment; filename=\"berth-{server}-ca.crt\""
                        ))
                        .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                ],
                pem,
            )
                .into_response()
        }
        Err(_) => error(
            StatusCode::NOT_FOUND,
            "this server has no HTTPS certificate authority yet (it is made when the HTTPS proxy first starts)",
        ),
    }
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
    );
    response
}

/// Answers only requests addressed to this server by one of its own names
/// or addresses: a page whose name was pointed at us (DNS rebinding) sends
/// its own name as `Host`.
async fn check_host(State(state): State<Http>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    if !state.hosts.allows(host) {
        return error(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "Berth answers only to this server's own names and addresses, not \"{host}\"; to reach it by that name, start it with --allow-host NAME (or BERTH_ALLOWED_HOSTS=NAME)"
            ),
        );
    }
    next.run(request).await
}

/// A request that changes something must come from a page of this server:
/// when the browser says where it comes from (`Origin`), that must be us.
async fn check_origin(request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let headers = request.headers();
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            if origin_host != host {
                return error(
                    StatusCode::FORBIDDEN,
                    "this request came from another site; Berth refuses it",
                );
            }
        }
    }
    next.run(request).await
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Whether the session stored under `hash` still exists and has not expired.
fn alive(state: &Http, hash: &str) -> bool {
    matches!(
        state.service.app_manager().db().session_user(hash),
        Ok(Some(_))
    )
}

/// The session of a request carrying its cookie and its key.
fn session(state: &Http, headers: &HeaderMap) -> Option<(Session, String)> {
    let token = session_token(headers)?;
    let key = headers.get(KEY_HEADER)?.to_str().ok()?;
    let hash = auth::session_hash(&token, key);
    let user = state
        .service
        .app_manager()
        .db()
        .session_user(&hash)
        .ok()??;
    Some((Session { hash, token }, user))
}

/// The `ticket` of a request's query, if any.
fn query_ticket(request: &Request) -> Option<String> {
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("ticket="))
        .map(str::to_string)
}

/// Lets through a request with its session's cookie and key, or (for what
/// the browser loads itself) the cookie and a ticket for this very path.
async fn require_session(State(state): State<Http>, mut request: Request, next: Next) -> Response {
    let found = match query_ticket(&request) {
        Some(ticket) if request.method() == Method::GET => session_token(request.headers())
            .and_then(|token| {
                let hash = state
                    .tickets
                    .redeem(&ticket, request.uri().path(), &token)?;
                alive(&state, &hash).then_some(Session { hash, token })
            }),
        _ => session(&state, request.headers()).map(|(s, _)| s),
    };
    let Some(found) = found else {
        return error(StatusCode::UNAUTHORIZED, "log in first");
    };
    let _ = state.service.app_manager().db().touch_session(&found.hash);
    request.extensions_mut().insert(found);
    next.run(request).await
}

fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes() == b"https")
}

fn with_cookie(mut response: Response, value: &str, max_age: u64, secure: bool) -> Response {
    let cookie = format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie is ASCII"),
    );
    response
}

async fn auth_state(State(state): State<Http>, headers: HeaderMap) -> Response {
    let setup_needed = state.service.app_manager().db().user_count().unwrap_or(0) == 0;
    Json(serde_json::json!({
        "setupNeeded": setup_needed,
        "user": session(&state, &headers).map(|(_, user)| user),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
    /// The first-run setup code (setup only).
    #[serde(default)]
    code: String,
}

fn locked_out(wait: Duration) -> Response {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "too many failed attempts from this address; try again in {} minutes",
            wait.as_secs() / 60 + 1
        ),
    )
}

async fn setup(
    State(state): State<Http>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(c): Json<Credentials>,
) -> Response {
    let store = state.service.app_manager().db();
    let already = || {
        error(
            StatusCode::CONFLICT,
            "Berth is already set up; log in instead",
        )
    };
    if store.user_count().unwrap_or(1) > 0 {
        return already();
    }
    if let Err(wait) = state.throttle.begin(peer.ip()) {
        return locked_out(wait);
    }
    let typed = auth::normalize_setup_code(&c.code);
    let right = state
        .setup_code
        .lock()
        .expect("setup code lock")
        .as_deref()
        .is_some_and(|code| auth::same(code, &typed));
    if !right {
        tokio::time::sleep(auth::FAILURE_DELAY).await;
        let file = state.service.app_manager().home().join(SETUP_CODE_FILE);
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "wrong setup code; `berth serve` printed it when it started, and it is in {}",
                file.display()
            ),
        );
    }
    state.throttle.succeeded(peer.ip());
    let user = c.user.trim().to_string();
    if user.is_empty() {
        return error(StatusCode::BAD_REQUEST, "choose a user name");
    }
    if let Some(why) = auth::weak_password(&user, &c.password) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let hash = state.hasher.hash(c.password).await;
    match store.create_first_user(&user, &hash) {
        Ok(true) => {}
        Ok(false) => return already(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
    *state.setup_code.lock().expect("setup code lock") = None;
    let _ = std::fs::remove_file(state.service.app_manager().home().join(SETUP_CODE_FILE));
    start_session(store, &user, &headers, peer)
}

/// Where a login comes from, for the account page's list of sessions.
fn origin_of(headers: &HeaderMap, peer: SocketAddr) -> SessionOrigin {
    SessionOrigin {
        address: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(300).collect()),
    }
}

/// Logs `user` in: the cookie, and the key the page must send back in the
/// session key header (it is never in a cookie, so apps cannot receive it).
fn start_session(
    store: &berth_engine::db::Database,
    user: &str,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    match auth::new_session(store, user, &origin_of(headers, peer)) {
        Ok(session) => with_cookie(
            Json(serde_json::json!({ "user": user, "key": session.key })).into_response(),
            &session.token,
            auth::session_lifetime().as_secs(),
            secure(headers),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn login(
    State(state): State<Http>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(c): Json<Credentials>,
) -> Response {
    let addr = peer.ip();
    // Counted before the check: parallel guesses cannot outrun the lockout.
    if let Err(wait) = state.throttle.begin(addr) {
        return locked_out(wait);
    }
    let store = state.service.app_manager().db();
    let hash = store.user_hash(c.user.trim()).ok().flatten();
    if !state.hasher.verify(c.password, hash).await {
        tokio::time::sleep(auth::FAILURE_DELAY).await;
        return error(StatusCode::UNAUTHORIZED, "wrong user name or password");
    }
    state.throttle.succeeded(addr);
    start_session(store, c.user.trim(), &headers, peer)
}

async fn logout(State(state): State<Http>, headers: HeaderMap) -> Response {
    if let Some((session, _)) = session(&state, &headers) {
        let _ = state
            .service
            .app_manager()
            .db()
            .delete_session(&session.hash);
        state.gate.close(&session.hash);
    }
    with_cookie(
        Json(serde_json::json!({ "ok": true })).into_response(),
        "",
        0,
        secure(&headers),
    )
}

/// The user a request's session belongs to.
fn session_owner(state: &Http, session: &Session) -> Result<String, Refusal> {
    match state.service.app_manager().db().session_user(&session.hash) {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, "log in first".into())),
        Err(e) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

#[derive(Deserialize)]
struct PasswordChange {
    current: String,
    password: String,
}

/// Changes the user's password: the current one is checked (counted and
/// slowed like a login, so a session left open cannot be used to guess it),
/// and every other session of the user ends; this one goes on.
async fn change_password(
    State(state): State<Http>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(session): Extension<Session>,
    Json(change): Json<PasswordChange>,
) -> Response {
    let user = match session_owner(&state, &session) {
        Ok(user) => user,
        Err((status, why)) => return error(status, why),
    };
    if let Some(why) = auth::weak_password(&user, &change.password) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    if change.password == change.current {
        return error(
            StatusCode::BAD_REQUEST,
            "the new password is the current one; choose another",
        );
    }
    if let Err(wait) = state.throttle.begin(peer.ip()) {
        return locked_out(wait);
    }
    let store = state.service.app_manager().db();
    let hash = store.user_hash(&user).ok().flatten();
    if !state.hasher.verify(change.current, hash).await {
        tokio::time::sleep(auth::FAILURE_DELAY).await;
        // Not 401: the session is fine, and the page must not log out.
        return error(
            StatusCode::FORBIDDEN,
            "the current password is wrong; the password was not changed",
        );
    }
    state.throttle.succeeded(peer.ip());
    let hash = state.hasher.hash(change.password).await;
    match store.change_password(&user, &hash, &session.hash) {
        Ok(ended) => Json(serde_json::json!({ "ended": ended })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The user's live sessions, the most recently used first; `current` marks
/// the one asking. Times in ms.
async fn account_sessions(
    State(state): State<Http>,
    Extension(session): Extension<Session>,
) -> Response {
    let user = match session_owner(&state, &session) {
        Ok(user) => user,
        Err((status, why)) => return error(status, why),
    };
    match state.service.app_manager().db().sessions_of(&user) {
        Ok(sessions) => Json(
            sessions
                .into_iter()
                .map(|s| {
                    serde_json::json!({
                        "id": auth::session_id(&s.token_hash),
                        "current": s.token_hash == session.hash,
                        "createdAt": s.created_at,
                        "lastUsed": s.last_used,
                        "expiresAt": s.expires_at,
                        "address": s.origin.address,
                        "userAgent": s.origin.user_agent,
                    })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct EndSession {
    id: String,
}

/// Ends one of the user's sessions (this one too: it is then logged out).
async fn end_session(
    State(state): State<Http>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
    Json(args): Json<EndSession>,
) -> Response {
    let user = match session_owner(&state, &session) {
        Ok(user) => user,
        Err((status, why)) => return error(status, why),
    };
    let store = state.service.app_manager().db();
    let found = match store.sessions_of(&user) {
        Ok(sessions) => sessions
            .into_iter()
            .find(|s| auth::same(&auth::session_id(&s.token_hash), &args.id)),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let Some(found) = found else {
        return error(
            StatusCode::NOT_FOUND,
            "you have no such session; it may have ended already",
        );
    };
    if let Err(e) = store.delete_session(&found.token_hash) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    }
    let current = found.token_hash == session.hash;
    let answer = Json(serde_json::json!({ "current": current })).into_response();
    if current {
        with_cookie(answer, "", 0, secure(&headers))
    } else {
        answer
    }
}

#[derive(Deserialize)]
struct UploadArgs {
    /// The name the store gets.
    #[serde(default)]
    name: String,
    /// The uploaded file's name, for messages.
    #[serde(default)]
    file: String,
}

fn too_large_upload() -> Refusal {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the archive is larger than {} MB, more than a store may be",
            STORE_UPLOAD_LIMIT / (1024 * 1024)
        ),
    )
}

/// A store uploaded as one `.tar.gz` or `.zip` (a Berth, CasaOS or Umbrel
/// store): over HTTP no path on the server is taken, so the archive itself
/// comes as the body, is written owner-only under the home, unpacked and
/// added as `catalogAdd` adds a folder.
async fn upload_store(
    State(state): State<Http>,
    Query(args): Query<UploadArgs>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let name = args.name.trim();
    if name.is_empty() {
        return error(StatusCode::BAD_REQUEST, "give the store a name");
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > STORE_UPLOAD_LIMIT) {
        let (status, why) = too_large_upload();
        return error(status, why);
    }
    let home = state.service.app_manager().home();
    let uploads = home.join("uploads");
    let part = uploads.join(format!("{}.part", auth::random_hex(16)));
    let received = receive(body, &uploads, &part).await;
    let added = match received {
        Ok(()) => {
            let apps = state.service.app_manager();
            apps.catalogs().add_archive(apps.db(), &part, name).await
        }
        Err((status, why)) => {
            let _ = std::fs::remove_file(&part);
            return error(status, why);
        }
    };
    let _ = std::fs::remove_file(&part);
    match added {
        Ok(info) => Json(info).into_response(),
        Err(e) => {
            // Say "the archive", not where the server put it.
            let file = match args.file.trim() {
                "" => "the archive".to_string(),
                f => f.to_string(),
            };
            let unpacked = Layout::new(home).catalog_cache(name);
            let message = e
                .to_string()
                .replace(&part.display().to_string(), &file)
                .replace(&unpacked.display().to_string(), &file);
            error(StatusCode::BAD_REQUEST, message)
        }
    }
}

/// Writes an upload's body to `part` (owner-only, in `dir`), refusing it
/// once it passes [`STORE_UPLOAD_LIMIT`].
async fn receive(body: Body, dir: &std::path::Path, part: &std::path::Path) -> Result<(), Refusal> {
    use std::io::Write;
    let failed = |e: std::io::Error| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write {}: {e}", part.display()),
        )
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(part)
        .map_err(failed)?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("the upload was cut off ({e}); try again"),
            )
        })?;
        total += chunk.len() as u64;
        if total > STORE_UPLOAD_LIMIT {
            return Err(too_large_upload());
        }
        out.write_all(&chunk).map_err(failed)?;
    }
    if total == 0 {
        return Err((
            StatusCode::BAD_REQUEST,
            "the upload is empty; choose a store's .tar.gz or .zip file".into(),
        ));
    }
    Ok(())
}

/// Whether the browser may load `path` with a ticket: the event stream and
/// an installed-app-shaped download.
fn ticket_path(path: &str) -> bool {
    path == "/api/events"
        || ["/api/download/logs/", "/api/download/diagnostics/"]
            .iter()
            .any(|prefix| path.strip_prefix(prefix).is_some_and(valid_app_id))
}

#[derive(Deserialize)]
struct TicketArgs {
    path: String,
}

/// A one-time URL for `path`, for what the browser loads without our header.
async fn ticket(
    State(state): State<Http>,
    Extension(session): Extension<Session>,
    Json(args): Json<TicketArgs>,
) -> Response {
    if !ticket_path(&args.path) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("{} is not something the browser loads by ticket", args.path),
        );
    }
    let ticket = state
        .tickets
        .issue(&args.path, &session.hash, &session.token);
    Json(serde_json::json!({ "url": format!("{}?ticket={ticket}", args.path) })).into_response()
}

#[derive(Deserialize)]
struct GateArgs {
    /// The app's name (as its `Host` says it).
    app: String,
    /// The path to open there.
    #[serde(default)]
    to: String,
}

/// Berth's gate page asks for a way into a gated app for this session: a
/// one-time ticket for that app, as the URL (scheme-relative, on the app's
/// name in the form and port this page was reached by) that trades it for
/// the app's gate cookie and goes on to `to` (a path only).
async fn gate_ticket(
    State(state): State<Http>,
    Extension(session): Extension<Session>,
    headers: HeaderMap,
    Json(args): Json<GateArgs>,
) -> Response {
    let Some(names) = &state.names else {
        return error(
            StatusCode::NOT_FOUND,
            "the reverse proxy is off, so no app is behind a gate",
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let app = match berth_engine::proxy::app_for_label(state.service.app_manager().db(), &args.app)
    {
        Ok(Some(app)) => app,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                format!("no app is named {}", args.app),
            )
        }
        Err(e) => return failed(&ApiError::Engine(e)),
    };
    let Some(app_host) = names.sibling(host, &app.name) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "open {} from Berth at its name on the proxy (berth.{}), not at {host}",
                app.name,
                names.domain()
            ),
        );
    };
    let ticket = state.gate.issue(&app.id, &session.hash);
    let to = crate::gate::safe_path(&args.to);
    Json(serde_json::json!({
        "url": format!(
            "//{app_host}{}?ticket={ticket}&to={}",
            crate::gate::GATE_PATH,
            crate::gate::encode(to)
        )
    }))
    .into_response()
}

async fn command(State(state): State<Http>, Path(name): Path<String>, body: Bytes) -> Response {
    if !COMMANDS.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            format!("Berth has no command {name}"),
        );
    }
    let args: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("the request is not JSON ({e})"),
                )
            }
        }
    };
    // No body means no arguments: `{}`.
    let args = if args.is_null() {
        serde_json::json!({})
    } else {
        args
    };
    let request = match serde_json::from_value::<Command>(
        serde_json::json!({ "command": name, "args": args }),
    ) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("bad arguments for {name}: {e}"),
            )
        }
    };
    // A browser (or whoever reached this port) must not make the daemon, as
    // root, read or write where it says on this host.
    if let Some(path) = request.host_path() {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "{name} over the web does not take a path on the server ({path}); install apps from a store, or run `berth` on the server itself"
            ),
        );
    }
    match crate::owner::call_detached(&state.service, request).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => failed(&e),
    }
}

/// Every operation's events, until the client leaves or its session ends
/// (logout, expiry): the session is checked again every few seconds.
async fn events(
    State(state): State<Http>,
    Extension(session): Extension<Session>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.service.subscribe();
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = futures_util::stream::unfold(
        (rx, recheck, state, session),
        |(mut rx, mut recheck, state, session)| async move {
            loop {
                tokio::select! {
                    received = rx.recv() => match received {
                        Ok(e) => {
                            let event = SseEvent::default().json_data(&e).expect("events serialize");
                            return Some((Ok(event), (rx, recheck, state, session)));
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = recheck.tick() => {
                        if !alive(&state, &session.hash) {
                            return None;
                        }
                    }
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn store_file(
    State(state): State<Http>,
    Path((store, app, file)): Path<(String, String, String)>,
) -> Response {
    // Only pictures: a store's other files are not served as pages.
    match state
        .service
        .app_manager()
        .catalogs()
        .picture(&store, &app, &file)
    {
        Ok((kind, bytes)) => (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            Body::from(bytes),
        )
            .into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// A file the browser saves under `name`.
fn attachment(kind: &'static str, name: String, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The app's diagnostics bundle, made now (secrets redacted), as a download.
async fn download_diagnostics(State(state): State<Http>, Path(app): Path<String>) -> Response {
    if !valid_app_id(&app) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("\"{app}\" is not an app id"),
        );
    }
    let service = &state.service;
    if !matches!(service.app_manager().db().app(&app), Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, format!("{app} is not installed"));
    }
    let out = match service.diagnostics_path(&app) {
        Ok(out) => out,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let made = service.app_manager().diagnose(&app, &out).await;
    let bytes = made.map_err(|e| e.to_string()).and_then(|_| {
        std::fs::read(&out).map_err(|e| format!("cannot read {}: {e}", out.display()))
    });
    let _ = std::fs::remove_file(&out);
    match bytes {
        Ok(bytes) => {
            let name = out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| format!("{app}-diagnostics.tar.gz"));
            attachment("application/gzip", name, Body::from(bytes))
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// Every line of the app's logs, stamped, as a text download.
async fn download_logs(State(state): State<Http>, Path(app): Path<String>) -> Response {
    if !valid_app_id(&app) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("\"{app}\" is not an app id"),
        );
    }
    let apps = state.service.app_manager();
    if !matches!(apps.db().app(&app), Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, format!("{app} is not installed"));
    }
    match apps.engine().logs_text_stream(&app, None).await {
        Ok(lines) => attachment(
            "text/plain; charset=utf-8",
            format!("{app}.log"),
            Body::from_stream(lines),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn ui(uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (path, file) = match UI.get_file(path) {
        Some(f) if !path.is_empty() => (path, f),
        // The UI routes itself: every other path is the page.
        _ => (
            "index.html",
            UI.get_file("index.html").expect("the UI has a page"),
        ),
    };
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, cache),
        ],
        file.contents(),
    )
        .into_response()
}
