//! Reading the canonical model's values as the Engine API wants them.

use serde_yaml::Value;

use crate::compose::parse_duration;

/// A list of strings.
pub(super) fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_sequence).map(|s| {
        s.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// A duration, in nanoseconds.
pub(super) fn nanos(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str)
        .and_then(parse_duration)
        .map(|n| n as i64)
}

/// A byte count, written as a string or a number.
pub(super) fn bytes(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_i64())
    })
}
