//! The backup schedule: when each app is backed up, to which target, and
//! how many of its backups are kept. Kept root-only in
//! `<home>/backup/schedule.json`; once a target exists every app is backed
//! up daily at 03:00 server-local time unless told otherwise, and an app
//! may have its own time, be left out, keep other counts or go to another
//! target.
//!
//! Everything here is pure logic with the clock passed in (`now` in
//! milliseconds, the server's time zone): when an app is next due, whether
//! it is due now (its time has come and it was not tried since; a run the
//! daemon missed, being down, is caught up soon after it starts when the
//! last success is older than a day), and its status verdict (last success,
//! last failure, next due, and a warning once it has had no successful
//! backup for a day while backups failed or were missed). The results come
//! from the operations journal ([`History`]), so they survive restarts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{write_private, Targets};
use crate::{Error, Result};

/// A day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// A scheduled run that starts within this of its time is on time; later,
/// it is a catch-up, made only when the last success is older than a day.
pub const ON_TIME_MS: i64 = 3_600_000;
/// The time of day every app is backed up at by default.
pub const DEFAULT_AT: &str = "03:00";

/// How many backups of an app are kept: the newest of each of the last
/// `daily` days, `weekly` weeks and `monthly` months (restic's `forget
/// --keep-daily/--keep-weekly/--keep-monthly`); 0 keeps none by that rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Keep {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for Keep {
    fn default() -> Self {
        Keep {
            daily: 7,
            weekly: 4,
            monthly: 6,
        }
    }
}

impl Keep {
    fn check(&self) -> Result<()> {
        if self.daily == 0 && self.weekly == 0 && self.monthly == 0 {
            return Err(Error::BadRequest {
                message: "the keep rules would keep no backup: keep at least one daily, weekly or monthly".into(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} daily, {} weekly, {} monthly",
            self.daily, self.weekly, self.monthly
        )
    }
}

/// The schedule of every app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Daily at this server-local time, `HH:MM`.
    pub at: String,
    /// Backups run on schedule.
    pub enabled: bool,
    pub keep: Keep,
    /// The target's name; the only one when not given.
    pub target: Option<String>,
    /// When its time or on/off last changed (ms): an earlier time of day
    /// is not a missed run.
    #[specta(type = f64)]
    pub changed_at: i64,
}

/// One app's own schedule: each field given replaces the rule of every app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Override {
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub keep: Option<Keep>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    #[specta(type = f64)]
    pub changed_at: i64,
    /// Its shares' files are in its backups (off unless turned on for it).
    #[serde(default)]
    pub include_shares: Option<bool>,
}

/// The whole schedule, as `schedule.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// When the schedule came into effect (ms).
    #[specta(type = f64)]
    pub since: i64,
    pub all: Rule,
    #[serde(default)]
    pub apps: BTreeMap<String, Override>,
}

impl Schedule {
    /// The default schedule, in effect from `now`.
    pub fn new(now: i64) -> Self {
        Schedule {
            since: now,
            all: Rule {
                at: DEFAULT_AT.into(),
                enabled: true,
                keep: Keep::default(),
                target: None,
                changed_at: now,
            },
            apps: BTreeMap::new(),
        }
    }

    /// What applies to `app`, installed at `installed_at` (ms).
    pub fn effective(&self, app: &str, installed_at: i64) -> Result<Effective> {
        let o = self.apps.get(app).cloned().unwrap_or_default();
        let at = o.at.as_deref().unwrap_or(&self.all.at);
        Ok(Effective {
            at: At::parse(at)?,
            enabled: o.enabled.unwrap_or(self.all.enabled),
            keep: o.keep.unwrap_or(self.all.keep),
            target: o.target.clone().or_else(|| self.all.target.clone()),
            overridden: o.at.is_some()
                || o.enabled.is_some()
                || o.keep.is_some()
                || o.target.is_some(),
            since: self
                .since
                .max(self.all.changed_at)
                .max(o.changed_at)
                .max(installed_at),
        })
    }

    /// Whether `app`'s backups include the files of its shares.
    pub fn includes_shares(&self, app: &str) -> bool {
        self.apps
            .get(app)
            .and_then(|o| o.include_shares)
            .unwrap_or(false)
    }

