//! Markdown: a pipe table, the claims as a list, how it was measured.

use super::{Display, claims_block, display_rows, footer};
use crate::measure::Results;

pub(super) fn render(results: &Results) -> String {
    let Display {
        caption,
        headers,
        rows,
    } = display_rows(&results.measurements);
    let line = |cells: &[String]| {
        let escaped: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", escaped.join(" | "))
    };
    let mut out = caption.map(|c| format!("{c}\n\n")).unwrap_or_default();
    out.push_str(&line(&headers));
    let rule: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, _)| if i < 2 { "---" } else { "---:" }.to_owned())
        .collect();
    out.push_str(&line(&rule));
    for row in rows {
        out.push_str(&line(&row));
    }
    out.push_str(&claims_block(
        results,
        "\n**Claims and goals, checked against these figures**\n\n",
        |claim| {
            format!(
                "- {} — **{}**: {}",
                claim.claim,
                claim.verdict.label(),
                claim.evidence
            )
        },
    ));
    out.push('\n');
    out.push_str(&footer(results, |l| format!("_{l}_  \n")));
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
