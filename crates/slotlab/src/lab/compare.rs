//! Every layout, in Rust and in CPython, side by side in one run, with
//! ratios against CPython's dict and slots classes and the lesson's claims
//! judged by the figures.

use super::experiment::{Context, Experiment};
use super::{LabError, claims, lesson};
use crate::ingest::Storage;
use crate::measure::bandwidth::{self, Bandwidth};
use crate::measure::keys;
use crate::measure::{Measurement, RepeatPlan, Results, RunKind};
use crate::python::{CaseOutcome, PyCase, PyMode};

/// Every layout side by side. The context's plan is for Rust and for
/// untraced CPython; traced CPython runs once, cold, as the lesson runs
/// it: its memory figure is exact and its time is tracemalloc's, not
/// CPython's.
#[derive(Debug, Clone, Default)]
pub struct Compare {
    /// Measure the memory bandwidth with a probe of this many bytes (after
    /// the Rust layouts) and judge the record layouts against it.
    pub bandwidth_probe_bytes: Option<usize>,
}

/// One unit of work, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A Rust layout.
    Rust(Storage),
    /// A CPython case in one mode.
    Python(PyCase, PyMode),
    /// The memory-bandwidth probe.
    Bandwidth,
}

impl Step {
    /// `rust slots`, `cpython dataclass(slots) untraced`.
    pub fn label(&self) -> String {
        match self {
            Step::Rust(layout) => format!("rust {layout}"),
            Step::Python(case, mode) => format!("cpython {} {mode}", case.layout()),
            Step::Bandwidth => "memory bandwidth".to_owned(),
        }
    }
}

/// The steps `compare` takes with the Rust side, the CPython side or
/// both, in the order they run.
pub fn steps(compare: &Compare, rust: bool, python: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    if rust {
        steps.extend(Storage::LESSON.map(Step::Rust));
        if compare.bandwidth_probe_bytes.is_some() {
            steps.push(Step::Bandwidth);
        }
    }
    if python {
        for mode in [PyMode::Untraced, PyMode::Tracemalloc] {
            steps.extend(PyCase::ALL.map(|case| Step::Python(case, mode)));
        }
    }
    steps
}

/// The plan traced CPython runs with: once, cold.
const LESSON_PLAN: RepeatPlan = RepeatPlan {
    warmup: 0,
    repetitions: std::num::NonZeroU32::MIN,
};

impl Experiment for Compare {
    fn name(&self) -> &'static str {
        "compare"
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        Some(steps(self, cx.rust, cx.python.is_some()).len() as u64)
    }

    /// Runs every step, reporting each before it starts (outside any
    /// measured window), then attaches ratios and judges the claims.
    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        run(self, cx)
    }
}

fn run(compare: &Compare, cx: &mut Context<'_>) -> Result<Results, LabError> {
    if cx.rust {
        for layout in Storage::LESSON {
            lesson::check_fits(layout, cx.n)?;
        }
    }
    let mut measurements = Vec::new();
    // Cases not run (too old a Python), said in the output.
    let mut notes = Vec::new();
    let mut bandwidth = None;
    for step in steps(compare, cx.rust, cx.python.is_some()) {
        cx.step(&step.label());
        match step {
            Step::Rust(layout) => {
                let lesson_config = lesson::LessonConfig {
                    n: cx.n,
                    layout,
                    plan: cx.plan,
                };
                measurements.push(lesson::measure(
                    &lesson_config,
                    cx.clock,
                    &mut |_: RunKind| {},
                )?);
            }
            Step::Bandwidth => {
                let bytes = compare.bandwidth_probe_bytes.unwrap_or_default();
                bandwidth = Some(bandwidth::sequential_read(bytes, BANDWIDTH_PLAN, cx.clock));
            }
            Step::Python(case, mode) => {
                let Some(python) = &cx.python else { continue };
                let plan = match mode {
                    PyMode::Tracemalloc => LESSON_PLAN,
                    PyMode::Untraced => cx.plan,
                };
                match python.run_case(case, mode, cx.n, plan)? {
                    CaseOutcome::Measured(m) => measurements.push(*m),
                    CaseOutcome::Skipped { reason, .. } => notes.push(format!("skipped: {reason}")),
                }
            }
        }
    }
    attach_ratios(&mut measurements);
    if let Some(bandwidth) = &bandwidth {
        notes.extend(attach_bandwidth(&mut measurements, bandwidth));
    }
    let claims = claims::judge(&measurements);
    Ok(Results {
        measurements,
        claims,
        notes,
        ..Results::default()
    })
}

