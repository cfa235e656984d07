//! Reading YAML safely: a size cap, a nesting cap checked before the parser
//! runs, the parser's own alias-expansion cap, merge keys applied.

use std::io::Read;
use std::path::Path;

use serde_yaml::Value;

use crate::{Error, Result};

/// Compose files above this size are refused before they are parsed.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Collections nested deeper than this are refused before they are parsed.
pub const MAX_NESTING: usize = 64;

/// Reads at most [`MAX_FILE_BYTES`] (+1, to tell a file that is too large).
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        cause: source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = std::fs::metadata(path)
            .map(|m| m.len())
            .unwrap_or(bytes.len() as u64);
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(bytes)
}

/// Keys from the top of a document down to one value.
pub(crate) type KeyPath = Vec<String>;

/// Parses one compose document into a mapping with merge keys applied; the
/// values tagged `!reset` are removed and those tagged `!override` untagged,
/// and both their key paths returned, for the merge with what the document
/// is laid on.
pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<(Value, Vec<KeyPath>)> {
    let yaml_err = |message: String| Error::Yaml {
        path: path.to_path_buf(),
        message,
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    check_nesting(bytes).map_err(|line| {
        yaml_err(format!(
            "line {line}: collections are nested more than {MAX_NESTING} levels deep; refusing to parse"
        ))
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(yaml_err(
            "the file is empty; a compose file needs at least `services:`".into(),
        ));
    }
    // The parser checks UTF-8 itself; checking it here too cost 6% of a load.
    let mut doc: Value = serde_yaml::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        if message.contains("repetition limit") {
            yaml_err("YAML aliases expand past the safety limit (a \"billion laughs\" file); refusing to parse".into())
        } else if message.contains("recursion limit") {
            yaml_err(format!("collections are nested too deeply ({message}); refusing to parse"))
        } else {
            yaml_err(format!("invalid YAML: {message}"))
        }
    })?;
    doc.apply_merge()
        .map_err(|e| yaml_err(format!("invalid merge key `<<`: {e}")))?;
    reject_tags(&doc).map_err(|(at, tag)| {
        yaml_err(format!(
            "{at}: the YAML tag `{tag}` is not supported in compose files; use `!reset` or `!override`"
        ))
    })?;
    let mut resets = Vec::new();
    take_merge_tags(&mut doc, &mut Vec::new(), &mut resets);
    match doc {
        Value::Mapping(_) => Ok((doc, resets)),
        Value::Null => Err(yaml_err(
            "the file is empty; a compose file needs at least `services:`".into(),
        )),
        other => Err(yaml_err(format!(
            "the top level must be a mapping (keys like `services:`), found {}",
            kind(&other)
        ))),
    }
}

/// Name of a YAML value's kind, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// The tags docker compose gives a meaning to when files are merged.
const MERGE_TAGS: &[&str] = &["!reset", "!override"];

/// Removes `!reset` values and untags `!override` ones, recording the key
/// path of each (list items tagged so are dropped or untagged in place).
fn take_merge_tags(value: &mut Value, at: &mut KeyPath, resets: &mut Vec<KeyPath>) {
    match value {
        Value::Mapping(m) => {
            let keys: Vec<Value> = m.keys().cloned().collect();
            for key in keys {
                at.push(
                    key.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{key:?}")),
                );
                let v = m.get_mut(&key).expect("key taken from this mapping");
                if let Value::Tagged(t) = v {
                    resets.push(at.clone());
                    if t.tag == "!reset" {
                        m.remove(&key);
                    } else {
                        *v = std::mem::take(&mut t.value);
                    }
                }
                if let Some(v) = m.get_mut(&key) {
                    take_merge_tags(v, at, resets);
                }
                at.pop();
            }
        }
        Value::Sequence(items) => {
            items.retain(|v| !matches!(v, Value::Tagged(t) if t.tag == "!reset"));
            for item in items.iter_mut() {
                if let Value::Tagged(t) = item {
                    *item = std::mem::take(&mut t.value);
                }
                take_merge_tags(item, at, resets);
            }
        }
        _ => {}
    }
}

