//! Fixed measurements and results for unit tests across the crate.

use super::keys;
use super::{Claim, Measurement, Results, TimeStats, Verdict};
use std::collections::BTreeMap;
use std::time::Duration;

/// A fixed measurement for golden tests.
pub(crate) fn measurement(layout: &str, peak_bytes: u64, seconds: &[f64]) -> Measurement {
    let samples: Vec<Duration> = seconds
        .iter()
        .map(|s| Duration::from_secs_f64(*s))
        .collect();
    Measurement {
        experiment: "seed".into(),
        runtime: super::Runtime::Rust,
        layout: layout.into(),
        n: 1000,
        repetitions: seconds.len() as u32,
        warmup: 1,
        time: TimeStats::from_samples(&samples),
        peak_bytes,
        usable_peak_bytes: Some(peak_bytes + 8),
        bytes_per_object: peak_bytes as f64 / 1000.0,
        allocations: Some(1001),
        method: "fixture".into(),
        extra: BTreeMap::from([(keys::SUM.to_owned(), 49950.0)]),
    }
}

/// Results shaped like `compare`'s: Rust and CPython rows, ratios,
/// claims.
pub(crate) fn compare_like() -> Results {
    let mut rust = measurement("slots", 48_000, &[0.0255, 0.0248, 0.0275]);
    rust.extra
        .insert(keys::TIME_VS_CPYTHON_SLOTS.to_owned(), 0.064);
    rust.extra
        .insert(keys::BYTES_VS_CPYTHON_SLOTS.to_owned(), 0.427);
    let mut cpython = measurement("slots", 112_440, &[1.319, 1.305, 1.364]);
    cpython.runtime = "cpython-3.11.7 (tracemalloc)".parse().unwrap();
    cpython.allocations = None;
    cpython.usable_peak_bytes = None;
    cpython.method = "tracemalloc peak".into();
    cpython
        .extra
        .insert(keys::TIME_VS_CPYTHON_SLOTS.to_owned(), 1.0);
    cpython
        .extra
        .insert(keys::BYTES_VS_CPYTHON_SLOTS.to_owned(), 1.0);
    Results {
        notes: vec!["dataclass(slots) skipped: needs Python 3.10".into()],
        measurements: vec![rust, cpython],
        claims: vec![
            Claim {
                claim: "Significant memory reduction".into(),
                verdict: Verdict::Held,
                evidence: "slots uses 26% less memory than dict in CPython".into(),
            },
            Claim {
                claim: "Lower GC overhead".into(),
                verdict: Verdict::NotMeasured,
                evidence: "see slotlab gc".into(),
            },
        ],
        ..Results::default()
    }
}
