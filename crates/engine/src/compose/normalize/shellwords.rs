//! Splitting a string `command:`/`entrypoint:` into words exactly as
//! compose-go does (go-shellwords 1.0.12, no environment or backtick
//! expansion). Like it, an unquoted `;`, `&`, `|`, `<` or `>` ends the
//! command: `echo a && echo b` becomes `["echo", "a"]`.

/// Splits `line`; `None` when quotes or a `$(` are left open.
pub(crate) fn split(line: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut double, mut single, mut back, mut dollar) =
        (false, false, false, false, false);
    let mut got = false;
    for r in line.chars() {
        if escaped {
            escaped = false;
            if back || dollar {
                buf.push('\\');
                buf.push(r);
            } else {
                buf.push(match r {
                    't' => '\t',
                    'n' => '\n',
                    other => other,
                });
            }
            got = true;
            continue;
        }
        if r == '\\' {
            if single {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if single || double || back || dollar {
                buf.push(r);
            } else if got {
                args.push(std::mem::take(&mut buf));
                got = false;
            }
            continue;
        }
        match r {
            '`' if !single && !double && !dollar => back = !back,
            ')' if !single && !double && !back => dollar = !dollar,
            '(' if !single && !double && !back => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return None;
            }
            '"' if !single && !dollar && !back => {
                if double {
                    got = true;
                }
                double = !double;
                continue;
            }
            '\'' if !double && !dollar && !back => {
                if single {
                    got = true;
                }
                single = !single;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(single || double || back || dollar) => {
                if r == '>' && !buf.is_empty() && buf.chars().all(|c| c.is_ascii_digit()) {
                    got = false;
                }
                break;
            }
            _ => {}
        }
        got = true;
        buf.push(r);
    }
    if got {
        args.push(buf);
    }
    if escaped || single || double || back || dollar {
        return None;
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::split;

    fn s(x: &str) -> Vec<String> {
        split(x).unwrap()
    }

    #[test]
    fn words_quotes_and_escapes() {
        assert_eq!(
            s("redis-server --requirepass password"),
            ["redis-server", "--requirepass", "password"]
        );
        assert_eq!(
            s(r#"sh -c "sleep 3; start""#),
            ["sh", "-c", "sleep 3; start"]
        );
        assert_eq!(s(r"a\ b 'c d' ''"), ["a b", "c d", ""]);
        assert_eq!(s("  "), Vec::<String>::new());
        assert_eq!(s("echo a && echo b"), ["echo", "a"]);
        assert_eq!(s("run 2>/dev/null"), ["run"]);
        assert!(split("sh -c 'open").is_none());
    }
}
