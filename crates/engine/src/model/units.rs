//! Byte sizes and durations, read the way docker compose reads them and
//! written the way it prints them.

/// Parses a byte size: a plain number of bytes or `<n>[b|k|kb|m|mb|g|gb|t|tb]`
/// (binary multiples, case-insensitive, fractions allowed), as go-units'
/// `RAMInBytes` does.
pub fn parse_bytes(text: &str) -> Option<i64> {
    let s = text.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        "p" | "pb" | "pib" => 1024f64.powi(5),
        _ => return None,
    };
    Some((num * mult) as i64)
}

/// Formats a byte count in binary units, the way limits are given
/// (`64 MiB`, `1.5 GiB`, `512 B`).
pub fn format_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n.unsigned_abs() < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// Parses a Go duration (`1m30s`, `1.5h`, `500ms`, `10us`); a bare number is seconds
/// only when it is `0`. Returns nanoseconds.
pub fn parse_duration(text: &str) -> Option<i128> {
    let s = text.trim();
    if s == "0" {
        return Some(0);
    }
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let num: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += num * unit;
    }
    let ns = total.round() as i128;
    Some(if neg { -ns } else { ns })
}

/// Formats nanoseconds the way Go's `time.Duration.String` does (`1m30s`, `1.5s`, `0s`).
pub fn format_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        // Sub-second: one unit with a fraction.
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let s_ns = u % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(s_ns, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

fn frac(value: u128, div: u128) -> String {
    let whole = value / div;
    let rem = value % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{rem:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("256M"), Some(268_435_456));
        assert_eq!(parse_bytes("1.5g"), Some(1_610_612_736));
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("10kb"), Some(10_240));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1_610_612_736), "1.5 GiB");
        assert_eq!(format_bytes(512), "512 B");
    }

    #[test]
    fn durations_round_trip_like_go() {
        for (input, want) in [
            ("30s", "30s"),
            ("90s", "1m30s"),
            ("1m30s", "1m30s"),
            ("1h", "1h0m0s"),
            ("500ms", "500ms"),
            ("1.5s", "1.5s"),
            ("0", "0s"),
            ("2h3m4s", "2h3m4s"),
            ("10us", "10µs"),
        ] {
            assert_eq!(
                format_duration(parse_duration(input).unwrap()),
                want,
                "{input}"
            );
        }
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("abc"), None);
    }
}
