//! Timing: a clock trait (real or fake), stopwatches, and repetition statistics.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// A monotonic time source. Experiments take one, so tests can use
/// [`FakeClock`] and never depend on wall-clock time.
pub trait Clock {
    /// Time since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock ([`Instant`]).
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock for tests: each call to [`Clock::now`] advances it by `step`.
#[derive(Debug)]
pub struct FakeClock {
    now: Cell<Duration>,
    step: Duration,
}

impl FakeClock {
    /// A fake clock starting at zero that advances `step` per reading.
    pub fn new(step: Duration) -> Self {
        Self {
            now: Cell::new(Duration::ZERO),
            step,
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        let t = self.now.get();
        self.now.set(t + self.step);
        t
    }
}

/// Measures one interval on a [`Clock`].
#[derive(Debug)]
pub struct Stopwatch<'c, C: Clock + ?Sized> {
    clock: &'c C,
    start: Duration,
}

impl<'c, C: Clock + ?Sized> Stopwatch<'c, C> {
    /// Starts timing now.
    pub fn start(clock: &'c C) -> Self {
        Self {
            start: clock.now(),
            clock,
        }
    }

    /// Time since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        self.clock.now().saturating_sub(self.start)
    }
}

/// How many times to run a measured body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatPlan {
    /// Unmeasured runs first (caches, allocator pools, page faults).
    pub warmup: u32,
    /// Measured runs.
    pub repetitions: NonZeroU32,
}

impl RepeatPlan {
    /// `warmup` unmeasured runs, then `repetitions` measured ones.
    pub const fn new(warmup: u32, repetitions: NonZeroU32) -> Self {
        Self {
            warmup,
            repetitions,
        }
    }

    /// One measured run, no warm-up.
    pub const ONCE: RepeatPlan = RepeatPlan::new(0, NonZeroU32::MIN);

    /// The plan in words: "5 measured runs after 1 warm-up".
    pub fn describe(&self) -> String {
        runs_phrase(self.repetitions.get(), self.warmup)
    }
}

/// "5 measured runs after 1 warm-up", "1 measured run, no warm-up".
pub fn runs_phrase(repetitions: u32, warmup: u32) -> String {
    let runs = if repetitions == 1 {
        "1 measured run".to_owned()
    } else {
        format!("{repetitions} measured runs")
    };
    match warmup {
        0 => format!("{runs}, no warm-up"),
        1 => format!("{runs} after 1 warm-up"),
        w => format!("{runs} after {w} warm-ups"),
    }
}

impl Default for RepeatPlan {
    fn default() -> Self {
        Self {
            warmup: 1,
            repetitions: NonZeroU32::new(5).unwrap(),
        }
    }
}

/// Whether a run is a warm-up or a measured repetition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// Not recorded.
    Warmup,
    /// Recorded; the index counts measured runs from 0.
    Measured(u32),
}

/// Runs `body` `plan.warmup` times unrecorded and `plan.repetitions` times
/// recorded, and returns the recorded durations' statistics. `body` returns
/// the duration of the part it timed, so set-up and tear-down stay outside.
pub fn repeat<E>(
    plan: RepeatPlan,
    mut body: impl FnMut(RunKind) -> Result<Duration, E>,
) -> Result<TimeStats, E> {
    for _ in 0..plan.warmup {
        body(RunKind::Warmup)?;
    }
    let mut samples = Vec::with_capacity(plan.repetitions.get() as usize);
    for i in 0..plan.repetitions.get() {
        samples.push(body(RunKind::Measured(i))?);
    }
    Ok(TimeStats::from_samples(&samples))
}

/// Statistics of repeated timings, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeStats {
    /// Fastest run.
    pub min_s: f64,
    /// Median run (mean of the middle two for an even count).
    pub median_s: f64,
    /// Slowest run.
    pub max_s: f64,
    /// Every measured run, in the order they ran.
    pub samples_s: Vec<f64>,
}

impl TimeStats {
    /// Statistics of samples in seconds (as other processes report them);
    /// negative ones count as zero.
    pub fn from_secs(samples: &[f64]) -> Self {
        let durations: Vec<Duration> = samples
            .iter()
            .map(|s| Duration::from_secs_f64(s.max(0.0)))
            .collect();
        Self::from_samples(&durations)
    }

    /// Statistics of `samples`; all zero for an empty slice.
    pub fn from_samples(samples: &[Duration]) -> Self {
        let samples_s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
        let mut sorted = samples_s.clone();
        sorted.sort_by(f64::total_cmp);
        let median_s = match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Self {
            min_s: sorted.first().copied().unwrap_or(0.0),
            median_s,
            max_s: sorted.last().copied().unwrap_or(0.0),
            samples_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_clock_steps_per_reading() {
        let clock = FakeClock::new(Duration::from_millis(3));
        let sw = Stopwatch::start(&clock);
        assert_eq!(sw.elapsed(), Duration::from_millis(3));
        assert_eq!(sw.elapsed(), Duration::from_millis(6));
    }

    #[test]
    fn stats_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        let odd = TimeStats::from_samples(&[ms(30), ms(10), ms(20)]);
        assert_eq!((odd.min_s, odd.median_s, odd.max_s), (0.010, 0.020, 0.030));
        assert_eq!(odd.samples_s, vec![0.030, 0.010, 0.020]);
        let even = TimeStats::from_samples(&[ms(40), ms(10), ms(20), ms(30)]);
        assert_eq!(even.median_s, 0.025);
    }

    #[test]
    fn repeat_runs_warmups_unrecorded() {
        let mut kinds = Vec::new();
        let stats = repeat::<()>(RepeatPlan::new(2, NonZeroU32::new(3).unwrap()), |kind| {
            kinds.push(kind);
            Ok(Duration::from_millis(match kind {
                RunKind::Warmup => 1000,
                RunKind::Measured(i) => u64::from(i) + 1,
            }))
        })
        .unwrap();
        assert_eq!(kinds.len(), 5);
        assert_eq!(kinds[..2], [RunKind::Warmup, RunKind::Warmup]);
        assert_eq!(stats.samples_s, vec![0.001, 0.002, 0.003]);
        assert_eq!(stats.max_s, 0.003);
    }

    #[test]
    fn plans_say_how_many_runs_in_words() {
        assert_eq!(RepeatPlan::ONCE.describe(), "1 measured run, no warm-up");
        assert_eq!(
            RepeatPlan::default().describe(),
            "5 measured runs after 1 warm-up"
        );
        assert_eq!(runs_phrase(3, 2), "3 measured runs after 2 warm-ups");
    }

    #[test]
    fn repeat_stops_at_first_error() {
        let mut calls = 0;
        let result = repeat(RepeatPlan::default(), |_| {
            calls += 1;
            if calls == 2 {
                Err("boom")
            } else {
                Ok(Duration::ZERO)
            }
        });
        assert_eq!(result, Err("boom"));
        assert_eq!(calls, 2);
    }
}
