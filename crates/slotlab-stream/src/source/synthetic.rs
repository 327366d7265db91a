//! Synthetic sources, seeded and reproducible: the same configuration
//! always produces the same events.

use super::Events;
use crate::{Column, Field, FieldKind, Schema};

/// A generator of events.
pub trait SyntheticSource: Clone {
    /// The fields its events carry.
    fn schema(&self) -> Schema;

    /// Its series keys.
    fn keys(&self) -> Vec<String>;

    /// Events it has left, when it ends (a replay); `None`: endless.
    fn remaining(&self) -> Option<u64> {
        None
    }

    /// Appends its next `n` events to `out` (made from this source's
    /// schema and keys).
    fn fill(&mut self, out: &mut Events, n: usize);

    /// The first `n` events, from a fresh copy of this source.
    fn generate(&self, n: usize) -> Events {
        let mut source = self.clone();
        let mut events = Events::with_capacity(source.schema(), source.keys(), n);
        source.fill(&mut events, n);
        events
    }
}

fn floats(out: &mut Events, field: usize) -> &mut Vec<f64> {
    match &mut out.batch.columns[field] {
        Column::F64(v) => v,
        Column::I64(_) => unreachable!("the source's schema makes field {field} a float"),
    }
}

fn ints(out: &mut Events, field: usize) -> &mut Vec<i64> {
    match &mut out.batch.columns[field] {
        Column::I64(v) => v,
        Column::F64(_) => unreachable!("the source's schema makes field {field} an integer"),
    }
}

/// The lesson's readings: `Reading(timestamp=i, value=i*0.1)`, one series.
#[derive(Debug, Clone, Default)]
pub struct Lesson {
    next: i64,
}

impl SyntheticSource for Lesson {
    fn schema(&self) -> Schema {
        Schema::lesson()
    }

    fn keys(&self) -> Vec<String> {
        vec![String::new()]
    }

    fn fill(&mut self, out: &mut Events, n: usize) {
        let range = self.next..self.next + n as i64;
        out.series.extend(std::iter::repeat_n(0, n));
        out.batch.timestamps.extend(range.clone());
        floats(out, 0).extend(range.map(|i| i as f64 * 0.1));
        self.next += n as i64;
    }
}

/// 2026-01-01T00:00:00Z in epoch milliseconds: where synthetic clocks start.
pub const EPOCH_2026_MS: i64 = 1_767_225_600_000;

/// A sensor fleet: `sensors` thermometers each reporting every
/// `interval_ms` (staggered across the interval, with jitter), values a
/// random walk in tenths of a degree from 15–25 °C — a sensor's real
/// precision — so each value is an exact one-decimal number.
#[derive(Debug, Clone)]
pub struct Sensors {
    /// Sensors in the fleet (at least 1).
    pub sensors: usize,
    /// Milliseconds between two readings of one sensor (at least 1).
    pub interval_ms: i64,
    /// Random seed.
    pub seed: u64,
    state: Option<SensorState>,
}

#[derive(Debug, Clone)]
struct SensorState {
    rng: fastrand::Rng,
    /// Each sensor's level, in tenths of a degree.
    tenths: Vec<i64>,
    round: i64,
    next_sensor: usize,
}

impl Default for Sensors {
    fn default() -> Self {
        Self::new(100, Self::ONE_PER_SECOND_MS, 42)
    }
}

impl Sensors {
    /// A reading per sensor each second: the fleet's usual interval.
    pub const ONE_PER_SECOND_MS: i64 = 1000;

    /// A fleet of `sensors` reporting every `interval_ms`, seeded.
    pub fn new(sensors: usize, interval_ms: i64, seed: u64) -> Self {
        Self {
            sensors: sensors.max(1),
            interval_ms: interval_ms.max(1),
            seed,
            state: None,
        }
    }
}

impl SyntheticSource for Sensors {
    fn schema(&self) -> Schema {
        Schema::known(vec![Field::new("celsius", FieldKind::F64)])
    }

    fn keys(&self) -> Vec<String> {
        (0..self.sensors)
            .map(|k| format!("sensor-{k:03}"))
            .collect()
    }

