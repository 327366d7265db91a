//! Benchmark: the seed exercise per layout in Rust, and the lesson's own
//! Python code under CPython in the same run, with the ratios.
//!
//! ```text
//! cargo bench -p slotlab --bench seed
//! ```
//!
//! The Python side is the lesson's code, verbatim: its ```python blocks are
//! read from the lesson (`python/slots-lesson.md`) and run once as written
//! (tracemalloc on: the lesson's protocol) and once with tracemalloc's
//! functions replaced by no-ops (the same code, untraced). Each run is a
//! fresh interpreter. Environment: `SLOTLAB_BENCH_N` (default 1000000),
//! `SLOTLAB_BENCH_REPEAT` (Rust runs, default 10), `SLOTLAB_BENCH_PY_REPEAT`
//! (Python runs per mode, default 3), `SLOTLAB_PYTHON` (default `python3`),
//! `SLOTLAB_LESSON` (another lesson file).
//!
//! Speed is judged here, never in tests: the machines are shared and noisy,
//! so both sides run back to back and only their ratios are reported.

use slotlab::ingest::Storage;
use slotlab::lab::lesson::{self as exercise, LessonConfig};
use slotlab::measure::alloc::PreferredBacking;
use slotlab::measure::{Measurement, MonotonicClock, RepeatPlan, TimeStats, TrackingAllocator};
use slotlab::python::lesson::{self, LessonCase};
use std::path::PathBuf;
use std::time::Duration;

#[path = "../../slotlab-stream/benches/common/goal.rs"]
mod goal;
use goal::goal;

// The same allocator as the `slotlab` binary.
#[global_allocator]
static ALLOC: TrackingAllocator<PreferredBacking> = TrackingAllocator::preferred();

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// CPython's figures for one lesson case and mode.
struct PythonRuns {
    time: TimeStats,
    peak_mib: f64,
}

fn run_python(
    python: &str,
    case: &LessonCase,
    traced: bool,
    runs: u64,
) -> Result<PythonRuns, String> {
    let mut times = Vec::new();
    let mut peak_mib = 0.0;
    for _ in 0..runs {
        let run = lesson::run_case(python, case, traced).map_err(|e| e.to_string())?;
        times.push(Duration::from_secs_f64(run.seconds));
        peak_mib = run.peak_mib;
    }
    Ok(PythonRuns {
        time: TimeStats::from_samples(&times),
        peak_mib,
    })
}

/// The lesson: `SLOTLAB_LESSON` if set, else the copy slotlab embeds.
fn lesson_text() -> Result<String, String> {
    match std::env::var_os("SLOTLAB_LESSON") {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|e| format!("SLOTLAB_LESSON={}: {e}", PathBuf::from(&path).display())),
        None => Ok(lesson::LESSON.to_owned()),
    }
}

fn spread(t: &TimeStats) -> String {
    format!("{:.4} s ({:.4}–{:.4})", t.median_s, t.min_s, t.max_s)
}

