//! What an app's containers use right now, from the engine's stats, counted
//! as `docker stats` counts: CPU against the host over the engine's last
//! interval, memory without the reclaimable page cache.

use bollard::models::{ContainerBlkioStats, ContainerCpuStats, ContainerStatsResponse};
use bollard::query_parameters::StatsOptions;
use futures_util::future::join_all;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::db::now_ms;
use crate::lifecycle::{docker_err, Engine, ServiceState};
use crate::Result;

/// Resource use of one container, or the sum over an app's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Percent of one CPU (200 = two CPUs busy), as `docker stats` shows.
    pub cpu_percent: f64,
    /// Memory in use, page cache that can be dropped left out.
    #[specta(type = f64)]
    pub memory_used: u64,
    /// The memory limit; the host's memory when there is none.
    #[specta(type = f64)]
    pub memory_limit: u64,
    /// Bytes received and sent over every network, since the container started.
    #[specta(type = f64)]
    pub net_rx: u64,
    #[specta(type = f64)]
    pub net_tx: u64,
    /// Bytes read from and written to block devices, since the container started.
    #[specta(type = f64)]
    pub block_read: u64,
    #[specta(type = f64)]
    pub block_write: u64,
    /// Processes and threads.
    #[specta(type = f64)]
    pub pids: u64,
}

/// One service's container and what it uses (zero when it is not running).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStats {
    pub service: String,
    pub container: String,
    pub running: bool,
    pub usage: Usage,
}

/// What an app uses: each service, and the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppStats {
    pub app: String,
    /// When (ms since the epoch).
    #[specta(type = f64)]
    pub at: i64,
    pub services: Vec<ServiceStats>,
    /// The sum over the services; the memory limit is capped at the host's memory.
    pub total: Usage,
}

