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
use super::compose::suggested_id;
use crate::apps::{CatalogInstall, InstallRequest, OpenAddress, Power, UninstallOptions};
use crate::catalog::ShareRequest;
use crate::compose::{load_file, LoadOptions, ServiceLimits};
use crate::db::AppRecord;
use crate::lifecycle::{ServiceState, ServiceStatus};
use crate::rewrite::RenderRequest;
use crate::shares::{recorded_shares, AppShare};
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
                let held = self.apps.db().held(&record.id).ok().flatten();
                let url = open
                    .as_ref()
                    .and_then(|o| self.open_url(&record.name, &o.path));
                app_info(record, found, (open, url), held, (Vec::new(), Vec::new()))
            })
            .collect())
    }

    pub(in crate::service) async fn status(&self, a: args::Status) -> Result<AppInfo> {
        let record = self.apps.db().app(&a.app)?.ok_or(Error::NotInstalled {
            app: a.app.to_string(),
        })?;
        let services = self.apps.engine().status(&a.app).await?;
        let open = self.apps.open_address(&record);
        let held = self.apps.db().held(&record.id)?;
        let shares = self
            .apps
            .load_rendered(&record.id)
            .map(|p| recorded_shares(&p))
            .unwrap_or_default();
        let requests = match AppSource::parse(&record.source) {
            AppSource::Store { .. } => self
                .apps
                .installed_meta(&record.id)
                .map(|m| m.shares)
                .unwrap_or_default(),
            AppSource::File { .. } => Vec::new(),
        };
        let url = open
            .as_ref()
            .and_then(|o| self.open_url(&record.name, &o.path));
        Ok(app_info(
            record,
            services,
            (open, url),
            held,
            (shares, requests),
        ))
    }

    pub(in crate::service) async fn rename(&self, a: args::Rename) -> Result<AppInfo> {
        self.require_installed(&a.app)?;
        self.apps.db().set_app_name(&a.app, &a.name)?;
        self.status(args::Status { app: a.app }).await
    }

    pub(in crate::service) async fn app_gate(&self, a: args::AppGate) -> Result<AppInfo> {
        self.require_installed(&a.app)?;
        self.apps.db().set_app_gate(&a.app, a.gate)?;
        self.status(args::Status { app: a.app }).await
    }

    pub(in crate::service) async fn app_host_port(
        self: &Arc<Self>,
        a: args::AppHostPort,
    ) -> Result<Operation> {
        let app = a.app.to_string();
        let busy = self.claim(&app)?;
        let (op, plan) = self.apps.begin_host_port(&app, a.host_port).await?;
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            s.apps.run_shares(op, &plan, &mut r.progress()).await
        }))
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
        mut a: args::Install,
    ) -> Result<Operation> {
        let sources = [
            a.catalog_app.is_some(),
            a.compose_file.is_some(),
            a.compose.is_some(),
        ];
        if sources.into_iter().filter(|given| *given).count() != 1 {
            return Err(Error::BadRequest {
                message: "install takes one of catalogApp, composeFile or compose (a compose file's text)".into(),
            });
        }
        let app = match (&a.app_id, &a.catalog_app, &a.compose_file, &a.compose) {
            (Some(id), ..) => id.to_string(),
            (None, Some(id), ..) => id.to_string(),
            (None, None, Some(file), _) => load_file(file.as_ref(), &LoadOptions::default())?.name,
            (None, None, None, text) => suggested_id(text.as_deref().unwrap_or_default())?,
        };
        if let Some(name) = &a.name {
            crate::proxy::check_app_name(name)?;
        }
        let busy = self.claim(&app)?;
        let text = a.compose.take();
        let (name, gate, no_host_port) = (a.name.take(), a.gate, a.no_host_port);
        let mut request = match &text {
            Some(text) => self.text_install_request(a, app, text)?,
            None => self.install_request(a, app)?,
        };
        request.name = name;
        request.gate = gate;
        request.no_host_port = no_host_port;
        let op = match self.apps.begin_install(&request) {
            Ok(op) => op,
            Err(e) => {
                if text.is_some() {
                    self.prune_compose_texts(&request.app_id);
                }
                return Err(e);
            }
        };
        Ok(self.spawn_operation(busy, op, move |s, r| async move {
            let result = s.apps.run_install(op, &request, &mut r.progress()).await;
            if text.is_some() {
                // A failed install leaves no record naming its text.
                s.prune_compose_texts(&request.app_id);
            }
            result
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
                .await?;
            // Its compose text goes, but for the versions its kept snapshots name.
            s.prune_compose_texts(&a.app);
            Ok(())
        }))
    }

    pub(in crate::service) async fn start(self: &Arc<Self>, a: args::Start) -> Result<Operation> {
        self.power(a.app.into(), Power::Start)
    }

    pub(in crate::service) async fn stop(self: &Arc<Self>, a: args::Stop) -> Result<Operation> {
        let started = self.power(a.app.to_string(), Power::Stop)?;
        // Stopped by the user: the storage guard does not start it again.
        self.apps.db().set_held(a.app.as_str(), None)?;
        Ok(started)
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

    /// An install of a compose file's text: refused now, before anything is
    /// written or recorded, for what the install's render would refuse (a
    /// missing consent answers at once, with its findings); else the text
    /// is kept as the app's source and installed as a file.
    fn text_install_request(
        &self,
        a: args::Install,
        app_id: String,
        text: &str,
    ) -> Result<InstallRequest> {
        if let Some(existing) = self.apps.db().app(&app_id)? {
            return Err(Error::taken(app_id, existing.state));
        }
        let limits = limits_of(&a);
        self.render_compose_text(
            text,
            &RenderRequest {
                app_id: app_id.clone(),
                home: self.apps.home().to_path_buf(),
                host: self.apps.host().clone(),
                settings: a.settings.clone(),
                limits,
                consent: a.consent,
                shares: Vec::new(),
                no_host_port: a.no_host_port,
            },
        )?;
        let (compose_file, _) = self.keep_compose_text(&app_id, text)?;
        Ok(InstallRequest {
            compose_file,
            app_id,
            settings: a.settings,
            limits,
            consent: a.consent,
            source: None,
            shares: Vec::new(),
            name: None,
            gate: false,
            no_host_port: false,
        })
    }

    fn install_request(&self, a: args::Install, app_id: String) -> Result<InstallRequest> {
        let limits = limits_of(&a);
        match (a.compose_file, a.catalog_app) {
            (Some(file), None) => Ok(InstallRequest {
                compose_file: PathBuf::from(file),
                app_id,
                settings: a.settings,
                limits,
                consent: a.consent,
                source: None,
                shares: Vec::new(),
                name: None,
                gate: false,
                no_host_port: false,
            }),
            (None, Some(app)) => self.apps.prepare_catalog_install(&CatalogInstall {
                app: app.into(),
                store: a.store.map(String::from),
                id: a.app_id.map(String::from),
                settings: a.settings,
                limits,
                consent: a.consent,
                shares: a.shares,
            }),
            _ => Err(Error::BadRequest {
                message: "install takes either composeFile or catalogApp".into(),
            }),
        }
    }
}

/// The limits an install asks for.
fn limits_of(a: &args::Install) -> ServiceLimits {
    ServiceLimits {
        cpus: a.cpus,
        memory: a.memory,
        pids: a.pids,
        memory_swap: None,
    }
}

/// An app as clients see it: its record and its services' states.
fn app_info(
    record: AppRecord,
    services: Vec<ServiceStatus>,
    (open, open_url): (Option<OpenAddress>, Option<String>),
    held: Option<String>,
    (shares, share_requests): (Vec<AppShare>, Vec<ShareRequest>),
) -> AppInfo {
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
        name: record.name,
        gate: record.gate,
        source: record.source,
        services,
        open_port: open.as_ref().and_then(|o| o.port),
        host_port: record.host_port,
        open_path: open.map(|o| o.path),
        open_url,
        limits: LimitsInfo::from(limits),
        held,
        shares,
        share_requests,
    }
}
