//! Backups: every app's data kept off the box in a restic-format repository
//! (deduplicated, compressed, encrypted, incremental), written in process
//! through `rustic_core`, so the standard `restic` tool can read and restore
//! it without Berth.
//!
//! This module holds the targets and their repository: where backups go
//! (a folder now — an external drive, a NAS mount; remote kinds later),
//! kept in `<home>/backup/` as root-only files (folder 0700, files 0600):
//! `targets.json` and `password`, the repositories' password, generated once.
//! What a backup of an app holds and how it is taken and restored (the app
//! stopped, a local snapshot copied, that snapshot sent; a restore fetched
//! as a local snapshot and rolled back to) is in `apps/backup.rs`, which
//! reuses the update's snapshots.

mod files;
mod repo;
pub mod retention;
pub mod schedule;
mod sftp;

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use files::{backup_path, fetch_path, list_files, BackupEntry};
pub use repo::{fetch_snapshot, list_snapshots, reach, send_snapshot, BackupInfo, Sent, APP_ROOT};
pub use sftp::{ssh_command, Endpoint};

use crate::{Error, Result};

/// Where backups go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TargetKind {
    /// A folder on this server: an external drive, a NAS mount.
    Folder { path: PathBuf },
    /// A folder on another machine over SFTP (any SSH server: a NAS, a
    /// friend's server), logged into with Berth's own key.
    #[serde(rename_all = "camelCase")]
    Sftp {
        user: String,
        host: String,
        port: u16,
        /// The repository's folder there (absolute, or relative to the
        /// user's home).
        path: String,
        /// Berth's private key (in `<home>/backup/ssh/`).
        key: PathBuf,
        /// Berth's known-hosts file for its targets.
        known_hosts: PathBuf,
    },
}

/// A configured backup target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Target {
    /// Its name (`folder` unless given).
    pub name: String,
    #[serde(flatten)]
    pub kind: TargetKind,
}

impl Target {
    /// Where it is, for people.
    pub fn location(&self) -> String {
        match &self.kind {
            TargetKind::Folder { path } => path.to_string_lossy().into_owned(),
            TargetKind::Sftp { .. } => self.endpoint().expect("sftp").location(),
        }
    }

    /// How to reach an SFTP target.
    fn endpoint(&self) -> Option<Endpoint> {
        match &self.kind {
            TargetKind::Sftp {
                user,
                host,
                port,
                path,
                key,
                known_hosts,
            } => Some(Endpoint {
                user: user.clone(),
                host: host.clone(),
                port: *port,
                path: path.clone(),
                key: key.clone(),
                known_hosts: known_hosts.clone(),
            }),
            TargetKind::Folder { .. } => None,
        }
    }
}

/// `sftp://user@host[:port]/path` (an absolute path; `/~/path` for one in
/// the user's home) or restic's `sftp:user@host:/path`, as (user, host,
/// port, path).
pub fn parse_sftp(url: &str) -> Result<(String, String, u16, String)> {
    let bad = |why: &str| Error::BadRequest {
        message: format!(
            "{url:?} is not an SFTP location ({why}): write sftp://user@host[:port]/path"
        ),
    };
    let (userhost, port, path) = if let Some(rest) = url.strip_prefix("sftp://") {
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no path after the host"))?;
        let path = match path.strip_prefix("~/") {
            Some(home) => home.to_string(),
            None => format!("/{path}"),
        };
        let (userhost, port) = match authority.rsplit_once(':') {
            Some((uh, port)) => (
                uh,
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port is not a number"))?,
            ),
            None => (authority, 22),
        };
        (userhost.to_string(), port, path)
    } else if let Some(rest) = url.strip_prefix("sftp:") {
        let (userhost, path) = rest
            .split_once(':')
            .ok_or_else(|| bad("no path after the host"))?;
        (userhost.to_string(), 22, path.to_string())
    } else {
        return Err(bad("it does not start with sftp://"));
    };
    let (user, host) = userhost
        .split_once('@')
        .ok_or_else(|| bad("no user: write user@host"))?;
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    if !plain(user) || !plain(host.trim_start_matches('[').trim_end_matches(']')) {
        return Err(bad("the user or host has characters ssh would not take"));
    }
    let path = path.trim_end_matches('/').to_string();
    if path.is_empty() || path.split('/').any(|p| p == "..") || path.contains('\0') {
        return Err(bad("the path is empty or climbs with .."));
    }
    Ok((user.to_string(), host.to_string(), port, path))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TargetsFile {
    targets: Vec<Target>,
}

/// A target just added; `password` only when it was generated now (shown
/// once: the user keeps a copy to restore without this server).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct TargetAdded {
    pub target: Target,
    /// The repository was created now (else an existing one was opened).
    pub created: bool,
    pub password: Option<String>,
    /// The file holding the password on this server.
    pub password_file: PathBuf,
}

