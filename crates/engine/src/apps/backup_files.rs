//! Single files (or folders) put back from a backup, without restoring the
//! whole app: `berth restore ID --backup B --file data/x`. The file is
//! fetched into a root-only staging folder, then put in its place in the
//! app's data folder or named volume while the app runs; whatever it
//! replaces is kept first in `<home>/backup/replaced/<app>/<time>/`, so
//! nothing is lost. With `to`, it goes into a new (or empty) folder of the
//! server's instead, and the app is not touched.
//!
//! The app can change its folders while this runs, and an app's files are
//! not to be trusted: every path is resolved inside the app's folder
//! (`cap_std`), entry by entry, so a symlink the app planted (`data/x ->
//! /etc`) cannot lead a write, a permission change or an owner change
//! outside it.

use std::ffi::{CString, OsStr};
use std::fs::{self, FileTimes};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{fchown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use serde::{Deserialize, Serialize};

use super::snapshot::remove_tree;
use super::{Apps, Progress};
use crate::backup::{backup_path, fetch_path, Target};
use crate::db::OperationRecord;
use crate::model::Step;
use crate::{Error, Result};

/// Putting files back, as journaled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilesPlan {
    pub app: String,
    pub backup: String,
    /// Paths inside the backup (`data/…`, `volumes/<name>/…`).
    pub paths: Vec<String>,
    /// A folder of the server's to put them in instead of the app's own.
    pub to: Option<PathBuf>,
    pub target: String,
}

/// What putting files back did.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FilesRestored {
    #[specta(type = f64)]
    pub operation: i64,
    /// The backup's short id.
    pub backup: String,
    /// Where they went: the app's own folders, or the folder given.
    pub to: String,
    #[specta(type = f64)]
    pub files: u64,
    #[specta(type = f64)]
    pub bytes: u64,
    /// Files (or links) that were there and were replaced.
    #[specta(type = f64)]
    pub replaced: u64,
    /// Where the replaced ones are kept, when there were any.
    pub kept_in: Option<String>,
    /// Devices, sockets and pipes, which are not put back.
    #[specta(type = f64)]
    pub skipped: u64,
}

/// Where one path of the backup goes on this server.
struct Place {
    /// The folder it is resolved in (the app's data folder, a volume, `to`).
    root: PathBuf,
    /// Its path inside `root`; empty for the root itself.
    inside: Vec<String>,
}

impl Apps {
    fn staging_dir(&self, op: i64) -> PathBuf {
        self.layout
            .home()
            .join("backup")
            .join("restoring")
            .join(op.to_string())
    }

    /// Checks and journals putting `paths` of backup `backup` back.
    pub async fn begin_restore_files(&self, plan: &FilesPlan) -> Result<i64> {
        self.installed_record(&plan.app)?;
        if plan.paths.is_empty() {
            return Err(Error::BadRequest {
                message: "name at least one file or folder of the backup to put back (see `berth backup files`)".into(),
            });
        }
        self.places(plan).await?;
        if let Some(to) = &plan.to {
            check_destination(to)?;
        }
        let op = self.db.begin_operation(
            &plan.app,
            "restore-files",
            &serde_json::to_string(plan).expect("plans serialize"),
        )?;
        self.boundary();
        Ok(op)
    }

