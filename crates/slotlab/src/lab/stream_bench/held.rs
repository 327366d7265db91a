//! The same events held as objects and records: Rust records (fixed-width
//! rows), the model's slots objects, CPython's slots objects.

use crate::lab::LabError;
use crate::measure::alloc::{self, AllocScope};
use crate::measure::{Clock, Measurement, RepeatPlan, Runtime, Stopwatch, TimeStats, timing};
use crate::model::{Class, Str, Value};
use crate::python::{PyMode, Python};
use slotlab_stream::Column;
use slotlab_stream::source::Events;
use std::time::Duration;

/// The widest record the records row builds.
pub(super) const MAX_RECORD_FIELDS: usize = 4;

/// A fixed-layout record: timestamp, series (omitted with one series) and
/// each field's 8 bytes — what `#[derive(Record)]` lays out for that shape.
#[derive(Clone, Copy)]
struct KeyedRecord<const K: usize> {
    timestamp: i64,
    series: u32,
    values: [u64; K],
}

#[derive(Clone, Copy)]
struct Record<const K: usize> {
    timestamp: i64,
    values: [u64; K],
}

fn field_bits(events: &Events, i: usize) -> impl Iterator<Item = u64> + '_ {
    events.batch.columns.iter().map(move |c| match c {
        Column::F64(v) => v[i].to_bits(),
        Column::I64(v) => v[i] as u64,
    })
}

fn fill<const K: usize>(events: &Events, i: usize) -> [u64; K] {
    let mut values = [0u64; K];
    for (slot, bits) in values.iter_mut().zip(field_bits(events, i)) {
        *slot = bits;
    }
    values
}

/// Builds all records once, in one exactly sized Vec: (elapsed, peak bytes).
fn build_records<const K: usize>(events: &Events, clock: &dyn Clock) -> (Duration, u64, usize) {
    let scope = AllocScope::start();
    let stopwatch = Stopwatch::start(clock);
    let (elapsed, size) = if events.keys.len() > 1 {
        let mut data = Vec::with_capacity(events.len());
        for (i, (&s, &t)) in events
            .series
            .iter()
            .zip(&events.batch.timestamps)
            .enumerate()
        {
            data.push(KeyedRecord::<K> {
                timestamp: t,
                series: s,
                values: fill(events, i),
            });
        }
        let elapsed = stopwatch.elapsed();
        let data = std::hint::black_box(data);
        // Read every record back (outside the window): the build is real.
        let check = data.iter().fold(0u64, |a, r| {
            a ^ r.timestamp as u64 ^ u64::from(r.series) ^ r.values[0]
        });
        std::hint::black_box(check);
        (elapsed, size_of::<KeyedRecord<K>>())
    } else {
        let mut data = Vec::with_capacity(events.len());
        for (i, &t) in events.batch.timestamps.iter().enumerate() {
            data.push(Record::<K> {
                timestamp: t,
                values: fill(events, i),
            });
        }
        let elapsed = stopwatch.elapsed();
        let data = std::hint::black_box(data);
        let check = data
            .iter()
            .fold(0u64, |a, r| a ^ r.timestamp as u64 ^ r.values[0]);
        std::hint::black_box(check);
        (elapsed, size_of::<Record<K>>())
    };
    (elapsed, scope.stats().peak_bytes, size)
}

pub(super) fn records_row(
    events: &Events,
    plan: RepeatPlan,
    clock: &dyn Clock,
) -> Result<Option<Measurement>, LabError> {
    let build = match events.schema.fields().len() {
        1 => build_records::<1>,
        2 => build_records::<2>,
        3 => build_records::<3>,
        4 => build_records::<4>,
        _ => return Ok(None),
    };
    let mut peak = 0;
    let mut record_size = 0;
    let time = timing::repeat(plan, |_| {
        let (elapsed, bytes, size) = build(events, clock);
        peak = peak.max(bytes);
        record_size = size;
        Ok::<_, LabError>(elapsed)
    })?;
    let method = format!(
        "records: one {record_size}-byte struct per event (timestamp, {}8 B per field) in one \
         exactly sized Vec; time = building it ({}); bytes = peak requested heap bytes, counted \
         by slotlab's tracking allocator",
        if events.keys.len() > 1 {
            "series id, "
        } else {
            ""
        },
        plan.describe(),
    );
    Ok(Some(
        Measurement::new(
            "stream",
            Runtime::Rust,
            "records",
            events.len() as u64,
            plan.warmup,
            time,
            method,
        )
        .with_peak(peak),
    ))
}

/// The slots class for `events` and its attribute names.
fn event_class(events: &Events) -> Result<(Class, Vec<Str>), LabError> {
    let keyed = events.keys.len() > 1;
    Ok(crate::ingest::event_class(
        &events.schema,
        keyed,
        crate::model::Layout::Slots,
    )?)
}

pub(super) fn slots_row(
    events: &Events,
    plan: RepeatPlan,
    clock: &dyn Clock,
) -> Result<Measurement, LabError> {
    if !alloc::is_installed() {
        return Err(LabError::AllocatorNotInstalled);
    }
    let (class, names) = event_class(events)?;
    let keys: Vec<Value> = events
        .keys
        .iter()
        .map(|k| Value::Str(Str::intern(k)))
        .collect();
    let keyed = events.keys.len() > 1;
    let mut peak = 0;
    let time = timing::repeat(plan, |_| {
        let scope = AllocScope::start();
        let stopwatch = Stopwatch::start(clock);
        let mut data = Vec::with_capacity(events.len());
        let keys = keyed.then_some(keys.as_slice());
        for i in 0..events.len() {
            data.push(crate::ingest::event_object(
                &class, &names, keys, events, i,
            )?);
        }
        let elapsed = stopwatch.elapsed();
        let data = std::hint::black_box(data);
        peak = peak.max(scope.stats().peak_bytes);
        drop(data);
        Ok::<_, LabError>(elapsed)
    })?;
    let method = format!(
        "slots: one object-model instance per event, __slots__ = ({}), set by attribute name{}; \
         time = building the list ({}); bytes = peak requested heap bytes, counted by slotlab's \
         tracking allocator",
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        if keyed {
            ", series keys shared (interned)"
        } else {
            ""
        },
        plan.describe(),
    );
    Ok(Measurement::new(
        "stream",
        Runtime::Rust,
        "slots",
        events.len() as u64,
        plan.warmup,
        time,
        method,
    )
    .with_peak(peak))
}

pub(super) fn cpython_row(events: &Events, python: &Python) -> Result<Measurement, LabError> {
    let held = python.hold(events)?;
    let method = format!(
        "CPython {} slots: one object per event of a class with __slots__ (series as a shared \
         interned str, timestamp int, fields float/int), built from the same events in a fresh \
         interpreter; bytes = tracemalloc's traced peak (list included); time = the traced \
         build, once",
        held.python_version
    );
    Ok(Measurement::new(
        "stream",
        python.info().runtime(PyMode::Tracemalloc),
        "slots",
        held.n,
        0,
        TimeStats::from_secs(&[held.build_s]),
        method,
    )
    .with_peak(held.peak_bytes))
}
