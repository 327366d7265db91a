//! Where events come from: the lesson's readings, a seeded sensor fleet,
//! seeded financial ticks, and NDJSON or CSV files (one line reader) — all as [`Events`], one column
//! per field, so every layout is fed the same data.
//!
//! ```
//! use slotlab_stream::source::{Sensors, SyntheticSource};
//!
//! let events = Sensors::default().generate(1000);
//! assert_eq!(events.len(), 1000);
//! assert_eq!(events.keys.len(), 100); // sensor-000 .. sensor-099
//! // Seeded: the same configuration gives the same events.
//! assert_eq!(events, Sensors::default().generate(1000));
//! ```

pub mod blocks;
pub mod lines;
pub mod ndjson;
pub mod parquet;
mod replay;
mod skeleton;
mod spec;
mod synthetic;
pub mod time;
pub mod value;

pub use blocks::read_file;
pub use lines::FileEvents;
pub use replay::Replay;
pub use spec::{SourceSpec, SyntheticOptions};
pub use synthetic::{Lesson, Sensors, SyntheticSource, Ticks};

use crate::{Batch, Column, Num, Schema, Stream, StreamConfig, StreamError};

/// Why a file could not deliver events.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be opened.
    #[error("cannot read {path}")]
    Open {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A directory, not a file.
    #[error("cannot read {path}: it is a directory, not a file of lines")]
    Directory {
        /// The path.
        path: String,
    },
    /// A Parquet file the reader refused.
    #[error("{path}: not a readable Parquet file")]
    Parquet {
        /// The file.
        path: String,
        /// What the parquet crate said.
        #[source]
        source: ::parquet::errors::ParquetError,
    },
    /// A saved stream, not lines.
    #[error(
        "{path} is a saved slotlab stream, not lines of NDJSON or CSV: read it with `slotlab query` or `slotlab inspect`"
    )]
    SavedStream {
        /// The file.
        path: String,
    },
    /// Reading failed, or the input is not lines.
    #[error("{path}")]
    Blocks {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: blocks::BlockError,
    },
    /// Strict reading met a bad line, or the line that fixes the fields
    /// cannot.
    #[error("{path}: {stop}")]
    Stopped {
        /// The file.
        path: String,
        /// Why.
        stop: lines::LineStop,
    },
    /// Nothing usable in the file.
    #[error("{path}: no events ({rejected} lines rejected)")]
    Empty {
        /// The file.
        path: String,
        /// Lines rejected.
        rejected: u64,
    },
}

/// A set of events of many series held column by column: row `i` is
/// series `keys[series[i]]`, at `batch.timestamps[i]`, with
/// `batch.columns[f][i]` per field. The columns are a [`Batch`], the one
/// type that holds event columns; this adds which series each row is.
#[derive(Debug, Clone, PartialEq)]
pub struct Events {
    /// The fields every event carries.
    pub schema: Schema,
    /// Series keys (one empty key when the source has no series).
    pub keys: Vec<String>,
    /// Each event's series, an index into `keys`.
    pub series: Vec<u32>,
    /// Each event's timestamp and field values.
    pub batch: Batch,
}

