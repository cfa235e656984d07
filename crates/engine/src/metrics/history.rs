//! A short history of each app's use, for the charts: the last samples
//! (120 by default) per app, in memory only — a restart starts it afresh.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

use super::{AppStats, Usage};
use crate::lifecycle::Engine;

/// How many samples an app keeps unless told otherwise.
pub const HISTORY_SAMPLES: usize = 120;

/// An app's total use at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// When (ms since the epoch).
    #[specta(type = f64)]
    pub at: i64,
    pub usage: Usage,
}

/// The last samples of each app, oldest first; bounded per app.
#[derive(Debug, Clone)]
pub struct StatsHistory {
    keep: usize,
    apps: HashMap<String, VecDeque<Sample>>,
}

impl Default for StatsHistory {
    fn default() -> Self {
        StatsHistory::new(HISTORY_SAMPLES)
    }
}

impl StatsHistory {
    /// A history keeping the last `keep` samples of each app.
    pub fn new(keep: usize) -> Self {
        StatsHistory {
            keep: keep.max(1),
            apps: HashMap::new(),
        }
    }

    /// Adds the app's total, dropping its oldest sample when full.
    pub fn record(&mut self, stats: &AppStats) {
        let samples = self.apps.entry(stats.app.clone()).or_default();
        if samples.len() == self.keep {
            samples.pop_front();
        }
        samples.push_back(Sample {
            at: stats.at,
            usage: stats.total,
        });
    }

    /// The app's samples, oldest first (none for an app never sampled).
    pub fn get(&self, app: &str) -> Vec<Sample> {
        self.apps
            .get(app)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Forgets every app not in `apps` (uninstalled since).
    pub fn retain(&mut self, apps: &[String]) {
        self.apps.retain(|app, _| apps.contains(app));
    }
}

/// Samples `apps` once, all at once, and records each into `history`.
/// Returns the stats taken; an app the engine cannot measure (being
/// removed, the engine away) is left out of this round.
pub async fn sample(
    engine: &Engine,
    apps: &[String],
    history: &Mutex<StatsHistory>,
) -> Vec<AppStats> {
    let taken: Vec<AppStats> = join_all(apps.iter().map(|app| engine.app_stats(app)))
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
    for stats in &taken {
        history.record(stats);
    }
    taken
}

/// Samples the apps `apps()` names every `every`, for as long as the daemon
/// runs (spawn it). `apps` is asked each round, so installs are followed
/// and uninstalled apps forgotten.
pub async fn sample_forever(
    engine: Engine,
    apps: impl Fn() -> Vec<String> + Send + 'static,
    history: Arc<Mutex<StatsHistory>>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    // A slow round (the engine busy) delays the next instead of bunching them.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let apps = apps();
        sample(&engine, &apps, &history).await;
        history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(&apps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(app: &str, at: i64) -> AppStats {
        AppStats {
            app: app.into(),
            at,
            services: vec![],
            total: Usage {
                cpu_percent: at as f64,
                ..Default::default()
            },
        }
    }

    #[test]
    fn keeps_the_last_samples_of_each_app() {
        let mut history = StatsHistory::new(3);
        for at in 1..=5 {
            history.record(&stats("a", at));
        }
        history.record(&stats("b", 9));
        let at: Vec<i64> = history.get("a").iter().map(|s| s.at).collect();
        assert_eq!(at, [3, 4, 5]);
        assert_eq!(history.get("a")[2].usage.cpu_percent, 5.0);
        assert_eq!(history.get("b").len(), 1);
        assert!(history.get("c").is_empty());
        history.retain(&["b".to_string()]);
        assert!(history.get("a").is_empty());
        assert_eq!(history.get("b").len(), 1);
    }
}
