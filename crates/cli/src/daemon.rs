//! The daemon and the way to it: `berth serve`, the home every client
//! command names, the socket client, and how a long operation's progress is
//! shown (bars for image pulls on a terminal, lines otherwise).

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use berth_api::home::{default_home, host_settings};
use berth_api::{
    args, Client, DnsOptions, Event, EventKind, OperationInfo, ProxyOptions, Request, VersionInfo,
};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Options every daemon command shares.
#[derive(Args, Clone)]
pub struct HomeArg {
    /// Berth home (default: $BERTH_HOME, /var/lib/berth as root, else $XDG_DATA_HOME/berth).
    #[arg(long, global = true)]
    pub home: Option<PathBuf>,
}

impl HomeArg {
    pub(crate) fn resolve(&self) -> Result<PathBuf> {
        match &self.home {
            Some(home) => Ok(home.clone()),
            None => Ok(default_home()?),
        }
    }
}

/// How devices learn the proxy's names, and the certificate for a real
/// domain (`berth serve` flags).
#[derive(Args, Clone, Default)]
pub struct NameFlags {
    #[command(flatten)]
    pub acme: AcmeFlags,
    /// Announce berth-<server>.local and <app>-<server>.local over mDNS:
    /// on or off (default $BERTH_MDNS, else on when the proxy listens).
    #[arg(long, value_name = "on|off")]
    pub mdns: Option<String>,
    /// Answer DNS on ADDR:PORT, UDP and TCP (default $BERTH_DNS_LISTEN,
    /// else off; port 53 for a router to use): the proxy's names answer
    /// this server's address, other names are forwarded to this machine's
    /// resolvers; private clients only.
    #[arg(long, value_name = "ADDR:PORT")]
    pub dns_listen: Option<String>,
    /// The address the DNS answerer gives for the proxy's names; repeat
    /// for IPv4 and IPv6 (default $BERTH_DNS_ADDRESS, comma-separated,
    /// else this server's address on the interface of its default route).
    #[arg(long = "dns-address", value_name = "IP")]
    pub dns_addresses: Vec<String>,
}

/// A certificate browsers trust from an ACME CA, for a real domain
/// (`berth serve` flags).
#[derive(Args, Clone, Default)]
pub struct AcmeFlags {
    /// Ask an ACME CA (Let's Encrypt unless --acme-directory) for one
    /// certificate for *.<proxy domain> and <proxy domain>, renewed by
    /// itself, with this contact address (default $BERTH_ACME_EMAIL; off
    /// when neither is set). Needs --proxy-domain set to a domain you own
    /// and --acme-dns-hook.
    #[arg(long, value_name = "EMAIL")]
    pub acme_email: Option<String>,
    /// The command that publishes the DNS-01 TXT records (default
    /// $BERTH_ACME_DNS_HOOK): run as `PATH set _acme-challenge.<domain>
    /// VALUE` before validation, `PATH unset _acme-challenge.<domain>
    /// VALUE` after; it should exit 0 once the record is published.
    #[arg(long, value_name = "PATH")]
    pub acme_dns_hook: Option<PathBuf>,
    /// The ACME directory URL (default $BERTH_ACME_DIRECTORY, else Let's
    /// Encrypt's production directory).
    #[arg(long, value_name = "URL")]
    pub acme_directory: Option<String>,
    /// PEM certificate(s) to trust for the ACME server's own HTTPS, for a
    /// private ACME server like step-ca (default $BERTH_ACME_CA_FILE, else
    /// the system's roots).
    #[arg(long, value_name = "PEM")]
    pub acme_ca_file: Option<PathBuf>,
}

