//! The registry client against the real local test registry and engine
//! (`.ci/setup-testbed`): tag digests as `docker pull` records them, a tag
//! that moves, download sizes that count only the layers this host lacks,
//! missing tags, an unreachable registry, and the anonymous token flow
//! (through a small token-guarding proxy in front of the real registry).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

use berth_engine::lifecycle::Engine;
use berth_engine::registry::{is_current, Registry};
use berth_engine::Error;
use berth_testkit::{require_testbed, BOX_10, BOX_11, REGISTRY};

/// Where .ci/setup-testbed's registry keeps its repositories.
const TESTBED_STORAGE: &str = "/var/lib/berth-testbed/registry/docker/registry/v2/repositories";

/// Runs the docker CLI; its trimmed stdout, or a panic with its stderr.
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap_or_else(|e| panic!("docker {args:?}: {e}"));
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The `sha256:…` part of each of `image`'s repo digests in `repo`, as
/// `docker image inspect` prints them.
fn cli_repo_digests(image: &str, repo: &str) -> Vec<String> {
    docker(&[
        "image",
        "inspect",
        "--format",
        "{{range .RepoDigests}}{{println .}}{{end}}",
        image,
    ])
    .lines()
    .filter_map(|l| l.trim().split_once('@'))
    .filter(|(r, _)| *r == repo)
    .map(|(_, d)| d.to_string())
    .collect()
}

/// Undoes what a test created, even when it fails: local tags and images,
/// and manifests pushed to the registry (`repo`, digest).
struct Cleanup {
    images: Vec<String>,
    manifests: Vec<(String, String)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Untagging only: an image that other tags name stays.
        for image in &self.images {
            let _ = Command::new("docker").args(["rmi", image]).output();
        }
        for (repo, digest) in &self.manifests {
            let _ = Command::new("docker")
                .args(["rmi", &format!("{REGISTRY}/{repo}@{digest}")])
                .output();
            let _ = Command::new("curl")
                .args([
                    "-fsS",
                    "-o",
                    "/dev/null",
                    "-X",
                    "DELETE",
                    &format!("http://{REGISTRY}/v2/{repo}/manifests/{digest}"),
                ])
                .output();
        }
        // The registry API cannot delete a repository; the now empty ones
        // are removed from the storage .ci/setup-testbed gives the registry.
        let mut repos: Vec<&String> = self.manifests.iter().map(|(repo, _)| repo).collect();
        repos.dedup();
        for repo in repos {
            if repo.starts_with("berth-test/") && repo != "berth-test/box" {
                let _ = std::fs::remove_dir_all(format!("{TESTBED_STORAGE}/{repo}"));
            }
        }
    }
}

fn registry_error(result: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match result {
        Err(Error::Registry { image, message }) => (image, message),
        other => panic!("expected a registry error, got {other:?}"),
    }
}

#[tokio::test]
async fn tag_digests_match_what_a_pull_records() {
    require_testbed();
    let registry = Registry::new();
    let d10 = registry.remote_digest(BOX_10).await.unwrap();
    let d11 = registry.remote_digest(BOX_11).await.unwrap();
    assert!(d10.starts_with("sha256:") && d10.len() == 71, "{d10}");
    assert_ne!(d10, d11, "box:1.0 and box:1.1 are different images");
    // Stable across calls and clients.
    assert_eq!(registry.remote_digest(BOX_10).await.unwrap(), d10);
    assert_eq!(Registry::new().remote_digest(BOX_11).await.unwrap(), d11);

    let engine = Engine::connect().await.unwrap();
    for (image, remote) in [(BOX_10, &d10), (BOX_11, &d11)] {
        docker(&["pull", "-q", image]);
        let recorded = cli_repo_digests(image, "127.0.0.1:5000/berth-test/box");
        assert_eq!(recorded, vec![remote.clone()], "{image}");
        let local = engine.local_repo_digests(image).await.unwrap().unwrap();
        assert!(is_current(&local, remote), "{image}: {local:?} vs {remote}");
    }
    let local_10 = engine.local_repo_digests(BOX_10).await.unwrap().unwrap();
    assert!(!is_current(&local_10, &d11));

    // A pinned digest is its own answer, and a missing image has no digests.
    let pinned = format!("127.0.0.1:5000/berth-test/box:1.0@{d11}");
    assert_eq!(registry.remote_digest(&pinned).await.unwrap(), d11);
    let absent = format!("127.0.0.1:5000/berth-test/absent-{}:1", std::process::id());
    assert_eq!(engine.local_repo_digests(&absent).await.unwrap(), None);
}

