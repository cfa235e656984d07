//! Shares given to apps, through the daemon on the real engine (issue 15):
//! the test store's Shelf app asks for a library (read) and an inbox
//! (write). It sees exactly the folder chosen, read-only where it only
//! reads; two apps share one folder; a request given nothing keeps the
//! app's own folder; changing an app's shares re-creates its container; a
//! share an app is given cannot be forgotten. The storage guard: the
//! library lives on a loop-mounted filesystem; unmounted under the running
//! daemon, the apps are stopped and held ("waiting for Books (drive not
//! present)"), a start is refused, nothing is written to the empty mount
//! point, and they start by themselves when it is mounted again; the same
//! at the daemon's start.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is missing ({e}): install it (mount, e2fsprogs)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small ext4 filesystem in a file, mounted at `mnt` while it lives.
struct LoopDisk {
    image: PathBuf,
    mnt: PathBuf,
}

impl LoopDisk {
    fn new(dir: &Path) -> LoopDisk {
        let image = dir.join("drive.img");
        let mnt = dir.join("drive");
        std::fs::create_dir_all(&mnt).unwrap();
        run("truncate", &["-s", "16M", image.to_str().unwrap()]);
        run("mkfs.ext4", &["-q", "-F", image.to_str().unwrap()]);
        let disk = LoopDisk { image, mnt };
        disk.mount();
        std::fs::remove_dir(disk.mnt.join("lost+found")).unwrap();
        disk
    }

    fn mount(&self) {
        run(
            "mount",
            &[
                "-o",
                "loop",
                self.image.to_str().unwrap(),
                self.mnt.to_str().unwrap(),
            ],
        );
    }

    fn unmount(&self) {
        // Lazily: the apps' containers still hold the filesystem, as they
        // would a drive pulled out.
        run("umount", &["-l", self.mnt.to_str().unwrap()]);
    }

