//! JSON: the full records, pretty-printed.

use crate::measure::Measurement;

pub(super) fn render(measurements: &[Measurement]) -> String {
    // Serializing plain data with string keys cannot fail.
    let mut out = serde_json::to_string_pretty(measurements).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::measurement;

    #[test]
    fn round_trips() {
        let ms = vec![measurement("dict", 250_000, &[0.25, 0.5])];
        let text = render(&ms);
        let back: Vec<Measurement> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ms);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value[0]["time"]["median_s"], 0.375);
        assert_eq!(value[0]["extra"]["sum"], 49950.0);
    }
}
