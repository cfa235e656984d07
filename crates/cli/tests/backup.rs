//! Backups end to end, through the CLI and one daemon on the real engine: an
//! app from a compose file with a data folder and a named volume holding
//! known random bytes is backed up to a folder target (stopped for the copy,
//! running again after), its data destroyed, and restored from the backup:
//! both files byte-identical and the app running. Debian's `restic` reads
//! the repository Berth wrote: it lists the backup and restores the same
//! bytes, without Berth.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

use berth_testkit::{write_compose, BOX_10};

#[test]
fn an_app_is_backed_up_destroyed_restored_byte_identical_and_restic_reads_it() {
    require_testbed();
    require_restic();
    let app = format!("bk{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("backup-{app}"));
    let src = home.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let compose = src.join("compose.yml");
    std::fs::write(
        &compose,
        format!(
            "services:\n  web:\n    image: {BOX_10}\n    volumes: ['./data:/data', 'db:/db']\nvolumes:\n  db: {{}}\n"
        ),
    )
    .unwrap();
    let _daemon = start_daemon(&home);
    berth_ok(&home, &["install", compose.to_str().unwrap(), "--id", &app]);
    let container = format!("{app}-web-1");
    assert!(running(&container), "the app runs after its install");

    // Known bytes: a few MB in the data folder, a few in the named volume.
    let data_file = home.join("apps").join(&app).join("data").join("blob.bin");
    run(
        "sh",
        &[
            "-c",
            &format!("head -c 4000000 /dev/urandom > '{}'", data_file.display()),
        ],
    );
    sh_in(
        &container,
        "mkdir -p /db/sub && head -c 3000000 /dev/urandom > /db/sub/vol.bin",
    );
    let data_sum = sha256(&data_file);
    let vol_sum = sha256_in(&container, "/db/sub/vol.bin");

    // Without a target: a clear refusal.
    let none = berth(&home, &["backup", "run", &app]);
    assert!(!none.status.success());
    assert!(
        text(&none).contains("berth backup target add-folder"),
        "{}",
        text(&none)
    );

    // A folder target: a new repository, its password shown once.
    let repo = home.join("target");
    let added = json(&berth_ok(
        &home,
        &[
            "backup",
            "target",
            "add-folder",
            repo.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(added["created"], true, "{added}");
    let password = added["password"].as_str().expect("shown once").to_string();
    let password_file = home.join("backup").join("password");
    assert_eq!(
        std::fs::read_to_string(&password_file).unwrap().trim(),
        password
    );
    let said = text(&berth_ok(&home, &["backup", "target", "list"]));
    assert!(said.contains(repo.to_str().unwrap()), "{said}");

    // The backup: stopped for the copy, running again after.
    let report = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    assert_eq!(report["consistency"], "stopped", "{report}");
    let id = report["backup"]["shortId"].as_str().unwrap().to_string();
    assert!(
        report["backup"]["bytes"].as_u64().unwrap() >= 7_000_000,
        "{report}"
    );
    assert!(running(&container), "the app runs again after its backup");
    // The local copy it sent is gone.
    let kept = home.join("snapshots").join(&app);
    let left: Vec<_> = std::fs::read_dir(&kept)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "local copies left: {left:?}");
    let list = json(&berth_ok(&home, &["backup", "list", &app, "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["app"], app.as_str());
    assert_eq!(list[0]["version"], "compose");
    let time = list[0]["time"].as_str().unwrap();
    assert!(time.ends_with('Z') && !time.contains('.'), "{time}");

    // A second backup of unchanged data adds (almost) nothing.
    let again = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    assert!(
        again["backup"]["added"].as_u64().unwrap() < 200_000,
        "deduplicated: {again}"
    );

    // Destroy the data: the file removed, the volume's file overwritten.
    std::fs::remove_file(&data_file).unwrap();
    sh_in(
        &container,
        "echo ruined > /db/sub/vol.bin && echo new > /db/stray",
    );

    // A backup id that is not one: refused clearly.
    let bad = berth(&home, &["restore", &app, "../x"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("not a backup id"), "{}", text(&bad));

    // A backup the target does not have: one clear sentence, nothing changed.
    let missing = berth(&home, &["restore", &app, "ffffffff"]);
    assert!(!missing.status.success());
    let said = text(&missing);
    assert!(said.contains("there is no backup ffffffff"), "{said}");
    assert!(
        said.trim().lines().count() <= 2,
        "a sentence, not a page: {said}"
    );

    // Restore the first backup.
    let restored = text(&berth_ok(&home, &["restore", &app, &id]));
    assert!(restored.contains("done"), "{restored}");
    assert_eq!(sha256(&data_file), data_sum, "the data folder's file");
    assert!(running(&container), "the app runs after the restore");
    assert_eq!(
        sha256_in(&container, "/db/sub/vol.bin"),
        vol_sum,
        "the volume's file"
    );
    let stray = Command::new("docker")
        .args(["exec", &container, "test", "-e", "/db/stray"])
        .status()
        .unwrap();
    assert!(!stray.success(), "the volume is as backed up, nothing more");

    // Debian's restic reads what Berth wrote: the snapshot, tagged with the
    // app, and the same bytes restored without Berth.
    let snaps = restic_run(&repo, &password_file, &["snapshots", "--json"]);
    let snaps: serde_json::Value = serde_json::from_str(&snaps).unwrap();
    let snaps = snaps.as_array().unwrap();
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    let first = snaps
        .iter()
        .find(|s| s["short_id"] == id.as_str())
        .unwrap_or_else(|| panic!("restic does not list {id}: {snaps:?}"));
    let tags: Vec<&str> = first["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&format!("app={app}").as_str()), "{tags:?}");
    assert_eq!(first["paths"][0], format!("/berth/{app}"), "{first}");
    let out = home.join("restic-out");
    restic_run(
        &repo,
        &password_file,
        &["restore", &id, "--target", out.to_str().unwrap()],
    );
    let root = out.join("berth").join(&app);
    assert_eq!(sha256(&root.join("data/blob.bin")), data_sum);
    let volumes: Vec<PathBuf> = std::fs::read_dir(root.join("volumes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(volumes.len(), 1, "{volumes:?}");
    assert_eq!(sha256(&volumes[0].join("sub/vol.bin")), vol_sum);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("backup.json")).unwrap()).unwrap();
    assert_eq!(manifest["app"], app.as_str());
    assert_eq!(manifest["consistency"], "stopped");
    assert!(root.join("compose.yml").is_file());
    restic_run(&repo, &password_file, &["check"]);
}

/// An OpenSSH server on 127.0.0.1 (Debian's sshd), with its own host key,
/// config and authorized keys in `dir`; killed when dropped.
struct Sshd {
    child: std::process::Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start(dir: &Path, port: u16) -> Sshd {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.is_file(),
            "this test backs up to a real SFTP server: apt install openssh-server (scripts/setup installs it)"
        );
        // sshd refuses to start without its privilege separation folder.
        std::fs::create_dir_all("/run/sshd").unwrap();
        let host_key = dir.join("host_key");
        if !host_key.exists() {
            run(
                "ssh-keygen",
                &[
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-f",
                    host_key.to_str().unwrap(),
                ],
            );
        }
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
                 StrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\n",
                host_key.display(),
                dir.join("sshd.pid").display(),
                dir.join("authorized_keys").display(),
            ),
        )
        .unwrap();
        let child = Command::new(sshd)
            .args(["-D", "-e", "-f", config.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "sshd did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Sshd { child, port }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An SFTP target on a real OpenSSH server: Berth logs in with its own key
/// (refused with a clear next step until the server has it), an app is
/// backed up, ruined and restored byte-identical; restic reads the
/// repository over SFTP; a server whose host key changed is refused.
#[test]
fn an_app_is_backed_up_to_an_sftp_server_and_restored_and_a_changed_host_key_is_refused() {
    require_testbed();
    require_restic();
    let app = format!("bks{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("backup-sftp-{app}"));
    let server = home.join("sshd");
    std::fs::create_dir_all(&server).unwrap();
    let sshd = Sshd::start(&server, free_port());
    let repo = server.join("repo");
    let url = format!("sftp://root@127.0.0.1:{}{}", sshd.port, repo.display());
    let compose = write_compose(
        &home,
        &app,
        &format!("services:\n  web:\n    image: {BOX_10}\n    volumes: ['./data:/data', 'db:/db']\nvolumes:\n  db: {{}}\n"),
    );
    let _daemon = start_daemon(&home);
    berth_ok(&home, &["install", compose.to_str().unwrap(), "--id", &app]);
    let container = format!("{app}-web-1");
    let data_file = home.join("apps").join(&app).join("data").join("blob.bin");
    run(
        "sh",
        &[
            "-c",
            &format!("head -c 3000000 /dev/urandom > '{}'", data_file.display()),
        ],
    );
    sh_in(&container, "head -c 2000000 /dev/urandom > /db/vol.bin");
    let data_sum = sha256(&data_file);
    let vol_sum = sha256_in(&container, "/db/vol.bin");

    // The server does not know Berth's key yet: refused, with the next step,
    // and nothing kept.
    let refused = berth(&home, &["backup", "target", "add-sftp", &url]);
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(said.contains("berth backup target ssh-key"), "{said}");
    assert!(said.contains("Permission denied"), "{said}");
    let list = json(&berth_ok(&home, &["backup", "target", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
    assert!(!home.join("backup/password").exists());

    // Berth's key, root-only, added to the server's authorized keys.
    let key = text(&berth_ok(&home, &["backup", "target", "ssh-key"]));
    assert!(key.starts_with("ssh-ed25519 "), "{key}");
    let mode = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&home.join("backup/ssh/id_ed25519")), 0o600);
    assert_eq!(mode(&home.join("backup/ssh")), 0o700);
    std::fs::write(server.join("authorized_keys"), format!("{}\n", key.trim())).unwrap();

    let added = json(&berth_ok(
        &home,
        &["backup", "target", "add-sftp", &url, "--json"],
    ));
    assert_eq!(added["created"], true, "{added}");
    assert_eq!(added["target"]["kind"], "sftp", "{added}");
    assert!(repo.join("config").is_file(), "a repository on the server");
    let known = std::fs::read_to_string(home.join("backup/ssh/known_hosts")).unwrap();
    assert!(
        known.contains(&format!("[127.0.0.1]:{}", sshd.port)),
        "{known}"
    );

    let report = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    let id = report["backup"]["shortId"].as_str().unwrap().to_string();
    assert!(running(&container), "the app runs again after its backup");
    let list = json(&berth_ok(&home, &["backup", "list", &app, "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    // No file is left under a temporary name on the server.
    let stray = Command::new("find")
        .arg(&repo)
        .args(["-name", "*.tmp-berth"])
        .output()
        .unwrap();
    assert!(stray.stdout.is_empty(), "{}", text(&stray));

    std::fs::remove_file(&data_file).unwrap();
    sh_in(&container, "echo ruined > /db/vol.bin");
    let restored = text(&berth_ok(&home, &["restore", &app, &id]));
    assert!(restored.contains("done"), "{restored}");
    assert_eq!(sha256(&data_file), data_sum, "the data folder's file");
    assert_eq!(
        sha256_in(&container, "/db/vol.bin"),
        vol_sum,
        "the volume's file"
    );
    assert!(running(&container), "the app runs after the restore");

    // restic reads it over SFTP, with the same ssh command Berth uses.
    let target: serde_json::Value = added["target"].clone();
    let ssh = format!(
        "ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile={} -o IdentitiesOnly=yes -i {} -p {} -l root 127.0.0.1 -s sftp",
        target["knownHosts"].as_str().unwrap(),
        target["key"].as_str().unwrap(),
        sshd.port
    );
    let out = Command::new("restic")
        .args(["-r", &format!("sftp:root@127.0.0.1:{}", repo.display())])
        .args(["-o", &format!("sftp.command={ssh}")])
        .arg("--password-file")
        .arg(home.join("backup/password"))
        .args(["--no-cache", "snapshots", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "restic over sftp: {}", text(&out));
    let snaps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snaps[0]["short_id"], id.as_str(), "{snaps}");
    restic_run(&repo, &home.join("backup/password"), &["check"]);

    // The server comes back with another host key (someone in the middle,
    // or a reinstall): Berth refuses to send anything and says so.
    let port = sshd.port;
    drop(sshd);
    std::fs::remove_file(server.join("host_key")).unwrap();
    let _sshd = Sshd::start(&server, port);
    let changed = berth(&home, &["backup", "run", &app]);
    assert!(!changed.status.success());
    let said = text(&changed);
    assert!(said.contains("different host key"), "{said}");
    assert!(
        running(&container),
        "the app was not stopped for a target it cannot reach"
    );
}
