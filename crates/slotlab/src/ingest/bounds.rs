//! What a run sets aside before it stores anything — two channels of
//! batches, a batch in each stage, each series' state — estimated from
//! the settings alone and checked against the memory the machine has, so
//! a size-like flag too large for it (`--queue 1e9`, `--sensors 1e9`) is
//! refused at once instead of being found by the OOM killer.

use super::{IngestConfig, IngestError};
use crate::measure::system;
use slotlab_stream::source::{SourceSpec, SyntheticSource};

/// What one series costs a run before its events do, at most, in any sink
/// (its key, its place in the sink's tables, the source's state for it).
/// `tests/ingest_bounds.rs` measures the real cost against this.
pub const PER_SERIES_BYTES: u64 = 2048;

/// Bytes one event takes in a batch beyond its fields: timestamp, series
/// id, creation stamp.
const EVENT_OVERHEAD_BYTES: u64 = 8 + 4 + 8;

/// Fields assumed for a file's events before its first line is read.
const FILE_FIELDS_ASSUMED: u64 = 8;

/// The up-front reserve, by part.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserve {
    /// Batches in flight: both channels full, and one batch in each stage.
    pub batches_bytes: f64,
    /// Series state.
    pub series_bytes: f64,
    /// What the batches are: `queue` batches of `batch` events per channel.
    pub queue: usize,
    /// Events per batch.
    pub batch: usize,
    /// Series the source names (0: not known before reading).
    pub series: u64,
}

impl Reserve {
    /// The whole reserve.
    pub fn total_bytes(&self) -> f64 {
        self.batches_bytes + self.series_bytes
    }

    /// The larger part.
    pub fn largest(&self) -> ReservePart {
        if self.batches_bytes >= self.series_bytes {
            ReservePart::Batches {
                queue: self.queue,
                batch: self.batch,
            }
        } else {
            ReservePart::Series {
                series: self.series,
            }
        }
    }
}

/// A part of the up-front reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservePart {
    /// Batches in flight.
    Batches {
        /// Batches per channel.
        queue: usize,
        /// Events per batch.
        batch: usize,
    },
    /// Series state.
    Series {
        /// Series the source names.
        series: u64,
    },
}

impl std::fmt::Display for ReservePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReservePart::Batches { queue, batch } => write!(
                f,
                "two channels of {queue} batches of {batch} events (and one batch in each stage)"
            ),
            ReservePart::Series { series } => write!(
                f,
                "{series} series at up to {PER_SERIES_BYTES} bytes each before any event is stored"
            ),
        }
    }
}

/// Series a source names before it runs (0 when only reading tells).
pub fn series_of(source: &SourceSpec) -> u64 {
    match source {
        SourceSpec::Sensors(s) => s.sensors as u64,
        SourceSpec::Ticks(t) => t.symbols as u64,
        SourceSpec::Lesson => 1,
        _ => 0,
    }
}

/// Fields of a source's events (assumed for files and stdin).
fn fields_of(source: &SourceSpec) -> u64 {
    match source {
        SourceSpec::Sensors(s) => s.schema().fields().len() as u64,
        SourceSpec::Ticks(t) => t.schema().fields().len() as u64,
        SourceSpec::Lesson => 1,
        _ => FILE_FIELDS_ASSUMED,
    }
}

/// The reserve `config` asks for.
pub fn reserve(config: &IngestConfig) -> Reserve {
    let event = (EVENT_OVERHEAD_BYTES + 8 * fields_of(&config.source)) as f64;
    // Two channels full, and one batch held by each of the three stages.
    let batches = (2.0 * config.queue as f64 + 3.0) * config.batch as f64 * event;
    let series = series_of(&config.source);
    Reserve {
        batches_bytes: batches,
        series_bytes: series as f64 * PER_SERIES_BYTES as f64,
        queue: config.queue,
        batch: config.batch,
        series,
    }
}

/// Refuses `config` when its reserve is more than `available` bytes (the
/// machine's available memory when `None` is passed and it can be read).
pub fn check(config: &IngestConfig, available: Option<u64>) -> Result<Reserve, IngestError> {
    let reserve = reserve(config);
    let available = available.or_else(system::available_memory_bytes);
    match available {
        Some(limit) if reserve.total_bytes() > limit as f64 => Err(IngestError::TooLarge {
            needed_bytes: reserve.total_bytes(),
            largest: reserve.largest(),
            available_bytes: limit,
        }),
        _ => Ok(reserve),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slotlab_stream::source::Sensors;

    fn config(queue: usize, batch: usize, sensors: usize) -> IngestConfig {
        let source = SourceSpec::Sensors(Sensors::new(sensors, Sensors::ONE_PER_SECOND_MS, 1));
        IngestConfig {
            queue,
            batch,
            ..IngestConfig::new(source, crate::ingest::Storage::Stream)
        }
    }

    #[test]
    fn huge_queues_batches_and_fleets_are_refused_before_anything_is_allocated() {
        let gib = 1u64 << 30;
        assert!(check(&config(16, 4096, 100), Some(gib)).is_ok());
        for (c, part) in [
            (
                config(1_000_000_000, 4096, 100),
                "two channels of 1000000000 batches",
            ),
            (config(16, 100_000_000, 100), "batches of 100000000 events"),
            (config(16, 4096, 1_000_000_000), "1000000000 series"),
        ] {
            let err = check(&c, Some(gib)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(part), "{text}");
            assert!(text.contains("but only 1.00 GiB is available"), "{text}");
        }
    }
}
