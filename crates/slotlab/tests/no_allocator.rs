//! Without the tracking allocator, experiments refuse to report zeros.

use slotlab::ingest::Storage;
use slotlab::lab::LabError;
use slotlab::lab::lesson::{self, LessonConfig};
use slotlab::measure::{FakeClock, RepeatPlan, alloc};
use std::time::Duration;

#[test]
fn seed_refuses_to_run_uncounted() {
    assert!(!alloc::is_installed());
    let config = LessonConfig {
        n: 10,
        layout: Storage::Slots,
        plan: RepeatPlan::default(),
    };
    let clock = FakeClock::new(Duration::from_millis(1));
    let err = lesson::run(&config, &clock, &mut |_| {}).unwrap_err();
    assert!(matches!(err, LabError::AllocatorNotInstalled), "{err}");
}
