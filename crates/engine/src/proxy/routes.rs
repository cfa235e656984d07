//! Routes: where an app's main service answers, found from the store (the
//! app and its main service and container port, as "Open" uses) and the
//! Docker engine (the container's address on the app's own network), and
//! kept briefly so a page's many requests do not each inspect a container.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::apps::Apps;
use crate::lifecycle::ServiceAddress;
use crate::Result;

/// Where a request for an app goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Its main service's container, at this address and container port.
    Upstream(SocketAddr),
    /// No installed app has that id.
    NoSuchApp,
    /// The app publishes no port, so there is nothing to open.
    NoWebPort,
    /// Its main service (named) has no running container.
    NotRunning(String),
    /// Its main service (named) is up with no address (restarting, or on
    /// another container's network).
    Unreachable(String),
}

/// The routing table: app id → [`Route`], looked up on demand and kept for
/// a short while (containers get new addresses when recreated).
pub struct Routes {
    keep: Duration,
    /// Only upstreams are kept: names a client makes up cannot grow it,
    /// and an app that was just started answers at once.
    known: Mutex<HashMap<String, Known>>,
}

/// An upstream found at `at`; `asking` while one request asks the engine
/// again, the others going on with this one meanwhile (so a busy app's
/// requests do not all wait on, or each make, the same inspection).
struct Known {
    at: Instant,
    route: Route,
    asking: bool,
}

impl Routes {
    /// A table whose entries are trusted for `keep`.
    pub fn new(keep: Duration) -> Self {
        Routes {
            keep,
            known: Mutex::default(),
        }
    }

    /// Where a request for `app` goes now.
    pub async fn find(&self, apps: &Apps, app: &str) -> Result<Route> {
        if let Some(known) = self.lock().get_mut(app) {
            let age = known.at.elapsed();
            // One that went to ask and was dropped on the way (its client
            // left) is not waited for forever.
            if age < self.keep || (known.asking && age < self.keep * 10) {
                return Ok(known.route.clone());
            }
            known.asking = true;
        }
        let found = Self::look_up(apps, app).await;
        let mut known = self.lock();
        match &found {
            Ok(route @ Route::Upstream(_)) => {
                let entry = Known {
                    at: Instant::now(),
                    route: route.clone(),
                    asking: false,
                };
                known.insert(app.to_string(), entry);
            }
            _ => {
                known.remove(app);
            }
        }
        found
    }

    /// Where a request for `app` goes, if it was found less than the
    /// table's `keep` ago (no look-up: [`Routes::find`] does that).
    pub fn kept(&self, app: &str) -> Option<Route> {
        let known = self.lock();
        let known = known.get(app)?;
        (known.at.elapsed() < self.keep).then(|| known.route.clone())
    }

    /// Drops what is known of `app`: its upstream did not answer, so the
    /// next request asks the engine again.
    pub fn forget(&self, app: &str) {
        self.lock().remove(app);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn look_up(apps: &Apps, app: &str) -> Result<Route> {
        let Some(record) = apps.db().app(app)?.filter(|r| r.state == "installed") else {
            return Ok(Route::NoSuchApp);
        };
        let Some(open) = apps.open_address(&record) else {
            return Ok(Route::NoWebPort);
        };
        Ok(
            match apps.engine().service_address(app, &open.service).await? {
                ServiceAddress::At(ip) => Route::Upstream(SocketAddr::new(ip, open.target)),
                ServiceAddress::Stopped => Route::NotRunning(open.service),
                ServiceAddress::Unreachable => Route::Unreachable(open.service),
            },
        )
    }
}