/// The backup targets of a Berth home, and their password.
pub struct Targets {
    dir: PathBuf,
}

impl Targets {
    pub fn new(home: &Path) -> Self {
        Targets {
            dir: home.join("backup"),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.join("targets.json")
    }

    /// The file holding the repositories' password.
    pub fn password_file(&self) -> PathBuf {
        self.dir.join("password")
    }

    /// The configured targets.
    pub fn list(&self) -> Result<Vec<Target>> {
        let file = self.file();
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice::<TargetsFile>(&bytes)
                .map(|f| f.targets)
                .map_err(|e| Error::CorruptState {
                    path: file.clone(),
                    message: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(cause) => Err(Error::Read { path: file, cause }),
        }
    }

    /// The target named `name`; the only one when `None`.
    pub fn get(&self, name: Option<&str>) -> Result<Target> {
        let all = self.list()?;
        match name {
            Some(name) => all.into_iter().find(|t| t.name == name).ok_or_else(|| {
                Error::BadRequest {
                    message: format!(
                        "there is no backup target {name} (see `berth backup target list`)"
                    ),
                }
            }),
            None => match all.len() {
                0 => Err(Error::BadRequest {
                    message: "no backup target is configured: add one with `berth backup target add-folder PATH` or `add-sftp sftp://user@host/path`".into(),
                }),
                1 => Ok(all.into_iter().next().expect("one")),
                _ => Err(Error::BadRequest {
                    message: format!(
                        "several backup targets are configured ({}): name one with --target",
                        all.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                }),
            },
        }
    }

    /// The repositories' password.
    pub fn password(&self) -> Result<String> {
        let file = self.password_file();
        std::fs::read_to_string(&file)
            .map(|s| s.trim().to_string())
            .map_err(|cause| match cause.kind() {
                std::io::ErrorKind::NotFound => Error::BadRequest {
                    message: "no backup target is configured: add one with `berth backup target add-folder PATH` or `add-sftp sftp://user@host/path`".into(),
                },
                _ => Error::Read { path: file, cause },
            })
    }

    /// Adds a folder target: creates (or opens) a repository there. The
    /// password is `password` when given (to reach a repository another
    /// Berth made), else the one this home has, else a new random one.
    pub fn add_folder(
        &self,
        name: Option<&str>,
        path: &Path,
        password: Option<&str>,
    ) -> Result<TargetAdded> {
        if !path.is_absolute() {
            return Err(Error::BadRequest {
                message: format!(
                    "the backup folder must be an absolute path: {}",
                    path.display()
                ),
            });
        }
        let kind = TargetKind::Folder {
            path: path.to_path_buf(),
        };
        self.add(name.unwrap_or("folder"), kind, password, || {
            std::fs::create_dir_all(path).map_err(|cause| Error::Write {
                path: path.to_path_buf(),
                cause,
            })
        })
    }

    /// Adds an SFTP target at `url` (`sftp://user@host[:port]/path`):
    /// logs in with Berth's key (`ssh_key` makes it; the server must
    /// have it in its authorized keys), trusts the server's host key the
    /// first time, and creates (or opens) the repository there.
    pub fn add_sftp(
        &self,
        name: Option<&str>,
        url: &str,
        password: Option<&str>,
    ) -> Result<TargetAdded> {
        let (user, host, port, path) = parse_sftp(url)?;
        let kind = TargetKind::Sftp {
            user,
            host,
            port,
            path,
            key: self.ssh_dir().join("id_ed25519"),
            known_hosts: self.ssh_dir().join("known_hosts"),
        };
        self.add(name.unwrap_or("sftp"), kind, password, || {
            self.ssh_key().map(|_| ())
        })
    }

    fn ssh_dir(&self) -> PathBuf {
        self.dir.join("ssh")
    }

    /// Berth's SSH public key for SFTP targets (one line, as
    /// `authorized_keys` takes it), made with `ssh-keygen` the first time.
    pub fn ssh_key(&self) -> Result<String> {
        self.make_dir()?;
        let dir = self.ssh_dir();
        let write = |cause| Error::Write {
            path: dir.clone(),
            cause,
        };
        std::fs::create_dir_all(&dir).map_err(write)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(write)?;
        let key = dir.join("id_ed25519");
        let public = dir.join("id_ed25519.pub");
        if !key.exists() {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "server".into());
            let made = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C"])
                .arg(format!("berth@{host}"))
                .arg("-f")
                .arg(&key)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| Error::Backup {
                    message: if e.kind() == std::io::ErrorKind::NotFound {
                        "SFTP targets need the ssh client: apt install openssh-client".into()
                    } else {
                        format!("running ssh-keygen: {e}")
                    },
                })?;
            if !made.status.success() {
                return Err(Error::Backup {
                    message: format!(
                        "ssh-keygen could not make Berth's key: {}",
                        String::from_utf8_lossy(&made.stderr).trim()
                    ),
                });
            }
        }
        std::fs::read_to_string(&public)
            .map(|s| s.trim().to_string())
            .map_err(|cause| Error::Read {
                path: public,
                cause,
            })
    }

    /// Adds a target of `kind` named `name`, once `prepare` has made what
    /// it needs, and its repository opens (or is created) with the password.
    fn add(
        &self,
        name: &str,
        kind: TargetKind,
        password: Option<&str>,
        prepare: impl FnOnce() -> Result<()>,
    ) -> Result<TargetAdded> {
        let name = name.to_string();
        if !valid_target_name(&name) {
            return Err(Error::BadRequest {
                message: format!(
                    "{name:?} is not a valid target name: use letters, digits, - and _ (at most 32)"
                ),
            });
        }
        let mut all = self.list()?;
        if all.iter().any(|t| t.name == name) {
            return Err(Error::BadRequest {
                message: format!("a backup target named {name} is already configured"),
            });
        }
        self.make_dir()?;
        let existing = match std::fs::read_to_string(self.password_file()) {
            Ok(p) => Some(p.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(cause) => {
                return Err(Error::Read {
                    path: self.password_file(),
                    cause,
                })
            }
        };
        let (password, generated) = match (existing, password) {
            (Some(have), Some(given)) if have != given => {
                return Err(Error::BadRequest {
                    message: format!(
                        "this Berth already has a backup password ({}) and the one given differs; all targets share one password",
                        self.password_file().display()
                    ),
                })
            }
            (Some(have), _) => (have, false),
            (None, Some(given)) => (given.to_string(), false),
            (None, None) => (new_password()?, true),
        };
        let target = Target { name, kind };
        prepare()?;
        let created = repo::init_or_open(&target, &password)?;
        // Only once the repository opens with it is the password kept.
        write_private(&self.password_file(), password.as_bytes())?;
        all.push(target.clone());
        let json = serde_json::to_vec_pretty(&TargetsFile { targets: all }).expect("serializes");
        write_private(&self.file(), &json)?;
        Ok(TargetAdded {
            target,
            created,
            password: generated.then_some(password),
            password_file: self.password_file(),
        })
    }

    fn make_dir(&self) -> Result<()> {
        let write = |cause| Error::Write {
            path: self.dir.clone(),
            cause,
        };
        std::fs::create_dir_all(&self.dir).map_err(write)?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).map_err(write)
    }
}

fn valid_target_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// 32 random bytes, as 64 hex digits.
fn new_password() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Internal {
        message: format!("no randomness for the backup password: {e}"),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `bytes` to `path` readable by root only (0600), atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let write = |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    };
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(write)?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(write)?;
    std::fs::rename(&tmp, path).map_err(write)
}

