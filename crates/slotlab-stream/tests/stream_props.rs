//! Property tests: any series round-trips through the stream bit for bit,
//! under every codec policy, through save and load too.

use proptest::prelude::*;
use slotlab_stream::source::Events;
use slotlab_stream::{CodecPolicy, Column, Field, FieldKind, Schema, Stream, StreamConfig};

/// Floats that stress codecs: NaN (with payloads), ±inf, ±0.0, subnormals,
/// decimals, and anything at all.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.0),
        Just(f64::MIN_POSITIVE / 4.0),
        (-100_000i64..100_000).prop_map(|d| d as f64 / 10.0),
        (-100_000i64..100_000).prop_map(|d| d as f64 * 0.01),
        any::<u64>().prop_map(f64::from_bits),
        any::<f64>(),
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![Just(i64::MIN), Just(i64::MAX), -1000i64..1000, any::<i64>(),]
}

/// Events over up to three series with timestamps that never go back
/// within a series (but jump anywhere, extremes included).
fn events() -> impl Strategy<Value = Events> {
    let row = (
        0u32..3,
        prop_oneof![Just(0i64), 0i64..5, any::<i64>()],
        float(),
        int(),
    );
    (prop::collection::vec(row, 1..600), any::<i64>()).prop_map(|(rows, start)| {
        let schema = Schema::new(vec![
            Field::new("x", FieldKind::F64),
            Field::new("n", FieldKind::I64),
        ])
        .unwrap();
        let keys = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let mut events = Events::with_capacity(schema, keys, rows.len());
        let mut clocks = [start; 3];
        let (mut xs, mut ns) = (Vec::new(), Vec::new());
        for (series, step, x, n) in rows {
            let clock = &mut clocks[series as usize];
            // Forward only; saturate at i64::MAX (equal timestamps are fine).
            *clock = clock.saturating_add(step.unsigned_abs().min(i64::MAX as u64) as i64);
            events.series.push(series);
            events.batch.timestamps.push(*clock);
            xs.push(x);
            ns.push(n);
        }
        events.batch.columns = vec![Column::F64(xs), Column::I64(ns)];
        events
    })
}

fn policy() -> impl Strategy<Value = CodecPolicy> {
    prop_oneof![
        Just(CodecPolicy::Smallest),
        Just(CodecPolicy::HandWritten),
        Just(CodecPolicy::Pco),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_series_round_trips_bit_for_bit(events in events(), policy in policy(), chunk_len in 1usize..200) {
        let config = StreamConfig { chunk_len, codecs: policy };
        let stream = events.to_stream(config).unwrap();
        prop_assert!(events.matches(&stream).unwrap());
        let loaded = Stream::load(&stream.save().unwrap()).unwrap();
        prop_assert!(events.matches(&loaded).unwrap());
    }
}
