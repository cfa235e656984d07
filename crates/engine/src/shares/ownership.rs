//! Whether the apps can use a share's files, and the fix the user asks for.
//! Apps run as the host's PUID:PGID ([`crate::rewrite::HostSettings`]); a
//! folder copied from an old disk as root is often theirs to read but not
//! to write, or not even to read. Berth only detects this when it lists the
//! shares (the top folder, then a bounded sample of what is under it) and
//! changes owners only when the user asks, for one share at a time: a walk
//! that never follows a symbolic link (each folder is opened relative to
//! its parent, refusing links, so a link swapped in during the walk leads
//! nowhere) and never leaves the share's filesystem.

use std::collections::VecDeque;
use std::ffi::{CStr, CString, OsStr};
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::apps::Apps;
use crate::model::ShareName;
use crate::{Error, Result};

/// At most this many entries of a share are looked at when it is listed.
pub const SAMPLE: u32 = 4000;

/// What the apps' user and group (PUID:PGID) may do with a share's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ShareAccess {
    /// The apps' user id the files were judged for.
    pub uid: u32,
    /// The apps' group id.
    pub gid: u32,
    /// The apps can list the folder (in their containers: the folders
    /// above it on the server do not matter to them).
    pub readable: bool,
    /// The apps can create files in the folder.
    pub writable: bool,
    /// Every folder above it lets PUID through: needed by programs on the
    /// server itself acting as PUID (SMB's smbd), not by the apps.
    pub reachable: bool,
    /// The folder's owner (user id).
    pub owner: u32,
    /// The folder's group id.
    pub group: u32,
    /// The folder's permission bits (`0o755`…).
    pub mode: u32,
    /// Entries among those sampled (the folder included) the apps cannot
    /// read or cannot write.
    pub problems: u32,
    /// Entries looked at (at most [`SAMPLE`]; symbolic links are not counted).
    pub sampled: u32,
    /// The sample covered every entry of the share.
    pub complete: bool,
}

impl ShareAccess {
    /// The apps can read and write everything that was looked at.
    pub fn ok(&self) -> bool {
        self.readable && self.writable && self.problems == 0
    }
}

/// What a change of owners did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Entries looked at (the folder included).
    pub seen: u64,
    /// Entries whose owner or group was changed.
    pub changed: u64,
    /// Folders left alone because another filesystem is mounted there.
    pub other_filesystems: u64,
}

const R: u32 = 4;
const W: u32 = 2;
const X: u32 = 1;

/// The permission bits that apply to `uid:gid` for a file of `meta`
/// (owner, else group, else others, as the kernel checks; ACLs aside).
fn bits(meta: &Metadata, uid: u32, gid: u32) -> u32 {
    let mode = meta.mode();
    if uid == 0 {
        R | W | X
    } else if meta.uid() == uid {
        (mode >> 6) & 7
    } else if meta.gid() == gid {
        (mode >> 3) & 7
    } else {
        mode & 7
    }
}

/// Can `uid:gid` read it (a folder: list and enter it) and write it (a
/// folder: create and remove files in it)?
fn can(meta: &Metadata, uid: u32, gid: u32) -> (bool, bool) {
    let b = bits(meta, uid, gid);
    if meta.is_dir() {
        (b & (R | X) == R | X, b & (W | X) == W | X)
    } else {
        (b & R == R, b & W == W)
    }
}

/// Judges the folder `root` for `uid:gid`: the folder and up to [`SAMPLE`]
/// entries under it, breadth first, on its own filesystem, links not
/// followed, and whether the folders above let them through. `None` when
/// the folder is not there.
pub fn check(root: &Path, uid: u32, gid: u32) -> Option<ShareAccess> {
    let meta = std::fs::metadata(root).ok().filter(Metadata::is_dir)?;
    let real = std::fs::canonicalize(root).ok()?;
    let reachable = real
        .ancestors()
        .skip(1)
        .all(|up| std::fs::metadata(up).is_ok_and(|m| bits(&m, uid, gid) & X == X));
    let (read, write) = can(&meta, uid, gid);
    let mut access = ShareAccess {
        uid,
        gid,
        readable: read,
        writable: write,
        reachable,
        owner: meta.uid(),
        group: meta.gid(),
        mode: meta.mode() & 0o7777,
        problems: u32::from(!(read && write)),
        sampled: 1,
        complete: true,
    };
    let device = meta.dev();
    let mut folders = VecDeque::from([real]);
    'walk: while let Some(folder) = folders.pop_front() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if access.sampled >= SAMPLE {
                access.complete = false;
                break 'walk;
            }
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.file_type().is_symlink() || meta.dev() != device {
                continue;
            }
            access.sampled += 1;
            let (read, write) = can(&meta, uid, gid);
            if !(read && write) {
                access.problems += 1;
            }
            if meta.is_dir() {
                folders.push_back(entry.path());
            }
        }
    }
    Some(access)
}

