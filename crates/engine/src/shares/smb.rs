//! Shares on the home network over SMB, with Debian's Samba. Nothing of the
//! system's own Samba is touched: Berth writes its own `smb.conf` under
//! `<home>/smb/` (with its own passdb, state, lock, pid and log folders
//! there) and runs its own `smbd` as a child of the daemon, which restarts
//! it if it dies, reloads it when the shares change and stops it with the
//! daemon.
//!
//! Who is who: the SMB login is the Berth admin's name, with a password of
//! its own (set when SMB is turned on, kept only as Samba's NT hash in the
//! passdb). Samba needs a unix account behind a login, and files written
//! over SMB must belong to the apps' PUID:PGID; so the login is mapped
//! (`username map`) to the unix user whose id is PUID — the system's own
//! user of that id when there is one, else a system user `berth-share`
//! made with that id — and every share forces that user and PGID's group.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::apps::Apps;
use crate::db::ShareRecord;
use crate::{Error, Result};

/// The port SMB clients use; Windows knows no other.
pub const DEFAULT_PORT: u16 = 445;
/// The unix user (and group) Berth makes for PUID (PGID) when the system has none.
pub const SHARE_USER: &str = "berth-share";
/// The folder of Berth's Samba under its home.
const DIR: &str = "smb";
/// The networks Samba listens on and answers: loopback and the private
/// (home network) ranges, never a public address.
const LAN: &[(&str, &str)] = &[
    ("127.0.0.0/8", "127."),
    ("10.0.0.0/8", "10."),
    ("172.16.0.0/12", "172.16.0.0/12"),
    ("192.168.0.0/16", "192.168."),
    ("169.254.0.0/16", "169.254."),
];

/// How a share is offered over SMB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum SmbAccess {
    /// Not offered.
    #[default]
    None,
    /// Offered read-only.
    Read,
    /// Offered to read and write.
    Write,
}

impl SmbAccess {
    /// As the `shares.smb` column holds it (`NULL` for none).
    pub fn from_column(value: Option<&str>) -> Self {
        match value {
            Some("read") => SmbAccess::Read,
            Some("write") => SmbAccess::Write,
            _ => SmbAccess::None,
        }
    }

    pub fn column(self) -> Option<&'static str> {
        match self {
            SmbAccess::None => None,
            SmbAccess::Read => Some("read"),
            SmbAccess::Write => Some("write"),
        }
    }
}

impl std::fmt::Display for SmbAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.column().unwrap_or("none"))
    }
}

impl std::str::FromStr for SmbAccess {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(SmbAccess::None),
            "read" => Ok(SmbAccess::Read),
            "write" => Ok(SmbAccess::Write),
            other => Err(format!(
                "{other:?} is not an SMB access: none, read or write"
            )),
        }
    }
}

/// Whether SMB is on and its port, kept in `<home>/smb/settings.json`
/// (the password is only in Samba's passdb, hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmbSettings {
    pub enabled: bool,
    pub port: u16,
}

impl Default for SmbSettings {
    fn default() -> Self {
        SmbSettings {
            enabled: false,
            port: DEFAULT_PORT,
        }
    }
}

/// SMB as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SmbStatus {
    /// Turned on by the user.
    pub enabled: bool,
    /// Berth's smbd is running.
    pub running: bool,
    pub port: u16,
    /// The name to log in with: the Berth admin's.
    pub login: Option<String>,
    /// The unix user files written over SMB belong to (its id is PUID).
    pub unix_user: Option<String>,
    pub password_set: bool,
    /// This server's name on the home network, for the addresses to type.
    pub server: String,
    /// Why it is not running while turned on, or what is missing.
    pub problem: Option<String>,
}

/// Where Berth's Samba keeps its files.
#[derive(Debug, Clone)]
pub struct SmbPaths {
    pub dir: PathBuf,
}

