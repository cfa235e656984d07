//! Planning an update: what it changes the app to (the store's newest
//! version, another compose file, or a kept snapshot), journaled before
//! anything is touched, and the new version rendered beside the old.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::super::snapshot::snapshot_id;
use super::super::Apps;
use super::{store_source, UpdatePlan, UpdateTarget};
use crate::catalog::resolve_settings;
use crate::catalog::MIGRATION_PROFILE;
use crate::compose::ServiceLimits;
use crate::db::{now_ms, AppRecord};
use crate::rewrite::{consented, render_with_profiles, unconsented, RenderRequest};
use crate::shares::recorded_shares;
use crate::{Error, Result};

impl Apps {
    /// Checks an update, records it and returns its operation id at once.
    /// Refuses when the disk cannot hold the snapshot.
    pub async fn begin_update(
        &self,
        app: &str,
        target: &UpdateTarget,
        consent: bool,
    ) -> Result<(i64, UpdatePlan)> {
        let record = self.installed_record(app)?;
        let old = self.load_rendered(app)?;
        let settings: BTreeMap<String, String> =
            serde_json::from_str(&record.settings).unwrap_or_default();
        let limits: ServiceLimits = serde_json::from_str(&record.limits).unwrap_or_default();
        let mut plan = UpdatePlan {
            app: app.to_string(),
            snapshot: String::new(),
            from: record.source.clone(),
            to: record.source.clone(),
            compose_file: None,
            staged_files: false,
            settings,
            limits,
            consent,
            restore: None,
            old_images: self.engine.image_ids(&old).await?,
            migration: None,
            shares: Vec::new(),
            no_host_port: !record.host_port,
        };
        // An update starts the new version: not while a share's drive is absent.
        self.check_storage(app, &old, false).await?;
        for image in &plan.old_images {
            self.db.touch_image(&image.id, &image.reference, now_ms())?;
        }
        let kind = match target {
            UpdateTarget::Snapshot(id) => {
                let snapshot = self.snapshot(app, id.as_deref())?;
                plan.to = format!("snapshot {}", snapshot.id);
                plan.restore = Some(snapshot.id);
                "rollback"
            }
            UpdateTarget::Compose(file) => {
                if !file.exists() {
                    return Err(Error::Read {
                        path: file.clone(),
                        cause: std::io::Error::from(std::io::ErrorKind::NotFound),
                    });
                }
                plan.to = file.to_string_lossy().into_owned();
                plan.compose_file = Some(file.clone());
                "update"
            }
            UpdateTarget::Latest => {
                self.plan_latest(&record, &mut plan)?;
                "update"
            }
        };
        if plan.compose_file.is_some() {
            // Render now, into memory, so a broken new version is refused
            // before anything is touched.
            self.render_next(&plan, false, plan.migration.is_some())?;
        }
        self.check_snapshot_space(app).await?;
        let op = self.db.begin_operation(
            app,
            kind,
            &serde_json::to_string(&plan).expect("plans serialize"),
        )?;
        let started = self
            .db
            .operation(op)?
            .map(|o| o.started_at)
            .unwrap_or_else(now_ms);
        plan.snapshot = snapshot_id(op, started);
        self.db
            .set_operation_request(op, &serde_json::to_string(&plan).expect("plans serialize"))?;
        self.boundary();
        Ok((op, plan))
    }

    /// The newest version of the app's source: its store's, staged in
    /// `app.next/`, or its compose file again.
    fn plan_latest(&self, record: &AppRecord, plan: &mut UpdatePlan) -> Result<()> {
        match store_source(&record.source) {
            Some((store, id, _)) => {
                let (store, found) = self.catalogs.find(id, Some(store))?;
                let meta = &found.meta;
                let kept = self.db.secrets(&record.id)?;
                // Keep the user's values for settings the new version still has.
                let given: BTreeMap<String, String> = plan
                    .settings
                    .iter()
                    .filter(|(k, _)| meta.settings.iter().any(|s| &s.name == *k))
                    .filter(|(k, _)| !kept.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let resolved = resolve_settings(meta, &given, &kept)?;
                let staged = self.staged_dir(&record.id);
                found.write_to(&staged)?;
                self.db.add_secrets(&record.id, &resolved.new_secrets)?;
                plan.settings = resolved.values;
                plan.compose_file = Some(staged.join("compose.yml"));
                plan.staged_files = true;
                plan.to = format!("{store}/{}@{}", meta.id, meta.version);
                plan.migration = meta.migration.clone();
                let had = recorded_shares(&self.load_rendered(&record.id)?);
                plan.shares = self.carry_shares(&had, &meta.shares, &meta.main.service)?;
            }
            None => {
                // The file, or the folder (main and override files read
                // again), the app was installed from.
                let file = PathBuf::from(&record.source);
                if !file.exists() {
                    return Err(Error::Read {
                        path: file,
                        cause: std::io::Error::other(
                            "the compose file or folder this app was installed from is gone; update it with --compose FILE",
                        ),
                    });
                }
                plan.compose_file = Some(file);
            }
        }
        Ok(())
    }

    /// Renders the plan's compose file for this host, with its migration
    /// service when `migration`. Consent given at install carries over to the
    /// same findings; anything new needs it again.
    pub(super) fn render_next(
        &self,
        plan: &UpdatePlan,
        save_ports: bool,
        migration: bool,
    ) -> Result<String> {
        let profiles: &[&str] = if migration { &[MIGRATION_PROFILE] } else { &[] };
        let file = plan.compose_file.as_ref().expect("a compose update");
        let mut ports = self.ports()?;
        let mut request = RenderRequest {
            app_id: plan.app.clone(),
            home: self.layout.home().to_path_buf(),
            host: self.host.clone(),
            settings: plan.settings.clone(),
            limits: plan.limits,
            consent: plan.consent,
            shares: plan.shares.clone(),
            no_host_port: plan.no_host_port,
        };
        let rendered = match render_with_profiles(file, &request, &mut ports, profiles) {
            Err(Error::ConsentRequired { app, .. }) => {
                // Consent given before covers the same requests at the same
                // places; anything new (a device, a folder) needs it again.
                let before = consented(&self.load_rendered(&plan.app)?);
                request.consent = true;
                let rendered = render_with_profiles(file, &request, &mut ports, profiles)?;
                let given = [before, rendered.chosen.clone()].concat();
                let new = unconsented(&rendered.policy, &given);
                if !new.is_empty() {
                    return Err(Error::ConsentRequired { app, findings: new });
                }
                rendered
            }
            other => other?,
        };
        if save_ports {
            ports.save()?;
        }
        Ok(rendered.yaml)
    }
}
