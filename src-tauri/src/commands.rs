//! The desktop app's one command: `call(request)`, the same [`Request`]
//! (`{command, args}`) the HTTP API and the socket carry, answered with the
//! same replies ([`Replies`], exported so the UI's reply map is generated)
//! and failures (`{code, message, details}`). A new Berth command needs no
//! change here.

use berth_api::{CommandKind, Event, Failure, Replies, Request};
use serde::Serialize;
use tauri::State;

use crate::backend::Backend;

/// A command's reply, `unknown` to TypeScript: the UI reads it as
/// `Replies[command]`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Reply(serde_json::Value);

impl specta::Type for Reply {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        specta_typescript::Unknown::<()>::definition(types)
    }
}

/// Runs one Berth command: an operation answers `{"operation": id}` at once
/// and reports as `berth-event` events; anything else answers its reply.
#[tauri::command]
#[specta::specta]
pub async fn call(backend: State<'_, Backend>, request: Request) -> Result<Reply, Failure> {
    backend.call(request).await.map(Reply)
}

/// The tauri-specta builder: the command, and the types the UI needs.
pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![call])
        .typ::<Event>()
        .typ::<Request>()
        .typ::<Replies>()
        .typ::<CommandKind>()
}

/// Exports the UI's bindings (types and commands) as TypeScript.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    builder()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from Berth's Rust types and commands by tauri-specta (src-tauri). Do not edit.\n// @ts-nocheck"),
            path,
        )
        .map_err(|e| e.to_string())
}
