//! A sealed chunk: its columns encoded, and a summary that answers
//! questions about it without decoding.

use super::{Aggregate, StreamError};
use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress};

/// One sealed chunk of events.
#[derive(Debug, Clone)]
pub(super) struct SealedChunk {
    pub(super) count: usize,
    pub(super) min_ts: i64,
    pub(super) max_ts: i64,
    /// Over the values: what aggregates use for a chunk they cover whole.
    pub(super) summary: Aggregate,
    timestamps: Vec<u8>,
    values: Vec<u8>,
}

impl SealedChunk {
    /// Encodes a full head chunk (at least one event; timestamps sorted).
    pub(super) fn seal(timestamps: &[i64], values: &[f64]) -> Result<Self, StreamError> {
        let codec = |e: pco::errors::PcoError| StreamError::Codec(e.to_string());
        let config = ChunkConfig::default();
        Ok(Self {
            count: timestamps.len(),
            min_ts: timestamps.first().copied().unwrap_or_default(),
            max_ts: timestamps.last().copied().unwrap_or_default(),
            summary: Aggregate::of(values),
            timestamps: simple_compress(timestamps, &config).map_err(codec)?,
            values: simple_compress(values, &config).map_err(codec)?,
        })
    }

    /// Both columns, decoded.
    pub(super) fn decode(&self) -> Result<(Vec<i64>, Vec<f64>), StreamError> {
        let codec = |e: pco::errors::PcoError| StreamError::Codec(e.to_string());
        let timestamps: Vec<i64> = simple_decompress(&self.timestamps).map_err(codec)?;
        let values: Vec<f64> = simple_decompress(&self.values).map_err(codec)?;
        if timestamps.len() != self.count || values.len() != self.count {
            return Err(StreamError::Codec(format!(
                "chunk of {} events decoded to {} timestamps and {} values",
                self.count,
                timestamps.len(),
                values.len()
            )));
        }
        Ok((timestamps, values))
    }

    /// Appends the chunk to `out`: a fixed header (count, time range,
    /// summary, column lengths), both columns, then a CRC-32 of all of it.
    pub(super) fn write_to(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&(self.count as u64).to_le_bytes());
        out.extend_from_slice(&self.min_ts.to_le_bytes());
        out.extend_from_slice(&self.max_ts.to_le_bytes());
        out.extend_from_slice(&(self.summary.count as u64).to_le_bytes());
        for v in [self.summary.sum, self.summary.min, self.summary.max] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.timestamps.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.values.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.timestamps);
        out.extend_from_slice(&self.values);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Reads one chunk from the start of `bytes`: the chunk and the bytes
    /// it took, or why it cannot be trusted.
    pub(super) fn read_from(bytes: &[u8]) -> Result<(Self, usize), String> {
        const HEADER: usize = 8 * 9;
        let word = |at: usize| -> Result<[u8; 8], String> {
            bytes
                .get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    format!(
                        "truncated: the file ends inside the chunk header ({} bytes left)",
                        bytes.len()
                    )
                })
        };
        let u = |at: usize| word(at).map(u64::from_le_bytes);
        let count = u(0)?;
        let min_ts = i64::from_le_bytes(word(8)?);
        let max_ts = i64::from_le_bytes(word(16)?);
        let summary_count = u(24)?;
        let sum = f64::from_le_bytes(word(32)?);
        let min = f64::from_le_bytes(word(40)?);
        let max = f64::from_le_bytes(word(48)?);
        let ts_len = usize::try_from(u(56)?).map_err(|_| "column length too large".to_owned())?;
        let val_len = usize::try_from(u(64)?).map_err(|_| "column length too large".to_owned())?;
        let end = HEADER
            .checked_add(ts_len)
            .and_then(|e| e.checked_add(val_len))
            .ok_or_else(|| "column lengths overflow".to_owned())?;
        let crc_bytes = bytes.get(end..end + 4).ok_or_else(|| {
            format!(
                "truncated: the chunk needs {} bytes, the file has {} left",
                end + 4,
                bytes.len()
            )
        })?;
        let stored = u32::from_le_bytes(
            crc_bytes
                .try_into()
                .map_err(|_| "bad checksum field".to_owned())?,
        );
        let actual = crc32fast::hash(&bytes[..end]);
        if stored != actual {
            return Err(format!(
                "checksum mismatch (stored {stored:08x}, computed {actual:08x}): the chunk is corrupt"
            ));
        }
        let as_usize = |v: u64| usize::try_from(v).map_err(|_| "count too large".to_owned());
        let chunk = SealedChunk {
            count: as_usize(count)?,
            min_ts,
            max_ts,
            summary: Aggregate {
                count: as_usize(summary_count)?,
                sum,
                min,
                max,
            },
            timestamps: bytes[HEADER..HEADER + ts_len].to_vec(),
            values: bytes[HEADER + ts_len..end].to_vec(),
        };
        Ok((chunk, end + 4))
    }

    /// Encoded bytes: (timestamps, values).
    pub(super) fn encoded_bytes(&self) -> (usize, usize) {
        (self.timestamps.len(), self.values.len())
    }
}
