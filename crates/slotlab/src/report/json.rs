//! JSON: the full results, pretty-printed.

use crate::measure::Results;

pub(super) fn render(results: &Results) -> String {
    // Plain data with string keys and finite-or-null numbers: cannot fail.
    let mut out = serde_json::to_string_pretty(results).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::compare_like;

    #[test]
    fn round_trips() {
        let results = compare_like();
        let text = render(&results);
        let back: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(back, results);
        insta::assert_snapshot!(text);
    }
}
