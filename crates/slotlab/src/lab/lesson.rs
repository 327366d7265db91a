//! The lesson's exercise: build N `Reading(timestamp=i, value=i*0.1)` in a
//! list, then sum `.value`, timed and measured as one window, as the lesson
//! does with `perf_counter` and tracemalloc. Five Rust layouts: the object
//! model's table, dict and slots classes (`.value` looked up by name, as
//! Python does), a typed record in a `Vec` (array of structs), and the same record
//! in a [`RecordVec`] (struct of arrays).

use super::LabError;
use super::experiment::{Context, Experiment};
use crate::ingest::Storage;
use crate::measure::keys;
use crate::measure::{
    AllocScope, AllocStats, Clock, Measurement, RepeatPlan, Results, RunKind, Runtime, Stopwatch,
    TimeStats, alloc, system, timing,
};
use crate::model::{Class, Instance, Layout, ModelError, Str, Value};
use crate::record::{Record, RecordVec};
use std::collections::BTreeMap;

/// The lesson's reading as a typed record: `@dataclass(slots=True)`'s
/// counterpart, 16 bytes, no header.
#[derive(Record, Clone)]
pub struct Reading {
    timestamp: i64,
    value: f64,
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonConfig {
    /// Readings to build.
    pub n: u64,
    /// The storage layout.
    pub layout: Storage,
    /// Warm-ups and measured repetitions.
    pub plan: RepeatPlan,
}

/// Objects in the pilot run that estimates memory before a large N.
pub const PILOT_N: u64 = 10_000;

/// Headroom over the requested bytes for the allocator's own overhead
/// (block headers, size classes) when judging whether N fits.
pub const OVERHEAD_FACTOR: f64 = 1.25;

/// The `Reading` class for a layout: `ReadingTable` (a hash table per
/// instance), `ReadingDict` (no `__slots__`: CPython 3.11's shared keys)
/// or `ReadingSlots` (`__slots__ = ("timestamp", "value")`), as in the
/// lesson.
pub fn reading_class(layout: Layout) -> Result<Class, ModelError> {
    match layout {
        Layout::Table => Class::builder("ReadingTable").table().build(),
        Layout::Dict => Class::builder("ReadingDict").build(),
        Layout::Slots => Class::builder("ReadingSlots")
            .slots(["timestamp", "value"])
            .build(),
    }
}

/// The attribute names, created before the measured window, as CPython's
/// interned identifiers exist before the lesson's code runs.
pub(crate) struct ReadingNames {
    timestamp: Str,
    value: Str,
}

/// The lesson's readings `0..n` as objects of `class`
/// (`Reading(timestamp=i, value=i*0.1)`, set by name), each handed to
/// `keep` as it is made: the one loop every experiment builds them with.
pub(crate) fn build_readings(
    class: &Class,
    names: &ReadingNames,
    n: usize,
    mut keep: impl FnMut(Instance),
) -> Result<(), ModelError> {
    for i in 0..n {
        let mut object = Instance::new(class);
        object.set_attr(&names.timestamp, Value::Int(i as i64))?;
        object.set_attr(&names.value, Value::Float(i as f64 * 0.1))?;
        keep(object);
    }
    Ok(())
}

impl ReadingNames {
    /// `timestamp` and `value`, interned.
    pub(crate) fn new() -> Self {
        Self {
            timestamp: Str::intern("timestamp"),
            value: Str::intern("value"),
        }
    }
}

/// Everything prepared before the measured window.
enum Workload {
    Model { class: Class, names: ReadingNames },
    Record,
    Columns,
}

/// The list a run built.
enum Built {
    Objects(Vec<Instance>),
    Records(Vec<Reading>),
    Columns(RecordVec<Reading>),
}

impl Workload {
    fn new(layout: Storage) -> Result<Self, LabError> {
        if let Some(model) = layout.model() {
            return Ok(Workload::Model {
                class: reading_class(model)?,
                names: ReadingNames::new(),
            });
        }
        Ok(match layout {
            Storage::Record => Workload::Record,
            Storage::Columns => Workload::Columns,
            other => return Err(LabError::NotALessonLayout(other)),
        })
    }

