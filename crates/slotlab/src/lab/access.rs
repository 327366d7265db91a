//! Attribute access: the cost of reading and writing `.value`, per
//! operation, by every route Rust and CPython take to it.

use super::LabError;
use super::experiment::{Context, Experiment};
use super::lesson::{Reading, ReadingNames, build_readings, reading_class};
use crate::measure::keys;
use crate::measure::{
    AllocScope, Measurement, RepeatPlan, Results, Runtime, Stopwatch, TimeStats, timing,
};
use crate::model::{Instance, Layout, Str, Value};
use crate::python::PyCase;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

/// How `.value` is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// By name through a table instance's own hash table.
    TableByName,
    /// By name through a dict instance's class-shared keys and its inline
    /// values.
    DictByName,
    /// By name through the slots class's name → index table.
    SlotsByName,
    /// With the slot index looked up once and kept, as CPython's
    /// specializing interpreter keeps it per call site.
    SlotsCachedIndex,
    /// A plain field of a typed record.
    RecordField,
}

impl Route {
    /// Every Rust route.
    pub const ALL: [Route; 5] = [
        Route::TableByName,
        Route::DictByName,
        Route::SlotsByName,
        Route::SlotsCachedIndex,
        Route::RecordField,
    ];

    /// `dict · by name` …
    pub fn label(self) -> &'static str {
        match self {
            Route::TableByName => "table · by name",
            Route::DictByName => "dict · by name",
            Route::SlotsByName => "slots · by name",
            Route::SlotsCachedIndex => "slots · cached index",
            Route::RecordField => "record · field",
        }
    }
}

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `total += r.value`.
    Read,
    /// `r.value = x`.
    Write,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Op::Read => "reading",
            Op::Write => "writing",
        }
    }
}

/// Reading and writing `.value` by every Rust route, and CPython's loops
/// over its dict, slots and dataclass(slots) classes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Access;

impl Experiment for Access {
    fn name(&self) -> &'static str {
        "access"
    }

    fn steps(&self, cx: &Context<'_>) -> Option<u64> {
        Some(
            u64::from(cx.rust) * Route::ALL.len() as u64 * 2
                + u64::from(cx.python.is_some()) * PyCase::CORE.len() as u64,
        )
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        run(cx)
    }
}

/// The objects one route loops over, built before any timing.
enum Objects {
    Model(Vec<Instance>),
    Records(Vec<Reading>),
}

fn build(route: Route, n: usize) -> Result<Objects, LabError> {
    let layout = match route {
        Route::TableByName => Layout::Table,
        Route::DictByName => Layout::Dict,
        Route::SlotsByName | Route::SlotsCachedIndex => Layout::Slots,
        Route::RecordField => {
            return Ok(Objects::Records(
                (0..n)
                    .map(|i| Reading::new(i as i64, i as f64 * 0.1))
                    .collect(),
            ));
        }
    };
    let class = reading_class(layout)?;
    let mut objects = Vec::with_capacity(n);
    build_readings(&class, &ReadingNames::new(), n, |object| {
        objects.push(object)
    })?;
    Ok(Objects::Model(objects))
}

/// One timed loop: reads return their sum, writes return the sum of what
/// they wrote; both go through `black_box` so no loop can be dropped.
fn one_loop(route: Route, op: Op, objects: &mut Objects, pass: u32) -> Result<f64, LabError> {
    let name = Str::intern("value");
    let mut total = 0.0;
    match (objects, op) {
        (Objects::Model(objects), Op::Read) => {
            let index = objects.first().and_then(|o| o.class().slot_index("value"));
            for object in objects.iter() {
                let v = match (route, index) {
                    (Route::SlotsCachedIndex, Some(index)) => object.slot(index),
                    _ => Some(object.get_attr(black_box(&name))?),
                };
                total += v.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
            }
        }
        (Objects::Model(objects), Op::Write) => {
            let index = objects.first().and_then(|o| o.class().slot_index("value"));
            for (i, object) in objects.iter_mut().enumerate() {
                let x = (i as f64) + f64::from(pass);
                match (route, index) {
                    (Route::SlotsCachedIndex, Some(index)) => {
                        object.set_slot(index, Value::Float(x));
                    }
                    _ => object.set_attr(black_box(&name), Value::Float(x))?,
                }
                total += x;
            }
        }
        (Objects::Records(records), Op::Read) => {
            for r in records.iter() {
                total += *r.value();
            }
        }
        (Objects::Records(records), Op::Write) => {
            for (i, r) in records.iter_mut().enumerate() {
                let x = (i as f64) + f64::from(pass);
                r.set_value(x);
                total += x;
            }
        }
    }
    Ok(black_box(total))
}

fn measurement(
    (n, plan): (u64, RepeatPlan),
    runtime: Runtime,
    layout: String,
    time: TimeStats,
    peak_bytes: u64,
    method: String,
    mut extra: BTreeMap<String, f64>,
) -> Measurement {
    extra.insert(keys::NS_PER_OP.to_owned(), time.median_s / n as f64 * 1e9);
    let mut m = Measurement::new("access", runtime, layout, n, plan.warmup, time, method)
        .with_peak(peak_bytes);
    m.extra = extra;
    m
}

