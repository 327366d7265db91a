//! Renders [`Results`]. One renderer per format; every format works for
//! every experiment.

mod anatomy;
pub mod bars;
pub mod census;
pub mod chart;
mod csv;
pub mod figures;
pub mod front;
pub mod html;
mod json;
pub mod lines;
mod md;
pub mod stored;
pub mod svg;
mod table;
mod text;

pub use anatomy::render_anatomies;

use crate::measure::keys;
use crate::measure::{Measurement, Results};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// The lesson's own output: a block per measurement.
    Text,
    /// A table for the terminal, with the claims under it.
    Table,
    /// Everything, as one JSON object: `{"measurements": [...], "claims": [...]}`.
    Json,
    /// One row per measurement, every field a column.
    Csv,
    /// A Markdown table and the claims as a list.
    Md,
}

impl Format {
    /// The format's name as flags and file extensions spell it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Md => "md",
        }
    }

    /// The format a file name's extension asks for (`.json`, `.csv`, `.md`,
    /// `.txt`).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "md" | "markdown" => Some(Format::Md),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Renders `results` in `format`, ending with a newline.
pub fn render(format: Format, results: &Results) -> String {
    match format {
        Format::Text => text::render(results),
        Format::Table => table::render(results),
        Format::Json => json::render(results),
        Format::Csv => csv::render(results),
        Format::Md => md::render(results),
    }
}

/// How an extra column's figure is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `0.43×`.
    Times,
    /// `12.3`.
    Decimal,
    /// `54%`.
    Percent,
    /// Seconds as `12.3` milliseconds.
    Millis,
    /// `1,426`.
    Count,
}

impl Spelling {
    /// `v` spelled this way.
    pub fn spell(self, v: f64) -> String {
        match self {
            Spelling::Times => times(v),
            Spelling::Decimal => format!("{v:.1}"),
            Spelling::Percent => format!("{:.0}%", v * 100.0),
            Spelling::Millis => format!("{:.1}", v * 1e3),
            Spelling::Count => group_thousands(v.round() as u64),
        }
    }
}

/// The [`Measurement::extra`] figures tables show as columns when any row
/// has them: key, header, spelling.
pub const EXTRA_COLUMNS: [(&str, &str, Spelling); 22] = [
    (keys::EVENTS_PER_S, "events/s", Spelling::Count),
    (keys::BYTES_PER_EVENT, "held B/event", Spelling::Decimal),
    (keys::LATENCY_P50_US, "p50 µs", Spelling::Decimal),
    (keys::LATENCY_P99_US, "p99 µs", Spelling::Decimal),
    (keys::LATENCY_P999_US, "p99.9 µs", Spelling::Decimal),
    (keys::LATENCY_MAX_US, "max µs", Spelling::Decimal),
    (keys::DROPPED, "dropped", Spelling::Count),
    (keys::REJECTED, "rejected", Spelling::Count),
    (keys::ENCODE_M_PER_S, "encode M/s", Spelling::Decimal),
    (keys::DECODE_M_PER_S, "decode M/s", Spelling::Decimal),
    (keys::NS_PER_OP, "ns/op", Spelling::Decimal),
    (keys::NS_PER_OBJECT, "ns/object", Spelling::Decimal),
    (keys::BLOCKS_VISITED, "blocks visited", Spelling::Count),
    (keys::FREE_PAUSE_S, "free ms", Spelling::Millis),
    (
        keys::BUILD_COLLECTIONS,
        "collections in build",
        Spelling::Count,
    ),
    (
        keys::BUILD_PAUSE_MAX_S,
        "worst build pause ms",
        Spelling::Millis,
    ),
    (
        keys::PAUSE_VS_CPYTHON_SLOTS,
        "pause ÷ CPython slots",
        Spelling::Times,
    ),
    (
        keys::TIME_VS_CPYTHON_DICT,
        "time ÷ CPython dict",
        Spelling::Times,
    ),
    (
        keys::TIME_VS_CPYTHON_SLOTS,
        "time ÷ CPython slots",
        Spelling::Times,
    ),
    (
        keys::BYTES_VS_CPYTHON_DICT,
        "bytes ÷ CPython dict",
        Spelling::Times,
    ),
    (
        keys::BYTES_VS_CPYTHON_SLOTS,
        "bytes ÷ CPython slots",
        Spelling::Times,
    ),
    (
        keys::BANDWIDTH_FRACTION,
        "% of bandwidth",
        Spelling::Percent,
    ),
];

