//! CSV: one row per measurement, every field a column (extras last, one
//! column per key, empty where a row lacks it).

use crate::measure::Results;
use std::collections::BTreeSet;

const FIELDS: [&str; 14] = [
    "experiment",
    "implementation",
    "layout",
    "n",
    "repetitions",
    "warmup",
    "time_median_s",
    "time_min_s",
    "time_max_s",
    "peak_bytes",
    "usable_peak_bytes",
    "bytes_per_object",
    "allocations",
    "method",
];

pub(super) fn render(results: &Results) -> String {
    let extras: BTreeSet<&str> = results
        .measurements
        .iter()
        .flat_map(|m| m.extra.keys().map(String::as_str))
        .collect();
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = FIELDS.iter().copied().chain(extras.iter().copied());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for m in &results.measurements {
        let mut record = vec![
            m.experiment.clone(),
            m.runtime.to_string(),
            m.layout.clone(),
            m.n.to_string(),
            m.repetitions.to_string(),
            m.warmup.to_string(),
            m.time.median_s.to_string(),
            m.time.min_s.to_string(),
            m.time.max_s.to_string(),
            m.peak_bytes.to_string(),
            opt(m.usable_peak_bytes),
            m.bytes_per_object.to_string(),
            opt(m.allocations),
            m.method.clone(),
        ];
        record.extend(
            extras
                .iter()
                .map(|key| m.extra.get(*key).map(f64::to_string).unwrap_or_default()),
        );
        let _ = writer.write_record(&record);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::compare_like;

    #[test]
    fn golden() {
        insta::assert_snapshot!(render(&compare_like()));
    }

    #[test]
    fn parses_back_with_one_row_per_measurement() {
        let text = render(&compare_like());
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "time_vs_cpython_slots"));
        let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][1], "cpython-3.11.7 (tracemalloc)");
        assert_eq!(&rows[1][12], "", "no allocation count for CPython");
    }
}
