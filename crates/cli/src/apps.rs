//! Installed apps: `berth install`, `uninstall`, `start`/`stop`/`restart`,
//! `apps`, `status`, `secrets` and `ops`. Printing only; the daemon does
//! the work.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{
    args, ApiError, AppId, AppInfo, CatalogAppInfo, Client, ErrorCode, OperationInfo, Request,
    ShareName, StoreAppId, StoreName,
};
use berth_engine::compose::{parse_bytes, ComposeFiles};
use clap::Args;

use crate::daemon::{client, run_operation, HomeArg};

#[derive(Args)]
pub struct InstallCmd {
    /// An app of a store (by id, see `berth catalog search`), or a compose
    /// file, or a folder holding one (with its compose.override.yaml merged
    /// on top, as docker compose does).
    pub app: String,
    /// The store to take the app from (default: the first that has it).
    #[arg(long)]
    pub store: Option<StoreName>,
    /// App id (default: the store's id, or the compose project's name).
    #[arg(long)]
    pub id: Option<AppId>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    #[arg(long)]
    pub cpus: Option<f64>,
    /// e.g. 512m, 2g
    #[arg(long)]
    pub memory: Option<String>,
    #[arg(long)]
    pub pids: Option<i64>,
    /// Consent to what the app asks of the host (privileged, Docker socket, folders outside its own).
    #[arg(long)]
    pub allow_privileged: bool,
    /// Give the app a share for one of the shares it asks for (see `berth
    /// catalog show APP`), e.g. --share media=Movies; a request not given
    /// one uses an empty folder of the app's own.
    #[arg(long = "share", value_name = "REQUEST=SHARE")]
    pub shares: Vec<String>,
    /// Its name on the proxy (<name>.<domain>, <name>-<server>.local):
    /// lowercase letters, digits and `-` (default: made from its id).
    #[arg(long)]
    pub name: Option<String>,
    /// Only people logged in to Berth may open it through the proxy (leave
    /// off for apps with their own accounts and for phone apps).
    #[arg(long)]
    pub gate: bool,
    /// Do not publish its main web port on the host: open it by its name
    /// through Berth's proxy only (ports it needs for DNS, MQTT… stay).
    #[arg(long)]
    pub no_host_port: bool,
}

/// `on` or `off`, as `berth gate` takes it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// `REQUEST=SHARE` pairs as the daemon takes them.
pub fn share_choices(pairs: &[String]) -> Result<BTreeMap<String, ShareName>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((request, share)) if !request.is_empty() => {
                Ok((request.to_string(), ShareName::new(share)?))
            }
            _ => bail!("--share {pair}: write it as REQUEST=SHARE, e.g. media=Movies"),
        })
        .collect()
}

#[derive(Args)]
pub struct UninstallCmd {
    pub id: AppId,
    /// Also delete the app's data (named volumes and data folder). Needs --yes.
    #[arg(long)]
    pub purge_data: bool,
    /// Confirm --purge-data.
    #[arg(long)]
    pub yes: bool,
    /// Also delete the app's images that nothing else uses.
    #[arg(long)]
    pub remove_images: bool,
}

/// The compose file `arg` names, or the folder holding one (the daemon
/// merges its override file on top, as `docker compose` run there does).
fn compose_path(arg: &str) -> Option<PathBuf> {
    let path = PathBuf::from(arg);
    // A folder without a compose file is not an app: `arg` may be a store app's id.
    if path.is_file() || (path.is_dir() && ComposeFiles::find(&path).is_ok()) {
        return std::fs::canonicalize(path).ok();
    }
    None
}

/// The required settings the daemon said have no value (as data, in its
/// refusal), when a person at a terminal can give them.
fn missing_settings(e: &anyhow::Error) -> Option<Vec<String>> {
    match e.downcast_ref::<ApiError>() {
        Some(ApiError::Remote(f))
            if f.code == ErrorCode::SettingsMissing && std::io::stdin().is_terminal() =>
        {
            Some(f.details.missing.clone())
        }
        _ => None,
    }
}

