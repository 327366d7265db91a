//! The lesson's claims, judged by figures just measured.
//!
//! Each claim compares the slots layout with the dict layout within one
//! runtime, so machine speed cancels out. A claim holds only if it holds in
//! every runtime measured; claims this run cannot decide say so.

use crate::measure::keys;
use crate::measure::{Claim, Measurement, PyMode, Verdict};

/// How much less memory counts as "significant".
pub const SIGNIFICANT_REDUCTION: f64 = 0.10;

/// One runtime's dict and slots rows, and what to call the runtime.
struct Pair<'m> {
    runtime: String,
    dict: &'m Measurement,
    slots: &'m Measurement,
}

fn rust_pair(measurements: &[Measurement]) -> Option<Pair<'_>> {
    let find = |layout: &str| {
        measurements
            .iter()
            .find(|m| m.runtime.is_rust() && m.layout == layout)
    };
    Some(Pair {
        runtime: "Rust".to_owned(),
        dict: find("dict")?,
        slots: find("slots")?,
    })
}

fn cpython_pair(measurements: &[Measurement], mode: PyMode) -> Option<Pair<'_>> {
    let dict = cpython(measurements, "dict", mode)?;
    let runtime = dict.runtime.title();
    Some(Pair {
        runtime,
        dict,
        slots: cpython(measurements, "slots", mode)?,
    })
}

/// The CPython row of `layout` measured in `mode`.
pub fn cpython<'m>(
    measurements: &'m [Measurement],
    layout: &str,
    mode: PyMode,
) -> Option<&'m Measurement> {
    measurements
        .iter()
        .find(|m| m.layout == layout && m.runtime.py_mode() == Some(mode))
}

/// A claim judged over several runtimes: held if every judgement holds,
/// not held if any does not, not measured if there are none (`none` then
/// says why); the judgements' words, joined, are the evidence. When the
/// claim is not held, the judgements that failed come first, so the
/// evidence's first clause is a figure behind the verdict (the report's
/// one-line summary shows only that clause).
pub fn verdict(claim: &str, mut judged: Vec<(bool, String)>, none: &str) -> Claim {
    judged.sort_by_key(|(held, _)| *held);
    let verdict = if judged.is_empty() {
        Verdict::NotMeasured
    } else if judged[0].0 {
        Verdict::Held
    } else {
        Verdict::NotHeld
    };
    let evidence = if judged.is_empty() {
        none.to_owned()
    } else {
        let words: Vec<String> = judged.into_iter().map(|(_, words)| words).collect();
        words.join("; ")
    };
    Claim {
        claim: claim.to_owned(),
        verdict,
        evidence,
    }
}

