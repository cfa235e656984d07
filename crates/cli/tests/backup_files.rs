//! Browsing a backup and putting single files back, end to end through the
//! CLI and one daemon on the real engine: an app with a data folder and a
//! named volume is backed up to a folder target; `berth backup files` lists
//! what the backup holds; `berth restore --file` puts one file, a folder
//! and a volume's file back while the app keeps running (never stopped),
//! keeping what they replace; `--to` puts any path of the backup into a new
//! folder. And the app, which writes its own folders, cannot use a symlink
//! to make the restore write outside them.

use std::path::Path;

mod common;
use common::*;

use berth_testkit::{write_compose, BOX_10};

fn started_at(container: &str) -> String {
    run(
        "docker",
        &["inspect", "-f", "{{.State.StartedAt}}", container],
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn single_files_are_browsed_and_put_back_while_the_app_runs_and_never_outside_it() {
    require_testbed();
    let app = format!("bkf{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("backup-files-{app}"));
    let compose = write_compose(
        &home.join("src"),
        "compose.yml",
        &format!(
            "services:\n  web:\n    image: {BOX_10}\n    volumes: ['./data:/data', 'db:/db']\nvolumes:\n  db: {{}}\n"
        ),
    );
    let _daemon = start_daemon(&home);
    berth_ok(&home, &["install", compose.to_str().unwrap(), "--id", &app]);
    let container = format!("{app}-web-1");
    let data = home.join("apps").join(&app).join("data");
    let notes = data.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("a.txt"), "one").unwrap();
    std::fs::write(notes.join("b.txt"), "bee").unwrap();
    sh_in(
        &container,
        "mkdir -p /db/conf && echo vol > /db/conf/x.ini && chown 1234:1234 /db/conf/x.ini",
    );
    let repo = home.join("target");
    berth_ok(
        &home,
        &["backup", "target", "add-folder", repo.to_str().unwrap()],
    );
    let report = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    let id = report["backup"]["shortId"].as_str().unwrap().to_string();
    let since = started_at(&container);

    // What the backup holds: its root, then a folder of it.
    let root = json(&berth_ok(&home, &["backup", "files", &app, &id, "--json"]));
    let names: Vec<&str> = root
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for wanted in ["data", "volumes", "compose.yml", "backup.json"] {
        assert!(names.contains(&wanted), "{wanted} not in {root}");
    }
    assert_eq!(root[0]["kind"], "dir", "folders first: {root}");
    let listed = json(&berth_ok(
        &home,
        &["backup", "files", &app, &id, "data/notes", "--json"],
    ));
    assert_eq!(listed[0]["path"], "data/notes/a.txt", "{listed}");
    assert_eq!(listed[0]["size"], 3, "{listed}");
    assert_eq!(listed[1]["name"], "b.txt", "{listed}");
    let shown = text(&berth_ok(&home, &["backup", "files", &app, &id, "data"]));
    assert!(shown.contains("data/notes/"), "{shown}");
    let volumes = json(&berth_ok(
        &home,
        &["backup", "files", &app, &id, "volumes", "--json"],
    ));
    let volume = volumes[0]["name"].as_str().unwrap().to_string();
    // Paths that name no one place, or nothing, are refused clearly.
    let climb = berth(&home, &["backup", "files", &app, &id, "data/../.."]);
    assert!(
        text(&climb).contains("without `.` or `..`"),
        "{}",
        text(&climb)
    );
    let absent = berth(&home, &["backup", "files", &app, &id, "data/nope"]);
    assert!(
        text(&absent).contains("holds no \"data/nope\""),
        "{}",
        text(&absent)
    );

    // The files change after the backup.
    std::fs::write(notes.join("a.txt"), "two").unwrap();
    std::fs::remove_file(notes.join("b.txt")).unwrap();
    sh_in(&container, "echo ruined > /db/conf/x.ini");

    // One file back: the other stays as it is, the replaced one is kept.
    let one = json(&berth_ok(
        &home,
        &["restore", &app, &id, "--file", "data/notes/a.txt", "--json"],
    ));
    assert_eq!(
        (one["files"].as_u64(), one["replaced"].as_u64()),
        (Some(1), Some(1)),
        "{one}"
    );
    assert_eq!(read(&notes.join("a.txt")), "one");
    assert!(!notes.join("b.txt").exists(), "only the file asked for");
    let kept = Path::new(one["keptIn"].as_str().expect("where the replaced are kept"));
    assert_eq!(
        read(&kept.join("notes/a.txt")),
        "two",
        "the replaced file is kept"
    );

    // A folder back, and a volume's file, its owner as backed up.
    let said = text(&berth_ok(
        &home,
        &["restore", &app, &id, "--file", "data/notes"],
    ));
    assert!(said.contains("Put back 2 file(s)"), "{said}");
    assert_eq!(read(&notes.join("b.txt")), "bee");
    berth_ok(
        &home,
        &[
            "restore",
            &app,
            &id,
            "--file",
            &format!("volumes/{volume}/conf/x.ini"),
        ],
    );
    assert_eq!(
        run("docker", &["exec", &container, "cat", "/db/conf/x.ini"]).trim(),
        "vol"
    );
    assert_eq!(
        run(
            "docker",
            &["exec", &container, "stat", "-c", "%u", "/db/conf/x.ini"]
        )
        .trim(),
        "1234"
    );
    assert!(running(&container));
    assert_eq!(started_at(&container), since, "the app was never stopped");

    // Any path into a new folder with --to; a folder with files in it is refused.
    let elsewhere = home.join("elsewhere");
    berth_ok(
        &home,
        &[
            "restore",
            &app,
            &id,
            "--file",
            "compose.yml",
            "--file",
            "data/notes",
            "--to",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert!(read(&elsewhere.join("compose.yml")).contains("services:"));
    assert_eq!(read(&elsewhere.join("notes/a.txt")), "one");
    let full = berth(
        &home,
        &[
            "restore",
            &app,
            &id,
            "--file",
            "data/notes",
            "--to",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert!(text(&full).contains("is not empty"), "{}", text(&full));
    // Without --to, only data/ and volumes/ have a place in the app.
    let nowhere = berth(&home, &["restore", &app, &id, "--file", "compose.yml"]);
    assert!(text(&nowhere).contains("--to FOLDER"), "{}", text(&nowhere));

    // The app plants symlinks out of its folder (here to a folder of the
    // test's; from a container, `ln -s /etc /data/notes` would point at the
    // host's /etc): a restore replaces the links and writes nothing outside.
    let outside = home.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("a.txt"), "host file").unwrap();
    std::os::unix::fs::symlink(outside.join("a.txt"), notes.join("a.txt.tmp")).unwrap();
    std::fs::rename(notes.join("a.txt.tmp"), notes.join("a.txt")).unwrap();
    berth_ok(&home, &["restore", &app, &id, "--file", "data/notes/a.txt"]);
    assert_eq!(
        read(&outside.join("a.txt")),
        "host file",
        "written through a link"
    );
    assert!(
        !notes.join("a.txt").is_symlink(),
        "the link is replaced by the file"
    );
    assert_eq!(read(&notes.join("a.txt")), "one");

    std::fs::remove_dir_all(&notes).unwrap();
    std::os::unix::fs::symlink(&outside, &notes).unwrap();
    let through = berth(&home, &["restore", &app, &id, "--file", "data/notes/b.txt"]);
    assert!(!through.status.success(), "{}", text(&through));
    assert!(
        text(&through).contains("not a folder"),
        "{}",
        text(&through)
    );
    berth_ok(&home, &["restore", &app, &id, "--file", "data/notes"]);
    assert!(
        !outside.join("b.txt").exists(),
        "written through a linked folder"
    );
    assert_eq!(read(&outside.join("a.txt")), "host file");
    assert!(
        notes.is_dir() && !notes.is_symlink(),
        "the link is replaced by the folder"
    );
    assert_eq!(read(&notes.join("b.txt")), "bee");

    // Operations are recorded, and nothing is left staged.
    let ops = text(&berth_ok(&home, &["ops"]));
    assert!(ops.contains("restore-files"), "{ops}");
    let staging = home.join("backup").join("restoring");
    let left: Vec<_> = std::fs::read_dir(&staging)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "staged files left: {left:?}");
}
