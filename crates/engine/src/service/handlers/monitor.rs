//! Watching the server and its apps: the host, what apps use, their logs,
//! diagnostics bundles.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::super::commands::args;
use super::super::{Event, EventKind, Service};
use crate::apps::DiagnoseReport;
use crate::lifecycle::{LogEntry, LogLine};
use crate::metrics::{system, AppStats, Sample, SystemInfo};
use crate::Result;

impl Service {
    pub(in crate::service) async fn system(&self, _: args::System) -> Result<SystemInfo> {
        let mut info = system(self.apps.engine(), self.apps.home()).await?;
        info.acme = self.acme_status();
        info.https_problem = self.https_problem();
        info.backup_warnings = match self.backup_overview() {
            Ok(o) => o.warnings,
            Err(e) => {
                eprintln!("berth: the backups' status: {e}");
                0
            }
        };
        Ok(info)
    }

    pub(in crate::service) async fn ca_trust(
        &self,
        _: args::CaTrust,
    ) -> Result<crate::proxy::trust::CaTrusted> {
        let home = self.apps.home().to_path_buf();
        tokio::task::spawn_blocking(move || crate::proxy::trust::trust(&home))
            .await
            .map_err(|e| crate::Error::Internal {
                message: format!("trusting the CA failed: {e}"),
            })?
    }

    pub(in crate::service) async fn stats(&self, a: args::Stats) -> Result<Vec<AppStats>> {
        let apps: Vec<String> = match a.app {
            Some(app) => {
                self.require_installed(&app)?;
                vec![app.into()]
            }
            None => self.apps.db().apps()?.into_iter().map(|a| a.id).collect(),
        };
        let engine = self.apps.engine();
        futures_util::future::join_all(apps.iter().map(|a| engine.app_stats(a)))
            .await
            .into_iter()
            .collect()
    }

    pub(in crate::service) async fn stats_history(
        &self,
        a: args::StatsHistory,
    ) -> Result<Vec<Sample>> {
        self.require_installed(&a.app)?;
        Ok(self
            .history
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&a.app))
    }

    pub(in crate::service) async fn log_search(&self, a: args::LogSearch) -> Result<Vec<LogEntry>> {
        self.require_installed(&a.app)?;
        self.apps
            .engine()
            .search_logs(
                &a.app,
                a.service.as_deref(),
                &a.query,
                a.tail.map(|t| t as usize),
                None,
            )
            .await
    }

    pub(in crate::service) async fn diagnose(&self, a: args::Diagnose) -> Result<DiagnoseReport> {
        self.require_installed(&a.app)?;
        let out = match a.out {
            Some(path) => PathBuf::from(path),
            None => self.diagnostics_path(&a.app)?,
        };
        self.apps.diagnose(&a.app, &out).await
    }

    pub(in crate::service) async fn logs(&self, a: args::Logs) -> Result<Vec<Event>> {
        let mut lines = Vec::new();
        self.read_logs(
            &a.app,
            a.service.map(String::from),
            a.tail,
            false,
            |event| {
                lines.push(event);
                true
            },
        )
        .await?;
        Ok(lines)
    }

    pub(in crate::service) async fn follow_logs(
        self: &Arc<Self>,
        a: args::FollowLogs,
    ) -> Result<mpsc::UnboundedReceiver<Result<Event>>> {
        // Refused at once when the app is not there; then lines as they come.
        self.require_installed(&a.app)?;
        let (tx, rx) = mpsc::unbounded_channel();
        let service = self.clone();
        tokio::spawn(async move {
            let sent = service
                .read_logs(&a.app, a.service.map(String::from), a.tail, true, |event| {
                    tx.send(Ok(event)).is_ok()
                })
                .await;
            if let Err(e) = sent {
                let _ = tx.send(Err(e));
            }
        });
        Ok(rx)
    }

    /// Reads an app's logs (every service's, merged as they come) into
    /// `line` as log events, until `line` answers false or, unless
    /// `follow`, the last line.
    async fn read_logs(
        &self,
        app: &str,
        service: Option<String>,
        tail: Option<u32>,
        follow: bool,
        mut line: impl FnMut(Event) -> bool,
    ) -> Result<()> {
        let services: Vec<String> = match service {
            Some(s) => vec![s],
            None => self
                .apps
                .load_rendered(app)?
                .services()
                .map(|(n, _)| n.to_string())
                .collect(),
        };
        let engine = self.apps.engine();
        let streams = services.iter().map(|s| {
            engine
                .logs(app, s, tail.map(|t| t as usize), follow)
                .boxed()
        });
        let mut merged = futures_util::stream::select_all(streams);
        while let Some(next) = merged.next().await {
            let LogLine {
                service,
                stream,
                text,
            } = next?;
            let event = Event {
                operation: None,
                app: None,
                kind: EventKind::Log {
                    service,
                    stream: stream.to_string(),
                    text,
                },
            };
            if !line(event) {
                break;
            }
        }
        Ok(())
    }
}