    /// The first half of the measured window: build the list, allocated
    /// once at its final size (CPython's list comprehension grows it,
    /// over-allocating by up to 12.5%).
    fn build(&self, n: usize) -> Result<Built, LabError> {
        let reading = |i: usize| (i as i64, i as f64 * 0.1);
        let built = match self {
            Workload::Model { class, names } => {
                let mut data = Vec::with_capacity(n);
                build_readings(class, names, n, |object| data.push(object))?;
                Built::Objects(data)
            }
            Workload::Record => {
                let mut data = Vec::with_capacity(n);
                for i in 0..n {
                    let (timestamp, value) = reading(i);
                    data.push(Reading::new(timestamp, value));
                }
                Built::Records(data)
            }
            Workload::Columns => {
                let mut data: RecordVec<Reading> = RecordVec::with_capacity(n);
                for i in 0..n {
                    let (timestamp, value) = reading(i);
                    data.push(Reading::new(timestamp, value));
                }
                Built::Columns(data)
            }
        };
        // The list must exist in memory before the sum reads it back.
        Ok(std::hint::black_box(built))
    }

    /// The second half: sum `.value` left to right in f64, as CPython
    /// 3.11's `sum` adds floats; by attribute name for model objects.
    fn sum(&self, built: &Built) -> Result<f64, LabError> {
        match (self, built) {
            (Workload::Model { names, .. }, Built::Objects(data)) => {
                let mut total = 0.0;
                for (index, object) in data.iter().enumerate() {
                    let v = object.get_attr(&names.value)?;
                    total += v.as_f64().ok_or_else(|| LabError::NotANumber {
                        index,
                        type_name: v.type_name(),
                    })?;
                }
                Ok(total)
            }
            (_, Built::Records(data)) => Ok(data.iter().fold(0.0, |acc, r| acc + *r.value())),
            (_, Built::Columns(data)) => Ok(data.value().iter().fold(0.0, |acc, v| acc + v)),
            (_, Built::Objects(_)) => unreachable!("objects are built only by the model workload"),
        }
    }

    /// The model's per-instance block, where there is one.
    fn instance_block_bytes(&self) -> Option<usize> {
        match self {
            Workload::Model { class, .. } => Some(class.instance_block_bytes()),
            Workload::Record | Workload::Columns => None,
        }
    }
}

/// What the N-object experiments (access, gc) check first: with the Rust
/// side on, N readings of the largest layout (dict objects) must fit.
pub(crate) fn refuse_unfit(cx: &Context<'_>) -> Result<(), LabError> {
    if cx.rust {
        check_fits(Storage::Dict, cx.n)?;
    }
    Ok(())
}

/// What one pilot run says about memory for a given N.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Objects in the pilot.
    pub pilot_n: u64,
    /// Requested bytes per object in the pilot (list slot included).
    pub bytes_per_object: f64,
    /// Estimated bytes for N: per-object bytes × N × [`OVERHEAD_FACTOR`].
    pub needed_bytes: f64,
    /// `MemAvailable`, if the platform reports it.
    pub available_bytes: Option<u64>,
}

/// Builds a small pilot and estimates the memory N readings need.
pub fn estimate_memory(layout: Storage, n: u64) -> Result<MemoryEstimate, LabError> {
    ensure_tracking()?;
    let workload = Workload::new(layout)?;
    let pilot_n = n.clamp(1, PILOT_N);
    let scope = AllocScope::start();
    let data = workload.build(pilot_n as usize)?;
    workload.sum(&data)?;
    let stats = scope.stats();
    drop(data);
    let bytes_per_object = stats.peak_bytes as f64 / pilot_n as f64;
    Ok(MemoryEstimate {
        pilot_n,
        bytes_per_object,
        needed_bytes: bytes_per_object * n as f64 * OVERHEAD_FACTOR,
        available_bytes: system::available_memory_bytes(),
    })
}

/// Refuses an N whose estimated memory exceeds what the machine has
/// available, before anything large is allocated.
pub fn check_fits(layout: Storage, n: u64) -> Result<MemoryEstimate, LabError> {
    if n == 0 {
        return Err(LabError::ZeroN);
    }
    let estimate = estimate_memory(layout, n)?;
    let fits_address_space = usize::try_from(n).is_ok_and(|n| n <= isize::MAX as usize / 64);
    let fits_memory = estimate
        .available_bytes
        .is_none_or(|available| estimate.needed_bytes <= available as f64);
    if fits_address_space && fits_memory {
        Ok(estimate)
    } else {
        Err(LabError::TooLarge {
            n,
            layout,
            estimate,
        })
    }
}

fn ensure_tracking() -> Result<(), LabError> {
    if alloc::is_installed() {
        Ok(())
    } else {
        Err(LabError::AllocatorNotInstalled)
    }
}

/// The lesson's exercise over several layouts, a row each: build N
/// readings, sum `.value`, time and peak memory.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// The layouts, in the order they run.
    pub layouts: Vec<Storage>,
}

