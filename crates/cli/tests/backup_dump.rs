//! Backups kept consistent by a database dump instead of stopping the app,
//! through the CLI and one daemon on the real engine, with a real database:
//! Debian's `sqlite3` (with its libraries) built onto the busybox test image.
//!
//! A store app whose `db` service holds a SQLite database in a named volume
//! and keeps inserting rows declares `backup.dump` (`sqlite3 … .dump`),
//! `backup.restore` and `exclude: [db-data]`. Its backup runs the dump in
//! the running container (the container is never restarted: its StartedAt
//! is unchanged, and rows kept arriving meanwhile), says `dump` with no
//! downtime, and Debian's `restic` finds the dump in the repository. The
//! database is then deleted and the app restored: the database passes
//! `PRAGMA integrity_check`, holds every row of the dump byte for byte, and
//! the app runs and is healthy. A second app whose dump command fails:
//! the backup fails with the command's error, the app still runs, nothing
//! reaches the target. A stopped app is backed up stopped, without a dump.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

use berth_testkit::BOX_10;

/// The test image: the busybox test image plus Debian's sqlite3 and the
/// libraries it loads, pushed to the local registry; removed when dropped.
struct SqliteImage(String);

impl SqliteImage {
    fn build(dir: &Path) -> SqliteImage {
        let sqlite = Path::new("/usr/bin/sqlite3");
        assert!(
            sqlite.is_file(),
            "this test runs a real database: apt install sqlite3 (scripts/setup installs it)"
        );
        let tag = format!("127.0.0.1:5000/berth-test/sqlite:{}", std::process::id());
        let root = dir.join("root");
        let mut files = vec![sqlite.to_path_buf()];
        for line in run("ldd", &["/usr/bin/sqlite3"]).lines() {
            // `libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next(),
                None => line.split_whitespace().next(),
            };
            if let Some(path) = path.filter(|p| p.starts_with('/')) {
                files.push(PathBuf::from(path));
            }
        }
        assert!(
            files
                .iter()
                .any(|f| f.to_string_lossy().contains("ld-linux")),
            "ldd named no dynamic loader: {files:?}"
        );
        for file in &files {
            let to = root.join(file.strip_prefix("/").unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            // The file itself, under the name the program asks for.
            std::fs::copy(file, &to).unwrap();
        }
        std::fs::write(
            dir.join("Dockerfile"),
            format!("FROM {BOX_10}\nCOPY root/ /\n"),
        )
        .unwrap();
        run(
            "docker",
            &["build", "-q", "-t", &tag, dir.to_str().unwrap()],
        );
        run("docker", &["push", "-q", &tag]);
        SqliteImage(tag)
    }
}

impl Drop for SqliteImage {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// The test store: `sqlitedb` (the database with its dump) and `baddump`
/// (a dump command that fails).
fn write_store(store: &Path, image: &str) {
    let app = store.join("sqlitedb");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("app.yml"),
        r#"id: sqlitedb
name: SQLite DB
version: 1.0.0
tagline: A database that never stops writing
main: { service: db, port: 80 }
backup:
  dump:
    service: db
    command: ["sqlite3", "-cmd", ".timeout 10000", "/data/app.db", ".dump"]
    file: app.sql
  restore:
    service: db
    command: ["sh", "-c", "rm -f /tmp/restore.db && sqlite3 -bail /tmp/restore.db && for i in 1 2 3 4 5 6 7 8 9 10; do sqlite3 -cmd '.timeout 10000' /data/app.db '.restore /tmp/restore.db' && rm -f /tmp/restore.db && exit 0; sleep 0.5; done; exit 1"]
  exclude: [db-data]
shares:
  - name: files
    share: Documents
    target: /files
    access: write
    why: The test keeps a letter there.
"#,
    )
    .unwrap();
    std::fs::write(
        app.join("compose.yml"),
        format!(
            r#"services:
  db:
    image: {image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sqlite3 -cmd '.timeout 10000' /data/app.db 'CREATE TABLE IF NOT EXISTS rows(id INTEGER PRIMARY KEY, v TEXT NOT NULL)'; (while true; do sqlite3 -cmd '.timeout 10000' /data/app.db 'INSERT INTO rows(v) VALUES (hex(randomblob(32)))'; sleep 0.02; done) & wait"]
    volumes:
      - db-data:/data
      - ./data/files:/files
volumes:
  db-data: {{}}
"#
        ),
    )
    .unwrap();
    let bad = store.join("baddump");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("app.yml"),
        r#"id: baddump
name: Bad dump
version: 1.0.0
tagline: Its dump always fails
main: { service: web, port: 80 }
backup:
  dump:
    service: web
    command: ["sh", "-c", "if [ -e /tmp/slow ]; then echo '-- a dump cut short'; sleep 60; fi; echo 'pg_dump: error: connection to server refused' >&2; exit 3"]
    file: db.sql
"#,
    )
    .unwrap();
    std::fs::write(
        bad.join("compose.yml"),
        format!(
            "services:\n  web:\n    image: {BOX_10}\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]\n"
        ),
    )
    .unwrap();
}

