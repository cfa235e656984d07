//! `.env` and `env_file` files, in the dotenv dialect docker compose reads:
//! `KEY=VALUE`, `export KEY=VALUE`, `#` comments, single quotes taken
//! literally, double quotes with escapes, `${VAR}` expanded in unquoted and
//! double-quoted values from earlier lines and the environment.

use std::collections::BTreeMap;
use std::path::Path;

use super::interpolate::{substitute, Lookup};
use crate::{Error, Result};

struct Layered<'a> {
    file: &'a BTreeMap<String, String>,
    outer: &'a BTreeMap<String, String>,
}

impl Lookup for Layered<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.outer
            .get(name)
            .or_else(|| self.file.get(name))
            .map(String::as_str)
    }
}

/// Reads the project folder's `.env`, if there is one.
pub(crate) fn dot_env(working_dir: &Path) -> Result<BTreeMap<String, String>> {
    let path = working_dir.join(".env");
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        cause: source,
    })?;
    parse_env_file(&text, &BTreeMap::new())
        .map_err(|(line, message)| Error::invalid(&path, format!("line {line}"), message))
}

/// Parses dotenv text; `outer` is consulted for `${VAR}` in values (and wins
/// over earlier lines, as in compose). Errors carry the line number.
pub fn parse_env_file(
    text: &str,
    outer: &BTreeMap<String, String>,
) -> std::result::Result<BTreeMap<String, String>, (usize, String)> {
    let mut vars = BTreeMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some(sep) = line.find(['=', ':']) else {
            // A bare name with no value is skipped, as compose does.
            continue;
        };
        let key = line[..sep].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err((n + 1, format!("`{key}` is not a valid variable name")));
        }
        let mut value = line[sep + 1..].trim_start().to_string();
        let parsed = if let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
            // Quoted values may run over several lines.
            let mut body = value[1..].to_string();
            loop {
                if let Some(end) = closing_quote(&body, q) {
                    body.truncate(end);
                    break;
                }
                match lines.next() {
                    Some((_, more)) => {
                        body.push('\n');
                        body.push_str(more);
                    }
                    None => return Err((n + 1, format!("the value of {key} has no closing {q}"))),
                }
            }
            if q == '\'' {
                body
            } else {
                let unescaped = unescape_double(&body);
                expand(&unescaped, &vars, outer)
            }
        } else {
            if let Some(pos) = value.find(" #") {
                value.truncate(pos);
            }
            expand(value.trim_end(), &vars, outer)
        };
        vars.insert(key.to_string(), parsed);
    }
    Ok(vars)
}

fn closing_quote(body: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && q == '"' {
            escaped = true;
        } else if c == q {
            return Some(i);
        }
    }
    None
}

fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn expand(
    value: &str,
    file: &BTreeMap<String, String>,
    outer: &BTreeMap<String, String>,
) -> String {
    let layered = Layered { file, outer };
    substitute(value, &layered, &mut Vec::new()).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect() {
        let text = "# c\nA=1\nexport B = two words # note\nC='lit $A'\nD=\"x\\ny ${A}\"\nE=${A}-${B}\nF=\nG=\"multi\nline\"\n";
        let vars = parse_env_file(text, &BTreeMap::new()).unwrap();
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two words");
        assert_eq!(vars["C"], "lit $A");
        assert_eq!(vars["D"], "x\ny 1");
        assert_eq!(vars["E"], "1-two words");
        assert_eq!(vars["F"], "");
        assert_eq!(vars["G"], "multi\nline");
    }

    #[test]
    fn unterminated_quote_names_the_line() {
        let err = parse_env_file("A=1\nB=\"open\n", &BTreeMap::new()).unwrap_err();
        assert_eq!(err.0, 2);
    }
}
