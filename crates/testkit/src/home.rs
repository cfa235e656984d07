//! A temporary Berth home.

use std::ffi::OsStr;
use std::ops::Deref;
use std::path::{Path, PathBuf};

/// A fresh folder `berth-NAME-PID` in the temp folder, removed on drop when
/// the test passed; kept when it failed, so what went wrong can be looked at.
pub struct TempHome(PathBuf);

impl TempHome {
    /// Creates the folder, first removing what an earlier run left there.
    pub fn new(name: &str) -> TempHome {
        let path = std::env::temp_dir().join(format!("berth-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&path).ok();
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempHome(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Deref for TempHome {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempHome {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for TempHome {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} to look at", self.0.display());
        } else {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }
}
