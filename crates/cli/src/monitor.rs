//! What the server has and what its apps use, and what to send when asking
//! for help: `berth system`, `berth stats`, `berth diagnose`, and
//! `berth logs --grep`. Printing only; the daemon does the work.

use std::process::ExitCode;

use anyhow::{Context, Result};
use berth_api::Request;
use berth_engine::apps::{human_bytes, DiagnoseReport};
use berth_engine::lifecycle::LogEntry;
use berth_engine::metrics::{AppStats, SystemInfo, Usage};

use crate::apps::{client, HomeArg};

pub fn system(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let s: SystemInfo = client(home)?.call(&Request::System, |_| {})?;
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

pub fn stats(home: &HomeArg, app: Option<String>, json: bool) -> Result<ExitCode> {
    let all: Vec<AppStats> = client(home)?.call(&Request::Stats { app }, |_| {})?;
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
    app: String,
    service: Option<String>,
    query: String,
    tail: Option<u32>,
) -> Result<ExitCode> {
    let lines: Vec<LogEntry> = client(home)?.call(
        &Request::LogSearch {
            app,
            service,
            query,
            tail,
        },
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

pub fn diagnose(home: &HomeArg, app: String, out: Option<std::path::PathBuf>) -> Result<ExitCode> {
    let out = match out {
        Some(path) => Some(
            std::path::absolute(&path)
                .with_context(|| format!("cannot resolve {}", path.display()))?
                .to_string_lossy()
                .into_owned(),
        ),
        None => None,
    };
    let report: DiagnoseReport = client(home)?.call(&Request::Diagnose { app, out }, |_| {})?;
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
