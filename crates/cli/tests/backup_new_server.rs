//! Restoring onto a new server, end to end on the real engine: an app with
//! a data folder and a named volume, running an image whose tag is this
//! test's own, is backed up on Berth home A to a folder target, then
//! uninstalled there with its data. Its tag is then moved to another image
//! and the local copies removed, so only a pull by the digest the backup
//! recorded brings the exact image back. Home B (a fresh Berth) adds the
//! same target with A's password, lists the backup of an app it does not
//! have, and restores it: the app runs, on the same image, with its files
//! byte-identical; its proxy name came back too. A restore on B killed
//! halfway is undone at restart: nothing of the app is left.

use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::*;

use berth_testkit::{BOX_10, BOX_20};

fn image_of(container: &str) -> String {
    run("docker", &["inspect", "-f", "{{.Image}}", container])
}

/// The test's images, removed when dropped: the tag and every image with
/// the test's label (the restore pulls by digest, which leaves an untagged
/// copy; left behind, it holds the test image's base layers, and the
/// engine's pull-progress test then sees nothing to download).
struct Images {
    tag: String,
    label: String,
}

impl Drop for Images {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.tag])
            .output();
        let labelled = Command::new("docker")
            .args(["images", "-q", "--filter", &format!("label={}", self.label)])
            .output();
        if let Ok(out) = labelled {
            let ids = String::from_utf8_lossy(&out.stdout);
            for id in ids.split_whitespace() {
                let _ = Command::new("docker").args(["rmi", "-f", id]).output();
            }
        }
    }
}