    fn fill(&mut self, out: &mut Events, n: usize) {
        let (sensors, interval, seed) = (self.sensors, self.interval_ms, self.seed);
        let state = self.state.get_or_insert_with(|| {
            let mut rng = fastrand::Rng::with_seed(seed);
            let tenths = (0..sensors).map(|_| rng.i64(150..=250)).collect();
            SensorState {
                rng,
                tenths,
                round: 0,
                next_sensor: 0,
            }
        });
        let slot = (interval / sensors as i64).max(1);
        let jitter = (slot / 2).max(1);
        for _ in 0..n {
            let k = state.next_sensor;
            let t = EPOCH_2026_MS
                + state.round * interval
                + (k as i64 * slot) % interval
                + state.rng.i64(0..jitter);
            // Mostly steady, sometimes a tenth up or down, rarely two.
            let step = match state.rng.u32(0..100) {
                0..=59 => 0,
                60..=78 => 1,
                79..=97 => -1,
                98 => 2,
                _ => -2,
            };
            state.tenths[k] += step;
            out.series.push(k as u32);
            out.batch.timestamps.push(t);
            let value = state.tenths[k] as f64 / 10.0;
            floats(out, 0).push(value);
            state.next_sensor += 1;
            if state.next_sensor == sensors {
                state.next_sensor = 0;
                state.round += 1;
            }
        }
    }
}

/// Financial ticks: trades in `symbols` symbols, a shared exchange clock
/// advancing 0–3 ms per trade, prices a random walk on a one-cent grid,
/// sizes mostly round lots of 100.
#[derive(Debug, Clone)]
pub struct Ticks {
    /// Symbols traded (at least 1).
    pub symbols: usize,
    /// Random seed.
    pub seed: u64,
    state: Option<TickState>,
}

#[derive(Debug, Clone)]
struct TickState {
    rng: fastrand::Rng,
    cents: Vec<i64>,
    clock: i64,
}

const SYMBOLS: [&str; 8] = [
    "AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM",
];

impl Default for Ticks {
    fn default() -> Self {
        Self::new(8, 42)
    }
}

impl Ticks {
    /// Ticks over `symbols` symbols, seeded.
    pub fn new(symbols: usize, seed: u64) -> Self {
        Self {
            symbols: symbols.max(1),
            seed,
            state: None,
        }
    }
}

impl SyntheticSource for Ticks {
    fn schema(&self) -> Schema {
        Schema::known(vec![
            Field::new("price", FieldKind::F64),
            Field::new("size", FieldKind::I64),
        ])
    }

    fn keys(&self) -> Vec<String> {
        (0..self.symbols)
            .map(|i| match SYMBOLS.get(i) {
                Some(s) => (*s).to_owned(),
                None => format!("SYM{i}"),
            })
            .collect()
    }

    fn fill(&mut self, out: &mut Events, n: usize) {
        let (symbols, seed) = (self.symbols, self.seed);
        let state = self.state.get_or_insert_with(|| {
            let mut rng = fastrand::Rng::with_seed(seed);
            let cents = (0..symbols).map(|_| rng.i64(2_000..=50_000)).collect();
            TickState {
                rng,
                cents,
                clock: EPOCH_2026_MS + 9 * 3_600_000 + 30 * 60_000,
            }
        });
        for _ in 0..n {
            let s = state.rng.usize(0..symbols);
            state.clock += state.rng.i64(0..=3);
            let step = state.rng.i64(-2..=2);
            state.cents[s] = (state.cents[s] + step).max(1);
            let size = if state.rng.u32(0..10) == 0 {
                state.rng.i64(1..100)
            } else {
                100 * state.rng.i64(1..=10)
            };
            out.series.push(s as u32);
            out.batch.timestamps.push(state.clock);
            let price = state.cents[s] as f64 / 100.0;
            floats(out, 0).push(price);
            ints(out, 1).push(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sources_repeat_and_seeds_differ() {
        let a = Sensors::default().generate(1000);
        assert_eq!(a, Sensors::default().generate(1000));
        assert_ne!(a, Sensors::new(100, 1000, 7).generate(1000));
        // Generating in two steps gives the same events as one.
        let mut s = Ticks::default();
        let mut two = Events::with_capacity(s.schema(), s.keys(), 0);
        s.fill(&mut two, 300);
        s.fill(&mut two, 700);
        assert_eq!(two, Ticks::default().generate(1000));
    }

    #[test]
    fn every_series_moves_forward_and_values_are_exact_decimals() {
        for events in [
            Sensors::new(7, 250, 1).generate(5000),
            Ticks::new(3, 1).generate(5000),
        ] {
            let mut last = vec![i64::MIN; events.keys.len()];
            for (&s, &t) in events.series.iter().zip(&events.batch.timestamps) {
                assert!(t >= last[s as usize]);
                last[s as usize] = t;
            }
            let Column::F64(values) = &events.batch.columns[0] else {
                panic!()
            };
            for v in values {
                // Printing the shortest round-trip form shows few digits.
                let text = v.to_string();
                let decimals = text.split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 2, "{text}");
            }
        }
        let lesson = Lesson::default().generate(3);
        assert_eq!(lesson.batch.timestamps, [0, 1, 2]);
        assert_eq!(lesson.batch.columns[0], Column::F64(vec![0.0, 0.1, 0.2]));
    }
}
