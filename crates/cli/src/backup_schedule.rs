//! `berth backup schedule [set]`, `berth backup status`, `berth backup
//! prune`. Printing only; the daemon keeps the schedule and runs it.

use std::process::ExitCode;

use anyhow::{bail, Result};
use berth_api::{args, AppId, Request};
use berth_engine::apps::human_bytes;
use berth_engine::backup::retention::Pruned;
use berth_engine::backup::schedule::{local_time, BackupOverview, BackupRun, ScheduleInfo};
use clap::{Args, Subcommand};

use crate::daemon::{client, HomeArg};

/// `berth backup schedule`: show it, or `set` it.
#[derive(Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    set: Option<ScheduleCommand>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Change the schedule of every app, or of one (--app): its time of
    /// day, on or off, how many backups are kept, the target.
    Set {
        /// Only this app (else every app).
        #[arg(long)]
        app: Option<AppId>,
        /// Daily at this time, HH:MM, in the server's local time.
        #[arg(long, value_name = "HH:MM")]
        at: Option<String>,
        /// No scheduled backups (manual ones still work).
        #[arg(long, conflicts_with = "on")]
        off: bool,
        /// Scheduled backups on.
        #[arg(long)]
        on: bool,
        /// Keep the newest backup of each of the last N days.
        #[arg(long, value_name = "N")]
        keep_daily: Option<u32>,
        /// Keep the newest backup of each of the last N weeks.
        #[arg(long, value_name = "N")]
        keep_weekly: Option<u32>,
        /// Keep the newest backup of each of the last N months.
        #[arg(long, value_name = "N")]
        keep_monthly: Option<u32>,
        /// Back up to this target.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
        /// The app follows every app's schedule again (with --app).
        #[arg(long, requires = "app")]
        reset: bool,
        /// Include the files of the shares given to the app in its backups
        /// (on), or not (off, the default); with --app.
        #[arg(long, requires = "app", value_name = "on|off", value_parser = on_off)]
        include_shares: Option<bool>,
        #[arg(long)]
        json: bool,
    },
}

fn on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{s:?}: say on or off")),
    }
}

pub fn schedule(home: &HomeArg, a: ScheduleArgs) -> Result<ExitCode> {
    let (info, json): (ScheduleInfo, bool) = match a.set {
        None => (
            client(home)?.call(&Request::from(args::BackupSchedule {}), |_| {})?,
            a.json,
        ),
        Some(ScheduleCommand::Set {
            app,
            at,
            off,
            on,
            keep_daily,
            keep_weekly,
            keep_monthly,
            target,
            reset,
            include_shares,
            json,
        }) => {
            let enabled = match (on, off) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let nothing = at.is_none()
                && enabled.is_none()
                && keep_daily.is_none()
                && keep_weekly.is_none()
                && keep_monthly.is_none()
                && target.is_none()
                && include_shares.is_none()
                && !reset;
            if nothing {
                bail!("nothing to change: give --at, --on/--off, --keep-daily/--keep-weekly/--keep-monthly, --target, --include-shares or --reset");
            }
            let info = client(home)?.call(
                &Request::from(args::BackupScheduleSet {
                    app,
                    at,
                    enabled,
                    keep_daily,
                    keep_weekly,
                    keep_monthly,
                    target,
                    reset,
                    include_shares,
                }),
                |_| {},
            )?;
            (info, json || a.json)
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(s) = &info.schedule else {
        println!("No backup target yet, so no schedule: add one with `berth backup target add-folder PATH`;");
        println!("every app is then backed up daily at 03:00.");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "Every app: {}, keeping {}, to {}.",
        if s.all.enabled {
            format!("daily at {} ({})", s.all.at, info.time_zone)
        } else {
            "not on schedule".to_string()
        },
        s.all.keep,
        s.all.target.as_deref().unwrap_or("the target")
    );
    if info.apps.is_empty() {
        println!("No apps installed.");
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    let width = info
        .apps
        .iter()
        .map(|a| a.app.len())
        .max()
        .unwrap_or(3)
        .max(3);
    println!(
        "{:width$}  {:5}  {:3}  {:28}  {:10}  NEXT",
        "APP", "AT", "ON", "KEEP", "TARGET"
    );
    for a in &info.apps {
        println!(
            "{:width$}  {:5}  {:3}  {:28}  {:10}  {}{}",
            a.app,
            a.at,
            if a.enabled { "on" } else { "off" },
            a.keep.to_string(),
            a.target.as_deref().unwrap_or("-"),
            a.next_due.map(local_time).unwrap_or_else(|| "-".into()),
            if a.overridden { "  (its own)" } else { "" }
        );
    }
    let with_shares: Vec<&str> = info
        .apps
        .iter()
        .filter(|a| s.includes_shares(&a.app))
        .map(|a| a.app.as_str())
        .collect();
    if !with_shares.is_empty() {
        println!();
        println!(
            "The files of their shares are in the backups of: {}.",
            with_shares.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_text(r: &Option<BackupRun>) -> String {
    match r {
        Some(r) => local_time(r.at),
        None => "never".into(),
    }
}

pub fn status(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let o: BackupOverview = client(home)?.call(&Request::from(args::BackupStatus {}), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&o)?);
        return Ok(ExitCode::SUCCESS);
    }
    if !o.configured {
        println!("No backup target yet: add one with `berth backup target add-folder PATH`.");
    }
    if o.apps.is_empty() {
        println!("No apps installed.");
        return Ok(ExitCode::SUCCESS);
    }
    let width = o.apps.iter().map(|a| a.app.len()).max().unwrap_or(3).max(3);
    println!(
        "{:width$}  {:16}  {:16}  {:16}",
        "APP", "LAST SUCCESS", "LAST FAILURE", "NEXT DUE"
    );
    for a in &o.apps {
        println!(
            "{:width$}  {:16}  {:16}  {}",
            a.app,
            run_text(&a.last_success),
            run_text(&a.last_failure),
            match a.next_due {
                Some(t) => local_time(t),
                None => "not scheduled".into(),
            }
        );
    }
    let failures: Vec<_> = o
        .apps
        .iter()
        .filter_map(|a| {
            let f = a.last_failure.as_ref()?;
            let newer = a.last_success.as_ref().is_none_or(|s| s.at < f.at);
            newer.then_some((a, f))
        })
        .collect();
    if !failures.is_empty() {
        println!();
        for (a, f) in failures {
            println!(
                "{}: the last backup failed ({}, operation {}): {}",
                a.app,
                local_time(f.at),
                f.operation,
                f.error.as_deref().unwrap_or("no reason recorded")
            );
        }
    }
    if o.warnings > 0 {
        println!();
        for a in &o.apps {
            if let Some(w) = &a.warning {
                println!("warning: {}: {w}", a.app);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn prune(
    home: &HomeArg,
    app: Option<AppId>,
    target: Option<String>,
    json: bool,
) -> Result<ExitCode> {
    let list: Vec<Pruned> =
        client(home)?.call(&Request::from(args::BackupPrune { app, target }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for p in list {
        println!(
            "{}: {} backups kept, {} forgotten; {} of data no backup needs {}.",
            p.target,
            p.kept,
            p.forgotten.len(),
            human_bytes(p.unused_bytes),
            if p.pruned {
                "pruned (removed, or marked and removed by the next prune a day later)"
            } else {
                "left"
            }
        );
        for b in &p.forgotten {
            println!(
                "  forgot {}  {}  {}  {}",
                b.short_id, b.time, b.app, b.version
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