    /// Applies `change` at `now`.
    pub fn apply(&mut self, change: &Change, now: i64) -> Result<()> {
        if let Some(at) = &change.at {
            At::parse(at)?;
        }
        let timing = change.at.is_some() || change.enabled.is_some();
        match &change.app {
            None if change.include_shares.is_some() => {
                return Err(Error::BadRequest {
                    message: "shares are included in backups app by app: give the app (--app ID)"
                        .into(),
                });
            }
            None => {
                let all = &mut self.all;
                let keep = change.keep_over(all.keep);
                keep.check()?;
                all.keep = keep;
                if let Some(at) = &change.at {
                    all.at = At::parse(at)?.to_string();
                }
                if let Some(enabled) = change.enabled {
                    all.enabled = enabled;
                }
                if let Some(target) = &change.target {
                    all.target = Some(target.clone());
                }
                if timing {
                    all.changed_at = now;
                }
            }
            Some(app) if change.reset => {
                // Back on the common rule; its time counts from now. Whether
                // its shares are included is not a schedule: it stays.
                let shares = change
                    .include_shares
                    .or_else(|| self.apps.get(app).and_then(|o| o.include_shares));
                self.apps.insert(
                    app.clone(),
                    Override {
                        changed_at: now,
                        include_shares: shares,
                        ..Default::default()
                    },
                );
            }
            Some(app) => {
                let base = self.all.keep;
                let o = self.apps.entry(app.clone()).or_default();
                if change.keep_given() {
                    let keep = change.keep_over(o.keep.unwrap_or(base));
                    keep.check()?;
                    o.keep = Some(keep);
                }
                if let Some(at) = &change.at {
                    o.at = Some(At::parse(at)?.to_string());
                }
                if let Some(enabled) = change.enabled {
                    o.enabled = Some(enabled);
                }
                if let Some(target) = &change.target {
                    o.target = Some(target.clone());
                }
                if let Some(shares) = change.include_shares {
                    o.include_shares = Some(shares);
                }
                if timing {
                    o.changed_at = now;
                }
            }
        }
        Ok(())
    }
}

/// A change to the schedule: of every app (`app` not given) or of one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub app: Option<String>,
    pub at: Option<String>,
    pub enabled: Option<bool>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub target: Option<String>,
    /// The app follows the schedule of every app again.
    pub reset: bool,
    /// The app's shares are included in its backups, or not (one app only).
    pub include_shares: Option<bool>,
}

impl Change {
    fn keep_given(&self) -> bool {
        self.keep_daily.is_some() || self.keep_weekly.is_some() || self.keep_monthly.is_some()
    }

    fn keep_over(&self, base: Keep) -> Keep {
        Keep {
            daily: self.keep_daily.unwrap_or(base.daily),
            weekly: self.keep_weekly.unwrap_or(base.weekly),
            monthly: self.keep_monthly.unwrap_or(base.monthly),
        }
    }
}

/// A time of day, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub hour: i8,
    pub minute: i8,
}

impl At {
    pub fn parse(s: &str) -> Result<At> {
        let bad = || Error::BadRequest {
            message: format!("{s:?} is not a time of day: give HH:MM (24-hour), e.g. 03:00"),
        };
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let ok = |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
        if !ok(h) || m.len() != 2 || !ok(m) {
            return Err(bad());
        }
        let (hour, minute): (i8, i8) =
            (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
            return Err(bad());
        }
        Ok(At { hour, minute })
    }

    /// This time on `date` in `tz` (a time skipped by a clock change is
    /// taken as the time after it; one repeated, as its first).
    fn on(&self, date: Date, tz: &TimeZone) -> Option<i64> {
        tz.to_ambiguous_zoned(date.at(self.hour, self.minute, 0, 0))
            .compatible()
            .ok()
            .map(|z| z.timestamp().as_millisecond())
    }

    /// The last time this time of day came, at or before `now`.
    pub fn previous(&self, now: i64, tz: &TimeZone) -> i64 {
        let today = local_date(now, tz);
        match self.on(today, tz) {
            Some(t) if t <= now => t,
            _ => today
                .yesterday()
                .ok()
                .and_then(|d| self.on(d, tz))
                .unwrap_or(i64::MIN),
        }
    }