impl SmbPaths {
    pub fn new(home: &Path) -> Self {
        SmbPaths {
            dir: home.join(DIR),
        }
    }
    pub fn conf(&self) -> PathBuf {
        self.dir.join("smb.conf")
    }
    fn settings(&self) -> PathBuf {
        self.dir.join("settings.json")
    }
    fn users_map(&self) -> PathBuf {
        self.dir.join("users.map")
    }
    fn private(&self) -> PathBuf {
        self.dir.join("private")
    }
    fn run(&self) -> PathBuf {
        self.dir.join("run")
    }
    fn log(&self) -> PathBuf {
        self.dir.join("log")
    }
    fn folders(&self) -> [PathBuf; 7] {
        [
            self.private(),
            self.run(),
            self.log(),
            self.dir.join("state"),
            self.dir.join("lock"),
            self.dir.join("cache"),
            self.dir.join("ncalrpc"),
        ]
    }
}

/// Who Samba acts as: the login, and the unix user and group behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmbUsers {
    pub login: String,
    pub unix_user: String,
    pub unix_group: String,
}

fn smb_err(message: impl Into<String>) -> Error {
    Error::Smb {
        message: message.into(),
    }
}

/// Section names with a meaning of their own in `smb.conf`: a share of
/// that name would change Samba's settings, not be offered.
const RESERVED: &[&str] = &["global", "homes", "printers"];