    /// Where each path of `plan` goes; refused for paths that have no place
    /// in the app (only its data folder and named volumes do).
    async fn places(&self, plan: &FilesPlan) -> Result<Vec<Place>> {
        let volumes = self.engine.project_volumes(&plan.app).await?;
        if plan.to.is_none() {
            refuse_overlaps(&plan.paths)?;
        }
        let mut places = Vec::new();
        for path in &plan.paths {
            let parts = backup_path(path)?;
            if let Some(to) = &plan.to {
                let Some(name) = parts.last() else {
                    return Err(Error::BadRequest {
                        message: "name a file or folder inside the backup".into(),
                    });
                };
                places.push(Place {
                    root: to.clone(),
                    inside: vec![name.clone()],
                });
                continue;
            }
            let place = match parts.split_first() {
                Some((top, rest)) if top == "data" => Place {
                    root: self.layout.data_dir(&plan.app),
                    inside: rest.to_vec(),
                },
                Some((top, rest)) if top == "volumes" && !rest.is_empty() => {
                    let Some(volume) = volumes.iter().find(|v| v.name == rest[0]) else {
                        return Err(Error::BadRequest {
                            message: format!(
                                "{} has no volume {:?} now; put the file elsewhere with `--to FOLDER`",
                                plan.app, rest[0]
                            ),
                        });
                    };
                    Place {
                        root: volume.mountpoint.clone(),
                        inside: rest[1..].to_vec(),
                    }
                }
                _ => {
                    return Err(Error::BadRequest {
                        message: format!(
                            "{path:?} has no place in the app to go back to (only `data/…` and `volumes/<name>/…` do): put it in a folder with `--to FOLDER`"
                        ),
                    })
                }
            };
            places.push(place);
        }
        Ok(places)
    }

