//! The baselines beside the stream: the same events compressed whole by
//! pco, Gorilla XOR and zstd-3, with no chunks.

use crate::lab::LabError;
use crate::measure::keys;
use crate::measure::{Clock, Measurement, Runtime, Stopwatch, TimeStats};
use slotlab_stream::source::Events;
use slotlab_stream::{Codec, Column, encode_column};
use std::time::Duration;

/// pco, Gorilla XOR and zstd-3 over whole series at once (no chunks).
pub(super) fn whole_series_rows(
    events: &Events,
    clock: &dyn Clock,
) -> Result<Vec<Measurement>, LabError> {
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
        .insert(keys::BYTES_PER_READING.to_owned(), bytes as f64 / n as f64);
    row.extra.insert(
        keys::ENCODE_M_PER_S.to_owned(),
        n as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6,
    );
    row
}
