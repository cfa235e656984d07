//! The backup schedule, retention and status (`crate::backup::schedule`,
//! `crate::backup::retention`), and the daemon's task that runs the
//! scheduled backups through the same path as the `backup` command (a
//! journaled operation with events, never while another operation holds
//! the app), one at a time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;

use super::super::commands::args;
use super::super::{EventKind, Reporter, Service};
use crate::backup::retention::{retain, Pruned};
use crate::backup::schedule::{
    app_schedule, due, next_due, status, time_zone_name, unscheduled, BackupOverview, Change,
    Effective, History, Keep, Schedule, ScheduleInfo, Schedules,
};
use crate::backup::Target;
use crate::db::{now_ms, AppRecord};
use crate::model::AppId;
use crate::{Error, Result};

/// How many of an app's last backups its history is read from.
const HISTORY: usize = 200;

impl Service {
    fn schedules(&self) -> Schedules {
        Schedules::new(self.apps.home())
    }

    /// The installed apps.
    fn installed_apps(&self) -> Result<Vec<AppRecord>> {
        Ok(self
            .apps
            .db()
            .apps()?
            .into_iter()
            .filter(|a| a.state == "installed")
            .collect())
    }

    fn backup_history(&self, app: &str) -> Result<History> {
        Ok(History::from_attempts(
            &self.apps.db().backup_attempts(app, HISTORY)?,
        ))
    }

    fn effective(schedule: Option<&Schedule>, app: &AppRecord) -> Result<Effective> {
        match schedule {
            Some(s) => s.effective(&app.id, app.installed_at),
            None => Ok(unscheduled(app.installed_at)),
        }
    }

    fn schedule_info(&self, schedule: Option<Schedule>) -> Result<ScheduleInfo> {
        let now = now_ms();
        let tz = TimeZone::system();
        let mut apps = Vec::new();
        for app in self.installed_apps()? {
            let e = Self::effective(schedule.as_ref(), &app)?;
            apps.push(app_schedule(
                &app.id,
                &e,
                &self.backup_history(&app.id)?,
                now,
                &tz,
            ));
        }
        Ok(ScheduleInfo {
            schedule,
            apps,
            time_zone: time_zone_name(&tz),
        })
    }

    pub(in crate::service) async fn backup_schedule(
        &self,
        _: args::BackupSchedule,
    ) -> Result<ScheduleInfo> {
        let schedule = self.schedules().current(now_ms())?;
        self.schedule_info(schedule)
    }

    pub(in crate::service) async fn backup_schedule_set(
        &self,
        a: args::BackupScheduleSet,
    ) -> Result<ScheduleInfo> {
        let targets = self.targets();
        if targets.list()?.is_empty() {
            return Err(Error::BadRequest {
                message: "no backup target is configured: add one with `berth backup target add-folder PATH`".into(),
            });
        }
        if let Some(app) = &a.app {
            self.require_installed(app)?;
        }
        if let Some(name) = &a.target {
            targets.get(Some(name))?;
        }
        let change = Change {
            app: a.app.map(String::from),
            at: a.at,
            enabled: a.enabled,
            keep_daily: a.keep_daily,
            keep_weekly: a.keep_weekly,
            keep_monthly: a.keep_monthly,
            target: a.target,
            reset: a.reset,
            include_shares: a.include_shares,
        };
        let schedule = self.schedules().change(&change, now_ms())?;
        self.schedule_info(Some(schedule))
    }

    /// Every app's backups: last success, last failure, next due, warning.
    pub(crate) fn backup_overview(&self) -> Result<BackupOverview> {
        let now = now_ms();
        let tz = TimeZone::system();
        let schedule = self.schedules().current(now)?;
        let mut apps = Vec::new();
        for app in self.installed_apps()? {
            let e = Self::effective(schedule.as_ref(), &app)?;
            apps.push(status(
                &app.id,
                &e,
                &self.backup_history(&app.id)?,
                now,
                &tz,
            ));
        }
        Ok(BackupOverview {
            configured: schedule.is_some(),
            warnings: apps.iter().filter(|a| a.warning.is_some()).count() as u32,
            apps,
        })
    }

    pub(in crate::service) async fn backup_status(
        &self,
        _: args::BackupStatus,
    ) -> Result<BackupOverview> {
        self.backup_overview()
    }

    pub(in crate::service) async fn backup_prune(
        &self,
        a: args::BackupPrune,
    ) -> Result<Vec<Pruned>> {
        let targets = self.targets();
        let password = targets.password()?;
        let schedule = self
            .schedules()
            .current(now_ms())?
            .unwrap_or_else(|| Schedule::new(now_ms()));
        let apps = match &a.app {
            Some(app) => {
                self.require_installed(app)?;
                vec![self
                    .apps
                    .db()
                    .app(app)?
                    .ok_or_else(|| Error::NotInstalled {
                        app: app.to_string(),
                    })?]
            }
            None => self.installed_apps()?,
        };
        // Each app at its target (or the one named), each target pruned once.
        let mut by_target: BTreeMap<String, (Target, Vec<(String, Keep)>)> = BTreeMap::new();
        for app in apps {
            let e = schedule.effective(&app.id, app.installed_at)?;
            let target = targets.get(a.target.as_deref().or(e.target.as_deref()))?;
            by_target
                .entry(target.name.clone())
                .or_insert_with(|| (target, Vec::new()))
                .1
                .push((app.id.clone(), e.keep));
        }
        if by_target.is_empty() {
            let target = targets.get(a.target.as_deref())?;
            by_target.insert(target.name.clone(), (target, Vec::new()));
        }
        let mut out = Vec::new();
        for (_, (target, apps)) in by_target {
            out.push(retain(target, password.clone(), apps, true).await?);
        }
        Ok(out)
    }