    fn mounted(&self) -> bool {
        Command::new("mountpoint")
            .args(["-q", self.mnt.to_str().unwrap()])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for LoopDisk {
    fn drop(&mut self) {
        while self.mounted() {
            let _ = Command::new("umount")
                .args(["-l", self.mnt.to_str().unwrap()])
                .status();
        }
    }
}

/// The container of `app`'s web service.
fn container(app: &str) -> String {
    let names = run(
        "docker",
        &[
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={app}"),
            "--format",
            "{{.Names}}",
        ],
    );
    names
        .lines()
        .next()
        .unwrap_or_else(|| panic!("{app} has no container"))
        .to_string()
}

fn running(app: &str) -> bool {
    let c = container(app);
    run("docker", &["inspect", "-f", "{{.State.Running}}", &c]).trim() == "true"
}

/// `sh -c SCRIPT` in `app`'s container: its output, or its error.
fn exec(app: &str, script: &str) -> Result<String, String> {
    let out = Command::new("docker")
        .args(["exec", &container(app), "sh", "-c", script])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn wait_for(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{what}: not after {secs} s"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn status(home: &Path, app: &str) -> serde_json::Value {
    json(&berth_ok(home, &["status", app, "--json"]))
}

#[test]
fn apps_see_the_shares_chosen_and_wait_while_a_drive_is_absent() {
    require_testbed();
    let home = TempHome::new("app-shares");
    let (a, b) = (
        format!("shelf{}", std::process::id()),
        format!("shelftwo{}", std::process::id()),
    );
    let _cleanup = (AppCleanup::new(&a), AppCleanup::new(&b));
    let guard_env = [("BERTH_GUARD_SECS", "1")];
    let daemon = start_daemon_with(&home, &guard_env);
    berth_ok(
        &home,
        &[
            "catalog",
            "add",
            test_store().to_str().unwrap(),
            "--name",
            "test",
        ],
    );
    let shown = text(&berth_ok(&home, &["catalog", "show", "shelf"]));
    assert!(
        shown.contains("library") && shown.contains("never changes them"),
        "the requests and why: {shown}"
    );

    // Books on a drive (the mount point itself is the share), Downloads
    // on the system disk.
    let drive_dir = std::path::absolute(
        home.join("..")
            .join(format!("berth-drive-{}", std::process::id())),
    )
    .unwrap();
    std::fs::create_dir_all(&drive_dir).unwrap();
    let disk = LoopDisk::new(&drive_dir);
    std::fs::write(disk.mnt.join("novel.txt"), "once upon a time").unwrap();
    berth_ok(
        &home,
        &["shares", "add", "Books", disk.mnt.to_str().unwrap()],
    );
    berth_ok(&home, &["shares", "add", "Downloads"]);
    let downloads = home.join("shares/Downloads");

    // A share that does not exist, or a request the app does not make.
    let unknown = berth(
        &home,
        &["install", "shelf", "--id", &a, "--share", "library=Films"],
    );
    assert!(
        text(&unknown).contains("no share named Films"),
        "{}",
        text(&unknown)
    );
    let bad = berth(
        &home,
        &["install", "shelf", "--id", &a, "--share", "attic=Books"],
    );
    assert!(
        text(&bad).contains("asks for no share named attic (it asks for: library, inbox)"),
        "{}",
        text(&bad)
    );

    berth_ok(
        &home,
        &[
            "install",
            "shelf",
            "--id",
            &a,
            "--share",
            "library=Books",
            "--share",
            "inbox=Downloads",
        ],
    );
    // Exactly the chosen folder; read-only where the app only reads.
    assert_eq!(exec(&a, "ls /library").unwrap().trim(), "novel.txt");
    let written = exec(&a, "echo hi > /library/scribble");
    assert!(
        written.as_ref().is_err_and(|e| e.contains("Read-only")),
        "the library must be read-only: {written:?}"
    );
    assert!(!disk.mnt.join("scribble").exists());
    exec(&a, "echo parcel > /inbox/parcel.txt").unwrap();
    assert_eq!(
        std::fs::read_to_string(downloads.join("parcel.txt")).unwrap(),
        "parcel\n"
    );
    let shares = status(&home, &a)["shares"].clone();
    assert_eq!(shares.as_array().unwrap().len(), 2, "{shares}");

    // A second app given the same library; its inbox is its own folder.
    berth_ok(
        &home,
        &["install", "shelf", "--id", &b, "--share", "library=Books"],
    );
    assert_eq!(exec(&b, "ls /library").unwrap().trim(), "novel.txt");
    exec(&b, "echo mine > /inbox/own.txt").unwrap();
    assert!(home.join(format!("apps/{b}/data/inbox/own.txt")).is_file());
    assert!(!downloads.join("own.txt").exists());

    // A share an app is given cannot be forgotten.
    let forget = berth(&home, &["shares", "remove", "Books"]);
    assert!(
        !forget.status.success() && text(&forget).contains(&format!("given to {a}, {b}")),
        "{}",
        text(&forget)
    );

    // Changing the second app's shares: its library is now Downloads.
    let before = container(&b);
    let id_before = run("docker", &["inspect", "-f", "{{.Id}}", &before]);
    berth_ok(&home, &["shares", "give", &b, "library=Downloads"]);
    let id_after = run("docker", &["inspect", "-f", "{{.Id}}", &container(&b)]);
    assert_ne!(id_before, id_after, "its container is re-created");
    assert_eq!(exec(&b, "ls /library").unwrap().trim(), "parcel.txt");
    let ops = text(&berth_ok(&home, &["ops"]));
    assert!(
        ops.lines()
            .any(|l| l.contains("shares") && l.contains(&b) && l.contains("done")),
        "{ops}"
    );
    // And back, for the guard below.
    berth_ok(&home, &["shares", "give", &b, "library=Books"]);

    // The drive goes away under the running daemon: both are stopped and held.
    disk.unmount();
    for app in [&a, &b] {
        wait_for(&format!("{app} stopped by the guard"), 30, || !running(app));
        wait_for(&format!("{app} held"), 10, || {
            status(&home, app)["held"]
                .as_str()
                .is_some_and(|h| h.contains("Books (drive not present)"))
        });
    }
    let start = berth(&home, &["start", &a]);
    assert!(
        !start.status.success() && text(&start).contains("waiting for Books (drive not present)"),
        "{}",
        text(&start)
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(!running(&a), "a refused start starts nothing");
    assert_eq!(
        std::fs::read_dir(&disk.mnt).unwrap().count(),
        0,
        "nothing is written to the empty mount point on the system disk"
    );

    // Back: both start by themselves and see the drive's files again.
    disk.mount();
    for app in [&a, &b] {
        wait_for(&format!("{app} started again"), 30, || running(app));
        assert_eq!(exec(app, "ls /library").unwrap().trim(), "novel.txt");
        assert!(status(&home, app)["held"].is_null());
    }

    // A stopped app is not started by the guard: the user stopped it.
    berth_ok(&home, &["stop", &b]);

    // At the daemon's start: the drive is away; the running app is stopped
    // and held, then started when the drive is back.
    drop(daemon);
    disk.unmount();
    let daemon = start_daemon_with(&home, &guard_env);
    wait_for("the guard at the daemon's start", 30, || !running(&a));
    assert!(status(&home, &a)["held"]
        .as_str()
        .is_some_and(|h| h.contains("Books")));
    disk.mount();
    wait_for("the app started with its drive back", 30, || running(&a));
    std::thread::sleep(Duration::from_secs(3));
    assert!(!running(&b), "the app the user stopped stays stopped");

    berth_ok(&home, &["uninstall", &a]);
    berth_ok(&home, &["uninstall", &b]);
    drop(daemon);
    drop(disk);
    std::fs::remove_dir_all(&drive_dir).ok();
}
