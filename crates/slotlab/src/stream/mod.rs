//! A memory-optimized event stream: append-only, chunked, columnar.
//!
//! Events (an `i64` timestamp and an `f64` value) go into an open head
//! chunk; a full chunk is sealed column by column — timestamps and values
//! each compressed with [pco](https://docs.rs/pco), which finds deltas,
//! common multiples (`i*0.1`) and bit widths by itself — and keeps a summary
//! (time range, count, sum, min, max) so range queries skip chunks and
//! aggregates need not decode the chunks they cover whole.
//!
//! ```
//! use slotlab::stream::{Stream, StreamConfig};
//!
//! let mut stream = Stream::new(StreamConfig { chunk_len: 1000 });
//! for i in 0..10_000 {
//!     stream.append(i, i as f64 * 0.1)?;
//! }
//! assert_eq!(stream.len(), 10_000);
//! assert!(stream.bytes().total() < 10_000); // under a byte per reading
//! let a = stream.aggregate(2000, 2999)?;
//! assert_eq!(a.count, 1000);
//! assert_eq!(stream.events()?[42], (42, 42.0 * 0.1));
//! # Ok::<(), slotlab::stream::StreamError>(())
//! ```

mod chunk;

use chunk::SealedChunk;

/// How the stream chunks its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Events per sealed chunk.
    pub chunk_len: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self { chunk_len: 65_536 }
    }
}

/// Why a stream operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// An event older than the last one accepted; nothing was stored.
    #[error(
        "timestamp {timestamp} is before the last accepted timestamp {last}: events must not go \
         backwards (the {accepted} events accepted so far are kept)"
    )]
    Backwards {
        /// The refused timestamp.
        timestamp: i64,
        /// The last accepted one.
        last: i64,
        /// Events stored.
        accepted: usize,
    },
    /// A column could not be encoded or decoded.
    #[error("chunk codec: {0}")]
    Codec(String),
}

/// Why a saved stream could not be loaded whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The bytes do not start like a saved slotlab stream.
    #[error("not a slotlab stream file (expected the SLOTSTRM header)")]
    NotAStream,
    /// A chunk is corrupt or cut short; `readable` holds every chunk
    /// before it, intact and queryable.
    #[error("chunk {chunk} of {chunks}: {reason} ({} events in the chunks before it are intact)", readable.len())]
    Corrupt {
        /// Which chunk (from 0).
        chunk: usize,
        /// Chunks the file says it holds.
        chunks: usize,
        /// What is wrong with it.
        reason: String,
        /// The stream as far as it could be read.
        readable: Box<Stream>,
    },
}

/// The first bytes of a saved stream, then a format version.
const MAGIC: &[u8; 8] = b"SLOTSTRM";
const VERSION: u32 = 1;