    /// The next time this time of day comes, after `now`.
    pub fn next(&self, now: i64, tz: &TimeZone) -> i64 {
        let today = local_date(now, tz);
        match self.on(today, tz) {
            Some(t) if t > now => t,
            _ => today
                .tomorrow()
                .ok()
                .and_then(|d| self.on(d, tz))
                .unwrap_or(i64::MAX),
        }
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn local_date(ms: i64, tz: &TimeZone) -> Date {
    timestamp(ms).to_zoned(tz.clone()).date()
}

/// `ms` as this server's local time, `YYYY-MM-DD HH:MM` (for people).
pub fn local_time(ms: i64) -> String {
    local_time_in(ms, &TimeZone::system())
}

pub fn local_time_in(ms: i64, tz: &TimeZone) -> String {
    timestamp(ms)
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// What applies to one app.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub at: At,
    pub enabled: bool,
    pub keep: Keep,
    pub target: Option<String>,
    /// It has a schedule of its own.
    pub overridden: bool,
    /// From when its time of day counts (ms): the schedule's start, its
    /// last change, the app's install.
    pub since: i64,
}

/// A backup of an app as the journal recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupRun {
    /// The `backup` operation.
    #[specta(type = f64)]
    pub operation: i64,
    /// When it ended (ms).
    #[specta(type = f64)]
    pub at: i64,
    /// Why it failed.
    pub error: Option<String>,
}

/// An app's backups, from the operations journal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// When the last backup began (running, done or not).
    pub last_attempt: Option<i64>,
    pub last_success: Option<BackupRun>,
    pub last_failure: Option<BackupRun>,
    /// When the first failure after the last success ended.
    pub failing_since: Option<i64>,
}

/// One `backup` operation: id, start, end, outcome, error.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `done`, `failed`, `interrupted`; `None` while it runs.
    pub outcome: Option<String>,
    pub error: Option<String>,
}

impl History {
    /// From the app's `backup` operations, in any order.
    pub fn from_attempts(attempts: &[Attempt]) -> Self {
        let mut h = History::default();
        let mut sorted: Vec<&Attempt> = attempts.iter().collect();
        sorted.sort_by_key(|a| a.id);
        for a in sorted {
            h.last_attempt = Some(h.last_attempt.unwrap_or(i64::MIN).max(a.started_at));
            let Some(outcome) = &a.outcome else { continue };
            let run = BackupRun {
                operation: a.id,
                at: a.finished_at.unwrap_or(a.started_at),
                error: a.error.clone(),
            };
            if outcome == "done" {
                h.failing_since = None;
                h.last_success = Some(BackupRun { error: None, ..run });
            } else {
                h.failing_since.get_or_insert(run.at);
                h.last_failure = Some(run);
            }
        }
        h
    }

    fn success_at(&self) -> Option<i64> {
        self.last_success.as_ref().map(|r| r.at)
    }
}

/// Whether a scheduled backup of the app is due at `now`: its time of day
/// has come since the schedule applies and it was not tried since; on
/// time (within [`ON_TIME_MS`]) it runs, later (Berth was down, or the app
/// busy) only when the last success is older than a day.
pub fn due(e: &Effective, h: &History, now: i64, tz: &TimeZone) -> bool {
    if !e.enabled {
        return false;
    }
    let slot = e.at.previous(now, tz);
    if slot < e.since || h.last_attempt.is_some_and(|a| a >= slot) {
        return false;
    }
    now - slot < ON_TIME_MS || h.success_at().is_none_or(|s| now - s >= DAY_MS)
}

/// When the app's next scheduled backup is due: `now` when it is due now;
/// `None` when it is not scheduled.
pub fn next_due(e: &Effective, h: &History, now: i64, tz: &TimeZone) -> Option<i64> {
    if !e.enabled {
        return None;
    }
    if due(e, h, now, tz) {
        return Some(now);
    }
    Some(e.at.next(now.max(e.since), tz))
}

/// An app's backups at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppBackupStatus {
    pub app: String,
    /// Backed up on schedule (daily at `at`).
    pub scheduled: bool,
    pub at: String,
    pub last_success: Option<BackupRun>,
    pub last_failure: Option<BackupRun>,
    /// When its next scheduled backup is due (ms).
    #[specta(type = Option<f64>)]
    pub next_due: Option<i64>,
    /// Set when the app has had no successful backup for a day while
    /// backups failed or were missed: why, in words.
    pub warning: Option<String>,
}

/// The verdict on one app at `now`.
pub fn status(app: &str, e: &Effective, h: &History, now: i64, tz: &TimeZone) -> AppBackupStatus {
    AppBackupStatus {
        app: app.to_string(),
        scheduled: e.enabled,
        at: e.at.to_string(),
        last_success: h.last_success.clone(),
        last_failure: h.last_failure.clone(),
        next_due: next_due(e, h, now, tz),
        warning: warning(e, h, now, tz),
    }
}

