//! Measurement that can be trusted: exact allocation accounting, repeated
//! timing with spread, and the [`Measurement`] record.

pub mod alloc;
mod anatomy;
pub mod bandwidth;
pub mod census;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod keys;
mod measurement;
mod runtime;
pub mod system;
pub mod timing;

pub use alloc::{AllocScope, AllocStats, BackingAllocator, TrackingAllocator};
pub use anatomy::{Anatomy, DictAction, DictScenario, DictStep, FieldLine, Part, SizeMeasure};
pub use measurement::{Claim, Measurement, Results, Section, Suite, Verdict};
pub use runtime::{PyMode, Runtime, RuntimeParseError};
pub use timing::{Clock, FakeClock, MonotonicClock, RepeatPlan, RunKind, Stopwatch, TimeStats};
