//! Growth with N: time and bytes per object over a range of N, for every
//! layout in both runtimes — and whether the gap per object grows with N,
//! or stays the same while only the total grows.

use super::LabError;
use super::experiment::{Context, Experiment};
use super::lesson;
use crate::ingest::Storage;
use crate::measure::keys;
use crate::measure::{Claim, Measurement, RepeatPlan, Results, RunKind, Verdict};
use crate::python::{CaseOutcome, PyCase, PyMode};

/// Every layout at several N. The context's plan is for Rust and untraced
/// CPython (traced CPython runs once, cold, as in `compare`); its N is
/// not used: the sizes are.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The N values, ascending.
    pub sizes: Vec<u64>,
    /// The CPython cases.
    pub cases: Vec<PyCase>,
}

impl Experiment for Sweep {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn title(&self, _: &Context<'_>) -> String {
        "sweep".to_owned()
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        Some(steps(self, cx.rust, cx.python.is_some()).len() as u64)
    }

    /// Runs every step, then judges whether the per-object gap grows with N.
    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        run(self, cx)
    }
}

/// The CPython cases a sweep runs unless asked for all.
pub const DEFAULT_CASES: [PyCase; 4] = PyCase::CORE;

/// `steps` N values from `from` to `to`, evenly spaced on a log scale,
/// rounded to whole numbers, without repeats.
pub fn sizes(from: u64, to: u64, steps: usize) -> Vec<u64> {
    let (from, to) = (from.max(1), to.max(from.max(1)));
    if steps <= 1 || from == to {
        return vec![to];
    }
    let (lo, hi) = ((from as f64).ln(), (to as f64).ln());
    let mut out: Vec<u64> = (0..steps)
        .map(|i| {
            (lo + (hi - lo) * i as f64 / (steps - 1) as f64)
                .exp()
                .round() as u64
        })
        .collect();
    *out.first_mut().expect("steps > 1") = from;
    *out.last_mut().expect("steps > 1") = to;
    out.dedup();
    out
}

/// One unit of work, for progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A Rust layout at one N.
    Rust(Storage, u64),
    /// A CPython case in one mode at one N.
    Python(PyCase, PyMode, u64),
}

impl Step {
    /// `rust slots N=1000`.
    pub fn label(&self) -> String {
        match self {
            Step::Rust(layout, n) => format!("rust {layout} N={n}"),
            Step::Python(case, mode, n) => format!("cpython {} {mode} N={n}", case.layout()),
        }
    }
}

/// The steps `sweep` takes with the Rust side, the CPython side or both:
/// by N, smallest first.
pub fn steps(sweep: &Sweep, rust: bool, python: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    for &n in &sweep.sizes {
        if rust {
            steps.extend(Storage::LESSON.map(|layout| Step::Rust(layout, n)));
        }
        if python {
            for mode in [PyMode::Untraced, PyMode::Tracemalloc] {
                steps.extend(sweep.cases.iter().map(|case| Step::Python(*case, mode, n)));
            }
        }
    }
    steps
}

const LESSON_PLAN: RepeatPlan = RepeatPlan {
    warmup: 0,
    repetitions: std::num::NonZeroU32::MIN,
};

fn run(sweep: &Sweep, cx: &mut Context<'_>) -> Result<Results, LabError> {
    if let (true, Some(&largest)) = (cx.rust, sweep.sizes.last()) {
        for layout in Storage::LESSON {
            lesson::check_fits(layout, largest)?;
        }
    }
    let mut measurements = Vec::new();
    let mut notes = Vec::new();
    for step in steps(sweep, cx.rust, cx.python.is_some()) {
        cx.step(&step.label());
        let measured = match step {
            Step::Rust(layout, n) => {
                let lesson_config = lesson::LessonConfig {
                    n,
                    layout,
                    plan: cx.plan,
                };
                Some(lesson::measure(
                    &lesson_config,
                    cx.clock,
                    &mut |_: RunKind| {},
                )?)
            }
            Step::Python(case, mode, n) => {
                let Some(python) = &cx.python else { continue };
                let plan = match mode {
                    PyMode::Tracemalloc => LESSON_PLAN,
                    PyMode::Untraced => cx.plan,
                };
                match python.run_case(case, mode, n, plan)? {
                    CaseOutcome::Measured(m) => Some(*m),
                    CaseOutcome::Skipped { reason, .. } => {
                        let note = format!("skipped: {reason}");
                        if !notes.contains(&note) {
                            notes.push(note);
                        }
                        None
                    }
                }
            }
        };
        if let Some(mut m) = measured {
            m.experiment = "sweep".to_owned();
            m.extra.insert(
                keys::NS_PER_OBJECT.to_owned(),
                m.time.median_s / m.n as f64 * 1e9,
            );
            measurements.push(m);
        }
    }
    let claims = vec![judge_growth(&measurements)];
    Ok(Results {
        measurements,
        claims,
        notes,
        ..Results::default()
    })
}

/// A runtime's dict and slots rows at one N.
fn pair_at(
    measurements: &[Measurement],
    runtime: Runtime,
    n: u64,
) -> Option<(&Measurement, &Measurement)> {
    let find = |layout: &str| {
        measurements
            .iter()
            .find(|m| m.n == n && m.layout == layout && runtime.matches(m))
    };
    Some((find("dict")?, find("slots")?))
}

/// The runtimes a growth verdict compares: Rust, and CPython in one
/// memory mode (timed only untraced, bytes only traced).
#[derive(Clone, Copy)]
enum Runtime {
    Rust,
    CPython(PyMode),
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::Rust => "Rust",
            Runtime::CPython(_) => "CPython",
        }
    }

    fn matches(self, m: &Measurement) -> bool {
        match self {
            Runtime::Rust => m.runtime.is_rust(),
            Runtime::CPython(mode) => m.runtime.py_mode() == Some(mode),
        }
    }
}