#[tokio::test]
async fn a_moved_tag_changes_its_digest() {
    require_testbed();
    let repo = format!("berth-test/moving-{}", std::process::id());
    let moving = format!("{REGISTRY}/{repo}:t");
    let mut cleanup = Cleanup {
        images: vec![moving.clone()],
        manifests: vec![],
    };
    docker(&["pull", "-q", BOX_10]);
    docker(&["pull", "-q", BOX_11]);
    let registry = Registry::new();
    let engine = Engine::connect().await.unwrap();

    docker(&["tag", BOX_10, &moving]);
    docker(&["push", "-q", &moving]);
    let first = registry.remote_digest(&moving).await.unwrap();
    cleanup.manifests.push((repo.clone(), first.clone()));
    let first_local = engine.local_repo_digests(&moving).await.unwrap().unwrap();
    assert!(
        is_current(&first_local, &first),
        "{first_local:?} vs {first}"
    );
    assert_eq!(
        cli_repo_digests(&moving, &format!("{REGISTRY}/{repo}")),
        vec![first.clone()]
    );

    docker(&["tag", BOX_11, &moving]);
    docker(&["push", "-q", &moving]);
    let second = registry.remote_digest(&moving).await.unwrap();
    cleanup.manifests.push((repo.clone(), second.clone()));
    assert_ne!(first, second, "the tag moved to another image");
    assert!(
        !is_current(&first_local, &second),
        "the first image's digests {first_local:?} still match {second}"
    );
    assert_eq!(registry.remote_digest(&moving).await.unwrap(), second);
    let now_local = engine.local_repo_digests(&moving).await.unwrap().unwrap();
    assert!(is_current(&now_local, &second));
}

#[tokio::test]
async fn download_size_counts_only_missing_layers() {
    require_testbed();
    let pid = std::process::id();
    // A tag of our own keeps box:1.0's layers here whatever other tests do.
    let base = format!("berth-registry-test-base-{pid}:keep");
    let sized_repo = format!("berth-test/sized-{pid}");
    let twin_repo = format!("berth-test/sized-twin-{pid}");
    let sized = format!("{REGISTRY}/{sized_repo}:1");
    let twin = format!("{REGISTRY}/{twin_repo}:1");
    let mut cleanup = Cleanup {
        images: vec![sized.clone(), twin.clone(), base.clone()],
        manifests: vec![],
    };
    docker(&["pull", "-q", BOX_10]);
    docker(&["tag", BOX_10, &base]);

    let build = std::env::temp_dir().join(format!("berth-registry-test-{pid}"));
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(
        build.join("Dockerfile"),
        format!("FROM {base}\nRUN echo {pid} > /extra && head -c 300000 /dev/urandom > /noise\n"),
    )
    .unwrap();
    docker(&["build", "-q", "-t", &sized, build.to_str().unwrap()]);
    std::fs::remove_dir_all(&build).ok();
    docker(&["tag", &sized, &twin]);
    docker(&["push", "-q", &sized]);
    docker(&["push", "-q", &twin]);
    let registry = Registry::new();
    for (repo, image) in [(&sized_repo, &sized), (&twin_repo, &twin)] {
        let digest = registry.remote_digest(image).await.unwrap();
        cleanup.manifests.push((repo.clone(), digest));
    }
    // By id, so the digest references the pushes left go too.
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", &sized]);
    docker(&["rmi", "-f", &id]);

    let engine = Engine::connect().await.unwrap();
    assert_eq!(engine.local_repo_digests(&sized).await.unwrap(), None);
    let layers = registry.layers(&sized).await.unwrap();
    let base_layers = registry.layers(BOX_10).await.unwrap();
    assert_eq!(layers.len(), base_layers.len() + 1, "{layers:?}");
    assert_eq!(layers[..base_layers.len()], base_layers[..]);
    let full: u64 = layers.iter().map(|l| l.size).sum();
    let new_layer = layers.last().unwrap().size;

    let size = engine
        .download_size(&registry, std::slice::from_ref(&sized))
        .await
        .unwrap();
    let one = &size.images[0];
    assert_eq!(one.image, sized);
    assert_eq!(one.bytes, new_layer, "{size:?}");
    assert!(one.bytes > 0 && one.bytes < full, "{size:?} of {full}");
    assert_eq!(one.layers, layers.len());
    assert_eq!(one.present_layers, base_layers.len());
    assert!(one.present_layers >= 1);
    assert_eq!(size.total, one.bytes);

    // The same layers under two names download once.
    let both = engine
        .download_size(&registry, &[sized.clone(), twin.clone()])
        .await
        .unwrap();
    assert_eq!(both.total, new_layer, "{both:?}");
    assert_eq!((both.images[0].bytes, both.images[1].bytes), (new_layer, 0));
    assert_eq!(both.images[1].present_layers, base_layers.len());

    // An image that is here downloads nothing, pinned by digest or not.
    let d10 = registry.remote_digest(BOX_10).await.unwrap();
    let present = engine
        .download_size(&registry, &[BOX_10.to_string(), format!("{BOX_10}@{d10}")])
        .await
        .unwrap();
    assert_eq!(present.total, 0, "{present:?}");
    for image in &present.images {
        assert_eq!((image.bytes, image.present_layers), (0, base_layers.len()));
    }

    // A missing tag is an error naming it, from either question.
    let missing = format!("{REGISTRY}/berth-test/box:no-such-tag-{pid}");
    let (image, message) = registry_error(
        engine
            .download_size(&registry, std::slice::from_ref(&missing))
            .await,
    );
    assert_eq!(image, missing);
    assert!(
        message.contains(&format!("has no tag no-such-tag-{pid}")),
        "{message}"
    );
    let (_, message) = registry_error(registry.remote_digest(&missing).await);
    assert!(
        message.contains(&format!("has no tag no-such-tag-{pid}")),
        "{message}"
    );
    let error = registry
        .remote_digest(&missing)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("could not ask the registry about {missing}: ")),
        "{error}"
    );
    // A missing repository is told apart.
    let nowhere = format!("{REGISTRY}/berth-test/nowhere-{pid}:1");
    let (_, message) = registry_error(registry.remote_digest(&nowhere).await);
    assert!(message.contains("does not exist"), "{message}");
    drop(cleanup);
}

