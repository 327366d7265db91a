//! The seed exercise's exact memory cost per layout.

use slotlab::ingest::Storage;
use slotlab::lab::LabError;
use slotlab::lab::lesson::{self, LessonConfig};
use slotlab::measure::{AllocScope, FakeClock, RepeatPlan, RunKind, TrackingAllocator};
use slotlab::model::{Instance, Layout, Str, Value};
use std::time::Duration;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

const N: u64 = 1000;

fn run(layout: Storage, plan: RepeatPlan) -> slotlab::measure::Measurement {
    let clock = FakeClock::new(Duration::from_millis(7));
    lesson::run(&LessonConfig { n: N, layout, plan }, &clock, &mut |_| {}).unwrap()
}

fn once(layout: Storage) -> slotlab::measure::Measurement {
    run(
        layout,
        RepeatPlan {
            warmup: 0,
            repetitions: std::num::NonZeroU32::MIN,
        },
    )
}

/// What `sum(r.value for r in data)` gives in CPython 3.11: left to right.
fn expected_sum(n: u64) -> f64 {
    (0..n).fold(0.0, |acc, i| acc + i as f64 * 0.1)
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_slots_reading_costs_32_requested_bytes_with_its_list_slot() {
    let m = once(Storage::Slots);
    // 8 (list slot) + 8 (class pointer) + 2 × 8 (packed values), one block each.
    assert_eq!(m.peak_bytes, 32 * N);
    assert_eq!(m.bytes_per_object, 32.0);
    assert_eq!(m.allocations, Some(N + 1));
    assert_eq!(m.extra["instance_block_bytes"], 24.0);
    assert_eq!(m.extra["sum"], expected_sum(N));
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_dict_reading_costs_48_requested_bytes_once_its_class_knows_its_keys() {
    let m = once(Storage::Dict);
    // One block per reading; a fresh class's first 26 get more room than the
    // keys need (their exact sizes: tests/dict_states.rs).
    assert!(m.peak_bytes > 48 * N && m.peak_bytes < 48 * N + 26 * 272);
    assert_eq!(m.allocations, Some(N + 1));
    assert_eq!(m.extra["instance_block_bytes"], 40.0);
    assert_eq!(m.extra["sum"], expected_sum(N));
    // With one warm-up the class already knows its keys: exactly 48 each.
    let warm = run(
        Storage::Dict,
        RepeatPlan {
            warmup: 1,
            repetitions: std::num::NonZeroU32::MIN,
        },
    );
    assert_eq!(warm.peak_bytes, 48 * N);
    assert_eq!(warm.bytes_per_object, 48.0);
}

#[test]
fn records_cost_16_bytes_each_in_a_vec_or_in_columns() {
    // Vec<Reading>: one block of N × 16; RecordVec: two columns of N × 8.
    for (layout, blocks) in [(Storage::Record, 1), (Storage::Columns, 2)] {
        let m = once(layout);
        assert_eq!(m.peak_bytes, 16 * N, "{layout}");
        assert_eq!(m.allocations, Some(blocks), "{layout}");
        assert_eq!(m.extra["sum"], expected_sum(N), "{layout}");
        assert!(!m.extra.contains_key("instance_block_bytes"));
    }
}

#[test]
fn a_table_reading_costs_its_block_plus_its_own_hash_table() {
    let class = lesson::reading_class(Layout::Table).unwrap();
    let (timestamp, value) = (Str::new("timestamp"), Str::new("value"));
    let scope = AllocScope::start();
    let mut r = Instance::new(&class);
    r.set_attr(&timestamp, Value::Int(1)).unwrap();
    r.set_attr(&value, Value::Float(0.1)).unwrap();
    let one = scope.stats();
    drop(r);
    // The object block (class pointer + the table's 56-byte header), the
    // table's index (4 buckets of 8-byte indexes and 4 + 16 control bytes) and
    // its entries (3 of hash, key and packed value: 24 bytes each).
    assert_eq!(one.live_blocks, 3);
    assert_eq!(one.bytes_now, 64 + (4 * 8 + 4 + 16) + 3 * 24, "{one:?}");

    let m = once(Storage::Table);
    let list_slot = std::mem::size_of::<Instance>() as u64;
    assert_eq!(m.peak_bytes, N * (list_slot + one.bytes_now as u64));
    assert_eq!(m.allocations, Some(1 + N * 3 + N * one.reallocations));
    assert_eq!(m.extra["sum"], expected_sum(N));
}

#[test]
fn instances_give_back_every_byte() {
    for layout in Layout::ALL {
        let class = lesson::reading_class(layout).unwrap();
        // Interned before the scope: the class's shared keys intern names
        // for good, as CPython interns attribute names.
        let names = [Str::intern("timestamp"), Str::intern("value")];
        let scope = AllocScope::start();
        let data: Vec<Instance> = (0..100)
            .map(|i| {
                let mut r = Instance::new(&class);
                for name in &names {
                    r.set_attr(name, Value::Int(i)).unwrap();
                }
                r
            })
            .collect();
        drop(data);
        let s = scope.stats();
        assert_eq!((s.bytes_now, s.live_blocks), (0, 0), "{layout}");
    }
}

#[test]
fn repetitions_are_timed_with_the_given_clock_and_warmups_unrecorded() {
    let mut kinds = Vec::new();
    let clock = FakeClock::new(Duration::from_millis(7));
    let config = LessonConfig {
        n: 10,
        layout: Storage::Slots,
        plan: RepeatPlan {
            warmup: 2,
            repetitions: std::num::NonZeroU32::new(3).unwrap(),
        },
    };
    let m = lesson::run(&config, &clock, &mut |k| kinds.push(k)).unwrap();
    assert_eq!(kinds.len(), 5);
    assert_eq!(kinds[2], RunKind::Measured(0));
    // Each window reads the fake clock three times (start, built, end):
    // two 7 ms steps, the second of them the sum.
    assert_eq!(m.time.samples_s, vec![0.014; 3]);
    assert_eq!(m.extra["iterate_median_s"], 0.007);
    assert_eq!((m.repetitions, m.warmup), (3, 2));
    // Allocation accounting is deterministic: the same every run.
    assert_eq!(m.peak_bytes, once(Storage::Slots).peak_bytes / N * 10);
}

#[test]
fn an_n_that_cannot_fit_is_refused_with_both_figures() {
    let err = lesson::check_fits(Storage::Slots, 1_000_000_000_000_000).unwrap_err();
    let LabError::TooLarge { estimate, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(estimate.bytes_per_object, 32.0);
    let text = err.to_string();
    assert!(
        text.contains("needs about") && text.contains("available"),
        "{text}"
    );
    assert!(matches!(
        lesson::check_fits(Storage::Dict, 0),
        Err(LabError::ZeroN)
    ));
    assert!(lesson::check_fits(Storage::Dict, 1000).is_ok());
}
