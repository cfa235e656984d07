//! The engine's vocabulary: values and rules that depend on nothing else in
//! the engine, so every other module can use them without importing one
//! another — the names requests carry (app ids, store names…), the home's file layout, resource limits and the rules Docker
//! itself applies to them, byte sizes and durations, and image references.

mod layout;
mod limits;
mod mime;
mod names;
mod reference;
mod step;
mod units;

pub use layout::{app_dir, Layout};
pub(crate) use limits::validate_limits;
pub use limits::{ServiceLimits, MIN_MEMORY};
pub use mime::{content_type, is_picture};
pub use names::{
    valid_app_id, AppId, InvalidName, ServiceName, ShareName, SnapshotId, StoreAppId, StoreName,
};
pub use reference::Reference;
pub(crate) use reference::{digest_part, split_reference, valid_digest};
pub use step::Step;
pub use units::{format_bytes, format_duration, parse_bytes, parse_duration};
