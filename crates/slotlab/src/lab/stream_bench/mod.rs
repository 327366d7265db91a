//! The event stream, measured: bytes per reading and encode/decode speed
//! for a source's events, next to the same events compressed whole by pco,
//! Gorilla XOR and zstd, and held as Rust records, Rust slots objects and
//! CPython slots objects.

mod baselines;
mod held;

use super::LabError;
use super::claims::verdict;
use super::experiment::{Context, Experiment};
use crate::measure::keys;
use crate::measure::{
    Claim, Measurement, RepeatPlan, Results, Runtime, Stopwatch, TimeStats, timing,
};
use baselines::whole_series_rows;
use held::{MAX_RECORD_FIELDS, cpython_row, records_row, slots_row};
use slotlab_stream::source::lines::{InputFormat, LineOptions, Reject};
use slotlab_stream::source::{Events, Lesson, SourceSpec, SyntheticSource, read_file};
use slotlab_stream::{CodecPolicy, Stream, StreamConfig};
use std::collections::BTreeMap;

/// A source as the stream experiment describes it in method lines.
pub fn describe_source(source: &SourceSpec) -> String {
    match source {
        SourceSpec::Lesson => "the lesson's readings (timestamp=i, value=i*0.1)".into(),
        SourceSpec::Sensors(s) => format!(
            "a fleet of {} sensors (seed {}, one reading per second each)",
            s.sensors, s.seed
        ),
        SourceSpec::Ticks(t) => format!(
            "ticks in {} symbols (seed {}; price on a cent grid, size)",
            t.symbols, t.seed
        ),
        SourceSpec::File(path) => format!("{}", path.display()),
        SourceSpec::Stdin => "standard input".to_owned(),
        _ => "another source".to_owned(),
    }
}

