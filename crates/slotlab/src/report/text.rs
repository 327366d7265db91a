//! The lesson's own output: for each measurement
//!
//! ```text
//! DICT CLASS
//! Time: 0.052 seconds
//! Peak memory: 57.23 MB
//! ```
//!
//! rounded as the lesson rounds (`round(t, 3)`, `round(peak / 2**20, 2)`,
//! printed as Python prints floats; "MB" is the lesson's word for MiB) and
//! any further figure the table shows (events/s, ratios…) a line each, then
//! the claims, if any, and how the figures were measured. Where more than
//! one implementation ran, each heading names its own.

use super::{EXTRA_COLUMNS, claims_block, footer};
use crate::measure::Results;
use crate::model::round_repr;
use std::fmt::Write;

pub(super) fn render(results: &Results) -> String {
    let measurements = &results.measurements;
    let mixed = measurements
        .iter()
        .any(|m| m.runtime != measurements[0].runtime);
    let mut out = String::new();
    for m in measurements {
        let _ = write!(out, "{} CLASS", m.layout.to_uppercase());
        if mixed {
            let _ = write!(out, " — {}", m.runtime);
        }
        out.push('\n');
        let _ = writeln!(out, "Time: {} seconds", round_repr(m.time.median_s, 3));
        let _ = writeln!(out, "Peak memory: {} MB", round_repr(m.peak_mib(), 2));
        // The figures the table shows beside these, one per line.
        for (key, header, spelling) in EXTRA_COLUMNS {
            if let Some(&v) = m.extra.get(key) {
                let _ = writeln!(out, "{header}: {}", spelling.spell(v));
            }
        }
        out.push('\n');
    }
    out.push_str(&claims_block(results, "", |claim| {
        format!(
            "{}: {} ({})",
            claim.claim,
            claim.verdict.label(),
            claim.evidence
        )
    }));
    if !results.claims.is_empty() {
        out.push('\n');
    }
    out.push_str(&footer(results, |l| format!("{l}\n")));
    if !measurements.is_empty() {
        out.push_str(
            "Time is the median run; MB = 2^20 bytes. --format json gives min/max, allocations and the sum.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::{compare_like, measurement};

    #[test]
    fn lesson_format() {
        let results = Results {
            measurements: vec![
                measurement("dict", 60_011_520, &[0.0523, 0.06, 0.05]),
                measurement("slots", 48_000_000, &[0.012]),
            ],
            ..Results::default()
        };
        assert_eq!(
            render(&results),
            "DICT CLASS\nTime: 0.052 seconds\nPeak memory: 57.23 MB\n\n\
             SLOTS CLASS\nTime: 0.012 seconds\nPeak memory: 45.78 MB\n\n\
             Measured: fixture.\n\
             Time is the median run; MB = 2^20 bytes. --format json gives min/max, allocations and the sum.\n"
        );
    }

    #[test]
    fn mixed_implementations_are_named() {
        insta::assert_snapshot!(render(&compare_like()));
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(render(&Results::default()), "");
    }
}
