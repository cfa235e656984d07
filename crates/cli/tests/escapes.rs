//! App files that try to reach the host without consent, against a real
//! `berth serve` and the real Docker engine: `..` in a bind, the app's own
//! rendered file, env files of the host, capabilities in lower case, raw
//! disks, other apps' containers, volumes and networks, changed security
//! profiles, and a link made by one service and mounted by another. Each is
//! refused with a sentence naming it, and nothing of it reaches the engine.
//! One daemon serves the whole file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

mod common;
use common::*;

const IMAGE: &str = "127.0.0.1:5000/berth-test/box:1.0";

struct Bed {
    home: PathBuf,
    files: PathBuf,
    _daemon: Daemon,
}

/// One daemon for every test of this file.
fn bed() -> &'static Bed {
    static BED: OnceLock<Bed> = OnceLock::new();
    BED.get_or_init(|| {
        require_testbed();
        let root = std::env::temp_dir().join(format!("berth-escapes-{}", std::process::id()));
        std::fs::remove_dir_all(&root).ok();
        let home = root.join("home");
        let files = root.join("files");
        std::fs::create_dir_all(&files).unwrap();
        let daemon = start_daemon(&home);
        Bed {
            home,
            files,
            _daemon: daemon,
        }
    })
}

fn app_id(name: &str) -> String {
    format!("esc{}-{name}", std::process::id())
}

/// Writes `compose` as its own folder's compose.yml.
fn compose(name: &str, text: &str) -> PathBuf {
    let dir = bed().files.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yml");
    std::fs::write(&file, text.replace("IMAGE", IMAGE)).unwrap();
    file
}

fn containers_of(app: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.compose.project={app}"),
        ])
        .output()
        .expect("the docker CLI is missing: install docker.io (see .ci/setup-docker)");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Installs `text` as app `name` without consent; it must be refused with
/// every one of `needles` in the message, and nothing may reach the engine.
fn refused(name: &str, text: &str, needles: &[&str]) -> String {
    let app = app_id(name);
    let _cleanup = AppCleanup::new(&app);
    let file = compose(name, text);
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &app],
    );
    let said = text_of(&out);
    assert!(
        !out.status.success(),
        "{name}: installed without consent:\n{said}"
    );
    for needle in needles {
        assert!(said.contains(needle), "{name}: no \"{needle}\" in:\n{said}");
    }
    assert_eq!(
        containers_of(&app),
        Vec::<String>::new(),
        "{name}: a container was made"
    );
    said
}

fn text_of(out: &std::process::Output) -> String {
    text(out)
}

