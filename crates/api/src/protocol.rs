//! The socket's line protocol: a [`Request`](berth_engine::service::Request)
//! line in; event lines, then one `ok` or `error` line out.

use berth_engine::service::{Event, Failure};
use serde::{Deserialize, Serialize};

/// One line from the daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Line {
    Event(Event),
    Ok(serde_json::Value),
    Error(Failure),
}
