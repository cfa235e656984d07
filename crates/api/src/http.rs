//! The HTTP transport: `POST /api/<command>` for every typed command (the
//! same JSON argument object Tauri IPC uses), `GET /api/events` (server-sent
//! events: every operation's progress and end), store files (icons,
//! screenshots), login, and the bundled web UI at `/`.
//!
//! Secure by default: every `/api` route except `health`, `auth`, `setup`
//! and `login` answers 401 without a session; requests that change anything
//! must come from this page (`Origin` checked); security headers on every
//! answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use include_dir::{include_dir, Dir};
use serde::Deserialize;

use crate::auth::{self, Throttle, COOKIE};
use crate::commands::{Request as Command, COMMANDS};
use crate::server::Daemon;

static UI: Dir<'_> = include_dir!("$BERTH_UI_DIST");

/// Routes outside `/api/<command>`, for the test that proves every route but
/// the open ones needs a session.
pub const OPEN_ROUTES: &[&str] = &["health", "auth", "setup", "login", "logout"];

#[derive(Clone)]
struct Http {
    daemon: Arc<Daemon>,
    throttle: Arc<Throttle>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Serves HTTP on `listener` until the process ends.
pub(crate) async fn serve_http(daemon: Arc<Daemon>, listener: tokio::net::TcpListener) {
    let state = Http {
        daemon,
        throttle: Arc::default(),
    };
    let protected = Router::new()
        .route("/api/events", get(events))
        .route("/api/files/{store}/{app}/{*file}", get(store_file))
        .route("/api/download/diagnostics/{app}", get(download_diagnostics))
        .route("/api/download/logs/{app}", get(download_logs))
        .route("/api/{command}", post(command))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_session,
        ));
    let app = Router::new()
        .route(
            "/api/health",
            get(|| async { Json(serde_json::json!({ "ok": true })) }),
        )
        .route("/api/auth", get(auth_state))
        .route("/api/setup", post(setup))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .merge(protected)
        .fallback(get(ui))
        .layer(middleware::from_fn(check_origin))
        .layer(middleware::from_fn(security_headers))
        .with_state(state);
    let _ = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await;
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
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
    );
    response
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

fn session_user(state: &Http, headers: &HeaderMap) -> Option<String> {
    let token = session_token(headers)?;
    state
        .daemon
        .apps
        .store()
        .session_user(&auth::token_hash(&token))
        .ok()
        .flatten()
}

