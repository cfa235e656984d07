//! Shares on the home network over SMB (issue 15, item 6), with the real
//! daemon, Berth's own real smbd and the real smbclient on 127.0.0.1 at a
//! free high port: the login is the Berth admin with SMB's own password, a
//! `write` share takes files that land owned by the apps' PUID:PGID, a
//! `read` share refuses them, a share not offered is not listed, a wrong
//! password is refused, a killed smbd is started again, and turning SMB off
//! (or stopping the daemon) closes the port. Needs root and Debian's `samba`
//! and `smbclient`.

mod common;
use common::*;

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "sesame-for-smb";

fn require_samba() {
    let missing: Vec<&str> = [("smbd", "samba"), ("smbclient", "smbclient")]
        .into_iter()
        .filter(|(program, _)| {
            !["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
                .iter()
                .any(|dir| Path::new(dir).join(program).is_file())
        })
        .map(|(_, package)| package)
        .collect();
    assert!(
        missing.is_empty(),
        "the SMB test needs Samba: apt-get install {} (scripts/setup installs them)",
        missing.join(" ")
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// `smbclient` against Berth's smbd as `user%password`.
fn smbclient(port: u16, user: &str, args: &[&str]) -> Output {
    Command::new("smbclient")
        .args(["-p", &port.to_string(), "-U", user])
        .args(args)
        .output()
        .expect("smbclient runs")
}

fn login() -> String {
    format!("anna%{PASSWORD}")
}

fn berth_with_stdin(home: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Berth's Samba processes (smbd and the RPC helpers it starts) for this home.
fn samba_of(home: &Path) -> Vec<String> {
    let conf = home.join("smb/smb.conf");
    let conf = conf.to_string_lossy();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&*conf) && !c.contains("smbclient"))
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn shares_offered_over_smb_as_read_write_or_not_with_the_admins_login() {
    require_samba();
    let home = TempHome::new("share-smb");
    let daemon = start_daemon(&home);
    let port = free_port();

    // Three folders of the server; the one taking files belongs to the apps.
    let base: PathBuf = std::env::temp_dir().join(format!("berth-smb-{}", std::process::id()));
    std::fs::remove_dir_all(&base).ok();
    for name in ["Drop", "Films", "Private"] {
        std::fs::create_dir_all(base.join(name)).unwrap();
        berth_ok(
            &home,
            &["shares", "add", name, base.join(name).to_str().unwrap()],
        );
    }
    std::os::unix::fs::chown(base.join("Drop"), Some(1000), Some(1000)).unwrap();
    std::fs::write(base.join("Films/film.txt"), "a family film").unwrap();
    std::fs::write(base.join("Private/secret.txt"), "not for the network").unwrap();

    // No Berth account yet: SMB has no login to offer.
    let early = berth_with_stdin(
        &home,
        &[
            "shares",
            "smb",
            "enable",
            "--port",
            &port.to_string(),
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(!early.status.success());
    assert!(
        text(&early).contains("no Berth account"),
        "{}",
        text(&early)
    );
    WebSession::setup(&home, &http_base(&home), "anna", "the-berth-login-pw");

    // A password too short is refused; then SMB turns on.
    let short = berth_with_stdin(
        &home,
        &[
            "shares",
            "smb",
            "enable",
            "--port",
            &port.to_string(),
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(text(&short).contains("at least 8"), "{}", text(&short));
    let on = berth_with_stdin(
        &home,
        &[
            "shares",
            "smb",
            "enable",
            "--port",
            &port.to_string(),
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(on.status.success(), "{}", text(&on));
    assert!(listening(port), "smbd does not listen on {port}");
    let status = json(&berth_ok(&home, &["shares", "smb", "status", "--json"]));
    assert_eq!(status["enabled"], true, "{status}");
    assert_eq!(status["running"], true, "{status}");
    assert_eq!(status["login"], "anna", "{status}");
    assert_eq!(status["passwordSet"], true, "{status}");
    // The password is Samba's hash only: it is written nowhere in the home.
    let found = Command::new("grep")
        .args(["-r", "-l", "-a", PASSWORD])
        .arg(home.path())
        .output()
        .unwrap();
    assert!(
        found.stdout.is_empty(),
        "the password is stored in plain text: {}",
        text(&found)
    );

    berth_ok(&home, &["shares", "smb", "Drop", "write"]);
    berth_ok(&home, &["shares", "smb", "Films", "read"]);
    berth_ok(&home, &["shares", "smb", "Private", "none"]);
    let listed = json(&berth_ok(&home, &["shares", "list", "--json"]));
    let smb_of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()["smb"]
            .clone()
    };
    assert_eq!(smb_of("Drop"), "write");
    assert_eq!(smb_of("Films"), "read");
    assert_eq!(smb_of("Private"), "none");

    // A `write` share: the file lands there, owned by the apps' ids.
    let local = base.join("upload.txt");
    std::fs::write(&local, "from a laptop").unwrap();
    let put = smbclient(
        port,
        &login(),
        &[
            "//127.0.0.1/Drop",
            "-c",
            &format!("put {} upload.txt", local.display()),
        ],
    );
    assert!(put.status.success(), "put to Drop: {}", text(&put));
    let landed = base.join("Drop/upload.txt");
    assert_eq!(std::fs::read_to_string(&landed).unwrap(), "from a laptop");
    let meta = std::fs::metadata(&landed).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (1000, 1000), "not the apps' file");

    // A `read` share: put is refused, get works.
    let refused = smbclient(
        port,
        &login(),
        &[
            "//127.0.0.1/Films",
            "-c",
            &format!("put {} upload.txt", local.display()),
        ],
    );
    let said = text(&refused);
    assert!(
        said.contains("NT_STATUS_ACCESS_DENIED")
            || said.contains("NT_STATUS_MEDIA_WRITE_PROTECTED"),
        "put to a read share: {said}"
    );
    assert!(!base.join("Films/upload.txt").exists());
    let got = base.join("got.txt");
    let get = smbclient(
        port,
        &login(),
        &[
            "//127.0.0.1/Films",
            "-c",
            &format!("get film.txt {}", got.display()),
        ],
    );
    assert!(get.status.success(), "get from Films: {}", text(&get));
    assert_eq!(std::fs::read_to_string(&got).unwrap(), "a family film");

    // A share not offered is not listed (nor reachable).
    let list = smbclient(port, &login(), &["-L", "//127.0.0.1"]);
    let shown = text(&list);
    assert!(shown.contains("Drop") && shown.contains("Films"), "{shown}");
    assert!(!shown.contains("Private"), "{shown}");
    let private = smbclient(port, &login(), &["//127.0.0.1/Private", "-c", "ls"]);
    assert!(!private.status.success(), "{}", text(&private));
    // Taken off the network while smbd runs: gone for the next client.
    berth_ok(&home, &["shares", "smb", "Films", "none"]);
    let list = smbclient(port, &login(), &["-L", "//127.0.0.1"]);
    assert!(!text(&list).contains("Films"), "{}", text(&list));

    // A wrong password, and guests, are refused.
    let wrong = smbclient(
        port,
        "anna%not-the-password",
        &["//127.0.0.1/Drop", "-c", "ls"],
    );
    assert!(
        text(&wrong).contains("NT_STATUS_LOGON_FAILURE"),
        "{}",
        text(&wrong)
    );
    let guest = smbclient(port, "", &["-N", "//127.0.0.1/Drop", "-c", "ls"]);
    assert!(!guest.status.success(), "a guest got in: {}", text(&guest));

    // smbd killed behind Berth's back: the daemon starts it again.
    let pid_file = home.join("smb/run/smbd.pid");
    let first = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_string();
    assert!(Command::new("kill")
        .args(["-KILL", &first])
        .status()
        .unwrap()
        .success());
    wait_until("smbd started again after it was killed", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|p| p.trim() != first) && listening(port)
    });
    let back = smbclient(port, &login(), &["//127.0.0.1/Drop", "-c", "ls"]);
    assert!(back.status.success(), "after the restart: {}", text(&back));

    // Off: smbd and its helpers stop, the port closes.
    berth_ok(&home, &["shares", "smb", "disable"]);
    assert!(!listening(port), "port {port} still open after disable");
    wait_until("Samba processes left after disable", || {
        samba_of(&home).is_empty()
    });
    let status = json(&berth_ok(&home, &["shares", "smb", "status", "--json"]));
    assert_eq!(
        (status["enabled"].clone(), status["running"].clone()),
        (false.into(), false.into())
    );

    // On again without a new password (it is kept); stopping the daemon stops smbd.
    berth_ok(&home, &["shares", "smb", "enable"]);
    assert!(listening(port));
    drop(daemon);
    wait_until("smbd outlived the daemon", || {
        !listening(port) && samba_of(&home).is_empty()
    });

    std::fs::remove_dir_all(&base).ok();
}
