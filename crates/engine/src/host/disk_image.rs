//! A size-capped folder: a sparse ext4 image file loop-mounted on the
//! folder. The image takes on the host disk only what is written into it
//! (and gives back what is deleted: the mount discards freed blocks); what
//! is written past its size fails with "no space left on device" inside the
//! folder only.
//!
//! The tools are the standard ones (`mkfs.ext4`, `e2fsck`, `resize2fs` from
//! e2fsprogs, `mount`, `umount`, `losetup` from mount); a missing one is
//! named with its Debian package.

use std::path::{Path, PathBuf};

/// An ext4 filesystem in an image file.
#[derive(Debug, Clone)]
pub(crate) struct DiskImage {
    pub path: PathBuf,
}

/// The tools a disk cap needs and the Debian package of each.
const TOOLS: &[(&str, &str)] = &[
    ("mkfs.ext4", "e2fsprogs"),
    ("e2fsck", "e2fsprogs"),
    ("resize2fs", "e2fsprogs"),
    ("mount", "mount"),
    ("umount", "mount"),
    ("losetup", "mount"),
];

/// Where the tools live on Debian, besides `PATH` (which may lack `/sbin`).
const SYSTEM_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SYSTEM_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Refuses, naming the package to install, when a tool is missing.
pub(crate) fn require_tools() -> std::io::Result<()> {
    for (tool, package) in TOOLS {
        if find_tool(tool).is_none() {
            return Err(std::io::Error::other(format!(
                "{tool} is missing; install it with `apt-get install {package}`"
            )));
        }
    }
    Ok(())
}

async fn run(tool: &str, args: &[&std::ffi::OsStr]) -> std::io::Result<()> {
    let program = find_tool(tool).unwrap_or_else(|| PathBuf::from(tool));
    let out = tokio::process::Command::new(&program)
        .args(args)
        .output()
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot run {tool}: {e}")))?;
    // e2fsck exits 1 when it corrected something: the filesystem is fine then.
    let fine = out.status.success() || (tool == "e2fsck" && out.status.code() == Some(1));
    if fine {
        return Ok(());
    }
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let why = if stderr.trim().is_empty() {
        stdout.trim().to_string()
    } else {
        stderr.trim().to_string()
    };
    Err(std::io::Error::other(format!(
        "{tool} {} failed: {why}",
        args.join(" ")
    )))
}

impl DiskImage {
    pub fn new(path: PathBuf) -> Self {
        DiskImage { path }
    }

    pub fn exists(&self) -> bool {
        self.path.is_file()
    }

    /// The image's size: the cap.
    pub fn size(&self) -> std::io::Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// Creates the image (sparse) with an empty ext4 filesystem of `size`
    /// bytes, owned by root, with no blocks reserved for root (apps often
    /// run as root in their containers; the cap is the cap for everyone).
    pub async fn create(&self, size: u64) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::File::create(&self.path)?;
        file.set_len(size)?;
        drop(file);
        run(
            "mkfs.ext4",
            &[
                "-q".as_ref(),
                "-F".as_ref(),
                "-m".as_ref(),
                "0".as_ref(),
                "-E".as_ref(),
                "root_owner=0:0".as_ref(),
                self.path.as_os_str(),
            ],
        )
        .await
    }

    /// Loop-mounts the image on `at` (created if missing).
    pub async fn mount(&self, at: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(at)?;
        run(
            "mount",
            &[
                "-o".as_ref(),
                "loop,discard".as_ref(),
                self.path.as_os_str(),
                at.as_os_str(),
            ],
        )
        .await
    }

    /// Grows the mounted image at `at` to `size` bytes without unmounting.
    /// Needs CAP_SYS_RESOURCE (the kernel's online resize); fails without it.
    pub async fn grow_online(&self, size: u64, at: &Path) -> std::io::Result<()> {
        let device = mount_source(at)
            .ok_or_else(|| std::io::Error::other(format!("{} is not mounted", at.display())))?;
        self.extend(size)?;
        run("losetup", &["-c".as_ref(), device.as_ref()]).await?;
        run("resize2fs", &[device.as_ref()]).await
    }

    /// Grows the image, which must not be mounted, to `size` bytes.
    pub async fn grow_offline(&self, size: u64) -> std::io::Result<()> {
        self.extend(size)?;
        run(
            "e2fsck",
            &["-f".as_ref(), "-p".as_ref(), self.path.as_os_str()],
        )
        .await?;
        run("resize2fs", &[self.path.as_os_str()]).await?;
        // resize2fs trims an image file to whole blocks of its last group;
        // the file keeps the size asked, the cap (the filesystem ends a
        // little before it).
        self.extend(size)
    }

    fn extend(&self, size: u64) -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new().write(true).open(&self.path)?;
        if file.metadata()?.len() < size {
            file.set_len(size)?;
        }
        Ok(())
    }
}

/// Unmounts what is mounted on `at` (its loop device goes with it); nothing
/// when nothing is.
pub(crate) async fn unmount(at: &Path) -> std::io::Result<()> {
    if mount_source(at).is_none() {
        return Ok(());
    }
    run("umount", &[at.as_os_str()]).await
}

/// The device mounted on `at` (`/dev/loop3`), from `/proc/self/mounts`;
/// `None` when `at` is not a mount point.
pub(crate) fn mount_source(at: &Path) -> Option<String> {
    let at = std::fs::canonicalize(at).ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    // The last line for a mount point is the mount on top.
    mounts.lines().rev().find_map(|line| {
        let mut fields = line.split(' ');
        let source = fields.next()?;
        let target = fields.next()?;
        (Path::new(&unescape(target)) == at).then(|| unescape(source))
    })
}

/// `/proc/self/mounts` writes space, tab, newline and backslash as octal escapes.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 4);
        match code.and_then(|c| u8::from_str_radix(c, 8).ok()) {
            Some(b) => {
                out.push(b as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Bytes used and the filesystem's usable size at `at` (statvfs).
pub(crate) fn fs_usage(at: &Path) -> std::io::Result<(u64, u64)> {
    let stat = super::statvfs(at)?;
    let block = stat.f_frsize as u64;
    let total = stat.f_blocks as u64 * block;
    let free = stat.f_bfree as u64 * block;
    Ok((total.saturating_sub(free), total))
}

/// Whether this process may grow a mounted ext4 filesystem (the kernel's
/// online resize needs CAP_SYS_RESOURCE, which some VMs and containers drop).
pub fn can_grow_online() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    const CAP_SYS_RESOURCE: u32 = 24;
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_fields_are_unescaped() {
        assert_eq!(unescape(r"/srv/my\040apps/data"), "/srv/my apps/data");
        assert_eq!(unescape(r"/a\134b"), r"/a\b");
        assert_eq!(unescape("/plain"), "/plain");
        assert_eq!(mount_source(Path::new("/no/such/folder")), None);
    }
}
