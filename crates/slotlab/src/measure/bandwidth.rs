//! The machine's sequential memory-read bandwidth: the physical limit for
//! "sum a million readings" once the data is larger than the caches.

use super::timing::{self, Clock, RepeatPlan, Stopwatch, TimeStats};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

/// What a bandwidth probe measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandwidth {
    /// Bytes read per run.
    pub bytes: usize,
    /// Time per full read.
    pub time: TimeStats,
    /// `bytes / median time`, in GB/s (10^9 bytes per second).
    pub gb_per_s: f64,
    /// The largest cache the system reports, in bytes, if it does.
    pub largest_cache_bytes: Option<u64>,
}

impl Bandwidth {
    /// Seconds to stream `bytes` at this bandwidth.
    pub fn seconds_for(&self, bytes: f64) -> f64 {
        bytes / (self.gb_per_s * 1e9)
    }
}

/// The largest CPU cache `/sys` reports for CPU 0, in bytes.
pub fn largest_cache_bytes() -> Option<u64> {
    let dir = std::fs::read_dir("/sys/devices/system/cpu/cpu0/cache").ok()?;
    dir.filter_map(|entry| {
        let text = std::fs::read_to_string(entry.ok()?.path().join("size")).ok()?;
        parse_cache_size(&text)
    })
    .max()
}

/// `32K`, `4096K`, `480M` → bytes.
pub fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = digits.parse().ok()?;
    match unit {
        "K" => n.checked_mul(1 << 10),
        "M" => n.checked_mul(1 << 20),
        "G" => n.checked_mul(1 << 30),
        _ => None,
    }
}

/// A probe size far beyond the caches: four times the largest one the
/// system reports, at least 256 MiB and at most 2 GiB.
pub fn default_probe_bytes() -> usize {
    const MIN: u64 = 256 << 20;
    const MAX: u64 = 2 << 30;
    let four_caches = largest_cache_bytes().map_or(MIN, |c| c.saturating_mul(4));
    four_caches.clamp(MIN, MAX) as usize
}

/// Reads a `bytes`-long buffer from start to end, `plan.repetitions`
/// times after `plan.warmup`, and reports the median bandwidth. The buffer
/// is written once first, outside the timing, so page faults are not
/// counted.
pub fn sequential_read(bytes: usize, plan: RepeatPlan, clock: &dyn Clock) -> Bandwidth {
    let words = (bytes / 8).max(1);
    let buffer: Vec<u64> = (0..words as u64).collect();
    let mut checksum = 0u64;
    let time = timing::repeat::<()>(plan, |_| {
        let stopwatch = Stopwatch::start(clock);
        let sum = black_box(&buffer)
            .iter()
            .fold(0u64, |acc, w| acc.wrapping_add(*w));
        let elapsed = stopwatch.elapsed();
        checksum = black_box(sum);
        Ok(elapsed)
    })
    .unwrap_or_else(|()| TimeStats::from_samples(&[]));
    // The sum of 0..words: proves every word was read.
    debug_assert_eq!(checksum, (words as u64).wrapping_mul(words as u64 - 1) / 2);
    let read = words * 8;
    Bandwidth {
        bytes: read,
        gb_per_s: if time.median_s > 0.0 {
            read as f64 / time.median_s / 1e9
        } else {
            0.0
        },
        time,
        largest_cache_bytes: largest_cache_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::FakeClock;
    use std::time::Duration;

    #[test]
    fn cache_sizes() {
        assert_eq!(parse_cache_size("32K\n"), Some(32 << 10));
        assert_eq!(parse_cache_size("480M"), Some(480 << 20));
        assert_eq!(parse_cache_size("big"), None);
    }

    #[test]
    fn bandwidth_is_bytes_over_time() {
        let clock = FakeClock::new(Duration::from_millis(1));
        let plan = RepeatPlan {
            warmup: 0,
            repetitions: std::num::NonZeroU32::new(3).unwrap(),
        };
        let b = sequential_read(8 << 20, plan, &clock);
        assert_eq!(b.bytes, 8 << 20);
        assert_eq!(b.time.samples_s, vec![0.001; 3]);
        assert!((b.gb_per_s - (8 << 20) as f64 / 0.001 / 1e9).abs() < 1e-9);
        assert!((b.seconds_for(b.bytes as f64) - 0.001).abs() < 1e-12);
    }

    #[test]
    fn probe_is_at_least_256_mib() {
        assert!(default_probe_bytes() >= 256 << 20);
    }
}
