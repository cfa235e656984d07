//! `${VAR}` substitution over every value of the document, as compose-go does:
//! `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`,
//! `${VAR:+a}`, `${VAR+a}`, `$$`, with nesting inside the operand. Keys are
//! not interpolated.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

use crate::{Error, Result};

/// Looks a variable up; `None` when unset.
pub(crate) trait Lookup {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Lookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// Why a template could not be substituted.
#[derive(Debug, PartialEq)]
pub(crate) enum TemplateError {
    /// `${...}` whose inside is not `NAME[op operand]`.
    Invalid(String),
    /// `${VAR:?message}` with VAR unset or empty.
    Required { name: String, message: String },
}

/// Interpolates every string value of `doc`; warnings collect unset variables.
pub(crate) fn interpolate_document(
    mut doc: Value,
    env: &BTreeMap<String, String>,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<Value> {
    let mut unset = Vec::new();
    walk(&mut doc, env, &mut unset).map_err(|(mut at, e)| {
        at.reverse();
        let at = at.join(".").replace(".[", "[");
        match e {
            TemplateError::Invalid(tpl) => Error::invalid(
                path,
                at,
                format!("invalid interpolation format \"{tpl}\"; write `$$` for a literal `$`"),
            ),
            TemplateError::Required { name, message } => Error::RequiredVariable {
                path: path.to_path_buf(),
                name,
                message,
            },
        }
    })?;
    for name in unset {
        let w = format!("The \"{name}\" variable is not set. Defaulting to a blank string.");
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(doc)
}

/// Substitutes in place. On error, returns the YAML path innermost-first,
/// so nothing is allocated for paths unless something fails.
fn walk(
    value: &mut Value,
    env: &BTreeMap<String, String>,
    unset: &mut Vec<String>,
) -> std::result::Result<(), (Vec<String>, TemplateError)> {
    match value {
        Value::String(s) if s.contains('$') => {
            *s = substitute(s, env, unset).map_err(|e| (Vec::new(), e))?;
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                walk(v, env, unset).map_err(|(mut at, e)| {
                    at.push(format!("[{i}]"));
                    (at, e)
                })?;
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m.iter_mut() {
                walk(v, env, unset).map_err(|(mut at, e)| {
                    at.push(
                        k.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{k:?}")),
                    );
                    (at, e)
                })?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Substitutes one string. Unset variables that were used are added to `unset`.
pub(crate) fn substitute(
    input: &str,
    env: &impl Lookup,
    unset: &mut Vec<String>,
) -> std::result::Result<String, TemplateError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner_and_tail) = after.strip_prefix('{') {
            let close = matching_brace(inner_and_tail)
                .ok_or_else(|| TemplateError::Invalid(rest[pos..].to_string()))?;
            let inner = &inner_and_tail[..close];
            out.push_str(&braced(inner, env, unset)?);
            rest = &inner_and_tail[close + 1..];
        } else if after.starts_with(is_name_start) {
            let end = after.find(|c| !is_name_char(c)).unwrap_or(after.len());
            let name = &after[..end];
            out.push_str(&lookup_or_warn(name, env, unset));
            rest = &after[end..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Index of the `}` closing a `${`, skipping nested `${...}`.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn lookup_or_warn(name: &str, env: &impl Lookup, unset: &mut Vec<String>) -> String {
    match env.lookup(name) {
        Some(v) => v.to_string(),
        None => {
            if !unset.iter().any(|u| u == name) {
                unset.push(name.to_string());
            }
            String::new()
        }
    }
}

fn braced(
    inner: &str,
    env: &impl Lookup,
    unset: &mut Vec<String>,
) -> std::result::Result<String, TemplateError> {
    let invalid = || TemplateError::Invalid(format!("${{{inner}}}"));
    if !inner.starts_with(is_name_start) {
        return Err(invalid());
    }
    let end = inner.find(|c| !is_name_char(c)).unwrap_or(inner.len());
    let (name, op_and_arg) = inner.split_at(end);
    if op_and_arg.is_empty() {
        return Ok(lookup_or_warn(name, env, unset));
    }
    let (colon, op_rest) = match op_and_arg.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, op_and_arg),
    };
    let mut chars = op_rest.chars();
    let op = chars.next().ok_or_else(invalid)?;
    let arg = chars.as_str();
    let value = env.lookup(name);
    // With `:`, an empty value counts as unset.
    let present = match value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        '-' => {
            if present {
                Ok(value.unwrap_or_default().to_string())
            } else {
                substitute(arg, env, unset)
            }
        }
        '+' => {
            if present {
                substitute(arg, env, unset)
            } else {
                Ok(String::new())
            }
        }
        '?' => {
            if present {
                Ok(value.unwrap_or_default().to_string())
            } else {
                Err(TemplateError::Required {
                    name: name.to_string(),
                    message: substitute(arg, env, unset)?,
                })
            }
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("A", "a"), ("EMPTY", ""), ("N", "42")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sub(s: &str) -> std::result::Result<String, TemplateError> {
        substitute(s, &env(), &mut Vec::new())
    }

    #[test]
    fn forms() {
        assert_eq!(sub("$A-${A}").unwrap(), "a-a");
        assert_eq!(sub("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}").unwrap(), "d||d");
        assert_eq!(
            sub("${EMPTY:+x}|${EMPTY+x}|${UNSET+x}|${A:+x}").unwrap(),
            "|x||x"
        );
        assert_eq!(sub("$$A costs $$5").unwrap(), "$A costs $5");
        assert_eq!(sub("${UNSET:-${A}-${N}}").unwrap(), "a-42");
        assert_eq!(sub("${UNSET:-${ALSO_UNSET:-deep}}").unwrap(), "deep");
        assert_eq!(sub("price $5 and $").unwrap(), "price $5 and $");
        assert_eq!(sub("${A:?boom}").unwrap(), "a");
        assert_eq!(sub("${EMPTY?fine}").unwrap(), "");
    }

    #[test]
    fn required_and_invalid() {
        assert_eq!(
            sub("${EMPTY:?set EMPTY please}"),
            Err(TemplateError::Required {
                name: "EMPTY".into(),
                message: "set EMPTY please".into()
            })
        );
        assert!(matches!(
            sub("${UNSET?x}"),
            Err(TemplateError::Required { .. })
        ));
        assert!(matches!(sub("${1BAD}"), Err(TemplateError::Invalid(_))));
        assert!(matches!(sub("${A"), Err(TemplateError::Invalid(_))));
        assert!(matches!(sub("${A*x}"), Err(TemplateError::Invalid(_))));
    }

    #[test]
    fn unset_is_blank_and_reported_once() {
        let mut unset = Vec::new();
        assert_eq!(
            substitute("$NOPE/${NOPE}", &env(), &mut unset).unwrap(),
            "/"
        );
        assert_eq!(unset, vec!["NOPE".to_string()]);
    }
}