/// Asks on the terminal for the settings named `missing`, with their
/// labels and descriptions from the store.
fn ask_missing(
    client: &Client,
    app: &StoreAppId,
    store: Option<&StoreName>,
    missing: &[String],
    settings: &mut BTreeMap<String, String>,
) -> Result<()> {
    let info: CatalogAppInfo = client.call(
        &Request::from(args::CatalogShow {
            app: app.clone(),
            store: store.cloned(),
        }),
        |_| {},
    )?;
    for name in missing {
        let setting = info.meta.settings.iter().find(|s| &s.name == name);
        let prompt = match setting {
            Some(s) if !s.description.is_empty() => format!("{} ({})", s.label, s.description),
            Some(s) => s.label.clone(),
            None => name.clone(),
        };
        let secret =
            setting.is_some_and(|s| s.kind == berth_engine::catalog::SettingKind::Password);
        let value = if secret {
            dialoguer::Password::new().with_prompt(prompt).interact()?
        } else {
            dialoguer::Input::<String>::new()
                .with_prompt(prompt)
                .interact_text()?
        };
        settings.insert(name.clone(), value);
    }
    Ok(())
}

pub fn install(home: &HomeArg, cmd: InstallCmd) -> Result<ExitCode> {
    let memory = cmd
        .memory
        .map(|m| {
            parse_bytes(&m).with_context(|| format!("--memory {m}: write a size like 512m or 2g"))
        })
        .transpose()?;
    let settings = cmd
        .settings
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--set {pair}: write it as KEY=VALUE"),
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let mut args = args::Install {
        app_id: cmd.id,
        settings,
        cpus: cmd.cpus,
        memory,
        pids: cmd.pids,
        consent: cmd.allow_privileged,
        shares: share_choices(&cmd.shares)?,
        name: cmd.name,
        gate: cmd.gate,
        no_host_port: cmd.no_host_port,
        ..Default::default()
    };
    match compose_path(&cmd.app) {
        Some(file) => args.compose_file = Some(file.to_string_lossy().into_owned()),
        None if cmd.app.contains('/')
            || cmd.app.ends_with(".yml")
            || cmd.app.ends_with(".yaml") =>
        {
            bail!("cannot read {}: no such compose file or folder", cmd.app)
        }
        None => {
            args.catalog_app = Some(StoreAppId::new(cmd.app)?);
            args.store = cmd.store;
        }
    }
    // The daemon refuses, before anything is recorded, an install whose
    // required settings have no value, and names them: ask, then again.
    match run_operation(home, Request::Install(args.clone())) {
        Err(e) => match (missing_settings(&e), args.catalog_app.clone()) {
            (Some(missing), Some(app)) if !missing.is_empty() => {
                let store = args.store.clone();
                ask_missing(
                    &client(home)?,
                    &app,
                    store.as_ref(),
                    &missing,
                    &mut args.settings,
                )?;
                run_operation(home, Request::Install(args))
            }
            _ => Err(e),
        },
        done => done,
    }
}

