//! Updates through the daemon, end to end on the real engine and the local
//! registry: a store app whose image tag moves is reported with the changed
//! image; a newer store version is reported with its release notes; `berth
//! update` takes it (snapshot first); `berth rollback` returns to the exact
//! image the tag named before, even though the tag has moved since; image
//! cleanup keeps what a snapshot needs.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Points `target` in the local registry at `source`'s image.
fn push_as(source: &str, target: &str) {
    docker(&["pull", "-q", source]);
    docker(&["tag", source, target]);
    docker(&["push", "-q", target]);
}

fn copy_store(to: &Path) {
    let from = test_store();
    let out = Command::new("cp")
        .arg("-r")
        .arg(&from)
        .arg(to)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

fn edit(path: &PathBuf, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn ok(out: std::process::Output, what: &str) -> std::process::Output {
    assert!(out.status.success(), "{what}: {}", text(&out));
    out
}

fn container_image(app: &str) -> String {
    docker(&["inspect", "-f", "{{.Image}}", &format!("{app}-web-1")])
}

#[test]
fn a_moved_tag_and_a_new_store_version_are_found_updated_and_rolled_back() {
    require_testbed();
    let pid = std::process::id();
    let home = TempHome::new("upd-cli");
    let app = format!("greetupd{pid}");
    let _cleanup = AppCleanup::new(&app);
    let daemon = start_daemon_with(&home, &[("BERTH_UPDATE_CHECK_HOURS", "0")]);

    // A store whose app runs a tag this test moves.
    let tag = format!("127.0.0.1:5000/berth-test/upd{pid}:stable");
    let _forget = ForgetRepo(format!("127.0.0.1:5000/berth-test/upd{pid}"));
    push_as("127.0.0.1:5000/berth-test/box:1.0", &tag);
    let old_id = docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Id}}",
        "127.0.0.1:5000/berth-test/box:1.0",
    ]);
    let store = home.join("store");
    copy_store(&store);
    let app_yml = store.join("greeter/app.yml");
    edit(
        &store.join("greeter/compose.yml"),
        "127.0.0.1:5000/berth-test/box:1.1",
        &tag,
    );
    // Its own port, so the UI's end-to-end greeter may run beside it.
    edit(&store.join("greeter/compose.yml"), "18480:80", "18487:80");
    ok(
        berth(&home, &["catalog", "index", store.to_str().unwrap()]),
        "index",
    );
    ok(
        berth(
            &home,
            &[
                "catalog",
                "add",
                store.to_str().unwrap(),
                "--name",
                "updtest",
            ],
        ),
        "catalog add",
    );
    ok(
        berth(
            &home,
            &[
                "install",
                "greeter",
                "--store",
                "updtest",
                "--id",
                &app,
                "--set",
                "ADMIN_NAME=Ann",
            ],
        ),
        "install",
    );
    assert_eq!(container_image(&app), old_id);

    let updates = |what: &str| -> serde_json::Value {
        let out = ok(berth(&home, &["updates", "--refresh", "--json"]), what);
        let all = json(&out);
        all["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["app"] == app.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{what}: {app} missing from {all}"))
    };
    let none = updates("nothing yet");
    assert!(
        none["version"].is_null() && none["changedImages"] == serde_json::json!([]),
        "{none}"
    );
    assert!(none["error"].is_null(), "{none}");

    // The tag moves in the registry: found by a manifest request, no pull.
    push_as("127.0.0.1:5000/berth-test/box:1.1", &tag);
    docker(&["tag", &old_id, &tag]); // locally the tag still names the old image
    let moved = updates("tag moved");
    assert_eq!(moved["changedImages"], serde_json::json!([tag]), "{moved}");
    assert!(moved["downloadBytes"].is_number(), "{moved}");

    // A newer version in the store, with release notes.
    edit(&app_yml, "version: 1.1.0", "version: 1.2.0");
    edit(
        &app_yml,
        "release_notes: First release.",
        "release_notes: Greets faster.",
    );
    ok(
        berth(&home, &["catalog", "index", store.to_str().unwrap()]),
        "reindex",
    );
    ok(berth(&home, &["catalog", "refresh", "updtest"]), "refresh");
    let newer = updates("new version");
    assert_eq!(newer["version"], "1.2.0", "{newer}");
    assert_eq!(newer["releaseNotes"], "Greets faster.", "{newer}");
    let listed = text(&ok(berth(&home, &["updates"]), "updates"));
    assert!(
        listed.contains(&app) && listed.contains("1.2.0") && listed.contains("Greets faster."),
        "{listed}"
    );

    // Update: the new version runs the tag's new image, data and port kept.
    let site = home.join("apps").join(&app).join("data/site/keep");
    std::fs::write(&site, "kept").unwrap();
    let out = ok(berth(&home, &["update", &app]), "update");
    assert!(text(&out).contains("done"), "{}", text(&out));
    let new_id = docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Id}}",
        "127.0.0.1:5000/berth-test/box:1.1",
    ]);
    assert_eq!(container_image(&app), new_id, "runs the moved tag's image");
    let apps = json(&ok(berth(&home, &["apps", "--json"]), "apps"));
    let source = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == app.as_str())
        .unwrap()["source"]
        .clone();
    assert_eq!(source, format!("updtest/greeter@1.2.0"), "{apps}");
    assert_eq!(std::fs::read_to_string(&site).unwrap(), "kept");
    let after = updates("after the update");
    assert!(
        after["version"].is_null() && after["changedImages"] == serde_json::json!([]),
        "{after}"
    );

    // The snapshot taken before it, and a rollback to it: the exact old image
    // comes back under the tag, though the registry's tag has moved on.
    let snaps = json(&ok(
        berth(&home, &["snapshots", &app, "--json"]),
        "snapshots",
    ));
    assert_eq!(snaps.as_array().unwrap().len(), 1, "{snaps}");
    assert_eq!(snaps[0]["source"], "updtest/greeter@1.1.0", "{snaps}");
    let out = ok(berth(&home, &["rollback", &app]), "rollback");
    assert!(
        text(&out).contains("rollback") && text(&out).contains("done"),
        "{}",
        text(&out)
    );
    assert_eq!(container_image(&app), old_id, "the old image is back");
    let apps = json(&ok(berth(&home, &["apps", "--json"]), "apps"));
    let source = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == app.as_str())
        .unwrap()["source"]
        .clone();
    assert_eq!(source, "updtest/greeter@1.1.0", "{apps}");
    let ops = json(&ok(berth(&home, &["ops", "--json"]), "ops"));
    let kinds: Vec<&str> = ops
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..3], ["rollback", "update", "install"], "{ops}");

    // Cleanup keeps the image the newer snapshot needs (the 1.2.0 one).
    let dry = json(&ok(
        berth(&home, &["images", "prune", "--dry-run", "--json"]),
        "prune",
    ));
    let kept: Vec<&str> = dry["keptForRollback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    // (Unless another container on this machine runs it: then it is in use,
    // which keeps it just as well.)
    let in_use = !docker(&["ps", "-aq", "--filter", &format!("ancestor={new_id}")]).is_empty();
    assert!(kept.contains(&new_id.as_str()) || in_use, "{dry}");
    assert!(
        dry["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != new_id.as_str()),
        "{dry}"
    );

    // A version with a migration: a one-off service run on the data before
    // the new version starts, then removed.
    let compose_yml = store.join("greeter/compose.yml");
    let mut compose = std::fs::read_to_string(&compose_yml).unwrap();
    compose.push_str(
        "  migrate:\n    image: 127.0.0.1:5000/berth-test/box:1.1\n    profiles: [migration]\n    command: [\"sh\", \"-c\", \"echo migrated > /data/migrated\"]\n    volumes:\n      - ./data/site:/data\n",
    );
    std::fs::write(&compose_yml, compose).unwrap();
    edit(&app_yml, "version: 1.2.0", "version: 1.3.0");
    let mut meta = std::fs::read_to_string(&app_yml).unwrap();
    meta.push_str("migration: migrate\n");
    std::fs::write(&app_yml, meta).unwrap();
    let publish = || {
        ok(
            berth(&home, &["catalog", "index", store.to_str().unwrap()]),
            "reindex",
        );
        ok(berth(&home, &["catalog", "refresh", "updtest"]), "refresh");
    };
    publish();
    let out = ok(berth(&home, &["update", &app]), "update with a migration");
    assert!(text(&out).contains("migrate"), "{}", text(&out));
    let migrated = home.join("apps").join(&app).join("data/site/migrated");
    assert_eq!(
        std::fs::read_to_string(&migrated).unwrap().trim(),
        "migrated"
    );
    let one_off = format!("{app}-migrate-1");
    assert!(
        !docker_ok(&["inspect", &one_off]),
        "the migration's container is removed"
    );
    let source_of = || -> String {
        let apps = json(&ok(berth(&home, &["apps", "--json"]), "apps"));
        apps.as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == app.as_str())
            .unwrap()["source"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(source_of(), "updtest/greeter@1.3.0");

    // A migration that fails (after deleting data): rolled back, data back,
    // its output in the error.
    edit(
        &compose_yml,
        "echo migrated > /data/migrated",
        "rm -f /data/keep; echo bad schema >&2; exit 3",
    );
    edit(&app_yml, "version: 1.3.0", "version: 1.4.0");
    publish();
    let out = berth(&home, &["update", &app]);
    let said = text(&out);
    assert!(
        !out.status.success(),
        "a failed migration must fail: {said}"
    );
    assert!(
        said.contains("rolled back")
            && said.contains("migration migrate")
            && said.contains("exited with code 3")
            && said.contains("bad schema"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&site).unwrap(), "kept", "data back");
    assert_eq!(source_of(), "updtest/greeter@1.3.0");
    assert!(
        docker(&[
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("{app}-web-1")
        ]) == "true"
    );
    assert!(!docker_ok(&["inspect", &one_off]));

    ok(
        berth(&home, &["uninstall", &app, "--purge-data", "--yes"]),
        "uninstall",
    );
    drop(daemon);
}

/// Removes every local name of the test's repository (tags and the digests
/// pulls left), even if the test fails: a name left on box:1.1's image would
/// keep its layers, and the engine's lifecycle test needs a real pull.
struct ForgetRepo(String);
impl Drop for ForgetRepo {
    fn drop(&mut self) {
        let Ok(out) = Command::new("docker")
            .args([
                "images",
                "--digests",
                "--format",
                "{{.Repository}} {{.Tag}} {{.Digest}}",
            ])
            .output()
        else {
            return;
        };
        let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut parts = l.split(' ');
                let (repo, tag, digest) = (parts.next()?, parts.next()?, parts.next()?);
                (repo == self.0).then(|| {
                    if tag != "<none>" {
                        format!("{repo}:{tag}")
                    } else {
                        format!("{repo}@{digest}")
                    }
                })
            })
            .collect();
        for name in names {
            let _ = Command::new("docker").args(["rmi", &name]).output();
        }
        // A tag and its digest are two names of one image: a second pass
        // removes the digest names the tags hid.
        let _ = Command::new("docker")
            .args(["images", "-q", &self.0])
            .output()
            .map(|o| {
                for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let inspect = Command::new("docker")
                        .args(["image", "inspect", "-f", "{{join .RepoDigests \" \"}}", id])
                        .output();
                    if let Ok(i) = inspect {
                        for d in String::from_utf8_lossy(&i.stdout).split_whitespace() {
                            if d.starts_with(&format!("{}@", self.0)) {
                                let _ = Command::new("docker").args(["rmi", d]).output();
                            }
                        }
                    }
                }
            });
    }
}
