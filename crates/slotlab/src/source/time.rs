//! Timestamps in text: integer epochs and ISO-8601 / RFC 3339 date-times.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Parses a timestamp: an integer (kept as written: whatever epoch unit
/// the data uses), or an ISO-8601 date-time — with an offset
/// (`2026-01-01T08:00:00+01:00`, `…Z`), without one (taken as UTC), or a
/// bare date (midnight UTC) — as epoch milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(epoch) = text.parse::<i64>() {
        return Ok(epoch);
    }
    if let Ok(instant) = text.parse::<jiff::Timestamp>() {
        return Ok(instant.as_millisecond());
    }
    let civil = text.parse::<DateTime>().or_else(|_| {
        text.parse::<Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    match civil {
        Ok(dt) => dt
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|e| format!("timestamp {text:?} out of range: {e}")),
        Err(_) => Err(format!(
            "timestamp {text:?} is neither an integer epoch nor an ISO-8601 date-time"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_and_iso_forms() {
        let jan1 = 1_767_225_600_000;
        assert_eq!(parse_timestamp("1767225600000"), Ok(jan1));
        assert_eq!(parse_timestamp("-5"), Ok(-5));
        for text in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T01:00:00+01:00",
            "2026-01-01T00:00",
            "2026-01-01 00:00:00",
            "2026-01-01",
            " 2026-01-01T00:00:00.000Z ",
        ] {
            assert_eq!(parse_timestamp(text), Ok(jan1), "{text}");
        }
        assert_eq!(parse_timestamp("2026-01-01T00:00:01.5Z"), Ok(jan1 + 1500));
        for bad in ["", "yesterday", "2026-13-01", "2026/01/01 00:00", "1.5"] {
            let err = parse_timestamp(bad).unwrap_err();
            assert!(err.contains("neither an integer"), "{bad}: {err}");
        }
    }
}