#[test]
fn an_app_backed_up_on_one_berth_is_restored_on_a_fresh_one_with_the_same_image_and_bytes() {
    require_testbed();
    let app = format!("bkn{}", std::process::id());
    // The app's own tag, on the test registry: it can be moved later.
    let image = format!("127.0.0.1:5000/berth-test/restore-{app}:1");
    let _images = Images {
        tag: image.clone(),
        label: format!("berth.test={app}"),
    };
    // Declared after the images, so dropped first: its containers go
    // before their image is removed.
    let _cleanup = AppCleanup::new(&app);
    // An image of its own (BOX_10 with a label), so that once removed here
    // only the registry has it.
    run("docker", &["pull", BOX_10]);
    let made = run("docker", &["create", BOX_10]);
    run(
        "docker",
        &[
            "commit",
            "--change",
            &format!("LABEL berth.test={app}"),
            &made,
            &image,
        ],
    );
    run("docker", &["rm", &made]);
    run("docker", &["push", &image]);

    let a = TempHome::new(&format!("backup-a-{app}"));
    let src = a.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let compose = src.join("compose.yml");
    std::fs::write(
        &compose,
        format!(
            "services:\n  web:\n    image: {image}\n    volumes: ['./data:/data', 'db:/db']\nvolumes:\n  db: {{}}\n"
        ),
    )
    .unwrap();
    let daemon_a = start_daemon(&a);
    berth_ok(
        &a,
        &[
            "install",
            compose.to_str().unwrap(),
            "--id",
            &app,
            "--name",
            &format!("n{app}"),
        ],
    );
    let container = format!("{app}-web-1");
    assert!(running(&container));
    let original_image = image_of(&container);
    let data_a = a.join("apps").join(&app).join("data");
    std::fs::create_dir_all(data_a.join("sub")).unwrap();
    run(
        "sh",
        &[
            "-c",
            &format!(
                "head -c 5000000 /dev/urandom > '{}'",
                data_a.join("sub/blob.bin").display()
            ),
        ],
    );
    sh_in(&container, "head -c 3000000 /dev/urandom > /db/vol.bin");
    let data_sum = sha256(&data_a.join("sub/blob.bin"));
    let vol_sum = sha256_in(&container, "/db/vol.bin");

    let repo = a.join("target");
    let added = json(&berth_ok(
        &a,
        &[
            "backup",
            "target",
            "add-folder",
            repo.to_str().unwrap(),
            "--json",
        ],
    ));
    let password = added["password"].as_str().unwrap().to_string();
    let report = json(&berth_ok(&a, &["backup", "run", &app, "--json"]));
    let backup = report["backup"]["shortId"].as_str().unwrap().to_string();
    berth_ok(&a, &["uninstall", &app, "--purge-data", "--yes"]);
    drop(daemon_a);

    // The tag moves on; no copy of the old image is left on this engine.
    run("docker", &["rmi", "-f", &image]);
    run("docker", &["pull", BOX_20]);
    run("docker", &["tag", BOX_20, &image]);
    run("docker", &["push", &image]);
    run("docker", &["rmi", "-f", &image]);
    let gone = Command::new("docker")
        .args(["image", "inspect", &original_image])
        .output()
        .unwrap();
    assert!(
        !gone.status.success(),
        "the old image is gone from this engine"
    );

    // A fresh Berth: the same target, with A's password.
    let b = TempHome::new(&format!("backup-b-{app}"));
    let _daemon_b = start_daemon(&b);
    let password_file = b.join("given-password");
    std::fs::write(&password_file, &password).unwrap();
    let opened = json(&berth_ok(
        &b,
        &[
            "backup",
            "target",
            "add-folder",
            repo.to_str().unwrap(),
            "--password-file",
            password_file.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(opened["created"], false, "{opened}");
    let list = json(&berth_ok(&b, &["backup", "list", "--json"]));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|b| b["app"] == app.as_str() && b["shortId"] == backup.as_str()),
        "B lists the backup of an app it does not have: {list}"
    );

    // A kill halfway (at the data step): nothing of the app is left.
    let mut cli = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(b.path())
        .args(["restore", &app, &backup])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut daemon_b = _daemon_b;
    let start = Instant::now();
    let op = loop {
        let ops = json(&berth_ok(&b, &["ops", "--json"]));
        let found = ops
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["app"] == app.as_str() && o["kind"] == "restore")
            .cloned();
        if let Some(op) = found {
            assert!(
                op["outcome"].is_null(),
                "it ended before its data step: {op}"
            );
            if op["steps"].as_array().unwrap().iter().any(|s| s == "data") {
                daemon_b.0.kill().unwrap();
                daemon_b.0.wait().unwrap();
                break op["id"].as_i64().unwrap();
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no data step");
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = cli.wait();
    let _ = std::fs::remove_file(b.join("berth.sock"));
    let daemon_b = start_daemon(&b);
    let start = Instant::now();
    let settled = loop {
        let ops = json(&berth_ok(&b, &["ops", "--json"]));
        if let Some(op) = ops
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"].as_i64() == Some(op) && !o["outcome"].is_null())
        {
            break op.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(120), "not settled");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(settled["outcome"], "rolled_back", "{settled}");
    let apps = text(&berth_ok(&b, &["apps"]));
    assert!(!apps.contains(&app), "no half app: {apps}");
    assert!(!b.join("apps").join(&app).exists(), "no app folder left");
    let volumes = run(
        "docker",
        &[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={app}"),
        ],
    );
    assert!(volumes.is_empty(), "no volume left: {volumes}");
    let containers = run(
        "docker",
        &["ps", "-aq", "--filter", &format!("name={app}-")],
    );
    assert!(containers.is_empty(), "no container left: {containers}");

    // Restored for real.
    let said = text(&berth_ok(&b, &["restore", &app, &backup]));
    assert!(said.contains("done"), "{said}");
    assert!(running(&container), "the app runs on B");
    assert_eq!(
        image_of(&container),
        original_image,
        "the same image, pulled by digest"
    );
    let data_b = b.join("apps").join(&app).join("data");
    assert_eq!(sha256(&data_b.join("sub/blob.bin")), data_sum);
    assert_eq!(sha256_in(&container, "/db/vol.bin"), vol_sum);
    let shown = json(&berth_ok(&b, &["apps", "--json"]));
    let record = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == app.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{app} is installed on B: {shown}"));
    assert_eq!(
        record["name"],
        format!("n{app}"),
        "its proxy name came back: {record}"
    );
    drop(daemon_b);
}
