//! Measurement that can be trusted: exact allocation accounting, repeated
//! timing with spread, and the [`Measurement`] record.

pub mod alloc;
pub mod bandwidth;
mod measurement;
mod runtime;
pub mod system;
pub mod timing;

pub use alloc::{AllocScope, AllocStats, BackingAllocator, TrackingAllocator};
pub use measurement::{Claim, Measurement, Results, Verdict};
pub use runtime::{PyMode, Runtime, RuntimeParseError};
pub use timing::{Clock, FakeClock, MonotonicClock, RepeatPlan, RunKind, Stopwatch, TimeStats};
