//! Service volumes to the long form docker compose prints; short syntax read
//! with compose-go's `ParseVolume` rules, bind sources made absolute.

use std::path::{Component, Path, PathBuf};

use serde_yaml::{Mapping, Value};

/// Resolves a bind source against the working folder, `~` against `home`.
pub(crate) fn resolve_bind_source(source: &str, working_dir: &Path, home: Option<&str>) -> String {
    let expanded = match (source, home) {
        ("~", Some(h)) => h.to_string(),
        (s, Some(h)) if s.starts_with("~/") => format!("{h}{}", &s[1..]),
        (s, _) => s.to_string(),
    };
    if Path::new(&expanded).is_absolute() {
        return expanded;
    }
    clean(&working_dir.join(&expanded))
        .to_string_lossy()
        .into_owned()
}

/// Lexical cleaning like Go's `filepath.Clean` (no symlinks followed): `..`
/// at the root stays at the root (`/..` is `/`), and leading `..` of a
/// relative path are kept.
pub(crate) fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                Some(Component::ParentDir | Component::CurDir) | None => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn is_file_path(source: &str) -> bool {
    matches!(source.as_bytes().first(), Some(b'.' | b'/' | b'~')) || source.starts_with(r"\\")
}

/// Parses `[source:]target[:options]`.
pub(crate) fn parse_short(spec: &str) -> Result<Mapping, String> {
    let mut source = String::new();
    let mut target = String::new();
    let mut read_only = false;
    let mut nocopy = false;
    let mut propagation: Option<String> = None;
    let mut selinux: Option<String> = None;
    let mut consistency: Option<String> = None;
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.len() <= 2 {
        target = spec.to_string();
    } else {
        let sections: Vec<&str> = spec.split(':').collect();
        let last = sections.len() - 1;
        for (i, section) in sections.iter().enumerate() {
            let at_end = i == last;
            if section.is_empty() {
                return Err(format!(
                    "invalid spec: {spec}: empty section between colons"
                ));
            }
            if source.is_empty() && target.is_empty() && at_end {
                target = section.to_string();
            } else if source.is_empty() && target.is_empty() {
                source = section.to_string();
            } else if target.is_empty() {
                target = section.to_string();
            } else if !at_end {
                return Err(format!("invalid spec: {spec}: too many colons"));
            } else {
                for option in section.split(',') {
                    match option {
                        "ro" => read_only = true,
                        "rw" => read_only = false,
                        "nocopy" => nocopy = true,
                        "z" | "Z" => selinux = Some(option.into()),
                        "cached" | "delegated" | "consistent" => consistency = Some(option.into()),
                        "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                            propagation = Some(option.into())
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut out = Mapping::new();
    let bind = is_file_path(&source);
    out.insert("type".into(), if bind { "bind" } else { "volume" }.into());
    if !source.is_empty() {
        out.insert("source".into(), source.into());
    }
    out.insert("target".into(), target.into());
    if read_only {
        out.insert("read_only".into(), true.into());
    }
    if let Some(c) = consistency {
        out.insert("consistency".into(), c.into());
    }
    if bind {
        let mut b = Mapping::new();
        if let Some(p) = propagation {
            b.insert("propagation".into(), p.into());
        }
        b.insert("create_host_path".into(), true.into());
        if let Some(s) = selinux {
            b.insert("selinux".into(), s.into());
        }
        out.insert("bind".into(), Value::Mapping(b));
    } else {
        let mut v = Mapping::new();
        if nocopy {
            v.insert("nocopy".into(), true.into());
        }
        out.insert("volume".into(), Value::Mapping(v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(m: Mapping) -> String {
        serde_json::to_string(&m).unwrap()
    }

    #[test]
    fn short_syntax() {
        assert_eq!(
            json(parse_short("./data:/data:ro").unwrap()),
            r#"{"type":"bind","source":"./data","target":"/data","read_only":true,"bind":{"create_host_path":true}}"#
        );
        assert_eq!(
            json(parse_short("db:/var/lib/db").unwrap()),
            r#"{"type":"volume","source":"db","target":"/var/lib/db","volume":{}}"#
        );
        assert_eq!(
            json(parse_short("/cache").unwrap()),
            r#"{"type":"volume","target":"/cache","volume":{}}"#
        );
        assert!(parse_short(":/data").unwrap_err().contains("empty section"));
        assert!(parse_short("a:b:c:d")
            .unwrap_err()
            .contains("too many colons"));
    }

    #[test]
    fn bind_sources_resolve() {
        let wd = Path::new("/srv/app");
        assert_eq!(resolve_bind_source("./data/../db", wd, None), "/srv/app/db");
        assert_eq!(resolve_bind_source(".", wd, None), "/srv/app");
        assert_eq!(resolve_bind_source("~/x", wd, Some("/root")), "/root/x");
        assert_eq!(resolve_bind_source("/abs//p", wd, None), "/abs//p");
        // More `..` than folders: Go's filepath.Clean stops at the root.
        assert_eq!(resolve_bind_source("../../../../etc/x", wd, None), "/etc/x");
        assert_eq!(resolve_bind_source("../../..", wd, None), "/");
    }

    #[test]
    fn clean_is_lexical_like_go() {
        assert_eq!(clean(Path::new("../../a/./b/..")), Path::new("../../a"));
        assert_eq!(clean(Path::new("a/../..")), Path::new(".."));
        assert_eq!(clean(Path::new("/a/../../b")), Path::new("/b"));
        assert_eq!(clean(Path::new("a/..")), Path::new("."));
    }
}
