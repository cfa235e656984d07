//! `berth catalog …`: the app stores — list, add, remove, refresh, browse,
//! search, show — as a client of the daemon; `index` works offline for
//! store authors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use berth_api::{args, CatalogAppInfo, Request, StoreAppId, StoreName};
use berth_engine::catalog::{index_folder, AppSummary, RefreshOutcome, StoreInfo};
use clap::Subcommand;

use crate::daemon::{client, HomeArg};

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// The stores: the built-in one, then those added.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a store: a signed remote store's URL (with --key), a Berth store
    /// folder or .tar.gz, a CasaOS store or an Umbrel store folder.
    Add {
        location: String,
        /// The minisign public key the remote store's index is signed with.
        #[arg(long)]
        key: Option<String>,
        /// The store's name (default: from its location).
        #[arg(long)]
        name: Option<StoreName>,
    },
    /// Remove an added store (apps installed from it stay).
    Remove { name: StoreName },
    /// Fetch remote stores again (one request when unchanged), re-read local ones.
    Refresh { name: Option<StoreName> },
    /// Every app, by name.
    Apps {
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Apps matching every word, best first.
    Search {
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// One app: description, settings, permissions, resources.
    Show {
        app: StoreAppId,
        #[arg(long)]
        store: Option<StoreName>,
        #[arg(long)]
        json: bool,
    },
    /// Write a store folder's index.json (for store authors; offline).
    Index {
        folder: PathBuf,
        #[arg(long)]
        name: Option<String>,
    },
}

fn print_apps(apps: &[AppSummary], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(apps)?);
    } else if apps.is_empty() {
        println!("No apps found.");
    } else {
        for a in apps {
            println!(
                "{:<24} {:<10} {:<10} {}",
                a.id, a.version, a.store, a.tagline
            );
        }
    }
    Ok(())
}

pub fn run(home: &HomeArg, cmd: CatalogCommand) -> Result<ExitCode> {
    match cmd {
        CatalogCommand::List { json } => {
            let stores: Vec<StoreInfo> =
                client(home)?.call(&Request::from(args::CatalogStores {}), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stores)?);
            } else {
                for s in stores {
                    let state = match &s.error {
                        Some(e) => format!("cannot be read: {e}"),
                        None => format!("{} apps", s.apps),
                    };
                    println!("{:<16} {:<9} {state}  ({})", s.name, s.kind, s.location);
                    for (app, why) in &s.rejected {
                        println!("    left out {app}: {why}");
                    }
                }
            }
        }
        CatalogCommand::Add {
            location,
            key,
            name,
        } => {
            let s: StoreInfo = client(home)?.call(
                &Request::from(args::CatalogAdd {
                    location,
                    key,
                    name,
                }),
                |_| {},
            )?;
            println!("added {} ({}): {} apps", s.name, s.kind, s.apps);
            for (app, why) in &s.rejected {
                println!("    left out {app}: {why}");
            }
        }
        CatalogCommand::Remove { name } => {
            let () = client(home)?.call(
                &Request::from(args::CatalogRemove { name: name.clone() }),
                |_| {},
            )?;
            println!("removed {name}");
        }
        CatalogCommand::Refresh { name } => {
            let outcomes: Vec<RefreshOutcome> =
                client(home)?.call(&Request::from(args::CatalogRefresh { name }), |_| {})?;
            let mut failed = false;
            for o in outcomes {
                match o.error {
                    Some(e) => {
                        failed = true;
                        println!("{}: failed: {e}", o.name);
                    }
                    None => println!("{}: {} ({} apps)", o.name, o.outcome, o.apps),
                }
            }
            if failed {
                return Ok(ExitCode::from(2));
            }
        }
        CatalogCommand::Apps { category, json } => {
            let apps: Vec<AppSummary> =
                client(home)?.call(&Request::from(args::CatalogApps { category }), |_| {})?;
            print_apps(&apps, json)?;
        }
        CatalogCommand::Search { words, json } => {
            let apps: Vec<AppSummary> = client(home)?.call(
                &Request::from(args::CatalogSearch {
                    query: words.join(" "),
                }),
                |_| {},
            )?;
            print_apps(&apps, json)?;
        }
        CatalogCommand::Show { app, store, json } => {
            let info: CatalogAppInfo =
                client(home)?.call(&Request::from(args::CatalogShow { app, store }), |_| {})?;
            if json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                show(&info);
            }
        }
        CatalogCommand::Index { folder, name } => {
            let index = index_folder(&folder, name.as_deref())?;
            println!(
                "wrote {} ({} apps, sequence {}); sign it with: minisign -S -m {}",
                folder.join("index.json").display(),
                index.apps.len(),
                index.sequence,
                folder.join("index.json").display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(info: &CatalogAppInfo) {
    let m = &info.meta;
    println!("{} {} ({}/{})", m.name, m.version, info.store, m.id);
    println!("{}", m.tagline);
    if !m.description.is_empty() {
        println!("\n{}", m.description.trim());
    }
    println!();
    if !m.categories.is_empty() {
        println!("Categories:  {}", m.categories.join(", "));
    }
    if let Some(h) = &m.homepage {
        println!("Homepage:    {h}");
    }
    println!(
        "Opens:       service {} port {}{}",
        m.main.service,
        m.main.port,
        m.main.path.as_deref().unwrap_or("")
    );
    println!(
        "Permissions: {}",
        if m.permissions.is_empty() {
            "none beyond its own folder".to_string()
        } else {
            m.permissions.join(", ")
        }
    );
    let spec = |s: &berth_engine::catalog::ResourceSpec| {
        let mut parts = vec![];
        if let Some(c) = s.cpus {
            parts.push(format!("{c} CPUs"));
        }
        if let Some(mem) = &s.memory {
            parts.push(format!("{mem} memory"));
        }
        if let Some(d) = &s.disk {
            parts.push(format!("{d} disk"));
        }
        if parts.is_empty() {
            "—".to_string()
        } else {
            parts.join(", ")
        }
    };
    println!(
        "Resources:   default {}; minimum {}",
        spec(&m.resources.default),
        spec(&m.resources.minimum)
    );
    if !m.settings.is_empty() {
        println!("Settings (--set NAME=VALUE):");
        for s in &m.settings {
            let mut notes = vec![format!("{:?}", s.kind).to_lowercase()];
            if s.required {
                notes.push("required".into());
            }
            if let Some(d) = s.default.as_deref().filter(|d| !d.is_empty()) {
                notes.push(format!("default {d}"));
            }
            if !s.options.is_empty() {
                notes.push(format!("one of {}", s.options.join("|")));
            }
            if s.generate.is_some() {
                notes.push("generated if not given".into());
            }
            println!("  {:<24} {} ({})", s.name, s.label, notes.join(", "));
            if !s.description.is_empty() {
                println!("  {:<24} {}", "", s.description);
            }
        }
    }
    if !m.shares.is_empty() {
        println!("Shares it asks for (--share REQUEST=SHARE; none given: a folder of its own):");
        for r in &m.shares {
            let access = match r.access {
                berth_engine::catalog::ShareUse::Read => "reads",
                berth_engine::catalog::ShareUse::Write => "reads and writes",
            };
            println!(
                "  {:<24} {} at {} ({access}; e.g. {})",
                r.name,
                r.service_in(&m.main.service),
                r.target,
                r.share
            );
            println!("  {:<24} {}", "", r.why);
        }
    }
    if !m.release_notes.is_empty() {
        println!("\nRelease notes: {}", m.release_notes.trim());
    }
}
