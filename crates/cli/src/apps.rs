//! The daemon and its clients: `berth serve` and the commands that talk to
//! it over `<home>/berth.sock`. Printing only; the daemon does the work.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{
    AppInfo, CatalogAppInfo, Client, Event, EventKind, InstallArgs, OperationInfo, Request,
    VersionInfo,
};
use berth_engine::compose::parse_bytes;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use berth_api::home::{default_home, host_settings};

/// Options every daemon command shares.
#[derive(Args, Clone)]
pub struct HomeArg {
    /// Berth home (default: $BERTH_HOME, /var/lib/berth as root, else $XDG_DATA_HOME/berth).
    #[arg(long, global = true)]
    pub home: Option<PathBuf>,
}

impl HomeArg {
    fn resolve(&self) -> Result<PathBuf> {
        match &self.home {
            Some(home) => Ok(home.clone()),
            None => Ok(default_home()?),
        }
    }
}

#[derive(Args)]
pub struct InstallCmd {
    /// An app of a store (by id, see `berth catalog search`), or a compose
    /// file or a folder holding one.
    pub app: String,
    /// The store to take the app from (default: the first that has it).
    #[arg(long)]
    pub store: Option<String>,
    /// App id (default: the store's id, or the compose project's name).
    #[arg(long)]
    pub id: Option<String>,
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
}

