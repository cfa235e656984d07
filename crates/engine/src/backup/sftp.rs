//! The SFTP target: a restic repository on another machine (a NAS, a friend's
//! server), reached through the system's `ssh` client with Berth's own key
//! and known-hosts file (`<home>/backup/ssh/`), spoken to with
//! `openssh-sftp-client`. It is the same layout restic's own SFTP backend
//! writes, so `restic -r sftp:user@host:/path` reads it.
//!
//! rustic_core calls backends from its own threads (blocking); each call is
//! run to its end on this backend's small tokio runtime. Files are written
//! under a temporary name and renamed into place, so a crash or a dropped
//! connection never leaves a truncated file under a real name.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use openssh_sftp_client::{Sftp, SftpOptions};
use rustic_core::{
    BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend,
    ALL_FILE_TYPES,
};
use tokio::io::AsyncReadExt;
use tokio::runtime::Runtime;

/// Where a repository is and how to get in.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub user: String,
    pub host: String,
    pub port: u16,
    /// The repository's folder on the server (absolute, or relative to the
    /// user's home there).
    pub path: String,
    /// The private key Berth logs in with.
    pub key: PathBuf,
    /// Berth's own known-hosts file: a server's key is trusted the first
    /// time and must not change afterwards.
    pub known_hosts: PathBuf,
}

impl Endpoint {
    /// `sftp:user@host:port/path`, for people (and close to restic's form).
    pub fn location(&self) -> String {
        format!(
            "sftp:{}@{}:{}{}{}",
            self.user,
            self.host,
            self.port,
            if self.path.starts_with('/') {
                ""
            } else {
                "/~/"
            },
            self.path
        )
    }
}

/// A connected SFTP repository.
pub struct SftpBackend {
    endpoint: Endpoint,
    sftp: Arc<Sftp>,
    runtime: Runtime,
    /// The `ssh` process carrying the session (killed when dropped).
    _ssh: tokio::process::Child,
}

impl std::fmt::Debug for SftpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpBackend")
            .field("location", &self.endpoint.location())
            .finish_non_exhaustive()
    }
}

fn backend_error(
    what: &str,
    path: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Box<RusticError> {
    RusticError::with_source(ErrorKind::Backend, format!("SFTP: {what} {path}"), e)
}

/// The `ssh` command line that opens the `sftp` subsystem: batch mode (no
/// prompt ever), Berth's key only, Berth's known hosts (new servers are
/// trusted the first time, a changed key is refused), no user config.
pub fn ssh_command(e: &Endpoint) -> std::process::Command {
    let mut cmd = std::process::Command::new("ssh");
    cmd.arg("-F")
        .arg("/dev/null")
        .args(["-o", "BatchMode=yes"])
        .args(["-o", "StrictHostKeyChecking=accept-new"])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", e.known_hosts.display()))
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "IdentitiesOnly=yes"])
        .args(["-o", "ConnectTimeout=15"])
        .args(["-o", "ServerAliveInterval=15"])
        .args(["-o", "ServerAliveCountMax=4"])
        .arg("-i")
        .arg(&e.key)
        .arg("-p")
        .arg(e.port.to_string())
        .arg("-l")
        .arg(&e.user)
        .arg("-s")
        .arg(&e.host)
        .arg("sftp");
    cmd
}

