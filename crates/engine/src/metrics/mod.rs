//! Metrics: what the server has and what its apps use.
//!
//! `host.rs`: this server's facts (CPU, load, memory, uptime, disks, the
//! Docker engine); `stats.rs`: what each app's containers use now,
//! counted as `docker stats` counts; `history.rs`: the last samples of each
//! app, kept in memory by a sampler the daemon spawns.
//!
//! ```no_run
//! # async fn run() -> berth_engine::Result<()> {
//! use std::sync::{Arc, Mutex};
//! use berth_engine::lifecycle::Engine;
//! use berth_engine::metrics::{sample_forever, system, StatsHistory};
//!
//! let engine = Engine::connect().await?;
//! let host = system(&engine, "/var/lib/berth".as_ref()).await?;
//! println!("{} cores, {} bytes free", host.cpu.cores, host.disks[0].free);
//! println!("{:.1}% CPU", engine.app_stats("nextcloud").await?.total.cpu_percent);
//!
//! let history = Arc::new(Mutex::new(StatsHistory::default()));
//! let apps = || vec!["nextcloud".to_string()];
//! tokio::spawn(sample_forever(engine, apps, history.clone(), std::time::Duration::from_secs(5)));
//! # Ok(()) }
//! ```

mod history;
mod host;
mod stats;

pub use history::{sample, sample_forever, Sample, StatsHistory, HISTORY_SAMPLES};
pub use host::{disk, system, CpuInfo, DiskInfo, DockerInfo, LoadAverage, MemoryInfo, SystemInfo};
pub use stats::{AppStats, ServiceStats, Usage};
