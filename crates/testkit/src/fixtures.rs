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