async fn require_session(State(state): State<Http>, request: Request, next: Next) -> Response {
    if session_user(&state, request.headers()).is_none() {
        return error(StatusCode::UNAUTHORIZED, "log in first");
    }
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
    let setup_needed = state.daemon.apps.store().user_count().unwrap_or(0) == 0;
    Json(serde_json::json!({
        "setupNeeded": setup_needed,
        "user": session_user(&state, &headers),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

async fn setup(
    State(state): State<Http>,
    headers: HeaderMap,
    Json(c): Json<Credentials>,
) -> Response {
    let store = state.daemon.apps.store();
    if store.user_count().unwrap_or(1) > 0 {
        return error(
            StatusCode::CONFLICT,
            "Berth is already set up; log in instead",
        );
    }
    let user = c.user.trim().to_string();
    if user.is_empty() {
        return error(StatusCode::BAD_REQUEST, "choose a user name");
    }
    if let Some(why) = auth::weak_password(&user, &c.password) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let password = c.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .expect("hashing does not panic");
    match store.create_first_user(&user, &hash) {
        Ok(true) => {}
        Ok(false) => {
            return error(
                StatusCode::CONFLICT,
                "Berth is already set up; log in instead",
            )
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
    start_session(store, &user, &headers)
}

fn start_session(store: &berth_engine::store::Store, user: &str, headers: &HeaderMap) -> Response {
    match auth::new_session(store, user) {
        Ok(token) => with_cookie(
            Json(serde_json::json!({ "user": user })).into_response(),
            &token,
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
    if let Some(wait) = state.throttle.locked(addr) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed logins from this address; try again in {} minutes",
                wait.as_secs() / 60 + 1
            ),
        );
    }
    let store = state.daemon.apps.store();
    let hash = store.user_hash(c.user.trim()).ok().flatten();
    let password = c.password;
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => auth::verify_password(&password, &h),
        None => {
            // Same work for an unknown user, so timing does not tell names apart.
            let _ = auth::verify_password(&password, &auth::hash_password("x"));
            false
        }
    })
    .await
    .unwrap_or(false);
    if !ok {
        state.throttle.failed(addr);
        tokio::time::sleep(auth::FAILURE_DELAY).await;
        return error(StatusCode::UNAUTHORIZED, "wrong user name or password");
    }
    state.throttle.succeeded(addr);
    start_session(store, c.user.trim(), &headers)
}

async fn logout(State(state): State<Http>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        let _ = state
            .daemon
            .apps
            .store()
            .delete_session(&auth::token_hash(&token));
    }
    with_cookie(
        Json(serde_json::json!({ "ok": true })).into_response(),
        "",
        0,
        secure(&headers),
    )
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
    // Commands without arguments take no `args`; `{}` and nothing mean the same.
    let with_args = serde_json::json!({ "command": name, "args": args });
    let bare = serde_json::json!({ "command": name });
    let request = match serde_json::from_value::<Command>(with_args) {
        Ok(r) => r,
        Err(e) => match serde_json::from_value::<Command>(bare) {
            Ok(r) if args.is_null() || args.as_object().is_some_and(|o| o.is_empty()) => r,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("bad arguments for {name}: {e}"),
                )
            }
        },
    };
    match state.daemon.clone().dispatch(request, None).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn events(
    State(state): State<Http>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.daemon.events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let event = SseEvent::default().json_data(&e).expect("events serialize");
                    return Some((Ok(event), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

pub(crate) fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

async fn store_file(
    State(state): State<Http>,
    Path((store, app, file)): Path<(String, String, String)>,
) -> Response {
    match state.daemon.apps.catalogs().find(&app, Some(&store)) {
        Ok((_, found)) => match found.files.get(&file) {
            // Only pictures: a store's other files are not served as pages.
            Some(bytes) if content_type(&file).starts_with("image/") => (
                [
                    (header::CONTENT_TYPE, content_type(&file)),
                    (header::CACHE_CONTROL, "private, max-age=3600"),
                ],
                Body::from(bytes.clone()),
            )
                .into_response(),
            _ => error(
                StatusCode::NOT_FOUND,
                format!("{app} has no picture {file}"),
            ),
        },
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    }
}

/// A file the browser saves under `name`.
fn attachment(kind: &'static str, name: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from(bytes),
    )
        .into_response()
}

/// The app's diagnostics bundle, made now (secrets redacted), as a download.
async fn download_diagnostics(State(state): State<Http>, Path(app): Path<String>) -> Response {
    let daemon = &state.daemon;
    if !matches!(daemon.apps.store().app(&app), Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, format!("{app} is not installed"));
    }
    let out = match daemon.diagnostics_path(&app) {
        Ok(out) => out,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let made = daemon.apps.diagnose(&app, &out).await;
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
            attachment("application/gzip", name, bytes)
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// Every line of the app's logs, stamped, as a text download.
async fn download_logs(State(state): State<Http>, Path(app): Path<String>) -> Response {
    let daemon = &state.daemon;
    if !matches!(daemon.apps.store().app(&app), Ok(Some(_))) {
        return error(StatusCode::NOT_FOUND, format!("{app} is not installed"));
    }
    match daemon.apps.engine().logs_text(&app, None, None).await {
        Ok(text) => attachment(
            "text/plain; charset=utf-8",
            format!("{app}.log"),
            text.into_bytes(),
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
