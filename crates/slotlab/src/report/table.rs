//! A table for the terminal, then the claims and how it was measured.

use super::{display_rows, methods};
use crate::measure::Results;
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write;

pub(super) fn render(results: &Results) -> String {
    let (headers, rows) = display_rows(&results.measurements);
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header(headers);
    for row in rows {
        table.add_row(row);
    }
    for index in 2..table.column_count() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = format!("{table}\n");
    if !results.claims.is_empty() {
        out.push_str("\nThe lesson's claims, checked against these figures:\n");
        for claim in &results.claims {
            let mark = match claim.verdict {
                crate::measure::Verdict::Held => "✔",
                crate::measure::Verdict::NotHeld => "✘",
                crate::measure::Verdict::NotMeasured => "·",
            };
            let _ = writeln!(
                out,
                "  {mark} {} — {}: {}",
                claim.claim,
                claim.verdict.label(),
                claim.evidence
            );
        }
    }
    out.push('\n');
    for method in methods(&results.measurements) {
        let _ = writeln!(out, "Measured: {method}.");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::compare_like;

    #[test]
    fn golden() {
        insta::assert_snapshot!(render(&compare_like()));
    }
}
