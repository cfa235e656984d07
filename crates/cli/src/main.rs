//! `berth`: the command-line shell. `berth serve` runs the daemon; the other
//! app commands are its clients over the home's unix socket; `berth compose`
//! works offline. It parses arguments and prints; the engine does the work.
//!
//! Exit codes: 0 success, 1 a check found something severe, 2 unreadable or
//! invalid input, or a command that failed.

mod apps;
mod backup;
mod backup_schedule;
mod catalog;
mod compose;
mod daemon;
mod monitor;
mod proxy;
mod shares;
mod updates;

use std::process::ExitCode;

use berth_api::AppId;
use clap::{Parser, Subcommand};

/// Berth: one-click apps for your home server.
#[derive(Parser)]
#[command(name = "berth", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    home: daemon::HomeArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Berth daemon for this home (the single owner of its apps),
    /// with the web UI and HTTP API.
    Serve {
        /// Where the web UI listens: ADDR:PORT, or `none`.
        #[arg(long, default_value = berth_api::DEFAULT_LISTEN)]
        listen: String,
        /// Another name the web UI answers to (e.g. a DNS name of this
        /// server, or a reverse proxy's); repeat for more. Its own host
        /// name, `<name>.local`, its addresses and localhost always work.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_hosts: Vec<String>,
        /// Where the reverse proxy listens for HTTP (ADDR:PORT or `none`;
        /// default $BERTH_PROXY_LISTEN, else 0.0.0.0:80, skipped with a
        /// warning if it cannot be had): each app answers there by its own
        /// name, Berth itself as berth.<domain>.
        #[arg(long, value_name = "ADDR:PORT")]
        proxy_listen: Option<String>,
        /// Where the reverse proxy listens for HTTPS (ADDR:PORT or `none`;
        /// default $BERTH_PROXY_TLS_LISTEN, else 0.0.0.0:443, skipped with
        /// a warning if it cannot be had), with certificates from this
        /// server's own CA (see `berth proxy ca`).
        #[arg(long, value_name = "ADDR:PORT")]
        proxy_tls_listen: Option<String>,
        /// The domain apps are named under on the proxy (default
        /// $BERTH_PROXY_DOMAIN, else <this server's name>.local); they also
        /// answer as <app>-<server>.local.
        #[arg(long, value_name = "DOMAIN")]
        proxy_domain: Option<String>,
        #[command(flatten)]
        names: daemon::NameFlags,
    },
    /// Install an app from a store, or from a compose file.
    Install(apps::InstallCmd),
    /// App stores: list, add, remove, refresh, browse, search, show.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Shares: the server's named folders (Movies, Music…) for apps.
    #[command(subcommand)]
    Shares(shares::SharesCommand),
    /// Show the secrets Berth generated for an app.
    Secrets {
        id: AppId,
        #[arg(long)]
        json: bool,
    },
    /// List installed apps.
    Apps {
        #[arg(long)]
        json: bool,
    },
    /// Give an app another name on the proxy (<name>.<domain>); its id,
    /// data and containers stay as they are.
    Rename {
        id: AppId,
        /// Lowercase letters, digits and `-`, 1 to 63.
        #[arg(allow_hyphen_values = true)]
        name: String,
    },
    /// Turn an app's login gate on (only people logged in to Berth may
    /// open it through the proxy) or off.
    Gate {
        id: AppId,
        #[arg(value_enum)]
        on: apps::OnOff,
    },
    /// Publish an app's main web port on the host (on: open it at
    /// http://server:PORT as well as by name) or take it off (off: by its
    /// name through Berth's proxy only); its other ports stay.
    HostPort {
        id: AppId,
        #[arg(value_enum)]
        on: apps::OnOff,
    },
    /// Show one app's services.
    Status {
        id: AppId,
        #[arg(long)]
        json: bool,
    },
    /// Start an app's services.
    Start { id: AppId },
    /// Stop an app's services.
    Stop { id: AppId },
    /// Restart an app's services.
    Restart { id: AppId },
    /// Uninstall an app (its data is kept unless --purge-data --yes).
    Uninstall(apps::UninstallCmd),
    /// Show an app's logs.
    Logs(monitor::LogsCmd),
    /// Recent operations and how they ended.
    Ops {
        #[arg(long)]
        json: bool,
    },
    /// Updates available for the installed apps.
    Updates(updates::UpdatesCmd),
    /// Update an app (or --all): snapshot, pull while it runs, swap, check
    /// health; a failure puts the previous version back with its data.
    Update(updates::UpdateCmd),
    /// Return an app to a kept snapshot (its files, images and data then).
    Rollback(updates::RollbackCmd),
    /// The snapshots kept of an app (taken before each update and rollback).
    Snapshots {
        id: AppId,
        #[arg(long)]
        json: bool,
    },
    /// Images: clean up those no app needs.
    #[command(subcommand)]
    Images(updates::ImagesCommand),
    /// Backups of apps to a folder (a restic repository): targets, run, list,
    /// schedule, status, prune.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Restore an app from a backup (see `berth backup list APP`): its files,
    /// data and images then; its current state is snapshotted first and a
    /// failure puts it back. With --file: only those files or folders (see
    /// `berth backup files`), put back while the app runs.
    Restore(backup::RestoreArgs),
    /// This server: CPU, load, memory, disks, the Docker engine.
    System {
        #[arg(long)]
        json: bool,
    },
    /// What each app (or one) uses now: CPU, memory, network, disk I/O.
    Stats {
        id: Option<AppId>,
        #[arg(long)]
        json: bool,
    },
    /// Show or change an app's limits: CPU, memory and processes (live, no
    /// restart) and a cap on its data folder's disk use.
    Limits(monitor::LimitsCmd),
    /// Write an app's diagnostics bundle (compose, settings, status, logs,
    /// operations, host facts; secrets redacted) to share when asking for help.
    Diagnose {
        id: AppId,
        /// Where to write it (a .tar.gz); by default under the home's diagnostics/.
        #[arg(long, short = 'o')]
        out: Option<std::path::PathBuf>,
    },
    /// The reverse proxy's HTTPS certificate authority: show it, or make
    /// this server trust it.
    #[command(subcommand)]
    Proxy(proxy::ProxyCommand),
    /// Versions of this client and of the daemon.
    Version,
    /// Read, check and render compose files, offline (no daemon needed).
    #[command(subcommand)]
    Compose(compose::ComposeCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let home = cli.home;
    let result = match cli.command {
        Command::Serve {
            listen,
            allow_hosts,
            proxy_listen,
            proxy_domain,
            proxy_tls_listen,
            names,
        } => daemon::serve(
            &home,
            &listen,
            &allow_hosts,
            proxy_listen.as_deref(),
            proxy_domain.as_deref(),
            proxy_tls_listen.as_deref(),
            &names,
        ),
        Command::Proxy(cmd) => proxy::run(&home, cmd),
        Command::Install(cmd) => apps::install(&home, cmd),
        Command::Catalog(cmd) => catalog::run(&home, cmd),
        Command::Shares(cmd) => shares::run(&home, cmd),
        Command::Secrets { id, json } => apps::secrets(&home, id, json),
        Command::Apps { json } => apps::apps(&home, json),
        Command::Status { id, json } => apps::status(&home, id, json),
        Command::Rename { id, name } => apps::rename(&home, id, name),
        Command::Gate { id, on } => apps::gate(&home, id, on),
        Command::HostPort { id, on } => apps::host_port(&home, id, on),
        Command::Start { id } => apps::power(
            &home,
            berth_api::Request::from(berth_api::args::Start { app: id }),
        ),
        Command::Stop { id } => apps::power(
            &home,
            berth_api::Request::from(berth_api::args::Stop { app: id }),
        ),
        Command::Restart { id } => apps::power(
            &home,
            berth_api::Request::from(berth_api::args::Restart { app: id }),
        ),
        Command::Uninstall(cmd) => apps::uninstall(&home, cmd),
        Command::Logs(cmd) => monitor::logs(&home, cmd),
        Command::Ops { json } => apps::ops(&home, json),
        Command::Updates(cmd) => updates::updates(&home, cmd),
        Command::Update(cmd) => updates::update(&home, cmd),
        Command::Rollback(cmd) => updates::rollback(&home, cmd),
        Command::Snapshots { id, json } => updates::snapshots(&home, id, json),
        Command::Images(cmd) => updates::images(&home, cmd),
        Command::Backup(cmd) => backup::run(&home, cmd),
        Command::Restore(a) => backup::restore(&home, a),
        Command::System { json } => monitor::system(&home, json),
        Command::Stats { id, json } => monitor::stats(&home, id, json),
        Command::Limits(cmd) => monitor::limits(&home, cmd),
        Command::Diagnose { id, out } => monitor::diagnose(&home, id, out),
        Command::Version => daemon::version(&home),
        Command::Compose(cmd) => compose::run(cmd, home.home.clone()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
