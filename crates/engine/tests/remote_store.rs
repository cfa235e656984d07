//! Signed remote stores against a real HTTP server on 127.0.0.1 (a small
//! one written here, so the test can make it misbehave): a good store
//! fetched and cached, an unchanged one refreshed with a single 304, and
//! refused — with the cached copy untouched — a tampered index, a wrong key,
//! an expired index, a rolled-back index, a tampered app file, a 50 MB
//! response and a server that stalls.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use berth_engine::catalog::{
    fetch_remote, load_folder, sha256_hex, Fetched, RemoteSource, RemoteState,
};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    /// index.json: 50 MB, no Content-Length.
    Huge,
    /// Read the request, never answer.
    Stall,
}

/// Serves the files of a folder; ETags are content digests.
struct Server {
    root: PathBuf,
    url: String,
    mode: Arc<Mutex<Mode>>,
    /// "GET /path -> status", in order.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = Server {
            root,
            url,
            mode: Arc::new(Mutex::new(Mode::Normal)),
            log: Arc::default(),
        };
        let (root, mode, log) = (server.root.clone(), server.mode.clone(), server.log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, mode, log) = (root.clone(), mode.clone(), log.clone());
                std::thread::spawn(move || {
                    let mode = *mode.lock().unwrap();
                    serve(stream, &root, mode, &log)
                });
            }
        });
        server
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn serve(stream: TcpStream, root: &Path, mode: Mode, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = BTreeMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_lowercase(), v.trim().to_string());
            }
        }
        let mut out = stream.try_clone().unwrap();
        if mode == Mode::Stall {
            log.lock().unwrap().push(format!("GET {path} -> stalled"));
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        if mode == Mode::Huge && path == "/index.json" {
            log.lock().unwrap().push(format!("GET {path} -> huge"));
            let _ = out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![b' '; 1024 * 1024];
            for _ in 0..50 {
                if out.write_all(&chunk).is_err() {
                    break;
                }
            }
            return;
        }
        let file = root.join(path.trim_start_matches('/'));
        let (status, body, etag) = match std::fs::read(&file) {
            Ok(body) => {
                let etag = format!("\"{}\"", sha256_hex(&body));
                if headers.get("if-none-match") == Some(&etag) {
                    ("304 Not Modified", Vec::new(), etag)
                } else {
                    ("200 OK", body, etag)
                }
            }
            Err(_) => ("404 Not Found", b"not found".to_vec(), String::new()),
        };
        log.lock()
            .unwrap()
            .push(format!("GET {path} -> {}", &status[..3]));
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: {etag}\r\n\r\n",
            body.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|()| out.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

/// A store folder (the test store's app) signed with a fresh key.
struct Publisher {
    root: PathBuf,
    keys: minisign::KeyPair,
}

impl Publisher {
    fn new(root: PathBuf) -> Publisher {
        std::fs::remove_dir_all(&root).ok();
        let app = root.join("greeter");
        std::fs::create_dir_all(&app).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/store/greeter");
        for f in ["app.yml", "compose.yml", "icon.svg"] {
            std::fs::copy(source.join(f), app.join(f)).unwrap();
        }
        Publisher {
            root,
            keys: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
        }
    }

    fn public_key(&self) -> String {
        self.keys.pk.to_base64()
    }

    /// Writes and signs an index with this sequence and expiry.
    fn publish(&self, sequence: u64, expires: SystemTime) {
        let mut files = serde_json::Map::new();
        for f in ["app.yml", "compose.yml", "icon.svg"] {
            let bytes = std::fs::read(self.root.join("greeter").join(f)).unwrap();
            files.insert(f.into(), sha256_hex(&bytes).into());
        }
        let index = serde_json::json!({
            "format": 1,
            "name": "remote-test",
            "sequence": sequence,
            "expires": humantime::format_rfc3339_seconds(expires).to_string(),
            "apps": [{"id": "greeter", "version": "1.1.0", "files": files}],
        });
        let bytes = serde_json::to_vec_pretty(&index).unwrap();
        std::fs::write(self.root.join("index.json"), &bytes).unwrap();
        self.sign();
    }

    fn sign(&self) {
        let bytes = std::fs::read(self.root.join("index.json")).unwrap();
        let signature = minisign::sign(
            Some(&self.keys.pk),
            &self.keys.sk,
            std::io::Cursor::new(bytes),
            Some("berth test store"),
            None,
        )
        .unwrap();
        std::fs::write(
            self.root.join("index.json.minisig"),
            signature.into_string(),
        )
        .unwrap();
    }
}

fn in_days(days: i64) -> SystemTime {
    let d = Duration::from_secs(days.unsigned_abs() * 86400);
    if days >= 0 {
        SystemTime::now() + d
    } else {
        SystemTime::now() - d
    }
}

#[tokio::test]
async fn signed_remote_stores_are_fetched_cached_and_refused_when_they_lie() {
    let base = std::env::temp_dir().join(format!("berth-remote-{}", std::process::id()));
    let publisher = Publisher::new(base.join("published"));
    let cache = base.join("cache");
    let server = Server::start(publisher.root.clone());
    let source = RemoteSource {
        url: server.url.clone(),
        key: publisher.public_key(),
        timeout: Duration::from_secs(2),
    };
    publisher.publish(5, in_days(30));

    // A good store: fetched, verified, cached.
    let state = match fetch_remote(&source, &RemoteState::default(), &cache)
        .await
        .unwrap()
    {
        Fetched::Updated { catalog, state } => {
            assert_eq!(catalog.apps.len(), 1, "rejected: {:?}", catalog.rejected);
            assert_eq!(state.sequence, Some(5));
            assert!(state.etag.is_some());
            state
        }
        Fetched::NotModified => panic!("a first fetch cannot be unchanged"),
    };
    assert_eq!(load_folder(&cache).unwrap().apps.len(), 1);
    server.take_log();

    // Unchanged: one request, answered 304.
    assert!(matches!(
        fetch_remote(&source, &state, &cache).await.unwrap(),
        Fetched::NotModified
    ));
    assert_eq!(server.take_log(), ["GET /index.json -> 304"]);

    let refused = |what: &str, needle: &str, result: Result<Fetched, berth_engine::Error>| {
        let err = match result {
            Ok(_) => panic!("{what} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(needle), "{what}: {err}");
        // The cached copy is what it was.
        let cached = load_folder(&cache).unwrap();
        assert_eq!(cached.index.sequence, 5, "{what} changed the cache");
        assert_eq!(cached.apps.len(), 1);
    };

    // Tampered index: one byte changed after signing.
    publisher.publish(6, in_days(30));
    let index = publisher.root.join("index.json");
    let text = std::fs::read_to_string(&index)
        .unwrap()
        .replace("remote-test", "remote-tesT");
    std::fs::write(&index, text).unwrap();
    refused(
        "a tampered index",
        "signature does not match",
        fetch_remote(&source, &state, &cache).await,
    );

    // Signed by someone else.
    publisher.publish(6, in_days(30));
    let stranger = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let wrong = RemoteSource {
        key: stranger.pk.to_base64(),
        ..source.clone()
    };
    refused(
        "a wrong key",
        "signature does not match",
        fetch_remote(&wrong, &state, &cache).await,
    );

    // Expired.
    publisher.publish(7, in_days(-1));
    refused(
        "an expired index",
        "expired",
        fetch_remote(&source, &state, &cache).await,
    );

    // Rolled back: properly signed, but older than what was seen.
    publisher.publish(4, in_days(30));
    refused(
        "a rolled-back index",
        "rollback",
        fetch_remote(&source, &state, &cache).await,
    );

    // An app file changed after the index was signed (a new version of
    // the file is published, so Berth cannot reuse its cached copy).
    let compose = publisher.root.join("greeter/compose.yml");
    let mut updated = std::fs::read(&compose).unwrap();
    updated.extend_from_slice(b"# version 8\n");
    std::fs::write(&compose, &updated).unwrap();
    publisher.publish(8, in_days(30));
    let mut evil = updated.clone();
    evil.extend_from_slice(b"# and something else\n");
    std::fs::write(&compose, &evil).unwrap();
    refused(
        "a tampered app file",
        "does not match the signed index",
        fetch_remote(&source, &state, &cache).await,
    );
    std::fs::write(&compose, &updated).unwrap();

    // 50 MB where the index should be.
    server.set(Mode::Huge);
    refused(
        "a 50 MB response",
        "larger than",
        fetch_remote(&source, &state, &cache).await,
    );

    // A server that accepts and never answers.
    server.set(Mode::Stall);
    let start = Instant::now();
    refused(
        "a stalled server",
        "did not answer in time",
        fetch_remote(&source, &state, &cache).await,
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the stall was not cut short"
    );

    // And a good new publication still goes through.
    server.set(Mode::Normal);
    match fetch_remote(&source, &state, &cache).await.unwrap() {
        Fetched::Updated { state, .. } => assert_eq!(state.sequence, Some(8)),
        Fetched::NotModified => panic!("sequence 8 is new"),
    }
    assert_eq!(load_folder(&cache).unwrap().index.sequence, 8);
    assert!(
        String::from_utf8_lossy(load_folder(&cache).unwrap().apps["greeter"].compose())
            .contains("# version 8")
    );

    // An index about to expire, then answered "not modified" after its
    // expiry: the stale cache must not live on through 304s.
    publisher.publish(9, SystemTime::now() + Duration::from_secs(2));
    let state = match fetch_remote(&source, &state, &cache).await.unwrap() {
        Fetched::Updated { state, .. } => state,
        Fetched::NotModified => panic!("sequence 9 is new"),
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.take_log();
    let err = fetch_remote(&source, &state, &cache)
        .await
        .map(|_| ())
        .expect_err("an expired index kept alive by a 304 was accepted")
        .to_string();
    assert_eq!(server.take_log(), ["GET /index.json -> 304"]);
    assert!(err.contains("expired"), "{err}");
    std::fs::remove_dir_all(&base).ok();
}