fn main() {
    let n = env_u64("SLOTLAB_BENCH_N", 1_000_000);
    let repeat = env_u64("SLOTLAB_BENCH_REPEAT", 10) as u32;
    let py_repeat = env_u64("SLOTLAB_BENCH_PY_REPEAT", 3);
    let python = std::env::var("SLOTLAB_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    println!(
        "seed benchmark: N={n}; Rust: median of {repeat} runs after 2 warm-ups (allocator: {}); CPython: median of {py_repeat} fresh interpreters per mode",
        slotlab::measure::alloc::backing_allocator().unwrap_or("?")
    );
    println!(
        "time window = build N readings + sum .value (both sides); bytes = peak requested heap bytes in the window / N (Rust: tracking allocator; CPython: tracemalloc peak)\n"
    );

    let clock = MonotonicClock::new();
    let mut rust: Vec<Measurement> = Vec::new();
    for layout in Storage::LESSON {
        let config = LessonConfig {
            n,
            layout,
            plan: RepeatPlan {
                warmup: 2,
                repetitions: std::num::NonZeroU32::new(repeat)
                    .expect("SLOTLAB_BENCH_REPEAT must be at least 1"),
            },
        };
        match exercise::run(&config, &clock, &mut |_| {}) {
            Ok(m) => {
                println!(
                    "rust    {:<7}  {}  {:>7.2} bytes/reading  {} allocations",
                    layout.name(),
                    spread(&m.time),
                    m.bytes_per_object,
                    m.allocations.unwrap_or_default()
                );
                rust.push(m);
            }
            Err(e) => {
                println!("rust {layout}: {e}");
                return;
            }
        }
    }

    let bandwidth = slotlab::measure::bandwidth::sequential_read(
        slotlab::measure::bandwidth::default_probe_bytes(),
        RepeatPlan {
            warmup: 1,
            repetitions: std::num::NonZeroU32::new(5).unwrap(),
        },
        &clock,
    );
    println!(
        "\nmemory bandwidth: {:.1} GB/s (sequential read of {} MiB, median of 5)",
        bandwidth.gb_per_s,
        bandwidth.bytes >> 20
    );
    for m in rust
        .iter()
        .filter(|m| m.layout == "record" || m.layout == "columns")
    {
        let data = 16.0 * n as f64;
        let multiple = m.time.median_s / bandwidth.seconds_for(data);
        println!(
            "  {}: build + sum took {multiple:.2}x the time to stream its {:.0} MB once ({:.0}% of the bandwidth)",
            m.layout,
            data / 1e6,
            100.0 / multiple
        );
        goal(
            &format!("{} <= 16 requested bytes per reading", m.layout),
            m.bytes_per_object,
            16.0,
            false,
        );
        goal(
            &format!("{} build + sum within 2x of the bandwidth time", m.layout),
            multiple,
            2.0,
            false,
        );
    }

    let markdown = match lesson_text() {
        Ok(text) => text,
        Err(e) => {
            println!("\n{e}: Rust figures only");
            return;
        }
    };
    let version = match slotlab::python::Python::probe(&python) {
        Ok(p) => p.info().version.clone(),
        Err(e) => {
            println!("\n{e}: Rust figures only");
            return;
        }
    };
    println!();
    for case in lesson::cases(&markdown, n) {
        let traced = run_python(&python, &case, true, py_repeat);
        let untraced = run_python(&python, &case, false, py_repeat);
        let (traced, untraced) = match (traced, untraced) {
            (Ok(t), Ok(u)) => (t, u),
            (Err(e), _) | (_, Err(e)) => {
                println!("cpython {}: {e}", case.layout);
                continue;
            }
        };
        let bytes_per_reading = traced.peak_mib * 1024.0 * 1024.0 / n as f64;
        println!(
            "cpython-{version} {:<5}  tracemalloc on: {}  off: {}  {:>7.2} bytes/reading",
            case.layout,
            spread(&traced.time),
            spread(&untraced.time),
            bytes_per_reading
        );
        let Some(r) = rust.iter().find(|m| m.layout == case.layout) else {
            continue;
        };
        let on = traced.time.median_s / r.time.median_s;
        let off = untraced.time.median_s / r.time.median_s;
        println!(
            "  ratio {}: Rust is {on:.1}x faster than the lesson's protocol, {off:.1}x faster than CPython untraced, {:.2}x its bytes",
            case.layout,
            r.bytes_per_object / bytes_per_reading
        );
        match case.layout {
            "slots" => {
                goal(
                    "slots >= 30x faster than CPython slots (lesson protocol)",
                    on,
                    30.0,
                    true,
                );
                goal(
                    "slots >= 20x faster than CPython slots (no tracemalloc)",
                    off,
                    20.0,
                    true,
                );
                goal(
                    "slots <= 32 requested bytes per reading, list slot included",
                    r.bytes_per_object,
                    32.0,
                    false,
                );
            }
            "dict" => {
                goal(
                    "dict >= 10x faster than CPython dict (no tracemalloc)",
                    off,
                    10.0,
                    true,
                );
                goal(
                    "dict (shared keys, inline values) <= 48 requested bytes per reading",
                    r.bytes_per_object,
                    48.0,
                    false,
                );
                if let Some(table) = rust.iter().find(|m| m.layout == "table") {
                    goal(
                        "table <= 200 requested bytes per reading",
                        table.bytes_per_object,
                        200.0,
                        false,
                    );
                }
            }
            _ => {}
        }
    }
}
