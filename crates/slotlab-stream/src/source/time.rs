//! Timestamps in text: integer epochs and ISO-8601 / RFC 3339 date-times.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// Why a text is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Neither an integer nor a date-time.
    #[error("timestamp {text:?} is neither an integer epoch nor an ISO-8601 date-time")]
    Unreadable {
        /// The text.
        text: String,
    },
    /// A date-time outside what a millisecond epoch can hold.
    #[error("timestamp {text:?} is out of range")]
    OutOfRange {
        /// The text.
        text: String,
    },
}

/// Parses a timestamp: an integer (kept as written: whatever epoch unit
/// the data uses), or an ISO-8601 date-time — with an offset
/// (`2026-01-01T08:00:00+01:00`, `…Z`), without one (taken as UTC), or a
/// bare date (midnight UTC) — as epoch milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, TimestampError> {
    parse_timestamp_noting_zone(text).map(|(t, _)| t)
}

/// [`parse_timestamp`], and whether the text was a date-time without an
/// offset (taken as UTC), from the same single parse.
pub fn parse_timestamp_noting_zone(text: &str) -> Result<(i64, bool), TimestampError> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Ok((n, false));
    }
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok((t.as_millisecond(), false));
    }
    let civil = text.parse::<DateTime>().or_else(|_| {
        text.parse::<Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    match civil {
        Ok(dt) => dt
            .to_zoned(TimeZone::UTC)
            .map(|z| (z.timestamp().as_millisecond(), true))
            .map_err(|_| TimestampError::OutOfRange { text: text.into() }),
        Err(_) => Err(TimestampError::Unreadable { text: text.into() }),
    }
}

/// Epoch milliseconds in ISO 8601 (UTC), or `None` out of range.
pub fn format_millis(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
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
            assert!(
                matches!(err, TimestampError::Unreadable { .. }),
                "{bad}: {err}"
            );
        }
    }
}
