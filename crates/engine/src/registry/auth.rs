//! Registry authentication challenges (`WWW-Authenticate`), as RFC 7235
//! writes them: a scheme, then `key=value` or `key="quoted value"` pairs.

use std::collections::BTreeMap;

/// One challenge: its scheme (lowercased) and parameters (keys lowercased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

/// Reads every challenge in one `WWW-Authenticate` value, in order.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let mut rest = header;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start();
        if let Some(value_start) = after.strip_prefix('=') {
            // A parameter of the current challenge.
            let value_start = value_start.trim_start();
            let (value, remaining) = if let Some(quoted) = value_start.strip_prefix('"') {
                read_quoted(quoted)
            } else {
                let end = value_start.find(',').unwrap_or(value_start.len());
                (
                    value_start[..end].trim_end().to_string(),
                    &value_start[end..],
                )
            };
            if let Some(challenge) = out.last_mut() {
                challenge.params.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining;
        } else {
            // A new scheme.
            out.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
            rest = after;
        }
    }
    out
}

/// Reads a quoted string's content (after its opening quote), undoing `\`
/// escapes; returns it and what follows the closing quote.
fn read_quoted(s: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &s[i + 1..]),
            c => value.push(c),
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn docker_hub_challenge() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        );
        assert_eq!(
            c,
            vec![Challenge {
                scheme: "bearer".into(),
                params: params(&[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/nginx:pull"),
                ]),
            }]
        );
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
    }

    #[test]
    fn commas_spaces_escapes_and_errors() {
        let c = parse_challenges(
            r#"Bearer realm = "https://ghcr.io/token", service=ghcr.io, scope="repository:o/a:pull,push",error="insufficient_scope", note="a \"quoted\" word""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("realm"), Some("https://ghcr.io/token"));
        assert_eq!(c[0].param("service"), Some("ghcr.io"));
        assert_eq!(c[0].param("scope"), Some("repository:o/a:pull,push"));
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
        assert_eq!(c[0].param("note"), Some(r#"a "quoted" word"#));
    }

    #[test]
    fn several_challenges_and_basic() {
        let c = parse_challenges(r#"Basic realm="Registry Realm", BEARER realm="https://x/token""#);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].param("realm"), Some("Registry Realm"));
        assert_eq!(c[1].scheme, "bearer");
        assert_eq!(c[1].param("realm"), Some("https://x/token"));
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("Bearer")[0].params.len(), 0);
        // An unterminated quote keeps what there is.
        assert_eq!(
            parse_challenges(r#"Bearer realm="https://x"#)[0].param("realm"),
            Some("https://x")
        );
    }
}
