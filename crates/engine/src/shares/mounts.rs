//! Shares given to apps: each share an app asks for in its app.yml (a
//! [`ShareRequest`]) given one of the server's shares, or none. A given
//! share is resolved to its folder and mounted by the render
//! ([`crate::rewrite`]), which records it in the rendered file under
//! [`SHARES_KEY`]: that file (whose hash Berth keeps) is where the storage
//! guard, the next render and a rollback find the app's shares.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::apps::Apps;
use crate::catalog::{ShareRequest, ShareUse};
use crate::compose::Project;
use crate::db::ShareRecord;
use crate::model::ShareName;
use crate::{Error, Result};

/// The rendered file's record of the shares mounted in the app.
pub const SHARES_KEY: &str = "x-berth-shares";

/// A share mounted in an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppShare {
    /// The app's request (its name in app.yml).
    pub request: String,
    /// The share given to it.
    pub share: String,
    /// The share's folder when the app was rendered.
    pub path: String,
    /// The service that mounts it, and where.
    pub service: String,
    pub target: String,
    pub read_only: bool,
}

/// The shares mounted in a rendered app.
pub fn recorded_shares(project: &Project) -> Vec<AppShare> {
    project
        .model
        .get(SHARES_KEY)
        .cloned()
        .and_then(|v| serde_yaml::from_value(v).ok())
        .unwrap_or_default()
}

/// Writes `shares` into the rendered model (or clears the record).
pub(crate) fn record_shares(model: &mut Value, shares: &[AppShare]) {
    if let Some(doc) = model.as_mapping_mut() {
        doc.remove(SHARES_KEY);
        if !shares.is_empty() {
            doc.insert(
                SHARES_KEY.into(),
                serde_yaml::to_value(shares).expect("shares serialize"),
            );
        }
    }
}

impl Apps {
    /// The shares for an app that asks for `requests` (its main service
    /// `main`), each of `choices` (request → share) given its share's
    /// folder. Refuses a request the app does not make, a share that does
    /// not exist and one whose drive is absent.
    pub fn give_shares(
        &self,
        app: &str,
        requests: &[ShareRequest],
        main: &str,
        choices: &BTreeMap<String, ShareName>,
    ) -> Result<Vec<AppShare>> {
        let mut out = Vec::new();
        for (request, share) in choices {
            let Some(asked) = requests.iter().find(|r| &r.name == request) else {
                return Err(Error::UnknownShareRequest {
                    app: app.to_string(),
                    request: request.clone(),
                    known: requests.iter().map(|r| r.name.clone()).collect(),
                });
            };
            let record = self.present_share(share)?;
            out.push(AppShare {
                request: request.clone(),
                share: record.name,
                path: record.path,
                service: asked.service_in(main).to_string(),
                target: asked.target.clone(),
                read_only: asked.access == ShareUse::Read,
            });
        }
        Ok(out)
    }

    /// `shares` as a new version asking for `requests` takes them: the
    /// requests it still makes keep their share, with the new version's
    /// place and access; each share's folder as recorded now.
    pub fn carry_shares(
        &self,
        shares: &[AppShare],
        requests: &[ShareRequest],
        main: &str,
    ) -> Result<Vec<AppShare>> {
        let choices: BTreeMap<String, ShareName> = shares
            .iter()
            .filter(|s| requests.iter().any(|r| r.name == s.request))
            .map(|s| Ok((s.request.clone(), ShareName::new(&s.share)?)))
            .collect::<Result<_>>()?;
        self.give_shares("the new version", requests, main, &choices)
    }

    /// The share `name`, refused when its drive is absent.
    pub(crate) fn present_share(&self, name: &ShareName) -> Result<ShareRecord> {
        let record = self.db().share(name)?.ok_or_else(|| Error::NoShare {
            name: name.to_string(),
        })?;
        if !super::guard::share_present(&record) {
            return Err(Error::ShareAbsent {
                name: record.name,
                path: record.path.into(),
            });
        }
        Ok(record)
    }

    /// The installed apps that mount the share `name`.
    pub fn apps_using_share(&self, name: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for record in self.db().apps()? {
            let Ok(project) = self.load_rendered(&record.id) else {
                continue;
            };
            if recorded_shares(&project)
                .iter()
                .any(|s| s.share.eq_ignore_ascii_case(name))
            {
                out.push(record.id);
            }
        }
        Ok(out)
    }
}

/// Mounts each of `shares` in its service of the model, in place of a
/// volume at the same target (the app's stand-in) or added; refuses a
/// share whose folder is not one a share may be (after links, again:
/// the folder may have been replaced since it was added). Returns where
/// in the file each was mounted (`services.<s>.volumes[<i>]`): the
/// policy's findings there are consented to by the choice of share.
pub(crate) fn mount_shares(
    model: &mut Value,
    shares: &[AppShare],
    home: &Path,
) -> Result<Vec<String>> {
    let mut places = Vec::new();
    for s in shares {
        if let Some(why) = crate::policy::share_path_problem(Path::new(&s.path), home) {
            return Err(Error::ShareRefused {
                name: s.share.clone(),
                path: s.path.clone().into(),
                why,
            });
        }
        let svc = model
            .get_mut("services")
            .and_then(|services| services.get_mut(s.service.as_str()))
            .and_then(Value::as_mapping_mut)
            .ok_or_else(|| Error::Catalog {
                message: format!(
                    "the share {} is for the service {}, which the app does not have",
                    s.request, s.service
                ),
            })?;
        let volumes = svc
            .entry("volumes".into())
            .or_insert_with(|| Value::Sequence(Vec::new()));
        let Value::Sequence(volumes) = volumes else {
            return Err(Error::Catalog {
                message: format!("service {}: volumes is not a list", s.service),
            });
        };
        let target = crate::compose::clean(Path::new(&s.target));
        let mut bind = serde_yaml::Mapping::new();
        bind.insert("create_host_path".into(), false.into());
        let mut mount = serde_yaml::Mapping::new();
        mount.insert("type".into(), "bind".into());
        mount.insert("source".into(), s.path.clone().into());
        mount.insert(
            "target".into(),
            target.to_string_lossy().into_owned().into(),
        );
        mount.insert("read_only".into(), s.read_only.into());
        mount.insert("bind".into(), Value::Mapping(bind));
        let at = volumes.iter().position(|v| {
            v.get("target")
                .and_then(Value::as_str)
                .is_some_and(|t| crate::compose::clean(Path::new(t)) == target)
        });
        let index = match at {
            Some(i) => {
                volumes[i] = Value::Mapping(mount);
                i
            }
            None => {
                volumes.push(Value::Mapping(mount));
                volumes.len() - 1
            }
        };
        places.push(format!("services.{}.volumes[{index}]", s.service));
    }
    record_shares(model, shares);
    Ok(places)
}
