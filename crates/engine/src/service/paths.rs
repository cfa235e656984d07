//! Which requests name a path on the daemon's host: only the local
//! transports (the root-only socket, the desktop app) may send those. (The
//! ids and names requests carry are checked as they are read: see
//! `crate::model::AppId` and its kin.)

use super::commands::{args, Request};

impl Request {
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
            catalog_app: Some(crate::model::StoreAppId::new("greeter").unwrap()),
            ..Default::default()
        });
        assert_eq!(store_app.host_path(), None);
    }
}
