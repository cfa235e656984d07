//! The daemon's task that keeps the proxy's ACME certificate: asks for one
//! when there is none or it is due for renewal, and after a failure tries
//! again with a growing wait ([`berth_engine::proxy::acme::backoff`]). The
//! ordering itself is the engine's.

use std::sync::Arc;
use std::time::SystemTime;

use berth_engine::proxy::acme::Acme;

/// Runs until the process ends.
pub(crate) async fn keep(acme: Arc<Acme>) {
    loop {
        if acme.due(SystemTime::now()) {
            // The outcome is in the status (and the log).
            let _ = acme.renew().await;
        }
        tokio::time::sleep(acme.next_wait(SystemTime::now())).await;
    }
}