impl SftpBackend {
    /// Logs in and opens the SFTP session; the error says what ssh said.
    pub fn connect(endpoint: &Endpoint) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("berth-sftp")
            .enable_all()
            .build()
            .map_err(|e| format!("starting the SFTP runtime: {e}"))?;
        let mut cmd = tokio::process::Command::from(ssh_command(endpoint));
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let _guard = runtime.enter();
        let mut ssh = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                "the ssh client is not installed: apt install openssh-client".to_string()
            } else {
                format!("running ssh: {e}")
            }
        })?;
        let stdin = ssh.stdin.take().expect("piped");
        let stdout = ssh.stdout.take().expect("piped");
        let mut stderr = ssh.stderr.take().expect("piped");
        let opened = runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(30),
                Sftp::new(stdin, stdout, SftpOptions::default()),
            )
            .await
        });
        let sftp = match opened {
            Ok(Ok(sftp)) => sftp,
            failed => {
                let said = runtime.block_on(async {
                    let _ = ssh.start_kill();
                    let mut text = String::new();
                    let _ = tokio::time::timeout(
                        Duration::from_secs(5),
                        stderr.read_to_string(&mut text),
                    )
                    .await;
                    text
                });
                let said = said
                    .lines()
                    .filter(|l| {
                        !l.trim().is_empty() && !l.starts_with("Warning: Permanently added")
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "no answer in 30 s".to_string(),
                    Ok(Ok(_)) => unreachable!(),
                };
                return Err(explain(endpoint, &said, &why));
            }
        };
        // Stderr is drained so a chatty server cannot stall the session.
        runtime.spawn(async move {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink).await;
        });
        drop(_guard);
        Ok(SftpBackend {
            endpoint: endpoint.clone(),
            sftp: Arc::new(sftp),
            runtime,
            _ssh: ssh,
        })
    }

    fn full(&self, rel: &str) -> PathBuf {
        Path::new(&self.endpoint.path).join(rel)
    }

    fn path(tpe: FileType, id: &Id) -> String {
        let hex = id.to_hex();
        match tpe {
            FileType::Config => "config".to_string(),
            FileType::Pack => format!("data/{}/{}", &hex[0..2], &hex[..]),
            _ => format!("{}/{}", tpe.dirname(), &hex[..]),
        }
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Files in `dir` with their sizes (none when it does not exist).
    async fn list_dir(&self, dir: &Path) -> Result<Vec<(String, u64)>, openssh_sftp_client::Error> {
        use futures_util::StreamExt;
        let mut fs = self.sftp.fs();
        let opened = match fs.open_dir(dir).await {
            Ok(d) => d,
            Err(e) if is_not_found(&e) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut found = Vec::new();
        let entries = opened.read_dir();
        futures_util::pin_mut!(entries);
        while let Some(entry) = entries.next().await {
            let entry = entry?;
            let name = entry.filename().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if is_file {
                found.push((name, entry.metadata().len().unwrap_or(0)));
            }
        }
        Ok(found)
    }

    async fn make_dirs(&self, dir: &Path) -> Result<(), openssh_sftp_client::Error> {
        let mut fs = self.sftp.fs();
        let mut at = PathBuf::new();
        for part in dir.components() {
            at.push(part);
            if matches!(part, std::path::Component::RootDir) {
                continue;
            }
            match fs.create_dir(&at).await {
                Ok(()) => {}
                // It exists (SFTP servers say "failure" for that): checked
                // by the next step or the write that follows.
                Err(openssh_sftp_client::Error::SftpError(_, _)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn is_not_found(e: &openssh_sftp_client::Error) -> bool {
    matches!(
        e,
        openssh_sftp_client::Error::SftpError(
            openssh_sftp_client::error::SftpErrorKind::NoSuchFile,
            _
        )
    )
}

/// What went wrong logging in, in words a user can act on.
fn explain(e: &Endpoint, ssh_said: &str, why: &str) -> String {
    let place = format!("{}@{} port {}", e.user, e.host, e.port);
    if ssh_said.contains("Permission denied") {
        format!(
            "{place} refused Berth's key: add the key `berth backup target ssh-key` prints to {}'s ~/.ssh/authorized_keys there (ssh said: {ssh_said})",
            e.user
        )
    } else if ssh_said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || ssh_said.contains("Host key verification failed")
    {
        format!(
            "{place} shows a different host key than the first time Berth connected: if the server was reinstalled, remove its line from {} and try again; otherwise someone may be in the middle (ssh said: {ssh_said})",
            e.known_hosts.display()
        )
    } else if ssh_said.contains("subsystem request failed") {
        format!("{place} does not offer SFTP (ssh said: {ssh_said})")
    } else if ssh_said.is_empty() {
        format!("could not open SFTP on {place}: {why}")
    } else {
        format!("could not reach {place}: {ssh_said}")
    }
}

impl ReadBackend for SftpBackend {
    fn location(&self) -> String {
        self.endpoint.location()
    }

    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        let dirs: Vec<String> = match tpe {
            FileType::Config => {
                let path = self.full("config");
                let found = self.block_on(async { self.sftp.fs().metadata(&path).await });
                return match found {
                    Ok(meta) => Ok(vec![(
                        Id::default(),
                        meta.len().unwrap_or(0).try_into().unwrap_or(u32::MAX),
                    )]),
                    Err(e) if is_not_found(&e) => Ok(Vec::new()),
                    Err(e) => Err(backend_error("reading", &path.to_string_lossy(), e)),
                };
            }
            FileType::Pack => (0u8..=255).map(|i| format!("data/{i:02x}")).collect(),
            _ => vec![tpe.dirname().to_string()],
        };
        let mut all = Vec::new();
        for dir in dirs {
            let path = self.full(&dir);
            let files = self
                .block_on(self.list_dir(&path))
                .map_err(|e| backend_error("listing", &path.to_string_lossy(), e))?;
            all.extend(files.into_iter().filter_map(|(name, size)| {
                Some((Id::parse_some(&name, tpe)?, size.try_into().ok()?))
            }));
        }
        Ok(all)
    }

    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        let path = self.full(&Self::path(tpe, id));
        self.block_on(async { self.sftp.fs().read(&path).await })
            .map(|b| b.freeze())
            .map_err(|e| backend_error("reading", &path.to_string_lossy(), e))
    }

    fn read_partial(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        offset: u32,
        length: u32,
    ) -> RusticResult<Bytes> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let path = self.full(&Self::path(tpe, id));
        self.block_on(async {
            let file = self.sftp.open(&path).await?;
            let file = openssh_sftp_client::file::TokioCompatFile::from(file);
            tokio::pin!(file);
            file.as_mut()
                .seek(std::io::SeekFrom::Start(offset.into()))
                .await
                .map_err(openssh_sftp_client::Error::from)?;
            let mut buf = vec![0u8; length as usize];
            file.as_mut()
                .read_exact(&mut buf)
                .await
                .map_err(openssh_sftp_client::Error::from)?;
            Ok::<_, openssh_sftp_client::Error>(Bytes::from(buf))
        })
        .map_err(|e| backend_error("reading", &path.to_string_lossy(), e))
    }

    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.full(&Self::path(tpe, id))
            .to_string_lossy()
            .into_owned()
    }
}

impl WriteBackend for SftpBackend {
    fn create(&self) -> RusticResult<()> {
        let root = PathBuf::from(&self.endpoint.path);
        self.block_on(async {
            self.make_dirs(&root).await?;
            let mut fs = self.sftp.fs();
            let mut dirs: Vec<String> = ALL_FILE_TYPES
                .iter()
                .map(|t| t.dirname().to_string())
                .collect();
            dirs.extend((0u8..=255).map(|i| format!("data/{i:02x}")));
            for dir in dirs {
                match fs.create_dir(root.join(&dir)).await {
                    Ok(()) | Err(openssh_sftp_client::Error::SftpError(_, _)) => {}
                    Err(e) => return Err(e),
                }
            }
            // The last one must be there now: a folder we cannot make fails here.
            fs.metadata(root.join("data/ff")).await.map(|_| ())
        })
        .map_err(|e| backend_error("creating the repository at", &self.endpoint.path, e))
    }

    fn write_bytes(
        &self,
        tpe: FileType,
        id: &Id,
        _cacheable: bool,
        content: BytesList,
    ) -> RusticResult<()> {
        let rel = Self::path(tpe, id);
        let path = self.full(&rel);
        let tmp = self.full(&format!("{rel}.tmp-berth"));
        self.block_on(async {
            let mut file = self
                .sftp
                .options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .await?;
            for chunk in content.slice() {
                file.write_all(chunk).await?;
            }
            if self.sftp.support_fsync() {
                file.sync_all().await?;
            }
            file.close().await?;
            let mut fs = self.sftp.fs();
            if self.sftp.support_posix_rename() {
                fs.rename(&tmp, &path).await
            } else {
                let _ = fs.remove_file(&path).await;
                fs.rename(&tmp, &path).await
            }
        })
        .map_err(|e| backend_error("writing", &path.to_string_lossy(), e))
    }

    fn remove(&self, tpe: FileType, id: &Id, _cacheable: bool) -> RusticResult<()> {
        let path = self.full(&Self::path(tpe, id));
        match self.block_on(async { self.sftp.fs().remove_file(&path).await }) {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(backend_error("removing", &path.to_string_lossy(), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint {
            user: "backup".into(),
            host: "nas.lan".into(),
            port: 2222,
            path: "/srv/berth".into(),
            key: "/var/lib/berth/backup/ssh/id_ed25519".into(),
            known_hosts: "/var/lib/berth/backup/ssh/known_hosts".into(),
        }
    }

    #[test]
    fn ssh_runs_in_batch_mode_with_berths_own_key_and_known_hosts() {
        let cmd = ssh_command(&endpoint());
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(line.starts_with("-F /dev/null"), "{line}");
        for want in [
            "BatchMode=yes",
            "StrictHostKeyChecking=accept-new",
            "UserKnownHostsFile=/var/lib/berth/backup/ssh/known_hosts",
            "IdentitiesOnly=yes",
            "-i /var/lib/berth/backup/ssh/id_ed25519",
            "-p 2222",
            "-l backup",
            "-s nas.lan sftp",
        ] {
            assert!(line.contains(want), "{want} missing in {line}");
        }
        assert_eq!(endpoint().location(), "sftp:backup@nas.lan:2222/srv/berth");
    }

    #[test]
    fn login_failures_are_explained() {
        let e = endpoint();
        let denied = explain(&e, "backup@nas.lan: Permission denied (publickey).", "eof");
        assert!(denied.contains("berth backup target ssh-key"), "{denied}");
        let changed = explain(
            &e,
            "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@",
            "eof",
        );
        assert!(changed.contains("known_hosts"), "{changed}");
        let paths = SftpBackend::path(FileType::Pack, &Id::default());
        assert!(paths.starts_with("data/00/00"), "{paths}");
    }
}
