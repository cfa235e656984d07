//! Backups: `berth backup target add-folder|add-sftp|ssh-key|list`, `berth backup run`,
//! `berth backup list|files`, `berth restore` (an app, or files of it). Printing only; the daemon does the work.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use berth_api::{args, AppId, EventKind, Request};
use berth_engine::apps::{human_bytes, BackupReport, FilesRestored};
use berth_engine::backup::{BackupEntry, BackupInfo, Target, TargetAdded, TargetKind};
use clap::Subcommand;

use crate::daemon::{client, run_operation, HomeArg, ProgressView};

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Where backups go.
    #[command(subcommand)]
    Target(TargetCommand),
    /// Back an app up now: it is stopped while its data is copied, started
    /// again, and the copy is sent to the target.
    Run {
        id: AppId,
        /// The target (needed only when there are several).
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The backup schedule (every app daily at 03:00 by default, once a
    /// target exists); `set` changes it.
    Schedule(crate::backup_schedule::ScheduleArgs),
    /// Each app's last successful and failed backup and when the next is
    /// due; a warning for an app with no successful backup for a day while
    /// backups failed or were missed.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Forget the backups beyond the keep rules (of one app, with --app)
    /// and prune the data no backup needs any more.
    Prune {
        #[arg(long)]
        app: Option<AppId>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// What a backup of an app holds: the entries of one of its folders
    /// (its root by default: data/, volumes/, compose.yml, …). Put one back
    /// with `berth restore APP BACKUP --file PATH`.
    Files {
        id: AppId,
        /// The backup's id (or a unique prefix).
        backup: String,
        /// A folder (or file) inside the backup, e.g. data/config.
        path: Option<String>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The backups at the target (of one app, when given), newest first.
    List {
        id: Option<AppId>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TargetCommand {
    /// Add a folder (an external drive, a NAS mount) as a backup target: a
    /// restic repository is created there (or the one there opened).
    AddFolder {
        path: PathBuf,
        /// Its name (default: folder).
        #[arg(long)]
        name: Option<String>,
        /// A file holding the password of the repository already there (one
        /// another Berth made); by default a new password is generated.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Add a folder on another machine over SFTP (any SSH server: a NAS, a
    /// friend's server) as a backup target. Berth logs in with its own key
    /// (`berth backup target ssh-key` prints it: add it to the user's
    /// ~/.ssh/authorized_keys there) and trusts the server's host key the
    /// first time.
    AddSftp {
        /// sftp://user@host[:port]/path (an absolute path; /~/path for one
        /// in the user's home).
        url: String,
        /// Its name (default: sftp).
        #[arg(long)]
        name: Option<String>,
        /// A file holding the password of the repository already there (one
        /// another Berth made); by default this Berth's password is used, or
        /// a new one generated.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Berth's SSH public key for SFTP targets: the line to add to the
    /// server's ~/.ssh/authorized_keys (made the first time).
    SshKey,
    /// The backup targets.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &HomeArg, cmd: BackupCommand) -> Result<ExitCode> {
    match cmd {
        BackupCommand::Target(TargetCommand::AddFolder {
            path,
            name,
            password_file,
            json,
        }) => {
            let path = std::path::absolute(&path)
                .with_context(|| format!("the folder {}", path.display()))?;
            add_target(
                home,
                path.to_string_lossy().into_owned(),
                name,
                password_file,
                json,
            )?;
        }
        BackupCommand::Target(TargetCommand::AddSftp {
            url,
            name,
            password_file,
            json,
        }) => {
            if !url.starts_with("sftp:") {
                anyhow::bail!(
                    "{url:?} is not an SFTP location: write sftp://user@host[:port]/path"
                );
            }
            add_target(home, url, name, password_file, json)?;
        }
        BackupCommand::Target(TargetCommand::SshKey) => {
            let key: String = client(home)?.call(&Request::from(args::BackupSshKey {}), |_| {})?;
            println!("{key}");
        }
        BackupCommand::Target(TargetCommand::List { json }) => {
            let list: Vec<Target> =
                client(home)?.call(&Request::from(args::BackupTargets {}), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!(
                    "No backup target yet: add one with `berth backup target add-folder PATH`."
                );
            } else {
                for t in list {
                    let kind = match t.kind {
                        TargetKind::Folder { .. } => "folder",
                        TargetKind::Sftp { .. } => "sftp",
                    };
                    println!("{}  {kind}  {}", t.name, t.location());
                }
            }
        }
        BackupCommand::Run { id, target, json } => {
            let mut view = ProgressView::new();
            // What retention did after the backup (a line), said after the report.
            let mut retention = None;
            let result: Result<BackupReport, _> = client(home)?.call(
                &Request::from(args::Backup {
                    app: id.clone(),
                    target,
                }),
                |e| match &e.kind {
                    EventKind::Log { service, text, .. } if service == "retention" => {
                        retention = Some(text.clone())
                    }
                    _ => view.show(e),
                },
            );
            view.finish();
            let report = result?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
                return Ok(ExitCode::SUCCESS);
            }
            let b = &report.backup;
            println!(
                "Backed up {id} ({}) to {}: backup {} — {} files, {}, {} new after deduplication and compression.",
                b.version,
                report.target,
                b.short_id,
                b.files,
                human_bytes(b.bytes),
                human_bytes(b.added)
            );
            match report.consistency.as_str() {
                "stopped" => println!(
                    "{id} was stopped while its data was copied ({:.1} s) and started again.",
                    report.downtime_ms as f64 / 1000.0
                ),
                "dump" => println!(
                    "{id} kept running: its data was kept consistent by a database dump ({}), no downtime.",
                    report.dump.as_deref().unwrap_or("declared in its app.yml")
                ),
                other => println!("{id} was {other}; its data was copied as it was."),
            }
            if let Some(line) = retention {
                println!("Retention: {line}.");
            }
        }
        BackupCommand::Schedule(a) => return crate::backup_schedule::schedule(home, a),
        BackupCommand::Status { json } => return crate::backup_schedule::status(home, json),
        BackupCommand::Prune { app, target, json } => {
            return crate::backup_schedule::prune(home, app, target, json)
        }
        BackupCommand::Files {
            id,
            backup,
            path,
            target,
            json,
        } => {
            let list: Vec<BackupEntry> = client(home)?.call(
                &Request::from(args::BackupFiles {
                    app: id,
                    backup,
                    path,
                    target,
                }),
                |_| {},
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("(an empty folder)");
            } else {
                for e in list {
                    let size = match e.kind.as_str() {
                        "dir" => "-".to_string(),
                        _ => human_bytes(e.size),
                    };
                    let slash = if e.kind == "dir" { "/" } else { "" };
                    println!("{:>10}  {}{slash}", size, e.path);
                }
            }
        }
        BackupCommand::List { id, target, json } => {
            let list: Vec<BackupInfo> = client(home)?.call(
                &Request::from(args::Backups {
                    app: id.clone(),
                    target,
                }),
                |_| {},
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                match id {
                    Some(id) => println!("No backups of {id} yet (`berth backup run {id}`)."),
                    None => println!("No backups yet (`berth backup run APP`)."),
                }
            } else {
                for b in list {
                    println!(
                        "{}  {}  {}  {}  {}  {}",
                        b.short_id,
                        b.time,
                        b.app,
                        b.version,
                        human_bytes(b.bytes),
                        b.host
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `berth restore`: an app, or files of it.
#[derive(clap::Args)]
pub struct RestoreArgs {
    id: AppId,
    /// The backup's id (or a unique prefix, as `berth backup list` shows it).
    backup: String,
    /// A file or folder of the backup to put back (data/… or
    /// volumes/NAME/…), keeping what it replaces; repeatable.
    #[arg(long = "file", value_name = "PATH")]
    files: Vec<String>,
    /// Put the --file ones into this new or empty folder instead (any
    /// path of the backup, the app untouched).
    #[arg(long, value_name = "FOLDER")]
    to: Option<PathBuf>,
    #[arg(long)]
    target: Option<String>,
    /// Also put the files of the app's shares back (from a backup that
    /// holds them) into the shares of the same names.
    #[arg(long)]
    shares: bool,
    /// With --file: what was put back, as JSON.
    #[arg(long)]
    json: bool,
}

/// `berth restore APP BACKUP [--shares]`, or `--file PATH... [--to DIR]`.
pub fn restore(home: &HomeArg, a: RestoreArgs) -> Result<ExitCode> {
    let RestoreArgs {
        id,
        backup,
        files,
        to,
        target,
        shares,
        json,
    } = a;
    if files.is_empty() {
        if to.is_some() {
            anyhow::bail!("--to goes with --file: name the files or folders of the backup to put there (`berth backup files {id} {backup}`)");
        }
        return restore_app(home, id, backup, target, shares);
    }
    if shares {
        anyhow::bail!("--shares restores a whole app's shares: use it without --file");
    }
    let to = to
        .map(|p| std::path::absolute(&p).with_context(|| format!("{}", p.display())))
        .transpose()?;
    let mut view = ProgressView::new();
    let result: Result<FilesRestored, _> = client(home)?.call(
        &Request::from(args::RestoreFiles {
            app: id.clone(),
            backup,
            paths: files,
            to: to.map(|p| p.display().to_string()),
            target,
        }),
        |e| view.show(e),
    );
    view.finish();
    let report = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Put back {} file(s), {}, from backup {} into {}.",
        report.files,
        human_bytes(report.bytes),
        report.backup,
        report.to
    );
    if let Some(kept) = &report.kept_in {
        println!(
            "{} file(s) there were replaced; they are kept in {kept}.",
            report.replaced
        );
    }
    if report.skipped > 0 {
        println!(
            "{} device(s), socket(s) or pipe(s) were not put back.",
            report.skipped
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `berth restore APP BACKUP`: the whole app.
fn restore_app(
    home: &HomeArg,
    id: AppId,
    backup: String,
    target: Option<String>,
    shares: bool,
) -> Result<ExitCode> {
    run_operation(
        home,
        Request::from(args::Restore {
            app: id,
            backup,
            target,
            shares,
        }),
    )
}

/// Adds a target at `place` (a folder's absolute path or an SFTP URL) and
/// says what was made, with the password the first time.
fn add_target(
    home: &HomeArg,
    place: String,
    name: Option<String>,
    password_file: Option<PathBuf>,
    json: bool,
) -> Result<()> {
    let password = password_file
        .map(|f| {
            std::fs::read_to_string(&f)
                .map(|p| p.trim().to_string())
                .with_context(|| format!("reading the password file {}", f.display()))
        })
        .transpose()?;
    let added: TargetAdded = client(home)?.call(
        &Request::from(args::BackupTargetAdd {
            path: place,
            name,
            password,
        }),
        |_| {},
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&added)?);
        return Ok(());
    }
    println!(
        "Backup target {} added: {} ({} restic repository).",
        added.target.name,
        added.target.location(),
        if added.created {
            "a new"
        } else {
            "an existing"
        }
    );
    if let Some(password) = &added.password {
        println!();
        println!("The repository's password (shown only now):");
        println!();
        println!("    {password}");
        println!();
        println!("Keep a copy somewhere other than this server: without it no one can restore");
        println!(
            "these backups, with Berth or with restic. This server keeps it in {} (root only).",
            added.password_file.display()
        );
    }
    Ok(())
}