/// Count, sum, min, max and mean of values.
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

    fn of(values: &[f64]) -> Self {
        values.iter().fold(Self::EMPTY, |a, &v| Aggregate {
            count: a.count + 1,
            sum: a.sum + v,
            min: a.min.min(v),
            max: a.max.max(v),
        })
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamBytes {
    /// Sealed timestamp columns, encoded.
    pub timestamps: usize,
    /// Sealed value columns, encoded.
    pub values: usize,
    /// The open head chunk, raw (16 bytes per event).
    pub head: usize,
}

impl StreamBytes {
    /// All of it.
    pub fn total(&self) -> usize {
        self.timestamps + self.values + self.head
    }
}

/// The stream.
#[derive(Debug, Default)]
pub struct Stream {
    config: StreamConfig,
    sealed: Vec<SealedChunk>,
    head_timestamps: Vec<i64>,
    head_values: Vec<f64>,
    len: usize,
    last: Option<i64>,
}

impl Stream {
    /// An empty stream.
    pub fn new(config: StreamConfig) -> Self {
        Self {
            config: StreamConfig {
                chunk_len: config.chunk_len.max(1),
            },
            ..Self::default()
        }
    }

    /// Appends one event; a full head chunk is sealed. A timestamp before
    /// the last accepted one is refused, and nothing already accepted is
    /// touched.
    pub fn append(&mut self, timestamp: i64, value: f64) -> Result<(), StreamError> {
        if let Some(last) = self.last.filter(|last| timestamp < *last) {
            return Err(StreamError::Backwards {
                timestamp,
                last,
                accepted: self.len,
            });
        }
        self.head_timestamps.push(timestamp);
        self.head_values.push(value);
        self.last = Some(timestamp);
        self.len += 1;
        if self.head_timestamps.len() >= self.config.chunk_len {
            self.seal()?;
        }
        Ok(())
    }

    /// Seals the head chunk now (if it holds anything). On a codec error the
    /// head is kept as it was.
    pub fn seal(&mut self) -> Result<(), StreamError> {
        if self.head_timestamps.is_empty() {
            return Ok(());
        }
        let chunk = SealedChunk::seal(&self.head_timestamps, &self.head_values)?;
        self.sealed.push(chunk);
        self.head_timestamps.clear();
        self.head_values.clear();
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

    /// Sealed chunks.
    pub fn sealed_chunks(&self) -> usize {
        self.sealed.len()
    }

    /// What the stream holds, in bytes.
    pub fn bytes(&self) -> StreamBytes {
        let (timestamps, values) = self
            .sealed
            .iter()
            .map(SealedChunk::encoded_bytes)
            .fold((0, 0), |(t, v), (ct, cv)| (t + ct, v + cv));
        StreamBytes {
            timestamps,
            values,
            head: self.head_timestamps.len() * (size_of::<i64>() + size_of::<f64>()),
        }
    }

    /// Every event, in order, decoded.
    pub fn events(&self) -> Result<Vec<(i64, f64)>, StreamError> {
        self.range(i64::MIN, i64::MAX)
    }

    /// Events with `from <= timestamp <= to`; chunks wholly outside are
    /// skipped without decoding.
    pub fn range(&self, from: i64, to: i64) -> Result<Vec<(i64, f64)>, StreamError> {
        let mut out = Vec::new();
        for chunk in self
            .sealed
            .iter()
            .filter(|c| c.max_ts >= from && c.min_ts <= to)
        {
            let (timestamps, values) = chunk.decode()?;
            out.extend(
                timestamps
                    .into_iter()
                    .zip(values)
                    .filter(|(t, _)| (from..=to).contains(t)),
            );
        }
        out.extend(
            self.head_timestamps
                .iter()
                .copied()
                .zip(self.head_values.iter().copied())
                .filter(|(t, _)| (from..=to).contains(t)),
        );
        Ok(out)
    }

    /// Retention by age: drops every sealed chunk whose newest event is
    /// before `cutoff` (whole chunks, oldest first; the open head is never
    /// dropped). Returns the events dropped.
    pub fn retain_since(&mut self, cutoff: i64) -> usize {
        let keep_from = self
            .sealed
            .iter()
            .position(|c| c.max_ts >= cutoff)
            .unwrap_or(self.sealed.len());
        self.drop_oldest(keep_from)
    }

    /// Retention by size: drops the oldest sealed chunks until the stream
    /// holds at most `max_bytes` (the open head is never dropped, so a
    /// stream can stay above the limit by up to one head chunk). Returns the
    /// events dropped.
    pub fn retain_bytes(&mut self, max_bytes: usize) -> usize {
        let mut total = self.bytes().total();
        let mut drop = 0;
        for chunk in &self.sealed {
            if total <= max_bytes {
                break;
            }
            let (t, v) = chunk.encoded_bytes();
            total -= t + v;
            drop += 1;
        }
        self.drop_oldest(drop)
    }

    fn drop_oldest(&mut self, chunks: usize) -> usize {
        let dropped: usize = self.sealed.drain(..chunks).map(|c| c.count).sum();
        self.len -= dropped;
        dropped
    }

    /// The stream as bytes: a header, then every chunk with its own
    /// checksum (the open head is written as one more sealed chunk; the
    /// stream itself is unchanged).
    pub fn save(&self) -> Result<Vec<u8>, StreamError> {
        let head = if self.head_timestamps.is_empty() {
            None
        } else {
            Some(SealedChunk::seal(&self.head_timestamps, &self.head_values)?)
        };
        let chunks: Vec<&SealedChunk> = self.sealed.iter().chain(head.as_ref()).collect();
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.config.chunk_len as u64).to_le_bytes());
        out.extend_from_slice(&(chunks.len() as u64).to_le_bytes());
        for chunk in chunks {
            chunk.write_to(&mut out);
        }
        Ok(out)
    }

    /// Reads a saved stream. A corrupt or truncated chunk stops the load
    /// with an error naming it, carrying every chunk before it, readable.
    pub fn load(bytes: &[u8]) -> Result<Stream, LoadError> {
        let header = MAGIC.len() + 4 + 8 + 8;
        if bytes.len() < header || &bytes[..MAGIC.len()] != MAGIC {
            return Err(LoadError::NotAStream);
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        let chunk_len = usize::try_from(u64_at(12)).unwrap_or(usize::MAX);
        let chunks = usize::try_from(u64_at(20)).unwrap_or(usize::MAX);
        let mut stream = Stream::new(StreamConfig { chunk_len });
        let mut at = header;
        for index in 0..chunks {
            match SealedChunk::read_from(&bytes[at..]) {
                Ok((chunk, used)) => {
                    stream.len += chunk.count;
                    stream.last = Some(chunk.max_ts);
                    stream.sealed.push(chunk);
                    at += used;
                }
                Err(reason) => {
                    return Err(LoadError::Corrupt {
                        chunk: index,
                        chunks,
                        reason,
                        readable: Box::new(stream),
                    });
                }
            }
        }
        Ok(stream)
    }

    /// Count, sum, min, max over `from <= timestamp <= to`: chunks inside
    /// the range answer from their summaries, only the edges are decoded.
    pub fn aggregate(&self, from: i64, to: i64) -> Result<Aggregate, StreamError> {
        let mut total = Aggregate::EMPTY;
        for chunk in self
            .sealed
            .iter()
            .filter(|c| c.max_ts >= from && c.min_ts <= to)
        {
            if from <= chunk.min_ts && chunk.max_ts <= to {
                total = total.merge(chunk.summary);
            } else {
                let (timestamps, values) = chunk.decode()?;
                let inside: Vec<f64> = timestamps
                    .iter()
                    .zip(values)
                    .filter(|(t, _)| (from..=to).contains(*t))
                    .map(|(_, v)| v)
                    .collect();
                total = total.merge(Aggregate::of(&inside));
            }
        }
        let head: Vec<f64> = self
            .head_timestamps
            .iter()
            .zip(&self.head_values)
            .filter(|(t, _)| (from..=to).contains(*t))
            .map(|(_, v)| *v)
            .collect();
        Ok(total.merge(Aggregate::of(&head)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(n: i64, chunk_len: usize) -> Stream {
        let mut s = Stream::new(StreamConfig { chunk_len });
        for i in 0..n {
            s.append(i, i as f64 * 0.1).unwrap();
        }
        s
    }

    #[test]
    fn round_trips_bit_for_bit_across_chunks_and_head() {
        let s = lesson(10_500, 1000);
        assert_eq!((s.len(), s.sealed_chunks()), (10_500, 10));
        let events = s.events().unwrap();
        assert_eq!(events.len(), 10_500);
        for (i, (t, v)) in events.iter().enumerate() {
            assert_eq!(*t, i as i64);
            assert_eq!(v.to_bits(), (i as f64 * 0.1).to_bits());
        }
    }

    #[test]
    fn odd_values_survive() {
        let mut s = Stream::new(StreamConfig { chunk_len: 4 });
        let values = [f64::NAN, -0.0, f64::INFINITY, 1e-300, f64::MIN, 3.0];
        for (i, v) in values.iter().enumerate() {
            s.append(i as i64 * 7, *v).unwrap();
        }
        let back: Vec<u64> = s
            .events()
            .unwrap()
            .iter()
            .map(|(_, v)| v.to_bits())
            .collect();
        let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(back, want);
    }

    #[test]
    fn going_backwards_is_refused_and_nothing_is_lost() {
        let mut s = lesson(2500, 1000);
        let err = s.append(10, 1.0).unwrap_err();
        assert_eq!(
            err,
            StreamError::Backwards {
                timestamp: 10,
                last: 2499,
                accepted: 2500
            }
        );
        assert!(
            err.to_string()
                .contains("the 2500 events accepted so far are kept")
        );
        assert_eq!(s.events().unwrap().len(), 2500);
        // Equal timestamps are fine (two readings in one instant).
        s.append(2499, 5.0).unwrap();
        assert_eq!(s.len(), 2501);
    }

    #[test]
    fn range_and_aggregates_match_brute_force() {
        let s = lesson(10_000, 512);
        let all = s.events().unwrap();
        for (from, to) in [
            (0, 9999),
            (100, 100),
            (511, 1536),
            (-5, 3),
            (9990, 20_000),
            (50, 10),
        ] {
            let want: Vec<(i64, f64)> = all
                .iter()
                .copied()
                .filter(|(t, _)| (from..=to).contains(t))
                .collect();
            assert_eq!(s.range(from, to).unwrap(), want, "{from}..={to}");
            let a = s.aggregate(from, to).unwrap();
            let values: Vec<f64> = want.iter().map(|(_, v)| *v).collect();
            assert_eq!(a.count, values.len());
            let sum: f64 = values.iter().sum();
            assert!(
                (a.sum - sum).abs() <= 1e-9 * sum.abs().max(1.0),
                "{a:?} vs {sum}"
            );
            if !values.is_empty() {
                assert_eq!(a.min, values.iter().copied().fold(f64::INFINITY, f64::min));
                assert_eq!(
                    a.max,
                    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                );
            } else {
                assert_eq!(a.mean(), None);
            }
        }
    }

    #[test]
    fn saves_and_loads_with_the_open_head() {
        let s = lesson(2500, 1000);
        let bytes = s.save().unwrap();
        let back = Stream::load(&bytes).unwrap();
        assert_eq!(back.len(), 2500);
        assert_eq!(back.events().unwrap(), s.events().unwrap());
        assert_eq!(s.sealed_chunks(), 2, "saving did not seal the head");
        // Appending continues after the last loaded timestamp only.
        let mut back = back;
        assert!(back.append(5, 0.0).is_err());
        back.append(2500, 250.0).unwrap();
    }

    #[test]
    fn a_corrupt_chunk_is_named_and_the_chunks_before_it_stay_readable() {
        let s = lesson(4000, 1000);
        let bytes = s.save().unwrap();
        let chunk_size = (bytes.len() - 28) / 4;
        // Flip one byte inside the third chunk's columns.
        let mut corrupt = bytes.clone();
        corrupt[28 + 2 * chunk_size + 100] ^= 0xff;
        let Err(LoadError::Corrupt {
            chunk,
            chunks,
            reason,
            readable,
        }) = Stream::load(&corrupt)
        else {
            panic!("a flipped byte must be caught")
        };
        assert_eq!((chunk, chunks), (2, 4));
        assert!(reason.contains("checksum mismatch"), "{reason}");
        assert_eq!(readable.events().unwrap(), s.events().unwrap()[..2000]);
        // Cut short inside the fourth chunk.
        let cut = &bytes[..bytes.len() - 10];
        let err = Stream::load(cut).unwrap_err();
        assert!(
            err.to_string().starts_with("chunk 3 of 4: truncated"),
            "{err}"
        );
        let LoadError::Corrupt { readable, .. } = err else {
            unreachable!()
        };
        assert_eq!(readable.len(), 3000);
        assert!(matches!(
            Stream::load(b"not a stream at all"),
            Err(LoadError::NotAStream)
        ));
    }

    #[test]
    fn retention_drops_whole_old_chunks_and_says_how_many_events() {
        let mut s = lesson(5500, 1000); // 5 sealed chunks + 500 in the head
        assert_eq!(s.retain_since(2000), 2000);
        assert_eq!(s.len(), 3500);
        assert_eq!(s.events().unwrap()[0].0, 2000);
        // A cutoff inside a chunk keeps that chunk whole.
        assert_eq!(s.retain_since(2500), 0);
        // By size: keep at most the head plus one sealed chunk.
        let head = s.bytes().head;
        let last = {
            let b = s.bytes();
            (b.timestamps + b.values) / s.sealed_chunks()
        };
        let dropped = s.retain_bytes(head + last + last / 2);
        assert_eq!(dropped, 2000);
        assert_eq!(s.len(), 1500);
        assert!(s.bytes().total() <= head + last + last / 2);
        // Nothing sealed left to drop: the head stays.
        assert_eq!(s.retain_bytes(0), 1000);
        assert_eq!(s.len(), 500);
        assert_eq!(s.aggregate(i64::MIN, i64::MAX).unwrap().count, 500);
    }

    #[test]
    fn the_lessons_readings_take_well_under_a_byte_each() {
        let mut s = lesson(1_000_000, 65_536);
        s.seal().unwrap();
        let bytes = s.bytes();
        assert_eq!(bytes.head, 0);
        let per_reading = bytes.total() as f64 / 1e6;
        // The issue's goal is 0.05 bytes per reading.
        assert!(
            per_reading <= 0.05,
            "{per_reading} bytes per reading ({bytes:?})"
        );
    }
}
