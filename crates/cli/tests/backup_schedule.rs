//! The backup schedule, retention and status end to end, through the CLI
//! and one daemon on the real engine with a folder target: an app given a
//! time one minute ahead is backed up by the daemon at that time (nobody
//! asks) and `berth backup status` shows the success; manual backups with
//! `--keep-daily 1` (no weekly, no monthly) leave one backup per day
//! while Debian's `restic check` passes; with the repository gone the next scheduled run fails and the
//! status shows that failure. (The 24-hour warning needs a day to pass: the
//! schedule's unit tests cover it with a fixed clock.)

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::*;

use berth_testkit::BOX_10;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The next minute of local time, `HH:MM`, at least 15 s away (waiting for
/// the minute to turn if it is closer), and when it comes (ms).
fn next_minute() -> (String, i64) {
    let seconds: u64 = run("date", &["+%S"]).parse().unwrap();
    if seconds >= 45 {
        std::thread::sleep(Duration::from_secs(61 - seconds));
    }
    let at = run("date", &["-d", "+1 min", "+%H:%M"]);
    let when: i64 = run("date", &["-d", &format!("{at}:00"), "+%s"])
        .parse()
        .unwrap();
    (at, when * 1000)
}

fn status_of(home: &Path, app: &str) -> serde_json::Value {
    let all = json(&berth_ok(home, &["backup", "status", "--json"]));
    all["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == app)
        .unwrap_or_else(|| panic!("{app} is not in the status: {all}"))
        .clone()
}

/// Polls the app's status until `ready` holds, for at most `limit`.
fn wait_status(
    home: &Path,
    app: &str,
    limit: Duration,
    what: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let s = status_of(home, app);
        if ready(&s) {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}: {s}\nops: {}",
            text(&berth(home, &["ops"]))
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

fn backups_of(home: &Path, app: &str) -> Vec<serde_json::Value> {
    json(&berth_ok(home, &["backup", "list", app, "--json"]))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_scheduled_backup_runs_at_its_time_retention_keeps_one_a_day_and_a_failure_shows() {
    require_testbed();
    require_restic();
    let app = format!("sched{}", std::process::id());
    let _cleanup = AppCleanup::new(&app);
    let home = TempHome::new(&format!("backup-schedule-{app}"));
    let src = home.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let compose = src.join("compose.yml");
    std::fs::write(
        &compose,
        format!("services:\n  web:\n    image: {BOX_10}\n    volumes: ['./data:/data']\n"),
    )
    .unwrap();
    let _daemon = start_daemon(&home);
    berth_ok(&home, &["install", compose.to_str().unwrap(), "--id", &app]);
    std::fs::write(
        home.join("apps").join(&app).join("data").join("note.txt"),
        "kept safe\n",
    )
    .unwrap();

    // No target: no schedule, and setting one is refused clearly.
    let none = text(&berth_ok(&home, &["backup", "schedule"]));
    assert!(none.contains("No backup target yet"), "{none}");
    let refused = berth(&home, &["backup", "schedule", "set", "--at", "04:00"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("berth backup target add-folder"),
        "{}",
        text(&refused)
    );

    // A folder target (in this test's own temp folder): the default
    // schedule, every app daily at 03:00, keeping 7/4/6.
    let repo = home.join("target");
    berth_ok(
        &home,
        &["backup", "target", "add-folder", repo.to_str().unwrap()],
    );
    let password_file = home.join("backup").join("password");
    let shown = json(&berth_ok(&home, &["backup", "schedule", "--json"]));
    assert_eq!(shown["schedule"]["all"]["at"], "03:00", "{shown}");
    assert_eq!(shown["schedule"]["all"]["enabled"], true, "{shown}");
    assert_eq!(shown["schedule"]["all"]["keep"]["daily"], 7, "{shown}");
    assert_eq!(shown["schedule"]["all"]["keep"]["weekly"], 4, "{shown}");
    assert_eq!(shown["schedule"]["all"]["keep"]["monthly"], 6, "{shown}");
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(home.join("backup").join("schedule.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600, "the schedule is root-only");
    // Bad input is refused.
    let bad = berth(&home, &["backup", "schedule", "set", "--at", "25:00"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("HH:MM"), "{}", text(&bad));
    let bad = berth(
        &home,
        &[
            "backup",
            "schedule",
            "set",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("keep"), "{}", text(&bad));

    // Every app off (so 03:00 never interferes), this app on at the next minute.
    berth_ok(&home, &["backup", "schedule", "set", "--off"]);
    let (at, when) = next_minute();
    let set = json(&berth_ok(
        &home,
        &[
            "backup", "schedule", "set", "--app", &app, "--on", "--at", &at, "--json",
        ],
    ));
    assert_eq!(set["schedule"]["all"]["enabled"], false, "{set}");
    let mine = set["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["app"] == app.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["at"], at.as_str(), "{mine}");
    assert_eq!(mine["enabled"], true, "{mine}");
    assert_eq!(mine["overridden"], true, "{mine}");
    assert_eq!(mine["nextDue"].as_i64().unwrap(), when, "{mine}");
    let said = text(&berth_ok(&home, &["backup", "schedule"]));
    assert!(said.contains("not on schedule"), "{said}");
    assert!(said.contains(&at), "{said}");
    assert!(backups_of(&home, &app).is_empty());

    // Nobody asks: the daemon backs it up at that minute.
    let before = status_of(&home, &app);
    assert!(before["lastSuccess"].is_null(), "{before}");
    assert!(before["warning"].is_null(), "{before}");
    let limit = Duration::from_millis((when - now_ms()).max(0) as u64) + Duration::from_secs(90);
    let done = wait_status(&home, &app, limit, "the scheduled backup", |s| {
        !s["lastSuccess"].is_null()
    });
    let ran_at = done["lastSuccess"]["at"].as_i64().unwrap();
    assert!(ran_at >= when, "not before its time: {done}");
    assert!(done["lastFailure"].is_null(), "{done}");
    assert!(done["warning"].is_null(), "{done}");
    let next = done["nextDue"].as_i64().unwrap();
    assert!(
        next > now_ms() + 22 * 3_600_000,
        "next due tomorrow: {done}"
    );
    // Through the same path as `berth backup run`: a journaled backup operation.
    let op = done["lastSuccess"]["operation"].as_i64().unwrap();
    let ops = json(&berth_ok(&home, &["ops", "--json"]));
    let journaled = ops
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"].as_i64() == Some(op))
        .unwrap_or_else(|| panic!("operation {op} is not journaled: {ops}"));
    assert_eq!(journaled["kind"], "backup", "{journaled}");
    assert_eq!(backups_of(&home, &app).len(), 1);
    let said = text(&berth_ok(&home, &["backup", "status"]));
    assert!(said.contains(&app) && !said.contains("warning"), "{said}");
    let system = json(&berth_ok(&home, &["system", "--json"]));
    assert_eq!(system["backupWarnings"], 0, "{system}");

    // Keep one a day (and no weekly or monthly ones, which would keep the
    // oldest too, as restic does): three more manual backups leave one for today.
    berth_ok(
        &home,
        &[
            "backup",
            "schedule",
            "set",
            "--app",
            &app,
            "--keep-daily",
            "1",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ],
    );
    let day_before = run("date", &["+%F"]);
    let mut last = String::new();
    for i in 0..3 {
        std::fs::write(
            home.join("apps").join(&app).join("data").join("note.txt"),
            format!("version {i}\n"),
        )
        .unwrap();
        let out = berth_ok(&home, &["backup", "run", &app]);
        let said = text(&out);
        // Each one's retention forgets the one before it.
        assert!(
            said.contains(&format!("Retention: {app}: 1 kept, 1 forgotten")),
            "{said}"
        );
        let list = backups_of(&home, &app);
        last = list[0]["shortId"].as_str().unwrap().to_string();
        assert!(said.contains(&last), "{said}");
    }
    let days = if run("date", &["+%F"]) == day_before {
        1
    } else {
        2
    };
    let list = backups_of(&home, &app);
    assert_eq!(list.len(), days, "one backup per day: {list:?}");
    assert_eq!(list[0]["shortId"], last.as_str(), "the newest is kept");
    let snaps: serde_json::Value =
        serde_json::from_str(&restic_run(&repo, &password_file, &["snapshots", "--json"])).unwrap();
    assert_eq!(snaps.as_array().unwrap().len(), days, "{snaps}");
    restic_run(&repo, &password_file, &["check"]);
    // A manual prune: nothing more to forget; the repository still checks.
    let pruned = json(&berth_ok(
        &home,
        &["backup", "prune", "--app", &app, "--json"],
    ));
    assert_eq!(
        pruned[0]["forgotten"].as_array().unwrap().len(),
        0,
        "{pruned}"
    );
    assert_eq!(pruned[0]["kept"], days, "{pruned}");
    assert_eq!(pruned[0]["pruned"], true, "{pruned}");
    restic_run(&repo, &password_file, &["check"]);
    let data = restic_run(
        &repo,
        &password_file,
        &["dump", "latest", &format!("/berth/{app}/data/note.txt")],
    );
    assert_eq!(data, "version 2\n");

    // The target gone (the repository moved away, in this test's folder):
    // the next scheduled run fails, and the status says so.
    let moved = home.join("target-moved");
    std::fs::rename(&repo, &moved).unwrap();
    let success_op = status_of(&home, &app)["lastSuccess"]["operation"]
        .as_i64()
        .unwrap();
    let (at, when) = next_minute();
    berth_ok(
        &home,
        &["backup", "schedule", "set", "--app", &app, "--at", &at],
    );
    let limit = Duration::from_millis((when - now_ms()).max(0) as u64) + Duration::from_secs(90);
    let failed = wait_status(&home, &app, limit, "the failed scheduled backup", |s| {
        s["lastFailure"]["operation"]
            .as_i64()
            .is_some_and(|op| op > success_op)
    });
    assert!(
        failed["lastFailure"]["at"].as_i64().unwrap() >= when,
        "{failed}"
    );
    assert_eq!(failed["lastSuccess"]["operation"], success_op, "{failed}");
    let why = failed["lastFailure"]["error"].as_str().unwrap_or_default();
    assert!(!why.is_empty(), "{failed}");
    // Failing for minutes, not a day: shown, not yet a warning.
    assert!(failed["warning"].is_null(), "{failed}");
    let said = text(&berth_ok(&home, &["backup", "status"]));
    assert!(
        said.contains(&format!("{app}: the last backup failed")),
        "{said}"
    );
    // The app runs again after the failed backup.
    let running = run(
        "docker",
        &[
            "inspect",
            "-f",
            "{{.State.Running}}",
            &format!("{app}-web-1"),
        ],
    );
    assert_eq!(running, "true");
    std::fs::rename(&moved, &repo).unwrap();
    restic_run(&repo, &password_file, &["check"]);
}
