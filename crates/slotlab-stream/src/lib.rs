//! slotlab's storage engine: a memory-optimized event stream — append-only,
//! chunked, columnar — and the sources that feed it.
//!
//! # What
//!
//! This crate depends on nothing else in the workspace: the lab measures it,
//! ingestion stores into it, and both reach it from above.
//!
//! An event is a timestamp (`i64`) and the numeric fields a [`Schema`]
//! names, in a series (a sensor id, a symbol; one unnamed series when there
//! is no key). Each series appends into an open head chunk; a full chunk is
//! sealed column by column, each column with the codec that measured
//! smallest for it ([`CodecPolicy`]): integer packing after delta or
//! delta-of-delta (timestamps, counts), a decimal codec (`i*0.1`, readings
//! in tenths become small integers), Gorilla XOR, or [pco](https://docs.rs/pco).
//! Every chunk keeps a summary per field (count, sum, min, max) and its time
//! range, so range queries skip chunks and aggregates decode only the
//! chunks a range cuts through.
//!
//! ```
//! use slotlab_stream::{Num, Schema, Stream, StreamConfig};
//!
//! let mut stream = Stream::new(Schema::lesson(), StreamConfig { chunk_len: 1000, ..Default::default() });
//! let series = stream.series("");
//! for i in 0..10_000 {
//!     stream.append(series, i, &[Num::F64(i as f64 * 0.1)])?;
//! }
//! assert_eq!(stream.len(), 10_000);
//! assert!(stream.bytes().total() < 10_000); // under a byte per reading
//! let a = stream.aggregate(None, 0, 2000, 2999)?;
//! assert_eq!(a.count, 1000);
//! let all = stream.scan(series, i64::MIN, i64::MAX)?;
//! assert_eq!(all.row(42), [Num::F64(42.0 * 0.1)]);
//! # Ok::<(), slotlab_stream::StreamError>(())
//! ```

#![deny(missing_docs, missing_debug_implementations)]

mod bits;
mod chunk;
mod codec;
mod file;
mod floats;
mod ints;
mod schema;
pub mod source;

pub use codec::{Codec, CodecPolicy, encode_column};
pub use file::LoadError;
pub use schema::{Batch, Column, Field, FieldKind, Num, Schema};

use chunk::SealedChunk;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};

/// How the stream chunks and encodes its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Events per sealed chunk (per series).
    pub chunk_len: usize,
    /// Which codecs a chunk's columns may choose from.
    pub codecs: CodecPolicy,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            chunk_len: 65_536,
            codecs: CodecPolicy::default(),
        }
    }
}

/// Why a stream operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// An event older than the last one of its series; nothing was stored.
    #[error(
        "series {series:?}: timestamp {timestamp} is before the last accepted timestamp {last}: \
         events must not go backwards (the {accepted} events accepted so far are kept)"
    )]
    Backwards {
        /// The series' key.
        series: String,
        /// The refused timestamp.
        timestamp: i64,
        /// The last accepted one.
        last: i64,
        /// Events stored in the whole stream.
        accepted: usize,
    },
    /// An event that does not fit the schema; nothing was stored.
    #[error("event does not fit the schema: {0}")]
    Shape(String),
    /// A series id from another stream.
    #[error("unknown series id {0}")]
    UnknownSeries(u32),
    /// A schema that cannot be used.
    #[error("schema: {0}")]
    Schema(String),
    /// A column could not be encoded or decoded.
    #[error("chunk codec: {0}")]
    Codec(String),
}

/// A series of a [`Stream`], from [`Stream::series`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(u32);

impl SeriesId {
    /// Its position in [`Stream::series_keys`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Count, sum, min, max and mean of one field's values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    /// Events.
    pub count: usize,
    /// Sum of values (per chunk, then across chunks).
    pub sum: f64,
    /// Smallest value (`+inf` when empty).
    pub min: f64,
    /// Largest value (`-inf` when empty).
    pub max: f64,
}

impl Aggregate {
    const EMPTY: Aggregate = Aggregate {
        count: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        values.into_iter().fold(Self::EMPTY, |a, v| Aggregate {
            count: a.count + 1,
            sum: a.sum + v,
            min: a.min.min(v),
            max: a.max.max(v),
        })
    }

    fn of_column(column: &Column) -> Self {
        match column {
            Column::F64(v) => Self::of(v.iter().copied()),
            Column::I64(v) => Self::of(v.iter().map(|&x| x as f64)),
        }
    }

