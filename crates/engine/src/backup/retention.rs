//! Retention: an app's backups beyond its keep rules are forgotten (only
//! Berth's, tagged `berth` and `app=<id>`; restic's `forget --keep-daily
//! --keep-weekly --keep-monthly`), then the data no backup needs any more
//! is pruned (`restic prune`). Blocking calls: run them off the runtime.
//!
//! Prune marks unneeded packs and removes those marked a day before (rustic's
//! two-phase prune), and it never runs while a backup writes to the same
//! repository: backups hold [`REPOSITORY`] shared, retention holds it alone.

use jiff::Zoned;
use rustic_core::{KeepOptions, PruneOptions};
use serde::{Deserialize, Serialize};

use super::repo::{fail, info, open};
use super::schedule::Keep;
use super::{BackupInfo, Target};
use crate::{Error, Result};

/// Backups share it, retention takes it alone: a prune never sees a
/// backup's half-written data.
pub static REPOSITORY: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// What retention did at a target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    pub target: String,
    /// The backups forgotten, beyond the keep rules.
    pub forgotten: Vec<BackupInfo>,
    /// The backups of the apps looked at that are kept.
    pub kept: u32,
    /// The data no backup needs any more: removed, or marked to be removed
    /// by the next prune a day later.
    #[specta(type = f64)]
    pub unused_bytes: u64,
    /// Whether the repository was pruned (only when a backup was forgotten,
    /// or when asked).
    pub pruned: bool,
}

fn keep_options(keep: &Keep) -> KeepOptions {
    let n = |v: u32| (v > 0).then(|| i32::try_from(v).unwrap_or(i32::MAX));
    let mut o = KeepOptions::default();
    o.keep_daily = n(keep.daily);
    o.keep_weekly = n(keep.weekly);
    o.keep_monthly = n(keep.monthly);
    o
}

/// Forgets the backups of each app (with its keep rules) beyond them, then
/// prunes when any was forgotten or `always_prune`.
pub fn apply_retention(
    target: &Target,
    password: &str,
    apps: &[(String, Keep)],
    now: &Zoned,
    always_prune: bool,
) -> Result<Pruned> {
    let repo = open(target, password)?;
    let mut out = Pruned {
        target: target.name.clone(),
        ..Default::default()
    };
    let mut forget = Vec::new();
    for (app, keep) in apps {
        let app_tag = format!("app={app}");
        let snaps = repo
            .get_matching_snapshots(|s| s.tags.contains("berth") && s.tags.contains(&app_tag))
            .map_err(fail("listing the backups"))?;
        let judged = keep_options(keep)
            .apply(snaps, now)
            .map_err(fail("applying the keep rules"))?;
        for j in judged {
            if j.keep {
                out.kept += 1;
            } else {
                out.forgotten.push(info(&j.snapshot));
                forget.push(j.snapshot.id);
            }
        }
    }
    if !forget.is_empty() {
        repo.delete_snapshots(&forget)
            .map_err(fail("forgetting the old backups"))?;
    }
    out.forgotten.sort_by(|a, b| b.time.cmp(&a.time));
    if forget.is_empty() && !always_prune {
        return Ok(out);
    }
    let opts = PruneOptions::default();
    let plan = repo.prune_plan(&opts).map_err(fail("planning the prune"))?;
    let sum = plan.stats.size_sum();
    out.unused_bytes = sum.remove + sum.repackrm;
    repo.prune(&opts, plan).map_err(fail("pruning"))?;
    out.pruned = true;
    Ok(out)
}

/// [`apply_retention`] off the runtime, holding [`REPOSITORY`] alone.
pub async fn retain(
    target: Target,
    password: String,
    apps: Vec<(String, Keep)>,
    always_prune: bool,
) -> Result<Pruned> {
    let _alone = REPOSITORY.write().await;
    tokio::task::spawn_blocking(move || {
        apply_retention(&target, &password, &apps, &Zoned::now(), always_prune)
    })
    .await
    .map_err(|e| Error::Internal {
        message: format!("the retention task failed: {e}"),
    })?
}
