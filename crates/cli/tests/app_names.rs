//! Apps' names and the login gate, against the real daemon with the reverse
//! proxy on, one daemon for the file: an app installed `--name wiki`
//! answers as `wiki.<domain>` and not by its id, "Open" goes there, a
//! rename moves it at once, a taken or invalid name is refused with nothing
//! changed; a gated app sends a visitor to Berth's gate, a logged-in
//! session's one-time ticket gives its cookie, tickets cannot be used twice
//! or for another app, `to` stays on the app's name, logging out closes the
//! gate, and neither `berth_gate` nor `berth_session` reaches the app.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const DOMAIN: &str = "home.test";
const IMAGE: &str = "127.0.0.1:5000/berth-test/box:1.0";

/// Answers with the request it received (busybox httpd's CGI passes every
/// header as `HTTP_*`), as in proxy.rs.
fn sniffer_app(port: u16) -> String {
    format!(
        r#"services:
  web:
    image: {IMAGE}
    command:
      - sh
      - -c
      - |
        mkdir -p /srv/cgi-bin
        printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv\n' > /srv/cgi-bin/index.cgi
        chmod 755 /srv/cgi-bin/index.cgi
        trap 'exit 0' TERM
        httpd -f -p 80 -h /srv &
        wait
    ports: ['{port}:80']
"#
    )
}

/// Static pages from its data folder.
fn pages_app(port: u16) -> String {
    format!(
        "services:\n  web:\n    image: {IMAGE}\n    command: [sh, -c, \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n    volumes: ['./data:/www']\n    ports: ['{port}:80']\n"
    )
}

