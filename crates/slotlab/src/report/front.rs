//! The report's first screen: the lesson answered — bytes and time per
//! reading for every layout, Rust next to CPython — then each claim in one
//! line, judged by the experiment that measures it.

use super::bars::{Bar, BarChart, Group};
use crate::measure::{Claim, Measurement, PyMode, Suite, Verdict};

/// A claim as the report shows it: one row per claim however many
/// experiments mention it, and which experiment judged it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedClaim<'a> {
    /// The claim, as the judging experiment put it.
    pub claim: &'a Claim,
    /// The experiment it comes from.
    pub experiment: &'a str,
}

/// Every claim of the suite once, in the order first met: the verdict of
/// the first experiment that measured it; "not measured here" only when
/// none in the suite did.
pub fn merged_claims(suite: &Suite) -> Vec<MergedClaim<'_>> {
    let mut merged: Vec<MergedClaim<'_>> = Vec::new();
    for section in &suite.sections {
        for claim in &section.results.claims {
            let this = MergedClaim {
                claim,
                experiment: &section.experiment,
            };
            match merged.iter_mut().find(|m| m.claim.claim == claim.claim) {
                Some(m) if m.claim.verdict == Verdict::NotMeasured => *m = this,
                Some(_) => {}
                None => merged.push(this),
            }
        }
    }
    merged
}

/// The figure behind a claim: its evidence's first clause (the Rust one
/// where every runtime agrees; the first runtime that failed when the claim
/// is not held, as `lab::claims::verdict` orders them).
pub fn headline(claim: &Claim) -> &str {
    claim
        .evidence
        .split("; ")
        .next()
        .unwrap_or(&claim.evidence)
        .trim()
}

/// Layouts in the order the charts list them: the lesson's two first.
const ORDER: [&str; 10] = [
    "dict",
    "slots",
    "dataclass",
    "dataclass(slots)",
    "namedtuple",
    "typing.NamedTuple",
    "tuple",
    "table",
    "record",
    "columns",
];

/// Bars grouped by layout: for each, Rust's row (solid) then CPython's
/// (pale), as `value` reads them; rows `keep` refuses are left out.
pub fn by_layout(
    measurements: &[Measurement],
    keep: impl Fn(&Measurement) -> bool,
    value: impl Fn(&Measurement) -> f64,
) -> Vec<Group> {
    let mut layouts: Vec<&str> = Vec::new();
    for m in measurements.iter().filter(|m| keep(m)) {
        if !layouts.contains(&m.layout.as_str()) {
            layouts.push(&m.layout);
        }
    }
    let rank = |l: &str| ORDER.iter().position(|o| *o == l).unwrap_or(ORDER.len());
    layouts.sort_by_key(|l| rank(l));
    layouts
        .into_iter()
        .map(|layout| Group {
            label: layout.to_owned(),
            bars: measurements
                .iter()
                .filter(|m| m.layout == layout && keep(m))
                .map(|m| Bar {
                    pale: !m.runtime.is_rust(),
                    ..Bar::new(runtime_name(m), layout, value(m))
                })
                .collect(),
        })
        .collect()
}

/// `Rust` or `CPython`: short enough for a bar's label (the version is
/// in the section's table).
pub fn runtime_name(m: &Measurement) -> &'static str {
    if m.runtime.is_rust() {
        "Rust"
    } else {
        "CPython"
    }
}

/// Rust rows, and CPython's measured in `mode`.
pub fn rust_or(mode: PyMode) -> impl Fn(&Measurement) -> bool {
    move |m| m.runtime.is_rust() || m.runtime.py_mode() == Some(mode)
}

/// Nanoseconds per object of a measurement's median time.
pub fn ns_per_object(m: &Measurement) -> f64 {
    m.time.median_s / m.n.max(1) as f64 * 1e9
}

/// The key under charts with Rust and CPython bars.
pub fn runtime_key() -> Option<(String, String)> {
    Some(("Rust".to_owned(), "CPython".to_owned()))
}

/// The lesson's answer from `compare`'s rows: bytes per reading (Rust's
/// requested bytes, CPython's tracemalloc peak: both exact) and time per
/// reading, build + sum (Rust; CPython untraced: real speed).
pub fn compare_charts(measurements: &[Measurement]) -> Vec<BarChart> {
    let n = measurements.first().map_or(0, |m| m.n);
    let charts = [
        BarChart {
            title: format!("Bytes per reading (N = {})", super::svg::number(n as f64)),
            unit: "bytes per reading".to_owned(),
            groups: by_layout(measurements, rust_or(PyMode::Tracemalloc), |m| {
                m.bytes_per_object
            }),
            key: runtime_key(),
        },
        BarChart {
            title: "Time per reading: build + sum".to_owned(),
            unit: "ns per reading".to_owned(),
            groups: by_layout(measurements, rust_or(PyMode::Untraced), ns_per_object),
            key: runtime_key(),
        },
    ];
    charts.into_iter().filter(|c| !c.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::compare_like;
    use crate::measure::{Results, Section};

    fn section(experiment: &str, claims: Vec<Claim>) -> Section {
        Section {
            experiment: experiment.into(),
            results: Results {
                claims,
                ..Results::default()
            },
        }
    }

    fn claim(text: &str, verdict: Verdict, evidence: &str) -> Claim {
        Claim {
            claim: text.into(),
            verdict,
            evidence: evidence.into(),
        }
    }

    #[test]
    fn a_claim_is_judged_once_by_the_experiment_that_measures_it() {
        let suite = Suite {
            sections: vec![
                section(
                    "compare",
                    vec![
                        claim("Less memory", Verdict::Held, "32 vs 48 B; 112 vs 152 B"),
                        claim("Lower GC overhead", Verdict::NotMeasured, "see gc"),
                        claim("Grows with N", Verdict::NotMeasured, "see sweep"),
                    ],
                ),
                section(
                    "gc",
                    vec![claim("Lower GC overhead", Verdict::Held, "0.3 vs 0.5 ms")],
                ),
            ],
        };
        let merged = merged_claims(&suite);
        let rows: Vec<_> = merged
            .iter()
            .map(|m| (m.claim.claim.as_str(), m.claim.verdict, m.experiment))
            .collect();
        assert_eq!(
            rows,
            [
                ("Less memory", Verdict::Held, "compare"),
                ("Lower GC overhead", Verdict::Held, "gc"),
                ("Grows with N", Verdict::NotMeasured, "compare"),
            ]
        );
        assert_eq!(headline(merged[0].claim), "32 vs 48 B");
    }

    #[test]
    fn the_lessons_answer_in_two_bar_charts() {
        let charts = compare_charts(&compare_like().measurements);
        assert_eq!(charts.len(), 2);
        // Bytes: Rust's requested and CPython's tracemalloc rows.
        let bytes = &charts[0].groups[0];
        assert_eq!(bytes.label, "slots");
        let values: Vec<_> = bytes
            .bars
            .iter()
            .map(|b| (b.label.as_str(), b.value, b.pale))
            .collect();
        assert_eq!(values, [("Rust", 48.0, false), ("CPython", 112.44, true)]);
        // Time: only untraced CPython counts, and the fixture has none.
        assert_eq!(charts[1].groups[0].bars.len(), 1);
        assert!((charts[1].groups[0].bars[0].value - 25_500.0).abs() < 1e-6);
    }
}
