//! Ownership of a share's files (issue 15, item 4), through the real
//! daemon on real folders: what the apps' PUID:PGID (1000:1000) cannot
//! read or write is reported, nothing is changed until the user asks, and
//! the fix gives the whole tree to the apps without following a link out
//! of it. Needs root (it makes root-owned files and changes owners).

mod common;
use common::*;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const APPS: (u32, u32) = (1000, 1000);

fn owner(path: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(path).unwrap();
    (m.uid(), m.gid())
}

fn chown(path: &Path, ids: (u32, u32)) {
    std::os::unix::fs::lchown(path, Some(ids.0), Some(ids.1)).unwrap();
}

fn mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every entry under `root` (itself included), links not followed.
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut all = vec![root.to_path_buf()];
    let mut i = 0;
    while i < all.len() {
        let p = all[i].clone();
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                all.push(e.unwrap().path());
            }
        }
        i += 1;
    }
    all
}

fn access(home: &Path, name: &str) -> serde_json::Value {
    json(&berth_ok(home, &["shares", "check", name, "--json"]))["access"].clone()
}

#[test]
fn what_the_apps_cannot_use_is_reported_and_fixed_only_when_asked_never_through_a_link() {
    assert_eq!(
        std::fs::metadata("/proc/self").unwrap().uid(),
        0,
        "this test makes root-owned files and changes owners: run it as root"
    );
    let home = TempHome::new("share-ownership");
    let _daemon = start_daemon(&home);
    let base = std::env::temp_dir().join(format!("berth-owned-{}", std::process::id()));
    std::fs::remove_dir_all(&base).ok();

    // A folder copied as root and locked: the apps cannot even list it.
    let locked = base.join("locked");
    std::fs::create_dir_all(locked.join("inner")).unwrap();
    std::fs::write(locked.join("inner/film.mkv"), "film").unwrap();
    mode(&locked, 0o700);
    berth_ok(
        &home,
        &["shares", "add", "Locked", locked.to_str().unwrap()],
    );
    let a = access(&home, "Locked");
    assert_eq!(a["readable"], false, "{a}");
    assert_eq!(a["writable"], false, "{a}");
    assert_eq!(
        (a["owner"].as_u64(), a["group"].as_u64()),
        (Some(0), Some(0)),
        "{a}"
    );
    assert_eq!(
        (a["uid"].as_u64(), a["gid"].as_u64()),
        (Some(1000), Some(1000)),
        "{a}"
    );
    let check = berth(&home, &["shares", "check", "Locked"]);
    assert!(
        !check.status.success(),
        "a share the apps cannot read checks as a problem"
    );
    assert!(text(&check).contains("cannot read it"), "{}", text(&check));

    // The apps' folder with one root-owned file in it: that file is counted.
    let mixed = base.join("mixed");
    std::fs::create_dir_all(mixed.join("sub")).unwrap();
    std::fs::write(mixed.join("theirs.txt"), "ok").unwrap();
    std::fs::write(mixed.join("sub/theirs.txt"), "ok").unwrap();
    for p in [
        &mixed,
        &mixed.join("sub"),
        &mixed.join("theirs.txt"),
        &mixed.join("sub/theirs.txt"),
    ] {
        chown(p, APPS);
    }
    std::fs::write(mixed.join("sub/roots.txt"), "root's").unwrap();
    mode(&mixed.join("sub/roots.txt"), 0o644);
    // Links out of the share: to a folder of ours outside it, and to /etc.
    let outside = base.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep.txt"), "not the share's").unwrap();
    std::os::unix::fs::symlink(&outside, mixed.join("to-outside")).unwrap();
    std::os::unix::fs::symlink("/etc", mixed.join("sub/to-etc")).unwrap();
    let etc_before = owner(Path::new("/etc"));
    berth_ok(&home, &["shares", "add", "Mixed", mixed.to_str().unwrap()]);
    let a = access(&home, "Mixed");
    assert_eq!(a["readable"], true, "{a}");
    assert_eq!(a["writable"], true, "{a}");
    assert_eq!(a["problems"], 1, "only roots.txt: {a}");
    assert_eq!(
        a["sampled"], 5,
        "the folder, sub and three files, links left out: {a}"
    );
    assert_eq!(a["complete"], true, "{a}");

    // Without --yes and no terminal to ask on, nothing changes.
    let unasked = berth(&home, &["shares", "fix-ownership", "Mixed"]);
    assert!(!unasked.status.success());
    assert!(text(&unasked).contains("--yes"), "{}", text(&unasked));
    assert_eq!(owner(&mixed.join("sub/roots.txt")), (0, 0));

    // Asked: every entry of the share is the apps', the links themselves
    // included; what they point to is not touched.
    let fixed = berth_ok(&home, &["shares", "fix-ownership", "Mixed", "--yes"]);
    assert!(text(&fixed).contains("changed"), "{}", text(&fixed));
    for entry in tree(&mixed) {
        assert_eq!(owner(&entry), APPS, "{} is not the apps'", entry.display());
    }
    assert_eq!(
        owner(&outside),
        (0, 0),
        "the link to a folder outside was followed"
    );
    assert_eq!(
        owner(&outside.join("keep.txt")),
        (0, 0),
        "a file outside the share changed"
    );
    assert_eq!(
        owner(Path::new("/etc")),
        etc_before,
        "the link to /etc was followed"
    );
    let a = access(&home, "Mixed");
    assert_eq!(a["problems"], 0, "{a}");

    berth_ok(&home, &["shares", "fix-ownership", "Locked", "--yes"]);
    for entry in tree(&locked) {
        assert_eq!(owner(&entry), APPS, "{} is not the apps'", entry.display());
    }
    let a = access(&home, "Locked");
    assert_eq!(
        (a["readable"].clone(), a["writable"].clone()),
        (true.into(), true.into()),
        "{a}"
    );

    // The change is journaled like any operation.
    let ops = json(&berth_ok(&home, &["ops", "--json"]));
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "ownership"
                && o["app"] == "share:Mixed"
                && o["outcome"] == "done"),
        "{ops}"
    );

    // A share whose drive is not there is refused, not created.
    let gone = base.join("gone");
    std::fs::create_dir_all(&gone).unwrap();
    berth_ok(&home, &["shares", "add", "Gone", gone.to_str().unwrap()]);
    std::fs::remove_dir(&gone).unwrap();
    let refused = berth(&home, &["shares", "fix-ownership", "Gone", "--yes"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("not there now"),
        "{}",
        text(&refused)
    );
    assert!(!gone.exists(), "the missing folder was made");
    let listed = json(&berth_ok(&home, &["shares", "list", "--json"]));
    let gone_entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Gone")
        .unwrap();
    assert_eq!(
        gone_entry["access"],
        serde_json::Value::Null,
        "{gone_entry}"
    );

    std::fs::remove_dir_all(&base).ok();
}
