//! Where events come from, as a command names it: one spelling, parsed in
//! one place, for every command that takes a source.

use super::{Sensors, Ticks};
use std::path::PathBuf;

/// A source of events.
///
/// ```
/// use slotlab_stream::source::{SourceSpec, SyntheticOptions};
///
/// let options = SyntheticOptions::default();
/// assert!(matches!(SourceSpec::parse("lesson", &options), SourceSpec::Lesson));
/// assert!(matches!(SourceSpec::parse("-", &options), SourceSpec::Stdin));
/// assert!(matches!(SourceSpec::parse("sensors", &options), SourceSpec::Sensors(s) if s.sensors == 100));
/// assert!(matches!(
///     SourceSpec::parse("temps.csv", &options),
///     SourceSpec::File(path) if path.as_os_str() == "temps.csv"
/// ));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SourceSpec {
    /// The lesson's readings: `timestamp=i`, `value=i*0.1`.
    Lesson,
    /// A seeded sensor fleet.
    Sensors(Sensors),
    /// A seeded tick feed.
    Ticks(Ticks),
    /// A file (CSV or NDJSON, by its extension or as the command says).
    File(PathBuf),
    /// Standard input, read as it arrives.
    Stdin,
}

/// The settings of the synthetic sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticOptions {
    /// Sensors in the fleet.
    pub sensors: usize,
    /// Symbols traded.
    pub symbols: usize,
    /// Random seed: the same seed, the same events.
    pub seed: u64,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        Self {
            sensors: 100,
            symbols: 8,
            seed: 42,
        }
    }
}

impl SourceSpec {
    /// `lesson` (also `seed`, its earlier name), `sensors`, `ticks`, `-`
    /// for standard input, anything else a file path.
    pub fn parse(text: &str, options: &SyntheticOptions) -> Self {
        match text {
            "lesson" | "seed" => SourceSpec::Lesson,
            "sensors" => SourceSpec::Sensors(Sensors::new(
                options.sensors,
                Sensors::ONE_PER_SECOND_MS,
                options.seed,
            )),
            "ticks" => SourceSpec::Ticks(Ticks::new(options.symbols, options.seed)),
            "-" => SourceSpec::Stdin,
            path => SourceSpec::File(PathBuf::from(path)),
        }
    }

    /// True for the sources that make their events themselves.
    pub fn is_synthetic(&self) -> bool {
        matches!(
            self,
            SourceSpec::Lesson | SourceSpec::Sensors(_) | SourceSpec::Ticks(_)
        )
    }
}
