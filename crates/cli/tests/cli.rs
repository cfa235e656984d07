//! The `berth` binary as a user runs it: exit codes, messages, hostile input,
//! and rendered files checked by the real docker compose.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn berth(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .env_remove("NOT_SET_FOR_THE_TEST")
        .env_remove("APP_VERSION")
        .output()
        .expect("the berth binary runs");
    (out, start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn usage_lists_the_compose_commands() {
    let (out, _) = berth(&["compose", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["normalize", "check", "render"] {
        assert!(text.contains(cmd), "{text}");
    }
    let (out, _) = berth(&["compose", "normalize"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing FILE is a usage error"
    );
}

#[test]
fn normalize_prints_the_canonical_model_and_warns_on_unset_variables() {
    let f = fixture("web.yml");
    let (out, _) = berth(&["compose", "normalize", f.to_str().unwrap(), "-p", "demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["name"], "demo");
    assert_eq!(json["services"]["web"]["ports"][0]["published"], "8080");
    assert_eq!(json["services"]["web"]["ports"][0]["target"], 80);
    assert_eq!(json["services"]["web"]["environment"]["GREETING"], "hello");
    assert_eq!(
        json["services"]["web"]["depends_on"]["cache"]["condition"],
        "service_started"
    );
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("NOT_SET_FOR_THE_TEST"),
        "{err}"
    );

    let (out, _) = berth(&[
        "compose",
        "normalize",
        f.to_str().unwrap(),
        "--format",
        "yaml",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("published: '8080'"));
}

#[test]
fn check_exits_1_on_severe_findings_and_0_otherwise() {
    let (clean, _) = berth(&["compose", "check", fixture("web.yml").to_str().unwrap()]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let (severe, _) = berth(&[
        "compose",
        "check",
        fixture("privileged.yml").to_str().unwrap(),
    ]);
    assert_eq!(severe.status.code(), Some(1));
    let text = String::from_utf8_lossy(&severe.stdout);
    assert!(
        text.contains("SEVERE") && text.contains("Docker socket") && text.contains("privileged"),
        "{text}"
    );
    let (json, _) = berth(&[
        "compose",
        "check",
        fixture("privileged.yml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["findings"][0]["severity"], "severe");
}

#[test]
fn invalid_input_exits_2_naming_the_file() {
    let dir = scratch("invalid");
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "services:\n  web:\n    image: x\n    ports: ['99999:80']\n",
    )
    .unwrap();
    let (out, _) = berth(&["compose", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ")
            && err.contains("bad.yml")
            && err.contains("services.web.ports[0]"),
        "{err}"
    );

    let (out, _) = berth(&[
        "compose",
        "normalize",
        fixture("required.yml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("APP_VERSION")
            && err.contains("required.yml")
            && err.contains("set APP_VERSION to the release"),
        "{err}"
    );

    let (out, _) = berth(&[
        "compose",
        "normalize",
        dir.join("absent.yml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("absent.yml"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hostile_files_are_refused_fast() {
    let dir = scratch("hostile");
    let mut bomb = String::from("services:\n  a:\n    image: x\nx-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = "a".to_string();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i"] {
        bomb.push_str(&format!("x-{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        prev = n.to_string();
    }
    let cases = [
        (
            "huge.yml",
            format!("services: {{}}\n#{}\n", "x".repeat(5 * 1024 * 1024)),
            "larger than",
        ),
        ("laughs.yml", bomb, "billion laughs"),
        (
            "deep.yml",
            format!("services: {}{}\n", "[".repeat(50_000), "]".repeat(50_000)),
            "nested",
        ),
        (
            "list.yml",
            "- just\n- a list\n".to_string(),
            "must be a mapping",
        ),
    ];
    for (name, text, expect) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (out, took) = berth(&["compose", "check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        // The engine's own share is under 100 ms (see its unit tests); the
        // process as a whole, debug build included, stays well under a second.
        assert!(took < Duration::from_secs(1), "{name} took {took:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn render_writes_a_file_docker_compose_accepts() {
    let home = scratch("render");
    let out_file = home.join("web.rendered.yml");
    let (out, _) = berth(&[
        "compose",
        "render",
        fixture("web.yml").to_str().unwrap(),
        "--app-id",
        "web",
        "--home",
        home.to_str().unwrap(),
        "--set",
        "GREETING=bonjour",
        "--cpus",
        "0.5",
        "--memory",
        "256m",
        "--pids",
        "100",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.contains("bonjour") && text.contains("berth.app: web"),
        "{text}"
    );
    assert!(
        home.join("ports.json").is_file(),
        "port choices are recorded"
    );

    let config = Command::new("docker")
        .args(["compose", "-f"])
        .arg(&out_file)
        .args(["config", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect(
            "docker CLI missing: install docker.io and docker compose v2 (see .ci/setup-docker)",
        );
    assert!(
        config.status.success(),
        "docker compose refuses the rendered file: {}",
        String::from_utf8_lossy(&config.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(json["name"], "web");
    let web = &json["services"]["web"];
    assert_eq!(web["deploy"]["resources"]["limits"]["memory"], "268435456");
    assert_eq!(web["deploy"]["resources"]["limits"]["pids"], 100);
    assert_eq!(web["restart"], "unless-stopped");
    let html = home.join("apps/web/data/html");
    assert_eq!(web["volumes"][0]["source"], html.to_str().unwrap());

    let (refused, _) = berth(&[
        "compose",
        "render",
        fixture("privileged.yml").to_str().unwrap(),
        "--app-id",
        "agent",
        "--home",
        home.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("needs your consent"),
        "{}",
        stderr(&refused)
    );
    let (allowed, _) = berth(&[
        "compose",
        "render",
        fixture("privileged.yml").to_str().unwrap(),
        "--app-id",
        "agent",
        "--home",
        home.to_str().unwrap(),
        "--allow-privileged",
    ]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    std::fs::remove_dir_all(&home).ok();
}