#[derive(Args)]
pub struct UninstallCmd {
    pub id: String,
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

#[derive(Args)]
pub struct LogsCmd {
    pub id: String,
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub tail: Option<u32>,
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Only the lines containing this text (in any case), with their times.
    #[arg(long, conflicts_with = "follow")]
    pub grep: Option<String>,
}

/// `berth serve`: runs the daemon in the foreground until SIGINT/SIGTERM.
/// `listen` is `ADDR:PORT` for the web UI, or `none`; `allow_hosts` are
/// names it answers to besides this server's own.
pub fn serve(home: &HomeArg, listen: &str, allow_hosts: &[String]) -> Result<ExitCode> {
    let home = home.resolve()?;
    let listen = match listen {
        "none" | "off" => None,
        addr => Some(addr.parse::<std::net::SocketAddr>().with_context(|| {
            format!("--listen {addr}: write an address and port like 0.0.0.0:8420 or 127.0.0.1:8420, or none")
        })?),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(berth_api::serve(
        &home,
        host_settings(),
        listen,
        allow_hosts,
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn client(home: &HomeArg) -> Result<Client> {
    Ok(Client::new(&home.resolve()?))
}

/// One image's pull: its bar and each layer's (done, total) bytes.
type PullBar = (ProgressBar, BTreeMap<String, (i64, i64)>);

/// Shows operation progress: bars for image pulls on a terminal, lines otherwise.
struct ProgressView {
    tty: bool,
    bars: MultiProgress,
    pulls: HashMap<String, PullBar>,
}

impl ProgressView {
    fn new() -> Self {
        ProgressView {
            tty: std::io::stderr().is_terminal(),
            bars: MultiProgress::new(),
            pulls: HashMap::new(),
        }
    }

    fn show(&mut self, event: Event) {
        match event.kind {
            EventKind::Accepted => {
                eprintln!("operation {} started", event.operation.unwrap_or_default())
            }
            EventKind::Step { step } => self.say(format!("- {step}")),
            EventKind::Service { service, state } => self.say(format!("  {service}: {state}")),
            EventKind::Log { service, text, .. } => println!("{service} | {text}"),
            EventKind::Finished { .. } => {}
            EventKind::Pull {
                image,
                layer,
                current,
                total,
            } => {
                let (Some(layer), Some(total)) = (layer, total) else {
                    return;
                };
                let tty = self.tty;
                let bars = &self.bars;
                let (bar, layers) = self.pulls.entry(image.clone()).or_insert_with(|| {
                    let bar = if tty {
                        bars.add(ProgressBar::new(0))
                    } else {
                        ProgressBar::hidden()
                    };
                    bar.set_style(
                        ProgressStyle::with_template("  {msg} {bar:30} {bytes}/{total_bytes}")
                            .expect("a valid template"),
                    );
                    bar.set_message(image.clone());
                    (bar, BTreeMap::new())
                });
                layers.insert(layer, (current.unwrap_or(total), total));
                let (done, all) = layers
                    .values()
                    .fold((0, 0), |(d, a), (c, t)| (d + c, a + t));
                bar.set_length(all as u64);
                bar.set_position(done as u64);
                if !tty && done == all {
                    eprintln!("  pulled {image}: {all} bytes");
                }
            }
        }
    }

    fn say(&self, line: String) {
        if self.tty {
            let _ = self.bars.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(self) {
        for (bar, _) in self.pulls.values() {
            bar.finish();
        }
    }
}

pub(crate) fn run_operation(home: &HomeArg, request: Request) -> Result<ExitCode> {
    let mut view = ProgressView::new();
    let result: Result<OperationInfo, _> = client(home)?.call(&request, |e| view.show(e));
    view.finish();
    let op = result?;
    println!(
        "{} {}: {} (operation {})",
        op.kind,
        op.app,
        op.outcome.as_deref().unwrap_or("running"),
        op.id
    );
    Ok(ExitCode::SUCCESS)
}

/// The compose file `arg` names, if it names a file or a folder holding one.
fn compose_path(arg: &str) -> Option<PathBuf> {
    let path = PathBuf::from(arg);
    if path.is_file() {
        return std::fs::canonicalize(path).ok();
    }
    if path.is_dir() {
        return [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yaml",
            "docker-compose.yml",
        ]
        .iter()
        .map(|f| path.join(f))
        .find(|f| f.is_file())
        .and_then(|f| std::fs::canonicalize(f).ok());
    }
    None
}

/// Asks on the terminal for the required settings `settings` lacks (those
/// without a default or a generated value); elsewhere the daemon's error
/// names them.
fn ask_missing(
    client: &Client,
    app: &str,
    store: Option<&str>,
    settings: &mut BTreeMap<String, String>,
) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        return Ok(());
    }
    let info: CatalogAppInfo = client.call(
        &Request::CatalogShow {
            app: app.to_string(),
            store: store.map(str::to_string),
        },
        |_| {},
    )?;
    for s in &info.meta.settings {
        let has_value = settings.contains_key(&s.name)
            || s.generate.is_some()
            || s.default.as_deref().is_some_and(|d| !d.is_empty());
        if !s.required || has_value {
            continue;
        }
        let prompt = if s.description.is_empty() {
            s.label.clone()
        } else {
            format!("{} ({})", s.label, s.description)
        };
        let value = if s.kind == berth_engine::catalog::SettingKind::Password {
            dialoguer::Password::new().with_prompt(prompt).interact()?
        } else {
            dialoguer::Input::<String>::new()
                .with_prompt(prompt)
                .interact_text()?
        };
        settings.insert(s.name.clone(), value);
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
    let mut args = InstallArgs {
        app_id: cmd.id,
        settings,
        cpus: cmd.cpus,
        memory,
        pids: cmd.pids,
        consent: cmd.allow_privileged,
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
            ask_missing(
                &client(home)?,
                &cmd.app,
                cmd.store.as_deref(),
                &mut args.settings,
            )?;
            args.catalog_app = Some(cmd.app);
            args.store = cmd.store;
        }
    }
    run_operation(home, Request::Install(args))
}

pub fn secrets(home: &HomeArg, id: String, json: bool) -> Result<ExitCode> {
    let secrets: BTreeMap<String, String> =
        client(home)?.call(&Request::Secrets { app: id.clone() }, |_| {})?;
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
        Request::Uninstall {
            app: cmd.id,
            purge_data: cmd.purge_data,
            remove_images: cmd.remove_images,
        },
    )
}

pub fn power(home: &HomeArg, request: Request) -> Result<ExitCode> {
    run_operation(home, request)
}

fn print_app(app: &AppInfo) {
    println!("{}  {}  ({})", app.id, app.state, app.source);
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
    let apps: Vec<AppInfo> = client(home)?.call(&Request::Apps, |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&apps)?);
    } else if apps.is_empty() {
        println!("No apps installed.");
    } else {
        apps.iter().for_each(print_app);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn status(home: &HomeArg, id: String, json: bool) -> Result<ExitCode> {
    let app: AppInfo = client(home)?.call(&Request::Status { app: id }, |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&app)?);
    } else {
        print_app(&app);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn logs(home: &HomeArg, cmd: LogsCmd) -> Result<ExitCode> {
    if let Some(query) = cmd.grep {
        return crate::monitor::log_search(home, cmd.id, cmd.service, query, cmd.tail);
    }
    let request = Request::Logs {
        app: cmd.id,
        service: cmd.service,
        tail: cmd.tail,
        follow: cmd.follow,
    };
    let mut view = ProgressView::new();
    let () = client(home)?.call(&request, |e| view.show(e))?;
    Ok(ExitCode::SUCCESS)
}

pub fn ops(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let ops: Vec<OperationInfo> = client(home)?.call(&Request::Ops { limit: Some(20) }, |_| {})?;
    if json {
        println!("{}", serde_json::to_string_pretty(&ops)?);
        return Ok(ExitCode::SUCCESS);
    }
    for op in ops {
        let outcome = op.outcome.as_deref().unwrap_or("running");
        let error = op.error.map(|e| format!(": {e}")).unwrap_or_default();
        println!(
            "{:>5}  {:<10} {:<20} {outcome}{error}",
            op.id, op.kind, op.app
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn version(home: &HomeArg) -> Result<ExitCode> {
    println!("berth {}", env!("CARGO_PKG_VERSION"));
    match client(home)?.call::<VersionInfo>(&Request::Version, |_| {}) {
        Ok(v) => println!("daemon {} (docker API {})", v.berth, v.docker_api),
        Err(e) => println!("daemon: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
