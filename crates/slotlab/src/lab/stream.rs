//! The event stream, measured: bytes per reading and encode/decode speed
//! for a source's events, next to the same events compressed whole by pco,
//! Gorilla XOR and zstd, and held as Rust records, Rust slots objects and
//! CPython slots objects.

use super::LabError;
use super::claims::verdict;
use super::experiment::{Context, Experiment};
use crate::measure::alloc::{self, AllocScope};
use crate::measure::{
    Claim, Clock, Measurement, RepeatPlan, Results, Runtime, Stopwatch, TimeStats, timing,
};
use crate::model::{Class, Instance, Str, Value};
use crate::python::{PyMode, Python};
use slotlab_stream::source::{
    CsvOptions, Events, Lesson, Sensors, SyntheticSource, Ticks, read_csv,
};
use slotlab_stream::{Codec, CodecPolicy, Column, FieldKind, Stream, StreamConfig, encode_column};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Where the events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamSource {
    /// The lesson's readings: timestamp `i`, value `i*0.1`.
    Lesson,
    /// A seeded sensor fleet.
    Sensors {
        /// Sensors.
        sensors: usize,
        /// Seed.
        seed: u64,
    },
    /// Seeded financial ticks.
    Ticks {
        /// Symbols.
        symbols: usize,
        /// Seed.
        seed: u64,
    },
    /// A CSV file.
    Csv {
        /// The file.
        path: PathBuf,
        /// Stop at the first bad row.
        strict: bool,
    },
}

impl StreamSource {
    /// A short description for method lines.
    pub fn describe(&self) -> String {
        match self {
            StreamSource::Lesson => "the lesson's readings (timestamp=i, value=i*0.1)".into(),
            StreamSource::Sensors { sensors, seed } => {
                format!("a fleet of {sensors} sensors (seed {seed}, one reading per second each)")
            }
            StreamSource::Ticks { symbols, seed } => {
                format!("ticks in {symbols} symbols (seed {seed}; price on a cent grid, size)")
            }
            StreamSource::Csv { path, .. } => format!("{}", path.display()),
        }
    }
}

/// The stream measured on a source. The context's N is the events for
/// synthetic sources (a CSV file gives what it holds); its plan is the
/// warm-ups and measured runs of encode, decode and the object builds;
/// with an interpreter, the events are also held as CPython slots objects.
#[derive(Debug)]
pub struct StreamBench {
    /// Where the events come from.
    pub source: StreamSource,
    /// Events per sealed chunk.
    pub chunk_len: usize,
    /// Codecs the chunks may choose from.
    pub codecs: CodecPolicy,
    /// Decode everything and compare bit for bit with the input.
    pub verify: bool,
    /// After a run: the encoded stream (for saving).
    pub stream: Option<Stream>,
}

impl Experiment for StreamBench {
    fn name(&self) -> &'static str {
        "stream"
    }

    fn title(&self, _: &Context<'_>) -> String {
        format!("stream {}", self.source.describe())
    }

    fn steps(&self, _: &Context<'_>) -> Option<u64> {
        None
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        let (results, stream) = run(self, cx)?;
        self.stream = Some(stream);
        Ok(results)
    }
}

/// The goals.
const LESSON_GOAL_BYTES: f64 = 0.05;
const REAL_DATA_GOAL_BYTES: f64 = 1.0;
const ENCODE_GOAL_M: f64 = 50.0;
const DECODE_GOAL_M: f64 = 200.0;

