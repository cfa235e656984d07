//! Resource limits, and the rules Docker applies to them whatever the host:
//! the host's own capacity is checked by `host::check_limits`, reading and
//! writing them in a compose service by `compose`.

use super::units::format_bytes;
use crate::{Error, Result};

/// The limits one service runs under; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceLimits {
    /// CPUs, fractional (`0.5` is half a core).
    pub cpus: Option<f64>,
    /// Memory in bytes.
    pub memory: Option<i64>,
    /// Memory plus swap in bytes (`memswap_limit`; -1 is unlimited swap).
    pub memory_swap: Option<i64>,
    /// Process count.
    pub pids: Option<i64>,
}

/// Docker refuses containers with less memory than this.
pub const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// Refuses limits Docker would refuse whatever the host: CPUs not a
/// positive number, memory below its minimum, no room for a process.
pub(crate) fn validate_limits(limits: &ServiceLimits) -> Result<()> {
    if let Some(cpus) = limits.cpus {
        if !(cpus > 0.0 && cpus.is_finite()) {
            return Err(Error::InvalidLimit {
                what: "cpus",
                message: format!("{cpus} is not a positive number of CPUs"),
            });
        }
    }
    if let Some(memory) = limits.memory {
        if memory < MIN_MEMORY {
            return Err(Error::InvalidLimit {
                what: "memory",
                message: format!(
                    "{} is below Docker's minimum of {}",
                    format_bytes(memory),
                    format_bytes(MIN_MEMORY)
                ),
            });
        }
    }
    if let Some(pids) = limits.pids {
        if pids < 1 {
            return Err(Error::InvalidLimit {
                what: "pids",
                message: format!("{pids} leaves no room for even one process"),
            });
        }
    }
    Ok(())
}
