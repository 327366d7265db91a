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

    /// Encoded bytes: (timestamps, values).
    pub(super) fn encoded_bytes(&self) -> (usize, usize) {
        (self.timestamps.len(), self.values.len())
    }
}
