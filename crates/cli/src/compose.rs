//! `berth compose …`: the offline compose tools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_engine::compose::{load_file, parse_bytes, LoadOptions, ServiceLimits};
use berth_engine::policy::{self, PolicyReport, Severity};
use berth_engine::rewrite::{self, PortAllocator, RenderRequest};
use clap::{Subcommand, ValueEnum};

use berth_api::home::{default_home, host_settings};

#[derive(Subcommand)]
pub enum ComposeCommand {
    /// Print the canonical model, as `docker compose config` would.
    Normalize {
        file: PathBuf,
        /// Project name (default: the file's `name:`, else its folder).
        #[arg(long, short = 'p')]
        project_name: Option<String>,
        /// Enable services of this profile (repeatable; `*` enables all).
        #[arg(long = "profile")]
        profiles: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Report what the app asks of the host; exit 1 on a severe finding.
    Check {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Rewrite the file for this host as app ID and print it (or write it with --output).
    Render {
        file: PathBuf,
        /// The app's id: lowercase letters, digits, `-`, `_`.
        #[arg(long)]
        app_id: String,
        /// A setting offered to the file's `${…}` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// CPU limit for every service, e.g. 1.5.
        #[arg(long)]
        cpus: Option<f64>,
        /// Memory limit for every service, e.g. 512m or 2g.
        #[arg(long)]
        memory: Option<String>,
        /// Process-count limit for every service.
        #[arg(long)]
        pids: Option<i64>,
        /// Consent to severe findings (privileged, Docker socket, system folders, folders outside the app).
        #[arg(long)]
        allow_privileged: bool,
        /// Write the rendered file here instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub enum Format {
    Json,
    Yaml,
    Text,
}

/// Runs a compose command; `home` is the global `--home`, used by `render`.
pub fn run(cmd: ComposeCommand, home: Option<PathBuf>) -> Result<ExitCode> {
    match cmd {
        ComposeCommand::Normalize {
            file,
            project_name,
            profiles,
            format,
        } => {
            let options = LoadOptions {
                project_name,
                profiles,
                ..LoadOptions::from_process_env()
            };
            let project = load_file(&file, &options)?;
            warn(&project.warnings);
            match format {
                Format::Yaml => print!("{}", project.to_yaml()),
                Format::Json | Format::Text => {
                    println!("{}", serde_json::to_string_pretty(&project.to_json())?)
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ComposeCommand::Check { file, format } => {
            let project = load_file(&file, &LoadOptions::from_process_env())?;
            warn(&project.warnings);
            let report = policy::check(&project, None);
            match format {
                Format::Json | Format::Yaml => {
                    println!("{}", serde_json::to_string_pretty(&report)?)
                }
                Format::Text => print_report(&file, &report),
            }
            Ok(if report.is_severe() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        ComposeCommand::Render {
            file,
            app_id,
            settings,
            cpus,
            memory,
            pids,
            allow_privileged,
            output,
        } => {
            let home = home.map_or_else(default_home, Ok)?;
            let settings = parse_settings(&settings)?;
            let memory = memory
                .map(|m| {
                    parse_bytes(&m)
                        .with_context(|| format!("--memory {m}: write a size like 512m or 2g"))
                })
                .transpose()?;
            let request = RenderRequest {
                app_id,
                home: home.clone(),
                host: host_settings(),
                settings,
                limits: ServiceLimits {
                    cpus,
                    memory,
                    pids,
                    memory_swap: None,
                },
                consent: allow_privileged,
                shares: Vec::new(),
                no_host_port: false,
            };
            let mut ports = PortAllocator::open(&home.join("ports.json"))?;
            let rendered = rewrite::render(&file, &request, &mut ports)?;
            ports.save()?;
            warn(&rendered.warnings);
            for f in rendered
                .policy
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
            {
                eprintln!("note: {}", f.message);
            }
            match output {
                Some(path) => write_atomic(&path, rendered.yaml.as_bytes())?,
                None => print!("{}", rendered.yaml),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn print_report(file: &Path, report: &PolicyReport) {
    if report.findings.is_empty() {
        println!("{}: asks nothing special of the host.", file.display());
        return;
    }
    for f in &report.findings {
        let label = match f.severity {
            Severity::Severe => "SEVERE ",
            Severity::Warning => "warning",
            Severity::Notice => "notice ",
        };
        println!("{label}  {}  ({})", f.message, f.at);
    }
    if report.is_severe() {
        println!(
            "Installing this app needs your explicit consent (render with --allow-privileged)."
        );
    }
}

fn parse_settings(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--set {pair}: write it as KEY=VALUE"),
        })
        .collect()
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
