//! Retention: dropping whole sealed chunks by age or by total size.

use crate::Stream;

impl Stream {
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

impl Stream {
    /// The (wrapping) sum of the timestamps in series `series`' `chunks`
    /// oldest sealed chunks (their timestamp columns decoded, not their
    /// fields).
    pub(crate) fn front_timestamp_sum(
        &self,
        series: usize,
        chunks: usize,
    ) -> Result<i64, crate::StreamError> {
        let mut sum = 0i64;
        let mut timestamps = Vec::new();
        for chunk in self
            .series
            .get(series)
            .into_iter()
            .flat_map(|s| s.sealed.iter().take(chunks))
        {
            timestamps.clear();
            chunk.decode_timestamps(&mut timestamps)?;
            sum = timestamps.iter().fold(sum, |a, &t| a.wrapping_add(t));
        }
        Ok(sum)
    }

    /// Drops series `series`' `chunks` oldest sealed chunks (a store's
    /// retention, when their segment goes). Returns the events dropped.
    pub(crate) fn drop_front(&mut self, series: usize, chunks: usize) -> usize {
        let Some(s) = self.series.get_mut(series) else {
            return 0;
        };
        let n = chunks.min(s.sealed.len());
        let dropped: usize = s.sealed.drain(..n).map(|c| c.count).sum();
        self.len -= dropped;
        dropped
    }
}
