//! The gc experiment's Rust side: a full trace reaches every object and
//! visits exactly the heap blocks each layout owns.

use slotlab::lab::experiment::{self, Context, NoProgress, Settings};
use slotlab::lab::gc::Gc;
use slotlab::measure::{FakeClock, RepeatPlan, TrackingAllocator};
use std::time::Duration;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

#[test]
fn full_traces_reach_all_and_count_blocks() {
    let settings = Settings {
        n: 2000,
        plan: RepeatPlan::new(1, std::num::NonZeroU32::new(3).unwrap()),
        rust: true,
        python: None,
        python_limits: Default::default(),
    };
    let clock = FakeClock::new(Duration::from_micros(10));
    let mut progress = NoProgress;
    let mut cx = Context::new(&settings, &clock, &mut progress).unwrap();
    let results = experiment::run(&mut Gc, &mut cx).unwrap();
    let rows = &results.measurements;
    assert_eq!(rows.len(), 3);
    // A table owns its entries and index; a dict reading's values, like a
    // slots reading's, are in its one block.
    for (layout, blocks_per_object) in [("table", 3.0), ("dict", 1.0), ("slots", 1.0)] {
        let m = rows.iter().find(|m| m.layout == layout).unwrap();
        assert_eq!(m.extra["objects_traced"], 2000.0, "{layout}");
        assert_eq!(
            m.extra["blocks_visited"],
            2000.0 * blocks_per_object,
            "{layout}"
        );
        // One fake-clock step per timed trace and per timed free.
        assert_eq!(m.time.samples_s, vec![10e-6; 3], "{layout}");
        assert_eq!(m.extra["free_pause_s"], 10e-6, "{layout}");
    }
    // A fake clock gives both layouts the same pause: not lower for slots.
    assert_eq!(results.claims[0].claim, "Lower GC overhead");
}