    /// Fetches the plan's paths and puts them in place.
    pub async fn run_restore_files(
        &self,
        op: i64,
        plan: &FilesPlan,
        target: &Target,
        password: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<FilesRestored> {
        let staging = self.staging_dir(op);
        let result = self
            .restore_files_steps(op, plan, target, password, &staging, progress)
            .await;
        let cleaned = remove_tree(&staging).map_err(|cause| Error::Write {
            path: staging.clone(),
            cause,
        });
        match result.and_then(|r| cleaned.map(|_| r)) {
            Ok(report) => {
                self.db.finish_operation(op, "done", None)?;
                Ok(report)
            }
            Err(e) => {
                self.db
                    .finish_operation(op, "failed", Some(&e.to_string()))?;
                Err(e)
            }
        }
    }

    async fn restore_files_steps(
        &self,
        op: i64,
        plan: &FilesPlan,
        target: &Target,
        password: &str,
        staging: &Path,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<FilesRestored> {
        let places = self.places(plan).await?;
        remove_tree(staging).map_err(|cause| Error::Write {
            path: staging.to_path_buf(),
            cause,
        })?;
        // Fetched, each into its own folder (two paths may end alike).
        let fetched = self
            .step(op, Step::Copy, progress, async {
                let (target, password, plan, staging) = (
                    target.clone(),
                    password.to_string(),
                    plan.clone(),
                    staging.to_path_buf(),
                );
                tokio::task::spawn_blocking(move || -> Result<(String, Vec<(PathBuf, bool)>)> {
                    let mut short = String::new();
                    let mut items = Vec::new();
                    for (i, path) in plan.paths.iter().enumerate() {
                        let dest = staging.join(i.to_string());
                        let (info, is_dir) =
                            fetch_path(&target, &password, &plan.app, &plan.backup, path, &dest)?;
                        short = info.short_id;
                        let name = backup_path(path)?.pop().expect("checked non-empty");
                        items.push((dest.join(name), is_dir));
                    }
                    Ok((short, items))
                })
                .await
                .map_err(|e| Error::Internal {
                    message: format!("fetching from the backup failed: {e}"),
                })?
            })
            .await?;
        let (short, items) = fetched;
        let stamp = jiff::Zoned::now().strftime("%Y%m%d-%H%M%S").to_string();
        let keep = self
            .layout
            .home()
            .join("backup")
            .join("replaced")
            .join(&plan.app)
            // The operation's own folder: two restores in one second keep
            // apart (one's kept link must not be another's parent folder).
            .join(format!("{stamp}-{short}-op{op}"));
        let to = plan.to.clone();
        let counts = self
            .step(op, Step::Data, progress, async {
                let keep = keep.clone();
                tokio::task::spawn_blocking(move || -> io::Result<Counts> {
                    if let Some(to) = &to {
                        fs::create_dir_all(to)?;
                    }
                    let mut placer = Placer {
                        keep,
                        kept: None,
                        counts: Counts::default(),
                    };
                    for ((item, is_dir), place) in items.iter().zip(&places) {
                        placer.put(item, *is_dir, place)?;
                    }
                    Ok(placer.counts)
                })
                .await
                .map_err(|e| Error::Internal {
                    message: format!("putting the files back failed: {e}"),
                })?
                .map_err(|e| Error::Backup {
                    message: format!("putting the files back: {e}"),
                })
            })
            .await?;
        Ok(FilesRestored {
            operation: op,
            backup: short,
            to: match &plan.to {
                Some(to) => to.display().to_string(),
                None => format!("{}'s own folders", plan.app),
            },
            files: counts.files,
            bytes: counts.bytes,
            replaced: counts.replaced,
            kept_in: (counts.replaced > 0).then(|| keep.display().to_string()),
            skipped: counts.skipped,
        })
    }

    /// Settles putting files back that a crash interrupted: some may be in
    /// place, what they replaced is kept; the staging folder is removed.
    pub(in crate::apps) async fn settle_restore_files(&self, op: &OperationRecord) -> Result<()> {
        let staging = self.staging_dir(op.id);
        remove_tree(&staging).map_err(|cause| Error::Write {
            path: staging,
            cause,
        })?;
        let why = format!(
            "interrupted; some files may be back already, and any they replaced are kept in {}; run it again",
            self.layout
                .home()
                .join("backup")
                .join("replaced")
                .join(&op.app)
                .display()
        );
        self.db.finish_operation(op.id, "interrupted", Some(&why))
    }
}

/// Two paths of which one holds the other would put the same files back
/// twice (and keep the first copy as replaced): one of them is asked for.
fn refuse_overlaps(paths: &[String]) -> Result<()> {
    let parts = paths
        .iter()
        .map(|p| backup_path(p))
        .collect::<Result<Vec<_>>>()?;
    for (i, a) in parts.iter().enumerate() {
        for b in &parts[i + 1..] {
            if a.starts_with(b) || b.starts_with(a) {
                return Err(Error::BadRequest {
                    message: format!(
                        "{} and {} overlap: name only one of them",
                        a.join("/"),
                        b.join("/")
                    ),
                });
            }
        }
    }
    Ok(())
}

/// A folder given to put files in must be absolute and new or empty, so
/// nothing in it is overwritten.
fn check_destination(to: &Path) -> Result<()> {
    if !to.is_absolute() {
        return Err(Error::BadRequest {
            message: format!("{}: give an absolute path", to.display()),
        });
    }
    match fs::read_dir(to) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::BadRequest {
                    message: format!(
                        "{} is not empty: give a new or empty folder, so nothing in it is overwritten",
                        to.display()
                    ),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::BadRequest {
            message: format!("{}: {e}", to.display()),
        }),
    }
}

#[derive(Default)]
struct Counts {
    files: u64,
    bytes: u64,
    replaced: u64,
    skipped: u64,
}

/// Puts staged files in place, each step inside an opened folder.
struct Placer {
    /// Where what is replaced is kept (Berth's own, root-only).
    keep: PathBuf,
    /// `keep`, opened when the first file is kept.
    kept: Option<Dir>,
    counts: Counts,
}

fn name_error(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

impl Placer {
    /// Puts the staged `item` at `place`: the root's own contents when the
    /// place is the root, else at its path inside the root, whose missing
    /// folders are made.
    fn put(&mut self, item: &Path, is_dir: bool, place: &Place) -> io::Result<()> {
        let root = Dir::open_ambient_dir(&place.root, ambient_authority())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", place.root.display())))?;
        let Some((name, parents)) = place.inside.split_last() else {
            if !is_dir {
                return Err(name_error("a file cannot replace a folder's root"));
            }
            for entry in fs::read_dir(item)? {
                let entry = entry?;
                self.place(&entry.path(), &root, &entry.file_name(), Path::new(""))?;
            }
            return Ok(());
        };
        let mut dir = root;
        let mut rel = PathBuf::new();
        for part in parents {
            match dir.symlink_metadata(part) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(io::Error::other(format!(
                        "{} is not a folder on the server now",
                        rel.join(part).display()
                    )))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => dir.create_dir(part)?,
                Err(e) => return Err(e),
            }
            dir = dir.open_dir(part)?;
            rel.push(part);
        }
        self.place(item, &dir, OsStr::new(name), &rel)
    }

    /// Puts `src` (staged) as `name` in `parent`; `rel` is `parent`'s path
    /// inside the root (for keeping what it replaces, and messages).
    fn place(&mut self, src: &Path, parent: &Dir, name: &OsStr, rel: &Path) -> io::Result<()> {
        let meta = fs::symlink_metadata(src)?;
        let here = rel.join(name);
        let existing = match parent.symlink_metadata(name) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let is_dir_now = existing.as_ref().is_some_and(|m| m.is_dir());
        if meta.is_dir() {
            if existing.is_some() && !is_dir_now {
                self.keep_aside(parent, name, &here)?;
                parent.remove_file(name)?;
            }
            if !is_dir_now {
                parent.create_dir(name)?;
            }
            let dir = parent.open_dir(name)?;
            for entry in fs::read_dir(src)? {
                let entry = entry?;
                self.place(&entry.path(), &dir, &entry.file_name(), &here)?;
            }
            drop(dir);
            // By name in the parent: cap_std's folder handles are O_PATH.
            chown_at(parent, name, meta.uid(), meta.gid())?;
            parent.set_permissions(
                name,
                cap_std::fs::Permissions::from_std(fs::Permissions::from_mode(
                    meta.mode() & 0o7777,
                )),
            )?;
            return Ok(());
        }
        if is_dir_now {
            return Err(io::Error::other(format!(
                "{} is a folder on the server now: put the backup's file elsewhere with `--to FOLDER`",
                here.display()
            )));
        }
        if meta.file_type().is_symlink() {
            let link = fs::read_link(src)?;
            if existing.is_some() {
                self.keep_aside(parent, name, &here)?;
                parent.remove_file(name)?;
            }
            parent.symlink_contents(&link, name)?;
            chown_at(parent, name, meta.uid(), meta.gid())?;
            self.counts.files += 1;
            return Ok(());
        }
        if !meta.is_file() {
            self.counts.skipped += 1;
            return Ok(());
        }
        if existing.is_some() {
            self.keep_aside(parent, name, &here)?;
        }
        let mut temp = std::ffi::OsString::from(".");
        temp.push(name);
        temp.push(".berth-restore");
        let _ = parent.remove_file(&temp);
        let mut file = parent
            .open_with(&temp, OpenOptions::new().write(true).create_new(true))?
            .into_std();
        io::copy(&mut fs::File::open(src)?, &mut file)?;
        fchown(&file, Some(meta.uid()), Some(meta.gid()))?;
        file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        file.set_times(FileTimes::new().set_modified(meta.modified()?))?;
        file.sync_all()?;
        parent.rename(&temp, parent, name)?;
        self.counts.files += 1;
        self.counts.bytes += meta.len();
        Ok(())
    }

    /// Keeps the file or link `name` of `parent` (at `here` in the root) in
    /// the keep folder before it is replaced. Resolved inside the keep
    /// folder (a kept link is never followed) and never over an earlier
    /// kept file: a second one of the same name is kept as `name~2`.
    fn keep_aside(&mut self, parent: &Dir, name: &OsStr, here: &Path) -> io::Result<()> {
        let kept = match &mut self.kept {
            Some(dir) => dir,
            slot => {
                fs::create_dir_all(&self.keep)?;
                slot.insert(Dir::open_ambient_dir(&self.keep, ambient_authority())?)
            }
        };
        let folder = match here.parent() {
            Some(up) if !up.as_os_str().is_empty() => {
                kept.create_dir_all(up)?;
                kept.open_dir(up)?
            }
            _ => kept.try_clone()?,
        };
        let meta = parent.symlink_metadata(name)?;
        let link = match meta.file_type().is_symlink() {
            true => Some(parent.read_link_contents(name)?),
            false => None,
        };
        if link.is_none() && !meta.is_file() {
            return Err(io::Error::other(format!(
                "{} is neither a file nor a link on the server now",
                here.display()
            )));
        }
        for n in 1.. {
            let mut dest = name.to_os_string();
            if n > 1 {
                dest.push(format!("~{n}"));
            }
            let made = if let Some(link) = &link {
                folder.symlink_contents(link, &dest).map(|()| None)
            } else {
                folder
                    .open_with(&dest, OpenOptions::new().write(true).create_new(true))
                    .map(Some)
            };
            match made {
                Ok(None) => break,
                Ok(Some(to)) => {
                    let mut to = to.into_std();
                    let mut from = parent.open(name)?.into_std();
                    io::copy(&mut from, &mut to)?;
                    to.set_permissions(from.metadata()?.permissions())?;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        self.counts.replaced += 1;
        Ok(())
    }
}

/// Sets the owner of `name` in `dir` (of a link itself, not of what it
/// points to).
fn chown_at(dir: &Dir, name: &OsStr, uid: u32, gid: u32) -> io::Result<()> {
    let name = CString::new(name.as_bytes()).map_err(|_| name_error("a NUL in a name"))?;
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    let rc = unsafe {
        libc::fchownat(
            dir.as_raw_fd(),
            name.as_ptr(),
            uid,
            gid,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn paths_that_hold_one_another_are_refused() {
        for bad in [
            &["data/notes", "data/notes/a.txt"][..],
            &["data/notes/a.txt", "data/notes"],
            &["data/x", "data/x"],
        ] {
            let e = refuse_overlaps(&paths(bad)).unwrap_err().to_string();
            assert!(e.contains("overlap"), "{bad:?}: {e}");
        }
        refuse_overlaps(&paths(&["data/a", "data/ab", "volumes/v/a"])).unwrap();
    }

    /// A fresh folder of the test's, removed first.
    fn fresh(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("berth-keep-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn placer(keep: &Path) -> Placer {
        Placer {
            keep: keep.to_path_buf(),
            kept: None,
            counts: Counts::default(),
        }
    }

    #[test]
    fn a_second_file_of_the_same_name_is_kept_beside_the_first() {
        let root = fresh("twice");
        let (app, keep, staged) = (root.join("app"), root.join("keep"), root.join("staged"));
        fs::create_dir_all(&staged).unwrap();
        fs::create_dir_all(&app).unwrap();
        fs::write(staged.join("x"), "backup").unwrap();
        let place = Place {
            root: app.clone(),
            inside: vec!["x".into()],
        };
        let mut placer = placer(&keep);
        for now in ["first", "second"] {
            fs::write(app.join("x"), now).unwrap();
            placer.put(&staged.join("x"), false, &place).unwrap();
        }
        assert_eq!(placer.counts.replaced, 2);
        assert_eq!(fs::read_to_string(keep.join("x")).unwrap(), "first");
        assert_eq!(fs::read_to_string(keep.join("x~2")).unwrap(), "second");
        assert_eq!(fs::read_to_string(app.join("x")).unwrap(), "backup");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_link_in_the_keep_folder_is_never_followed() {
        let root = fresh("link");
        let (app, keep, staged, outside) = (
            root.join("app"),
            root.join("keep"),
            root.join("staged"),
            root.join("outside"),
        );
        for dir in [&app.join("notes"), &keep, &staged, &outside] {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(staged.join("a.txt"), "backup").unwrap();
        fs::write(app.join("notes/a.txt"), "the app's").unwrap();
        // What an app's link, kept from its folder, looks like in there.
        std::os::unix::fs::symlink(&outside, keep.join("notes")).unwrap();
        let place = Place {
            root: app.clone(),
            inside: vec!["notes".into(), "a.txt".into()],
        };
        let put = placer(&keep).put(&staged.join("a.txt"), false, &place);
        assert!(put.is_err(), "kept through a link");
        assert!(
            fs::read_dir(&outside).unwrap().next().is_none(),
            "written outside through the keep folder's link"
        );
        assert_eq!(
            fs::read_to_string(app.join("notes/a.txt")).unwrap(),
            "the app's",
            "replaced without being kept"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