impl Experiment for Lesson {
    fn name(&self) -> &'static str {
        "lesson"
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        let runs = u64::from(cx.plan.warmup) + u64::from(cx.plan.repetitions.get());
        Some(self.layouts.len() as u64 * runs)
    }

    /// Refuses an N that cannot fit before running anything, then runs
    /// each layout, a step per run.
    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        for &layout in &self.layouts {
            check_fits(layout, cx.n)?;
        }
        let clock = cx.clock;
        let mut measurements = Vec::new();
        for &layout in &self.layouts {
            let config = LessonConfig {
                n: cx.n,
                layout,
                plan: cx.plan,
            };
            let repetitions = cx.plan.repetitions;
            let measurement = measure(&config, clock, &mut |kind| match kind {
                RunKind::Warmup => cx.step(&format!("{layout}: warm-up")),
                RunKind::Measured(i) => cx.step(&format!("{layout}: run {}/{repetitions}", i + 1)),
            })
            .map_err(|source| LabError::Layout {
                layout,
                source: Box::new(source),
            })?;
            measurements.push(measurement);
        }
        Ok(Results {
            measurements,
            ..Results::default()
        })
    }
}

/// Runs the exercise: `plan.warmup` unmeasured runs, then
/// `plan.repetitions` measured ones. `on_run` is called before each run
/// (outside the measured window), for progress. Refuses an N that does
/// not fit ([`check_fits`]) first.
pub fn run(
    config: &LessonConfig,
    clock: &dyn Clock,
    on_run: &mut dyn FnMut(RunKind),
) -> Result<Measurement, LabError> {
    check_fits(config.layout, config.n)?;
    measure(config, clock, on_run)
}

/// [`run`] for callers that have already checked that N fits (every
/// experiment checks all its layouts before running any), so the pilot
/// is not built twice.
pub(crate) fn measure(
    config: &LessonConfig,
    clock: &dyn Clock,
    on_run: &mut dyn FnMut(RunKind),
) -> Result<Measurement, LabError> {
    let workload = Workload::new(config.layout)?;
    let n = config.n as usize;
    let mut worst: Option<AllocStats> = None;
    let mut sum = 0.0;
    let mut iterate = Vec::new();
    let time = timing::repeat(config.plan, |kind| {
        on_run(kind);
        let scope = AllocScope::start();
        let stopwatch = Stopwatch::start(clock);
        let data = workload.build(n)?;
        let built = stopwatch.elapsed();
        let total = workload.sum(&data)?;
        let elapsed = stopwatch.elapsed();
        let stats = scope.stats();
        drop(data);
        if let RunKind::Measured(_) = kind {
            sum = total;
            iterate.push(elapsed.saturating_sub(built));
            worst = Some(match worst {
                Some(w) if w.peak_bytes >= stats.peak_bytes => w,
                _ => stats,
            });
        }
        Ok::<_, LabError>(elapsed)
    })?;
    let stats = worst.unwrap_or_default();
    let mut extra = BTreeMap::new();
    extra.insert(keys::SUM.to_owned(), sum);
    extra.insert(
        keys::ITERATE_MEDIAN_S.to_owned(),
        TimeStats::from_samples(&iterate).median_s,
    );
    if let Some(bytes) = workload.instance_block_bytes() {
        extra.insert(keys::INSTANCE_BLOCK_BYTES.to_owned(), bytes as f64);
    }
    extra.insert(keys::LIVE_BLOCKS.to_owned(), stats.live_blocks as f64);
    extra.insert(keys::REALLOCATIONS.to_owned(), stats.reallocations as f64);
    let method = format!(
        "one window = build N readings into a list + sum .value (by attribute name for \
             the object model's table, dict and slots); \
             time: monotonic clock, {}; memory: peak requested \
             heap bytes inside the window (highest run), counted by slotlab's tracking allocator \
             on the measuring thread; allocator: {}",
        config.plan.describe(),
        alloc::backing_allocator().unwrap_or("unknown"),
    );
    let mut m = Measurement::new(
        "seed",
        Runtime::Rust,
        config.layout.name(),
        config.n,
        config.plan.warmup,
        time,
        method,
    )
    .with_peak(stats.peak_bytes);
    m.usable_peak_bytes = alloc::usable_size_measured().then_some(stats.usable_peak_bytes);
    m.allocations = Some(stats.allocations);
    m.extra = extra;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_not_a_lesson_layout() {
        for layout in Storage::LESSON {
            assert!(Workload::new(layout).is_ok(), "{layout}");
        }
        let err = Workload::new(Storage::Stream).err().expect("refused");
        assert!(matches!(err, LabError::NotALessonLayout(Storage::Stream)));
        assert_eq!(
            err.to_string(),
            "the lesson's exercise has no stream layout: it builds table, dict, slots, record or columns"
        );
    }
}
