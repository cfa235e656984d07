//! Image cleanup: old versions pile up after updates (gigabytes a month on
//! peer stores). Berth removes only images it ran itself for an app, that no
//! container uses, no installed app needs and no kept snapshot needs for a
//! rollback — and, with an age policy, only those unused for long enough.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Apps;
use crate::db::now_ms;
use crate::Result;

/// How far a cleanup goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PruneOptions {
    /// Only images unused for at least this long.
    pub older_than: Option<Duration>,
    /// Only say what would go.
    pub dry_run: bool,
}

/// An image a cleanup removes (or would).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PrunedImage {
    pub id: String,
    /// Its tags, or the reference an app ran it as when it has none left.
    pub references: Vec<String>,
    #[specta(type = f64)]
    pub bytes: u64,
    /// When Berth last saw it needed (ms).
    #[specta(type = f64)]
    pub unused_since: i64,
}

/// What a cleanup removed (or would remove) and what it kept for rollbacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub dry_run: bool,
    pub images: Vec<PrunedImage>,
    /// Bytes freed (or that would be).
    #[specta(type = f64)]
    pub bytes: u64,
    /// Images left because a kept snapshot needs them.
    pub kept_for_rollback: Vec<PrunedImage>,
    /// Images left because they were used too recently.
    #[specta(type = f64)]
    pub too_recent: u64,
}

impl Apps {
    /// Records the images the installed apps run now as in use.
    pub async fn note_images_in_use(&self) -> Result<()> {
        let now = now_ms();
        for record in self.db.apps()? {
            let Ok(project) = self.load_rendered(&record.id) else {
                continue;
            };
            for image in self.engine.image_ids(&project).await? {
                self.db.touch_image(&image.id, &image.reference, now)?;
            }
        }
        Ok(())
    }

    /// Removes (or lists, on a dry run) the images no app needs any more.
    pub async fn prune_images(&self, options: PruneOptions) -> Result<PruneReport> {
        self.note_images_in_use().await?;
        let in_use = self.engine.images_in_use().await?;
        let mut for_rollback = BTreeSet::new();
        for record in self.db.apps()? {
            for snapshot in self.snapshots(&record.id)? {
                for_rollback.extend(snapshot.images.into_iter().map(|i| i.id));
            }
        }
        // Snapshots of uninstalled apps are kept too (their data is).
        if let Ok(dirs) = std::fs::read_dir(self.layout.snapshots_root()) {
            for dir in dirs.flatten() {
                let app = dir.file_name().to_string_lossy().into_owned();
                for snapshot in self.snapshots(&app).unwrap_or_default() {
                    for_rollback.extend(snapshot.images.into_iter().map(|i| i.id));
                }
            }
        }
        let local = self.engine.local_images().await?;
        let cutoff = options
            .older_than
            .map(|d| now_ms() - i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut report = PruneReport {
            dry_run: options.dry_run,
            ..Default::default()
        };
        for known in self.db.images()? {
            let Some(image) = local.iter().find(|l| l.id == known.id) else {
                // Gone from the engine already.
                self.db.forget_image(&known.id)?;
                continue;
            };
            if in_use.contains(&image.id) {
                self.db.touch_image(&image.id, &known.reference, now_ms())?;
                continue;
            }
            let entry = PrunedImage {
                id: image.id.clone(),
                references: if image.tags.is_empty() {
                    vec![known.reference.clone()]
                } else {
                    image.tags.clone()
                },
                bytes: image.size,
                unused_since: known.last_used,
            };
            if for_rollback.contains(&image.id) {
                report.kept_for_rollback.push(entry);
                continue;
            }
            if cutoff.is_some_and(|c| known.last_used > c) {
                report.too_recent += 1;
                continue;
            }
            if !options.dry_run {
                if !self.engine.remove_image_id(&image.id).await? {
                    continue;
                }
                self.db.forget_image(&image.id)?;
            }
            report.bytes += entry.bytes;
            report.images.push(entry);
        }
        Ok(report)
    }
}

/// Parses an age such as `30d`, `12h` or `2w` (humantime's units).
pub fn parse_age(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(weeks) = text.strip_suffix('w') {
        return weeks
            .parse::<u64>()
            .ok()
            .map(|w| Duration::from_secs(w * 7 * 86_400));
    }
    humantime::parse_duration(text).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_age;
    use std::time::Duration;

    #[test]
    fn ages() {
        assert_eq!(parse_age("30d"), Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_age("2w"), Some(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_age("12h"), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_age("soon"), None);
    }
}
