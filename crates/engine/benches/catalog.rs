//! Catalog search with 1,000 generated apps: p50 and p99 per query for
//! Berth's search index and, as the peer measured in the same run, SQLite
//! FTS5 over the same texts (bm25 ranking, prefix terms). Goal: Berth's p99
//! ≤ 5 ms. Run: `cargo bench -p berth-engine --bench catalog`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use berth_engine::catalog::{AppMeta, Catalog, CatalogApp, Index, MainService, SearchIndex};

const WORDS: &[&str] = &[
    "media",
    "server",
    "photo",
    "backup",
    "password",
    "manager",
    "home",
    "automation",
    "music",
    "stream",
    "recipe",
    "budget",
    "notes",
    "wiki",
    "git",
    "code",
    "editor",
    "monitor",
    "uptime",
    "dashboard",
    "files",
    "sync",
    "share",
    "books",
    "reader",
    "comics",
    "podcast",
    "video",
    "dns",
    "adblock",
    "vpn",
    "mail",
    "calendar",
    "contacts",
    "chat",
    "feed",
    "rss",
    "bookmark",
    "pdf",
    "tools",
    "download",
    "torrent",
    "camera",
    "sensor",
    "energy",
    "garden",
    "kids",
    "games",
    "family",
    "private",
    "secure",
    "fast",
    "light",
    "simple",
    "open",
    "source",
    "self",
    "hosted",
];

/// A tiny deterministic generator (xorshift), so every run sees the same apps.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| WORDS[self.next() % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn generated(n: usize) -> Catalog {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut apps = BTreeMap::new();
    for i in 0..n {
        let id = format!("app-{i:04}");
        let meta = AppMeta {
            id: id.clone(),
            name: format!("{} {}", rng.words(1), rng.words(1)),
            version: "1.0.0".into(),
            tagline: rng.words(6),
            description: rng.words(60),
            categories: vec![rng.words(1)],
            icon: None,
            screenshots: vec![],
            homepage: None,
            source: None,
            main: MainService {
                service: "web".into(),
                port: 80,
                path: None,
            },
            settings: vec![],
            architectures: vec![],
            min_berth: None,
            release_notes: String::new(),
            migration: None,
            permissions: vec![],
            resources: Default::default(),
            shares: Vec::new(),
            backup: None,
        };
        apps.insert(
            id,
            CatalogApp {
                meta,
                files: BTreeMap::new(),
            },
        );
    }
    Catalog {
        name: "bench".into(),
        index: Index {
            format: 1,
            name: "bench".into(),
            sequence: 1,
            generated: None,
            expires: None,
            apps: vec![],
        },
        apps,
        rejected: vec![],
    }
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    (at(0.50), at(0.99))
}

fn main() {
    let catalog = generated(1000);
    let mut rng = Rng(42);
    let queries: Vec<String> = (0..500).map(|i| rng.words(1 + i % 2)).collect();

    let start = Instant::now();
    let index = SearchIndex::build([&catalog]);
    let build = start.elapsed();
    let mut berth_times = Vec::new();
    let mut berth_hits = 0;
    for q in &queries {
        let t = Instant::now();
        berth_hits += index.search(q).len();
        berth_times.push(t.elapsed());
    }

    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE VIRTUAL TABLE apps USING fts5(id UNINDEXED, name, tagline, description, categories);").unwrap();
    let start = Instant::now();
    {
        let mut insert = db
            .prepare("INSERT INTO apps VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for app in catalog.apps.values() {
            let m = &app.meta;
            insert
                .execute((
                    &m.id,
                    &m.name,
                    &m.tagline,
                    &m.description,
                    m.categories.join(" "),
                ))
                .unwrap();
        }
    }
    let fts_build = start.elapsed();
    let mut fts_times = Vec::new();
    let mut fts_hits = 0;
    let mut stmt = db
        .prepare("SELECT id FROM apps WHERE apps MATCH ?1 ORDER BY bm25(apps, 0, 10, 2, 1, 5)")
        .unwrap();
    for q in &queries {
        let expr = q
            .split_whitespace()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let t = Instant::now();
        fts_hits += stmt
            .query_map([&expr], |r| r.get::<_, String>(0))
            .unwrap()
            .count();
        fts_times.push(t.elapsed());
    }

    let (b50, b99) = percentiles(berth_times);
    let (f50, f99) = percentiles(fts_times);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "catalog search, 1,000 generated apps, {} queries (1-2 words)",
        queries.len()
    );
    println!(
        "  berth index   build {:>7.2} ms   p50 {:>6.3} ms   p99 {:>6.3} ms   ({} hits)",
        ms(build),
        ms(b50),
        ms(b99),
        berth_hits
    );
    println!(
        "  sqlite fts5   build {:>7.2} ms   p50 {:>6.3} ms   p99 {:>6.3} ms   ({} hits)",
        ms(fts_build),
        ms(f50),
        ms(f99),
        fts_hits
    );
    println!("  ratio p99 berth/fts5: {:.2}x", ms(b99) / ms(f99));
    println!(
        "  goal p99 <= 5 ms: {}",
        if ms(b99) <= 5.0 { "met" } else { "NOT met" }
    );
}