/// `berth serve`: runs the daemon in the foreground until SIGINT/SIGTERM.
/// `listen` is `ADDR:PORT` for the web UI, or `none`; `allow_hosts` are
/// names it answers to besides this server's own; the reverse proxy runs
/// on `proxy_listen` (else `$BERTH_PROXY_LISTEN`, else port 80) and over
/// HTTPS on `proxy_tls_listen` (else `$BERTH_PROXY_TLS_LISTEN`, else port
/// 443), either `none`, naming apps under `proxy_domain` (else
/// `$BERTH_PROXY_DOMAIN`), its names announced and answered as
/// `name_flags` say. A default port that cannot be had is a warning;
/// an address asked for that cannot be had is an error.
pub fn serve(
    home: &HomeArg,
    listen: &str,
    allow_hosts: &[String],
    proxy_listen: Option<&str>,
    proxy_domain: Option<&str>,
    proxy_tls_listen: Option<&str>,
    name_flags: &NameFlags,
) -> Result<ExitCode> {
    let home = home.resolve()?;
    let listen = match listen {
        "none" | "off" => None,
        addr => Some(addr.parse::<std::net::SocketAddr>().with_context(|| {
            format!("--listen {addr}: write an address and port like 0.0.0.0:8420 or 127.0.0.1:8420, or none")
        })?),
    };
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let proxy_domain = proxy_domain
        .map(str::to_string)
        .or_else(|| from_env("BERTH_PROXY_DOMAIN"));
    // (address, whether it is only the default)
    let choose = |given: Option<&str>, env: &str, default: &str, option: &str| {
        let (value, optional) = match given.map(str::to_string).or_else(|| from_env(env)) {
            Some(value) => (value, false),
            None => (default.to_string(), true),
        };
        match value.trim() {
            "none" | "off" => Ok((None, optional)),
            addr => addr
                .parse::<std::net::SocketAddr>()
                .map(|a| (Some(a), optional))
                .with_context(|| {
                    format!("{option} {addr}: write an address and port like {default} or 127.0.0.1:8443, or none")
                }),
        }
    };
    let (http, http_optional) = choose(
        proxy_listen,
        "BERTH_PROXY_LISTEN",
        berth_api::DEFAULT_PROXY_LISTEN,
        "--proxy-listen",
    )?;
    let (tls, tls_optional) = choose(
        proxy_tls_listen,
        "BERTH_PROXY_TLS_LISTEN",
        berth_api::DEFAULT_PROXY_TLS_LISTEN,
        "--proxy-tls-listen",
    )?;
    let proxy = (http.is_some() || tls.is_some()).then(|| {
        let mut options = ProxyOptions::new(
            http.unwrap_or(std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
            proxy_domain.as_deref(),
        );
        options.listen = http;
        options.tls_listen = tls;
        options.listen_optional = http_optional;
        options.tls_listen_optional = tls_optional;
        options
    });
    let mut proxy = name_options(proxy, name_flags, &from_env)?;
    if let Some(acme) = acme_options(&name_flags.acme, &from_env)? {
        let domain = proxy_domain.as_deref().unwrap_or_default();
        match &mut proxy {
            Some(p) if p.tls_listen.is_some() && proxy_domain.is_some() => {
                if let Some(problem) = berth_engine::proxy::acme::domain_problem(domain) {
                    anyhow::bail!("--acme-email: {problem}");
                }
                p.acme = Some(acme);
            }
            Some(p) if p.tls_listen.is_some() => anyhow::bail!(
                "--acme-email asks for a certificate for a domain you own: set --proxy-domain (or $BERTH_PROXY_DOMAIN) to it, e.g. home.example.com"
            ),
            _ => anyhow::bail!(
                "--acme-email gets a certificate for the HTTPS proxy: start it too (--proxy-tls-listen ADDR:PORT)"
            ),
        }
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(berth_api::serve(
        &home,
        host_settings(),
        listen,
        proxy,
        allow_hosts,
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// The ACME options the flags, else the environment, give; `None` without
/// an email.
fn acme_options(
    flags: &AcmeFlags,
    from_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<berth_engine::proxy::acme::AcmeOptions>> {
    let Some(email) = flags
        .acme_email
        .clone()
        .or_else(|| from_env("BERTH_ACME_EMAIL"))
    else {
        if flags.acme_dns_hook.is_some() || flags.acme_directory.is_some() {
            anyhow::bail!("--acme-dns-hook and --acme-directory go with --acme-email EMAIL (the ACME account's contact)");
        }
        return Ok(None);
    };
    let email = email.trim().to_string();
    if !email.contains('@') || email.contains(char::is_whitespace) || email.starts_with('@') {
        anyhow::bail!("--acme-email {email}: write an email address like you@example.com");
    }
    let Some(hook) = flags
        .acme_dns_hook
        .clone()
        .or_else(|| from_env("BERTH_ACME_DNS_HOOK").map(PathBuf::from))
    else {
        anyhow::bail!("--acme-email needs --acme-dns-hook PATH: the command that publishes the _acme-challenge TXT record at your DNS provider (run as `PATH set|unset _acme-challenge.<domain> VALUE`)");
    };
    let hook = std::path::absolute(&hook)
        .with_context(|| format!("--acme-dns-hook {}", hook.display()))?;
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(&hook) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
            Ok(_) => anyhow::bail!(
                "--acme-dns-hook {}: not an executable file (chmod +x it)",
                hook.display()
            ),
            Err(e) => anyhow::bail!("--acme-dns-hook {}: {e}", hook.display()),
        }
    }
    let directory = flags
        .acme_directory
        .clone()
        .or_else(|| from_env("BERTH_ACME_DIRECTORY"))
        .unwrap_or_else(|| berth_engine::proxy::acme::LETS_ENCRYPT.to_string());
    if !directory.starts_with("https://") {
        anyhow::bail!("--acme-directory {directory}: write the ACME directory's https:// URL");
    }
    let ca_file = flags
        .acme_ca_file
        .clone()
        .or_else(|| from_env("BERTH_ACME_CA_FILE").map(PathBuf::from));
    if let Some(pem) = &ca_file {
        let text = std::fs::read_to_string(pem)
            .with_context(|| format!("--acme-ca-file {}", pem.display()))?;
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            anyhow::bail!("--acme-ca-file {}: not a PEM certificate", pem.display());
        }
    }
    Ok(Some(berth_engine::proxy::acme::AcmeOptions {
        email,
        hook,
        directory,
        ca_file,
    }))
}

/// The proxy with its names announced (mDNS) and answered (DNS) as the
/// flags, else the environment, say; both need the proxy.
fn name_options(
    proxy: Option<ProxyOptions>,
    flags: &NameFlags,
    from_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ProxyOptions>> {
    let mdns = match flags
        .mdns
        .clone()
        .or_else(|| from_env("BERTH_MDNS"))
        .as_deref()
    {
        None => None,
        Some("on" | "yes" | "true" | "1") => Some(true),
        Some("off" | "no" | "false" | "0") => Some(false),
        Some(other) => anyhow::bail!("--mdns {other}: write on or off"),
    };
    let dns_listen = flags
        .dns_listen
        .clone()
        .or_else(|| from_env("BERTH_DNS_LISTEN"))
        .filter(|v| !matches!(v.as_str(), "none" | "off"));
    let Some(mut proxy) = proxy else {
        if mdns == Some(true) {
            anyhow::bail!("--mdns on announces the reverse proxy's names: start the proxy too (--proxy-listen ADDR:PORT)");
        }
        if let Some(addr) = dns_listen {
            anyhow::bail!("--dns-listen {addr} answers the reverse proxy's names: start the proxy too (--proxy-listen ADDR:PORT)");
        }
        return Ok(None);
    };
    proxy.mdns = mdns.unwrap_or(true);
    if let Some(listen) = dns_listen {
        let listen = listen.parse::<std::net::SocketAddr>().with_context(|| {
            format!("--dns-listen {listen}: write an address and port like 0.0.0.0:53 or 192.168.1.10:53, or none")
        })?;
        let addresses = if flags.dns_addresses.is_empty() {
            from_env("BERTH_DNS_ADDRESS")
                .map(|list| list.split(',').map(|a| a.trim().to_string()).collect())
                .unwrap_or_default()
        } else {
            flags.dns_addresses.clone()
        };
        let addresses = addresses
            .iter()
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<std::net::IpAddr>().with_context(|| {
                    format!("--dns-address {a}: write an IP address like 192.168.1.10")
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let upstreams = match from_env("BERTH_DNS_UPSTREAM") {
            Some(list) => Some(
                berth_engine::proxy::dns::parse_upstreams(&list)
                    .map_err(|e| anyhow::anyhow!("BERTH_DNS_UPSTREAM: {e}"))?,
            ),
            None => None,
        };
        proxy.dns = Some(DnsOptions {
            listen,
            addresses,
            upstreams,
        });
    }
    Ok(Some(proxy))
}

pub(crate) fn client(home: &HomeArg) -> Result<Client> {
    Ok(Client::new(&home.resolve()?))
}

/// One image's pull: its bar and each layer's (done, total) bytes.
type PullBar = (ProgressBar, BTreeMap<String, (i64, i64)>);

/// Shows operation progress: bars for image pulls on a terminal, lines otherwise.
pub(crate) struct ProgressView {
    tty: bool,
    bars: MultiProgress,
    pulls: HashMap<String, PullBar>,
}

impl ProgressView {
    pub(crate) fn new() -> Self {
        ProgressView {
            tty: std::io::stderr().is_terminal(),
            bars: MultiProgress::new(),
            pulls: HashMap::new(),
        }
    }

    pub(crate) fn show(&mut self, event: Event) {
        match event.kind {
            EventKind::Accepted => {
                eprintln!("operation {} started", event.operation.unwrap_or_default())
            }
            EventKind::Step { step } => self.say(format!("- {step}")),
            EventKind::Service { service, state } => self.say(format!("  {service}: {state}")),
            EventKind::Log { service, text, .. } => println!("{service} | {text}"),
            EventKind::Finished { .. } => {}
            EventKind::Files { seen, changed } => {
                self.say(format!("  {seen} entries looked at, {changed} changed"))
            }
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

    pub(crate) fn finish(self) {
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
        op.outcome.map_or("running", |o| o.as_str()),
        op.id
    );
    Ok(ExitCode::SUCCESS)
}

pub fn version(home: &HomeArg) -> Result<ExitCode> {
    println!("berth {}", env!("CARGO_PKG_VERSION"));
    match client(home)?.call::<VersionInfo>(&Request::from(args::Version {}), |_| {}) {
        Ok(v) => println!("daemon {} (docker API {})", v.berth, v.docker_api),
        Err(e) => println!("daemon: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}