fn load(config: &StreamBench, n: u64, notes: &mut Vec<String>) -> Result<Events, LabError> {
    let n = usize::try_from(n).map_err(|_| LabError::ZeroN)?;
    let synthetic = |events: Events| {
        if events.is_empty() {
            Err(LabError::ZeroN)
        } else {
            Ok(events)
        }
    };
    match &config.source {
        StreamSource::Lesson => synthetic(Lesson::default().generate(n)),
        StreamSource::Sensors { sensors, seed } => {
            synthetic(Sensors::new(*sensors, 1000, *seed).generate(n))
        }
        StreamSource::Ticks { symbols, seed } => synthetic(Ticks::new(*symbols, *seed).generate(n)),
        StreamSource::Csv { path, strict } => {
            let read = read_csv(path, CsvOptions { strict: *strict })?;
            let fields: Vec<String> = read
                .events
                .schema
                .fields()
                .iter()
                .map(|f| format!("{} ({})", f.name, f.kind))
                .collect();
            notes.push(format!(
                "{}: {} rows read; timestamps from column {:?}; fields {}; {} series",
                path.display(),
                read.events.len(),
                read.timestamp_column,
                fields.join(", "),
                read.events.keys.len()
            ));
            if read.rejected > 0 {
                let shown: Vec<String> = read
                    .bad
                    .iter()
                    .take(5)
                    .map(|b| format!("line {}: {}", b.line, b.reason))
                    .collect();
                notes.push(format!(
                    "rejected {} bad rows (not stored; --strict stops at the first): {}{}",
                    read.rejected,
                    shown.join("; "),
                    if read.rejected > 5 { "; …" } else { "" }
                ));
            }
            Ok(read.events)
        }
    }
}

/// Runs encode and decode, then the comparison rows.
fn run(config: &StreamBench, cx: &mut Context<'_>) -> Result<(Results, Stream), LabError> {
    let (clock, plan) = (cx.clock, cx.plan);
    if !matches!(config.source, StreamSource::Csv { .. }) {
        // Events, stream, records and objects all at once: the dict
        // layout's estimate (the largest per object) bounds them.
        super::seed::check_fits(super::seed::SeedLayout::Dict, cx.n)?;
    }
    let mut notes = Vec::new();
    cx.step("load events");
    let events = load(config, cx.n, &mut notes)?;
    let n = events.len() as u64;
    let stream_config = StreamConfig {
        chunk_len: config.chunk_len,
        codecs: config.codecs,
    };
    cx.step("stream encode");
    let mut stream = None;
    let encode_time = timing::repeat(plan, |_| {
        let stopwatch = Stopwatch::start(clock);
        let encoded = events.to_stream(stream_config)?;
        let elapsed = stopwatch.elapsed();
        stream = Some(encoded);
        Ok::<_, LabError>(elapsed)
    })?;
    let Some(stream) = stream else {
        return Err(LabError::ZeroN);
    };
    cx.step("stream decode");
    let ids: Vec<_> = events
        .keys
        .iter()
        .filter_map(|k| stream.find_series(k))
        .collect();
    let decode_time = timing::repeat(plan, |_| {
        let stopwatch = Stopwatch::start(clock);
        let mut decoded = 0;
        for &id in &ids {
            decoded += std::hint::black_box(stream.scan(id, i64::MIN, i64::MAX)?).len();
        }
        let elapsed = stopwatch.elapsed();
        debug_assert_eq!(decoded as u64, n);
        Ok::<_, LabError>(elapsed)
    })?;
    let verified = if config.verify {
        cx.step("verify");
        Some(events.matches(&stream)?)
    } else {
        None
    };
    let stream_row = stream_row(
        config,
        plan,
        &stream,
        n,
        encode_time,
        &decode_time,
        verified,
    );
    let encode_m = n as f64 / stream_row.time.median_s / 1e6;
    let decode_m = n as f64 / decode_time.median_s / 1e6;
    notes.push(codec_note(&stream, n));
    let mut measurements = vec![stream_row];
    cx.step("whole-series codecs");
    measurements.extend(whole_series_rows(&events, clock)?);
    #[cfg(not(feature = "zstd"))]
    notes.push("no zstd-3 row: this slotlab was built without its zstd feature".to_owned());
    cx.step("rust records");
    if let Some(row) = records_row(&events, plan, clock)? {
        measurements.push(row);
    } else {
        notes.push(format!(
            "records skipped: {} fields is more than the {MAX_RECORD_FIELDS} the record row covers",
            events.schema.fields().len()
        ));
    }
    cx.step("rust slots objects");
    measurements.push(slots_row(&events, plan, clock)?);
    if let Some(python) = cx.python.clone() {
        cx.step("cpython slots objects");
        measurements.push(cpython_row(&events, &python)?);
    }
    match verified {
        Some(true) => notes.push(format!(
            "verified: all {n} decoded events equal the input, bit for bit, series by series"
        )),
        Some(false) => {
            notes.push("VERIFY FAILED: the decoded stream differs from the input".into())
        }
        None => {}
    }
    let per_reading = measurements[0].bytes_per_object;
    let claims = goals(
        config,
        per_reading,
        verified,
        encode_m,
        decode_m,
        &measurements,
    );
    let results = Results {
        measurements,
        claims,
        notes,
        verified,
        ..Results::default()
    };
    Ok((results, stream))
}