#[tokio::test]
async fn unreachable_and_invalid() {
    // Nothing listens on port 1.
    let (_, message) = registry_error(Registry::new().remote_digest("127.0.0.1:1/a/b:1").await);
    assert!(
        message.contains("the registry at 127.0.0.1:1 is unreachable"),
        "{message}"
    );
    let (_, message) = registry_error(Registry::new().remote_digest("Not/Valid:x").await);
    assert!(message.contains("not a valid image reference"), "{message}");
}

/// A registry that wants a bearer token, in front of the real one: it
/// answers 401 with a challenge, hands out a token at `/token` (counting
/// requests and recording their query), and passes requests carrying the
/// token through to the test registry.
struct TokenProxy {
    port: u16,
    token_requests: Arc<Mutex<Vec<String>>>,
}

impl TokenProxy {
    fn start(grant: bool) -> TokenProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let token_requests = Arc::new(Mutex::new(Vec::new()));
        let seen = token_requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let seen = seen.clone();
                std::thread::spawn(move || serve(stream, port, grant, &seen));
            }
        });
        TokenProxy {
            port,
            token_requests,
        }
    }
}

fn serve(mut stream: TcpStream, port: u16, grant: bool, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if let Some(query) = target.strip_prefix("/token?") {
        seen.lock().unwrap().push(query.to_string());
        let (status, body) = if grant {
            ("200 OK", r#"{"access_token":"t0k","expires_in":300}"#)
        } else {
            ("401 Unauthorized", r#"{"details":"no"}"#)
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    if headers.get("authorization").map(String::as_str) != Some("Bearer t0k") {
        let _ = write!(
            stream,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"proxy.test\",scope=\"repository:berth-test/box:pull\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    // Pass through to the real registry; HTTP/1.0 so it closes when done.
    let mut upstream = TcpStream::connect(REGISTRY).unwrap();
    let accept = headers.get("accept").cloned().unwrap_or_default();
    write!(
        upstream,
        "{method} {target} HTTP/1.0\r\nHost: {REGISTRY}\r\nAccept: {accept}\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    upstream.read_to_end(&mut response).unwrap();
    let _ = stream.write_all(&response);
}

#[tokio::test]
async fn anonymous_tokens_are_fetched_once_per_repository() {
    require_testbed();
    let proxy = TokenProxy::start(true);
    let through = format!("127.0.0.1:{}/berth-test/box:1.0", proxy.port);
    let registry = Registry::new();
    let direct = Registry::new().remote_digest(BOX_10).await.unwrap();
    assert_eq!(registry.remote_digest(&through).await.unwrap(), direct);
    assert_eq!(registry.remote_digest(&through).await.unwrap(), direct);
    assert_eq!(
        registry.layers(&through).await.unwrap(),
        registry.layers(BOX_10).await.unwrap()
    );
    let requests = proxy.token_requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        vec!["service=proxy.test&scope=repository%3Aberth-test%2Fbox%3Apull".to_string()],
        "one token request, with the challenge's service and scope"
    );

    let refusing = TokenProxy::start(false);
    let through = format!("127.0.0.1:{}/berth-test/box:1.0", refusing.port);
    let (_, message) = registry_error(Registry::new().remote_digest(&through).await);
    assert!(message.contains("needs a login"), "{message}");
}
