//! Exact allocation accounting over the system allocator.
//!
//! Scopes count the calling thread only, so these tests are exact even
//! though the test harness runs them on parallel threads.

use slotlab::measure::TrackingAllocator;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

const BACKEND: &str = "system malloc";

include!("alloc_cases/cases.rs");
