//! Shares: the server's named folders (Movies, Music, Photos…) that hold the
//! family's files, for apps to be given with the user's consent. A share is
//! a name and a folder on any disk; its path is judged like any bind
//! ([`crate::policy::share_path_problem`]: not a system folder, not Berth's
//! files). The default set lives under `<home>/shares/`. Forgetting a share
//! never deletes its files.

mod ownership;
mod smb;

pub use ownership::{
    check as check_access, chown_tree, operation_subject, OwnershipBegun, ShareAccess, Tally,
    SAMPLE,
};
pub use smb::{
    render_config, unix_names, Smb, SmbAccess, SmbPaths, SmbSettings, SmbStatus, SmbUsers,
    DEFAULT_PORT, SHARE_USER,
};

use std::path::{Path, PathBuf};

mod guard;
mod mounts;

pub use guard::GuardAction;
pub(crate) use mounts::mount_shares;
pub use mounts::{recorded_shares, AppShare, SHARES_KEY};

use crate::apps::Apps;
use crate::db::ShareRecord;
use crate::model::{Layout, ShareName};
use crate::{Error, Result};

/// The shares offered on first run, made under `<home>/shares/`.
pub const DEFAULT_SHARES: &[&str] = &[
    "Movies",
    "TV",
    "Music",
    "Photos",
    "Books",
    "Documents",
    "Downloads",
];

impl Apps {
    /// Every share, by name.
    pub fn shares(&self) -> Result<Vec<ShareRecord>> {
        self.db().shares()
    }

    /// Adds the share `name` for the folder `path`, which must exist (a
    /// drive that is plugged in); without a path, for a new folder
    /// `<home>/shares/<name>`, made now.
    pub fn add_share(&self, name: &ShareName, path: Option<&Path>) -> Result<ShareRecord> {
        if self.db().share(name)?.is_some() {
            return Err(Error::ShareExists {
                name: name.to_string(),
            });
        }
        let refuse = |path: &Path, why: String| Error::ShareRefused {
            name: name.to_string(),
            path: path.to_path_buf(),
            why,
        };
        let path: PathBuf = match path {
            Some(path) => {
                if let Some(why) = crate::policy::share_path_problem(path, self.home()) {
                    return Err(refuse(path, why));
                }
                if !path.is_dir() {
                    return Err(refuse(
                        path,
                        "it is not a folder on this server (create it, or plug in its drive)"
                            .into(),
                    ));
                }
                crate::compose::clean(path)
            }
            None => {
                let path = Layout::new(self.home()).shares_root().join(name.as_str());
                let write = |cause| Error::Write {
                    path: path.clone(),
                    cause,
                };
                if !path.exists() {
                    std::fs::create_dir_all(&path).map_err(write)?;
                    // A folder Berth makes is the apps' from the start (only
                    // this new, empty one: never a folder that was there).
                    // A Berth not run as root makes it as its own user.
                    let host = self.host();
                    match std::os::unix::fs::chown(&path, Some(host.puid), Some(host.pgid)) {
                        Err(e) if e.kind() != std::io::ErrorKind::PermissionDenied => {
                            return Err(write(e))
                        }
                        _ => {}
                    }
                }
                path
            }
        };
        let text = path.to_string_lossy().into_owned();
        let mount = crate::host::mount_point(&path).map(|m| m.to_string_lossy().into_owned());
        if !self.db().add_share(name, &text, mount.as_deref())? {
            return Err(Error::ShareExists {
                name: name.to_string(),
            });
        }
        self.db().share(name)?.ok_or(Error::NoShare {
            name: name.to_string(),
        })
    }

    /// Forgets the share `name` when no app is given it; its folder and
    /// files stay.
    pub fn remove_share(&self, name: &ShareName) -> Result<()> {
        let using = self.apps_using_share(name.as_str())?;
        if !using.is_empty() {
            return Err(Error::ShareInUse {
                name: name.to_string(),
                apps: using,
            });
        }
        if self.db().remove_share(name)? {
            Ok(())
        } else {
            Err(Error::NoShare {
                name: name.to_string(),
            })
        }
    }

    /// Adds the default shares that are not there yet (by name), each a new
    /// folder under `<home>/shares/`.
    pub fn add_default_shares(&self) -> Result<Vec<ShareRecord>> {
        for name in DEFAULT_SHARES {
            let name = ShareName::new(*name).expect("default share names are valid");
            if self.db().share(&name)?.is_none() {
                self.add_share(&name, None)?;
            }
        }
        self.shares()
    }
}
