//! What the desktop window's page may do, from its configuration: it runs
//! under a content security policy (only its own code, IPC and store
//! pictures), and the opener may open http and https links only (an app's
//! page in the system browser) — no `file:`, no other scheme, no paths.

use std::path::Path;

fn read(file: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn the_window_has_a_content_security_policy() {
    let conf = read("tauri.conf.json");
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("tauri.conf.json sets app.security.csp");
    for needed in ["default-src 'self'", "object-src 'none'", "berthfile:"] {
        assert!(csp.contains(needed), "the CSP lacks {needed}: {csp}");
    }
    for directive in csp.split(';').map(str::trim) {
        if directive.starts_with("script-src") || directive.starts_with("default-src") {
            assert!(
                !directive.contains("'unsafe"),
                "the CSP lets scripts run unchecked: {directive}"
            );
        }
    }
}

#[test]
fn the_opener_opens_http_and_https_links_only() {
    let capability = read("capabilities/default.json");
    let permissions = capability["permissions"].as_array().unwrap();
    let mut scopes = Vec::new();
    for p in permissions {
        let id = p.as_str().or_else(|| p["identifier"].as_str()).unwrap();
        if id.starts_with("opener:") {
            assert_eq!(id, "opener:allow-open-url", "the window may {id}");
            for allowed in p["allow"].as_array().expect("a scope of URLs") {
                scopes.push(allowed["url"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(scopes, ["http://*", "https://*"]);
}
