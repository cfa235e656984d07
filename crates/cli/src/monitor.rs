//! What the server has, what its apps use and may use, and what to send
//! when asking for help: `berth system`, `berth stats`, `berth limits`,
//! `berth diagnose`, and `berth logs --grep`. Printing only; the daemon
//! does the work.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{
    args, AppDisk, AppId, AppInfo, Event, LimitsApplied, LimitsChanged, LimitsInfo, Request,
    ServiceName,
};
use berth_engine::apps::{human_bytes, DiagnoseReport};
use berth_engine::compose::{format_bytes, parse_bytes};
use berth_engine::lifecycle::LogEntry;
use berth_engine::metrics::{AppStats, SystemInfo, Usage};
use clap::Args;

use crate::daemon::{client, HomeArg, ProgressView};

#[derive(Args)]
pub struct LogsCmd {
    pub id: AppId,
    #[arg(long)]
    pub service: Option<ServiceName>,
    #[arg(long)]
    pub tail: Option<u32>,
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the lines containing this text (in any case), with their times.
    #[arg(long, conflicts_with = "follow")]
    pub grep: Option<String>,
}

pub fn logs(home: &HomeArg, cmd: LogsCmd) -> Result<ExitCode> {
    if let Some(query) = cmd.grep {
        return log_search(home, cmd.id, cmd.service, query, cmd.tail);
    }
    let mut view = ProgressView::new();
    if cmd.follow {
        // The lines come as events until the user stops it.
        let request = Request::from(args::FollowLogs {
            app: cmd.id,
            service: cmd.service,
            tail: cmd.tail,
        });
        let () = client(home)?.call(&request, |e| view.show(e))?;
    } else {
        let request = Request::from(args::Logs {
            app: cmd.id,
            service: cmd.service,
            tail: cmd.tail,
        });
        let lines: Vec<Event> = client(home)?.call(&request, |_| {})?;
        for line in lines {
            view.show(line);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn system(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let s: SystemInfo = client(home)?.call(&Request::from(args::System {}), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} — up {}", s.hostname, duration(s.uptime_seconds));
    println!("CPU     {} × {}", s.cpu.cores, s.cpu.model);
    println!(
        "Load    {:.2} {:.2} {:.2}",
        s.load.one, s.load.five, s.load.fifteen
    );
    println!(
        "Memory  {} free of {}; swap {} free of {}",
        human_bytes(s.memory.available),
        human_bytes(s.memory.total),
        human_bytes(s.memory.swap_free),
        human_bytes(s.memory.swap_total)
    );
    for d in &s.disks {
        println!(
            "Disk    {}: {} free of {} ({})",
            d.role,
            human_bytes(d.free),
            human_bytes(d.total),
            d.mount.display()
        );
    }
    println!(
        "Docker  {} (API {}), storage driver {}, {} on {} {}",
        s.docker.version,
        s.docker.api_version,
        s.docker.storage_driver,
        s.docker.root_dir.display(),
        s.docker.operating_system,
        s.docker.kernel_version
    );
    println!("Berth   {}", s.berth_version);
    Ok(ExitCode::SUCCESS)
}

fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else {
        format!("{h} h {m} min")
    }
}

fn usage_line(name: &str, u: &Usage) -> String {
    format!(
        "{name:<24} {:>7.1}%  {:>9} / {:<9}  net {:>9} in {:>9} out  disk {:>9} read {:>9} written  {} pids",
        u.cpu_percent,
        human_bytes(u.memory_used),
        human_bytes(u.memory_limit),
        human_bytes(u.net_rx),
        human_bytes(u.net_tx),
        human_bytes(u.block_read),
        human_bytes(u.block_write),
        u.pids
    )
}

pub fn stats(home: &HomeArg, app: Option<AppId>, json: bool) -> Result<ExitCode> {
    let all: Vec<AppStats> = client(home)?.call(&Request::from(args::Stats { app }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!("No apps installed.");
    }
    for a in all {
        println!("{}", usage_line(&a.app, &a.total));
        for s in a.services.iter().filter(|_| a.services.len() > 1) {
            let name = format!("  {}", s.service);
            if s.running {
                println!("{}", usage_line(&name, &s.usage));
            } else {
                println!("{name:<24} not running");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn log_search(
    home: &HomeArg,
    app: AppId,
    service: Option<ServiceName>,
    query: String,
    tail: Option<u32>,
) -> Result<ExitCode> {
    let lines: Vec<LogEntry> = client(home)?.call(
        &Request::from(args::LogSearch {
            app,
            service,
            query,
            tail,
        }),
        |_| {},
    )?;
    for l in &lines {
        println!("{}", l.to_text_line());
    }
    // Like grep: nothing found is exit code 1.
    Ok(if lines.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn diagnose(home: &HomeArg, app: AppId, out: Option<std::path::PathBuf>) -> Result<ExitCode> {
    let out = match out {
        Some(path) => Some(
            std::path::absolute(&path)
                .with_context(|| format!("cannot resolve {}", path.display()))?
                .to_string_lossy()
                .into_owned(),
        ),
        None => None,
    };
    let report: DiagnoseReport =
        client(home)?.call(&Request::from(args::Diagnose { app, out }), |_| {})?;
    println!(
        "Wrote {} ({}, secrets redacted):",
        report.path.display(),
        human_bytes(report.bytes)
    );
    for f in &report.files {
        println!("  {f}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct LimitsCmd {
    pub id: AppId,
    /// CPUs, fractional (0.5 is half a core).
    #[arg(long)]
    pub cpus: Option<f64>,
    /// Memory, e.g. 512m or 2g.
    #[arg(long)]
    pub memory: Option<String>,
    /// Memory plus swap, e.g. 1g; the same as --memory for no swap, -1 for unlimited.
    #[arg(long, allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Processes and threads.
    #[arg(long)]
    pub pids: Option<i64>,
    /// Cap the app's data folder, e.g. 10g; `none` removes the cap.
    #[arg(long)]
    pub disk: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn size(flag: &str, text: &str) -> Result<i64> {
    match parse_bytes(text) {
        Some(n) => Ok(n),
        None => bail!("--{flag} {text}: write a size like 512m or 2g"),
    }
}

fn limits_text(l: &LimitsInfo) -> String {
    let cpus = l
        .cpus
        .map(|c| format!("{c} CPUs"))
        .unwrap_or_else(|| "CPUs unlimited".into());
    let memory = l
        .memory
        .map(|m| format!("memory {}", format_bytes(m)))
        .unwrap_or_else(|| "memory unlimited".into());
    let swap = match l.memory_swap {
        Some(-1) => ", swap unlimited".to_string(),
        Some(s) => format!(", memory+swap {}", format_bytes(s)),
        None => String::new(),
    };
    let pids = l
        .pids
        .map(|p| format!("{p} processes"))
        .unwrap_or_else(|| "processes unlimited".into());
    format!("{cpus}, {memory}{swap}, {pids}")
}

fn disk_text(d: &AppDisk) -> String {
    let mut text = match d.cap {
        Some(cap) => format!(
            "data {} used of {}{}",
            human_bytes(d.used),
            human_bytes(cap),
            if d.near_full { " — nearly full" } else { "" }
        ),
        None => format!("data {} used, not capped", human_bytes(d.used)),
    };
    if let Some(note) = &d.uncapped {
        text.push_str(&format!("\n  ({note})"));
    }
    text
}

/// `berth limits ID [--cpus N] [--memory SIZE] [--memory-swap SIZE] [--pids N] [--disk SIZE|none]`:
/// shows the app's limits and disk, or changes them (CPU, memory and
/// processes live; the disk cap may restart the app, and says so).
pub fn limits(home: &HomeArg, cmd: LimitsCmd) -> Result<ExitCode> {
    let client = client(home)?;
    let memory = cmd
        .memory
        .as_deref()
        .map(|m| size("memory", m))
        .transpose()?;
    let memory_swap = match cmd.memory_swap.as_deref() {
        Some("-1") => Some(-1),
        Some(s) => Some(size("memory-swap", s)?),
        None => None,
    };
    let disk = match cmd.disk.as_deref() {
        None => None,
        Some("none" | "off") => Some(None),
        Some(d) => Some(Some(size("disk", d)? as u64)),
    };
    let changes_limits =
        cmd.cpus.is_some() || memory.is_some() || memory_swap.is_some() || cmd.pids.is_some();
    let mut said = serde_json::Map::new();
    if changes_limits {
        let changed: LimitsChanged = client.call(
            &Request::from(args::Limits {
                app: cmd.id.clone(),
                cpus: cmd.cpus,
                memory,
                memory_swap,
                pids: cmd.pids,
            }),
            |_| {},
        )?;
        if !cmd.json {
            println!("{}: {}", cmd.id, limits_text(&changed.limits));
            for (service, applied) in &changed.services {
                let what = match applied {
                    LimitsApplied::Updated => "changed live, no restart",
                    LimitsApplied::Unchanged => "already so",
                    LimitsApplied::NotCreated => "gets them when it is created",
                    LimitsApplied::NeedsRecreate => "a lifted limit applies at its next start",
                };
                println!("  {service}: {what}");
            }
        }
        said.insert("limits".into(), serde_json::to_value(&changed)?);
    }
    if let Some(bytes) = disk {
        let disk: AppDisk = client.call(
            &Request::from(args::DiskCap {
                app: cmd.id.clone(),
                bytes,
            }),
            |_| {},
        )?;
        if !cmd.json {
            println!("{}: {}", cmd.id, disk_text(&disk));
            if disk.restarted {
                println!("  (the app was stopped and started again for it)");
            }
        }
        said.insert("disk".into(), serde_json::to_value(&disk)?);
    }
    if !changes_limits && disk.is_none() {
        let app: AppInfo = client.call(
            &Request::from(args::Status {
                app: cmd.id.clone(),
            }),
            |_| {},
        )?;
        let disk: AppDisk = client.call(
            &Request::from(args::Disk {
                app: cmd.id.clone(),
            }),
            |_| {},
        )?;
        if !cmd.json {
            println!("{}: {}", cmd.id, limits_text(&app.limits));
            println!("  {}", disk_text(&disk));
        }
        said.insert("limits".into(), serde_json::to_value(app.limits)?);
        said.insert("disk".into(), serde_json::to_value(&disk)?);
    }
    if cmd.json {
        println!("{}", serde_json::to_string_pretty(&said)?);
    }
    Ok(ExitCode::SUCCESS)
}