/// What the table and Markdown formats show: an optional caption (N, when
/// every row shares it), headers, and one row of display strings per
/// measurement.
struct Display {
    caption: Option<String>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn display_rows(measurements: &[Measurement]) -> Display {
    let extras: Vec<(&str, &str, Spelling)> = EXTRA_COLUMNS
        .into_iter()
        .filter(|(key, _, _)| measurements.iter().any(|m| m.extra.contains_key(*key)))
        .collect();
    let shared_n = measurements
        .first()
        .map(|first| first.n)
        .filter(|n| measurements.iter().all(|m| m.n == *n));
    let mut headers = vec!["implementation".to_owned(), "layout".to_owned()];
    if shared_n.is_none() {
        headers.push("N".to_owned());
    }
    // Memory columns only where something was allocated or counted.
    let any_bytes = measurements.iter().any(|m| m.peak_bytes > 0);
    let any_allocations = measurements
        .iter()
        .any(|m| m.allocations.is_some_and(|a| a > 0));
    headers.push("time median (min–max)".to_owned());
    if any_bytes {
        headers.extend(["peak MiB", "bytes/object"].map(str::to_owned));
    }
    if any_allocations {
        headers.push("allocations".to_owned());
    }
    headers.extend(extras.iter().map(|(_, header, _)| (*header).to_owned()));
    let rows = measurements
        .iter()
        .map(|m| {
            let mut row = vec![m.runtime.to_string(), m.layout.clone()];
            if shared_n.is_none() {
                row.push(group_thousands(m.n));
            }
            row.push(time_cell(m));
            if any_bytes {
                row.push(small(m.peak_mib(), 2));
                row.push(small(m.bytes_per_object, 1));
            }
            if any_allocations {
                row.push(
                    m.allocations
                        .map_or_else(|| "–".to_owned(), group_thousands),
                );
            }
            row.extend(extras.iter().map(|(key, _, spelling)| {
                m.extra
                    .get(*key)
                    .map_or_else(|| "–".to_owned(), |v| spelling.spell(*v))
            }));
            row
        })
        .collect();

    Display {
        caption: shared_n.map(|n| format!("N = {} objects per row", group_thousands(n))),
        headers,
        rows,
    }
}

/// `25.5 ms (24.8–27.5)`, or `1.653 s (1 run)` where there is no spread.
fn time_cell(m: &Measurement) -> String {
    if m.time.samples_s.len() <= 1 {
        format!("{} (1 run)", seconds(m.time.median_s))
    } else {
        // min and max in the median's unit: `994.0 µs (944.7–1012.3)`.
        let (_, unit, scale) = scaled(m.time.median_s);
        let digits = if unit == "s" { 3 } else { 1 };
        format!(
            "{} ({:.digits$}–{:.digits$})",
            seconds(m.time.median_s),
            m.time.min_s * scale,
            m.time.max_s * scale
        )
    }
}

/// The claims under `heading`, one `line` each (empty when there are none).
fn claims_block(
    results: &Results,
    heading: &str,
    line: impl Fn(&crate::measure::Claim) -> String,
) -> String {
    if results.claims.is_empty() {
        return String::new();
    }
    let mut out = heading.to_owned();
    for claim in &results.claims {
        out.push_str(&line(claim));
        out.push('\n');
    }
    out
}

/// The "Note:" and "Measured:" lines every human-readable format ends with.
fn footer(results: &Results, line: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    for note in &results.notes {
        out.push_str(&line(&format!("Note: {note}")));
    }
    for method in methods(&results.measurements) {
        out.push_str(&line(&format!("Measured: {method}.")));
    }
    out
}

/// The distinct `method` sentences, in first-seen order.
fn methods(measurements: &[Measurement]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for m in measurements {
        if !seen.contains(&m.method.as_str()) {
            seen.push(&m.method);
        }
    }
    seen
}

/// `0.43×`, and two significant digits below 0.1 (`0.064×`, `0.0028×`).
fn times(v: f64) -> String {
    if v >= 0.1 || v <= 0.0 || !v.is_finite() {
        format!("{v:.2}×")
    } else {
        let decimals = (-v.log10()).floor() as usize + 2;
        format!("{v:.decimals$}×")
    }
}

/// `v` with `decimals` decimals, or two significant digits when that would
/// print zero for a positive value (`0.0015`).
fn small(v: f64, decimals: usize) -> String {
    let fixed = format!("{v:.decimals$}");
    if v <= 0.0 || !v.is_finite() || fixed.parse::<f64>().is_ok_and(|f| f > 0.0) {
        fixed
    } else {
        let decimals = (-v.log10()).floor() as usize + 2;
        format!("{v:.decimals$}")
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration with its unit: `25.5 ms`, `1.32 s`, `840 µs`.
fn seconds(s: f64) -> String {
    let (value, unit, _) = scaled(s);
    format!("{value} {unit}")
}

/// `s` in the unit that suits it: the figure, the unit, and the factor
/// from seconds to that unit.
fn scaled(s: f64) -> (String, &'static str, f64) {
    if s >= 1.0 {
        (format!("{s:.3}"), "s", 1.0)
    } else if s >= 1e-3 {
        (format!("{:.1}", s * 1e3), "ms", 1e3)
    } else {
        (format!("{:.1}", s * 1e6), "µs", 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_extensions() {
        let of = |p: &str| Format::from_path(std::path::Path::new(p));
        assert_eq!(of("r.JSON"), Some(Format::Json));
        assert_eq!(of("r.csv"), Some(Format::Csv));
        assert_eq!(of("r.md"), Some(Format::Md));
        assert_eq!(of("r.txt"), Some(Format::Text));
        assert_eq!(of("r.xyz"), None);
        assert_eq!(of("r"), None);
    }

    #[test]
    fn number_spellings() {
        assert_eq!(group_thousands(1_000_001), "1,000,001");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(seconds(1.3194), "1.319 s");
        assert_eq!(seconds(0.02554), "25.5 ms");
        assert_eq!(seconds(0.00084), "840.0 µs");
        assert_eq!(times(0.4321), "0.43×");
        assert_eq!(times(0.00284), "0.0028×");
        assert_eq!(times(0.0641), "0.064×");
        assert_eq!(small(0.00149, 1), "0.0015");
        assert_eq!(small(48.0, 1), "48.0");
        assert_eq!(small(0.0, 1), "0.0");
        assert_eq!(small(0.15, 1), "0.1");
        assert_eq!(small(0.0458, 2), "0.05");
        let mut m = crate::measure::fixtures::measurement(
            "dict",
            1,
            &[0.000_994, 0.000_944_7, 0.001_012_3],
        );
        assert_eq!(time_cell(&m), "994.0 µs (944.7–1012.3)");
        m.time = crate::measure::TimeStats::from_samples(&[std::time::Duration::from_millis(1500)]);
        assert_eq!(time_cell(&m), "1.500 s (1 run)");
    }
}
