//! Value parsers for clap: counts (`1e6`, `1_000_000`), rates, durations,
//! byte counts. clap names the flag in their errors.

/// `--rate`: events per second, a positive number (`1e6`, `250_000`).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | ','))
        .collect();
    match cleaned.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("expected events per second, a positive number such as 1e6 or 250_000".to_owned()),
    }
}

/// `--duration`: `10s`, `1m`, `500ms`, `1h 30m` (jiff's friendly format;
/// ISO 8601's `PT10S` too).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let expected = "expected a duration such as 10s, 1m or 500ms";
    match text.trim().parse::<jiff::SignedDuration>() {
        Ok(d) if d.is_positive() => std::time::Duration::try_from(d).map_err(|e| format!("{e}")),
        Ok(_) => Err("a duration must be longer than zero".to_owned()),
        Err(e) => Err(format!("{e}: {expected}")),
    }
}

/// `--retain`: an age in event time (`30d`, `12h`, `90m`, `45s`, `2w`,
/// `500ms`) as milliseconds, the unit of ingested timestamps.
pub fn parse_age(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or("expected an age with a unit, such as 30d, 12h or 90m")?;
    let (number, unit) = text.split_at(split);
    let scale: i64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        other => return Err(format!("unknown unit {other:?}: use ms, s, m, h, d or w")),
    };
    let n = i64::try_from(parse_count(number.trim())?).map_err(|_| "too large".to_owned())?;
    n.checked_mul(scale).ok_or_else(|| "too large".to_owned())
}

/// A byte count: a count (`4e9`, `4_000_000_000`) with an optional unit:
/// KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    parse_count(number.trim())?
        .checked_mul(scale)
        .ok_or_else(|| "too large".to_owned())
}

/// A count of objects: digits with optional `_` or `,` separators, or
/// scientific notation with a whole result (`1e6`, `2.5e6`). At least 1.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let text = text.trim();
    // A separator only between two digits: 1_000, 1,000 — not _1 or 1__0.
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'_' | b',') {
            let digit =
                |j: Option<usize>| j.and_then(|j| bytes.get(j)).is_some_and(u8::is_ascii_digit);
            if !(digit(i.checked_sub(1)) && digit(Some(i + 1))) {
                return Err(format!(
                    "a separator ('{}') may only stand between digits, as in 1_000_000",
                    *b as char
                ));
            }
        }
    }
    let cleaned: String = text.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    if cleaned.starts_with('-') {
        return Err("N must be a positive whole number".to_owned());
    }
    let n = if cleaned.bytes().all(|b| b.is_ascii_digit()) && !cleaned.is_empty() {
        cleaned
            .parse::<u64>()
            .map_err(|_| format!("too large (at most {})", u64::MAX))?
    } else if cleaned.contains(['e', 'E']) {
        let value: f64 = cleaned.parse().map_err(|_| not_a_count())?;
        // 2^64 is exactly representable; anything at or above it overflows.
        if !value.is_finite() || value >= 18_446_744_073_709_551_616.0 {
            return Err(format!("too large (at most {})", u64::MAX));
        }
        if value.fract() != 0.0 || value < 0.0 {
            return Err("N must be a whole number".to_owned());
        }
        value as u64
    } else {
        return Err(not_a_count());
    };
    if n == 0 {
        return Err("N must be at least 1".to_owned());
    }
    Ok(n)
}

fn not_a_count() -> String {
    "expected a whole number such as 1000000, 1_000_000 or 1e6".to_owned()
}

/// A whole number from `min` to `max`, written as any count is (`5`,
/// `1e3`, `1_000`); `0` too when `min` is 0.
fn parse_count_in(text: &str, min: u64, max: u64) -> Result<u32, String> {
    let n = if min == 0 && text.trim() == "0" {
        0
    } else {
        parse_count(text)?
    };
    if n < min || n > max {
        return Err(format!("must be from {min} to {max}"));
    }
    u32::try_from(n).map_err(|_| format!("must be from {min} to {max}"))
}

/// `--repeat`: 1 to 10,000.
pub fn parse_repeat(text: &str) -> Result<u32, String> {
    parse_count_in(text, 1, 10_000)
}

/// `--parse-threads`: 1 to 64.
pub fn parse_threads(text: &str) -> Result<u32, String> {
    parse_count_in(text, 1, 64)
}

/// `--warmup`: 0 to 1,000.
pub fn parse_warmup(text: &str) -> Result<u32, String> {
    parse_count_in(text, 0, 1_000)
}

/// `--steps`: 1 to 50.
pub fn parse_steps(text: &str) -> Result<u32, String> {
    parse_count_in(text, 1, 50)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1,000"), Ok(1000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        for bad in ["_1", "1_", "1__0", ",5", "1_e3"] {
            assert!(
                parse_count(bad).unwrap_err().contains("between digits"),
                "{bad}"
            );
        }
        assert_eq!(parse_repeat("1e3"), Ok(1000));
        assert!(parse_repeat("0").is_err() && parse_repeat("1e5").is_err());
        assert_eq!((parse_warmup("0"), parse_warmup("2")), (Ok(0), Ok(2)));
        assert_eq!(parse_steps("1e1"), Ok(10));
        assert_eq!(parse_count("2.5E3"), Ok(2500));
        assert!(parse_count("0").unwrap_err().contains("at least 1"));
        assert!(parse_count("-5").unwrap_err().contains("positive"));
        assert!(parse_count("abc").unwrap_err().contains("whole number"));
        assert!(parse_count("").unwrap_err().contains("whole number"));
        assert!(parse_count("1.5").unwrap_err().contains("whole number"));
        assert!(parse_count("1.5e0").unwrap_err().contains("whole number"));
        assert!(
            parse_count("99999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_count("1e30").unwrap_err().contains("too large"));
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_age("90m"), Ok(5_400_000));
        assert_eq!(parse_age("500ms"), Ok(500));
        assert!(parse_age("30").is_err());
        assert!(parse_age("0d").is_err());
        assert!(parse_age("3y").unwrap_err().contains("unknown unit"));
        assert!(parse_age("99999999999999999999d").is_err());
        assert!(
            parse_age("999999999999999d")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn rates_durations_and_byte_counts() {
        assert_eq!(parse_rate("1e6"), Ok(1e6));
        assert_eq!(parse_rate("250_000"), Ok(250_000.0));
        assert!(parse_rate("0").is_err() && parse_rate("fast").is_err());
        assert_eq!(
            parse_duration("10s"),
            Ok(std::time::Duration::from_secs(10))
        );
        assert_eq!(
            parse_duration("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert!(
            parse_duration("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert_eq!(
            parse_duration("1h 30m"),
            Ok(std::time::Duration::from_secs(5400))
        );
        assert_eq!(parse_duration("1m"), Ok(std::time::Duration::from_secs(60)));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("ten").unwrap_err().contains("10s"));
        assert_eq!(parse_bytes("4e9"), Ok(4_000_000_000));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("2 GB"), Ok(2_000_000_000));
        assert!(
            parse_bytes("5 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }
}