fn cstring(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL in the path"))
}

fn last_error<T>() -> std::io::Result<T> {
    Err(std::io::Error::last_os_error())
}

/// A folder opened for the walk; its descriptor is the one it was reached by.
struct Folder {
    dir: *mut libc::DIR,
    path: PathBuf,
}

impl Folder {
    /// Takes an open folder descriptor (closed with the stream).
    fn from_fd(fd: libc::c_int, path: PathBuf) -> std::io::Result<Folder> {
        // SAFETY: fd is an open descriptor this function now owns.
        let dir = unsafe { libc::fdopendir(fd) };
        if dir.is_null() {
            let e = std::io::Error::last_os_error();
            // SAFETY: fdopendir failed, the descriptor is still ours.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        Ok(Folder { dir, path })
    }

    fn fd(&self) -> libc::c_int {
        // SAFETY: self.dir is an open stream.
        unsafe { libc::dirfd(self.dir) }
    }

    /// The next name in the folder (`.` and `..` left out).
    fn next(&mut self) -> Option<CString> {
        loop {
            // SAFETY: self.dir is open; the entry is copied before the next call.
            let entry = unsafe { libc::readdir(self.dir) };
            if entry.is_null() {
                return None;
            }
            // SAFETY: d_name is a NUL-terminated name inside the entry.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            if name.to_bytes() != b"." && name.to_bytes() != b".." {
                return Some(name.to_owned());
            }
        }
    }

    /// The entry `name`, not following a link.
    fn stat(&self, name: &CStr) -> std::io::Result<libc::stat> {
        // SAFETY: an all-zero stat is a valid value to fill.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor, NUL-terminated name, owned buffer.
        if unsafe { libc::fstatat(self.fd(), name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) }
            != 0
        {
            return last_error();
        }
        Ok(st)
    }

    /// Opens the sub-folder `name`, refusing a link.
    fn open(&self, name: &CStr) -> std::io::Result<Folder> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: valid descriptor and NUL-terminated name.
        let fd = unsafe { libc::openat(self.fd(), name.as_ptr(), flags) };
        if fd < 0 {
            return last_error();
        }
        Folder::from_fd(fd, self.path.join(OsStr::from_bytes(name.to_bytes())))
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        // SAFETY: the stream is open and closed only here.
        unsafe { libc::closedir(self.dir) };
    }
}

fn fstat(fd: libc::c_int) -> std::io::Result<libc::stat> {
    // SAFETY: an all-zero stat is a valid value to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor, owned buffer.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return last_error();
    }
    Ok(st)
}

fn is_dir(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFDIR
}

/// Folders deeper than this are refused rather than walked (one open
/// descriptor per level).
const MAX_DEPTH: usize = 256;