/// The bandwidth probe's runs.
const BANDWIDTH_PLAN: RepeatPlan = RepeatPlan {
    warmup: 1,
    repetitions: std::num::NonZeroU32::new(5).unwrap(),
};

/// Bytes of data per reading in the record layouts (an i64 and an f64).
const RECORD_BYTES: f64 = 16.0;

/// Adds, to the record layouts' rows, the rate at which their build + sum
/// went through their data (`data_gb_per_s`), that rate as a fraction of
/// the machine's read bandwidth (`bandwidth_fraction`), and their time as a
/// multiple of the time to stream the data once at that bandwidth
/// (`time_vs_bandwidth`); returns the note that says what was measured.
fn attach_bandwidth(measurements: &mut [Measurement], bandwidth: &Bandwidth) -> Vec<String> {
    let mut verdicts = Vec::new();
    for m in measurements
        .iter_mut()
        .filter(|m| m.runtime.is_rust() && (m.layout == "record" || m.layout == "columns"))
    {
        let data = RECORD_BYTES * m.n as f64;
        if m.time.median_s <= 0.0 || bandwidth.gb_per_s <= 0.0 {
            continue;
        }
        let rate = data / m.time.median_s / 1e9;
        let multiple = m.time.median_s / bandwidth.seconds_for(data);
        m.extra.insert(keys::DATA_GB_PER_S.to_owned(), rate);
        m.extra.insert(
            keys::BANDWIDTH_FRACTION.to_owned(),
            rate / bandwidth.gb_per_s,
        );
        m.extra.insert(keys::TIME_VS_BANDWIDTH.to_owned(), multiple);
        verdicts.push(format!(
            "{} build + sum {:.2}× that time ({:.1} GB/s through its {:.1} MB, {:.0}% of the bandwidth)",
            m.layout,
            multiple,
            rate,
            data / 1e6,
            rate / bandwidth.gb_per_s * 100.0
        ));
    }
    let cache = bandwidth
        .largest_cache_bytes
        .map_or_else(String::new, |c| format!(", largest cache {} MiB", c >> 20));
    vec![format!(
        "memory bandwidth {:.1} GB/s (sequential read of {} MiB{cache}, median of {} runs); \
         Rust {}",
        bandwidth.gb_per_s,
        bandwidth.bytes >> 20,
        bandwidth.time.samples_s.len(),
        verdicts.join("; ")
    )]
}

