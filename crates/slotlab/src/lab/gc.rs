//! Collector overhead: how long a tracing collector pauses with N objects
//! alive, per layout, in Rust (the model's heap) and in CPython (its gc).

use super::LabError;
use super::experiment::{Context, Experiment};
use super::lesson::{ReadingNames, build_readings, reading_class};
use crate::measure::keys;
use crate::measure::{Claim, Measurement, Results, Runtime, Stopwatch, TimeStats, timing};
use crate::model::{Heap, Layout, ObjectId};
use crate::python::PyCase;
use std::collections::BTreeMap;

/// Collector pauses with N readings alive: the model's tracing collector in
/// Rust, CPython's `gc` with its dict, slots and dataclass(slots) classes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gc;

impl Experiment for Gc {
    fn name(&self) -> &'static str {
        "gc"
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        Some(
            u64::from(cx.rust) * Layout::ALL.len() as u64
                + u64::from(cx.python.is_some()) * PyCase::CORE.len() as u64,
        )
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        run(cx)
    }
}

/// N readings on a fresh heap, and the roots that keep them alive (the
/// list): built outside any timing.
fn build(layout: Layout, n: usize) -> Result<(Heap, Vec<ObjectId>), LabError> {
    let class = reading_class(layout)?;
    let mut heap = Heap::with_capacity(n);
    let mut roots = Vec::with_capacity(n);
    build_readings(&class, &ReadingNames::new(), n, |reading| {
        roots.push(heap.insert(reading));
    })?;
    Ok((heap, roots))
}

/// The `q` quantile of `sorted` (nearest rank; 0 for none).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Runs the Rust full traces and frees, and CPython's collections.
fn run(cx: &mut Context<'_>) -> Result<Results, LabError> {
    let n = cx.n;
    super::lesson::refuse_unfit(cx)?;
    // Cloned so that steps can be reported while it is in use.
    let python = cx.python.clone();
    let mut measurements = Vec::new();
    let mut notes = Vec::new();
    if cx.rust {
        for layout in Layout::ALL {
            cx.step(&format!("rust {layout}"));
            let mut frees = Vec::new();
            let mut visited = (0, 0);
            let time = timing::repeat(cx.plan, |_| {
                let (heap, roots) = build(layout, n as usize)?;
                let stopwatch = Stopwatch::start(cx.clock);
                let trace = heap.trace(&roots);
                let traced = stopwatch.elapsed();
                visited = (trace.reachable, trace.blocks_visited);
                let stopwatch = Stopwatch::start(cx.clock);
                drop(heap);
                frees.push(stopwatch.elapsed());
                Ok::<_, LabError>(traced)
            })?;
            let free = TimeStats::from_samples(&frees);
            let method = format!(
                "gc: the model's tracing collector marks all N readings from the roots (one \
                 full trace, no collection: all are alive), {}; free = dropping the heap",
                cx.plan.describe()
            );
            let ns_per_object = time.median_s / n as f64 * 1e9;
            let mut m = Measurement::new(
                "gc",
                Runtime::Rust,
                layout.name(),
                n,
                cx.plan.warmup,
                time,
                method,
            );
            m.extra = BTreeMap::from([
                (keys::FREE_PAUSE_S.to_owned(), free.median_s),
                (keys::OBJECTS_TRACED.to_owned(), visited.0 as f64),
                (keys::BLOCKS_VISITED.to_owned(), visited.1 as f64),
                (keys::NS_PER_OBJECT.to_owned(), ns_per_object),
            ]);
            measurements.push(m);
        }
    }
    if let Some(python) = &python {
        for case in PyCase::CORE {
            cx.step(&format!("cpython {}", case.layout()));
            let Some(g) = python.gc(case, n, cx.plan.repetitions.get())? else {
                notes.push(format!("skipped: {} needs a newer Python", case.layout()));
                continue;
            };
            let mut pauses = g.build_pauses_s.clone();
            pauses.sort_by(f64::total_cmp);
            let time = TimeStats::from_secs(&g.full_collect_s);
            let method = format!(
                "gc: fresh interpreter; every collection during the build timed with \
                 gc.callbacks (extra.build_*), then {} full gc.collect() with all N alive; \
                 free = del data",
                g.full_collect_s.len()
            );
            let ns_per_object = time.median_s / n as f64 * 1e9;
            let mut m = Measurement::new(
                "gc",
                python.info().runtime(None),
                case.layout(),
                n,
                0,
                time,
                method,
            );
            m.extra = BTreeMap::from([
                (keys::FREE_PAUSE_S.to_owned(), g.free_s),
                (keys::OBJECTS_TRACED.to_owned(), g.tracked_readings as f64),
                (keys::BUILD_COLLECTIONS.to_owned(), pauses.len() as f64),
                (keys::BUILD_PAUSE_TOTAL_S.to_owned(), pauses.iter().sum()),
                (
                    keys::BUILD_PAUSE_MAX_S.to_owned(),
                    pauses.last().copied().unwrap_or(0.0),
                ),
                (
                    keys::BUILD_PAUSE_P50_S.to_owned(),
                    percentile(&pauses, 0.50),
                ),
                (
                    keys::BUILD_PAUSE_P99_S.to_owned(),
                    percentile(&pauses, 0.99),
                ),
                (keys::NS_PER_OBJECT.to_owned(), ns_per_object),
                (keys::CHECKSUM.to_owned(), g.checksum),
            ]);
            measurements.push(m);
        }
    }
    attach_pause_ratio(&mut measurements);
    let claims = vec![judge(&measurements)];
    Ok(Results {
        measurements,
        claims,
        notes,
        ..Results::default()
    })
}