/// Gives every entry of the folder `root` (itself included) to `uid:gid`:
/// links are changed themselves, never followed; folders where another
/// filesystem is mounted are left alone. `progress` hears the tally every
/// thousand entries. An entry that cannot be changed is counted in the
/// error, after the walk has done the rest.
pub fn chown_tree(
    root: &Path,
    uid: u32,
    gid: u32,
    progress: &mut dyn FnMut(Tally),
) -> std::result::Result<Tally, String> {
    let at = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let c = cstring(root).map_err(|e| at(root, e))?;
    // SAFETY: NUL-terminated path.
    let fd = unsafe { libc::open(c.as_ptr(), flags) };
    if fd < 0 {
        return Err(at(root, std::io::Error::last_os_error()));
    }
    let top = Folder::from_fd(fd, root.to_path_buf()).map_err(|e| at(root, e))?;
    let st = fstat(top.fd()).map_err(|e| at(root, e))?;
    let device = st.st_dev;
    let mut tally = Tally {
        seen: 1,
        ..Tally::default()
    };
    let mut failed: Vec<String> = Vec::new();
    let mut failures = 0u64;
    let mut fail = |message: String| {
        failures += 1;
        if failed.len() < 3 {
            failed.push(message);
        }
    };
    if st.st_uid != uid || st.st_gid != gid {
        // SAFETY: valid descriptor.
        if unsafe { libc::fchown(top.fd(), uid, gid) } == 0 {
            tally.changed += 1;
        } else {
            fail(at(root, std::io::Error::last_os_error()));
        }
    }
    let mut stack = vec![top];
    while let Some(folder) = stack.last_mut() {
        let Some(name) = folder.next() else {
            stack.pop();
            continue;
        };
        let path = folder.path.join(OsStr::from_bytes(name.to_bytes()));
        let st = match folder.stat(&name) {
            Ok(st) => st,
            Err(e) => {
                fail(at(&path, e));
                continue;
            }
        };
        if st.st_dev != device {
            tally.other_filesystems += 1;
            continue;
        }
        tally.seen += 1;
        if st.st_uid != uid || st.st_gid != gid {
            // SAFETY: valid descriptor, NUL-terminated name; a link is changed itself.
            let done = unsafe {
                libc::fchownat(
                    folder.fd(),
                    name.as_ptr(),
                    uid,
                    gid,
                    libc::AT_SYMLINK_NOFOLLOW,
                )
            };
            if done == 0 {
                tally.changed += 1;
            } else {
                fail(at(&path, std::io::Error::last_os_error()));
            }
        }
        if tally.seen.is_multiple_of(1000) {
            progress(tally);
        }
        if !is_dir(&st) {
            continue;
        }
        if stack.len() >= MAX_DEPTH {
            fail(format!(
                "{}: folders nested deeper than {MAX_DEPTH} levels were left as they are",
                path.display()
            ));
            continue;
        }
        let folder = stack.last().expect("the folder being read");
        match folder.open(&name) {
            // Checked again once open: what was a folder of this
            // filesystem when looked at is still one.
            Ok(sub) => match fstat(sub.fd()) {
                Ok(now) if is_dir(&now) && now.st_dev == device => stack.push(sub),
                Ok(_) => {}
                Err(e) => fail(at(&path, e)),
            },
            // Replaced by a link since it was looked at: not followed.
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {}
            Err(e) => fail(at(&path, e)),
        }
    }
    progress(tally);
    if failures > 0 {
        return Err(format!(
            "{failures} of {} entries could not be changed ({}); the others were",
            tally.seen,
            failed.join("; ")
        ));
    }
    Ok(tally)
}

/// A change of owners, journaled; [`Apps::run_fix_ownership`] carries it out.
#[derive(Debug, Clone)]
pub struct OwnershipBegun {
    pub operation: i64,
    pub share: String,
    /// The share's folder, links resolved.
    pub root: PathBuf,
    pub uid: u32,
    pub gid: u32,
}

/// The journal's name for a share's operations (never an app id: those
/// have no `:`).
pub fn operation_subject(share: &str) -> String {
    format!("share:{share}")
}

const KIND: &str = "ownership";

impl Apps {
    /// What the apps may do with the files of a share's folder `path`;
    /// `None` when it is not there.
    pub fn share_access(&self, path: &Path) -> Option<ShareAccess> {
        check(path, self.host().puid, self.host().pgid)
    }

