//! Ports to the long form docker compose prints, short syntax read with the
//! rules of docker's `nat.ParsePortSpec` (ranges expanded one entry per port).

use serde_yaml::{Mapping, Value};

use super::scalar_string;

/// Converts one `ports:` entry to one or more long-form entries.
pub(crate) fn normalize_port(entry: &Value) -> Result<Vec<Value>, String> {
    match entry {
        Value::Mapping(m) => long_form(m).map(|v| vec![v]),
        Value::Number(_) | Value::String(_) => {
            let spec = scalar_string(entry).unwrap_or_default();
            short_form(&spec)
        }
        other => Err(format!(
            "a port must be a string like \"8080:80\" or a mapping, found {}",
            super::kind(other)
        )),
    }
}

fn long_form(m: &Mapping) -> Result<Value, String> {
    let mut out = Mapping::new();
    out.insert(
        "mode".into(),
        m.get("mode").cloned().unwrap_or_else(|| "ingress".into()),
    );
    if let Some(ip) = m.get("host_ip").and_then(scalar_string) {
        out.insert("host_ip".into(), ip.into());
    }
    let target = m
        .get("target")
        .and_then(scalar_string)
        .ok_or("a long-form port needs `target:`, the port inside the container")?;
    let target: u32 = target
        .parse()
        .map_err(|_| format!("port target \"{target}\" is not a port number"))?;
    out.insert("target".into(), target.into());
    if let Some(published) = m.get("published").and_then(scalar_string) {
        if !published.is_empty() {
            out.insert("published".into(), published.into());
        }
    }
    let protocol = m
        .get("protocol")
        .and_then(scalar_string)
        .unwrap_or_else(|| "tcp".into());
    out.insert("protocol".into(), protocol.into());
    for (k, v) in m {
        if !matches!(
            k.as_str(),
            Some("mode" | "host_ip" | "target" | "published" | "protocol")
        ) {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Mapping(out))
}

fn parse_range(text: &str) -> Option<(u32, u32)> {
    let parse = |s: &str| s.parse::<u16>().ok().map(u32::from);
    match text.split_once('-') {
        None => parse(text).map(|p| (p, p)),
        Some((a, b)) => {
            let (a, b) = (parse(a)?, parse(b)?);
            (b >= a).then_some((a, b))
        }
    }
}

fn short_form(raw: &str) -> Result<Vec<Value>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (ip, host, container) = match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        3 => (parts[0].to_string(), parts[1], parts[2]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (proto, container) = match container.split_once('/') {
        _ if container.is_empty() || container.starts_with('/') => ("", ""),
        None => ("tcp", container),
        Some((port, "")) => ("tcp", port),
        Some((port, proto)) => (proto, port),
    };
    let mut ip = ip;
    if let Some(inner) = ip.strip_prefix('[') {
        ip = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("invalid IP address {ip} in port \"{raw}\""))?
            .to_string();
    }
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address {ip} in port \"{raw}\""));
    }
    if container.is_empty() {
        return Err(format!("no container port in \"{raw}\""));
    }
    let (start, end) = parse_range(container)
        .ok_or_else(|| format!("invalid container port \"{container}\" in \"{raw}\""))?;
    let (host_start, host_end) = if host.is_empty() {
        (0, 0)
    } else {
        parse_range(host).ok_or_else(|| format!("invalid host port \"{host}\" in \"{raw}\""))?
    };
    if !host.is_empty() && end - start != host_end - host_start && end != start {
        return Err(format!(
            "port ranges {host} and {container} in \"{raw}\" have different lengths"
        ));
    }
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!(
            "invalid protocol \"{proto}\" in port \"{raw}\"; use tcp, udp or sctp"
        ));
    }
    // docker sorts the expanded ports by their "port/proto" string.
    let mut entries: Vec<(String, Value)> = Vec::new();
    for i in 0..=(end - start) {
        let target = start + i;
        let mut published = String::new();
        if !host.is_empty() {
            published = (host_start + i).to_string();
            if start == end && host_start != host_end {
                published = format!("{published}-{host_end}");
            }
        }
        let mut out = Mapping::new();
        out.insert("mode".into(), "ingress".into());
        if !ip.is_empty() {
            out.insert("host_ip".into(), ip.clone().into());
        }
        out.insert("target".into(), target.into());
        if !published.is_empty() {
            out.insert("published".into(), published.into());
        }
        out.insert("protocol".into(), proto.clone().into());
        entries.push((format!("{target}/{proto}"), Value::Mapping(out)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries.into_iter().map(|(_, v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(s: &str) -> Vec<String> {
        normalize_port(&Value::String(s.into()))
            .unwrap()
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect()
    }

    #[test]
    fn short_syntax() {
        assert_eq!(
            short("8080:80"),
            [r#"{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}"#]
        );
        assert_eq!(
            short("127.0.0.1:53:53/udp"),
            [
                r#"{"mode":"ingress","host_ip":"127.0.0.1","target":53,"published":"53","protocol":"udp"}"#
            ]
        );
        assert_eq!(
            short("[::1]:80:80")[0],
            r#"{"mode":"ingress","host_ip":"::1","target":80,"published":"80","protocol":"tcp"}"#
        );
        assert_eq!(short("3000-3001").len(), 2);
        assert_eq!(
            short("8000-8001:80"),
            [r#"{"mode":"ingress","target":80,"published":"8000-8001","protocol":"tcp"}"#]
        );
        assert!(short("998-1000")[0].contains("\"target\":1000"));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "80:",
            "a:80",
            "80/xyz",
            "1-2:1-3",
            "999999",
            "1.2.3.999:80:80",
        ] {
            assert!(normalize_port(&Value::String(bad.into())).is_err(), "{bad}");
        }
    }
}