/// The stream measured on a source. The context's N is the events for
/// synthetic sources (a CSV file gives what it holds); its plan is the
/// warm-ups and measured runs of encode, decode and the object builds;
/// with an interpreter, the events are also held as CPython slots objects.
#[derive(Debug)]
pub struct StreamBench {
    /// Where the events come from: a synthetic source, or a file of
    /// NDJSON or CSV lines.
    pub source: SourceSpec,
    /// A file's format (`None`: from its extension).
    pub input: Option<InputFormat>,
    /// How a file's lines become events.
    pub lines: LineOptions,
    /// After a run: the lines of a file that were rejected, with their
    /// text (when [`LineOptions::keep_rejects`] asked for them).
    pub rejects: Vec<Reject>,
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
        format!("stream {}", describe_source(&self.source))
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

/// Refuses a fleet whose series alone would not fit in memory.
fn check_series(source: &SourceSpec) -> Result<(), LabError> {
    use crate::ingest::bounds::{PER_SERIES_BYTES, series_of};
    let series = series_of(source);
    let needed_bytes = series as f64 * PER_SERIES_BYTES as f64;
    match crate::measure::system::available_memory_bytes() {
        Some(available_bytes) if needed_bytes > available_bytes as f64 => {
            Err(LabError::TooManySeries {
                series,
                needed_bytes,
                available_bytes,
            })
        }
        _ => Ok(()),
    }
}

fn load(config: &mut StreamBench, n: u64, notes: &mut Vec<String>) -> Result<Events, LabError> {
    let n = usize::try_from(n).map_err(|_| LabError::TooManyEvents(n))?;
    let synthetic = |events: Events| {
        if events.is_empty() {
            Err(LabError::NoEvents)
        } else {
            Ok(events)
        }
    };
    match &config.source {
        SourceSpec::Lesson => synthetic(Lesson::default().generate(n)),
        SourceSpec::Sensors(sensors) => synthetic(sensors.clone().generate(n)),
        SourceSpec::Ticks(ticks) => synthetic(ticks.clone().generate(n)),
        SourceSpec::File(path) => {
            let mut read = read_file(path, config.input, config.lines.clone())?;
            config.rejects = std::mem::take(&mut read.rejects);
            let fields: Vec<String> = read
                .events
                .schema
                .fields()
                .iter()
                .map(|f| format!("{} ({})", f.name, f.kind))
                .collect();
            notes.push(format!(
                "{}: {} events read; timestamps from field {:?}; fields {}; {} series",
                path.display(),
                read.events.len(),
                read.timestamp_field,
                fields.join(", "),
                read.events.keys.len()
            ));
            if read.naive_times_as_utc {
                notes.push(
                    "date-times without an offset were taken as UTC (epoch milliseconds)"
                        .to_owned(),
                );
            }
            if read.rejected > 0 {
                let shown: Vec<String> = read.bad.iter().take(5).map(ToString::to_string).collect();
                notes.push(format!(
                    "rejected {} bad lines (not stored; --strict stops at the first): {}{}",
                    read.rejected,
                    shown.join("; "),
                    if read.rejected > 5 { "; …" } else { "" }
                ));
            }
            Ok(read.events)
        }
        _ => Err(LabError::NotAFileSource),
    }
}

/// Runs encode and decode, then the comparison rows.
fn run(config: &mut StreamBench, cx: &mut Context<'_>) -> Result<(Results, Stream), LabError> {
    let (clock, plan) = (cx.clock, cx.plan);
    if !matches!(config.source, SourceSpec::File(_)) {
        // Events, stream, records and objects all at once: the dict
        // layout's estimate (the largest per object) bounds them.
        super::lesson::check_fits(crate::ingest::Storage::Dict, cx.n)?;
        check_series(&config.source)?;
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
    // The plan has at least one measured run, so the stream was encoded.
    let Some(stream) = stream else {
        return Err(LabError::NoEvents);
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
        (keys::BYTES_PER_READING.to_owned(), per(bytes.total())),
        (
            keys::TIMESTAMP_BYTES_PER_READING.to_owned(),
            per(bytes.timestamps),
        ),
        (keys::KEY_BYTES.to_owned(), bytes.keys as f64),
        (
            keys::ENCODE_M_PER_S.to_owned(),
            n as f64 / encode_time.median_s / 1e6,
        ),
        (
            keys::DECODE_M_PER_S.to_owned(),
            n as f64 / decode_time.median_s / 1e6,
        ),
        (keys::DECODE_MEDIAN_S.to_owned(), decode_time.median_s),
        (
            keys::SEALED_CHUNKS.to_owned(),
            stream.sealed_chunks() as f64,
        ),
        (keys::SERIES.to_owned(), stream.series_keys().count() as f64),
    ]);
    for (i, field_bytes) in bytes.fields.iter().enumerate() {
        extra.insert(format!("field_{i}_bytes_per_reading"), per(*field_bytes));
    }
    if let Some(ok) = verified {
        extra.insert(keys::VERIFIED.to_owned(), if ok { 1.0 } else { 0.0 });
    }
    let policy = match config.codecs {
        CodecPolicy::Smallest => {
            "each column of each chunk sealed with the smallest of int packing, decimal, gorilla xor and pco"
        }
        CodecPolicy::HandWritten => {
            "each column of each chunk sealed with the smallest of the hand-written codecs (int packing, decimal, gorilla xor)"
        }
        CodecPolicy::Sampled => {
            "each column of each chunk sealed with the smallest of the hand-written codecs (int packing, decimal, gorilla xor), or with pco where a sample of the column and then the whole column show it saves at least 5%"
        }
        _ => "every column sealed with pco",
    };
    let method = format!(
        "stream: {} appended one by one into {}-event chunks per series, {policy}; time = encode \
         (append + seal, {}), decode (every series scanned whole) in extra; bytes = encoded \
         columns + series keys held",
        describe_source(&config.source),
        config.chunk_len,
        plan.describe(),
    );
    let label = match config.codecs {
        CodecPolicy::Smallest => "stream (smallest codec per chunk)",
        CodecPolicy::HandWritten => "stream (hand-written codecs)",
        CodecPolicy::Sampled => "stream (hand-written codecs, pco where it pays)",
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
        SourceSpec::Lesson => Some((LESSON_GOAL_BYTES, "the lesson's readings")),
        SourceSpec::File(_) => Some((
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
