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
//! smallest for it ([`CodecPolicy`]): integer packing after delta,
//! delta-of-delta or distance from a line (timestamps, counts), a decimal codec (`i*0.1`, readings
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

mod append;
mod batch;
mod bits;
mod chunk;
mod codec;
pub mod export;
mod file;
mod floats;
mod ints;
pub mod output;
mod query;
mod radix;
mod retention;
mod schema;
mod seal;
pub mod source;
pub mod store;

pub use batch::Batch;
pub use codec::{Codec, CodecPolicy, PCO_MARGIN, encode_column};
pub use file::{ChunkProblem, HeaderFault, LoadError};
pub use query::{Aggregate, Buckets, SeriesSummary};
pub use schema::{Column, Field, FieldKind, Num, Schema, SchemaError, ShapeError};

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
    Shape(#[from] ShapeError),
    /// A series id from another stream.
    #[error("unknown series id {0}")]
    UnknownSeries(u32),
    /// A schema that cannot be used.
    #[error("schema: {0}")]
    Schema(#[from] SchemaError),
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

impl Series {
    /// Keeps `chunk`, sealed from the head, and empties the head.
    fn take_head(&mut self, chunk: SealedChunk) {
        self.sealed.push_back(chunk);
        self.head.clear();
    }
}

/// The stream.
#[derive(Debug)]
pub struct Stream {
    schema: Schema,
    config: StreamConfig,
    series: Vec<Series>,
    by_key: FxHashMap<String, SeriesId>,
    len: usize,
    /// When set, a head is sealed before an event in another window of
    /// this many timestamp units (chunks aligned to time).
    span: Option<i64>,
    /// Scratch of grouped appends, kept for the next.
    grouping: append::Grouping,
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
            span: None,
            grouping: append::Grouping::default(),
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

    /// Aligns chunks to time: from now on a head is sealed before an event
    /// that falls in another window of `span` timestamp units (windows
    /// start at multiples of `span`), so a chunk never straddles one and
    /// a query bucketed by a multiple of `span` answers every chunk from
    /// its summary. `None` (the default): chunks end only when full.
    pub fn set_chunk_span(&mut self, span: Option<i64>) {
        self.span = span.filter(|&s| s > 0);
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
        s.take_head(chunk);
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
}

#[cfg(test)]
mod tests;
