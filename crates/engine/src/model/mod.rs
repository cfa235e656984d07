//! The engine's vocabulary: values and rules that depend on nothing else in
//! the engine, so every other module can use them without importing one
//! another — app ids, the home's file layout, resource limits and the rules Docker
//! itself applies to them, byte sizes and durations, and image references.

mod app_id;
mod layout;
mod limits;
mod reference;
mod units;

pub use app_id::{valid_app_id, AppId, InvalidAppId};
pub use layout::{app_dir, Layout};
pub(crate) use limits::validate_limits;
pub use limits::{ServiceLimits, MIN_MEMORY};
pub use reference::Reference;
pub(crate) use reference::{digest_part, split_reference, valid_digest};
pub use units::{format_bytes, format_duration, parse_bytes, parse_duration};
