//! Mounting the home's disk images on their apps' data folders (at start,
//! after a change), and deleting an app's disk with its data.

use super::super::snapshot::remove_tree;
use super::super::Apps;
use super::{io_err, remove_file};
use crate::host::{mount_source, unmount};
use crate::rewrite::valid_app_id;
use crate::{Error, Result};

impl Apps {
    /// Mounts `app`'s disk image on its data folder, unless it is already.
    pub(super) async fn mount_disk(&self, app: &str) -> Result<bool> {
        let p = self.disk_paths(app);
        if !p.image.exists() || mount_source(&p.data).is_some() {
            return Ok(false);
        }
        p.image
            .mount(&p.data)
            .await
            .map_err(io_err(app, "mounting its disk"))?;
        Ok(true)
    }

    /// Whether `app`'s data folder is ready for its containers: uncapped,
    /// or its disk image mounted on it (mounted now if it was not). A disk
    /// change in progress has its own steps and is taken as ready.
    pub(crate) async fn data_disk_ready(&self, app: &str) -> bool {
        let p = self.disk_paths(app);
        if !p.image.exists() || mount_source(&p.data).is_some() {
            return true;
        }
        match self.mount_disk(app).await {
            Ok(_) => true,
            Err(e) => {
                eprintln!("berth: {e}");
                false
            }
        }
    }

    /// Mounts every disk image of the home on its app's data folder, those
    /// of apps uninstalled with their data kept too; returns the apps whose
    /// disk it mounted. For the daemon's start (after a reboot), before any
    /// operation runs; [`Apps::reconcile`] calls it first.
    pub async fn mount_disks(&self) -> Result<Vec<String>> {
        let dir = self.layout.disks_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => return Err(Error::Read { path: dir, cause }),
        };
        // A change a crash interrupted is settled, mount included, by reconcile.
        let changing: Vec<String> = self
            .db
            .unfinished_operations()?
            .into_iter()
            .filter(|op| op.kind == "disk")
            .map(|op| op.app)
            .collect();
        let mut mounted = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(app) = name.strip_suffix(".img").filter(|a| valid_app_id(a)) else {
                continue;
            };
            if changing.iter().any(|c| c == app) {
                continue;
            }
            if self.mount_disk(app).await? {
                mounted.push(app.to_string());
            }
        }
        Ok(mounted)
    }

    /// Unmounts and deletes `app`'s disk (a purge); its containers must be gone.
    pub(in crate::apps) async fn delete_disk(&self, app: &str) -> Result<()> {
        let p = self.disk_paths(app);
        let delete = async {
            unmount(&p.staging).await?;
            unmount(&p.data).await?;
            for file in [&p.image.path, &p.new.path, &p.old] {
                remove_file(file)?;
            }
            remove_tree(&p.uncapped)?;
            remove_tree(&p.uncapping)?;
            match std::fs::remove_dir(&p.staging) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        };
        delete.await.map_err(io_err(app, "deleting its disk"))
    }
}
