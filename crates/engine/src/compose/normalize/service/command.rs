//! `command` and `entrypoint`: a list, or a string split into words as a
//! shell would.

use serde_yaml::Value;

use super::super::{kind, scalar_string, shellwords};
use super::values::strict_strings;

pub(super) fn command(value: Option<&Value>) -> std::result::Result<Value, String> {
    match value {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(v @ Value::Sequence(_)) => strict_strings(v),
        Some(v) => {
            let text = scalar_string(v)
                .ok_or_else(|| format!("must be a string or a list, found {}", kind(v)))?;
            shellwords::split(&text)
                .map(|words| Value::Sequence(words.into_iter().map(Value::String).collect()))
                .ok_or_else(|| format!("cannot split \"{text}\" into words: a quote is not closed"))
        }
    }
}