fn stream_row(
    config: &StreamBench,
    plan: RepeatPlan,
    stream: &Stream,
    n: u64,
    encode_time: TimeStats,
    decode_time: &TimeStats,
    verified: Option<bool>,
) -> Measurement {
    let bytes = stream.bytes();
    let per = |b: usize| b as f64 / n as f64;
    let mut extra = BTreeMap::from([
        ("bytes_per_reading".to_owned(), per(bytes.total())),
        (
            "timestamp_bytes_per_reading".to_owned(),
            per(bytes.timestamps),
        ),
        ("key_bytes".to_owned(), bytes.keys as f64),
        (
            "encode_m_per_s".to_owned(),
            n as f64 / encode_time.median_s / 1e6,
        ),
        (
            "decode_m_per_s".to_owned(),
            n as f64 / decode_time.median_s / 1e6,
        ),
        ("decode_median_s".to_owned(), decode_time.median_s),
        ("sealed_chunks".to_owned(), stream.sealed_chunks() as f64),
        ("series".to_owned(), stream.series_keys().count() as f64),
    ]);
    for (i, field_bytes) in bytes.fields.iter().enumerate() {
        extra.insert(format!("field_{i}_bytes_per_reading"), per(*field_bytes));
    }
    if let Some(ok) = verified {
        extra.insert("verified".to_owned(), if ok { 1.0 } else { 0.0 });
    }
    let policy = match config.codecs {
        CodecPolicy::Smallest => {
            "each column of each chunk sealed with the smallest of int packing, decimal, gorilla xor and pco"
        }
        CodecPolicy::HandWritten => {
            "each column of each chunk sealed with the smallest of the hand-written codecs (int packing, decimal, gorilla xor)"
        }
        _ => "every column sealed with pco",
    };
    let method = format!(
        "stream: {} appended one by one into {}-event chunks per series, {policy}; time = encode \
         (append + seal, {}), decode (every series scanned whole) in extra; bytes = encoded \
         columns + series keys held",
        config.source.describe(),
        config.chunk_len,
        plan.describe(),
    );
    let label = match config.codecs {
        CodecPolicy::Smallest => "stream (smallest codec per chunk)",
        CodecPolicy::HandWritten => "stream (hand-written codecs)",
        _ => "stream (pco chunks)",
    };
    let mut row = Measurement::new(
        "stream",
        Runtime::Rust,
        label,
        n,
        plan.warmup,
        encode_time,
        method,
    )
    .with_peak(bytes.total() as u64);
    row.extra = extra;
    row
}

