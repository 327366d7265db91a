//! A sealed chunk: its columns encoded, and summaries that answer
//! questions about it without decoding.

use super::Batch;
use super::codec::{self, CodecPolicy, EncodedColumn};
use super::schema::{Column, Schema};
use super::{Aggregate, StreamError};

/// What is wrong with one chunk of a saved stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkProblem {
    /// The file ends inside it.
    #[error("truncated: the chunk needs {needed} bytes, the file has {left} left")]
    Truncated {
        /// Bytes the chunk's frame says it takes.
        needed: usize,
        /// Bytes left in the file.
        left: usize,
    },
    /// Its bytes are not the ones written.
    #[error("corrupt: checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum {
        /// The checksum in the file.
        stored: u32,
        /// The checksum of its bytes.
        computed: u32,
    },
    /// It checks out but cannot be what was saved.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// One sealed chunk of one series.
#[derive(Debug, Clone)]
pub(super) struct SealedChunk {
    pub(super) count: usize,
    pub(super) min_ts: i64,
    pub(super) max_ts: i64,
    /// One per field: what aggregates use for a chunk they cover whole.
    pub(super) summaries: Vec<Aggregate>,
    pub(super) timestamps: EncodedColumn,
    pub(super) fields: Vec<EncodedColumn>,
}

fn codec_error(column: &str) -> impl Fn(String) -> StreamError + '_ {
    move |reason| StreamError::Codec(format!("{column}: {reason}"))
}

impl SealedChunk {
    /// Encodes a head chunk (timestamps sorted; columns as long).
    pub(super) fn seal(
        timestamps: &[i64],
        columns: &[Column],
        schema: &Schema,
        policy: CodecPolicy,
    ) -> Result<Self, StreamError> {
        let fields = columns
            .iter()
            .zip(schema.fields())
            .map(|(column, field)| {
                match column {
                    Column::F64(v) => codec::encode_f64(v, policy),
                    Column::I64(v) => codec::encode_i64(v, policy),
                }
                .map_err(codec_error(&field.name))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            count: timestamps.len(),
            min_ts: timestamps.first().copied().unwrap_or_default(),
            max_ts: timestamps.last().copied().unwrap_or_default(),
            summaries: columns.iter().map(Aggregate::of_column).collect(),
            timestamps: codec::encode_i64(timestamps, policy).map_err(codec_error("timestamps"))?,
            fields,
        })
    }

    /// Every column, decoded, appended to `into`.
    pub(super) fn decode_into(&self, schema: &Schema, into: &mut Batch) -> Result<(), StreamError> {
        self.decode_timestamps(&mut into.timestamps)?;
        for ((column, out), field) in self
            .fields
            .iter()
            .zip(&mut into.columns)
            .zip(schema.fields())
        {
            match out {
                Column::F64(out) => codec::decode_f64(column, self.count, out),
                Column::I64(out) => codec::decode_i64(column, self.count, out),
            }
            .map_err(codec_error(&field.name))?;
        }
        Ok(())
    }

    /// Encoded bytes of the timestamp column and of each field's.
    pub(super) fn encoded_bytes(&self) -> (usize, impl Iterator<Item = usize> + '_) {
        (
            self.timestamps.len(),
            self.fields.iter().map(EncodedColumn::len),
        )
    }

    /// Appends the chunk's timestamps (its fields left encoded).
    pub(super) fn decode_timestamps(&self, into: &mut Vec<i64>) -> Result<(), StreamError> {
        codec::decode_i64(&self.timestamps, self.count, into).map_err(codec_error("timestamps"))
    }

    /// Every encoded byte.
    pub(super) fn total_bytes(&self) -> usize {
        let (t, f) = self.encoded_bytes();
        t + f.sum::<usize>()
    }

