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
        source,
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

/// Parses one compose document into a mapping with merge keys applied.
pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Value> {
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
    let text = std::str::from_utf8(bytes)
        .map_err(|e| yaml_err(format!("the file is not UTF-8 text ({e})")))?;
    check_nesting(text).map_err(|line| {
        yaml_err(format!(
            "line {line}: collections are nested more than {MAX_NESTING} levels deep; refusing to parse"
        ))
    })?;
    if text.trim().is_empty() {
        return Err(yaml_err(
            "the file is empty; a compose file needs at least `services:`".into(),
        ));
    }
    let mut doc: Value = serde_yaml::from_str(text).map_err(|e| {
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
    reject_tags(&doc, "").map_err(|(at, tag)| {
        yaml_err(format!(
            "{at}: the YAML tag `{tag}` is not supported in compose files"
        ))
    })?;
    match doc {
        Value::Mapping(_) => Ok(doc),
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

fn reject_tags(value: &Value, at: &str) -> std::result::Result<(), (String, String)> {
    match value {
        Value::Tagged(t) => Err((display_at(at), t.tag.to_string())),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| reject_tags(v, &format!("{at}[{i}]"))),
        Value::Mapping(m) => m.iter().try_for_each(|(k, v)| {
            let key = k
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{k:?}"));
            let child = if at.is_empty() {
                key
            } else {
                format!("{at}.{key}")
            };
            reject_tags(v, &child)
        }),
        _ => Ok(()),
    }
}

fn display_at(at: &str) -> String {
    if at.is_empty() {
        "top level".into()
    } else {
        at.into()
    }
}

/// Cheap scan for deep nesting, so hostile input is refused in well under the
/// time the parser would take to reach its own recursion limit. Counts flow
/// brackets outside quotes plus block indentation levels; returns the line
/// where the limit is crossed.
fn check_nesting(text: &str) -> std::result::Result<(), usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if flow == 0 {
            let indent = line.len() - trimmed.len();
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // "- - - x" nests a sequence per dash on one line.
            let dashes = trimmed.split(' ').take_while(|t| *t == "-").count();
            if indents.len() + dashes > MAX_NESTING {
                return Err(n + 1);
            }
        }
        let mut quote: Option<char> = None;
        for c in trimmed.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    flow += 1;
                    if indents.len() + flow > MAX_NESTING {
                        return Err(n + 1);
                    }
                }
                (None, ']' | '}') => flow = flow.saturating_sub(1),
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
        parse(s.as_bytes(), Path::new("test.yml"))
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