/// Why the app needs attention, if it does: no successful backup for a day
/// (since its last success, or since its schedule applies) while backups
/// failed or a scheduled run was missed.
pub fn warning(e: &Effective, h: &History, now: i64, tz: &TimeZone) -> Option<String> {
    let success = h.success_at();
    let reference = match (success, e.enabled) {
        (Some(s), true) => s.max(e.since),
        (Some(s), false) => s,
        (None, true) => e.since.min(h.failing_since.unwrap_or(i64::MAX)),
        (None, false) => h.failing_since?,
    };
    let hours = (now - reference) / 3_600_000;
    if now - reference < DAY_MS {
        return None;
    }
    let since = match success {
        Some(s) => format!("since {}", local_time_in(s, tz)),
        None => "ever".to_string(),
    };
    if h.failing_since.is_some() {
        let why = h
            .last_failure
            .as_ref()
            .and_then(|f| f.error.clone())
            .unwrap_or_else(|| "no reason recorded".into());
        return Some(format!(
            "no successful backup {since} ({hours} h); the last one failed: {why}"
        ));
    }
    if e.enabled {
        let slot = e.at.previous(now - ON_TIME_MS, tz);
        let missed = slot > reference && slot >= e.since && h.last_attempt.is_none_or(|a| a < slot);
        if missed {
            return Some(format!(
                "no successful backup {since} ({hours} h); the backup due at {} did not run (was Berth stopped?)",
                local_time_in(slot, tz)
            ));
        }
    }
    None
}

/// One app's schedule as it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppSchedule {
    pub app: String,
    /// Daily at this server-local time, `HH:MM`.
    pub at: String,
    pub enabled: bool,
    pub keep: Keep,
    /// The target's name; the only one when not given.
    pub target: Option<String>,
    /// It has a schedule of its own (else every app's applies).
    pub overridden: bool,
    /// When its next scheduled backup is due (ms).
    #[specta(type = Option<f64>)]
    pub next_due: Option<i64>,
}

/// The backup schedule: every app's rule, and each app's as it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInfo {
    /// `None` until a backup target is configured.
    pub schedule: Option<Schedule>,
    pub apps: Vec<AppSchedule>,
    /// The server's time zone, which the times of day are in.
    pub time_zone: String,
}

/// Every app's backups at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BackupOverview {
    /// A backup target is configured.
    pub configured: bool,
    /// How many apps have a warning.
    pub warnings: u32,
    pub apps: Vec<AppBackupStatus>,
}

/// The effective schedule of an app with no schedule (no target yet).
pub fn unscheduled(installed_at: i64) -> Effective {
    Effective {
        at: At { hour: 3, minute: 0 },
        enabled: false,
        keep: Keep::default(),
        target: None,
        overridden: false,
        since: installed_at,
    }
}

/// An app's schedule as it applies at `now`.
pub fn app_schedule(app: &str, e: &Effective, h: &History, now: i64, tz: &TimeZone) -> AppSchedule {
    AppSchedule {
        app: app.to_string(),
        at: e.at.to_string(),
        enabled: e.enabled,
        keep: e.keep,
        target: e.target.clone(),
        overridden: e.overridden,
        next_due: next_due(e, h, now, tz),
    }
}

/// The server's time zone's name (`UTC` when it has none).
pub fn time_zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_string()
}

/// The schedule file of a Berth home.
pub struct Schedules {
    home: PathBuf,
}

impl Schedules {
    pub fn new(home: &Path) -> Self {
        Schedules {
            home: home.to_path_buf(),
        }
    }

    fn file(&self) -> PathBuf {
        self.home.join("backup").join("schedule.json")
    }

    /// The schedule kept, if one is.
    pub fn load(&self) -> Result<Option<Schedule>> {
        let file = self.file();
        match std::fs::read(&file) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| Error::CorruptState {
                        path: file.clone(),
                        message: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(cause) => Err(Error::Read { path: file, cause }),
        }
    }

    /// The schedule in effect: the one kept, else, once a target exists,
    /// the default one, kept from `now` on; `None` without either.
    pub fn current(&self, now: i64) -> Result<Option<Schedule>> {
        if let Some(s) = self.load()? {
            return Ok(Some(s));
        }
        if Targets::new(&self.home).list()?.is_empty() {
            return Ok(None);
        }
        let s = Schedule::new(now);
        self.save(&s)?;
        Ok(Some(s))
    }

    /// Applies `change` at `now` and keeps the result.
    pub fn change(&self, change: &Change, now: i64) -> Result<Schedule> {
        let mut s = self.load()?.unwrap_or_else(|| Schedule::new(now));
        s.apply(change, now)?;
        self.save(&s)?;
        Ok(s)
    }