    /// Appends the chunk to `out`: the length of its body (`u32`), the body
    /// — series, count, time range, a summary per field, the columns — and
    /// a CRC-32 of the body.
    pub(super) fn write_to(&self, series: u32, out: &mut Vec<u8>) {
        let frame = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        let start = out.len();
        out.extend_from_slice(&series.to_le_bytes());
        out.extend_from_slice(&(self.count as u64).to_le_bytes());
        out.extend_from_slice(&self.min_ts.to_le_bytes());
        out.extend_from_slice(&self.max_ts.to_le_bytes());
        for s in &self.summaries {
            out.extend_from_slice(&(s.count as u64).to_le_bytes());
            for v in [s.sum, s.min, s.max] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        self.timestamps.write_to(out);
        for field in &self.fields {
            field.write_to(out);
        }
        let body = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
        out[frame..start].copy_from_slice(&body.to_le_bytes());
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Reads one chunk from the start of `bytes`: its series, the chunk and
    /// the bytes it took, or why it cannot be trusted. The checksum is
    /// checked before anything in the body is read; with `decode`, columns
    /// are checked by decoding them, so a chunk that loads is a chunk that
    /// reads (a store, whose records are checksummed twice, leaves that to
    /// `inspect --verify` and to the reads themselves).
    pub(super) fn read_from(
        bytes: &[u8],
        schema: &Schema,
        max_count: usize,
        decode: bool,
    ) -> Result<(u32, Self, usize), ChunkProblem> {
        let word = |at: usize| {
            bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
        };
        let frame = word(0).ok_or(ChunkProblem::Truncated {
            needed: 4,
            left: bytes.len(),
        })? as usize;
        let needed = frame.saturating_add(8);
        let (Some(body), Some(stored)) = (bytes.get(4..4 + frame), word(4 + frame)) else {
            return Err(ChunkProblem::Truncated {
                needed,
                left: bytes.len(),
            });
        };
        let computed = crc32fast::hash(body);
        if stored != computed {
            return Err(ChunkProblem::Checksum { stored, computed });
        }
        let (series, chunk) =
            Self::read_body(body, schema, max_count, decode).map_err(ChunkProblem::Invalid)?;
        Ok((series, chunk, needed))
    }

    /// A checked body's contents.
    fn read_body(
        bytes: &[u8],
        schema: &Schema,
        max_count: usize,
        decode: bool,
    ) -> Result<(u32, Self), String> {
        let fields = schema.fields().len();
        let cut = || "the body ends inside the chunk header".to_owned();
        let series = bytes
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .ok_or_else(cut)?;
        let mut at = 4usize;
        // Count, time range, then (count, sum, min, max) per field.
        let mut header = Vec::with_capacity(3 + 4 * fields);
        for _ in 0..3 + 4 * fields {
            let word = bytes
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .ok_or_else(cut)?;
            header.push(word);
            at += 8;
        }
        let count = usize::try_from(u64::from_le_bytes(header[0]))
            .ok()
            .filter(|&c| c > 0 && c <= max_count)
            .ok_or_else(|| format!("event count outside 1..={max_count}"))?;
        let min_ts = i64::from_le_bytes(header[1]);
        let max_ts = i64::from_le_bytes(header[2]);
        let summaries = header[3..]
            .chunks(4)
            .map(|s| Aggregate {
                count: u64::from_le_bytes(s[0]) as usize,
                sum: f64::from_le_bytes(s[1]),
                min: f64::from_le_bytes(s[2]),
                max: f64::from_le_bytes(s[3]),
                ..Aggregate::EMPTY
            })
            .collect();
        let timestamps = EncodedColumn::read_from(bytes, &mut at)?;
        let columns = (0..fields)
            .map(|_| EncodedColumn::read_from(bytes, &mut at))
            .collect::<Result<Vec<_>, _>>()?;
        if at != bytes.len() {
            return Err(format!("{} bytes after the columns", bytes.len() - at));
        }
        let chunk = SealedChunk {
            count,
            min_ts,
            max_ts,
            summaries,
            timestamps,
            fields: columns,
        };
        if decode {
            chunk
                .decode_into(schema, &mut Batch::empty(schema))
                .map_err(|e| e.to_string())?;
        }
        Ok((series, chunk))
    }
}