impl Events {
    /// No events yet, room for `capacity`.
    pub fn with_capacity(schema: Schema, keys: Vec<String>, capacity: usize) -> Self {
        Self {
            batch: Batch::with_capacity(&schema, capacity),
            schema,
            keys,
            series: Vec::with_capacity(capacity),
        }
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    /// Keeps the events whose index passes `keep` (every key stays).
    pub(crate) fn retain_indices(&mut self, keep: &[bool]) {
        crate::schema::retain_indices(&mut self.series, keep);
        self.batch.retain_indices(keep);
    }

    /// Appends `more`: its keys after these, its events after these (its
    /// series numbered as these are).
    pub(crate) fn append(&mut self, mut more: Events) {
        self.keys.append(&mut more.keys);
        self.series.append(&mut more.series);
        self.batch.timestamps.append(&mut more.batch.timestamps);
        for (column, other) in self.batch.columns.iter_mut().zip(&more.batch.columns) {
            column.extend_from(other);
        }
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Appends every event, in order, into a new stream (each series'
    /// head sized once for its events), and seals it.
    pub fn to_stream(&self, config: StreamConfig) -> Result<Stream, StreamError> {
        let mut stream = Stream::new(self.schema.clone(), config);
        let ids: Vec<_> = self.keys.iter().map(|k| stream.series(k)).collect();
        stream.check_batch(self.series.len(), &self.batch)?;
        let mut counts = vec![0usize; ids.len()];
        let mut series = Vec::with_capacity(self.series.len());
        for &s in &self.series {
            match (counts.get_mut(s as usize), ids.get(s as usize)) {
                (Some(count), Some(&id)) => {
                    *count += 1;
                    series.push(id);
                }
                _ => return Err(StreamError::UnknownSeries(s)),
            }
        }
        // Each head made once as large as it will grow.
        for (&id, &count) in ids.iter().zip(&counts) {
            stream.reserve_head(id, count);
        }
        // A window at a time, each series' events together: reads stay
        // in cache and heads are written in runs (gathering each series'
        // events across the whole batch strode a cache line per value;
        // one pass in order wrote a value per head here and there).
        stream.append_grouped(&series, &self.batch, 0..self.len())?;
        stream.seal()?;
        Ok(stream)
    }

    /// Whether `stream` holds exactly these events, bit for bit, series by
    /// series.
    pub fn matches(&self, stream: &Stream) -> Result<bool, StreamError> {
        if stream.len() != self.len() || stream.schema() != &self.schema {
            return Ok(false);
        }
        let mut seen = vec![0usize; self.keys.len()];
        let mut decoded = Vec::with_capacity(self.keys.len());
        for key in &self.keys {
            let Some(id) = stream.find_series(key) else {
                return Ok(false);
            };
            decoded.push(stream.scan(id, i64::MIN, i64::MAX)?);
        }
        for (i, (&series, &t)) in self.series.iter().zip(&self.batch.timestamps).enumerate() {
            let s = series as usize;
            let (Some(batch), Some(at)) = (decoded.get(s), seen.get_mut(s)) else {
                return Ok(false);
            };
            let same = batch.timestamps.get(*at) == Some(&t)
                && self
                    .batch
                    .columns
                    .iter()
                    .zip(&batch.columns)
                    .all(|(mine, theirs)| match (mine.get(i), theirs.get(*at)) {
                        (Some(a), Some(b)) => a.same_bits(b),
                        _ => false,
                    });
            if !same {
                return Ok(false);
            }
            *at += 1;
        }
        Ok(true)
    }

    /// The events split by series, one batch per key, in key order.
    pub fn by_series(&self) -> Vec<Batch> {
        let mut out: Vec<Batch> = self
            .keys
            .iter()
            .map(|_| Batch::empty(&self.schema))
            .collect();
        for (i, (&s, &t)) in self.series.iter().zip(&self.batch.timestamps).enumerate() {
            let Some(batch) = out.get_mut(s as usize) else {
                continue;
            };
            batch.timestamps.push(t);
            for (column, values) in batch.columns.iter_mut().zip(&self.batch.columns) {
                match (column, values) {
                    (Column::F64(c), Column::F64(v)) => c.push(v[i]),
                    (Column::I64(c), Column::I64(v)) => c.push(v[i]),
                    _ => {}
                }
            }
        }
        out
    }

    /// Bytes of one raw record: [`Events::raw_records`].
    pub fn raw_record_bytes(&self) -> usize {
        self.schema.raw_event_bytes() + if self.keys.len() > 1 { 4 } else { 0 }
    }

    /// Raw bytes as fixed-width little-endian records: series (`u32`, only
    /// with more than one series), timestamp, then each field (8 bytes) —
    /// what zstd is given.
    pub fn raw_records(&self) -> Vec<u8> {
        let keyed = self.keys.len() > 1;
        let mut out = Vec::with_capacity(self.len() * self.raw_record_bytes());
        for (i, (&s, &t)) in self.series.iter().zip(&self.batch.timestamps).enumerate() {
            if keyed {
                out.extend_from_slice(&s.to_le_bytes());
            }
            out.extend_from_slice(&t.to_le_bytes());
            for column in &self.batch.columns {
                match column.get(i) {
                    Some(Num::F64(v)) => out.extend_from_slice(&v.to_le_bytes()),
                    Some(Num::I64(v)) => out.extend_from_slice(&v.to_le_bytes()),
                    None => {}
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CodecPolicy;

    #[test]
    fn events_go_into_a_stream_and_match_it() {
        let events = Ticks::default().generate(5000);
        for codecs in [CodecPolicy::Smallest, CodecPolicy::HandWritten] {
            let config = StreamConfig {
                chunk_len: 256,
                codecs,
            };
            let stream = events.to_stream(config).unwrap();
            assert!(events.matches(&stream).unwrap());
        }
        // One changed bit is noticed.
        let mut other = events.clone();
        if let Column::F64(prices) = &mut other.batch.columns[0] {
            prices[4321] = f64::from_bits(prices[4321].to_bits() ^ 1);
        }
        let stream = other.to_stream(StreamConfig::default()).unwrap();
        assert!(!events.matches(&stream).unwrap());
        assert_eq!(events.raw_records().len(), 5000 * (4 + 8 + 16));
    }

    /// What `to_stream` must equal: every event appended one by one.
    fn one_by_one(events: &Events, config: StreamConfig) -> Result<Stream, StreamError> {
        let mut stream = Stream::new(events.schema.clone(), config);
        let ids: Vec<_> = events.keys.iter().map(|k| stream.series(k)).collect();
        for (i, (&series, &t)) in events
            .series
            .iter()
            .zip(&events.batch.timestamps)
            .enumerate()
        {
            let row: Vec<Num> = events
                .batch
                .columns
                .iter()
                .filter_map(|c| c.get(i))
                .collect();
            stream.append(ids[series as usize], t, &row)?;
        }
        stream.seal()?;
        Ok(stream)
    }

    #[test]
    fn runs_per_series_build_the_stream_one_by_one_appends_build() {
        let sensors = Sensors::default().generate(7_001);
        let ticks = Ticks::default().generate(5_003);
        for events in [&sensors, &ticks] {
            for chunk_len in [1, 7, 256, 65_536] {
                let config = StreamConfig {
                    chunk_len,
                    codecs: CodecPolicy::HandWritten,
                };
                let runs = events.to_stream(config).unwrap();
                let single = one_by_one(events, config).unwrap();
                assert_eq!(runs.sealed_chunks(), single.sealed_chunks(), "{chunk_len}");
                assert_eq!(runs.save().unwrap(), single.save().unwrap(), "{chunk_len}");
            }
        }
        // An event older than its series' last is refused either way.
        let mut backwards = sensors.clone();
        let last = backwards.len() - 1;
        backwards.batch.timestamps[last] = i64::MIN;
        let err = backwards.to_stream(StreamConfig::default()).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::Backwards {
                    timestamp: i64::MIN,
                    ..
                }
            ),
            "{err}"
        );
        assert!(one_by_one(&backwards, StreamConfig::default()).is_err());
    }
}
