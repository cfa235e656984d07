//! Limits and disk caps on the real Docker engine with the local registry's
//! busybox images (`.ci/setup-testbed`): limits changed live keep the
//! container and its start time, and a later `up` does not recreate it; an
//! app past its memory is killed and reported out of memory; an app's data
//! folder capped at 20 MB refuses a 40 MB write while an uncapped app takes
//! it, until the cap is raised; limits beyond the host are refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use berth_engine::apps::{Apps, InstallRequest, UninstallOptions, UpdateTarget};
use berth_engine::compose::ServiceLimits;
use berth_engine::lifecycle::{Engine, LimitsApplied, UpEvent};
use berth_engine::rewrite::app_dir;
use berth_engine::Error;
use berth_testkit::{
    connect_engine, require_testbed, write_compose, AppCleanup, TempHome, BOX_11 as IMAGE,
};

/// A service that idles until stopped, with its data folder at /data.
fn idle_compose(extra: &str) -> String {
    format!(
        r#"services:
  main:
    image: {IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumes:
      - ./data:/data
{extra}"#
    )
}

fn inspect(container: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args(["inspect", "-f", format, container])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker inspect {container}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Id, start time and limits of a container, as `docker inspect` shows them.
fn limits_of(container: &str) -> String {
    inspect(
        container,
        "{{.Id}} {{.State.StartedAt}} NanoCpus={{.HostConfig.NanoCpus}} Memory={{.HostConfig.Memory}} MemorySwap={{.HostConfig.MemorySwap}} PidsLimit={{.HostConfig.PidsLimit}}",
    )
}

fn exec(container: &str, script: &str) -> std::process::Output {
    Command::new("docker")
        .args(["exec", container, "sh", "-c", script])
        .output()
        .unwrap()
}

/// Removes the apps' containers, networks and volumes, unmounts their
/// disks and deletes the home, even if the test fails — in that order:
/// a mount in use cannot go, nor a folder still mounted.
struct Cleanup {
    apps: Vec<AppCleanup>,
    ids: Vec<String>,
    home: TempHome,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.apps.clear();
        let disks = self.home.join("disks");
        for app in &self.ids {
            for at in [
                app_dir(&self.home, app).join("data"),
                disks.join(format!("{app}.staging")),
            ] {
                while Command::new("umount")
                    .arg(&at)
                    .output()
                    .is_ok_and(|o| o.status.success())
                {}
            }
        }
    }
}

async fn setup(name: &str, apps: &[&str]) -> (Apps, PathBuf, Cleanup) {
    require_testbed();
    let engine = connect_engine().await;
    let cleanup = Cleanup {
        apps: apps.iter().map(|a| AppCleanup::new(a)).collect(),
        ids: apps.iter().map(|a| a.to_string()).collect(),
        home: TempHome::new(&format!("limits-{name}")),
    };
    let home = cleanup.home.to_path_buf();
    let apps = Apps::open(&home, engine, Default::default()).unwrap();
    (apps, home, cleanup)
}

async fn install(apps: &Apps, home: &Path, app: &str, compose: &str, limits: ServiceLimits) {
    let request = InstallRequest {
        compose_file: write_compose(home, app, compose),
        app_id: app.to_string(),
        settings: Default::default(),
        limits,
        consent: false,
        source: None,
        shares: Vec::new(),
        name: None,
        gate: false,
        no_host_port: false,
    };
    apps.install(&request, &mut |_| {})
        .await
        .unwrap_or_else(|e| panic!("installing {app}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_change_live_and_a_later_up_keeps_the_container() {
    let app = format!("lim{}a", std::process::id());
    let (apps, home, _cleanup) = setup("live", &[&app]).await;
    let container = format!("{app}-main-1");
    let mib = 1024 * 1024;
    install(
        &apps,
        &home,
        &app,
        &idle_compose(""),
        ServiceLimits {
            cpus: Some(0.5),
            memory: Some(64 * mib),
            memory_swap: None,
            pids: Some(100),
        },
    )
    .await;
    let before = limits_of(&container);
    eprintln!("before: {before}");
    let (id, started) = {
        let mut f = before.split(' ');
        (f.next().unwrap().to_string(), f.next().unwrap().to_string())
    };
    assert!(
        before.ends_with("NanoCpus=500000000 Memory=67108864 MemorySwap=134217728 PidsLimit=100"),
        "{before}"
    );

    let report = apps
        .set_limits(
            &app,
            ServiceLimits {
                cpus: Some(1.0),
                memory: Some(128 * mib),
                memory_swap: None,
                pids: Some(200),
            },
        )
        .await
        .unwrap();
    assert_eq!(report.services.len(), 1);
    assert_eq!(report.services[0].applied, LimitsApplied::Updated);
    let after = limits_of(&container);
    eprintln!("after:  {after}");
    assert_eq!(
        after,
        format!("{id} {started} NanoCpus=1000000000 Memory=134217728 MemorySwap=268435456 PidsLimit=200"),
        "same container, same start, new limits"
    );
    let op = apps.db().operation(report.operation).unwrap().unwrap();
    assert_eq!(op.kind, "limits");
    assert_eq!(op.outcome.as_deref(), Some("done"));
    assert_eq!(op.steps, ["begin", "render", "apply"]);

    // The rendered file and the record hold them.
    let project = apps.load_rendered(&app).unwrap();
    let (_, svc) = project.services().next().unwrap();
    assert_eq!(
        ServiceLimits::of(svc),
        ServiceLimits {
            cpus: Some(1.0),
            memory: Some(128 * mib),
            memory_swap: None,
            pids: Some(200),
        }
    );
    let record = apps.db().app(&app).unwrap().unwrap();
    let recorded: ServiceLimits = serde_json::from_str(&record.limits).unwrap();
    assert_eq!(recorded, report.limits);

    // Only memory: the rest is kept.
    let report = apps
        .set_limits(
            &app,
            ServiceLimits {
                memory: Some(96 * mib),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.limits.cpus, Some(1.0));
    assert_eq!(report.limits.pids, Some(200));
    assert!(limits_of(&container)
        .ends_with("NanoCpus=1000000000 Memory=100663296 MemorySwap=201326592 PidsLimit=200"));

    // Up again: the limits alone changed since the container was made, and
    // it is kept.
    let mut events = Vec::new();
    apps.engine()
        .up(&project, &mut |e| {
            if let UpEvent::Service { state, .. } = e {
                events.push(state)
            }
        })
        .await
        .unwrap();
    assert!(
        !events.iter().any(|s| s == "created" || s == "recreated"),
        "{events:?}"
    );
    let project = apps.load_rendered(&app).unwrap();
    apps.engine().up(&project, &mut |_| {}).await.unwrap();
    assert!(
        limits_of(&container).starts_with(&format!("{id} {started} ")),
        "the same container, never restarted: {}",
        limits_of(&container)
    );

    // Beyond the host: refused, naming both figures, and nothing changes.
    let cores = berth_engine::host::cpu_count();
    let err = apps
        .set_limits(
            &app,
            ServiceLimits {
                cpus: Some(cores as f64 + 1.0),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidLimit { what: "cpus", .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("({cores})")), "{err}");
    let ram = berth_engine::host::memory_total().unwrap() as i64;
    let err = apps
        .set_limits(
            &app,
            ServiceLimits {
                memory: Some(ram * 2),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than this server's memory"), "{err}");
    let err = apps
        .set_limits(
            &app,
            ServiceLimits {
                memory: Some(mib),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("minimum"), "{err}");
    let err = apps
        .set_limits(
            &app,
            ServiceLimits {
                pids: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("pids"), "{err}");
    eprintln!("refused: {err}");
    assert!(limits_of(&container).ends_with("Memory=100663296 MemorySwap=201326592 PidsLimit=200"));

    apps.uninstall(&app, UninstallOptions::default(), &mut |_| {})
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_past_its_memory_is_reported_out_of_memory() {
    let app = format!("lim{}b", std::process::id());
    let (apps, home, _cleanup) = setup("oom", &[&app]).await;
    // busybox tail keeps the last lines of /dev/zero, one endless line: it
    // grows until the kernel kills it. No swap to escape to.
    let compose = format!(
        r#"services:
  hog:
    image: {IMAGE}
    command: ["tail", "/dev/zero"]
    restart: "no"
"#
    );
    let limit = 16 * 1024 * 1024;
    install(
        &apps,
        &home,
        &app,
        &compose,
        ServiceLimits {
            memory: Some(limit),
            memory_swap: Some(limit),
            ..Default::default()
        },
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = apps.engine().status(&app).await.unwrap();
        if status.iter().any(|s| s.oom_killed) || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("{status:?}");
    let hog = &status[0];
    assert!(hog.oom_killed, "{hog:?}");
    assert_eq!(
        hog.message.as_deref(),
        Some("killed: out of memory (limit 16 MiB)"),
        "{hog:?}"
    );
    assert_eq!(
        inspect(&format!("{app}-hog-1"), "{{.State.OOMKilled}}"),
        "true"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_cap_holds_an_apps_data_folder() {
    let pid = std::process::id();
    let (a, b) = (format!("lim{pid}c"), format!("lim{pid}d"));
    let (apps, home, _cleanup) = setup("disk", &[&a, &b]).await;
    let (ca, cb) = (format!("{a}-main-1"), format!("{b}-main-1"));
    let mb = 1_000_000u64;
    for app in [&a, &b] {
        install(&apps, &home, app, &idle_compose(""), Default::default()).await;
    }
    let data_a = app_dir(&home, &a).join("data");
    std::fs::write(data_a.join("precious"), "kept").unwrap();

    // The first cap: the data moves onto the new disk, the app restarts.
    let report = apps
        .set_disk_cap(&a, Some(20 * mb), &mut |_| {})
        .await
        .unwrap();
    eprintln!("capped: {report:?}");
    assert!(report.restarted, "{report:?}");
    assert_eq!(report.usage.cap, Some(20 * mb));
    assert!(home.join(format!("disks/{a}.img")).is_file());
    assert_eq!(
        std::fs::read_to_string(data_a.join("precious")).unwrap(),
        "kept"
    );
    assert!(!app_dir(&home, &a).join("data.uncapped").exists());
    assert_eq!(inspect(&ca, "{{.State.Running}}"), "true");

    // 40 MB into A fails for want of space, and A stays within its cap;
    // B, uncapped, takes them.
    let write = "dd if=/dev/zero of=/data/big bs=1M count=40";
    let out = exec(&ca, write);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!("A (cap 20 MB): {:?} {stderr}", out.status);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let usage = apps.disk_usage(&a).await.unwrap();
    eprintln!("A usage: {usage:?}");
    assert!(usage.used <= 20 * mb && usage.near_full, "{usage:?}");
    let out = exec(&cb, write);
    assert!(out.status.success(), "{out:?}");
    let usage_b = apps.disk_usage(&b).await.unwrap();
    eprintln!("B usage: {usage_b:?}");
    assert!(
        usage_b.used >= 40 * 1024 * 1024 && usage_b.cap.is_none(),
        "{usage_b:?}"
    );

    // Raised to 60 MB: the write goes through. Online (same mount, same
    // container start) when the kernel lets Berth grow a mounted disk.
    let started = inspect(&ca, "{{.State.StartedAt}}");
    let report = apps
        .set_disk_cap(&a, Some(60 * mb), &mut |_| {})
        .await
        .unwrap();
    eprintln!("raised: {report:?}");
    let online = berth_engine::host::can_grow_online();
    assert_eq!(report.restarted, !online, "{report:?}");
    if online {
        assert_eq!(inspect(&ca, "{{.State.StartedAt}}"), started);
    }
    let out = exec(&ca, write);
    assert!(out.status.success(), "{out:?}");
    let usage = apps.disk_usage(&a).await.unwrap();
    eprintln!("A usage after the raise: {usage:?}");
    assert_eq!(usage.cap, Some(60 * mb));
    assert!(
        usage.used >= 40 * 1024 * 1024 && usage.used <= 60 * mb,
        "{usage:?}"
    );

    // Lower than what it holds: refused. Lower but enough: a new disk.
    let err = apps
        .set_disk_cap(&a, Some(30 * mb), &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than a cap of 30.0 MB"), "{err}");
    let report = apps
        .set_disk_cap(&a, Some(56 * mb), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.usage.cap, Some(56 * mb));
    assert_eq!(
        exec(&ca, "wc -c < /data/big").stdout,
        b"41943040\n",
        "the data came along"
    );

    // An update snapshots the capped folder and a rollback restores it in
    // place, the disk still mounted.
    let v2 = home.join("sources/v2.yml");
    std::fs::write(&v2, idle_compose("    environment: {VERSION: '2'}\n")).unwrap();
    apps.update(&a, &UpdateTarget::Compose(v2), false, &mut |_| {})
        .await
        .unwrap();
    std::fs::write(data_a.join("precious"), "changed by v2").unwrap();
    apps.update(&a, &UpdateTarget::Snapshot(None), false, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(data_a.join("precious")).unwrap(),
        "kept"
    );
    assert_eq!(apps.disk_usage(&a).await.unwrap().cap, Some(56 * mb));
    let mounted = |at: &Path| {
        Command::new("mountpoint")
            .arg("-q")
            .arg(at)
            .status()
            .unwrap()
            .success()
    };
    assert!(mounted(&data_a));

    // After a reboot the disk is mounted again.
    apps.engine()
        .stop(&apps.load_rendered(&a).unwrap())
        .await
        .unwrap();
    assert!(Command::new("umount")
        .arg(&data_a)
        .status()
        .unwrap()
        .success());
    assert_eq!(apps.mount_disks().await.unwrap(), vec![a.clone()]);
    assert_eq!(
        std::fs::read_to_string(data_a.join("precious")).unwrap(),
        "kept"
    );

    // No cap: the data back on the server's disk, the image gone.
    let report = apps.set_disk_cap(&a, None, &mut |_| {}).await.unwrap();
    assert!(!report.restarted, "it was stopped: {report:?}");
    assert_eq!(report.usage.cap, None);
    assert!(!mounted(&data_a));
    assert!(!home.join(format!("disks/{a}.img")).exists());
    assert_eq!(
        std::fs::read_to_string(data_a.join("precious")).unwrap(),
        "kept"
    );
    assert_eq!(
        std::fs::metadata(data_a.join("big")).unwrap().len(),
        41943040
    );

    // Uninstall keeps a disk; with purge it goes, unmounted.
    apps.set_disk_cap(&b, Some(60 * mb), &mut |_| {})
        .await
        .unwrap();
    let data_b = app_dir(&home, &b).join("data");
    apps.uninstall(&b, UninstallOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert!(mounted(&data_b) && home.join(format!("disks/{b}.img")).is_file());
    install(&apps, &home, &b, &idle_compose(""), Default::default()).await;
    assert_eq!(apps.disk_usage(&b).await.unwrap().cap, Some(60 * mb));
    assert_eq!(
        exec(&cb, "wc -c < /data/big").stdout,
        b"41943040\n",
        "the reinstall finds its data on its disk"
    );
    apps.uninstall(
        &b,
        UninstallOptions {
            purge_data: true,
            remove_images: false,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(!data_b.exists() && !home.join(format!("disks/{b}.img")).exists());
    apps.uninstall(
        &a,
        UninstallOptions {
            purge_data: true,
            remove_images: false,
        },
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(!data_a.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writable_layer_cap_is_reported() {
    let engine = Engine::connect().await.unwrap();
    let note = engine.writable_layer_uncapped().await.unwrap();
    eprintln!("writable layer: {note:?}");
    if let Some(note) = note {
        assert!(
            note.starts_with("only the app's data folder is capped"),
            "{note}"
        );
    }
}