/// Times every Rust route and, with an interpreter, CPython's reads and
/// writes of `r.value`. `on_step` is called with a label before each.
fn run(cx: &mut Context<'_>) -> Result<Results, LabError> {
    let n = cx.n;
    super::lesson::refuse_unfit(cx)?;
    // Cloned so that steps can be reported while it is in use.
    let python = cx.python.clone();
    let mut measurements = Vec::new();
    let mut notes = Vec::new();
    let mut reads = Vec::new();
    if cx.rust {
        for route in Route::ALL {
            let mut objects = build(route, n as usize)?;
            for op in [Op::Read, Op::Write] {
                cx.step(&format!("rust {} {}", route.label(), op.name()));
                let mut checksum = 0.0;
                let mut peak = 0;
                let mut pass = 0;
                let time = timing::repeat(cx.plan, |_| {
                    pass += 1;
                    let scope = AllocScope::start();
                    let stopwatch = Stopwatch::start(cx.clock);
                    checksum = one_loop(route, op, &mut objects, pass)?;
                    let elapsed = stopwatch.elapsed();
                    peak = peak.max(scope.stats().peak_bytes);
                    Ok::<Duration, LabError>(elapsed)
                })?;
                let m = measurement(
                    (cx.n, cx.plan),
                    Runtime::Rust,
                    format!("{} · {}", route.label(), op.name()),
                    time,
                    peak,
                    format!(
                        "access: one loop over N objects {} .value per object, {}; memory: \
                         requested bytes allocated during the loop",
                        op.verb(),
                        cx.plan.describe()
                    ),
                    BTreeMap::from([(keys::CHECKSUM.to_owned(), checksum)]),
                );
                if let (Op::Read, Some(layout)) = (op, compared_layout(route)) {
                    reads.push(Read {
                        runtime: Runtime::Rust,
                        layout,
                        ns_per_read: m.extra[keys::NS_PER_OP],
                    });
                }
                measurements.push(m);
            }
        }
    }
    if let Some(python) = &python {
        for case in PyCase::CORE {
            cx.step(&format!("cpython {} read+write", case.layout()));
            let Some(a) = python.access(case, n, cx.plan)? else {
                notes.push(format!("skipped: {} needs a newer Python", case.layout()));
                continue;
            };
            let empty = TimeStats::from_secs(&a.empty_s).median_s;
            for (op, samples) in [(Op::Read, &a.read_s), (Op::Write, &a.write_s)] {
                let time = TimeStats::from_secs(samples);
                let net = (time.median_s - empty) / n as f64 * 1e9;
                let m = measurement(
                    (cx.n, cx.plan),
                    python.info().runtime(None),
                    format!("{} · r.value · {}", case.layout(), op.name()),
                    time,
                    0,
                    format!(
                        "access: `for r in data` loop {} r.value, fresh interpreter, {}; \
                         CPython 3.11 specializes r.value per call site (a cached index); \
                         the empty loop's cost is in extra.empty_loop_ns_per_object",
                        op.verb(),
                        crate::measure::timing::runs_phrase(samples.len() as u32, cx.plan.warmup)
                    ),
                    BTreeMap::from([
                        (keys::CHECKSUM.to_owned(), a.first_sum),
                        (
                            keys::EMPTY_LOOP_NS_PER_OBJECT.to_owned(),
                            empty / n as f64 * 1e9,
                        ),
                        (keys::NET_NS_PER_OP.to_owned(), net),
                    ]),
                );
                if let (Op::Read, Some(layout)) = (op, compared_case(case)) {
                    reads.push(Read {
                        runtime: m.runtime.clone(),
                        layout,
                        ns_per_read: m.extra[keys::NS_PER_OP],
                    });
                }
                measurements.push(m);
            }
        }
    }
    let claims = vec![judge_access(&reads)];
    Ok(Results {
        measurements,
        claims,
        notes,
        ..Results::default()
    })
}

/// One read loop the "Faster attribute access" claim compares: which
/// runtime, which of the two layouts, and its ns per read.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// Who ran the loop.
    pub runtime: Runtime,
    /// `Layout::Dict` or `Layout::Slots` (the lesson's two classes).
    pub layout: Layout,
    /// Median nanoseconds per read.
    pub ns_per_read: f64,
}

/// The read of `route` that the claim compares, if any: dict and slots
/// both by name (the cached index and the record are other routes).
fn compared_layout(route: Route) -> Option<Layout> {
    match route {
        Route::DictByName => Some(Layout::Dict),
        Route::SlotsByName => Some(Layout::Slots),
        Route::TableByName | Route::SlotsCachedIndex | Route::RecordField => None,
    }
}

/// CPython's counterpart of [`compared_layout`]: the plain class and the
/// slotted one, as they run.
fn compared_case(case: PyCase) -> Option<Layout> {
    match case {
        PyCase::Dict => Some(Layout::Dict),
        PyCase::Slots => Some(Layout::Slots),
        _ => None,
    }
}

/// "Faster attribute access": per runtime, is reading `.value` on slots
/// faster than on dict? (Rust: both by name; CPython: as it runs.)
pub fn judge_access(reads: &[Read]) -> crate::measure::Claim {
    let mut judged = Vec::new();
    let mut runtimes: Vec<&Runtime> = Vec::new();
    for read in reads {
        if !runtimes.contains(&&read.runtime) {
            runtimes.push(&read.runtime);
        }
    }
    for runtime in runtimes {
        let ns = |layout: Layout| {
            reads
                .iter()
                .find(|r| &r.runtime == runtime && r.layout == layout)
                .map(|r| r.ns_per_read)
        };
        if let (Some(d), Some(s)) = (ns(Layout::Dict), ns(Layout::Slots)) {
            let name = if runtime.is_rust() { "Rust" } else { "CPython" };
            judged.push((
                s < d,
                format!("reading .value takes {s:.1} ns on slots vs {d:.1} ns on dict in {name}"),
            ));
        }
    }
    super::claims::verdict(
        "Faster attribute access",
        judged,
        "needs dict and slots reads",
    )
}
