//! `berth proxy`: the reverse proxy's HTTPS certificate authority, which
//! devices trust once so that `https://<app>.<domain>` opens without a
//! warning. Read from the home's `tls/` folder (no daemon needed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_engine::proxy::tls::{ca_cert_path, ca_fingerprint};
use clap::Subcommand;

use crate::daemon::HomeArg;

#[derive(Subcommand)]
pub enum ProxyCommand {
    /// Where the CA certificate is and its SHA-256 fingerprint (compare it
    /// with what a device shows when it installs the certificate).
    Ca,
    /// Make this server itself trust the CA: copies it to
    /// /usr/local/share/ca-certificates/berth-<server>.crt and runs
    /// update-ca-certificates (needs root).
    Trust,
}

pub fn run(home: &HomeArg, cmd: ProxyCommand) -> Result<ExitCode> {
    let home = home.resolve()?;
    let (cert, fingerprint) = ca(&home)?;
    match cmd {
        ProxyCommand::Ca => {
            println!("{}", cert.display());
            println!("SHA-256 {fingerprint}");
            Ok(ExitCode::SUCCESS)
        }
        ProxyCommand::Trust => {
            let trusted = berth_engine::proxy::trust::trust(&home).map_err(|e| match e {
                berth_engine::Error::Write { path, cause } => anyhow::anyhow!(
                    "cannot write {} ({cause}): run this as root (sudo berth proxy trust)",
                    path.display()
                ),
                e => e.into(),
            })?;
            println!(
                "this server now trusts {} as {} (SHA-256 {fingerprint})",
                cert.display(),
                trusted.path
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn ca(home: &Path) -> Result<(PathBuf, String)> {
    let cert = ca_cert_path(home);
    match std::fs::metadata(&cert) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no HTTPS certificate authority yet: it is made when `berth serve` first starts its HTTPS proxy",
            home.display()
        ),
        Err(e) => bail!(
            "cannot read {} ({e}): run this command as the user running Berth (sudo)",
            cert.display()
        ),
    }
    let fingerprint = ca_fingerprint(home)
        .with_context(|| format!("{} is not a readable PEM certificate", cert.display()))?;
    Ok((cert, fingerprint))
}
