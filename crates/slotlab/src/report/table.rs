//! A table for the terminal, then the claims and how it was measured.

use super::{claims_block, display_rows, footer};
use crate::measure::{Results, Verdict};
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write;

pub(super) fn render(results: &Results) -> String {
    let display = display_rows(&results.measurements);
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED);
    table.set_header(display.headers);
    for row in display.rows {
        table.add_row(row);
    }
    for index in 2..table.column_count() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = display
        .caption
        .map(|c| format!("{c}\n"))
        .unwrap_or_default();
    let _ = writeln!(out, "{table}");
    out.push_str(&claims_block(
        results,
        "\nClaims and goals, checked against these figures:\n",
        |claim| {
            let mark = match claim.verdict {
                Verdict::Held => "✔",
                Verdict::NotHeld => "✘",
                Verdict::NotMeasured => "·",
            };
            format!(
                "  {mark} {} — {}: {}",
                claim.claim,
                claim.verdict.label(),
                claim.evidence
            )
        },
    ));
    out.push('\n');
    out.push_str(&footer(results, |l| format!("{l}\n")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::compare_like;

    #[test]
    fn golden() {
        insta::assert_snapshot!(render(&compare_like()));
    }
}
