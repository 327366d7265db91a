//! Exact allocation accounting over mimalloc: requested bytes are the same
//! whatever serves them.
#![cfg(feature = "mimalloc")]

use slotlab::measure::TrackingAllocator;
use slotlab::measure::alloc::MiMalloc;

#[global_allocator]
static ALLOC: TrackingAllocator<MiMalloc> = TrackingAllocator::wrapping(MiMalloc);

const BACKEND: &str = "mimalloc";

include!("alloc_cases/cases.rs");