    /// After a backup of `app` to `target`: its backups beyond its keep
    /// rules forgotten, the repository pruned; said to the backup's client
    /// and in the daemon's log. A failure here leaves the backup done.
    pub(in crate::service) async fn retain_after_backup(
        &self,
        app: &str,
        target: &Target,
        password: &str,
        reporter: &Reporter,
    ) {
        let keep = self.schedules().current(now_ms()).and_then(|s| match s {
            Some(s) => s.effective(app, 0).map(|e| e.keep),
            None => Ok(Keep::default()),
        });
        let result = match keep {
            Ok(keep) => {
                retain(
                    target.clone(),
                    password.to_string(),
                    vec![(app.to_string(), keep)],
                    false,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let text = match result {
            Ok(p) if p.forgotten.is_empty() => {
                format!("{app}: {} kept, none beyond the keep rules", p.kept)
            }
            Ok(p) => {
                let line = format!(
                    "{app}: {} kept, {} forgotten ({}), {} of unused data pruned",
                    p.kept,
                    p.forgotten.len(),
                    p.forgotten
                        .iter()
                        .map(|b| b.short_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    crate::apps::human_bytes(p.unused_bytes)
                );
                eprintln!("berth: retention at {}: {line}", target.name);
                line
            }
            Err(e) => {
                let line = format!("the backup is done, but its retention failed: {e}");
                eprintln!("berth: {app}: {line}");
                line
            }
        };
        reporter.send(EventKind::Log {
            service: "retention".into(),
            stream: "stdout".into(),
            text,
        });
    }

    /// Runs the scheduled backups when they are due, one at a time, until
    /// the daemon stops: looks every `every` at most, sooner when a backup
    /// is due sooner.
    pub async fn run_backup_schedule(self: Arc<Self>, every: Duration) {
        let mut last_error: Option<String> = None;
        loop {
            let wait = match self.scheduled_round().await {
                Ok(next) => {
                    last_error = None;
                    next.map(|at| Duration::from_millis((at - now_ms()).max(0) as u64))
                }
                Err(e) => {
                    let message = e.to_string();
                    if last_error.as_deref() != Some(&message) {
                        eprintln!("berth: the backup schedule: {message}");
                        last_error = Some(message);
                    }
                    None
                }
            };
            // A second past the time, so that it is due when looked at.
            let wait = match wait {
                // Due now yet not run (its app busy): look again shortly.
                Some(w) if w.is_zero() => Duration::from_secs(5),
                Some(w) => w + Duration::from_secs(1),
                None => every,
            }
            .min(every);
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs every backup due now, one after the other; answers when the
    /// next one is due.
    async fn scheduled_round(self: &Arc<Self>) -> Result<Option<i64>> {
        let Some(schedule) = self.schedules().current(now_ms())? else {
            return Ok(None);
        };
        let tz = TimeZone::system();
        let mut next: Option<i64> = None;
        for app in self.installed_apps()? {
            let e = match schedule.effective(&app.id, app.installed_at) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("berth: the backup schedule of {}: {e}", app.id);
                    continue;
                }
            };
            if due(&e, &self.backup_history(&app.id)?, now_ms(), &tz) {
                self.scheduled_backup(&app.id, &e).await;
            }
            if let Some(at) = next_due(&e, &self.backup_history(&app.id)?, now_ms(), &tz) {
                next = Some(next.map_or(at, |n: i64| n.min(at)));
            }
        }
        Ok(next)
    }

    /// One scheduled backup, as the `backup` command runs it. A refusal
    /// before it began (no target, no room) is journaled as a failed
    /// backup, so that it shows and is not retried at once; an app busy
    /// with another operation is tried again at the next look.
    async fn scheduled_backup(self: &Arc<Self>, app: &str, e: &Effective) {
        let request = match AppId::new(app) {
            Ok(id) => args::Backup {
                app: id,
                target: e.target.clone(),
            },
            Err(_) => return,
        };
        match self.backup(request).await {
            Ok(op) => {
                let id = op.id;
                match op.finish().await {
                    Ok(_) => eprintln!("berth: scheduled backup of {app} done (operation {id})"),
                    Err(err) => {
                        eprintln!("berth: scheduled backup of {app} failed (operation {id}): {err}")
                    }
                }
            }
            Err(Error::Busy { .. }) => {}
            Err(err) => {
                eprintln!("berth: scheduled backup of {app} could not begin: {err}");
                let db = self.apps.db();
                let request = serde_json::json!({ "app": app, "scheduled": true }).to_string();
                let recorded = db
                    .begin_operation(app, "backup", &request)
                    .and_then(|op| db.finish_operation(op, "failed", Some(&err.to_string())));
                if let Err(e) = recorded {
                    eprintln!("berth: could not journal the failed backup of {app}: {e}");
                }
            }
        }
    }
}
