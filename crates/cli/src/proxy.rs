//! `berth proxy`: the reverse proxy's HTTPS certificate authority, which
//! devices trust once so that `https://<app>.<domain>` opens without a
//! warning. Read from the home's `tls/` folder (no daemon needed); `berth
//! proxy status` asks the daemon which certificates are in use (the local
//! CA's, and the ACME certificate's state).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use berth_api::{args, Request};
use berth_engine::metrics::SystemInfo;
use berth_engine::proxy::tls::{ca_cert_path, ca_fingerprint};
use clap::Subcommand;

use crate::daemon::HomeArg;

#[derive(Subcommand)]
pub enum ProxyCommand {
    /// Where the CA certificate is and its SHA-256 fingerprint (compare it
    /// with what a device shows when it installs the certificate).
    Ca,
    /// The HTTPS certificates in use: the local CA's fingerprint and, with
    /// `berth serve --acme-email`, the ACME certificate's state (issued,
    /// expiry, the last error). Asks the running daemon.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Make this server itself trust the CA: copies it to
    /// /usr/local/share/ca-certificates/berth-<server>.crt and runs
    /// update-ca-certificates (needs root).
    Trust,
}

pub fn run(home: &HomeArg, cmd: ProxyCommand) -> Result<ExitCode> {
    if let ProxyCommand::Status { json } = cmd {
        return status(home, json);
    }
    let home = home.resolve()?;
    let (cert, fingerprint) = ca(&home)?;
    match cmd {
        ProxyCommand::Status { .. } => unreachable!("answered above"),
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

fn status(home: &HomeArg, json: bool) -> Result<ExitCode> {
    let info: SystemInfo = crate::daemon::client(home)?
        .call(&Request::from(args::System {}), |_| {})
        .context("cannot ask the daemon (is `berth serve` running?)")?;
    if json {
        let value = serde_json::json!({
            "caFingerprint": info.ca_fingerprint,
            "acme": info.acme,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &info.ca_fingerprint {
        Some(f) => println!("local CA: SHA-256 {f}"),
        None => println!("local CA: none yet (made when the HTTPS proxy first starts)"),
    }
    let Some(acme) = info.acme else {
        println!("ACME: off (berth serve --acme-email EMAIL --acme-dns-hook PATH with --proxy-domain set to your domain)");
        return Ok(ExitCode::SUCCESS);
    };
    println!("ACME: {} from {}", acme.names.join(" and "), acme.directory);
    match (&acme.issued, &acme.expires) {
        (true, Some(expires)) => println!(
            "  certificate: issued, expires {expires}{}",
            acme.renews
                .as_ref()
                .map(|r| format!(", renewed from {r}"))
                .unwrap_or_default()
        ),
        _ => println!("  certificate: none yet (the local CA's certificates are served meanwhile)"),
    }
    if acme.working {
        println!("  asking the ACME CA now");
    }
    if let Some(error) = &acme.last_error {
        println!("  last error: {error}");
    }
    if let Some(at) = &acme.last_attempt {
        println!("  last attempt: {at}");
    }
    if let Some(at) = &acme.next_attempt {
        println!("  next attempt: {at}");
    }
    Ok(ExitCode::SUCCESS)
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