    /// Over the values whose timestamp is in `from..=to`.
    fn of_range(timestamps: &[i64], column: &Column, from: i64, to: i64) -> Self {
        let inside = |t: &&i64| (from..=to).contains(*t);
        match column {
            Column::F64(v) => Self::of(
                timestamps
                    .iter()
                    .zip(v)
                    .filter(|(t, _)| inside(t))
                    .map(|(_, &x)| x),
            ),
            Column::I64(v) => Self::of(
                timestamps
                    .iter()
                    .zip(v)
                    .filter(|(t, _)| inside(t))
                    .map(|(_, &x)| x as f64),
            ),
        }
    }

    fn merge(self, other: Aggregate) -> Self {
        Aggregate {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// `sum / count`, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

/// Bytes a stream holds, by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamBytes {
    /// Sealed timestamp columns, encoded.
    pub timestamps: usize,
    /// Sealed columns of each field, encoded, in schema order.
    pub fields: Vec<usize>,
    /// The open head chunks, raw (8 bytes per timestamp and field).
    pub head: usize,
    /// The series keys, once each.
    pub keys: usize,
}

impl StreamBytes {
    /// All of it.
    pub fn total(&self) -> usize {
        self.timestamps + self.fields.iter().sum::<usize>() + self.head + self.keys
    }
}

/// One series: its sealed chunks and its open head.
#[derive(Debug)]
struct Series {
    key: String,
    sealed: VecDeque<SealedChunk>,
    head: Batch,
    last: Option<i64>,
}

/// The stream.
#[derive(Debug)]
pub struct Stream {
    schema: Schema,
    config: StreamConfig,
    series: Vec<Series>,
    by_key: FxHashMap<String, SeriesId>,
    len: usize,
}

impl Stream {
    /// An empty stream of events shaped by `schema`.
    pub fn new(schema: Schema, config: StreamConfig) -> Self {
        Self {
            schema,
            config: StreamConfig {
                chunk_len: config.chunk_len.max(1),
                ..config
            },
            series: Vec::new(),
            by_key: FxHashMap::default(),
            len: 0,
        }
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The configuration.
    pub fn config(&self) -> StreamConfig {
        self.config
    }

    /// The series keyed `key`, created empty the first time it is asked for.
    pub fn series(&mut self, key: &str) -> SeriesId {
        if let Some(&id) = self.by_key.get(key) {
            return id;
        }
        let id = SeriesId(self.series.len() as u32);
        self.series.push(Series {
            key: key.to_owned(),
            sealed: VecDeque::new(),
            head: Batch::empty(&self.schema),
            last: None,
        });
        self.by_key.insert(key.to_owned(), id);
        id
    }

    /// The series keyed `key`, if it exists.
    pub fn find_series(&self, key: &str) -> Option<SeriesId> {
        self.by_key.get(key).copied()
    }

    /// Every series key, in creation order.
    pub fn series_keys(&self) -> impl Iterator<Item = &str> {
        self.series.iter().map(|s| s.key.as_str())
    }

    fn get(&self, id: SeriesId) -> Result<&Series, StreamError> {
        self.series
            .get(id.index())
            .ok_or(StreamError::UnknownSeries(id.0))
    }

    /// Appends one event to `series`; a full head chunk is sealed. An event
    /// older than the series' last, or not shaped like the schema, is
    /// refused, and nothing already accepted is touched.
    pub fn append(
        &mut self,
        series: SeriesId,
        timestamp: i64,
        values: &[Num],
    ) -> Result<(), StreamError> {
        let fields = self.schema.fields();
        if values.len() != fields.len() {
            return Err(StreamError::Shape(format!(
                "{} values for {} fields",
                values.len(),
                fields.len()
            )));
        }
        if let Some((field, value)) = fields.iter().zip(values).find(|(f, v)| f.kind != v.kind()) {
            return Err(StreamError::Shape(format!(
                "field {:?} is {}, got {}",
                field.name,
                field.kind,
                value.kind()
            )));
        }
        self.push(series, timestamp, |head| {
            for (column, &value) in head.iter_mut().zip(values) {
                column.push(value);
            }
        })
    }

    /// Appends the events `rows` of a batch given column by column — event
    /// `i` is series `series[i]` at `timestamps[i]` with `columns[f][i]` per
    /// field — as [`Stream::append`] would one by one, with the shape
    /// checked once. On an error the events before the one refused are kept.
    pub fn append_columns(
        &mut self,
        series: &[SeriesId],
        timestamps: &[i64],
        columns: &[Column],
        rows: std::ops::Range<usize>,
    ) -> Result<(), StreamError> {
        let fields = self.schema.fields();
        if columns.len() != fields.len() {
            return Err(StreamError::Shape(format!(
                "{} columns for {} fields",
                columns.len(),
                fields.len()
            )));
        }
        if let Some((field, column)) = fields.iter().zip(columns).find(|(f, c)| f.kind != c.kind())
        {
            return Err(StreamError::Shape(format!(
                "field {:?} is {}, got a column of {}",
                field.name,
                field.kind,
                column.kind()
            )));
        }
        let n = timestamps.len();
        if series.len() != n || columns.iter().any(|c| c.len() != n) {
            return Err(StreamError::Shape(format!(
                "{n} timestamps, {} series ids and columns of {:?} values",
                series.len(),
                columns.iter().map(Column::len).collect::<Vec<_>>()
            )));
        }
        if rows.start > rows.end || rows.end > n {
            return Err(StreamError::Shape(format!("rows {rows:?} of {n} events")));
        }
        for i in rows {
            let (id, t) = (series[i], timestamps[i]);
            self.push(id, t, |head| {
                for (column, values) in head.iter_mut().zip(columns) {
                    column.extend_range(values, i..i + 1);
                }
            })?;
        }
        Ok(())
    }

    /// Appends one event whose values `fill` pushes onto the head's
    /// columns (already checked against the schema).
    fn push(
        &mut self,
        series: SeriesId,
        timestamp: i64,
        fill: impl FnOnce(&mut [Column]),
    ) -> Result<(), StreamError> {
        let accepted = self.len;
        let Some(s) = self.series.get_mut(series.index()) else {
            return Err(StreamError::UnknownSeries(series.0));
        };
        if let Some(last) = s.last.filter(|last| timestamp < *last) {
            return Err(StreamError::Backwards {
                series: s.key.clone(),
                timestamp,
                last,
                accepted,
            });
        }
        s.head.timestamps.push(timestamp);
        fill(&mut s.head.columns);
        s.last = Some(timestamp);
        self.len += 1;
        if s.head.len() >= self.config.chunk_len {
            self.seal_series(series)?;
        }
        Ok(())
    }

    /// Seals `id`'s open head chunk now, however full (an ingesting sink
    /// staggers its series' first seals this way, so they do not all fall
    /// due at once). On a codec error the head is kept as it was.
    pub fn seal_series(&mut self, id: SeriesId) -> Result<(), StreamError> {
        let Some(s) = self.series.get_mut(id.index()) else {
            return Err(StreamError::UnknownSeries(id.0));
        };
        if s.head.is_empty() {
            return Ok(());
        }
        let chunk = SealedChunk::seal(
            &s.head.timestamps,
            &s.head.columns,
            &self.schema,
            self.config.codecs,
        )?;
        s.sealed.push_back(chunk);
        s.head.timestamps.clear();
        s.head.columns.iter_mut().for_each(Column::clear);
        Ok(())
    }

    /// Seals every open head chunk now. On a codec error that head is kept
    /// as it was.
    pub fn seal(&mut self) -> Result<(), StreamError> {
        for i in 0..self.series.len() {
            self.seal_series(SeriesId(i as u32))?;
        }
        Ok(())
    }

    /// Events stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sealed chunks, all series together.
    pub fn sealed_chunks(&self) -> usize {
        self.series.iter().map(|s| s.sealed.len()).sum()
    }

    fn chunks(&self) -> impl Iterator<Item = &SealedChunk> {
        self.series.iter().flat_map(|s| &s.sealed)
    }

    /// What the stream holds, in bytes.
    pub fn bytes(&self) -> StreamBytes {
        let mut bytes = StreamBytes {
            timestamps: 0,
            fields: vec![0; self.schema.fields().len()],
            head: 0,
            keys: self.series.iter().map(|s| s.key.len()).sum(),
        };
        for chunk in self.chunks() {
            let (t, fields) = chunk.encoded_bytes();
            bytes.timestamps += t;
            for (total, f) in bytes.fields.iter_mut().zip(fields) {
                *total += f;
            }
        }
        let head_events: usize = self.series.iter().map(|s| s.head.len()).sum();
        bytes.head = head_events * self.schema.raw_event_bytes();
        bytes
    }

    /// Which codec sealed how many chunks, per column: `timestamps`, then
    /// each field by name.
    pub fn codec_use(&self) -> Vec<(String, BTreeMap<Codec, usize>)> {
        let mut out: Vec<(String, BTreeMap<Codec, usize>)> =
            std::iter::once("timestamps".to_owned())
                .chain(self.schema.fields().iter().map(|f| f.name.clone()))
                .map(|name| (name, BTreeMap::new()))
                .collect();
        for chunk in self.chunks() {
            let codecs =
                std::iter::once(chunk.timestamps.codec).chain(chunk.fields.iter().map(|c| c.codec));
            for ((_, counts), codec) in out.iter_mut().zip(codecs) {
                *counts.entry(codec).or_default() += 1;
            }
        }
        out
    }

    /// The events of `series` with `from <= timestamp <= to`, decoded;
    /// chunks wholly outside the range are skipped without decoding.
    pub fn scan(&self, series: SeriesId, from: i64, to: i64) -> Result<Batch, StreamError> {
        let s = self.get(series)?;
        let mut out = Batch::empty(&self.schema);
        for chunk in s
            .sealed
            .iter()
            .filter(|c| c.max_ts >= from && c.min_ts <= to)
        {
            let start = out.len();
            chunk.decode_into(&self.schema, &mut out)?;
            if chunk.min_ts < from || chunk.max_ts > to {
                let mut part = split_off(&mut out, start);
                part.keep_range(from, to);
                out.extend_from(&part);
            }
        }
        out.extend_range(&s.head, from, to);
        Ok(out)
    }

    /// Count, sum, min, max of field `field` over `from <= timestamp <= to`,
    /// in one series or (`None`) all of them: chunks inside the range answer
    /// from their summaries, only the chunks it cuts through are decoded.
    pub fn aggregate(
        &self,
        series: Option<SeriesId>,
        field: usize,
        from: i64,
        to: i64,
    ) -> Result<Aggregate, StreamError> {
        if field >= self.schema.fields().len() {
            return Err(StreamError::Shape(format!(
                "no field {field}: the schema has {}",
                self.schema.fields().len()
            )));
        }
        let chosen: Vec<&Series> = match series {
            Some(id) => vec![self.get(id)?],
            None => self.series.iter().collect(),
        };
        let mut total = Aggregate::EMPTY;
        for s in chosen {
            for chunk in s
                .sealed
                .iter()
                .filter(|c| c.max_ts >= from && c.min_ts <= to)
            {
                if from <= chunk.min_ts && chunk.max_ts <= to {
                    total = total.merge(chunk.summaries[field]);
                } else {
                    let mut part = Batch::empty(&self.schema);
                    chunk.decode_into(&self.schema, &mut part)?;
                    total = total.merge(Aggregate::of_range(
                        &part.timestamps,
                        &part.columns[field],
                        from,
                        to,
                    ));
                }
            }
            total = total.merge(Aggregate::of_range(
                &s.head.timestamps,
                &s.head.columns[field],
                from,
                to,
            ));
        }
        Ok(total)
    }

    /// Retention by age: drops every sealed chunk whose newest event is
    /// before `cutoff` (whole chunks; open heads are never dropped).
    /// Returns the events dropped.
    pub fn retain_since(&mut self, cutoff: i64) -> usize {
        let mut dropped = 0;
        for s in &mut self.series {
            while s.sealed.front().is_some_and(|c| c.max_ts < cutoff) {
                dropped += s.sealed.pop_front().map_or(0, |c| c.count);
            }
        }
        self.len -= dropped;
        dropped
    }

    /// Retention by size: drops sealed chunks, the one with the oldest
    /// newest event first, until the stream holds at most `max_bytes`
    /// (open heads are never dropped, so a stream can stay above the limit
    /// by its heads). Returns the events dropped.
    pub fn retain_bytes(&mut self, max_bytes: usize) -> usize {
        let mut total = self.bytes().total();
        let mut dropped = 0;
        while total > max_bytes {
            let oldest = self
                .series
                .iter_mut()
                .filter(|s| !s.sealed.is_empty())
                .min_by_key(|s| s.sealed.front().map_or(i64::MAX, |c| c.max_ts));
            let Some(chunk) = oldest.and_then(|s| s.sealed.pop_front()) else {
                break;
            };
            total -= chunk.total_bytes();
            dropped += chunk.count;
        }
        self.len -= dropped;
        dropped
    }
}

/// The events of `batch` from `start` on, removed into their own batch.
fn split_off(batch: &mut Batch, start: usize) -> Batch {
    Batch {
        timestamps: batch.timestamps.split_off(start),
        columns: batch
            .columns
            .iter_mut()
            .map(|c| match c {
                Column::F64(v) => Column::F64(v.split_off(start)),
                Column::I64(v) => Column::I64(v.split_off(start)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