impl Engine {
    /// What each running service of `app` uses. The engine takes about a
    /// second per container to measure CPU over an interval, so containers
    /// are asked all at once.
    pub async fn app_stats(&self, app: &str) -> Result<AppStats> {
        let services = self.status(app).await?;
        let measured = join_all(services.iter().map(|s| async move {
            let running = matches!(
                s.state,
                ServiceState::Running
                    | ServiceState::Healthy
                    | ServiceState::Unhealthy
                    | ServiceState::Starting
            );
            let usage = if running {
                self.container_usage(&s.container).await?
            } else {
                Usage::default()
            };
            Ok::<_, crate::Error>(ServiceStats {
                service: s.service.clone(),
                container: s.container.clone(),
                running,
                usage,
            })
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        let total = total(&measured, super::host::memory_total());
        Ok(AppStats {
            app: app.to_string(),
            at: now_ms(),
            services: measured,
            total,
        })
    }

    async fn container_usage(&self, container: &str) -> Result<Usage> {
        // Not one-shot: the engine then fills `precpu_stats` with a sample
        // taken an interval earlier, which CPU percent needs.
        let options = StatsOptions {
            stream: false,
            one_shot: false,
        };
        let stats = self
            .docker()
            .stats(container, Some(options))
            .next()
            .await
            .transpose()
            .map_err(docker_err(format!("read the stats of {container}")))?;
        Ok(stats.as_ref().map(usage).unwrap_or_default())
    }
}

/// One stats answer counted as `docker stats` counts it.
fn usage(stats: &ContainerStatsResponse) -> Usage {
    let memory = stats.memory_stats.clone().unwrap_or_default();
    let used = memory.usage.unwrap_or_default();
    let cache = memory.stats.as_ref().and_then(|s| {
        // cgroup v1 names it total_inactive_file; v2, inactive_file.
        s.get("total_inactive_file")
            .or_else(|| s.get("inactive_file"))
            .copied()
    });
    let memory_used = match cache {
        Some(cache) if cache < used => used - cache,
        _ => used,
    };
    let (net_rx, net_tx) =
        stats
            .networks
            .iter()
            .flat_map(|n| n.values())
            .fold((0, 0), |(rx, tx), n| {
                (
                    rx + n.rx_bytes.unwrap_or_default(),
                    tx + n.tx_bytes.unwrap_or_default(),
                )
            });
    let (block_read, block_write) = block_io(stats.blkio_stats.as_ref());
    Usage {
        cpu_percent: cpu_percent(stats.cpu_stats.as_ref(), stats.precpu_stats.as_ref()),
        memory_used,
        memory_limit: memory.limit.unwrap_or_default(),
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: stats
            .pids_stats
            .as_ref()
            .and_then(|p| p.current)
            .unwrap_or_default(),
    }
}

/// The container's CPU time over the host's, times the host's CPUs.
fn cpu_percent(now: Option<&ContainerCpuStats>, before: Option<&ContainerCpuStats>) -> f64 {
    let (Some(now), Some(before)) = (now, before) else {
        return 0.0;
    };
    let total = |c: &ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or_default() as f64
    };
    let system = |c: &ContainerCpuStats| c.system_cpu_usage.unwrap_or_default() as f64;
    let cpu_delta = total(now) - total(before);
    let system_delta = system(now) - system(before);
    let cpus = match now.online_cpus {
        Some(n) if n > 0 => f64::from(n),
        _ => now
            .cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(0.0, |p| p.len() as f64),
    };
    if cpu_delta > 0.0 && system_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    }
}

/// Bytes read and written, from the `Read`/`Write` (v1) or `read`/`write` (v2) entries.
fn block_io(blkio: Option<&ContainerBlkioStats>) -> (u64, u64) {
    let entries = blkio
        .and_then(|b| b.io_service_bytes_recursive.as_deref())
        .unwrap_or_default();
    entries.iter().fold((0, 0), |(read, write), e| {
        let value = e.value.unwrap_or_default();
        match e.op.as_deref().and_then(|op| op.chars().next()) {
            Some('r' | 'R') => (read + value, write),
            Some('w' | 'W') => (read, write + value),
            _ => (read, write),
        }
    })
}

/// The sum over services; the limit cannot exceed the host's memory (an
/// unlimited container reports the host's memory as its limit).
fn total(services: &[ServiceStats], host_memory: u64) -> Usage {
    let mut sum = services
        .iter()
        .filter(|s| s.running)
        .fold(Usage::default(), |t, s| Usage {
            cpu_percent: t.cpu_percent + s.usage.cpu_percent,
            memory_used: t.memory_used + s.usage.memory_used,
            memory_limit: t.memory_limit + s.usage.memory_limit,
            net_rx: t.net_rx + s.usage.net_rx,
            net_tx: t.net_tx + s.usage.net_tx,
            block_read: t.block_read + s.usage.block_read,
            block_write: t.block_write + s.usage.block_write,
            pids: t.pids + s.usage.pids,
        });
    if host_memory > 0 {
        sum.memory_limit = sum.memory_limit.min(host_memory);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stats answer as the engine (cgroup v2) gives it.
    fn sample() -> ContainerStatsResponse {
        serde_json::from_value(serde_json::json!({
            "cpu_stats": {
                "cpu_usage": {"total_usage": 3_000_000_000u64},
                "system_cpu_usage": 110_000_000_000u64,
                "online_cpus": 4
            },
            "precpu_stats": {
                "cpu_usage": {"total_usage": 2_000_000_000u64},
                "system_cpu_usage": 106_000_000_000u64,
                "online_cpus": 4
            },
            "memory_stats": {
                "usage": 50_000_000u64,
                "limit": 67_108_864u64,
                "stats": {"inactive_file": 8_000_000u64, "anon": 40_000_000u64}
            },
            "networks": {
                "eth0": {"rx_bytes": 1000, "tx_bytes": 200},
                "eth1": {"rx_bytes": 10, "tx_bytes": 2}
            },
            "blkio_stats": {"io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "read", "value": 4096},
                {"major": 8, "minor": 0, "op": "write", "value": 8192},
                {"major": 8, "minor": 16, "op": "Read", "value": 1},
                {"major": 8, "minor": 16, "op": "Total", "value": 99999}
            ]},
            "pids_stats": {"current": 3}
        }))
        .unwrap()
    }

    #[test]
    fn counts_as_docker_stats_does() {
        let u = usage(&sample());
        // 1 s of CPU over 4 s of host time on 4 CPUs: one CPU busy.
        assert!((u.cpu_percent - 100.0).abs() < 1e-9, "{u:?}");
        assert_eq!(u.memory_used, 42_000_000);
        assert_eq!(u.memory_limit, 67_108_864);
        assert_eq!((u.net_rx, u.net_tx), (1010, 202));
        assert_eq!((u.block_read, u.block_write), (4097, 8192));
        assert_eq!(u.pids, 3);
    }

    #[test]
    fn no_earlier_sample_means_no_cpu_figure() {
        let mut s = sample();
        s.precpu_stats = Some(Default::default());
        s.precpu_stats.as_mut().unwrap().system_cpu_usage = Some(110_000_000_000);
        assert_eq!(usage(&s).cpu_percent, 0.0);
        s.precpu_stats = None;
        assert_eq!(usage(&s).cpu_percent, 0.0);
    }

    #[test]
    fn the_total_caps_the_limit_at_the_host() {
        let service = |running, limit| ServiceStats {
            service: "s".into(),
            container: "c".into(),
            running,
            usage: Usage {
                cpu_percent: 10.0,
                memory_used: 5,
                memory_limit: limit,
                ..Default::default()
            },
        };
        let t = total(
            &[service(true, 100), service(true, 1000), service(false, 7)],
            500,
        );
        assert_eq!(
            (t.cpu_percent, t.memory_used, t.memory_limit),
            (20.0, 10, 500)
        );
        assert_eq!(total(&[service(true, 100)], 0).memory_limit, 100);
    }
}
