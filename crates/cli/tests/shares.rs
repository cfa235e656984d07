//! Shares through the daemon (issue 15, first part): the usual set made
//! under the home, a folder of the server added, the folders an app must
//! never be given refused (system folders, Berth's own files, a link that
//! leads to one), and forgetting a share keeping its files.

mod common;
use common::*;

#[test]
fn shares_are_named_folders_checked_like_binds_and_forgetting_keeps_files() {
    let home = TempHome::new("shares");
    let _daemon = start_daemon(&home);

    let none = json(&berth_ok(&home, &["shares", "list", "--json"]));
    assert_eq!(none, serde_json::json!([]));

    // The usual set, each a folder under <home>/shares, made now.
    let made = berth_ok(&home, &["shares", "defaults"]);
    assert!(text(&made).contains("Movies"), "{}", text(&made));
    let defaults = json(&berth_ok(&home, &["shares", "list", "--json"]));
    let names: Vec<&str> = defaults
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for usual in [
        "Books",
        "Documents",
        "Downloads",
        "Movies",
        "Music",
        "Photos",
        "TV",
    ] {
        assert!(names.contains(&usual), "{usual} missing from {names:?}");
        assert!(
            home.join("shares").join(usual).is_dir(),
            "{usual} has no folder"
        );
    }
    // The folders Berth makes are the apps' (PUID:PGID) from the start.
    let movies = defaults
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Movies")
        .unwrap();
    assert_eq!(movies["access"]["owner"], 1000, "{movies}");
    assert_eq!(movies["access"]["writable"], true, "{movies}");
    // Asking again adds nothing twice.
    berth_ok(&home, &["shares", "defaults"]);
    let again = json(&berth_ok(&home, &["shares", "list", "--json"]));
    assert_eq!(again.as_array().unwrap().len(), 7, "{again}");

    // A folder of the server (a data disk), kept as given.
    let disk = home
        .join("..")
        .join(format!("berth-share-disk-{}", std::process::id()));
    let disk = std::path::absolute(&disk).unwrap();
    std::fs::create_dir_all(disk.join("Films")).unwrap();
    std::fs::write(disk.join("Films/keep.txt"), "family film").unwrap();
    let films = disk.join("Films");
    berth_ok(&home, &["shares", "add", "Films", films.to_str().unwrap()]);
    let listed = json(&berth_ok(&home, &["shares", "list", "--json"]));
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Films")
        .expect("Films is listed")
        .clone();
    assert_eq!(entry["present"], true, "{entry}");
    assert_eq!(entry["madeByBerth"], false, "{entry}");

    // Never the system, Berth's files, another app's folder, or a link to them.
    let link = disk.join("sneaky");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let apps_dir = home.join("apps");
    std::fs::create_dir_all(apps_dir.join("other/data")).unwrap();
    for (name, path, why) in [
        ("Root", "/".to_string(), "system folder"),
        ("Etc", "/etc".to_string(), "system folder"),
        (
            "Docker",
            "/var/lib/docker/volumes".to_string(),
            "system folder",
        ),
        (
            "Home",
            home.to_string_lossy().into_owned(),
            "Berth's own files",
        ),
        (
            "Other",
            apps_dir.join("other/data").to_string_lossy().into_owned(),
            "Berth's own files",
        ),
        (
            "Sneaky",
            link.to_string_lossy().into_owned(),
            "that is /etc",
        ),
        (
            "Missing",
            "/srv/no-such-drive-here".to_string(),
            "not a folder",
        ),
        ("Bad/Name", "/srv".to_string(), "not a valid share name"),
    ] {
        let refused = berth(&home, &["shares", "add", name, &path]);
        assert!(!refused.status.success(), "{name} {path} was taken");
        assert!(text(&refused).contains(why), "{name}: {}", text(&refused));
    }
    let refused_dup = berth(&home, &["shares", "add", "films", disk.to_str().unwrap()]);
    assert!(
        text(&refused_dup).contains("already a share named films"),
        "{}",
        text(&refused_dup)
    );

    // Forgetting a share keeps its folder and files.
    berth_ok(&home, &["shares", "remove", "Films"]);
    assert_eq!(
        std::fs::read_to_string(disk.join("Films/keep.txt")).unwrap(),
        "family film"
    );
    berth_ok(&home, &["shares", "remove", "Movies"]);
    assert!(
        home.join("shares/Movies").is_dir(),
        "a default share's folder was deleted"
    );
    let gone = berth(&home, &["shares", "remove", "Movies"]);
    assert!(
        text(&gone).contains("no share named Movies"),
        "{}",
        text(&gone)
    );
    std::fs::remove_dir_all(&disk).ok();
}
