//! Fixtures several tests share.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The compose file of one of the engine's sample apps
/// (`crates/engine/tests/apps/NAME/compose.yml`).
pub fn engine_app(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/apps")
        .join(name)
        .join("compose.yml")
}

/// The repository's folder store of test apps (`tests/store`).
pub fn test_store() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/store")
}

/// Writes `compose` to `HOME/sources/APP.yml`, where tests keep the files
/// they install from; returns its path.
pub fn write_compose(home: &Path, app: &str, compose: &str) -> PathBuf {
    let sources = home.join("sources");
    std::fs::create_dir_all(&sources).unwrap();
    let file = sources.join(format!("{app}.yml"));
    std::fs::write(&file, compose).unwrap();
    file
}

/// The body of `http://127.0.0.1:PORT/PATH` when it answers 200, trimmed.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).ok()?;
    let (head, body) = body.split_once("\r\n\r\n")?;
    head.contains(" 200 ").then(|| body.trim().to_string())
}

/// The shared compose corpus the conformance tests read in place
/// (`BERTH_CORPUS`), or a failure saying how to point at it.
pub fn corpus() -> PathBuf {
    PathBuf::from(std::env::var("BERTH_CORPUS").expect(
        "BERTH_CORPUS is not set: point it at the shared compose corpus (e.g. BERTH_CORPUS=../shared/corpus); scripts/test sets it",
    ))
}

/// Adds every compose file under `root` to `out`, in name order, so runs
/// compare alike.
pub fn compose_files(root: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            compose_files(&path, out);
        } else if matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("compose.yml" | "compose.yaml" | "docker-compose.yml" | "docker-compose.yaml")
        ) {
            out.push(path);
        }
    }
}
