//! The storage guard: an app whose share is on a drive that is absent (or
//! whose capped data disk is not mounted) is not started, and a running
//! one is stopped, so it never fills the empty folder left on the system
//! disk; it is held ("waiting for Movies (drive not present)") and started
//! again by itself when the drive is back.
//!
//! A share is present when its folder is there and on the filesystem it
//! was on when added: a drive's empty mount point left on the system disk
//! is not the drive. Docker never makes a share's folder either: shares
//! are mounted with `create_host_path: false`.

use std::path::Path;

use crate::apps::Apps;
use crate::compose::Project;
use crate::db::ShareRecord;
use crate::{Error, Result};

use super::mounts::recorded_shares;

/// Whether the share's folder is there, on the filesystem it was on when
/// the share was added.
pub(crate) fn share_present(record: &ShareRecord) -> bool {
    let path = Path::new(&record.path);
    if !path.is_dir() {
        return false;
    }
    match record.mount.as_deref() {
        Some(mount) if mount != "/" => {
            crate::host::mount_point(path).is_some_and(|now| now == Path::new(mount))
        }
        _ => true,
    }
}

/// What one round of the guard did to an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardAction {
    /// Stopped (it was running) and held, waiting for what is named.
    Stopped { app: String, waiting: String },
    /// Held without stopping (it was not running but meant to).
    Held { app: String, waiting: String },
    /// What it waited for is back: started again.
    Started { app: String },
    /// What it waited for is back, but starting it failed.
    StartFailed { app: String, error: String },
}

impl Apps {
    /// What the app waits for before it may start, for people: each of its
    /// shares whose drive is absent, its data disk when it cannot be
    /// mounted; empty when it may start. Refuses (not waits for) a share
    /// whose folder became one no share may be (a link swapped in).
    pub async fn storage_waits(&self, app: &str, project: &Project) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for s in recorded_shares(project) {
            if let Some(why) = crate::policy::share_path_problem(Path::new(&s.path), self.home()) {
                return Err(Error::ShareRefused {
                    name: s.share,
                    path: s.path.into(),
                    why,
                });
            }
            match self.db().share(&s.share)? {
                Some(record) if record.path != s.path => out.push(format!(
                    "{} (the share now stands for another folder; give {app} its shares again)",
                    s.share
                )),
                Some(record) if !share_present(&record) => {
                    out.push(format!("{} (drive not present)", s.share))
                }
                Some(_) => {}
                None => out.push(format!(
                    "{} (the share was removed; give {app} another)",
                    s.share
                )),
            }
        }
        if !self.data_disk_ready(app).await {
            out.push("its data disk (it cannot be mounted)".into());
        }
        Ok(out)
    }

    /// Refuses to start `app` while what it needs is absent; a start
    /// (`hold`) holds it then, so it starts by itself when that is back.
    /// Called before every start of its containers.
    pub(crate) async fn check_storage(
        &self,
        app: &str,
        project: &Project,
        hold: bool,
    ) -> Result<()> {
        let waits = self.storage_waits(app, project).await?;
        if waits.is_empty() {
            return Ok(());
        }
        let waiting = waits.join(", ");
        if hold {
            self.db().set_held(app, Some(&waiting))?;
        }
        Err(Error::StorageAbsent {
            app: app.to_string(),
            waiting,
        })
    }

    /// One round of the guard over the installed apps `claim` lets it
    /// take (not busy with an operation): holds, stopping it if it runs,
    /// each app whose storage is absent; starts each held app whose
    /// storage is back.
    pub async fn guard_storage<T>(&self, claim: impl Fn(&str) -> Option<T>) -> Vec<GuardAction> {
        let mut actions = Vec::new();
        let Ok(apps) = self.db().apps() else {
            return actions;
        };
        for record in apps.into_iter().filter(|r| r.state == "installed") {
            let app = record.id.as_str();
            let Ok(project) = self.load_rendered(app) else {
                continue;
            };
            let held = self.db().held(app).ok().flatten();
            let waits = match self.storage_waits(app, &project).await {
                Ok(w) => w,
                Err(e) => vec![e.to_string()],
            };
            if waits.is_empty() && held.is_none() {
                continue;
            }
            // Only now, when there is something to do: an operation on the
            // app meanwhile is not refused for a round that does nothing.
            let Some(_claimed) = claim(app) else {
                continue;
            };
            if waits.is_empty() {
                actions.push(self.release(app).await);
                continue;
            }
            let waiting = waits.join(", ");
            let running = self
                .engine()
                .status(app)
                .await
                .map(|s| s.iter().any(|s| s.is_up()))
                .unwrap_or(false);
            if running {
                if self.engine().stop(&project).await.is_ok() {
                    let _ = self.db().set_held(app, Some(&waiting));
                    actions.push(GuardAction::Stopped {
                        app: app.to_string(),
                        waiting,
                    });
                }
            } else if held.as_deref() != Some(waiting.as_str())
                && (held.is_some() || self.db().meant_to_run(app).unwrap_or(false))
            {
                let _ = self.db().set_held(app, Some(&waiting));
                actions.push(GuardAction::Held {
                    app: app.to_string(),
                    waiting,
                });
            }
        }
        actions
    }

    /// Starts a held app whose storage is back, journaled as a start.
    async fn release(&self, app: &str) -> GuardAction {
        let started = async {
            let op = self.begin_power(app, crate::apps::Power::Start)?;
            self.run_power(op, app, crate::apps::Power::Start, &mut |_| {})
                .await
        }
        .await;
        match started {
            Ok(()) => {
                let _ = self.db().set_held(app, None);
                GuardAction::Started {
                    app: app.to_string(),
                }
            }
            Err(e) => GuardAction::StartFailed {
                app: app.to_string(),
                error: e.to_string(),
            },
        }
    }
}
