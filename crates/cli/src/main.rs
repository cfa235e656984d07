//! `berth`: the command-line shell over the Berth engine. It parses
//! arguments, calls the engine and prints; it knows nothing of compose.
//!
//! Exit codes: 0 success, 1 a check found something severe, 2 unreadable or
//! invalid input.

mod compose;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Berth: one-click apps for your home server.
#[derive(Parser)]
#[command(name = "berth", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read, check and render compose files, offline (no daemon needed).
    #[command(subcommand)]
    Compose(compose::ComposeCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compose(cmd) => compose::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
