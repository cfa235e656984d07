//! The web UI's types (`ui/src/bindings.ts`) are generated from the Rust
//! types with specta; this test fails when the committed file differs from a
//! fresh export. Regenerate with:
//! `BERTH_WRITE_BINDINGS=1 cargo test -p berth-api --test bindings`.

use std::path::Path;

use berth_api::{AppInfo, CatalogAppInfo, Event, InstallArgs, OperationInfo, Request, VersionInfo};
use berth_engine::catalog::{AppSummary, RefreshOutcome, StoreInfo};

fn export() -> String {
    let types = specta::Types::default()
        .register::<Request>()
        .register::<InstallArgs>()
        .register::<Event>()
        .register::<AppInfo>()
        .register::<OperationInfo>()
        .register::<VersionInfo>()
        .register::<CatalogAppInfo>()
        .register::<AppSummary>()
        .register::<StoreInfo>()
        .register::<RefreshOutcome>();
    specta_typescript::Typescript::default()
        .header("// Generated from Berth's Rust types by crates/api/tests/bindings.rs. Do not edit.\n/* eslint-disable */")
        .export(&types, specta_serde::Format)
        .expect("the types export to TypeScript")
}

#[test]
fn committed_bindings_match_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
    let fresh = export();
    if std::env::var_os("BERTH_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is not what the Rust types export; regenerate it with \
         BERTH_WRITE_BINDINGS=1 cargo test -p berth-api --test bindings"
    );
}