/// Finds a tagged value other than a merge tag; returns its YAML path and tag.
fn reject_tags(value: &Value) -> std::result::Result<(), (String, String)> {
    fn find(value: &Value) -> Option<(Vec<String>, String)> {
        match value {
            Value::Tagged(t) if MERGE_TAGS.iter().any(|m| t.tag == *m) => find(&t.value),
            Value::Tagged(t) => Some((Vec::new(), t.tag.to_string())),
            Value::Sequence(items) => items.iter().enumerate().find_map(|(i, v)| {
                find(v).map(|(mut at, tag)| {
                    at.push(format!("[{i}]"));
                    (at, tag)
                })
            }),
            Value::Mapping(m) => m.iter().find_map(|(k, v)| {
                find(v).map(|(mut at, tag)| {
                    at.push(
                        k.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{k:?}")),
                    );
                    (at, tag)
                })
            }),
            _ => None,
        }
    }
    match find(value) {
        None => Ok(()),
        Some((mut at, tag)) => {
            at.reverse();
            let at = at.join(".").replace(".[", "[");
            Err((
                if at.is_empty() {
                    "top level".into()
                } else {
                    at
                },
                tag,
            ))
        }
    }
}

/// Cheap scan for deep nesting, so hostile input is refused in well under the
/// time the parser would take to reach its own recursion limit. Counts flow
/// brackets outside quotes plus block indentation levels; returns the line
/// where the limit is crossed.
fn check_nesting(text: &[u8]) -> std::result::Result<(), usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let trimmed = &line[indent..];
        if trimmed.is_empty() || trimmed[0] == b'#' || trimmed == b"\r" {
            continue;
        }
        if flow == 0 {
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // "- - - x" nests a sequence per dash on one line.
            let dashes = trimmed
                .split(|&b| b == b' ')
                .take_while(|t| *t == b"-")
                .count();
            if indents.len() + dashes > MAX_NESTING {
                return Err(n + 1);
            }
        }
        // Only lines that open flow collections need a closer look.
        if flow == 0 && !trimmed.iter().any(|&b| b == b'[' || b == b'{') {
            continue;
        }
        let mut quote: Option<u8> = None;
        for &c in trimmed {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(c),
                (None, b'#') => break,
                (None, b'[' | b'{') => {
                    flow += 1;
                    if indents.len() + flow > MAX_NESTING {
                        return Err(n + 1);
                    }
                }
                (None, b']' | b'}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn parse_str(s: &str) -> Result<Value> {
        parse(s.as_bytes(), Path::new("test.yml")).map(|(doc, _)| doc)
    }

    #[test]
    fn merge_tags_are_taken_out() {
        let (doc, resets) = parse(
            b"services:\n  a:\n    ports: !reset []\n    environment: !override {A: 1}\n    dns: [x, !reset y, !override z]\n",
            Path::new("t.yml"),
        )
        .unwrap();
        let a = &doc["services"]["a"];
        assert!(a.get("ports").is_none());
        assert_eq!(a["environment"]["A"].as_i64(), Some(1));
        assert_eq!(a["dns"], serde_yaml::from_str::<Value>("[x, z]").unwrap());
        assert_eq!(
            resets,
            vec![
                vec!["services".to_string(), "a".into(), "ports".into()],
                vec!["services".to_string(), "a".into(), "environment".into()],
            ]
        );
    }

    #[test]
    fn merge_keys_and_anchors_apply() {
        let v = parse_str(
            "x-base: &b {image: a, restart: always}\nservices:\n  web:\n    <<: *b\n    image: b\n",
        )
        .unwrap();
        let web = &v["services"]["web"];
        assert_eq!(web["image"].as_str(), Some("b"));
        assert_eq!(web["restart"].as_str(), Some("always"));
        assert!(web.get("<<").is_none());
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut prev = "a".to_string();
        for n in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            bomb.push_str(&format!("{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = n.to_string();
        }
        let start = Instant::now();
        let err = parse_str(&bomb).unwrap_err().to_string();
        assert!(err.contains("billion laughs"), "{err}");
        assert!(err.contains("test.yml"), "{err}");
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = format!("services: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let start = Instant::now();
        let err = parse_str(&deep).unwrap_err().to_string();
        assert!(err.contains("nested more than"), "{err}");
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "took {:?}",
            start.elapsed()
        );
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert!(parse_str(&block)
            .unwrap_err()
            .to_string()
            .contains("nested more than"));
    }

    #[test]
    fn non_mappings_and_tags_are_refused() {
        assert!(parse_str("- a\n- b\n")
            .unwrap_err()
            .to_string()
            .contains("must be a mapping"));
        assert!(parse_str("just text")
            .unwrap_err()
            .to_string()
            .contains("must be a mapping"));
        assert!(parse_str("").unwrap_err().to_string().contains("empty"));
        let err = parse_str("services:\n  a:\n    image: !custom x\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("services.a.image") && err.contains("!custom"),
            "{err}"
        );
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = vec![b'#'; (MAX_FILE_BYTES + 1) as usize];
        assert!(matches!(
            parse(&big, Path::new("big.yml")),
            Err(Error::TooLarge { .. })
        ));
    }
}
