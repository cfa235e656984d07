//! `ui/src/bindings.ts` — the types and the tauri-specta commands that both
//! transports (desktop IPC and HTTP) use — must be what the Rust side exports
//! now. Regenerate with:
//! `cargo run -p berth-desktop -- --export-bindings ui/src/bindings.ts`
//! (or `BERTH_WRITE_BINDINGS=1 cargo test -p berth-desktop --test bindings`).

use std::path::Path;
use std::process::Command;

#[test]
fn committed_bindings_match_the_rust_commands_and_types() {
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    let fresh_path = std::env::temp_dir().join(format!("berth-bindings-{}.ts", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_berth-desktop"))
        .arg("--export-bindings")
        .arg(&fresh_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = std::fs::read_to_string(&fresh_path).unwrap();
    std::fs::remove_file(&fresh_path).ok();
    assert!(
        fresh.contains("catalogSearch") || fresh.contains("catalog_search"),
        "no commands exported"
    );
    if std::env::var_os("BERTH_WRITE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is not what the Rust side exports; regenerate it with \
         BERTH_WRITE_BINDINGS=1 cargo test -p berth-desktop --test bindings"
    );
}