/// How a per-object gap moved from the smallest N to the largest.
fn trend(small: f64, large: f64) -> &'static str {
    if large > small * 1.2 {
        "grows"
    } else if large < small * 0.8 {
        "shrinks"
    } else {
        "stays about the same"
    }
}

/// "Performance difference grows with object count": per object, does the
/// time slots saves over dict grow from the smallest N to the largest?
/// (The total gap always grows: it is the per-object gap times N.)
pub fn judge_growth(measurements: &[Measurement]) -> Claim {
    let claim = "Performance difference grows with object count".to_owned();
    let ns: Vec<u64> = {
        let mut ns: Vec<u64> = measurements.iter().map(|m| m.n).collect();
        ns.sort_unstable();
        ns.dedup();
        ns
    };
    let (Some(&small), Some(&large)) = (ns.first(), ns.last()) else {
        return Claim {
            claim,
            verdict: Verdict::NotMeasured,
            evidence: "nothing was measured".to_owned(),
        };
    };
    let per_object_ns = |m: &Measurement| m.time.median_s / m.n as f64 * 1e9;
    let mut judged = Vec::new();
    // Time from real speeds (Rust, untraced CPython); bytes from exact
    // counts (Rust's allocator, CPython's tracemalloc).
    for (time_runtime, bytes_runtime) in [
        (Runtime::Rust, Runtime::Rust),
        (
            Runtime::CPython(PyMode::Untraced),
            Runtime::CPython(PyMode::Tracemalloc),
        ),
    ] {
        let (Some((d0, s0)), Some((d1, s1))) = (
            pair_at(measurements, time_runtime, small),
            pair_at(measurements, time_runtime, large),
        ) else {
            continue;
        };
        let gap_small = per_object_ns(d0) - per_object_ns(s0);
        let gap_large = per_object_ns(d1) - per_object_ns(s1);
        let movement = trend(gap_small, gap_large);
        let mut words = format!(
            "in {}, slots saves {gap_small:.1} ns per object at N={small} and {gap_large:.1} ns \
             at N={large} (the per-object gap {movement})",
            time_runtime.name()
        );
        if let (Some((bd0, bs0)), Some((bd1, bs1))) = (
            pair_at(measurements, bytes_runtime, small),
            pair_at(measurements, bytes_runtime, large),
        ) {
            let bytes_small = bd0.bytes_per_object - bs0.bytes_per_object;
            let bytes_large = bd1.bytes_per_object - bs1.bytes_per_object;
            words.push_str(&format!(
                ", and {bytes_small:.1} then {bytes_large:.1} bytes per object (the gap {})",
                trend(bytes_small, bytes_large)
            ));
        }
        judged.push((movement == "grows", words));
    }
    if small == large {
        judged.clear();
    }
    let mut claim =
        super::claims::verdict(&claim, judged, "needs dict and slots rows at two or more N");
    if claim.verdict != Verdict::NotMeasured {
        claim
            .evidence
            .push_str("; the total gap grows with N either way (per-object gap × N)");
    }
    claim
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::fixtures::measurement;

    #[test]
    fn log_spaced_sizes() {
        assert_eq!(
            sizes(1000, 10_000_000, 5),
            [1000, 10_000, 100_000, 1_000_000, 10_000_000]
        );
        assert_eq!(sizes(1000, 1000, 5), [1000]);
        assert_eq!(sizes(10, 20, 1), [20]);
        assert_eq!(sizes(1, 4, 10), [1, 2, 3, 4]);
    }

    fn row(layout: &str, n: u64, seconds: f64, bytes: u64) -> Measurement {
        let mut m = measurement(layout, bytes * n, &[seconds]);
        m.n = n;
        m.bytes_per_object = bytes as f64;
        m
    }

    #[test]
    fn a_constant_per_object_gap_is_not_growth() {
        let ms = vec![
            row("dict", 1000, 100e-9 * 1000.0, 220),
            row("slots", 1000, 25e-9 * 1000.0, 48),
            row("dict", 1_000_000, 110e-9 * 1e6, 220),
            row("slots", 1_000_000, 27e-9 * 1e6, 48),
        ];
        let claim = judge_growth(&ms);
        assert_eq!(claim.verdict, Verdict::NotHeld);
        assert!(
            claim
                .evidence
                .contains("the per-object gap stays about the same"),
            "{}",
            claim.evidence
        );
        assert!(
            claim
                .evidence
                .contains("172.0 then 172.0 bytes per object (the gap stays about the same)")
        );
    }

    #[test]
    fn a_widening_per_object_gap_is_growth() {
        let ms = vec![
            row("dict", 1000, 100e-9 * 1000.0, 220),
            row("slots", 1000, 90e-9 * 1000.0, 48),
            row("dict", 1_000_000, 200e-9 * 1e6, 220),
            row("slots", 1_000_000, 100e-9 * 1e6, 48),
        ];
        assert_eq!(judge_growth(&ms).verdict, Verdict::Held);
    }

    #[test]
    fn steps_go_by_n() {
        let sweep = Sweep {
            sizes: vec![10, 100],
            cases: DEFAULT_CASES.to_vec(),
        };
        assert_eq!(steps(&sweep, true, true).len(), 10 + 2 * 2 * 4);
        let steps = steps(&sweep, true, false);
        assert_eq!(steps.len(), 10);
        assert_eq!(steps[0], Step::Rust(Storage::Table, 10));
        assert_eq!(steps[6].label(), "rust dict N=100");
    }
}