fn inspect(app: &str, service: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args(["inspect", "-f", format, &format!("{app}-{service}-1")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn dot_dot_in_a_bind_does_not_reach_the_host() {
    let said = refused(
        "dotdot",
        "services:\n  web:\n    image: IMAGE\n    volumes: ['${APP_DATA_DIR}/../../../../../../../..:/host']\n",
        &["needs your consent", "system folder", "(that is /)"],
    );
    assert!(said.contains("volumes[0]"), "{said}");
}

#[test]
fn an_app_cannot_mount_or_edit_its_own_compose_file() {
    refused(
        "ownfile",
        "services:\n  web:\n    image: IMAGE\n    volumes: ['./:/appdir']\n",
        &["needs your consent", "Berth's own files"],
    );

    // A plain app, whose rendered file is then changed behind Berth's back
    // (as a container that could write it would): Berth will not run it.
    let app = app_id("tamper");
    let _cleanup = AppCleanup::new(&app);
    let file = compose(
        "tamper",
        "services:\n  web:\n    image: IMAGE\n    volumes: ['./data:/data']\n",
    );
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &app],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(inspect(&app, "web", "{{.HostConfig.Privileged}}"), "false");
    let rendered = bed().home.join("apps").join(&app).join("compose.yml");
    let original = std::fs::read_to_string(&rendered).unwrap();
    let tampered = original.replacen("    image:", "    privileged: true\n    image:", 1);
    assert_ne!(tampered, original);
    std::fs::write(&rendered, &tampered).unwrap();
    let out = berth(&bed().home, &["restart", &app]);
    let said = text(&out);
    assert!(!out.status.success(), "a tampered file was run:\n{said}");
    assert!(said.contains("changed outside Berth"), "{said}");
    assert_eq!(
        inspect(&app, "web", "{{.HostConfig.Privileged}}"),
        "false",
        "the tampered file reached the engine"
    );
    // Put back, it runs again.
    std::fs::write(&rendered, &original).unwrap();
    let out = berth(&bed().home, &["restart", &app]);
    assert!(out.status.success(), "{}", text(&out));
    let out = berth(&bed().home, &["uninstall", &app]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn env_files_of_the_host_are_not_read_into_an_app() {
    let secret = bed().files.join("host-secret.env");
    std::fs::write(&secret, "AWS_SECRET=never-leaves-the-host\n").unwrap();
    refused(
        "envfile",
        &format!(
            "services:\n  web:\n    image: IMAGE\n    env_file: [{}]\n",
            secret.display()
        ),
        &["needs your consent", "host file"],
    );
    // A file of the app's own folder is fine, and the rendered file does
    // not read it again at each start.
    let app = app_id("envown");
    let _cleanup = AppCleanup::new(&app);
    let file = compose(
        "envown",
        "services:\n  web:\n    image: IMAGE\n    env_file: [own.env]\n",
    );
    std::fs::write(file.with_file_name("own.env"), "OWN_SETTING=kept\n").unwrap();
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &app],
    );
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_file(file.with_file_name("own.env")).unwrap();
    let out = berth(&bed().home, &["restart", &app]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        inspect(&app, "web", "{{.Config.Env}}").contains("OWN_SETTING=kept"),
        "{}",
        inspect(&app, "web", "{{.Config.Env}}")
    );
    let out = berth(&bed().home, &["uninstall", &app]);
    assert!(out.status.success(), "{}", text(&out));

    // Another app's folder is the host's too.
    let other = bed().home.join("apps/someone/data");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join(".env"), "TOKEN=theirs\n").unwrap();
    refused(
        "envother",
        &format!(
            "services:\n  web:\n    image: IMAGE\n    env_file: ['{}/.env']\n",
            other.display()
        ),
        &["needs your consent", "host file"],
    );
}

#[test]
fn capabilities_are_checked_in_any_spelling() {
    for (name, cap) in [
        ("caplower", "cap_sys_module"),
        ("capmixed", "Sys_Admin"),
        ("capall", "all"),
    ] {
        refused(
            name,
            &format!("services:\n  web:\n    image: IMAGE\n    cap_add: [{cap}]\n"),
            &["needs your consent", "capability"],
        );
    }
}

#[test]
fn devices_need_consent_and_disks_are_severe() {
    let said = refused(
        "rawdisk",
        "services:\n  web:\n    image: IMAGE\n    devices: ['/dev/vda:/dev/disk0']\n",
        &["needs your consent", "/dev/vda", "disks"],
    );
    assert!(said.contains("devices[0]"), "{said}");
    refused(
        "devmem",
        "services:\n  web:\n    image: IMAGE\n    devices: [/dev/mem]\n",
        &["needs your consent", "/dev/mem"],
    );
    refused(
        "devrules",
        "services:\n  web:\n    image: IMAGE\n    device_cgroup_rules: ['b *:* rwm']\n",
        &["needs your consent", "b *:* rwm"],
    );
    // A device that appears in an update needs consent again; the app runs on.
    let app = app_id("devupdate");
    let _cleanup = AppCleanup::new(&app);
    let v1 = compose("devupdate", "services:\n  web:\n    image: IMAGE\n");
    let out = berth(
        &bed().home,
        &["install", v1.to_str().unwrap(), "--id", &app],
    );
    assert!(out.status.success(), "{}", text(&out));
    let v2 = compose(
        "devupdate2",
        "services:\n  web:\n    image: IMAGE\n    devices: [/dev/null]\n",
    );
    let out = berth(
        &bed().home,
        &["update", &app, "--compose", v2.to_str().unwrap()],
    );
    let said = text(&out);
    assert!(!out.status.success(), "a new device slipped in: {said}");
    assert!(
        said.contains("needs your consent") && said.contains("/dev/null"),
        "{said}"
    );
    assert_eq!(inspect(&app, "web", "{{len .HostConfig.Devices}}"), "0");
    assert_eq!(inspect(&app, "web", "{{.State.Running}}"), "true");
    let out = berth(&bed().home, &["uninstall", &app]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn apps_cannot_join_other_apps() {
    // A victim app with a container, a volume and a network of its own.
    let victim = app_id("victim");
    let _cleanup = AppCleanup::new(&victim);
    let file = compose(
        "victim",
        "services:\n  db:\n    image: IMAGE\n    volumes: ['secrets:/s']\nvolumes:\n  secrets: {}\n",
    );
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &victim],
    );
    assert!(out.status.success(), "{}", text(&out));

    refused(
        "joinnet",
        &format!(
            "services:\n  spy:\n    image: IMAGE\n    network_mode: 'container:{victim}-db-1'\n"
        ),
        &["needs your consent", &format!("{victim}-db-1")],
    );
    refused(
        "joinpid",
        &format!("services:\n  spy:\n    image: IMAGE\n    pid: 'container:{victim}-db-1'\n"),
        &["needs your consent", "not part of this app"],
    );
    refused(
        "joinvol",
        &format!("services:\n  spy:\n    image: IMAGE\n    volumes: ['loot:/loot']\nvolumes:\n  loot: {{external: true, name: {victim}_secrets}}\n"),
        &["needs your consent", &format!("{victim}_secrets")],
    );
    refused(
        "namevol",
        &format!("services:\n  spy:\n    image: IMAGE\n    volumes: ['loot:/loot']\nvolumes:\n  loot: {{name: {victim}_secrets}}\n"),
        &["needs your consent", &format!("{victim}_secrets")],
    );
    refused(
        "joinvictimnet",
        &format!("services:\n  spy:\n    image: IMAGE\n    networks: [theirs]\nnetworks:\n  theirs: {{name: {victim}_default}}\n"),
        &["needs your consent", &format!("{victim}_default")],
    );
    refused(
        "hostnet",
        "services:\n  spy:\n    image: IMAGE\n    networks: [h]\nnetworks:\n  h: {external: true, name: host}\n",
        &["needs your consent", "host's network"],
    );
    let out = berth(&bed().home, &["uninstall", &victim]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn changed_security_profiles_are_severe() {
    for (name, opt) in [
        (
            "seccompjson",
            r#"'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'"#,
        ),
        ("apparmor", "'apparmor=unconfined'"),
        ("label", "'label:type:spc_t'"),
    ] {
        refused(
            name,
            &format!("services:\n  web:\n    image: IMAGE\n    security_opt: [{opt}]\n"),
            &["needs your consent", "safety guard"],
        );
    }
}

#[test]
fn a_link_made_by_one_service_is_not_mounted_by_another() {
    // `maker` owns the data folder and plants a link to /etc in it; `reader`
    // starts after it and mounts the link's path. At render the link does
    // not exist yet; the check before Docker mounts must catch it.
    let app = app_id("link");
    let _cleanup = AppCleanup::new(&app);
    let file = compose(
        "link",
        "services:\n  maker:\n    image: IMAGE\n    command: [sh, -c, \"ln -sfn /etc /data/config && touch /data/ready && trap 'exit 0' TERM; sleep 600 & wait\"]\n    volumes: ['./data:/data']\n    healthcheck: {test: [CMD, test, -e, /data/ready], interval: 1s, retries: 30}\n  reader:\n    image: IMAGE\n    depends_on: {maker: {condition: service_healthy}}\n    volumes: ['./data/config:/host-etc']\n",
    );
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &app],
    );
    let said = text(&out);
    assert!(!out.status.success(), "the link was mounted:\n{said}");
    assert!(
        said.contains("symbolic link") && said.contains("/etc"),
        "{said}"
    );
    let reader = Command::new("docker")
        .args(["inspect", &format!("{app}-reader-1")])
        .output()
        .unwrap();
    assert!(!reader.status.success(), "the reader container exists");
    // The link itself is now in the data folder: a fresh render refuses it.
    let link = bed().home.join("apps").join(&app).join("data/config");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("/etc"));
    let out = berth(
        &bed().home,
        &["install", file.to_str().unwrap(), "--id", &app],
    );
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("symbolic link"), "{said}");
}
