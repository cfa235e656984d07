//! What a request may name: app ids, store names, snapshot ids and service
//! names become parts of paths under the home (or of container names), so
//! each must be a plain name; paths on the daemon's host only from the
//! local transports.

use super::commands::{args, Request};
use crate::rewrite::valid_app_id;
use crate::{Error, Result};

const ID_RULE: &str =
    "use lowercase letters, digits, - and _ (at most 63), starting with a letter or digit";
const PLAIN_RULE: &str =
    "use letters, digits, ., - and _ (at most 63), starting with a letter or digit";

fn id(what: &'static str, value: &str) -> Result<()> {
    if valid_app_id(value) {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what,
            value: value.to_string(),
            rule: ID_RULE,
        })
    }
}

fn some_id(what: &'static str, value: &Option<String>) -> Result<()> {
    value.as_deref().map_or(Ok(()), |v| id(what, v))
}

fn plain(what: &'static str, value: &Option<String>) -> Result<()> {
    match value {
        Some(v) if !plain_name(v) => Err(Error::InvalidName {
            what,
            value: v.clone(),
            rule: PLAIN_RULE,
        }),
        _ => Ok(()),
    }
}

/// A name that is one path component and no more: a compose service name
/// as Docker accepts it, a snapshot id (`2026-01-02T03-04-05Z-op9`).
fn plain_name(name: &str) -> bool {
    name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Request {
    /// Refuses a request whose app id, store name, snapshot id or service
    /// name is not a plain name, so `../x` never reaches the engine.
    pub fn check_names(&self) -> Result<()> {
        const STORE: &str = "store name";
        const STORE_APP: &str = "store app id";
        match self {
            Request::Version(_)
            | Request::Apps(_)
            | Request::Ops(_)
            | Request::CatalogStores(_)
            | Request::CatalogApps(_)
            | Request::CatalogSearch(_)
            | Request::Updates(_)
            | Request::ImagesPrune(_)
            | Request::System(_) => Ok(()),
            // App ids are `AppId`s: checked as the request was read.
            Request::Status(_)
            | Request::Uninstall(_)
            | Request::Start(_)
            | Request::Stop(_)
            | Request::Restart(_)
            | Request::Secrets(_)
            | Request::Update(_)
            | Request::Snapshots(_)
            | Request::StatsHistory(_)
            | Request::Diagnose(_)
            | Request::Limits(_)
            | Request::Disk(_)
            | Request::DiskCap(_)
            | Request::Stats(_)
            | Request::ComposeCheck(_)
            | Request::ComposeSource(_) => Ok(()),
            Request::Logs(args::Logs { service, .. })
            | Request::FollowLogs(args::FollowLogs { service, .. })
            | Request::LogSearch(args::LogSearch { service, .. }) => plain("service name", service),
            Request::Rollback(args::Rollback { to, .. }) => plain("snapshot id", to),
            Request::Install(a) => {
                some_id(STORE_APP, &a.catalog_app)?;
                some_id(STORE, &a.store)
            }
            Request::CatalogAdd(args::CatalogAdd { name, .. })
            | Request::CatalogRefresh(args::CatalogRefresh { name }) => some_id(STORE, name),
            Request::CatalogRemove(args::CatalogRemove { name }) => id(STORE, name),
            Request::CatalogShow(args::CatalogShow { app, store })
            | Request::DownloadSize(args::DownloadSize {
                catalog_app: app,
                store,
            }) => {
                id(STORE_APP, app)?;
                some_id(STORE, store)
            }
        }
    }

    /// The path on the daemon's host this request reads or writes, if it
    /// names one: a compose file, a store folder or archive, where to write
    /// diagnostics. Only the local transports (the root-only socket, the
    /// desktop app) may; over HTTP they are refused.
    pub fn host_path(&self) -> Option<&str> {
        match self {
            Request::Install(args::Install {
                compose_file: Some(path),
                ..
            })
            | Request::Update(args::Update {
                compose_file: Some(path),
                ..
            })
            | Request::Diagnose(args::Diagnose {
                out: Some(path), ..
            }) => Some(path),
            Request::CatalogAdd(args::CatalogAdd { location, .. })
                if !(location.starts_with("https://") || location.starts_with("http://")) =>
            {
                Some(location)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AppId;

    #[test]
    fn names_that_would_leave_their_folder_are_refused() {
        let a = || AppId::new("a").unwrap();
        for bad in [
            Request::from(args::Rollback {
                app: a(),
                to: Some("../b".into()),
            }),
            Request::from(args::Logs {
                app: a(),
                service: Some("../../containers".into()),
                tail: None,
            }),
            Request::from(args::Install {
                catalog_app: Some("../greeter".into()),
                ..Default::default()
            }),
            Request::from(args::CatalogRemove { name: "..".into() }),
            Request::from(args::DownloadSize {
                catalog_app: "A b".into(),
                store: None,
            }),
        ] {
            assert!(
                matches!(bad.check_names(), Err(Error::InvalidName { .. })),
                "{bad:?}"
            );
        }
        assert!(Request::from(args::FollowLogs {
            app: AppId::new("my-app_2").unwrap(),
            service: Some("Web.1".into()),
            tail: None,
        })
        .check_names()
        .is_ok());
    }

    #[test]
    fn requests_naming_host_paths_are_told_apart() {
        let add = |location: &str| {
            Request::from(args::CatalogAdd {
                location: location.into(),
                ..Default::default()
            })
        };
        assert_eq!(add("/srv/store").host_path(), Some("/srv/store"));
        assert_eq!(add("https://example.org/store").host_path(), None);
        let file = Request::from(args::Install {
            compose_file: Some("/etc/x.yml".into()),
            ..Default::default()
        });
        assert_eq!(file.host_path(), Some("/etc/x.yml"));
        let out = Request::from(args::Diagnose {
            app: AppId::new("a").unwrap(),
            out: Some("/root/x".into()),
        });
        assert_eq!(out.host_path(), Some("/root/x"));
        let store_app = Request::from(args::Install {
            catalog_app: Some("greeter".into()),
            ..Default::default()
        });
        assert_eq!(store_app.host_path(), None);
        // A compose file's text is not a path: the browser's way in.
        let text = Request::from(args::Install {
            compose: Some("services: {}\n".into()),
            ..Default::default()
        });
        assert_eq!(text.host_path(), None);
    }
}
