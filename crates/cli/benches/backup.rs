//! Backups: first-backup throughput and the time of an incremental
//! re-backup after ~1% of a ~200 MB mixed folder changed, Berth (`berth
//! backup run` through the daemon, the app stopped for its local copy)
//! against Debian's `restic backup` of the same folder into its own
//! repository, in the same run, with ratios and Berth's downtime.
//! Printed, not asserted.
//!
//! The folder is the app's data folder: 20 random files of 6 MB (photos,
//! videos: incompressible), 2000 small text files of ~10 kB (documents,
//! configuration), and one 55 MB compressible log. The change: 1 MB of one
//! large file rewritten in place and 100 small files rewritten (~2 MB).
//!
//! Needs the engine and the test registry (.ci/setup-docker,
//! .ci/setup-testbed) and `apt-get install restic`.
//! Run: `cargo bench -p berth-cli --bench backup`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use berth_testkit::{berth_ok, require_testbed, write_compose, AppCleanup, Daemon, TempHome};

const APP: &str = "bench-backup";
const IMAGE: &str = "127.0.0.1:5000/berth-test/box:1.0";

fn main() {
    assert!(
        Command::new("restic")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the backup benchmark compares with restic: apt-get install restic"
    );
    require_testbed();
    let home = TempHome::new("bench-backup");
    let _cleanup = AppCleanup::new(APP);
    let _daemon = Daemon::start(Path::new(env!("CARGO_BIN_EXE_berth")), &home, &[]);
    let file = write_compose(
        &home,
        APP,
        &format!("services:\n  web:\n    image: {IMAGE}\n    volumes: ['./data:/data']\n"),
    );
    berth(&home, &["install", file.to_str().unwrap(), "--id", APP]);
    let data = home.join("apps").join(APP).join("data");
    let bytes = fill(&data);
    let mb = bytes as f64 / 1e6;
    println!("folder: {mb:.0} MB in {} files", 20 + 2000 + 1);

    let berth_repo = home.join("berth-repo");
    berth(
        &home,
        &[
            "backup",
            "target",
            "add-folder",
            berth_repo.to_str().unwrap(),
        ],
    );
    let password_file = home.join("backup").join("password");
    let restic_repo = home.join("restic-repo");
    restic(&restic_repo, &password_file, &["init"]);

    sync();
    let (restic_first, _) = timed(|| {
        restic(
            &restic_repo,
            &password_file,
            &["backup", data.to_str().unwrap()],
        )
    });
    sync();
    let (berth_first, report) = timed(|| berth(&home, &["backup", "run", APP, "--json"]));
    let first_down = downtime(&report);

    change(&data);
    sync();
    let (restic_again, _) = timed(|| {
        restic(
            &restic_repo,
            &password_file,
            &["backup", data.to_str().unwrap()],
        )
    });
    sync();
    let (berth_again, report) = timed(|| berth(&home, &["backup", "run", APP, "--json"]));
    let again_down = downtime(&report);
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        println!("{report}");
        let out = Command::new("restic")
            .arg("-r")
            .arg(&berth_repo)
            .arg("--password-file")
            .arg(&password_file)
            .args(["--no-cache", "snapshots", "--json"])
            .output()
            .unwrap();
        println!("{}", String::from_utf8_lossy(&out.stdout));
    }

    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "first backup:  berth {:.2} s ({:.0} MB/s, app down {:.2} s)  restic {:.2} s ({:.0} MB/s)  berth/restic time {:.2}x",
        secs(berth_first),
        mb / secs(berth_first),
        first_down,
        secs(restic_first),
        mb / secs(restic_first),
        secs(berth_first) / secs(restic_first)
    );
    println!(
        "incremental (~1% changed):  berth {:.2} s (app down {:.2} s)  restic {:.2} s  berth/restic time {:.2}x",
        secs(berth_again),
        again_down,
        secs(restic_again),
        secs(berth_again) / secs(restic_again)
    );
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn downtime(report: &str) -> f64 {
    let v: serde_json::Value = serde_json::from_str(report).expect("a backup report");
    v["downtimeMs"].as_f64().unwrap_or_default() / 1000.0
}

fn sync() {
    let _ = Command::new("sync").status();
}

/// Fills the folder; returns its bytes.
fn fill(data: &Path) -> u64 {
    let mut total = 0;
    std::fs::create_dir_all(data.join("media")).unwrap();
    std::fs::create_dir_all(data.join("docs")).unwrap();
    for i in 0..20 {
        let path = data.join(format!("media/{i}.bin"));
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "head -c 6000000 /dev/urandom > '{}'",
                path.display()
            ))
            .status()
            .unwrap();
        assert!(out.success());
        total += 6_000_000;
    }
    for i in 0..2000 {
        let text = format!(
            "document {i}: {}\n",
            "lorem ipsum dolor sit amet ".repeat(370)
        );
        std::fs::write(data.join(format!("docs/{i}.txt")), &text).unwrap();
        total += text.len() as u64;
    }
    let mut log = std::fs::File::create(data.join("app.log")).unwrap();
    for i in 0..1_000_000 {
        let line = format!(
            "2026-12-03T09:00:{:02} INFO request {i} served in {} ms\n",
            i % 60,
            i % 97
        );
        log.write_all(line.as_bytes()).unwrap();
        total += line.len() as u64;
    }
    total
}

/// Changes ~1%: 1 MB in place in one large file, 100 small files rewritten.
fn change(data: &Path) {
    let out = Command::new("dd")
        .args([
            "if=/dev/urandom",
            &format!("of={}", data.join("media/3.bin").display()),
            "bs=1000000",
            "count=1",
            "seek=2",
            "conv=notrunc",
            "status=none",
        ])
        .status()
        .unwrap();
    assert!(out.success());
    for i in 0..100 {
        let text = format!(
            "changed {i}: {}\n",
            "consectetur adipiscing elit ".repeat(370)
        );
        std::fs::write(data.join(format!("docs/{i}.txt")), text).unwrap();
    }
}

fn berth(home: &Path, args: &[&str]) -> String {
    let out = berth_ok(Path::new(env!("CARGO_BIN_EXE_berth")), home, args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn restic(repo: &Path, password_file: &Path, args: &[&str]) {
    let out = Command::new("restic")
        .arg("-r")
        .arg(repo)
        .arg("--password-file")
        .arg(password_file)
        .args(["--no-cache", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restic {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
