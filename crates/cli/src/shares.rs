//! `berth shares`: the server's named folders (Movies, Music…) for apps;
//! whether the apps can use their files (and the fix, when asked); offering
//! them on the home network over SMB.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{args, AppId, OwnershipFixed, Request, ShareInfo, ShareName};
use berth_engine::shares::{ShareAccess, SmbAccess, SmbStatus};
use clap::Subcommand;

use crate::daemon::{client, run_operation, HomeArg, ProgressView};

#[derive(Subcommand)]
pub enum SharesCommand {
    /// The shares, and whether each one's folder is there now.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a share: a folder of this server (it must exist; no system
    /// folders), or without PATH a new folder under the home's shares/.
    Add {
        name: ShareName,
        path: Option<String>,
    },
    /// Forget a share (its folder and files stay).
    Remove { name: ShareName },
    /// Add the usual shares (Movies, TV, Music, Photos, Books, Documents, Downloads).
    Defaults,
    /// Give an installed app shares for the shares it asks for (REQUEST=SHARE,
    /// e.g. media=Movies); a request left out gets none. Only its services
    /// whose mounts change are re-created.
    Give {
        app: AppId,
        #[arg(value_name = "REQUEST=SHARE")]
        shares: Vec<String>,
    },
    /// Whether the apps (PUID:PGID) can read and write a share's files.
    Check {
        name: ShareName,
        #[arg(long)]
        json: bool,
    },
    /// Give every file and folder of a share to the apps' user and group
    /// (links are not followed, other disks mounted inside are left alone).
    FixOwnership {
        name: ShareName,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Offer shares on the home network over SMB.
    Smb {
        #[command(subcommand)]
        cmd: SmbCommand,
    },
}

#[derive(Subcommand)]
pub enum SmbCommand {
    /// Turn SMB sharing on; the login is your Berth name, the password is
    /// SMB's own (asked for, needed the first time).
    Enable {
        /// The port (445 by default; Windows only knows 445).
        #[arg(long)]
        port: Option<u16>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Turn SMB sharing off (smbd stops; each share's setting is kept).
    Disable,
    /// Whether SMB sharing is on, and how to reach each share.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// `berth shares smb NAME read|write|none`: how a share is offered.
    #[command(external_subcommand)]
    Share(Vec<String>),
}

fn access_words(a: &ShareAccess) -> String {
    let can = match (a.readable, a.writable) {
        (true, true) => "can read and write it",
        (true, false) => "can read it but not write to it",
        (false, _) => "cannot read it",
    };
    let sample = if a.complete {
        format!("{} entries", a.sampled)
    } else {
        format!("a sample of {} entries", a.sampled)
    };
    let above = if a.reachable {
        ""
    } else {
        "; a folder above it is closed to that user, so SMB cannot open it"
    };
    format!(
        "the apps ({}:{}) {can}; the folder belongs to {}:{} (mode {:o}); {} of {sample} are not readable and writable by the apps{above}",
        a.uid, a.gid, a.owner, a.group, a.mode, a.problems
    )
}

fn print(shares: &[ShareInfo]) {
    if shares.is_empty() {
        println!("No shares yet: `berth shares defaults` adds the usual ones.");
    }
    for s in shares {
        let state = match &s.access {
            None => "  (not there now)".to_string(),
            Some(a) if !a.ok() => "  (the apps cannot use all of it: `berth shares check`)".into(),
            Some(_) => String::new(),
        };
        let smb = match s.smb {
            SmbAccess::None => String::new(),
            other => format!("  [SMB {other}]"),
        };
        println!("{:<12} {}{state}{smb}", s.name, s.path);
    }
}

fn ask(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("{question} Add --yes to confirm (standard input is not a terminal).");
    }
    Ok(dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()?)
}

pub fn run(home: &HomeArg, cmd: SharesCommand) -> Result<ExitCode> {
    let client = client(home)?;
    match cmd {
        SharesCommand::List { json } => {
            let shares: Vec<ShareInfo> = client.call(&Request::from(args::Shares {}), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&shares)?);
            } else {
                print(&shares);
            }
        }
        SharesCommand::Add { name, path } => {
            let added: ShareInfo =
                client.call(&Request::from(args::ShareAdd { name, path }), |_| {})?;
            println!("added {} ({})", added.name, added.path);
            if let Some(a) = added.access.filter(|a| !a.ok()) {
                println!("{}", access_words(&a));
            }
        }
        SharesCommand::Remove { name } => {
            let () = client.call(
                &Request::from(args::ShareRemove { name: name.clone() }),
                |_| {},
            )?;
            println!("removed the share {name}; its folder and files are kept");
        }
        SharesCommand::Defaults => {
            let shares: Vec<ShareInfo> =
                client.call(&Request::from(args::SharesDefaults {}), |_| {})?;
            print(&shares);
        }
        SharesCommand::Give { app, shares } => {
            let shares = crate::apps::share_choices(&shares)?;
            return run_operation(home, Request::from(args::AppShares { app, shares }));
        }
        SharesCommand::Check { name, json } => {
            let share: ShareInfo = client.call(&Request::from(args::Share { name }), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&share)?);
                return Ok(ExitCode::SUCCESS);
            }
            match &share.access {
                None => println!("{}: {} is not there now", share.name, share.path),
                Some(a) => {
                    println!("{}: {}", share.name, access_words(a));
                    if !a.ok() {
                        println!("`berth shares fix-ownership {}` gives its files to the apps' user and group", share.name);
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        }
        SharesCommand::FixOwnership { name, yes } => {
            let share: ShareInfo =
                client.call(&Request::from(args::Share { name: name.clone() }), |_| {})?;
            let Some(access) = &share.access else {
                bail!("{} is not there now; plug in its drive first", share.path);
            };
            let question = format!(
                "Give every file and folder in {} to user {} and group {} (the apps' ids)? Links are changed themselves, never followed; disks mounted inside are left alone.",
                share.path, access.uid, access.gid
            );
            if !yes && !ask(&question)? {
                bail!("nothing was changed");
            }
            let mut view = ProgressView::new();
            let fixed: Result<OwnershipFixed, _> = client
                .call(&Request::from(args::ShareFixOwnership { name }), |e| {
                    view.show(e)
                });
            view.finish();
            let fixed = fixed?;
            println!(
                "{}: {} of {} entries changed{}",
                fixed.share.name,
                fixed.changed,
                fixed.seen,
                if fixed.other_filesystems > 0 {
                    format!(
                        "; {} folders on other disks left alone",
                        fixed.other_filesystems
                    )
                } else {
                    String::new()
                }
            );
        }
        SharesCommand::Smb { cmd } => return smb(&client, cmd),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_smb(status: &SmbStatus, shares: &[ShareInfo]) {
    let state = match (status.enabled, status.running) {
        (true, true) => "on",
        (true, false) => "on, but not running",
        (false, _) => "off",
    };
    println!("SMB sharing: {state} (port {})", status.port);
    if let Some(problem) = &status.problem {
        println!("problem: {problem}");
    }
    if let Some(login) = &status.login {
        println!(
            "login: {login} (SMB's own password{})",
            if status.password_set {
                ""
            } else {
                ", not set yet"
            }
        );
    }
    let port = if status.port == 445 {
        String::new()
    } else {
        format!(":{}", status.port)
    };
    for s in shares.iter().filter(|s| s.smb != SmbAccess::None) {
        let there = match &s.access {
            None => " (not there now, not offered)",
            Some(a) if !a.reachable => {
                " (a folder above it is closed to the apps' user: SMB cannot open it)"
            }
            Some(_) => "",
        };
        println!(
            "{:<12} {:<5}  \\\\{server}\\{name}  smb://{server}{port}/{name}{there}",
            s.name,
            s.smb.to_string(),
            server = status.server,
            name = s.name,
        );
    }
}

fn smb(client: &berth_api::Client, cmd: SmbCommand) -> Result<ExitCode> {
    let status: SmbStatus = match cmd {
        SmbCommand::Enable {
            port,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\n', '\r']).to_string())
            } else {
                let now: SmbStatus = client.call(&Request::from(args::Smb {}), |_| {})?;
                if now.password_set && !std::io::stdin().is_terminal() {
                    None
                } else {
                    let mut prompt = dialoguer::Password::new().with_prompt(format!(
                        "SMB password for {}",
                        now.login.as_deref().unwrap_or("the Berth admin")
                    ));
                    if now.password_set {
                        prompt = prompt.allow_empty_password(true);
                    }
                    let given = prompt
                        .with_confirmation("Again", "they differ")
                        .interact()?;
                    (!given.is_empty()).then_some(given)
                }
            };
            client.call(
                &Request::from(args::SmbSet {
                    enabled: true,
                    password,
                    port,
                }),
                |_| {},
            )?
        }
        SmbCommand::Disable => client.call(
            &Request::from(args::SmbSet {
                enabled: false,
                password: None,
                port: None,
            }),
            |_| {},
        )?,
        SmbCommand::Status { json } => {
            let status: SmbStatus = client.call(&Request::from(args::Smb {}), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(ExitCode::SUCCESS);
            }
            status
        }
        SmbCommand::Share(words) => {
            let [name, access] = words.as_slice() else {
                bail!("write `berth shares smb NAME read|write|none`");
            };
            let name: ShareName = name.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let access: SmbAccess = access
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))
                .context("berth shares smb NAME read|write|none")?;
            let share: ShareInfo =
                client.call(&Request::from(args::ShareSmb { name, access }), |_| {})?;
            println!("{}: SMB {}", share.name, share.smb);
            return Ok(ExitCode::SUCCESS);
        }
    };
    let shares: Vec<ShareInfo> = client.call(&Request::from(args::Shares {}), |_| {})?;
    print_smb(&status, &shares);
    Ok(ExitCode::SUCCESS)
}