/// A restic snapshot id (or a unique prefix of it): hex digits only.
pub fn valid_snapshot_id(id: &str) -> bool {
    (4..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("berth-backup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_folder_target_keeps_its_password_root_only_and_opens_again() {
        let home = temp("home");
        let folder = temp("repo");
        let targets = Targets::new(&home);
        assert!(targets.get(None).is_err());
        let added = targets.add_folder(None, &folder, None).unwrap();
        assert!(added.created);
        let password = added.password.clone().expect("shown once");
        assert_eq!(password.len(), 64);
        assert!(folder.join("config").is_file(), "a restic repository");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.join("backup")), 0o700);
        assert_eq!(mode(&targets.password_file()), 0o600);
        assert_eq!(mode(&home.join("backup/targets.json")), 0o600);
        assert_eq!(targets.password().unwrap(), password);
        assert_eq!(targets.get(None).unwrap().name, "folder");
        let again = targets.add_folder(None, &folder, None).unwrap_err();
        assert!(again.to_string().contains("already configured"), "{again}");

        // A second home reaches the same repository with the password...
        let other = Targets::new(&temp("home2"));
        let opened = other
            .add_folder(Some("nas"), &folder, Some(&password))
            .unwrap();
        assert!(!opened.created && opened.password.is_none());
        // ...and not without it.
        let third = Targets::new(&temp("home3"));
        let refused = third.add_folder(None, &folder, None).unwrap_err();
        assert!(refused.to_string().contains("password"), "{refused}");
        assert!(!third.password_file().exists());
        for d in [home, folder, temp("home2"), temp("home3")] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    #[test]
    fn sftp_locations_are_read_and_hostile_ones_refused() {
        let p = |u: &str| parse_sftp(u).map_err(|e| e.to_string());
        assert_eq!(
            p("sftp://backup@nas.lan:2222/volume1/berth/").unwrap(),
            (
                "backup".into(),
                "nas.lan".into(),
                2222,
                "/volume1/berth".into()
            )
        );
        assert_eq!(
            p("sftp://me@10.0.0.5/~/berth").unwrap(),
            ("me".into(), "10.0.0.5".into(), 22, "berth".into())
        );
        assert_eq!(
            p("sftp:me@nas:/srv/b").unwrap(),
            ("me".into(), "nas".into(), 22, "/srv/b".into())
        );
        for bad in [
            "sftp://nas/srv",                  // no user
            "sftp://me@nas",                   // no path
            "sftp://me@nas:x/srv",             // port
            "sftp://me@-oProxyCommand=sh/srv", // an ssh option as a host
            "sftp://-lroot@nas/srv",           // an ssh option as a user
            "sftp://me@nas/srv/../etc",        // climbing
            "/srv/backups",                    // not sftp
        ] {
            assert!(p(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn names_and_snapshot_ids_are_checked() {
        assert!(valid_target_name("nas-1"));
        assert!(!valid_target_name("../x"));
        assert!(valid_snapshot_id("1a2b3c4d"));
        assert!(!valid_snapshot_id("latest/../x"));
        let home = temp("names");
        let e = Targets::new(&home)
            .add_folder(None, Path::new("relative"), None)
            .unwrap_err();
        assert!(e.to_string().contains("absolute"), "{e}");
        let _ = std::fs::remove_dir_all(home);
    }
}
