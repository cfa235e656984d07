//! Each command's implementation, as the [`Service`](super::Service) method
//! named in `commands.rs`, grouped by area.

mod apps;
mod backup_schedule;
mod backups;
mod catalog;
mod compose;
mod monitor;
mod resources;
mod shares;
mod updates;
