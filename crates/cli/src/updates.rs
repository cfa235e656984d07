//! Updates, rollbacks, snapshots and image cleanup: `berth updates`,
//! `berth update`, `berth rollback`, `berth snapshots`, `berth images`.
//! Printing only; the daemon does the work.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{args, AppId, Request, SnapshotId, SnapshotInfo, UpdatesInfo};
use berth_engine::apps::{human_bytes, parse_age, PruneReport};
use clap::{Args, Subcommand};

use crate::daemon::{client, run_operation, HomeArg};

#[derive(Args)]
pub struct UpdatesCmd {
    /// Check the stores and registries now (else: the daemon's last check).
    #[arg(long)]
    pub refresh: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct UpdateCmd {
    /// The app to update.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<AppId>,
    /// Update every app that has an update.
    #[arg(long)]
    pub all: bool,
    /// A new version of the compose file (or folder, its override merged) the app was installed from.
    #[arg(long, conflicts_with = "all")]
    pub compose: Option<std::path::PathBuf>,
    /// Consent to what the new version asks of the host beyond the old.
    #[arg(long)]
    pub allow_privileged: bool,
}

#[derive(Args)]
pub struct RollbackCmd {
    pub id: AppId,
    /// The snapshot to return to (see `berth snapshots ID`; default: the newest).
    #[arg(long)]
    pub to: Option<SnapshotId>,
}

#[derive(Subcommand)]
pub enum ImagesCommand {
    /// Remove images no app, container or kept snapshot needs.
    Prune {
        /// Only images unused for this long, e.g. 30d, 2w, 12h.
        #[arg(long)]
        older_than: Option<String>,
        /// Only show what would be removed.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn updates(home: &HomeArg, cmd: UpdatesCmd) -> Result<ExitCode> {
    let info: UpdatesInfo = client(home)?.call(
        &Request::from(args::Updates {
            refresh: cmd.refresh,
        }),
        |_| {},
    )?;
    if cmd.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    let available: Vec<_> = info.apps.iter().filter(|u| u.available()).collect();
    if available.is_empty() {
        println!("All {} apps are up to date.", info.apps.len());
    }
    for u in &available {
        let what = match &u.version {
            Some(v) => format!("version {v}"),
            None => format!("newer images of {}", u.changed_images.join(", ")),
        };
        let size = u
            .download_bytes
            .map(|b| format!(", {} to download", human_bytes(b)))
            .unwrap_or_default();
        println!("{}: {what}{size} (now {})", u.app, u.current);
        if let Some(notes) = &u.release_notes {
            for line in notes.lines().take(6) {
                println!("    {line}");
            }
        }
    }
    for u in info.apps.iter().filter(|u| u.error.is_some()) {
        eprintln!(
            "{}: could not check everything: {}",
            u.app,
            u.error.as_deref().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn update(home: &HomeArg, cmd: UpdateCmd) -> Result<ExitCode> {
    let compose_file = cmd
        .compose
        .map(|f| std::fs::canonicalize(&f).with_context(|| format!("cannot read {}", f.display())))
        .transpose()?
        .map(|f| f.to_string_lossy().into_owned());
    let ids = match cmd.id {
        Some(id) => vec![id],
        None => {
            let info: UpdatesInfo =
                client(home)?.call(&Request::from(args::Updates { refresh: true }), |_| {})?;
            let ids: Vec<AppId> = info
                .apps
                .into_iter()
                .filter(|u| u.available())
                .map(|u| AppId::new(u.app))
                .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                println!("All apps are up to date.");
                return Ok(ExitCode::SUCCESS);
            }
            ids
        }
    };
    let mut failed = Vec::new();
    for id in ids {
        let request = Request::from(args::Update {
            app: id.clone(),
            compose_file: compose_file.clone(),
            compose: None,
            consent: cmd.allow_privileged,
        });
        if let Err(e) = run_operation(home, request) {
            eprintln!("error: {e:#}");
            failed.push(id.to_string());
        }
    }
    if !failed.is_empty() {
        bail!("not updated: {}", failed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rollback(home: &HomeArg, cmd: RollbackCmd) -> Result<ExitCode> {
    run_operation(
        home,
        Request::from(args::Rollback {
            app: cmd.id,
            to: cmd.to,
        }),
    )
}

pub fn snapshots(home: &HomeArg, id: AppId, json: bool) -> Result<ExitCode> {
    let list: Vec<SnapshotInfo> =
        client(home)?.call(&Request::from(args::Snapshots { app: id.clone() }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else if list.is_empty() {
        println!("{id} has no snapshots yet (one is taken before each update).");
    } else {
        for s in list {
            println!(
                "{}  {}  {}  ({})",
                s.id,
                human_bytes(s.bytes),
                s.source,
                s.reason
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn images(home: &HomeArg, cmd: ImagesCommand) -> Result<ExitCode> {
    let ImagesCommand::Prune {
        older_than,
        dry_run,
        json,
    } = cmd;
    let older_than_days = older_than
        .map(|age| {
            parse_age(&age)
                .map(|d| (d.as_secs() / 86_400) as u32)
                .with_context(|| format!("--older-than {age}: write an age like 30d, 2w or 12h"))
        })
        .transpose()?;
    let report: PruneReport = client(home)?.call(
        &Request::from(args::ImagesPrune {
            older_than_days,
            dry_run,
        }),
        |_| {},
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if dry_run { "would remove" } else { "removed" };
    for image in &report.images {
        println!(
            "{verb} {} ({})",
            image.references.join(", "),
            human_bytes(image.bytes)
        );
    }
    println!(
        "{} {} image(s), {}.",
        if dry_run { "Would free" } else { "Freed" },
        report.images.len(),
        human_bytes(report.bytes)
    );
    if !report.kept_for_rollback.is_empty() {
        println!(
            "Kept {} image(s) that snapshots need for a rollback: {}.",
            report.kept_for_rollback.len(),
            report
                .kept_for_rollback
                .iter()
                .flat_map(|i| i.references.clone())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if report.too_recent > 0 {
        println!("Kept {} image(s) used too recently.", report.too_recent);
    }
    Ok(ExitCode::SUCCESS)
}
