//! The lesson's own output: for each layout
//!
//! ```text
//! DICT CLASS
//! Time: 0.052 seconds
//! Peak memory: 57.23 MB
//! ```
//!
//! rounded as the lesson rounds (`round(t, 3)`, `round(peak / 2**20, 2)`,
//! printed as Python prints floats; "MB" is the lesson's word for MiB), then
//! how the figures were measured.

use crate::measure::Measurement;
use crate::model::round_repr;
use std::fmt::Write;

pub(super) fn render(measurements: &[Measurement]) -> String {
    let mut out = String::new();
    for m in measurements {
        let _ = writeln!(out, "{} CLASS", m.layout.to_uppercase());
        let _ = writeln!(out, "Time: {} seconds", round_repr(m.time.median_s, 3));
        let _ = writeln!(out, "Peak memory: {} MB", round_repr(m.peak_mib(), 2));
        out.push('\n');
    }
    let mut methods: Vec<&str> = measurements.iter().map(|m| m.method.as_str()).collect();
    methods.dedup();
    for method in methods {
        let _ = writeln!(out, "Measured: {method}.");
    }
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
    use crate::report::fixtures::measurement;

    #[test]
    fn lesson_format() {
        let ms = [
            measurement("dict", 60_011_520, &[0.0523, 0.06, 0.05]),
            measurement("slots", 48_000_000, &[0.012]),
        ];
        assert_eq!(
            render(&ms),
            "DICT CLASS\nTime: 0.052 seconds\nPeak memory: 57.23 MB\n\n\
             SLOTS CLASS\nTime: 0.012 seconds\nPeak memory: 45.78 MB\n\n\
             Measured: fixture.\n\
             Time is the median run; MB = 2^20 bytes. --format json gives min/max, allocations and the sum.\n"
        );
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(render(&[]), "");
    }
}