pub fn secrets(home: &HomeArg, id: AppId, json: bool) -> Result<ExitCode> {
    let secrets: BTreeMap<String, String> =
        client(home)?.call(&Request::from(args::Secrets { app: id.clone() }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&secrets)?);
    } else if secrets.is_empty() {
        println!("{id} has no generated secrets.");
    } else {
        for (name, value) in secrets {
            println!("{name}={value}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn uninstall(home: &HomeArg, cmd: UninstallCmd) -> Result<ExitCode> {
    if cmd.purge_data && !cmd.yes {
        bail!(
            "--purge-data deletes {}'s data for good; add --yes to confirm",
            cmd.id
        );
    }
    run_operation(
        home,
        Request::from(args::Uninstall {
            app: cmd.id,
            purge_data: cmd.purge_data,
            remove_images: cmd.remove_images,
        }),
    )
}

pub fn power(home: &HomeArg, request: Request) -> Result<ExitCode> {
    run_operation(home, request)
}

/// `berth rename APP NAME`: the app answers by `name` on the proxy from now on.
pub fn rename(home: &HomeArg, id: AppId, name: String) -> Result<ExitCode> {
    let app: AppInfo =
        client(home)?.call(&Request::from(args::Rename { app: id, name }), |_| {})?;
    println!("{} is now named {}", app.id, app.name);
    if let Some(url) = &app.open_url {
        println!("  open it at {url}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `berth gate APP on|off`: whether only people logged in to Berth may open it.
pub fn gate(home: &HomeArg, id: AppId, on: OnOff) -> Result<ExitCode> {
    let app: AppInfo = client(home)?.call(
        &Request::from(args::AppGate {
            app: id,
            gate: matches!(on, OnOff::On),
        }),
        |_| {},
    )?;
    if app.gate {
        println!("{}: only people logged in to Berth can open it now", app.id);
    } else {
        println!(
            "{}: anyone who reaches it can open it now (no login gate)",
            app.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `berth host-port APP on|off`: its main web port on the host, or not.
pub fn host_port(home: &HomeArg, id: AppId, on: OnOff) -> Result<ExitCode> {
    let code = run_operation(
        home,
        Request::from(args::AppHostPort {
            app: id.clone(),
            host_port: matches!(on, OnOff::On),
        }),
    )?;
    let app: AppInfo = client(home)?.call(&Request::from(args::Status { app: id }), |_| {})?;
    match (app.open_port, &app.open_url) {
        (Some(port), _) => println!("{}: its web page is on port {port} of this server", app.id),
        (None, Some(url)) => println!("{}: no host port; open it at {url}", app.id),
        (None, None) => println!(
            "{}: no host port; it opens by its name once Berth's proxy listens",
            app.id
        ),
    }
    Ok(code)
}

fn print_app(app: &AppInfo) {
    println!("{}  {}  ({})", app.id, app.state, app.source);
    let gate = if app.gate { ", login gate on" } else { "" };
    match &app.open_url {
        Some(url) => println!("  name {}{gate}  → {url}", app.name),
        None => println!("  name {}{gate}", app.name),
    }
    match app.open_port {
        Some(port) => println!("  web port {port} on this server"),
        None if !app.host_port => println!("  no host port: opened by its name only"),
        None => {}
    }
    if let Some(waiting) = &app.held {
        println!("  waiting for {waiting}: it starts by itself when that is back");
    }
    for s in &app.shares {
        let access = if s.read_only {
            "read-only"
        } else {
            "read-write"
        };
        println!(
            "  share {:<10} {} → {}:{} ({access})",
            s.request, s.share, s.service, s.target
        );
    }
    for s in &app.services {
        let code = s
            .exit_code
            .map(|c| format!(" (exit code {c})"))
            .unwrap_or_default();
        let why = s
            .message
            .as_ref()
            .map(|m| format!("  — {m}"))
            .unwrap_or_default();
        println!(
            "  {:<16} {:<10}{code}  {}{why}",
            s.service, s.state, s.image
        );
    }
}

pub fn apps(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let apps: Vec<AppInfo> = client(home)?.call(&Request::from(args::Apps {}), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&apps)?);
    } else if apps.is_empty() {
        println!("No apps installed.");
    } else {
        apps.iter().for_each(print_app);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(home: &HomeArg, id: AppId, json: bool) -> Result<ExitCode> {
    let app: AppInfo = client(home)?.call(&Request::from(args::Status { app: id }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&app)?);
    } else {
        print_app(&app);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn ops(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let ops: Vec<OperationInfo> =
        client(home)?.call(&Request::from(args::Ops { limit: Some(20) }), |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&ops)?);
        return Ok(ExitCode::SUCCESS);
    }
    for op in ops {
        let outcome = op.outcome.map_or("running", |o| o.as_str());
        let error = op.error.map(|e| format!(": {e}")).unwrap_or_default();
        println!(
            "{:>5}  {:<10} {:<20} {outcome}{error}",
            op.id, op.kind, op.app
        );
    }
    Ok(ExitCode::SUCCESS)
}