/// "per column: timestamps 0.0001 B/reading (int packing ×16), …".
fn codec_note(stream: &Stream, n: u64) -> String {
    let bytes = stream.bytes();
    let sizes = std::iter::once(bytes.timestamps).chain(bytes.fields.iter().copied());
    let parts: Vec<String> = stream
        .codec_use()
        .into_iter()
        .zip(sizes)
        .map(|((name, codecs), size)| {
            let used: Vec<String> = codecs
                .iter()
                .map(|(codec, chunks)| format!("{codec} ×{chunks}"))
                .collect();
            format!(
                "{name} {:.4} B/reading ({})",
                size as f64 / n as f64,
                used.join(", ")
            )
        })
        .collect();
    format!(
        "stream columns: {}; series keys {} B; raw = {} B/reading",
        parts.join("; "),
        bytes.keys,
        stream.schema().raw_event_bytes()
    )
}

/// pco, Gorilla XOR and zstd-3 over whole series at once (no chunks).
fn whole_series_rows(events: &Events, clock: &dyn Clock) -> Result<Vec<Measurement>, LabError> {
    let n = events.len() as u64;
    let series = events.by_series();
    let keys: usize = events.keys.iter().map(String::len).sum();
    let mut rows = Vec::new();
    for (label, float_codec, what) in [
        (
            "pco, whole series",
            Codec::Pco,
            "pco over each series' timestamp and field columns whole",
        ),
        (
            "gorilla xor, whole series",
            Codec::Gorilla,
            "Gorilla XOR for float columns, delta-of-delta int packing for timestamps and \
             integer columns, each series whole",
        ),
    ] {
        let stopwatch = Stopwatch::start(clock);
        let mut bytes = keys;
        for batch in &series {
            let int_codec = if float_codec == Codec::Pco {
                Codec::Pco
            } else {
                Codec::Ints
            };
            bytes += encode_column(&Column::I64(batch.timestamps.clone()), int_codec)?.len();
            for column in &batch.columns {
                let codec = match column {
                    Column::F64(_) => float_codec,
                    Column::I64(_) => int_codec,
                };
                bytes += encode_column(column, codec)?.len();
            }
        }
        let elapsed = stopwatch.elapsed();
        rows.push(whole_row(label, n, elapsed, bytes, what));
    }
    #[cfg(feature = "zstd")]
    rows.push(zstd_row(events, clock)?);
    Ok(rows)
}

/// zstd level 3 over the raw records, all at once: the general-purpose
/// baseline (a C library, so behind the `zstd` feature).
#[cfg(feature = "zstd")]
fn zstd_row(events: &Events, clock: &dyn Clock) -> Result<Measurement, LabError> {
    let n = events.len() as u64;
    let raw = events.raw_records();
    let stopwatch = Stopwatch::start(clock);
    let compressed = zstd::bulk::compress(&raw, 3).map_err(LabError::Compress)?;
    let elapsed = stopwatch.elapsed();
    Ok(whole_row(
        "zstd-3, raw records",
        n,
        elapsed,
        compressed.len(),
        &format!(
            "zstd level 3 over the raw records ({} B each: {}timestamp, 8 B per field), all at \
             once",
            events.raw_record_bytes(),
            if events.keys.len() > 1 {
                "series u32, "
            } else {
                ""
            }
        ),
    ))
}

fn whole_row(label: &str, n: u64, elapsed: Duration, bytes: usize, what: &str) -> Measurement {
    let mut row = Measurement::new(
        "stream",
        Runtime::Rust,
        label,
        n,
        0,
        TimeStats::from_samples(&[elapsed]),
        format!(
            "{label}: {what}; time = compressing once; bytes = compressed output + series keys"
        ),
    )
    .with_peak(bytes as u64);
    row.extra
        .insert("bytes_per_reading".to_owned(), bytes as f64 / n as f64);
    row.extra.insert(
        "encode_m_per_s".to_owned(),
        n as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6,
    );
    row
}