    fn save(&self, s: &Schedule) -> Result<()> {
        Targets::new(&self.home).make_dir()?;
        let json = serde_json::to_vec_pretty(s).expect("schedules serialize");
        write_private(&self.file(), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const M: i64 = 60_000;

    /// Central European time, with its clock changes, without a tz database.
    fn cet() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    /// `YYYY-MM-DDTHH:MM` local time in `tz`, as ms.
    fn at(s: &str, tz: &TimeZone) -> i64 {
        let dt: jiff::civil::DateTime = s.parse().unwrap();
        tz.to_ambiguous_zoned(dt)
            .compatible()
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    fn effective(at_: &str, since: i64) -> Effective {
        Effective {
            at: At::parse(at_).unwrap(),
            enabled: true,
            keep: Keep::default(),
            target: None,
            overridden: false,
            since,
        }
    }

    fn done(id: i64, at_: i64) -> Attempt {
        Attempt {
            id,
            started_at: at_ - M,
            finished_at: Some(at_),
            outcome: Some("done".into()),
            error: None,
        }
    }

    fn failed(id: i64, at_: i64, why: &str) -> Attempt {
        Attempt {
            id,
            started_at: at_ - M,
            finished_at: Some(at_),
            outcome: Some("failed".into()),
            error: Some(why.into()),
        }
    }

    #[test]
    fn shares_are_included_app_by_app_off_by_default_and_survive_a_reset() {
        let mut s = Schedule::new(1000);
        assert!(!s.includes_shares("media"));
        let on = |app: Option<&str>, v: bool| Change {
            app: app.map(String::from),
            include_shares: Some(v),
            ..Default::default()
        };
        assert!(s.apply(&on(None, true), 2000).is_err(), "per app only");
        s.apply(&on(Some("media"), true), 2000).unwrap();
        assert!(s.includes_shares("media") && !s.includes_shares("notes"));
        let e = s.effective("media", 0).unwrap();
        assert!(!e.overridden, "not a schedule of its own");
        s.apply(
            &Change {
                app: Some("media".into()),
                reset: true,
                ..Default::default()
            },
            3000,
        )
        .unwrap();
        assert!(s.includes_shares("media"), "a reset keeps it");
        s.apply(&on(Some("media"), false), 4000).unwrap();
        assert!(!s.includes_shares("media"));
    }

    #[test]
    fn times_of_day_are_read_strictly() {
        assert_eq!(At::parse("03:00").unwrap(), At { hour: 3, minute: 0 });
        assert_eq!(At::parse("3:05").unwrap().to_string(), "03:05");
        assert_eq!(At::parse("23:59").unwrap().to_string(), "23:59");
        for bad in [
            "24:00", "12:60", "12", "12:5", "-1:00", "ab:cd", "", "12:00:00",
        ] {
            let e = At::parse(bad).unwrap_err().to_string();
            assert!(e.contains("HH:MM"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_previous_and_next_times_follow_local_time_and_its_clock_changes() {
        let tz = cet();
        let three = At::parse("03:00").unwrap();
        let now = at("2026-12-03T10:00", &tz);
        assert_eq!(three.previous(now, &tz), at("2026-12-03T03:00", &tz));
        assert_eq!(three.next(now, &tz), at("2026-12-04T03:00", &tz));
        // Exactly at the time: it is the previous one, the next is tomorrow.
        let on = at("2026-12-03T03:00", &tz);
        assert_eq!(three.previous(on, &tz), on);
        assert_eq!(three.next(on, &tz), at("2026-12-04T03:00", &tz));
        // Before it: yesterday's, and today's.
        let early = at("2026-12-03T01:00", &tz);
        assert_eq!(three.previous(early, &tz), at("2026-12-02T03:00", &tz));
        assert_eq!(three.next(early, &tz), at("2026-12-03T03:00", &tz));
        // Local, not UTC: 03:00 CET is 02:00 UTC in winter, 01:00 in summer.
        assert_eq!(
            at("2026-12-03T03:00", &tz),
            at("2026-12-03T02:00", &TimeZone::UTC)
        );
        assert_eq!(
            at("2026-07-03T03:00", &tz),
            at("2026-07-03T01:00", &TimeZone::UTC)
        );
        // Spring forward (29 March 2026, 02:00 → 03:00): 02:30 does not
        // exist that night and is taken as 03:30; the days around it keep 02:30.
        let half = At::parse("02:30").unwrap();
        let sat = at("2026-03-28T12:00", &tz);
        let sunday = half.next(sat, &tz);
        assert_eq!(sunday, at("2026-03-29T03:30", &tz));
        assert_eq!(sunday - half.previous(sat, &tz), 24 * H);
        // Monday is back at 02:30 (summer time): 23 h after Sunday's run.
        assert_eq!(half.next(sunday, &tz), at("2026-03-30T02:30", &tz));
        assert_eq!(half.next(sunday, &tz) - sunday, 23 * H);
        // Fall back (25 October 2026, 03:00 → 02:00): 02:30 comes twice, once counted.
        let oct = half.next(at("2026-10-24T12:00", &tz), &tz);
        let after = half.next(oct, &tz);
        assert_eq!(after, at("2026-10-26T02:30", &tz));
        assert_eq!(after - oct, 25 * H);
    }

    #[test]
    fn an_app_is_due_once_at_its_time_and_not_again_after_it_was_tried() {
        let tz = cet();
        let since = at("2026-12-01T12:00", &tz);
        let e = effective("03:00", since);
        let empty = History::default();
        // Before its time: not due; next due at 03:00.
        let before = at("2026-12-02T02:59", &tz);
        assert!(!due(&e, &empty, before, &tz));
        assert_eq!(
            next_due(&e, &empty, before, &tz),
            Some(at("2026-12-02T03:00", &tz))
        );
        // At its time and just after: due (now).
        let on = at("2026-12-02T03:00", &tz);
        assert!(due(&e, &empty, on, &tz));
        assert_eq!(next_due(&e, &empty, on + 30_000, &tz), Some(on + 30_000));
        // Once tried (running, done or failed), not again until tomorrow.
        let running = History::from_attempts(&[Attempt {
            id: 1,
            started_at: on + 10_000,
            finished_at: None,
            outcome: None,
            error: None,
        }]);
        assert!(!due(&e, &running, on + 20_000, &tz));
        let failed_once = History::from_attempts(&[failed(1, on + 5 * M, "disk full")]);
        assert!(!due(&e, &failed_once, on + 10 * M, &tz));
        assert_eq!(
            next_due(&e, &failed_once, on + 10 * M, &tz),
            Some(at("2026-12-03T03:00", &tz))
        );
        assert!(due(&e, &failed_once, at("2026-12-03T03:00", &tz), &tz));
        // Off: never due.
        let off = Effective {
            enabled: false,
            ..e.clone()
        };
        assert!(!due(&off, &empty, on, &tz));
        assert_eq!(next_due(&off, &empty, on, &tz), None);
    }

    #[test]
    fn a_time_before_the_schedule_applied_is_not_a_missed_run() {
        let tz = cet();
        // Set up (or installed, or given this time) at 14:00: this morning's
        // 03:00 does not count, tonight's does.
        let since = at("2026-12-02T14:00", &tz);
        let e = effective("03:00", since);
        let now = at("2026-12-02T14:00:30", &tz);
        assert!(!due(&e, &History::default(), now, &tz));
        assert_eq!(
            next_due(&e, &History::default(), now, &tz),
            Some(at("2026-12-03T03:00", &tz))
        );
        // A time set to the next minute comes at that minute.
        let e = effective("14:01", since);
        assert!(!due(&e, &History::default(), now, &tz));
        assert!(due(
            &e,
            &History::default(),
            at("2026-12-02T14:01", &tz),
            &tz
        ));
    }

    #[test]
    fn a_missed_run_is_caught_up_when_the_last_success_is_older_than_a_day() {
        let tz = cet();
        let e = effective("03:00", at("2026-11-01T00:00", &tz));
        // Berth was down at 03:00 and starts at 09:00.
        let now = at("2026-12-03T09:00", &tz);
        let yesterday = History::from_attempts(&[done(1, at("2026-12-02T03:04", &tz))]);
        assert!(due(&e, &yesterday, now, &tz), "last success 30 h ago");
        let never = History::default();
        assert!(due(&e, &never, now, &tz), "never backed up");
        // A manual backup last night is recent enough: no catch-up.
        let manual = History::from_attempts(&[
            done(1, at("2026-12-02T03:04", &tz)),
            done(2, at("2026-12-02T23:00", &tz)),
        ]);
        assert!(!due(&e, &manual, now, &tz));
        assert_eq!(
            next_due(&e, &manual, now, &tz),
            Some(at("2026-12-04T03:00", &tz))
        );
        // But on time, a manual backup the evening before does not skip the run.
        assert!(due(&e, &manual, at("2026-12-03T03:00:30", &tz), &tz));
    }

    #[test]
    fn history_reads_the_last_success_and_failure_and_how_long_it_fails() {
        let h = History::from_attempts(&[
            failed(4, 4000, "second"),
            done(2, 2000),
            failed(1, 1000, "old"),
            failed(3, 3000, "first"),
        ]);
        assert_eq!(h.last_success.as_ref().unwrap().operation, 2);
        assert_eq!(h.last_failure.as_ref().unwrap().operation, 4);
        assert_eq!(
            h.last_failure.as_ref().unwrap().error.as_deref(),
            Some("second")
        );
        assert_eq!(h.failing_since, Some(3000));
        assert_eq!(h.last_attempt, Some(4000 - M));
        let ok = History::from_attempts(&[failed(1, 1000, "x"), done(2, 2000)]);
        assert_eq!(ok.failing_since, None);
        assert_eq!(ok.last_failure.unwrap().operation, 1);
        // An interrupted backup is a failure too.
        let cut = History::from_attempts(&[Attempt {
            outcome: Some("interrupted".into()),
            ..done(1, 1000)
        }]);
        assert_eq!(cut.failing_since, Some(1000));
    }

    #[test]
    fn a_day_without_a_successful_backup_while_backups_fail_is_a_warning() {
        let tz = cet();
        let e = effective("03:00", at("2026-11-01T00:00", &tz));
        let ok_at = at("2026-12-01T03:02", &tz);
        // It worked on the 1st, failed on the 2nd at 03:01.
        let h = History::from_attempts(&[
            done(1, ok_at),
            failed(2, at("2026-12-02T03:01", &tz), "the target is not there"),
        ]);
        // 23 h after the success: failing, but not for a day yet.
        assert_eq!(warning(&e, &h, ok_at + 23 * H, &tz), None);
        let st = status("media", &e, &h, ok_at + 23 * H, &tz);
        assert_eq!(st.last_failure.as_ref().unwrap().operation, 2);
        assert!(st.warning.is_none());
        // 24 h after it: a warning saying why.
        let w = warning(&e, &h, ok_at + 24 * H, &tz).expect("a warning");
        assert!(w.contains("since 2026-12-01 03:02"), "{w}");
        assert!(w.contains("the target is not there"), "{w}");
        assert!(w.contains("24 h"), "{w}");
        // A success clears it.
        let back = History::from_attempts(&[
            done(1, ok_at),
            failed(2, at("2026-12-02T03:01", &tz), "x"),
            done(3, at("2026-12-02T12:00", &tz)),
        ]);
        assert_eq!(warning(&e, &back, ok_at + 30 * H, &tz), None);
        // Off the schedule, failing manual backups warn after a day of failing.
        let off = Effective {
            enabled: false,
            ..e.clone()
        };
        let manual = History::from_attempts(&[failed(1, 1_000_000, "no space")]);
        assert_eq!(warning(&off, &manual, 1_000_000 + 23 * H, &tz), None);
        assert!(warning(&off, &manual, 1_000_000 + 24 * H, &tz)
            .unwrap()
            .contains("ever"));
        // Off and never tried: nothing to say.
        assert_eq!(warning(&off, &History::default(), i64::MAX / 2, &tz), None);
    }

    #[test]
    fn a_day_without_a_successful_backup_because_runs_were_missed_is_a_warning() {
        let tz = cet();
        let e = effective("03:00", at("2026-11-01T00:00", &tz));
        let ok_at = at("2026-12-01T03:02", &tz);
        let h = History::from_attempts(&[done(1, ok_at)]);
        // Today's 03:00 run has not happened; at 03:30 it is still on time.
        assert_eq!(warning(&e, &h, at("2026-12-02T03:30", &tz), &tz), None);
        // At 04:10 it was missed and the last success is 25 h old.
        let w = warning(&e, &h, at("2026-12-02T04:10", &tz), &tz).expect("a warning");
        assert!(w.contains("did not run"), "{w}");
        assert!(w.contains("2026-12-02 03:00"), "{w}");
        // Running now (a catch-up): no longer missed.
        let catching_up = History::from_attempts(&[
            done(1, ok_at),
            Attempt {
                id: 2,
                started_at: at("2026-12-02T04:05", &tz),
                finished_at: None,
                outcome: None,
                error: None,
            },
        ]);
        assert_eq!(
            warning(&e, &catching_up, at("2026-12-02T04:10", &tz), &tz),
            None
        );
        // A schedule set up a few hours ago with no backup yet: no warning.
        let fresh = effective("03:00", at("2026-12-02T01:00", &tz));
        assert_eq!(
            warning(
                &fresh,
                &History::default(),
                at("2026-12-02T20:00", &tz),
                &tz
            ),
            None
        );
        // ...but a day and a missed run later there is.
        assert!(warning(
            &fresh,
            &History::default(),
            at("2026-12-03T05:00", &tz),
            &tz
        )
        .is_some());
    }

    #[test]
    fn changes_set_every_app_or_one_and_keep_their_times() {
        let mut s = Schedule::new(1000);
        assert_eq!(s.all.at, "03:00");
        assert!(s.all.enabled);
        assert_eq!(
            s.all.keep,
            Keep {
                daily: 7,
                weekly: 4,
                monthly: 6
            }
        );
        let e = s.effective("media", 500).unwrap();
        assert_eq!(
            (e.at.to_string(), e.enabled, e.since),
            ("03:00".into(), true, 1000)
        );
        // One app at another time, kept 1 daily; the others unchanged.
        s.apply(
            &Change {
                app: Some("media".into()),
                at: Some("4:30".into()),
                keep_daily: Some(1),
                ..Default::default()
            },
            2000,
        )
        .unwrap();
        let media = s.effective("media", 500).unwrap();
        assert_eq!(media.at.to_string(), "04:30");
        assert_eq!(
            media.keep,
            Keep {
                daily: 1,
                weekly: 4,
                monthly: 6
            }
        );
        assert_eq!(media.since, 2000);
        assert!(media.overridden);
        let other = s.effective("notes", 3000).unwrap();
        assert_eq!(other.at.to_string(), "03:00");
        assert_eq!(other.since, 3000, "installed after");
        // Every app off: media keeps its time and is off too (not overridden).
        s.apply(
            &Change {
                enabled: Some(false),
                ..Default::default()
            },
            4000,
        )
        .unwrap();
        assert!(!s.effective("media", 0).unwrap().enabled);
        // Media on again by itself.
        s.apply(
            &Change {
                app: Some("media".into()),
                enabled: Some(true),
                ..Default::default()
            },
            5000,
        )
        .unwrap();
        assert!(s.effective("media", 0).unwrap().enabled);
        assert!(!s.effective("notes", 0).unwrap().enabled);
        // A keep change alone does not move the time's start.
        s.apply(
            &Change {
                app: Some("media".into()),
                keep_weekly: Some(2),
                ..Default::default()
            },
            6000,
        )
        .unwrap();
        assert_eq!(s.effective("media", 0).unwrap().since, 5000);
        // Bad input is refused and changes nothing.
        let before = s.clone();
        assert!(s
            .apply(
                &Change {
                    at: Some("25:00".into()),
                    ..Default::default()
                },
                7000
            )
            .is_err());
        let none = Change {
            keep_daily: Some(0),
            keep_weekly: Some(0),
            keep_monthly: Some(0),
            ..Default::default()
        };
        assert!(s
            .apply(&none, 7000)
            .unwrap_err()
            .to_string()
            .contains("keep"));
        assert_eq!(s, before);
        // Reset: media follows every app again.
        s.apply(
            &Change {
                app: Some("media".into()),
                reset: true,
                ..Default::default()
            },
            8000,
        )
        .unwrap();
        let media = s.effective("media", 0).unwrap();
        assert!(!media.overridden && !media.enabled);
        assert_eq!(media.at.to_string(), "03:00");
        assert_eq!(media.since, 8000);
    }

    #[test]
    fn the_schedule_is_kept_root_only_once_a_target_exists() {
        use std::os::unix::fs::PermissionsExt;
        let home = std::env::temp_dir().join(format!("berth-schedule-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let schedules = Schedules::new(&home);
        assert_eq!(schedules.current(1000).unwrap(), None, "no target yet");
        assert!(!schedules.file().exists());
        // A target (written by hand: no repository needed here).
        std::fs::create_dir_all(home.join("backup")).unwrap();
        std::fs::write(
            home.join("backup/targets.json"),
            r#"{"targets":[{"name":"folder","kind":"folder","path":"/nowhere"}]}"#,
        )
        .unwrap();
        let s = schedules.current(2000).unwrap().expect("the default");
        assert_eq!(s.since, 2000);
        let mode = std::fs::metadata(schedules.file())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        // Kept: a later look does not move its start.
        assert_eq!(schedules.current(9000).unwrap().unwrap().since, 2000);
        let changed = schedules
            .change(
                &Change {
                    at: Some("01:15".into()),
                    ..Default::default()
                },
                3000,
            )
            .unwrap();
        assert_eq!(changed.all.at, "01:15");
        assert_eq!(schedules.load().unwrap().unwrap(), changed);
        let _ = std::fs::remove_dir_all(&home);
    }
}