/// `pause_vs_cpython_slots`: each full pause over CPython's full
/// `gc.collect()` pause for its slots class.
fn attach_pause_ratio(measurements: &mut [Measurement]) {
    let reference = measurements
        .iter()
        .find(|m| m.runtime.is_cpython() && m.layout == "slots")
        .map(|m| m.time.median_s)
        .filter(|t| *t > 0.0);
    if let Some(reference) = reference {
        for m in measurements.iter_mut() {
            m.extra.insert(
                keys::PAUSE_VS_CPYTHON_SLOTS.to_owned(),
                m.time.median_s / reference,
            );
        }
    }
}

/// "Lower GC overhead": per runtime, is the full pause with N slots objects
/// alive shorter than with N dict objects?
pub fn judge(measurements: &[Measurement]) -> Claim {
    let mut judged = Vec::new();
    let rust = |r: &Runtime| r.is_rust();
    let cpython = |r: &Runtime| r.is_cpython();
    for (runtime, is) in [
        ("Rust", &rust as &dyn Fn(&Runtime) -> bool),
        ("CPython", &cpython),
    ] {
        let pause = |layout: &str| {
            measurements
                .iter()
                .find(|m| is(&m.runtime) && m.layout == layout)
                .map(|m| (m.time.median_s, m.extra.get(keys::BLOCKS_VISITED).copied()))
        };
        if let (Some((d, d_blocks)), Some((s, s_blocks))) = (pause("dict"), pause("slots")) {
            let blocks = match (d_blocks, s_blocks) {
                (Some(db), Some(sb)) => format!(", visiting {sb:.0} vs {db:.0} heap blocks"),
                _ => String::new(),
            };
            judged.push((
                s < d,
                format!(
                    "a full pause with all N alive takes {:.1} ms for slots vs {:.1} ms for dict in {runtime}{blocks}",
                    s * 1e3,
                    d * 1e3
                ),
            ));
        }
    }
    super::claims::verdict("Lower GC overhead", judged, "needs dict and slots pauses")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::experiment::{NoProgress, Settings};
    use crate::measure::FakeClock;
    use std::time::Duration;

    #[test]
    fn without_the_tracking_allocator_it_refuses() {
        // Unit tests run without the tracking allocator (tests/gc.rs has it).
        let settings = Settings {
            n: 500,
            plan: crate::measure::RepeatPlan::new(0, std::num::NonZeroU32::new(2).unwrap()),
            rust: true,
            python: None,
            python_limits: Default::default(),
        };
        let clock = FakeClock::new(Duration::from_micros(10));
        let mut progress = NoProgress;
        let mut cx = Context::new(&settings, &clock, &mut progress).unwrap();
        let results = run(&mut cx);
        assert!(matches!(results, Err(LabError::AllocatorNotInstalled)));
    }

    #[test]
    fn percentiles() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(percentile(&sorted, 0.5), 3.0);
        assert_eq!(percentile(&sorted, 0.99), 100.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