/// The widest record the records row builds.
const MAX_RECORD_FIELDS: usize = 4;

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
    events.columns.iter().map(move |c| match c {
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
        for (i, (&s, &t)) in events.series.iter().zip(&events.timestamps).enumerate() {
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
        for (i, &t) in events.timestamps.iter().enumerate() {
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

fn records_row(
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
    Ok(crate::ingest::event_class(&events.schema, keyed, true)?)
}

fn slots_row(
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
        for (i, (&s, &t)) in events.series.iter().zip(&events.timestamps).enumerate() {
            let mut object = Instance::new(&class);
            let mut slot = names.iter();
            if keyed && let Some(name) = slot.next() {
                object.set_attr(name, keys[s as usize].clone())?;
            }
            if let Some(name) = slot.next() {
                object.set_attr(name, Value::Int(t))?;
            }
            for (name, column) in slot.zip(&events.columns) {
                let value = match column {
                    Column::F64(v) => Value::Float(v[i]),
                    Column::I64(v) => Value::Int(v[i]),
                };
                object.set_attr(name, value)?;
            }
            data.push(object);
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

/// Writes the events for `cases.py hold`: a JSON line, then columns.
fn write_for_python(events: &Events, path: &std::path::Path) -> Result<(), LabError> {
    let kinds: Vec<&str> = events
        .schema
        .fields()
        .iter()
        .map(|f| match f.kind {
            FieldKind::F64 => "f64",
            FieldKind::I64 => "i64",
        })
        .collect();
    let header = serde_json::json!({ "n": events.len(), "keys": events.keys, "kinds": kinds });
    let mut out = format!("{header}\n").into_bytes();
    if events.keys.len() > 1 {
        out.extend(events.series.iter().flat_map(|s| s.to_le_bytes()));
    }
    out.extend(events.timestamps.iter().flat_map(|t| t.to_le_bytes()));
    for column in &events.columns {
        match column {
            Column::F64(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
            Column::I64(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
        }
    }
    std::fs::write(path, out).map_err(|e| LabError::Io(format!("{}: {e}", path.display())))
}

fn cpython_row(events: &Events, python: &Python) -> Result<Measurement, LabError> {
    let path = std::env::temp_dir().join(format!("slotlab-events-{}.bin", std::process::id()));
    write_for_python(events, &path)?;
    let held = python.hold(&path);
    let _ = std::fs::remove_file(&path);
    let held = held?;
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

fn goals(
    config: &StreamBench,
    per_reading: f64,
    verified: Option<bool>,
    encode_m: f64,
    decode_m: f64,
    rows: &[Measurement],
) -> Vec<Claim> {
    let pco = rows
        .iter()
        .find(|m| m.layout.starts_with("pco"))
        .map_or(f64::NAN, |m| m.bytes_per_object);
    let size_goal = match config.source {
        StreamSource::Lesson => Some((LESSON_GOAL_BYTES, "the lesson's readings")),
        StreamSource::Csv { .. } => Some((
            REAL_DATA_GOAL_BYTES,
            "real data (the goal set for hourly temperatures)",
        )),
        _ => None,
    };
    let mut claims = Vec::new();
    if let Some((goal, what)) = size_goal {
        let mut judged = vec![(
            per_reading <= goal,
            format!(
                "{per_reading:.4} B/reading streamed in chunks (pco on whole series: {pco:.4})"
            ),
        )];
        if let Some(ok) = verified {
            judged.push((
                ok,
                if ok {
                    "bit-exact round trip".into()
                } else {
                    "round trip NOT exact".into()
                },
            ));
        }
        claims.push(verdict(
            &format!("≤ {goal} bytes per reading on {what}"),
            judged,
            "",
        ));
    }
    claims.push(verdict(
        &format!("encode ≥ {ENCODE_GOAL_M}M readings/s on one core"),
        vec![(encode_m >= ENCODE_GOAL_M, format!("{encode_m:.1}M/s"))],
        "",
    ));
    claims.push(verdict(
        &format!("decode ≥ {DECODE_GOAL_M}M readings/s on one core"),
        vec![(decode_m >= DECODE_GOAL_M, format!("{decode_m:.1}M/s"))],
        "",
    ));
    claims
}
