//! Where Berth keeps its state, and what it knows about this host.

use std::path::PathBuf;

use berth_engine::rewrite::HostSettings;

use crate::ApiError;

/// `$BERTH_HOME`, else `/var/lib/berth` for root, else `$XDG_DATA_HOME/berth`.
pub fn default_home() -> Result<PathBuf, ApiError> {
    if let Some(home) = std::env::var_os("BERTH_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(home));
    }
    if is_root() {
        return Ok(PathBuf::from("/var/lib/berth"));
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(xdg).join("berth"));
    }
    let home = std::env::var_os("HOME")
        .ok_or_else(|| ApiError::Setup("neither BERTH_HOME nor HOME is set; pass --home".into()))?;
    Ok(PathBuf::from(home).join(".local/share/berth"))
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Host facts from this machine: its time zone and name; files owned by 1000:1000.
pub fn host_settings() -> HostSettings {
    let mut host = HostSettings::default();
    if let Some(tz) = std::env::var("TZ").ok().filter(|t| !t.is_empty()) {
        host.tz = tz;
    } else if let Ok(tz) = std::fs::read_to_string("/etc/timezone") {
        host.tz = tz.trim().to_string();
    }
    if let Ok(name) = std::fs::read_to_string("/etc/hostname") {
        let name = name.trim();
        if !name.is_empty() {
            host.domain = format!("{name}.local");
        }
    }
    host
}
