//! Installed apps: what they are, install, uninstall, start, stop, restart,
//! their journal and secrets.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::super::commands::args;
use super::super::{
    AppInfo, AppSource, AppState, LimitsInfo, Operation, OperationInfo, Service, ServiceInfo,
    VersionInfo,
};
use crate::apps::{CatalogInstall, InstallRequest, OpenAddress, Power, UninstallOptions};
use crate::compose::{load_file, LoadOptions, ServiceLimits};
use crate::db::AppRecord;
use crate::lifecycle::{ServiceState, ServiceStatus};
use crate::{Error, Result};

impl Service {
    pub(in crate::service) async fn version(&self, _: args::Version) -> Result<VersionInfo> {
        Ok(VersionInfo {
            berth: env!("CARGO_PKG_VERSION").to_string(),
            docker_api: self.apps.engine().api_version(),
        })
    }

    pub(in crate::service) async fn apps(&self, _: args::Apps) -> Result<Vec<AppInfo>> {
        let mut services = self.apps.engine().status_all().await?;
        Ok(self
            .apps
            .db()
            .apps()?
            .into_iter()
            .map(|record| {
                let found = services.remove(&record.id).unwrap_or_default();
                let open = self.apps.open_address(&record);
                app_info(record, found, open)
            })
            .collect())
    }

    pub(in crate::service) async fn status(&self, a: args::Status) -> Result<AppInfo> {
        let record = self.apps.db().app(&a.app)?.ok_or(Error::NotInstalled {
            app: a.app.to_string(),
        })?;
        let services = self.apps.engine().status(&a.app).await?;
        let open = self.apps.open_address(&record);
        Ok(app_info(record, services, open))
    }

    pub(in crate::service) async fn ops(&self, a: args::Ops) -> Result<Vec<OperationInfo>> {
        let ops = self
            .apps
            .db()
            .recent_operations(a.limit.unwrap_or(20) as usize)?;
        Ok(ops.into_iter().map(OperationInfo::from).collect())
    }

    pub(in crate::service) async fn secrets(
        &self,
        a: args::Secrets,
    ) -> Result<BTreeMap<String, String>> {
        self.require_installed(&a.app)?;
        self.apps.db().secrets(&a.app)
    }

    pub(in crate::service) async fn install(
        self: &Arc<Self>,
        a: args::Install,
    ) -> Result<Operation> {
        let app = match (&a.app_id, &a.catalog_app, &a.compose_file) {
            (Some(id), _, _) => id.to_string(),
            (None, Some(id), _) => id.to_string(),
            (None, None, Some(file)) => load_file(file.as_ref(), &LoadOptions::default())?.name,
            (None, None, None) => {
                return Err(Error::BadRequest {
                    message: "install takes either composeFile or catalogApp".into(),
                })
            }
        };
        let busy = self.claim(&app)?;
        let request = self.install_request(a, app)?;
        let op = self.apps.begin_install(&request)?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps.run_install(op, &request, &mut r.progress()).await
        }))
    }

    pub(in crate::service) async fn uninstall(
        self: &Arc<Self>,
        a: args::Uninstall,
    ) -> Result<Operation> {
        let options = UninstallOptions {
            purge_data: a.purge_data,
            remove_images: a.remove_images,
        };
        let busy = self.claim(&a.app)?;
        let op = self.apps.begin_uninstall(&a.app, options)?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps
                .run_uninstall(op, &a.app, options, &mut r.progress())
                .await
        }))
    }

    pub(in crate::service) async fn start(self: &Arc<Self>, a: args::Start) -> Result<Operation> {
        self.power(a.app.into(), Power::Start)
    }

    pub(in crate::service) async fn stop(self: &Arc<Self>, a: args::Stop) -> Result<Operation> {
        self.power(a.app.into(), Power::Stop)
    }

    pub(in crate::service) async fn restart(
        self: &Arc<Self>,
        a: args::Restart,
    ) -> Result<Operation> {
        self.power(a.app.into(), Power::Restart)
    }

    fn power(self: &Arc<Self>, app: String, power: Power) -> Result<Operation> {
        let busy = self.claim(&app)?;
        let op = self.apps.begin_power(&app, power)?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps.run_power(op, &app, power, &mut r.progress()).await
        }))
    }

    /// Refuses an app that is not installed.
    pub(in crate::service) fn require_installed(&self, app: &str) -> Result<()> {
        match self.apps.db().app(app)? {
            Some(_) => Ok(()),
            None => Err(Error::NotInstalled {
                app: app.to_string(),
            }),
        }
    }

    fn install_request(&self, a: args::Install, app_id: String) -> Result<InstallRequest> {
        let limits = ServiceLimits {
            cpus: a.cpus,
            memory: a.memory,
            pids: a.pids,
            memory_swap: None,
        };
        match (a.compose_file, a.catalog_app) {
            (Some(file), None) => Ok(InstallRequest {
                compose_file: PathBuf::from(file),
                app_id,
                settings: a.settings,
                limits,
                consent: a.consent,
                source: None,
            }),
            (None, Some(app)) => self.apps.prepare_catalog_install(&CatalogInstall {
                app: app.into(),
                store: a.store.map(String::from),
                id: a.app_id.map(String::from),
                settings: a.settings,
                limits,
                consent: a.consent,
            }),
            _ => Err(Error::BadRequest {
                message: "install takes either composeFile or catalogApp".into(),
            }),
        }
    }
}

/// An app as clients see it: its record and its services' states.
fn app_info(record: AppRecord, services: Vec<ServiceStatus>, open: Option<OpenAddress>) -> AppInfo {
    let services = services
        .into_iter()
        .map(|s| {
            let (state, exit_code) = match s.state {
                ServiceState::Exited { code } => ("exited".to_string(), Some(code)),
                ServiceState::Other { engine_state } => (engine_state, None),
                other => (
                    serde_json::to_value(&other)
                        .ok()
                        .and_then(|v| v["state"].as_str().map(str::to_string))
                        .unwrap_or_default(),
                    None,
                ),
            };
            ServiceInfo {
                service: s.service,
                container: s.container,
                image: s.image,
                state,
                exit_code,
                oom_killed: s.oom_killed,
                message: s.message,
            }
        })
        .collect();
    let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
    AppInfo {
        state: AppState::parse(&record.state),
        origin: AppSource::parse(&record.source),
        id: record.id,
        source: record.source,
        services,
        open_port: open.as_ref().map(|o| o.port),
        open_path: open.map(|o| o.path),
        limits: LimitsInfo::from(limits),
    }
}
