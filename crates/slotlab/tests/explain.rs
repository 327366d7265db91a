//! `explain`'s Rust anatomy: measured step by step, it must add up to what
//! the seed exercise measures for a whole list.

use slotlab::ingest::Storage;
use slotlab::lab::explain;
use slotlab::lab::lesson::{self, LessonConfig};
use slotlab::measure::{FakeClock, RepeatPlan, TrackingAllocator};
use std::time::Duration;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

/// One measured run after one warm-up: a dict class's first readings get
/// more room than later ones (CPython 3.11's rule), and `explain` takes
/// apart a later one.
fn seed_bytes_per_object(layout: Storage) -> f64 {
    let config = LessonConfig {
        n: 1000,
        layout,
        plan: RepeatPlan {
            warmup: 1,
            repetitions: std::num::NonZeroU32::MIN,
        },
    };
    let clock = FakeClock::new(Duration::from_millis(1));
    lesson::run(&config, &clock, &mut |_| {})
        .unwrap()
        .bytes_per_object
}

#[test]
fn the_parts_add_up_to_the_seed_exercise() {
    for layout in Storage::LESSON {
        let anatomy = explain::rust(layout).unwrap();
        let total: f64 = anatomy.parts.iter().map(|p| p.bytes).sum();
        assert_eq!(total, seed_bytes_per_object(layout), "{layout}");
        let requested = anatomy.measures[1].bytes.unwrap();
        assert_eq!(requested, total);
    }
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_slots_reading_is_a_list_slot_and_one_24_byte_block() {
    let anatomy = explain::rust(Storage::Slots).unwrap();
    let bytes: Vec<f64> = anatomy.parts.iter().map(|p| p.bytes).collect();
    assert_eq!(bytes, [8.0, 24.0, 0.0, 0.0]);
    assert_eq!(anatomy.parts[1].blocks, Some(1.0));
    let block = anatomy.block.unwrap();
    assert_eq!(
        (
            block.block_bytes,
            block.slots_offset,
            block.slot_count,
            block.dict_offset
        ),
        (24, 8, 2, None)
    );
    assert_eq!(
        anatomy.measures[0].bytes,
        Some(8.0),
        "size_of::<Instance>()"
    );
}

#[test]
fn a_table_reading_allocates_its_table_on_the_first_attribute() {
    let anatomy = explain::rust(Storage::Table).unwrap();
    let blocks: Vec<f64> = anatomy.parts.iter().map(|p| p.blocks.unwrap()).collect();
    assert_eq!(blocks[1..], [1.0, 2.0, 0.0]);
    let block = anatomy.block.unwrap();
    assert_eq!((block.dict_offset, block.values_offset), (Some(8), None));
}

#[test]
#[cfg(target_pointer_width = "64")]
fn a_dict_reading_is_one_40_byte_block_its_values_inline() {
    let anatomy = explain::rust(Storage::Dict).unwrap();
    let bytes: Vec<f64> = anatomy.parts.iter().map(|p| p.bytes).collect();
    assert_eq!(bytes, [8.0, 40.0, 0.0, 0.0]);
    let block = anatomy.block.unwrap();
    assert_eq!(
        (
            block.block_bytes,
            block.dict_offset,
            block.values_offset,
            block.values_capacity
        ),
        (40, Some(8), Some(16), Some(3))
    );
}

#[test]
fn a_record_is_16_bytes_inline_with_offsets_and_no_padding() {
    for layout in [Storage::Record, Storage::Columns] {
        let anatomy = explain::rust(layout).unwrap();
        let total: f64 = anatomy.parts.iter().map(|p| p.bytes).sum();
        assert_eq!(total, 16.0, "{layout}");
        assert_eq!(
            anatomy.parts.last().unwrap().bytes,
            0.0,
            "Reading::new allocates nothing"
        );
        let fields: Vec<(&str, usize)> = anatomy
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.size))
            .collect();
        assert_eq!(fields, [("timestamp", 8), ("value", 8)]);
        assert_eq!(anatomy.padding_bytes, Some(0));
        assert_eq!(
            anatomy.measures[0].bytes,
            Some(16.0),
            "size_of::<Reading>()"
        );
    }
}
