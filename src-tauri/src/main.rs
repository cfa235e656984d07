//! Berth's desktop app: the same UI as the browser, in a Tauri window, with
//! every command through tauri-specta and progress as Tauri events. It owns
//! its home's engine in-process — or, when `berth serve` already does, it is
//! that daemon's client and says so in its title. When `BERTH_DESKTOP_LISTEN`
//! (or `listen` in `<home>/desktop.json`) is set, it also serves the HTTP API
//! and UI to browsers on the LAN, with the same login.

mod backend;
mod commands;

use std::sync::Arc;

use backend::{Backend, EVENT};
use berth_api::{args, home, ApiError, AppInfo, Event, EventKind, Owner};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// Desktop settings kept in the home.
#[derive(serde::Deserialize, Default)]
struct DesktopSettings {
    /// `ADDR:PORT` to serve the web UI on, for browsers on the LAN.
    listen: Option<String>,
}

fn desktop_settings(home: &std::path::Path) -> DesktopSettings {
    std::fs::read(home.join("desktop.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn main() {
    // Store authors and CI regenerate the UI's bindings with this.
    if let Some(path) = std::env::args()
        .skip_while(|a| a != "--export-bindings")
        .nth(1)
    {
        commands::export_bindings(std::path::Path::new(&path)).expect("bindings export");
        return;
    }
    let home = match home::default_home() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("berth-desktop: {e}");
            std::process::exit(2);
        }
    };
    let specta = commands::builder();
    tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(specta.invoke_handler())
        // Store pictures for the window: berthfile://localhost/<store>/<app>/<file>,
        // from the engine here or, as berth serve's client, its catalogPicture.
        .register_asynchronous_uri_scheme_protocol("berthfile", |ctx, request, responder| {
            let path = request.uri().path().trim_start_matches('/').to_string();
            let backend = ctx.app_handle().state::<Backend>();
            let source = backend.picture_source();
            std::thread::spawn(move || {
                let mut parts = path.splitn(3, '/');
                let found = match (parts.next(), parts.next(), parts.next()) {
                    (Some(s), Some(a), Some(f)) => source.picture(s, a, f),
                    _ => None,
                };
                responder.respond(match found {
                    Some((kind, bytes)) => tauri::http::Response::builder()
                        .header("content-type", kind)
                        .body(bytes)
                        .expect("a response"),
                    None => tauri::http::Response::builder()
                        .status(404)
                        .body(Vec::new())
                        .expect("a response"),
                });
            });
        })
        .setup(move |app| {
            specta.mount_events(app);
            let handle = app.handle().clone();
            let owned = tauri::async_runtime::block_on(Owner::open(&home, home::host_settings()));
            let backend = match owned {
                Ok(owner) => {
                    let owner = Arc::new(owner);
                    let listen = std::env::var("BERTH_DESKTOP_LISTEN")
                        .ok()
                        .or(desktop_settings(&home).listen);
                    if let Some(addr) = listen.and_then(|a| a.parse().ok()) {
                        match tauri::async_runtime::block_on(owner.serve_http(addr, &[])) {
                            Ok(bound) => eprintln!("berth-desktop: web UI for the LAN at http://{bound}"),
                            Err(e) => eprintln!("berth-desktop: {e}"),
                        }
                    }
                    let mut events = owner.subscribe();
                    let emitter = handle.clone();
                    tauri::async_runtime::spawn(async move {
                        while let Ok(event) = events.recv().await {
                            let _ = emitter.emit(EVENT, &event);
                        }
                    });
                    Backend::InProcess(owner)
                }
                Err(ApiError::AlreadyServing { .. }) => Backend::Client { home: home.clone(), app: handle.clone() },
                Err(e) => return Err(Box::new(e)),
            };
            if let Some(window) = app.get_webview_window("main") {
                if let Backend::Client { .. } = backend {
                    let _ = window.set_title("Berth — connected to berth serve");
                }
            }
            eprintln!("berth-desktop: {} for {}", backend.describe(), home.display());
            app.manage(backend);

            // Notifications when an operation ends; the tray counts running apps.
            let open = MenuItem::with_id(app, "open", "Open Berth", true, None::<&str>)?;
            let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
            let menu = Menu::with_items(app, &[&open, &quit])?;
            let tray = TrayIconBuilder::with_id("berth")
                .icon(app.default_window_icon().cloned().expect("the app has an icon"))
                .tooltip("Berth")
                .menu(&menu)
                .on_menu_event(|app, event| match event.id.as_ref() {
                    "open" => {
                        if let Some(w) = app.get_webview_window("main") {
                            let _ = w.show();
                            let _ = w.set_focus();
                        }
                    }
                    "quit" => app.exit(0),
                    _ => {}
                })
                .build(app)?;
            let notifier = handle.clone();
            tauri::async_runtime::spawn(async move {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
                use tauri::Listener;
                notifier.listen(EVENT, move |e| {
                    if let Ok(event) = serde_json::from_str::<Event>(e.payload()) {
                        let _ = tx.send(event);
                    }
                });
                let mut refresh = tokio::time::interval(std::time::Duration::from_secs(10));
                loop {
                    tokio::select! {
                        Some(event) = rx.recv() => {
                            if let EventKind::Finished { outcome, error } = event.kind {
                                let app_name = event.app.unwrap_or_else(|| "an app".into());
                                let body = match error {
                                    Some(e) => format!("{app_name}: {e}"),
                                    None => format!("{app_name}: {}", outcome.map_or("done", |o| o.as_str())),
                                };
                                let _ = notifier.notification().builder().title("Berth").body(body).show();
                            }
                        }
                        _ = refresh.tick() => {}
                    }
                    let backend = notifier.state::<Backend>();
                    if let Ok(apps) = backend.call_as::<Vec<AppInfo>>(args::Apps {}.into()).await {
                        let running = apps
                            .iter()
                            .filter(|a| a.services.iter().any(|s| s.state == "running" || s.state == "healthy"))
                            .count();
                        let _ = tray.set_tooltip(Some(format!("Berth — {running} apps running")));
                    }
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the Berth window could not start");
}