/// Adds `time_vs_cpython_{dict,slots}` (against untraced CPython: its real
/// speed) and `bytes_vs_cpython_{dict,slots}` (against traced CPython:
/// exact requested bytes, like Rust's) to every measurement.
fn attach_ratios(measurements: &mut [Measurement]) {
    let mut references = Vec::new();
    for (layout, time_key, bytes_key) in [
        (
            "dict",
            keys::TIME_VS_CPYTHON_DICT,
            keys::BYTES_VS_CPYTHON_DICT,
        ),
        (
            "slots",
            keys::TIME_VS_CPYTHON_SLOTS,
            keys::BYTES_VS_CPYTHON_SLOTS,
        ),
    ] {
        let time = claims::cpython(measurements, layout, PyMode::Untraced).map(|m| m.time.median_s);
        let bytes =
            claims::cpython(measurements, layout, PyMode::Tracemalloc).map(|m| m.bytes_per_object);
        references.push((time_key, time, bytes_key, bytes));
    }
    for m in measurements.iter_mut() {
        for (time_key, time, bytes_key, bytes) in &references {
            if let Some(t) = time.filter(|t| *t > 0.0) {
                m.extra.insert((*time_key).to_owned(), m.time.median_s / t);
            }
            if let Some(b) = bytes.filter(|b| *b > 0.0) {
                m.extra
                    .insert((*bytes_key).to_owned(), m.bytes_per_object / b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::TimeStats;
    use crate::measure::fixtures::measurement;

    fn cpython_row(layout: &str, mode: PyMode, seconds: f64, peak: u64) -> Measurement {
        let mut m = measurement(layout, peak, &[seconds]);
        m.runtime = crate::measure::Runtime::cpython("3.11.7", mode);
        m
    }

    #[test]
    fn ratios_use_untraced_time_and_traced_bytes() {
        let mut ms = vec![
            measurement("slots", 48_000, &[0.025]),
            cpython_row("slots", PyMode::Untraced, 0.4, 119_000),
            cpython_row("slots", PyMode::Tracemalloc, 1.3, 112_000),
            cpython_row("dict", PyMode::Untraced, 0.5, 160_000),
            cpython_row("dict", PyMode::Tracemalloc, 1.5, 152_000),
        ];
        attach_ratios(&mut ms);
        let rust = &ms[0].extra;
        assert_eq!(rust["time_vs_cpython_slots"], 0.025 / 0.4);
        assert_eq!(rust["bytes_vs_cpython_slots"], 48.0 / 112.0);
        assert_eq!(rust["time_vs_cpython_dict"], 0.025 / 0.5);
        assert_eq!(ms[2].extra[keys::BYTES_VS_CPYTHON_SLOTS], 1.0);
    }

    #[test]
    fn record_rows_are_judged_against_the_bandwidth() {
        let mut ms = vec![
            measurement("slots", 48_000, &[0.025]),
            measurement("record", 16_000, &[0.000_004]),
        ];
        for m in &mut ms {
            m.n = 1000;
        }
        let bandwidth = Bandwidth {
            bytes: 1 << 28,
            time: TimeStats::from_samples(&[]),
            gb_per_s: 8.0,
            largest_cache_bytes: Some(32 << 20),
        };
        let notes = attach_bandwidth(&mut ms, &bandwidth);
        // 16,000 bytes in 4 µs: 4 GB/s, half of 8 GB/s, twice the 2 µs
        // it takes to stream them.
        let record = &ms[1].extra;
        assert!((record["data_gb_per_s"] - 4.0).abs() < 1e-9);
        assert!((record["bandwidth_fraction"] - 0.5).abs() < 1e-9);
        assert!((record["time_vs_bandwidth"] - 2.0).abs() < 1e-9);
        assert!(!ms[0].extra.contains_key(keys::DATA_GB_PER_S));
        assert!(
            notes[0].starts_with(
                "memory bandwidth 8.0 GB/s (sequential read of 256 MiB, largest cache 32 MiB"
            ),
            "{}",
            notes[0]
        );
        assert!(
            notes[0].contains("record build + sum 2.00× that time"),
            "{}",
            notes[0]
        );
    }

    #[test]
    fn rust_only_has_no_ratios() {
        let mut ms = vec![measurement("slots", 48_000, &[0.025])];
        attach_ratios(&mut ms);
        assert!(!ms[0].extra.contains_key(keys::TIME_VS_CPYTHON_SLOTS));
    }

    #[test]
    fn steps_follow_the_config() {
        let compare = Compare::default();
        assert_eq!(
            steps(&compare, true, false),
            Storage::LESSON.map(Step::Rust).to_vec()
        );
        assert_eq!(steps(&compare, true, true).len(), 5 + 16);
        assert_eq!(
            steps(&compare, true, true)[5].label(),
            "cpython table untraced",
            "untraced first: CPython's speed before tracemalloc's"
        );
    }
}