fn started_at(container: &str) -> String {
    run(
        "docker",
        &["inspect", "-f", "{{.State.StartedAt}}", container],
    )
}

/// `sqlite3 /data/app.db SQL` in the app's container.
fn sql(container: &str, query: &str) -> String {
    run(
        "docker",
        &[
            "exec",
            container,
            "sqlite3",
            "-cmd",
            ".timeout 10000",
            "/data/app.db",
            query,
        ],
    )
}

#[test]
fn a_database_is_backed_up_by_its_dump_without_downtime_and_restored_whole() {
    require_testbed();
    let pid = std::process::id();
    let (app, bad) = (format!("sq{pid}"), format!("bd{pid}"));
    let _cleanup = (AppCleanup::new(&app), AppCleanup::new(&bad));
    let home = TempHome::new(&format!("backup-dump-{app}"));
    let build = home.join("image");
    std::fs::create_dir_all(&build).unwrap();
    let image = SqliteImage::build(&build);
    let store = home.join("store");
    write_store(&store, &image.0);
    let mut daemon = start_daemon(&home);
    let store_arg = store.to_str().unwrap();
    berth_ok(&home, &["catalog", "index", store_arg, "--name", "dumps"]);
    berth_ok(&home, &["catalog", "add", store_arg, "--name", "dumps"]);
    berth_ok(&home, &["shares", "add", "Documents"]);
    let letter = home.join("shares/Documents/letter.txt");
    std::fs::write(&letter, "dear reader").unwrap();
    berth_ok(
        &home,
        &[
            "install",
            "sqlitedb",
            "--store",
            "dumps",
            "--id",
            &app,
            "--share",
            "files=Documents",
        ],
    );
    berth_ok(
        &home,
        &["install", "baddump", "--store", "dumps", "--id", &bad],
    );
    let (db, web) = (format!("{app}-db-1"), format!("{bad}-web-1"));
    assert!(running(&db) && running(&web), "both apps run");

    let repo = home.join("target");
    berth_ok(
        &home,
        &["backup", "target", "add-folder", repo.to_str().unwrap()],
    );
    let password_file = home.join("backup").join("password");

    // A failing dump: the backup fails with the command's error, the app
    // was never stopped, nothing reached the target, no half dump is kept.
    let web_started = started_at(&web);
    let failed = berth(&home, &["backup", "run", &bad]);
    assert!(!failed.status.success(), "{}", text(&failed));
    let said = text(&failed);
    assert!(
        said.contains("connection to server refused") && said.contains("exited with code 3"),
        "the dump's own error: {said}"
    );
    assert!(said.contains("kept running"), "{said}");
    assert!(running(&web), "the app still runs");
    assert_eq!(started_at(&web), web_started, "never restarted");
    let none = json(&berth_ok(&home, &["backup", "list", &bad, "--json"]));
    assert_eq!(none.as_array().unwrap().len(), 0, "no backup: {none}");
    let dumps = home.join("backup").join("copies").join(&bad).join("dumps");
    let left: Vec<_> = std::fs::read_dir(&dumps)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no dump kept: {left:?}");

    // Killed (kill -9) while the dump runs: once Berth is back the backup
    // is interrupted, the app still runs, untouched, and no half dump is kept.
    run("docker", &["exec", &web, "touch", "/tmp/slow"]);
    let mut follower = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("--home")
        .arg(&*home)
        .args(["backup", "run", &bad])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let partial = dumps.join(".db.sql.partial");
    let start = std::time::Instant::now();
    while std::fs::metadata(&partial).map_or(true, |m| m.len() == 0) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the dump never began writing {}",
            partial.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    daemon.0.kill().unwrap(); // SIGKILL
    daemon.0.wait().unwrap();
    std::mem::forget(daemon); // reaped: nothing left to stop
    let _ = follower.wait();
    let _ = std::fs::remove_file(home.join("berth.sock"));
    let _daemon = start_daemon(&home);
    let start = std::time::Instant::now();
    let settled = loop {
        let ops = json(&berth_ok(&home, &["ops", "--json"]));
        let found = ops.as_array().unwrap().iter().find(|o| {
            o["app"] == bad.as_str()
                && o["kind"] == "backup"
                && o["steps"].to_string().contains("dump")
        });
        if let Some(op) = found.filter(|o| !o["outcome"].is_null()) {
            break op.clone();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the backup was not settled: {ops}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(settled["outcome"], "interrupted", "{settled}");
    assert!(!partial.exists(), "the half dump is gone");
    assert!(running(&web), "the app still runs after the crash");
    assert_eq!(started_at(&web), web_started, "never restarted");
    let none = json(&berth_ok(&home, &["backup", "list", &bad, "--json"]));
    assert_eq!(none.as_array().unwrap().len(), 0, "no backup: {none}");

    // A database of 20000 rows, still growing while it is backed up.
    sql(
        &db,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO rows(v) SELECT hex(randomblob(32)) FROM c",
    );
    let db_started = started_at(&db);
    let before: u64 = sql(&db, "SELECT count(*) FROM rows").parse().unwrap();
    assert!(before >= 20000, "{before}");

    let report = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    assert_eq!(report["consistency"], "dump", "{report}");
    assert_eq!(report["dump"], "sqlite3", "{report}");
    assert_eq!(report["downtimeMs"], 0, "{report}");
    assert_eq!(
        started_at(&db),
        db_started,
        "the database was never stopped"
    );
    assert!(running(&db));
    let after: u64 = sql(&db, "SELECT count(*) FROM rows").parse().unwrap();
    assert!(
        after > before,
        "rows kept arriving during the backup: {before} → {after}"
    );
    let id = report["backup"]["shortId"].as_str().unwrap().to_string();
    // The sentence people read.
    let again = text(&berth_ok(&home, &["backup", "run", &app]));
    assert!(
        again.contains("kept consistent by a database dump (sqlite3), no downtime"),
        "{again}"
    );

    // The dump, read from the repository without Berth.
    let out = home.join("restic-out");
    restic_run(
        &repo,
        &password_file,
        &["restore", &id, "--target", out.to_str().unwrap()],
    );
    let root = out.join("berth").join(&app);
    let dump = root.join("dumps").join("app.sql");
    assert!(dump.is_file(), "the backup holds dumps/app.sql");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("backup.json")).unwrap()).unwrap();
    assert_eq!(manifest["consistency"], "dump", "{manifest}");
    assert_eq!(manifest["dump"]["file"], "app.sql", "{manifest}");
    // Shares are not backed up unless the user opts in.
    assert!(!root.join("shares").exists(), "no shares by default");
    assert!(manifest.get("shares").is_none(), "{manifest}");
    // The excluded volume is an empty folder in the backup: the dump covers it.
    let volume = root.join("volumes").join(format!("{app}_db-data"));
    assert!(volume.is_dir(), "{}", volume.display());
    assert_eq!(std::fs::read_dir(&volume).unwrap().count(), 0);
    // What the dump holds, loaded into a database of the test's own.
    let expected_db = home.join("expected.db");
    let load = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "sqlite3 -bail '{}' < '{}'",
            expected_db.display(),
            dump.display()
        ))
        .output()
        .unwrap();
    assert!(load.status.success(), "the dump loads: {}", text(&load));
    let expected_db = expected_db.to_str().unwrap();
    let last: u64 = run("sqlite3", &[expected_db, "SELECT max(id) FROM rows"])
        .parse()
        .unwrap();
    assert!(
        last >= before,
        "the dump has every row from before: {last} < {before}"
    );
    let rows_query =
        |upto: u64| format!("SELECT id || ',' || v FROM rows WHERE id <= {upto} ORDER BY id");
    let expected = run("sqlite3", &[expected_db, &rows_query(last)]);
    assert_eq!(expected.lines().count() as u64, last);

    // Destroy the data: the database deleted while the app is stopped.
    berth_ok(&home, &["stop", &app]);
    run(
        "docker",
        &[
            "run",
            "--rm",
            "-v",
            &format!("{app}_db-data:/data"),
            BOX_10,
            "rm",
            "-f",
            "/data/app.db",
        ],
    );

    // Restore: the app runs on a database rebuilt from the dump.
    let restored = text(&berth_ok(&home, &["restore", &app, &id]));
    assert!(restored.contains("done"), "{restored}");
    assert!(running(&db), "the app runs after the restore");
    assert_eq!(sql(&db, "PRAGMA integrity_check"), "ok");
    let got = sql(&db, &rows_query(last));
    assert!(
        got == expected,
        "the restored rows differ from the dump's ({} vs {} lines)",
        got.lines().count(),
        expected.lines().count()
    );
    let ops = json(&berth_ok(&home, &["ops", "--json"]));
    let rollback = ops
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["app"] == app.as_str() && o["kind"] == "rollback")
        .unwrap_or_else(|| panic!("the restore's operation: {ops}"));
    assert_eq!(rollback["outcome"], "done", "{rollback}");
    let steps = rollback["steps"].to_string();
    assert!(
        steps.contains("health") && steps.contains("dump"),
        "{rollback}"
    );
    let status = json(&berth_ok(&home, &["status", &app, "--json"]));
    assert!(status.to_string().contains("running"), "healthy: {status}");
    // And it keeps writing, after the restored rows.
    let grown: u64 = sql(&db, "SELECT max(id) FROM rows").parse().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let later: u64 = sql(&db, "SELECT max(id) FROM rows").parse().unwrap();
    assert!(later > grown && grown >= last, "{last} {grown} {later}");

    // Its shares' files, once the user opts in for it: in the backup under
    // shares/<name>/, and put back only by a restore that asks for them.
    let refused = berth(
        &home,
        &["backup", "schedule", "set", "--include-shares", "on"],
    );
    assert!(!refused.status.success(), "per app only");
    berth_ok(
        &home,
        &[
            "backup",
            "schedule",
            "set",
            "--app",
            &app,
            "--include-shares",
            "on",
        ],
    );
    let listed = text(&berth_ok(&home, &["backup", "schedule"]));
    assert!(
        listed.contains(&format!(
            "The files of their shares are in the backups of: {app}."
        )),
        "{listed}"
    );
    let with = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    assert_eq!(with["consistency"], "dump", "{with}");
    let with_id = with["backup"]["shortId"].as_str().unwrap().to_string();
    let out2 = home.join("restic-out-shares");
    restic_run(
        &repo,
        &password_file,
        &["restore", &with_id, "--target", out2.to_str().unwrap()],
    );
    let root2 = out2.join("berth").join(&app);
    assert_eq!(
        std::fs::read_to_string(root2.join("shares/Documents/letter.txt")).unwrap(),
        "dear reader"
    );
    let manifest2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root2.join("backup.json")).unwrap()).unwrap();
    assert_eq!(
        manifest2["shares"],
        serde_json::json!(["Documents"]),
        "{manifest2}"
    );
    std::fs::write(&letter, "ruined").unwrap();
    let extra = home.join("shares/Documents/new.txt");
    std::fs::write(&extra, "written since").unwrap();
    berth_ok(&home, &["restore", &app, &with_id]);
    assert_eq!(
        std::fs::read_to_string(&letter).unwrap(),
        "ruined",
        "shares are not restored unless asked"
    );
    berth_ok(&home, &["restore", &app, &with_id, "--shares"]);
    assert_eq!(std::fs::read_to_string(&letter).unwrap(), "dear reader");
    assert!(extra.exists(), "files added since stay");
    assert!(running(&db), "the app runs after the restore");
    // A backup without shares cannot restore them: a clear refusal.
    let none = berth(&home, &["restore", &app, &id, "--shares"]);
    assert!(!none.status.success());
    assert!(
        text(&none).contains("holds no shares' files"),
        "{}",
        text(&none)
    );

    // Onto a server without the app (uninstalled, its data purged): the
    // restore installs it and feeds it the dump as well.
    berth_ok(&home, &["uninstall", &app, "--purge-data", "--yes"]);
    assert!(!running(&db));
    let reinstalled = text(&berth_ok(&home, &["restore", &app, &id]));
    assert!(reinstalled.contains("done"), "{reinstalled}");
    assert!(running(&db), "the app runs after the restore");
    assert_eq!(sql(&db, "PRAGMA integrity_check"), "ok");
    assert!(
        sql(&db, &rows_query(last)) == expected,
        "the rows restored onto the new install differ from the dump's"
    );
    let ops = json(&berth_ok(&home, &["ops", "--json"]));
    let restore = ops
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["app"] == app.as_str() && o["kind"] == "restore")
        .unwrap_or_else(|| panic!("the restore's operation: {ops}"));
    assert!(restore["steps"].to_string().contains("dump"), "{restore}");

    // Stopped, it is backed up as before: no dump (it needs the service up).
    berth_ok(&home, &["stop", &app]);
    let stopped = json(&berth_ok(&home, &["backup", "run", &app, "--json"]));
    assert_eq!(stopped["consistency"], "not running", "{stopped}");
    assert!(stopped["dump"].is_null(), "{stopped}");
    let copy = home.join("backup").join("copies").join(&app);
    assert!(!copy.join("dumps").exists(), "no stale dump kept");
    restic_run(&repo, &password_file, &["check"]);
}
