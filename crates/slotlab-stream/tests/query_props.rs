//! Property test: aggregates per time bucket (first and last too), answered from chunk
//! summaries where they can be, equal brute force over the raw events.

use proptest::prelude::*;
use slotlab_stream::{CodecPolicy, Field, FieldKind, Num, Schema, Stream, StreamConfig};

/// Up to three series of (timestamp, small integer value) events, times
/// non-decreasing per series (integer values keep every sum exact).
fn events() -> impl Strategy<Value = Vec<(usize, i64, i64)>> {
    prop::collection::vec((0usize..3, 0i64..50, -1000i64..1000), 1..400).prop_map(|raw| {
        let mut clock = [0i64; 3];
        raw.into_iter()
            .map(|(s, step, v)| {
                clock[s] += step;
                (s, clock[s], v)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn buckets_equal_brute_force(
        events in events(),
        chunk_len in 1usize..60,
        from in -10i64..3000,
        span in 0i64..6000,
        every in prop::option::of(1i64..700),
    ) {
        let schema = Schema::new(vec![Field::new("v", FieldKind::F64)]).unwrap();
        let mut stream = Stream::new(schema, StreamConfig { chunk_len, codecs: CodecPolicy::HandWritten });
        let ids: Vec<_> = ["a", "b", "c"].iter().map(|k| stream.series(k)).collect();
        for &(s, t, v) in &events {
            stream.append(ids[s], t, &[Num::F64(v as f64)]).unwrap();
        }
        let to = from + span;
        let bucket = |t: i64| every.map_or(from, |e| t.div_euclid(e) * e);
        for series in [None, Some(0usize), Some(2)] {
            let got = stream
                .aggregate_every(series.map(|s| ids[s]), 0, from, to, every, true)
                .unwrap();
            type Row = (usize, f64, f64, f64, Option<(i64, f64)>, Option<(i64, f64)>);
            let mut want: std::collections::BTreeMap<i64, Row> = Default::default();
            // Series by series (storage order within each): first keeps the
            // earliest (the earlier series on a tie), last the latest (the
            // later series on a tie).
            for want_series in 0..3 {
                for &(s, t, v) in &events {
                    if s != want_series || series.is_some_and(|x| x != s) || !(from..=to).contains(&t) {
                        continue;
                    }
                    let e = want.entry(bucket(t)).or_insert((0, 0.0, f64::INFINITY, f64::NEG_INFINITY, None, None));
                    e.0 += 1;
                    e.1 += v as f64;
                    e.2 = e.2.min(v as f64);
                    e.3 = e.3.max(v as f64);
                    if e.4.is_none_or(|(ft, _)| t < ft) {
                        e.4 = Some((t, v as f64));
                    }
                    if e.5.is_none_or(|(lt, _)| t >= lt) {
                        e.5 = Some((t, v as f64));
                    }
                }
            }
            let got: Vec<(i64, Row)> = got
                .buckets
                .iter()
                .map(|(b, a)| (*b, (a.count, a.sum, a.min, a.max, a.first, a.last)))
                .collect();
            let want: Vec<_> = want.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn whole_chunks_inside_a_bucket_are_not_decoded() {
    let schema = Schema::new(vec![Field::new("v", FieldKind::F64)]).unwrap();
    let mut stream = Stream::new(
        schema,
        StreamConfig {
            chunk_len: 100,
            codecs: CodecPolicy::HandWritten,
        },
    );
    let id = stream.series("s");
    for t in 0..1000 {
        stream.append(id, t, &[Num::F64(1.0)]).unwrap();
    }
    stream.seal().unwrap();
    // Buckets of 500 hold five whole chunks each: nothing decoded.
    let b = stream
        .aggregate_every(None, 0, 0, 999, Some(500), false)
        .unwrap();
    assert_eq!((b.from_summaries, b.decoded), (10, 0));
    assert_eq!(
        b.buckets
            .iter()
            .map(|(s, a)| (*s, a.count))
            .collect::<Vec<_>>(),
        [(0, 500), (500, 500)]
    );
    // Buckets of 250 cut the chunks holding 250 and 750 (500 starts one).
    let b = stream
        .aggregate_every(None, 0, 0, 999, Some(250), false)
        .unwrap();
    assert_eq!((b.from_summaries, b.decoded), (8, 2));
    // First and last decode at most the first and last summary chunk of
    // each bucket: here buckets of 500 start and end with whole chunks.
    let b = stream
        .aggregate_every(None, 0, 0, 999, Some(500), true)
        .unwrap();
    assert_eq!((b.from_summaries, b.decoded, b.ends_decoded), (10, 0, 4));
    assert_eq!(b.buckets[1].1.first, Some((500, 1.0)));
    assert_eq!(b.buckets[1].1.last, Some((999, 1.0)));
}
