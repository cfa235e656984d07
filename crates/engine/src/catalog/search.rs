//! Browsing and full-text search over the apps of every store.

use serde::{Deserialize, Serialize};

use super::Catalog;

/// An app as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AppSummary {
    pub store: String,
    pub id: String,
    pub name: String,
    pub version: String,
    pub tagline: String,
    pub categories: Vec<String>,
    /// The icon's file name among the app's files.
    pub icon: Option<String>,
}

struct Entry {
    summary: AppSummary,
    name: String,
    tagline: String,
    description: String,
    categories: Vec<String>,
}

/// A search index over stores' apps, built once per change of the stores.
/// Every word of a query must appear in the name, tagline, description or
/// categories; name hits rank above tagline hits above description hits.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
}

impl SearchIndex {
    pub fn build<'a>(catalogs: impl IntoIterator<Item = &'a Catalog>) -> Self {
        let mut entries = Vec::new();
        for catalog in catalogs {
            for app in catalog.apps.values() {
                let m = &app.meta;
                entries.push(Entry {
                    summary: AppSummary {
                        store: catalog.name.clone(),
                        id: m.id.clone(),
                        name: m.name.clone(),
                        version: m.version.clone(),
                        tagline: m.tagline.clone(),
                        categories: m.categories.clone(),
                        icon: m.icon.clone(),
                    },
                    name: m.name.to_lowercase(),
                    tagline: m.tagline.to_lowercase(),
                    description: m.description.to_lowercase(),
                    categories: m.categories.iter().map(|c| c.to_lowercase()).collect(),
                });
            }
        }
        entries.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.summary.store.cmp(&b.summary.store))
        });
        SearchIndex { entries }
    }

    /// Every app, by name; only those in `category` when given.
    pub fn list(&self, category: Option<&str>) -> Vec<AppSummary> {
        let category = category.map(str::to_lowercase);
        self.entries
            .iter()
            .filter(|e| category.as_ref().is_none_or(|c| e.categories.contains(c)))
            .map(|e| e.summary.clone())
            .collect()
    }

    /// Categories and how many apps each has, by name.
    pub fn categories(&self) -> Vec<(String, usize)> {
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for e in &self.entries {
            for c in &e.summary.categories {
                *counts.entry(c.clone()).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }

    /// Apps matching every word of `query`, best first.
    pub fn search(&self, query: &str) -> Vec<AppSummary> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return self.list(None);
        }
        let mut hits: Vec<(u32, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| {
                let mut score = 0;
                for w in &words {
                    let s = if e.name == *w {
                        100
                    } else if e.name.contains(w.as_str()) {
                        40
                    } else if e.categories.iter().any(|c| c.contains(w.as_str())) {
                        20
                    } else if e.tagline.contains(w.as_str()) {
                        10
                    } else if e.description.contains(w.as_str()) {
                        1
                    } else {
                        return None;
                    };
                    score += s;
                }
                Some((score, e))
            })
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
        hits.into_iter().map(|(_, e)| e.summary.clone()).collect()
    }
}