/// Judges one claim over several runtimes: `compare` gives (held, words).
fn judge_pairs(
    claim: &str,
    pairs: &[Pair<'_>],
    compare: impl Fn(&Pair<'_>) -> Option<(bool, String)>,
    none: &str,
) -> Claim {
    verdict(claim, pairs.iter().filter_map(compare).collect(), none)
}

/// "26% less" / "12% more".
fn less_or_more(slots: f64, dict: f64) -> String {
    let change = 1.0 - slots / dict;
    if change >= 0.0 {
        format!("{:.0}% less", change * 100.0)
    } else {
        format!("{:.0}% more", -change * 100.0)
    }
}

/// "3.1× faster" / "1.2× slower".
fn faster_or_slower(slots: f64, dict: f64) -> String {
    if slots <= dict {
        format!("{:.2}× faster", dict / slots)
    } else {
        format!("{:.2}× slower", slots / dict)
    }
}

/// Judges the lesson's claims from `compare`'s measurements.
pub fn judge(measurements: &[Measurement]) -> Vec<Claim> {
    let exact_memory: Vec<Pair<'_>> = rust_pair(measurements)
        .into_iter()
        .chain(cpython_pair(measurements, PyMode::Tracemalloc))
        .collect();
    let real_speed: Vec<Pair<'_>> = rust_pair(measurements)
        .into_iter()
        .chain(cpython_pair(measurements, PyMode::Untraced))
        .collect();

    let memory = judge_pairs(
        "Significant memory reduction",
        &exact_memory,
        |p| {
            let (s, d) = (p.slots.bytes_per_object, p.dict.bytes_per_object);
            Some((
                s <= d * (1.0 - SIGNIFICANT_REDUCTION),
                format!(
                    "slots uses {} memory than dict in {} ({s:.1} vs {d:.1} bytes per reading)",
                    less_or_more(s, d),
                    p.runtime
                ),
            ))
        },
        "needs dict and slots rows",
    );
    let speed = judge_pairs(
        "Faster at scale (build + sum)",
        &real_speed,
        |p| {
            let (s, d) = (p.slots.time.median_s, p.dict.time.median_s);
            Some((
                s < d,
                format!(
                    "slots is {} than dict in {} ({:.1} vs {:.1} ms)",
                    faster_or_slower(s, d),
                    p.runtime,
                    s * 1e3,
                    d * 1e3
                ),
            ))
        },
        "needs dict and slots rows",
    );
    let iteration = judge_pairs(
        "Faster iteration (the sum alone)",
        &real_speed,
        |p| {
            let s = *p.slots.extra.get(keys::ITERATE_MEDIAN_S)?;
            let d = *p.dict.extra.get(keys::ITERATE_MEDIAN_S)?;
            Some((
                s < d,
                format!(
                    "summing .value is {} on slots than on dict in {} ({:.2} vs {:.2} ms)",
                    faster_or_slower(s, d),
                    p.runtime,
                    s * 1e3,
                    d * 1e3
                ),
            ))
        },
        "needs the sum timed on its own",
    );
    let not_measured = |claim: &str, evidence: &str| Claim {
        claim: claim.to_owned(),
        verdict: Verdict::NotMeasured,
        evidence: evidence.to_owned(),
    };
    vec![
        memory,
        speed,
        iteration,
        not_measured(
            "Same semantics",
            "checked against CPython by slotlab's tests (tests/python_semantics.rs), not by timing",
        ),
        not_measured("Lower GC overhead", "measured by `slotlab gc`"),
        not_measured(
            "Performance difference grows with object count",
            "measured by `slotlab sweep`",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::measurement;

    fn row(
        implementation: &str,
        layout: &str,
        seconds: f64,
        peak: u64,
        iterate: f64,
    ) -> Measurement {
        let mut m = measurement(layout, peak, &[seconds]);
        m.runtime = implementation.parse().unwrap();
        m.extra.insert(keys::ITERATE_MEDIAN_S.to_owned(), iterate);
        m
    }

    #[test]
    fn claims_hold_when_every_runtime_agrees() {
        let ms = vec![
            row("rust", "dict", 0.110, 220_000, 0.010),
            row("rust", "slots", 0.025, 48_000, 0.004),
            row("cpython-3.11.7 (untraced)", "dict", 0.46, 160_000, 0.030),
            row("cpython-3.11.7 (untraced)", "slots", 0.40, 119_000, 0.018),
            row("cpython-3.11.7 (tracemalloc)", "dict", 1.5, 152_444, 0.1),
            row("cpython-3.11.7 (tracemalloc)", "slots", 1.3, 112_441, 0.1),
        ];
        let claims = judge(&ms);
        assert_eq!(claims[0].verdict, Verdict::Held);
        assert_eq!(
            claims[0].evidence,
            "slots uses 78% less memory than dict in Rust (48.0 vs 220.0 bytes per reading); \
             slots uses 26% less memory than dict in CPython 3.11.7 (112.4 vs 152.4 bytes per reading)"
        );
        assert_eq!(claims[1].verdict, Verdict::Held);
        assert!(
            claims[1]
                .evidence
                .contains("1.15× faster than dict in CPython 3.11.7")
        );
        assert_eq!(claims[2].verdict, Verdict::Held);
        assert_eq!(claims[4].verdict, Verdict::NotMeasured);
    }

    #[test]
    fn one_runtime_disagreeing_means_not_held() {
        let ms = vec![
            row("rust", "dict", 0.110, 220_000, 0.010),
            row("rust", "slots", 0.130, 48_000, 0.012),
            row("cpython-3.11.7 (untraced)", "dict", 0.46, 160_000, 0.03),
            row("cpython-3.11.7 (untraced)", "slots", 0.40, 119_000, 0.02),
        ];
        let claims = judge(&ms);
        assert_eq!(claims[1].verdict, Verdict::NotHeld);
        assert!(
            claims[1]
                .evidence
                .contains("1.18× slower than dict in Rust"),
            "{}",
            claims[1].evidence
        );
    }

    #[test]
    fn a_claim_not_held_leads_with_the_runtime_that_failed() {
        // Rust holds (slots faster), CPython does not: the evidence's first
        // clause — the report's one-line figure — must be CPython's.
        let ms = vec![
            row("rust", "dict", 0.110, 220_000, 0.010),
            row("rust", "slots", 0.090, 48_000, 0.008),
            row("cpython-3.11.7 (untraced)", "dict", 0.40, 160_000, 0.03),
            row("cpython-3.11.7 (untraced)", "slots", 0.46, 119_000, 0.02),
            row("cpython-3.11.7 (tracemalloc)", "dict", 1.5, 152_444, 0.1),
            row("cpython-3.11.7 (tracemalloc)", "slots", 1.3, 112_441, 0.1),
        ];
        let speed = &judge(&ms)[1];
        assert_eq!(speed.verdict, Verdict::NotHeld);
        let (first, rest) = speed.evidence.split_once("; ").unwrap();
        assert!(first.contains("slower than dict in CPython"), "{first}");
        assert!(rest.contains("faster than dict in Rust"), "{rest}");
        // Held claims keep the runtimes in the order they were judged.
        let memory = &judge(&ms)[0];
        assert_eq!(memory.verdict, Verdict::Held);
        assert!(
            memory.evidence.starts_with("slots uses"),
            "{}",
            memory.evidence
        );
        assert!(memory.evidence.find("Rust") < memory.evidence.find("CPython"));
    }

    #[test]
    fn nothing_to_compare_is_not_measured() {
        let claims = judge(&[row("rust", "slots", 0.025, 48_000, 0.004)]);
        assert!(claims.iter().all(|c| c.verdict == Verdict::NotMeasured));
    }
}
