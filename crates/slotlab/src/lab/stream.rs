//! The event stream, measured: bytes per reading and encode/decode speed
//! for the lesson's readings, next to the same data held as objects.

use super::LabError;
use super::seed::{self, SeedConfig, SeedLayout};
use crate::measure::{Clock, Measurement, RepeatPlan, Results, Stopwatch, timing};
use crate::python::{CaseOutcome, PyCase, PyMode, Python};
use crate::stream::{Stream, StreamConfig};
use std::collections::BTreeMap;

/// What to run.
#[derive(Debug, Clone)]
pub struct StreamBenchConfig {
    /// Readings.
    pub n: u64,
    /// Events per sealed chunk.
    pub chunk_len: usize,
    /// Warm-ups and measured runs of encode and decode.
    pub plan: RepeatPlan,
    /// Decode everything and compare bit for bit with the input.
    pub verify: bool,
    /// Also measure the same readings as CPython slots objects.
    pub python: Option<String>,
}

/// The lesson's reading `i`.
fn reading(i: u64) -> (i64, f64) {
    (i as i64, i as f64 * 0.1)
}

/// Encodes all N readings into a fresh stream (sealing the last chunk).
fn encode(n: u64, chunk_len: usize) -> Result<Stream, LabError> {
    let mut stream = Stream::new(StreamConfig { chunk_len });
    for i in 0..n {
        let (t, v) = reading(i);
        stream.append(t, v)?;
    }
    stream.seal()?;
    Ok(stream)
}

/// Runs encode and decode, then the comparison rows.
pub fn run(
    config: &StreamBenchConfig,
    clock: &dyn Clock,
    on_step: &mut dyn FnMut(&str),
) -> Result<Results, LabError> {
    let n = config.n;
    if n == 0 {
        return Err(LabError::ZeroN);
    }
    on_step("stream encode");
    let mut stream = None;
    let encode_time = timing::repeat(config.plan, |_| {
        let stopwatch = Stopwatch::start(clock);
        let encoded = encode(n, config.chunk_len)?;
        let elapsed = stopwatch.elapsed();
        stream = Some(encoded);
        Ok::<_, LabError>(elapsed)
    })?;
    let Some(stream) = stream else {
        return Err(LabError::ZeroN);
    };
    on_step("stream decode");
    let mut decoded = Vec::new();
    let decode_time = timing::repeat(config.plan, |_| {
        let stopwatch = Stopwatch::start(clock);
        decoded = stream.events()?;
        Ok::<_, LabError>(stopwatch.elapsed())
    })?;
    let verified = if config.verify {
        on_step("verify");
        decoded.len() as u64 == n
            && decoded.iter().enumerate().all(|(i, (t, v))| {
                let (want_t, want_v) = reading(i as u64);
                *t == want_t && v.to_bits() == want_v.to_bits()
            })
    } else {
        false
    };
    let bytes = stream.bytes();
    let per = |b: usize| b as f64 / n as f64;
    let mut extra = BTreeMap::from([
        ("bytes_per_reading".to_owned(), per(bytes.total())),
        (
            "timestamp_bytes_per_reading".to_owned(),
            per(bytes.timestamps),
        ),
        ("value_bytes_per_reading".to_owned(), per(bytes.values)),
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
    ]);
    if config.verify {
        extra.insert("verified".to_owned(), if verified { 1.0 } else { 0.0 });
    }
    let method = format!(
        "stream: the lesson's readings appended into {}-event chunks sealed with pco; time = \
         encode (append + seal), decode time in extra; bytes = the encoded columns held",
        config.chunk_len
    );
    let mut stream_row = Measurement::new(
        "stream",
        "rust",
        "stream (pco chunks)",
        n,
        config.plan.warmup,
        encode_time,
        method,
    )
    .with_peak(bytes.total() as u64);
    stream_row.extra = extra;
    let mut measurements = vec![stream_row];
    // The same readings held as objects and records, measured as seed does.
    for layout in [SeedLayout::Record, SeedLayout::Slots] {
        on_step(&format!("rust {layout}"));
        let seed_config = SeedConfig {
            n,
            layout,
            plan: config.plan,
        };
        measurements.push(seed::run(&seed_config, clock, &mut |_| {})?);
    }
    let mut notes = Vec::new();
    if let Some(interpreter) = &config.python {
        on_step("cpython slots");
        let python = Python::probe(interpreter)?;
        match python.run_case(
            PyCase::Slots,
            PyMode::Tracemalloc,
            n,
            RepeatPlan {
                warmup: 0,
                repetitions: 1,
            },
        )? {
            CaseOutcome::Measured(m) => measurements.push(*m),
            CaseOutcome::Skipped { reason, .. } => notes.push(format!("skipped: {reason}")),
        }
    }
    if config.verify {
        notes.push(if verified {
            format!("verified: all {n} decoded readings equal the input, bit for bit")
        } else {
            "VERIFY FAILED: the decoded stream differs from the input".to_owned()
        });
    }
    Ok(Results {
        measurements,
        claims: Vec::new(),
        notes,
    })
}