fn reserved(name: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// A path Samba reads as written: no line breaks (they would end the
/// setting) and no `%` (Samba's substitutions).
fn plain(path: &str) -> bool {
    !path.chars().any(|c| c.is_control() || c == '%') && path.trim() == path
}

/// Berth's `smb.conf`: the globals (its own folders, its port, the home
/// network only, SMB2 and later, no guests) and one section per share
/// offered whose folder is there now.
pub fn render_config(
    paths: &SmbPaths,
    port: u16,
    users: &SmbUsers,
    shares: &[ShareRecord],
) -> String {
    let p = |path: PathBuf| path.to_string_lossy().into_owned();
    let interfaces: Vec<&str> = LAN.iter().map(|(net, _)| *net).collect();
    let allow: Vec<&str> = LAN.iter().map(|(_, host)| *host).collect();
    let mut conf = format!(
        "# Written by Berth; changes here are replaced. Berth's own Samba,
# apart from the system's (/etc/samba is not read).
[global]
   server role = standalone server
   workgroup = WORKGROUP
   server string = Berth
   smb ports = {port}
   interfaces = {interfaces} ::1
   bind interfaces only = yes
   hosts allow = {allow} ::1
   disable netbios = yes
   server min protocol = SMB2
   security = user
   map to guest = never
   restrict anonymous = 2
   guest account = nobody
   passdb backend = tdbsam:{passdb}
   username map = {users_map}
   private dir = {private}
   state directory = {state}
   lock directory = {lock}
   pid directory = {run}
   cache directory = {cache}
   ncalrpc dir = {ncalrpc}
   logging = file
   log file = {log}
   max log size = 1000
   load printers = no
   printing = bsd
   printcap name = /dev/null
   disable spoolss = yes
   usershare path =
   obey pam restrictions = no
   unix password sync = no
   create mask = 0664
   directory mask = 0775
",
        interfaces = interfaces.join(" "),
        allow = allow.join(" "),
        passdb = p(paths.private().join("passdb.tdb")),
        users_map = p(paths.users_map()),
        private = p(paths.private()),
        state = p(paths.dir.join("state")),
        lock = p(paths.dir.join("lock")),
        run = p(paths.run()),
        cache = p(paths.dir.join("cache")),
        ncalrpc = p(paths.dir.join("ncalrpc")),
        log = p(paths.log().join("smbd.log")),
    );
    for share in shares {
        let access = SmbAccess::from_column(share.smb.as_deref());
        if access == SmbAccess::None
            || reserved(&share.name)
            || !plain(&share.path)
            || !Path::new(&share.path).is_dir()
        {
            continue;
        }
        conf.push_str(&format!(
            "
[{name}]
   path = {path}
   read only = {read_only}
   guest ok = no
   browseable = yes
   valid users = {user}
   force user = {user}
   force group = {group}
",
            name = share.name,
            path = share.path,
            read_only = if access == SmbAccess::Read {
                "yes"
            } else {
                "no"
            },
            user = users.unix_user,
            group = users.unix_group,
        ));
    }
    conf
}

/// The first field of `getent DB KEY`: the name of a user or group id.
async fn getent(db: &str, key: &str) -> Option<String> {
    let out = Command::new("getent").args([db, key]).output().await.ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let name = line.split(':').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

async fn run_tool(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .await
        .map_err(|e| smb_err(format!("cannot run {program}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(smb_err(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The unix group of id `gid` and user of id `uid`, made (`berth-share`,
/// a system account without a home or a shell) when the system has none.
pub async fn unix_names(uid: u32, gid: u32) -> Result<(String, String)> {
    let group = match getent("group", &gid.to_string()).await {
        Some(name) => name,
        None => {
            if getent("group", SHARE_USER).await.is_some() {
                return Err(smb_err(format!(
                    "the group {SHARE_USER} exists with another id than PGID {gid}; remove it or give the apps its id"
                )));
            }
            run_tool(
                "groupadd",
                &["--system", "--gid", &gid.to_string(), SHARE_USER],
            )
            .await?;
            SHARE_USER.to_string()
        }
    };
    let user = match getent("passwd", &uid.to_string()).await {
        Some(name) => name,
        None => {
            if getent("passwd", SHARE_USER).await.is_some() {
                return Err(smb_err(format!(
                    "the user {SHARE_USER} exists with another id than PUID {uid}; remove it or give the apps its id"
                )));
            }
            run_tool(
                "useradd",
                &[
                    "--system",
                    "--uid",
                    &uid.to_string(),
                    "--gid",
                    &gid.to_string(),
                    "--no-create-home",
                    "--home-dir",
                    "/nonexistent",
                    "--shell",
                    "/usr/sbin/nologin",
                    SHARE_USER,
                ],
            )
            .await?;
            SHARE_USER.to_string()
        }
    };
    Ok((user, group))
}

/// Where a program is on `PATH` (or in the sbin folders Debian puts Samba's in).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn program(name: &str) -> Result<PathBuf> {
    find_program(name).ok_or_else(|| {
        smb_err(format!(
            "{name} is not installed; install Samba (`apt-get install samba`) and try again"
        ))
    })
}

/// The last lines of Samba's log, to say why it stopped.
fn log_tail(paths: &SmbPaths) -> String {
    let text = std::fs::read_to_string(paths.log().join("smbd.log")).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('['))
        .collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

/// The process of id `pid` if it is a Samba process of this configuration.
fn ours(pid: i32, conf: &Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmd| {
        let cmd = String::from_utf8_lossy(&cmd);
        cmd.contains(&*conf.to_string_lossy()) && (cmd.contains("smbd") || cmd.contains("samba"))
    })
}

fn pid_in(file: &Path) -> Option<i32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

fn signal(pid: i32, sig: libc::c_int) {
    // SAFETY: kill only sends a signal.
    unsafe { libc::kill(pid, sig) };
}

/// Ends the Samba processes of this configuration that a pid file names
/// (a daemon that was killed leaves its smbd; smbd leaves the RPC helper it
/// started, `samba-dcerpcd`, with its workers in its process group).
fn end_leftovers(paths: &SmbPaths) {
    let conf = paths.conf();
    for file in ["smbd.pid", "samba-dcerpcd.pid"] {
        let Some(pid) = pid_in(&paths.run().join(file)).filter(|p| *p > 1) else {
            continue;
        };
        if ours(pid, &conf) {
            // SAFETY: getpgid only reads.
            let group = unsafe { libc::getpgid(pid) };
            if group == pid {
                signal(-pid, libc::SIGTERM);
            } else {
                signal(pid, libc::SIGTERM);
            }
        }
    }
}

/// Berth's smbd while it runs.
struct Running {
    child: Child,
    port: u16,
}

/// Keeps Berth's smbd as the settings and shares say.
pub struct Smb {
    paths: SmbPaths,
    running: tokio::sync::Mutex<Option<Running>>,
    /// Why the last start failed, until one succeeds.
    problem: std::sync::Mutex<Option<String>>,
}

impl Smb {
    pub fn new(home: &Path) -> Self {
        Smb {
            paths: SmbPaths::new(home),
            running: tokio::sync::Mutex::new(None),
            problem: std::sync::Mutex::new(None),
        }
    }

    pub fn settings(&self) -> SmbSettings {
        std::fs::read(self.paths.settings())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save_settings(&self, settings: SmbSettings) -> Result<()> {
        self.prepare()?;
        let path = self.paths.settings();
        std::fs::write(
            &path,
            serde_json::to_vec(&settings).expect("settings serialize"),
        )
        .map_err(|cause| Error::Write { path, cause })
    }

    /// Its folders, owner-only.
    fn prepare(&self) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        for dir in std::iter::once(self.paths.dir.clone()).chain(self.paths.folders()) {
            let owner_only = std::fs::metadata(&dir)
                .is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o777 == 0o700);
            if owner_only {
                continue;
            }
            std::fs::create_dir_all(&dir)
                .and_then(|_| {
                    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                })
                .map_err(|cause| Error::Write { path: dir, cause })?;
        }
        Ok(())
    }

    /// Who Samba acts as for `apps`: the Berth admin's login, over the
    /// unix user of PUID (made if needed).
    async fn users(&self, apps: &Apps) -> Result<SmbUsers> {
        let login = apps.db().first_user()?.ok_or_else(|| {
            smb_err("there is no Berth account yet; create it first (open the web UI), its name is the SMB login")
        })?;
        let (unix_user, unix_group) = unix_names(apps.host().puid, apps.host().pgid).await?;
        Ok(SmbUsers {
            login,
            unix_user,
            unix_group,
        })
    }

    /// Writes the configuration and the login's mapping; true when the
    /// configuration changed.
    fn write_config(&self, apps: &Apps, port: u16, users: &SmbUsers) -> Result<bool> {
        self.prepare()?;
        let conf = render_config(&self.paths, port, users, &apps.shares()?);
        let map = format!(
            "{} = \"{}\"\n",
            users.unix_user,
            users.login.replace('"', "")
        );
        let write = |path: PathBuf, text: &str| {
            // Whole or not at all: smbd may read it at any moment.
            let next = path.with_extension("next");
            std::fs::write(&next, text)
                .and_then(|_| std::fs::rename(&next, &path))
                .map_err(|cause| Error::Write { path, cause })
        };
        // Written only when they change: this runs every few seconds, and
        // a home server's disk may be an SD card.
        let differs =
            |path: &Path, text: &str| std::fs::read_to_string(path).ok().as_deref() != Some(text);
        let changed = differs(&self.paths.conf(), &conf) || differs(&self.paths.users_map(), &map);
        if differs(&self.paths.users_map(), &map) {
            write(self.paths.users_map(), &map)?;
        }
        if differs(&self.paths.conf(), &conf) {
            write(self.paths.conf(), &conf)?;
        }
        Ok(changed)
    }

    /// Whether the passdb holds a password for `unix_user`.
    async fn password_set(&self, unix_user: &str) -> bool {
        let Ok(pdbedit) = program("pdbedit") else {
            return false;
        };
        if !self.paths.conf().is_file() {
            return false;
        }
        Command::new(pdbedit)
            .arg("-s")
            .arg(self.paths.conf())
            .arg("-L")
            .output()
            .await
            .is_ok_and(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l.split(':').next() == Some(unix_user))
            })
    }

    /// Puts `password` in the passdb for the login (as Samba's hash only).
    async fn set_password(&self, users: &SmbUsers, password: &str) -> Result<()> {
        if password.chars().count() < 8 {
            return Err(smb_err("the SMB password must have at least 8 characters"));
        }
        if password.contains(['\n', '\r', '\0']) {
            return Err(smb_err("the SMB password cannot hold a line break"));
        }
        let smbpasswd = program("smbpasswd")?;
        let mut child = Command::new(smbpasswd)
            .arg("-c")
            .arg(self.paths.conf())
            .args(["-s", "-a", &users.unix_user])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| smb_err(format!("cannot run smbpasswd: {e}")))?;
        {
            use tokio::io::AsyncWriteExt;
            let mut stdin = child.stdin.take().expect("piped");
            let twice = format!("{password}\n{password}\n");
            stdin
                .write_all(twice.as_bytes())
                .await
                .map_err(|e| smb_err(format!("cannot give smbpasswd the password: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| smb_err(format!("smbpasswd failed: {e}")))?;
        if !out.status.success() {
            return Err(smb_err(format!(
                "smbpasswd could not set the password: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }

    /// Turns SMB on (with `password` for the login, needed the first time)
    /// on `port`, or off; then brings smbd in line.
    pub async fn set(
        &self,
        apps: &Apps,
        enabled: bool,
        password: Option<&str>,
        port: Option<u16>,
    ) -> Result<()> {
        let mut settings = self.settings();
        if let Some(port) = port {
            if port == 0 {
                return Err(smb_err("the SMB port cannot be 0"));
            }
            settings.port = port;
        }
        if enabled {
            program("smbd")?;
            let users = self.users(apps).await?;
            self.write_config(apps, settings.port, &users)?;
            match password {
                Some(password) => self.set_password(&users, password).await?,
                None if !self.password_set(&users.unix_user).await => {
                    return Err(smb_err(
                        "give a password for SMB (the login is your Berth name, the password is SMB's own)",
                    ))
                }
                None => {}
            }
        }
        settings.enabled = enabled;
        self.save_settings(settings)?;
        self.apply(apps).await
    }

    /// Brings smbd in line with the settings and shares: started, restarted
    /// (a new port, or it died), reloaded (the shares changed), or stopped.
    pub async fn apply(&self, apps: &Apps) -> Result<()> {
        let settings = self.settings();
        let mut running = self.running.lock().await;
        if let Some(r) = running.as_mut() {
            let alive = matches!(r.child.try_wait(), Ok(None));
            if !alive || !settings.enabled || r.port != settings.port {
                if !alive && settings.enabled {
                    eprintln!(
                        "berth: smbd stopped unexpectedly, starting it again ({})",
                        log_tail(&self.paths)
                    );
                }
                let r = running.take().expect("checked");
                self.stop_child(r).await;
            }
        }
        if !settings.enabled {
            *self.problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Ok(());
        }
        let outcome = self
            .start_or_reload(apps, settings.port, &mut running)
            .await;
        *self.problem.lock().unwrap_or_else(|p| p.into_inner()) =
            outcome.as_ref().err().map(|e| e.to_string());
        outcome
    }

    async fn start_or_reload(
        &self,
        apps: &Apps,
        port: u16,
        running: &mut Option<Running>,
    ) -> Result<()> {
        let users = self.users(apps).await?;
        let changed = self.write_config(apps, port, &users)?;
        if let Some(r) = running.as_ref() {
            if changed {
                if let Some(pid) = r.child.id() {
                    // smbd reads its configuration again; connections stay.
                    signal(pid as i32, libc::SIGHUP);
                }
            }
            return Ok(());
        }
        end_leftovers(&self.paths);
        let smbd = program("smbd")?;
        let mut command = Command::new(smbd);
        command
            .args(["--foreground", "--no-process-group", "-s"])
            .arg(self.paths.conf())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            // A process group of its own, made here: smbd ends its whole
            // group when it stops, which must not be the daemon's.
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: prctl is async-signal-safe. smbd ends with the daemon,
        // even one that is killed.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| smb_err(format!("cannot start smbd: {e}")))?;
        let started = std::time::Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(smb_err(format!(
                    "smbd stopped at once ({status}): {}",
                    log_tail(&self.paths)
                )));
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill().await;
                return Err(smb_err(format!(
                    "smbd did not listen on port {port} within 20 seconds: {}",
                    log_tail(&self.paths)
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        *running = Some(Running { child, port });
        Ok(())
    }

    async fn stop_child(&self, mut r: Running) {
        if let Some(pid) = r.child.id() {
            // Its group: smbd and the processes serving each client.
            signal(-(pid as i32), libc::SIGTERM);
            if tokio::time::timeout(Duration::from_secs(5), r.child.wait())
                .await
                .is_err()
            {
                let _ = r.child.kill().await;
            }
        }
        end_leftovers(&self.paths);
    }

    /// Stops smbd (the daemon is stopping); the settings stay.
    pub async fn stop(&self) {
        if let Some(r) = self.running.lock().await.take() {
            self.stop_child(r).await;
        }
    }

    /// SMB as it is now.
    pub async fn status(&self, apps: &Apps) -> SmbStatus {
        let settings = self.settings();
        let running = match self.running.lock().await.as_mut() {
            Some(r) => matches!(r.child.try_wait(), Ok(None)),
            None => false,
        };
        let login = apps.db().first_user().ok().flatten();
        let unix_user = getent("passwd", &apps.host().puid.to_string()).await;
        let password_set = match &unix_user {
            Some(user) => self.password_set(user).await,
            None => false,
        };
        let problem = self
            .problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .or_else(|| program("smbd").err().map(|e| e.to_string()));
        SmbStatus {
            enabled: settings.enabled,
            running,
            port: settings.port,
            login,
            unix_user,
            password_set,
            server: apps.host().domain.clone(),
            problem,
        }
    }
}

impl Apps {
    /// Offers the share `name` over SMB as `access` (the running smbd is
    /// brought in line by the caller).
    pub fn set_share_smb(
        &self,
        name: &crate::model::ShareName,
        access: SmbAccess,
    ) -> Result<ShareRecord> {
        if access != SmbAccess::None && reserved(name.as_str()) {
            return Err(smb_err(format!(
                "Samba keeps the name {name} for its own settings; add the folder again under another name to offer it"
            )));
        }
        if !self.db().set_share_smb(name, access.column())? {
            return Err(Error::NoShare {
                name: name.to_string(),
            });
        }
        self.db().share(name)?.ok_or_else(|| Error::NoShare {
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(name: &str, path: &str, smb: Option<&str>) -> ShareRecord {
        ShareRecord {
            name: name.into(),
            path: path.into(),
            created_at: 0,
            mount: None,
            smb: smb.map(String::from),
        }
    }

    #[test]
    fn only_offered_present_plain_shares_get_a_section() {
        let paths = SmbPaths::new(Path::new("/var/lib/berth"));
        let users = SmbUsers {
            login: "anna".into(),
            unix_user: "berth-share".into(),
            unix_group: "berth-share".into(),
        };
        let here = std::env::temp_dir();
        let odd = here.join(format!("berth-smb-100%-{}", std::process::id()));
        std::fs::create_dir_all(&odd).unwrap();
        let here = here.to_str().unwrap();
        let conf = render_config(
            &paths,
            1445,
            &users,
            &[
                share("Films", here, Some("read")),
                share("Music", here, Some("write")),
                share("Hidden", here, None),
                share("Gone", "/no/such/drive", Some("write")),
                share("Odd", odd.to_str().unwrap(), Some("write")),
                share("Global", here, Some("write")),
            ],
        );
        assert!(conf.contains("smb ports = 1445"));
        assert!(conf.contains("server min protocol = SMB2"));
        assert!(conf.contains("map to guest = never"));
        assert!(conf.contains("passdb backend = tdbsam:/var/lib/berth/smb/private/passdb.tdb"));
        assert!(conf.contains("[Films]\n   path = "));
        assert!(conf.contains("read only = yes"));
        assert!(conf.contains("[Music]"));
        assert!(conf.contains("force user = berth-share"));
        for left_out in ["[Hidden]", "[Gone]", "[Odd]", "[Global]"] {
            assert!(!conf.contains(left_out), "{left_out} in {conf}");
        }
        std::fs::remove_dir(&odd).ok();
    }

    #[test]
    fn access_reads_back_from_its_column_and_its_word() {
        for a in [SmbAccess::None, SmbAccess::Read, SmbAccess::Write] {
            assert_eq!(SmbAccess::from_column(a.column()), a);
            assert_eq!(a.to_string().parse::<SmbAccess>(), Ok(a));
        }
        assert!("rw".parse::<SmbAccess>().is_err());
    }
}
