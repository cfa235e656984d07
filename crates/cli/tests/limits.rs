//! Limits through the daemon on the real engine: `berth limits` shows an
//! app's limits and disk, changes CPU, memory and processes live (the
//! container keeps running, not restarted, and Docker has the new values),
//! refuses more CPUs than the server has, and caps the data folder.

mod common;
use common::*;

fn inspect(container: &str, format: &str) -> String {
    let out = std::process::Command::new("docker")
        .args(["inspect", "-f", format, container])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker inspect {container}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Unmounts the app's capped data folder even when the test fails.
struct Unmount(std::path::PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}

#[test]
fn limits_change_live_and_the_data_folder_gets_a_cap() {
    require_testbed();
    let pid = std::process::id();
    let home = TempHome::new("limits-cli");
    let app = format!("limgreet{pid}");
    let _cleanup = AppCleanup::new(&app);
    let _unmount = Unmount(home.join("apps").join(&app).join("data"));
    let daemon = start_daemon_with(&home, &[("BERTH_STATS_SECS", "0")]);
    let store_dir = test_store();
    let store = store_dir.to_str().unwrap();
    let ok = |args: &[&str]| berth_ok(&home, args);
    ok(&["catalog", "add", store, "--name", "test"]);
    ok(&[
        "install",
        "greeter",
        "--store",
        "test",
        "--id",
        &app,
        "--set",
        "ADMIN_NAME=Lim",
    ]);
    let container = format!("{app}-web-1");
    let started = inspect(&container, "{{.State.StartedAt}}");

    // The store's defaults: half a CPU, 64 MiB.
    let shown = json(&ok(&["limits", &app, "--json"]));
    assert_eq!(shown["limits"]["cpus"], 0.5, "{shown}");
    assert_eq!(shown["limits"]["memory"], 64 * 1024 * 1024, "{shown}");
    assert!(shown["disk"]["cap"].is_null(), "{shown}");

    let out = ok(&[
        "limits", &app, "--cpus", "1", "--memory", "128m", "--pids", "200",
    ]);
    assert!(text(&out).contains("changed live"), "{}", text(&out));
    assert_eq!(
        inspect(
            &container,
            "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}"
        ),
        format!("1000000000 {} 200", 128 * 1024 * 1024)
    );
    assert_eq!(
        inspect(&container, "{{.State.StartedAt}}"),
        started,
        "restarted"
    );
    assert_eq!(inspect(&container, "{{.State.Running}}"), "true");

    // More CPUs than this server has: refused, nothing changed.
    let cores = std::thread::available_parallelism().unwrap().get();
    let too_many = (cores + 4).to_string();
    let out = berth(&home, &["limits", &app, "--cpus", &too_many]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&too_many), "{}", text(&out));
    assert_eq!(
        inspect(&container, "{{.HostConfig.NanoCpus}}"),
        "1000000000"
    );

    // A cap on the data folder: mounted, reported, kept by what is in it.
    let capped = json(&ok(&["limits", &app, "--disk", "24m", "--json"]));
    assert_eq!(capped["disk"]["cap"], 24 * 1024 * 1024, "{capped}");
    assert!(capped["disk"]["uncapped"].is_string() || capped["disk"]["uncapped"].is_null());
    let data = home.join("apps").join(&app).join("data");
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(
        mounts.contains(data.to_str().unwrap()),
        "{} is not a mount point",
        data.display()
    );
    let index = data.join("site/www/index.html");
    assert!(
        std::fs::read_to_string(&index).unwrap().contains("Lim"),
        "the app's page was not copied into the capped folder"
    );

    // The daemon restarted: the cap is mounted again.
    drop(daemon);
    let _ = std::process::Command::new("umount").arg(&data).status();
    let _daemon = start_daemon_with(&home, &[("BERTH_STATS_SECS", "0")]);
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(mounts.contains(data.to_str().unwrap()), "not mounted again");
    let shown = json(&ok(&["limits", &app, "--json"]));
    assert_eq!(shown["disk"]["cap"], 24 * 1024 * 1024, "{shown}");

    // Installing with more CPUs than the server has is refused up front.
    let other = format!("limgreet2{pid}");
    let out = berth(
        &home,
        &[
            "install",
            "greeter",
            "--store",
            "test",
            "--id",
            &other,
            "--set",
            "ADMIN_NAME=X",
            "--cpus",
            &too_many,
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("more than this server has"),
        "{}",
        text(&out)
    );
    let apps = json(&ok(&["apps", "--json"]));
    assert_eq!(apps.as_array().unwrap().len(), 1, "{apps}");

    ok(&["uninstall", &app, "--purge-data", "--yes"]);
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(!mounts.contains(data.to_str().unwrap()), "left mounted");
}