fn proxy_addr(home: &Path) -> SocketAddr {
    let start = Instant::now();
    loop {
        if let Ok(addr) = std::fs::read_to_string(home.join(berth_api::PROXY_ADDR_FILE)) {
            return addr.trim().parse().unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "berth serve did not say where its proxy listens"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let name = name.trim().to_ascii_lowercase();
    name.split('.').next().unwrap().to_string()
}

/// A client that reaches the proxy for every name and follows no redirect.
fn client(proxy: SocketAddr, names: &[String]) -> reqwest::blocking::Client {
    names
        .iter()
        .fold(reqwest::blocking::Client::builder(), |b, name| {
            b.resolve(name, proxy)
        })
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn location(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in {}", response.status()))
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn apps_answer_by_their_names_and_the_gate_lets_only_berth_users_in() {
    require_testbed();
    let home = TempHome::new("names");
    let (sniff, pages, third) = ("names-sniff", "names_pages", "names-third");
    let _cleanup = [sniff, pages, third].map(AppCleanup::new);
    let _daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_berth")),
        &home,
        &[
            ("BERTH_PROXY_LISTEN", "127.0.0.1:0"),
            ("BERTH_PROXY_DOMAIN", DOMAIN),
            // The update that never answers is given up on after this.
            ("BERTH_UPDATE_TIMEOUT_SECS", "15"),
        ],
    );
    let proxy = proxy_addr(&home);
    let port = proxy.port();
    let server = short_hostname();
    let name = |label: &str| format!("{label}.{DOMAIN}");
    let hosts: Vec<String> = [
        "wiki",
        "notes",
        "names-sniff",
        "names-pages",
        "names_pages",
        "berth",
    ]
    .iter()
    .map(|l| name(l))
    .chain([
        format!("notes-{server}.local"),
        format!("berth-{server}.local"),
    ])
    .collect();
    let http = client(proxy, &hosts);
    let url = |host: &str, path: &str| format!("http://{host}:{port}{path}");
    let get = |host: &str, path: &str| http.get(url(host, path)).send().unwrap();

    // Installed with a name; another without one gets it from its id.
    let file = berth_testkit::write_compose(&home, sniff, &sniffer_app(18511));
    berth_ok(
        &home,
        &[
            "install",
            file.to_str().unwrap(),
            "--id",
            sniff,
            "--name",
            "wiki",
        ],
    );
    let file = berth_testkit::write_compose(&home, pages, &pages_app(18512));
    berth_ok(&home, &["install", file.to_str().unwrap(), "--id", pages]);
    std::fs::write(
        home.join("apps")
            .join(pages)
            .join("data")
            .join("index.html"),
        "pages page\n",
    )
    .unwrap();
    let status = |app: &str| json(&berth_ok(&home, &["status", app, "--json"]));
    let info = status(sniff);
    assert_eq!(info["name"], "wiki", "{info}");
    assert_eq!(info["gate"], false, "{info}");
    assert_eq!(
        info["openUrl"].as_str().unwrap(),
        format!("http://wiki.{DOMAIN}:{port}/"),
        "Open goes to the name: {info}"
    );
    assert_eq!(status(pages)["name"], "names-pages");

    // It answers by its name, not by its id.
    let seen = get(&name("wiki"), "/").text().unwrap();
    assert!(seen.contains("SERVER_PROTOCOL=HTTP/1.1"), "{seen}");
    assert_eq!(get(&name(sniff), "/").status(), 404);
    assert_eq!(
        get(&name("names-pages"), "/").text().unwrap(),
        "pages page\n"
    );
    assert_eq!(
        get(&name(pages), "/").status(),
        404,
        "an id with _ is no name"
    );

    // A rename moves it at once; the old name is free.
    let renamed = berth_ok(&home, &["rename", sniff, "notes"]);
    assert!(
        text(&renamed).contains("now named notes"),
        "{}",
        text(&renamed)
    );
    assert_eq!(get(&name("notes"), "/").status(), 200);
    assert_eq!(get(&name("wiki"), "/").status(), 404);
    assert_eq!(status(sniff)["name"], "notes");

    // Taken and invalid names are refused, saying why, and nothing changes.
    for (bad, why) in [
        ("names-pages", "taken by the app names_pages"),
        ("Bad_Name", "lowercase letters, digits and `-`"),
        ("berth", "kept for Berth"),
        ("-x", "starts or ends with `-`"),
    ] {
        let out = berth(&home, &["rename", sniff, bad]);
        assert!(!out.status.success(), "rename to {bad} was accepted");
        assert!(text(&out).contains(why), "rename to {bad}: {}", text(&out));
    }
    assert_eq!(status(sniff)["name"], "notes");
    assert_eq!(status(pages)["name"], "names-pages");
    let file = berth_testkit::write_compose(&home, third, &pages_app(18513));
    let out = berth(
        &home,
        &[
            "install",
            file.to_str().unwrap(),
            "--id",
            third,
            "--name",
            "notes",
        ],
    );
    assert!(!out.status.success(), "an install took a taken name");
    assert!(
        text(&out).contains("taken by the app names-sniff"),
        "{}",
        text(&out)
    );
    let out = berth(
        &home,
        &[
            "install",
            file.to_str().unwrap(),
            "--id",
            third,
            "--name",
            "No Good",
        ],
    );
    assert!(!out.status.success(), "an install took an invalid name");
    assert!(
        !berth(&home, &["status", third]).status.success(),
        "{third} was installed"
    );
    assert_eq!(get(&name("notes"), "/").status(), 200);

    // The gate: on, a visitor who is not logged in goes to Berth's gate
    // page, at Berth's name in the form the app was asked by.
    let gated = berth_ok(&home, &["gate", sniff, "on"]);
    assert!(
        text(&gated).contains("only people logged in"),
        "{}",
        text(&gated)
    );
    assert_eq!(status(sniff)["gate"], true);
    let away = get(&name("notes"), "/some/page?x=1");
    assert_eq!(away.status(), 302);
    assert_eq!(
        location(&away),
        format!("http://berth.{DOMAIN}:{port}/gate?app=notes&to=/some/page%3Fx%3D1")
    );
    let flat = format!("notes-{server}.local");
    let away = get(&flat, "/");
    assert_eq!(
        location(&away),
        format!("http://berth-{server}.local:{port}/gate?app=notes&to=/")
    );
    // What is not a page load is refused, not redirected.
    let posted = http.post(url(&name("notes"), "/")).send().unwrap();
    assert_eq!(posted.status(), 401);
    let fetched = http
        .get(url(&name("notes"), "/"))
        .header("sec-fetch-mode", "cors")
        .send()
        .unwrap();
    assert_eq!(fetched.status(), 401);
    // The gate page is Berth's web UI (it logs in first when needed).
    let page = get(&name("berth"), "/gate?app=notes&to=/");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .unwrap()
        .to_ascii_lowercase()
        .contains("<!doctype html"));

    // A ticket needs a session.
    let berth_url = |path: &str| url(&name("berth"), path);
    let no_session = http
        .post(berth_url("/api/gate"))
        .json(&serde_json::json!({"app": "notes", "to": "/"}))
        .send()
        .unwrap();
    assert_eq!(no_session.status(), 401);
    let setup = http
        .post(berth_url("/api/setup"))
        .json(&serde_json::json!({"user": "admin", "password": "a long passphrase", "code": setup_code(&home)}))
        .send()
        .unwrap();
    let session = WebSession::from_login(&berth_url(""), setup);
    let ticket_url = |app: &str, to: &str| -> String {
        let reply = http
            .post(berth_url("/api/gate"))
            .header("cookie", &session.cookie)
            .header("x-berth-session-key", &session.key)
            .json(&serde_json::json!({"app": app, "to": to}))
            .send()
            .unwrap();
        assert_eq!(reply.status(), 200, "gate ticket for {app}");
        let body: serde_json::Value = reply.json().unwrap();
        let url = body["url"].as_str().unwrap().to_string();
        format!("http:{url}")
    };

    // The dance: the ticket becomes the app's cookie, then the app answers.
    let entry = ticket_url("notes", "/some/page?x=1");
    assert!(
        entry.starts_with(&format!("http://notes.{DOMAIN}:{port}/.berth/gate?ticket=")),
        "{entry}"
    );
    let opened = http.get(&entry).send().unwrap();
    assert_eq!(opened.status(), 302);
    assert_eq!(location(&opened), "/some/page?x=1");
    let set = opened.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.starts_with("berth_gate="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "a host-only cookie: {set}");
    let gate_cookie = set.split(';').next().unwrap().to_string();
    let seen = http
        .get(url(&name("notes"), "/"))
        .header(
            "cookie",
            format!("theme=dark; {gate_cookie}; {}", session.cookie),
        )
        .header("x-berth-session-key", &session.key)
        .send()
        .unwrap();
    assert_eq!(seen.status(), 200);
    let seen = seen.text().unwrap();
    assert!(seen.contains("HTTP_COOKIE=theme=dark"), "{seen}");
    assert!(
        !seen.contains("berth_gate"),
        "the app got the gate cookie: {seen}"
    );
    assert!(
        !seen.contains(gate_cookie.split_once('=').unwrap().1),
        "{seen}"
    );
    assert!(
        !seen.contains("berth_session"),
        "the app got Berth's session: {seen}"
    );
    assert!(!seen.contains(&session.key), "{seen}");

    // A ticket is spent by its first use.
    let again = http.get(&entry).send().unwrap();
    assert_eq!(again.status(), 403);
    // A ticket for one app opens no other (and is spent trying).
    let for_notes = ticket_url("notes", "/");
    let elsewhere = for_notes.replace(&format!("notes.{DOMAIN}"), &format!("names-pages.{DOMAIN}"));
    assert_eq!(http.get(&elsewhere).send().unwrap().status(), 403);
    assert_eq!(http.get(&for_notes).send().unwrap().status(), 403);
    // The gate's path is the proxy's even for an app with no gate.
    assert_eq!(
        get(&name("names-pages"), "/.berth/gate?ticket=x").status(),
        403
    );
    // `to` stays a path of the app's name.
    let evil = ticket_url("notes", "//evil.test");
    assert!(evil.ends_with("&to=/"), "{evil}");
    assert_eq!(location(&http.get(&evil).send().unwrap()), "/");
    for bad in [
        "//evil.test",
        "/%5Cevil.test",
        "https://evil.test",
        "/%09/evil.test",
    ] {
        let crafted = ticket_url("notes", "/").replace("&to=/", &format!("&to={bad}"));
        let went = http.get(&crafted).send().unwrap();
        assert_eq!(went.status(), 302, "{crafted}");
        assert_eq!(location(&went), "/", "to={bad}");
    }
    // An app that is not gated is unchanged.
    assert_eq!(get(&name("names-pages"), "/").status(), 200);

    // Logging out closes the gate.
    let out = http
        .post(berth_url("/api/logout"))
        .header("cookie", &session.cookie)
        .header("x-berth-session-key", &session.key)
        .send()
        .unwrap();
    assert!(out.status().is_success());
    let closed = http
        .get(url(&name("notes"), "/"))
        .header("cookie", &gate_cookie)
        .send()
        .unwrap();
    assert_eq!(closed.status(), 302, "the gate stays open after logout");

    // Off again, the app is open to anyone who reaches it.
    berth_ok(&home, &["gate", sniff, "off"]);
    assert_eq!(get(&name("notes"), "/").status(), 200);

    no_host_port(&home, proxy);
}

/// The host ports a container publishes (`docker port`): one line each,
/// `80/tcp -> 0.0.0.0:18514`.
fn docker_ports(container: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["port", container])
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker port {container}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An app installed `--no-host-port`: its main web port is not published
/// on the host (its other port is), it answers by its name through the
/// proxy, "Open" goes to the name; `berth host-port` publishes it again
/// and takes it off again, each time on the running container.
fn no_host_port(home: &Path, proxy: SocketAddr) {
    let app = "names-quiet";
    let _cleanup = AppCleanup::new(app);
    let port = proxy.port();
    let host = format!("quiet.{DOMAIN}");
    let http = client(proxy, std::slice::from_ref(&host));
    let compose = format!(
        "services:\n  web:\n    image: {IMAGE}\n    command: [sh, -c, \"trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait\"]\n    volumes: ['./data:/www']\n    ports: ['18514:80', '18515:1883']\n"
    );
    let file = berth_testkit::write_compose(home, app, &compose);
    berth_ok(
        home,
        &[
            "install",
            file.to_str().unwrap(),
            "--id",
            app,
            "--name",
            "quiet",
            "--no-host-port",
        ],
    );
    std::fs::write(
        home.join("apps").join(app).join("data").join("index.html"),
        "quiet page\n",
    )
    .unwrap();
    let status = || json(&berth_ok(home, &["status", app, "--json"]));
    let info = status();
    let container = info["services"][0]["container"]
        .as_str()
        .unwrap()
        .to_string();
    let published = docker_ports(&container);
    assert!(
        !published.contains("80/tcp"),
        "the main web port is on the host: {published}"
    );
    assert!(
        published.contains("1883/tcp -> ") && published.contains(":18515"),
        "its other port must stay published: {published}"
    );
    assert_eq!(info["hostPort"], false, "{info}");
    assert_eq!(info["openPort"], serde_json::Value::Null, "{info}");
    assert_eq!(
        info["openUrl"].as_str().unwrap(),
        format!("http://{host}:{port}/"),
        "Open goes to the name: {info}"
    );
    let shown = text(&berth_ok(home, &["status", app]));
    assert!(
        shown.contains(&format!("→ http://{host}:{port}/")) && shown.contains("no host port"),
        "{shown}"
    );
    let page = |http: &reqwest::blocking::Client| {
        let got = http.get(format!("http://{host}:{port}/")).send().unwrap();
        (got.status().as_u16(), got.text().unwrap())
    };
    assert_eq!(page(&http), (200, "quiet page\n".to_string()));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", 18514)).is_err(),
        "something answers on the host port"
    );

    // Published again: on the host and by name.
    berth_ok(home, &["host-port", app, "on"]);
    let info = status();
    assert_eq!(info["hostPort"], true, "{info}");
    assert_eq!(info["openPort"], 18514, "{info}");
    let container = info["services"][0]["container"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        docker_ports(&container).contains("80/tcp -> "),
        "{}",
        docker_ports(&container)
    );
    let direct = reqwest::blocking::get("http://127.0.0.1:18514/").unwrap();
    assert_eq!(direct.text().unwrap(), "quiet page\n");
    assert_eq!(page(&http), (200, "quiet page\n".to_string()));

    // And off again: the port does not come back by itself.
    berth_ok(home, &["host-port", app, "off"]);
    let info = status();
    let container = info["services"][0]["container"]
        .as_str()
        .unwrap()
        .to_string();
    let published = docker_ports(&container);
    assert!(!published.contains("80/tcp"), "{published}");
    assert!(published.contains("1883/tcp"), "{published}");
    assert_eq!(info["openPort"], serde_json::Value::Null, "{info}");
    assert_eq!(page(&http), (200, "quiet page\n".to_string()));

    // Updates are gated on the app answering on its own network (there is
    // no host port to ask): a version whose page does not answer is put
    // back, one whose page does goes in, and neither publishes the port.
    let update = |text: &str, file: &str| {
        let path = home.join(file);
        std::fs::write(&path, text).unwrap();
        berth(home, &["update", app, "--compose", path.to_str().unwrap()])
    };
    let silent = compose.replace("httpd -f -p 80 -h /www & wait", "sleep 3600 & wait");
    assert_ne!(silent, compose);
    let out = update(&silent, "quiet-silent.yml");
    let said = text(&out);
    assert!(
        !out.status.success(),
        "a version that does not answer went in: {said}"
    );
    assert!(
        said.contains("did not answer on port 80"),
        "the gate asked the container's port 80: {said}"
    );
    assert_eq!(page(&http), (200, "quiet page\n".to_string()));
    let answering = compose.replace("-h /www &", "-h /www -v &");
    assert_ne!(answering, compose);
    let out = update(&answering, "quiet-v2.yml");
    assert!(out.status.success(), "{}", text(&out));
    let info = status();
    assert_eq!(info["hostPort"], false, "{info}");
    let container = info["services"][0]["container"].as_str().unwrap();
    assert!(!docker_ports(container).contains("80/tcp"));
    assert_eq!(page(&http), (200, "quiet page\n".to_string()));
}
