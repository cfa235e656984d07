//! Runs one journaled operation on a Berth home, in its own process, so the
//! crash tests can kill it at a step boundary (`BERTH_TEST_ABORT_AT=N`) and
//! then reconcile in another process.
//!
//! ```text
//! operation install HOME COMPOSE_FILE APP_ID
//! operation uninstall HOME APP_ID [--purge] [--remove-images]
//! operation update HOME APP_ID COMPOSE_FILE
//! operation rollback HOME APP_ID [SNAPSHOT]
//! operation reconcile HOME
//! ```

use std::path::PathBuf;

use berth_engine::apps::{Apps, UninstallOptions, UpdateTarget};
use berth_engine::lifecycle::Engine;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(args: &[String]) -> berth_engine::Result<()> {
    let usage = || -> ! {
        eprintln!(
            "usage: operation install HOME FILE ID | uninstall HOME ID [--purge] | reconcile HOME"
        );
        std::process::exit(2)
    };
    let home = PathBuf::from(args.get(1).unwrap_or_else(|| usage()));
    let apps = Apps::open(&home, Engine::connect().await?, Default::default())?;
    match args.first().map(String::as_str) {
        Some("install") if args.len() == 4 => {
            let request = berth_testkit::install_request(PathBuf::from(&args[2]), &args[3]);
            apps.install(&request, &mut |_| {}).await.map(drop)
        }
        Some("uninstall") if args.len() >= 3 => {
            let flag = |f: &str| args[3..].iter().any(|a| a == f);
            let options = UninstallOptions {
                purge_data: flag("--purge"),
                remove_images: flag("--remove-images"),
            };
            apps.uninstall(&args[2], options, &mut |_| {})
                .await
                .map(drop)
        }
        Some("update") if args.len() == 4 => {
            let target = UpdateTarget::Compose(PathBuf::from(&args[3]));
            apps.update(&args[2], &target, false, &mut |_| {})
                .await
                .map(drop)
        }
        Some("rollback") if args.len() >= 3 => {
            let target = UpdateTarget::Snapshot(args.get(3).cloned());
            apps.update(&args[2], &target, false, &mut |_| {})
                .await
                .map(drop)
        }
        Some("reconcile") => apps.reconcile().await.map(drop),
        _ => usage(),
    }
}
