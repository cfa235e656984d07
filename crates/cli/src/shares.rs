//! `berth shares`: the server's named folders (Movies, Music…) for apps.

use std::process::ExitCode;

use anyhow::Result;
use berth_api::{args, AppId, Request, ShareInfo, ShareName};
use clap::Subcommand;

use crate::daemon::{client, run_operation, HomeArg};

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
}

fn print(shares: &[ShareInfo]) {
    if shares.is_empty() {
        println!("No shares yet: `berth shares defaults` adds the usual ones.");
    }
    for s in shares {
        let state = if s.present { "" } else { "  (not there now)" };
        println!("{:<12} {}{state}", s.name, s.path);
    }
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
    }
    Ok(ExitCode::SUCCESS)
}