    /// Checks and journals giving the share `name`'s files to the apps'
    /// user and group. Refused for a share whose folder is not there, or
    /// whose folder now leads somewhere a share may not be.
    pub fn begin_fix_ownership(&self, name: &ShareName) -> Result<OwnershipBegun> {
        let share = self.db().share(name)?.ok_or_else(|| Error::NoShare {
            name: name.to_string(),
        })?;
        let path = PathBuf::from(&share.path);
        if !path.is_dir() {
            return Err(Error::ShareAbsent {
                name: share.name,
                path,
            });
        }
        // Judged again now: a link may have been put in its place since it was added.
        let root = std::fs::canonicalize(&path).map_err(|cause| Error::Read {
            path: path.clone(),
            cause,
        })?;
        if let Some(why) = crate::policy::share_path_problem(&root, self.home()) {
            return Err(Error::ShareRefused {
                name: share.name,
                path,
                why,
            });
        }
        let (uid, gid) = (self.host().puid, self.host().pgid);
        let request =
            serde_json::json!({ "share": share.name, "path": root, "uid": uid, "gid": gid });
        let operation = self.db().begin_operation(
            &operation_subject(&share.name),
            KIND,
            &request.to_string(),
        )?;
        Ok(OwnershipBegun {
            operation,
            share: share.name,
            root,
            uid,
            gid,
        })
    }

    /// Runs a begun change of owners to its end (blocking: call it off the
    /// async threads).
    pub fn run_fix_ownership(
        &self,
        begun: &OwnershipBegun,
        progress: &mut dyn FnMut(Tally),
    ) -> Result<Tally> {
        let op = begun.operation;
        self.db().journal(op, crate::model::Step::Apply.as_str())?;
        match chown_tree(&begun.root, begun.uid, begun.gid, progress) {
            Ok(tally) => {
                self.db().finish_operation(op, "done", None)?;
                Ok(tally)
            }
            Err(message) => {
                let e = Error::Ownership {
                    name: begun.share.clone(),
                    message,
                };
                self.db()
                    .finish_operation(op, "failed", Some(&e.to_string()))?;
                Err(e)
            }
        }
    }

    /// Closes the changes of owners a crash interrupted: nothing to undo
    /// (each entry changed is as asked), the rest is for the user to ask
    /// again. `hold` keeps a running one from being closed.
    pub fn settle_ownership<H>(&self, mut hold: impl FnMut(&str) -> Option<H>) -> Result<()> {
        for op in self.db().unfinished_operations()? {
            if op.kind != KIND {
                continue;
            }
            let Some(_held) = hold(&op.app) else {
                continue;
            };
            if self
                .db()
                .operation(op.id)?
                .is_some_and(|o| o.outcome.is_none())
            {
                let share = op.app.trim_start_matches("share:");
                self.db().finish_operation(
                    op.id,
                    "interrupted",
                    Some(&format!(
                        "interrupted before it finished; ask again (berth shares fix-ownership {share})"
                    )),
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("berth-own-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn owner_group_and_other_bits_decide_as_the_kernel_does() {
        let d = dir("bits");
        let meta = |m| {
            mode(&d, m);
            std::fs::metadata(&d).unwrap()
        };
        let (uid, gid) = (std::fs::metadata(&d).unwrap().uid(), 0);
        // Ids that own nothing here: only the other bits apply.
        let stranger = (uid.wrapping_add(4242), 4242);
        assert_eq!(can(&meta(0o755), stranger.0, stranger.1), (true, false));
        assert_eq!(can(&meta(0o700), stranger.0, stranger.1), (false, false));
        assert_eq!(can(&meta(0o777), stranger.0, stranger.1), (true, true));
        // A folder without x cannot be listed, even with r.
        assert_eq!(can(&meta(0o744), stranger.0, stranger.1), (false, false));
        if uid != 0 {
            assert_eq!(can(&meta(0o700), uid, gid), (true, true));
            assert_eq!(can(&meta(0o500), uid, gid), (true, false));
        }
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn the_sample_is_bounded_and_skips_links() {
        let d = dir("sample");
        mode(&d, 0o777);
        for i in 0..(SAMPLE + 10) {
            std::fs::write(d.join(format!("f{i}")), "").unwrap();
            mode(&d.join(format!("f{i}")), 0o666);
        }
        std::os::unix::fs::symlink("/etc", d.join("link")).unwrap();
        let stranger = std::fs::metadata(&d).unwrap().uid().wrapping_add(4242);
        let access = check(&d, stranger, 4242).unwrap();
        assert_eq!(access.sampled, SAMPLE);
        assert!(!access.complete);
        assert_eq!(access.problems, 0, "{access:?}");
        std::fs::remove_dir_all(&d).ok();
        assert!(check(&d, 1000, 1000).is_none(), "a missing folder");
    }
}
