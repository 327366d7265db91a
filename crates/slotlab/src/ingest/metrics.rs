//! The pipeline's figures: end-to-end latency (an HDR histogram), channel
//! occupancy, and the live snapshot shown while a run goes on.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Highest latency the histogram tells apart: one hour, in nanoseconds
/// (anything slower is recorded as one hour).
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// Creation-to-stored latency of every stored event.
#[derive(Debug)]
pub(super) struct Latency {
    histogram: Histogram<u64>,
}

impl Latency {
    pub(super) fn new() -> Self {
        // Three significant digits from 1 ns to an hour: about 0.1 % error
        // on every quantile, ~200 KiB of buckets.
        let histogram = Histogram::new_with_bounds(1, HIGHEST_NS, 3)
            .expect("1 ns to 1 h at 3 significant digits is a valid histogram");
        Self { histogram }
    }

    /// Records the events created at `created_ns` (in creation order) as
    /// stored at `now_ns`. Events stamped together are recorded together.
    pub(super) fn record(&mut self, created_ns: &[u64], now_ns: u64) {
        let mut rest = created_ns;
        while let Some(&first) = rest.first() {
            let run = rest.iter().take_while(|&&c| c == first).count();
            let latency = now_ns.saturating_sub(first).max(1);
            self.histogram.saturating_record_n(latency, run as u64);
            rest = &rest[run..];
        }
    }

    pub(super) fn summary(&self) -> LatencySummary {
        let h = &self.histogram;
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: h.len(),
            p50_ns: h.value_at_quantile(0.50),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            mean_ns: h.mean(),
        }
    }
}

/// Latency quantiles, from an HDR histogram (3 significant digits).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// Events recorded.
    pub count: u64,
    /// Median, in nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// The slowest event.
    pub max_ns: u64,
    /// The mean.
    pub mean_ns: f64,
}

/// How full one channel was, sampled each time its consumer took a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Batches the channel holds at most.
    pub capacity: usize,
    /// Samples taken.
    pub samples: u64,
    /// Their sum.
    pub sum: u64,
    /// The fullest it was seen.
    pub max: usize,
}

impl QueueStats {
    /// Mean batches waiting.
    pub fn mean(&self) -> f64 {
        self.sum as f64 / self.samples.max(1) as f64
    }
}

/// Samples one channel's occupancy.
#[derive(Debug, Default)]
pub(super) struct QueueSampler {
    samples: u64,
    sum: u64,
    max: usize,
}

impl QueueSampler {
    pub(super) fn sample(&mut self, waiting: usize) {
        self.samples += 1;
        self.sum += waiting as u64;
        self.max = self.max.max(waiting);
    }

    pub(super) fn stats(&self, capacity: usize) -> QueueStats {
        QueueStats {
            capacity,
            samples: self.samples,
            sum: self.sum,
            max: self.max,
        }
    }
}

/// The figures so far, for live progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    /// Since the run began.
    pub elapsed: Duration,
    /// Events accepted by the parse stage.
    pub accepted: u64,
    /// Events in the sink.
    pub stored: u64,
    /// Events shed at intake.
    pub dropped: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Bytes the sink holds.
    pub held_bytes: u64,
    /// Batches waiting in each channel (source → parse, parse → store).
    pub queued: [usize; 2],
    /// Batches each channel holds at most.
    pub capacity: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_come_from_the_recorded_values() {
        let mut latency = Latency::new();
        // 990 events 1 µs old, 10 events 1 ms old, stored at 2 ms.
        let mut created = vec![1_999_000u64; 990];
        created.extend([1_000_000u64; 10]);
        latency.record(&created, 2_000_000);
        let s = latency.summary();
        assert_eq!(s.count, 1000);
        assert!((999..=1001).contains(&s.p50_ns), "{s:?}");
        assert!(s.p999_ns >= 999_000 && s.max_ns >= 999_000, "{s:?}");
        assert!(s.p99_ns < 1_100, "{s:?}");
    }

    #[test]
    fn queue_stats_average_the_samples() {
        let mut q = QueueSampler::default();
        for waiting in [0, 2, 4] {
            q.sample(waiting);
        }
        let s = q.stats(8);
        assert_eq!((s.samples, s.max, s.capacity), (3, 4, 8));
        assert_eq!(s.mean(), 2.0);
    }
}
