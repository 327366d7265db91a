use super::*;

fn config(chunk_len: usize) -> StreamConfig {
    StreamConfig {
        chunk_len,
        ..StreamConfig::default()
    }
}

fn lesson(n: i64, chunk_len: usize) -> Stream {
    let mut s = Stream::new(Schema::lesson(), config(chunk_len));
    let id = s.series("");
    for i in 0..n {
        s.append(id, i, &[Num::F64(i as f64 * 0.1)]).unwrap();
    }
    s
}

fn all(s: &Stream) -> Vec<(i64, f64)> {
    let b = s.scan(SeriesId(0), i64::MIN, i64::MAX).unwrap();
    let Column::F64(values) = &b.columns[0] else {
        panic!("lesson values are floats")
    };
    b.timestamps
        .iter()
        .copied()
        .zip(values.iter().copied())
        .collect()
}

fn ticks(policy: CodecPolicy) -> Stream {
    let schema = Schema::new(vec![
        Field::new("price", FieldKind::F64),
        Field::new("size", FieldKind::I64),
    ])
    .unwrap();
    let mut s = Stream::new(
        schema,
        StreamConfig {
            chunk_len: 100,
            codecs: policy,
        },
    );
    let (a, b) = (s.series("AAPL"), s.series("MSFT"));
    for i in 0..1000i64 {
        let id = if i % 3 == 0 { b } else { a };
        let price = 100.0 + (i % 17) as f64 * 0.01;
        s.append(id, i * 10, &[Num::F64(price), Num::I64(100 * (i % 5))])
            .unwrap();
    }
    s
}

#[test]
fn timestamps_alone_are_the_scans_timestamps() {
    for policy in [CodecPolicy::HandWritten, CodecPolicy::Pco] {
        // Sealed chunks and an open head in both series.
        let s = ticks(policy);
        for key in ["AAPL", "MSFT"] {
            let id = s.find_series(key).unwrap();
            let mut timestamps = vec![-1];
            s.timestamps_into(id, &mut timestamps).unwrap();
            let scanned = s.scan(id, i64::MIN, i64::MAX).unwrap().timestamps;
            assert!(scanned.len() > 300, "{}", scanned.len());
            assert_eq!(timestamps[0], -1, "appended, not replaced");
            assert_eq!(timestamps[1..], scanned[..], "{key}");
        }
        let unknown = s.timestamps_into(SeriesId(9), &mut Vec::new());
        assert_eq!(unknown, Err(StreamError::UnknownSeries(9)));
    }
}

#[test]
fn round_trips_bit_for_bit_across_chunks_and_head() {
    let s = lesson(10_500, 1000);
    assert_eq!((s.len(), s.sealed_chunks()), (10_500, 10));
    let events = all(&s);
    assert_eq!(events.len(), 10_500);
    for (i, (t, v)) in events.iter().enumerate() {
        assert_eq!(*t, i as i64);
        assert_eq!(v.to_bits(), (i as f64 * 0.1).to_bits());
    }
}

#[test]
fn odd_values_survive_every_policy() {
    for policy in [
        CodecPolicy::Smallest,
        CodecPolicy::HandWritten,
        CodecPolicy::Pco,
    ] {
        let mut s = Stream::new(
            Schema::lesson(),
            StreamConfig {
                chunk_len: 4,
                codecs: policy,
            },
        );
        let id = s.series("");
        let values = [f64::NAN, -0.0, f64::INFINITY, 1e-300, f64::MIN, 3.0];
        let times = [i64::MIN, i64::MIN, -1, 0, i64::MAX - 1, i64::MAX];
        for (t, v) in times.iter().zip(values) {
            s.append(id, *t, &[Num::F64(v)]).unwrap();
        }
        let back = all(&s);
        let got: Vec<(i64, u64)> = back.iter().map(|(t, v)| (*t, v.to_bits())).collect();
        let want: Vec<(i64, u64)> = times
            .iter()
            .zip(values)
            .map(|(t, v)| (*t, v.to_bits()))
            .collect();
        assert_eq!(got, want, "{policy:?}");
    }
}

#[test]
fn series_fields_and_codecs() {
    let s = ticks(CodecPolicy::Smallest);
    assert_eq!(s.series_keys().collect::<Vec<_>>(), ["AAPL", "MSFT"]);
    let msft = s.find_series("MSFT").unwrap();
    let b = s.scan(msft, 0, 100).unwrap();
    assert_eq!(b.timestamps, [0, 30, 60, 90]);
    assert_eq!(b.row(1), [Num::F64(100.0 + 3.0 * 0.01), Num::I64(300)]);
    // Sizes over both series, against brute force.
    let a = s.aggregate(None, 1, i64::MIN, i64::MAX).unwrap();
    assert_eq!(a.count, 1000);
    assert_eq!(
        a.sum,
        (0..1000).map(|i| (100 * (i % 5)) as f64).sum::<f64>()
    );
    let codecs = s.codec_use();
    assert_eq!(codecs[0].0, "timestamps");
    assert_eq!(codecs[2].0, "size");
    let chunks: usize = codecs[1].1.values().sum();
    assert_eq!(chunks, s.sealed_chunks());
    // Prices on a cent grid: hand-written decimal beats XOR here.
    let hand = ticks(CodecPolicy::HandWritten);
    assert!(hand.codec_use()[1].1.contains_key(&Codec::Decimal));
    assert_eq!(
        hand.aggregate(Some(msft), 0, 0, 5000).unwrap(),
        s.aggregate(Some(msft), 0, 0, 5000).unwrap()
    );
}

#[test]
fn events_that_do_not_fit_are_refused_whole() {
    let mut s = ticks(CodecPolicy::Smallest);
    let id = s.series("AAPL");
    let before = s.len();
    for (values, want) in [
        (vec![Num::F64(1.0)], "1 values for 2 fields"),
        (
            vec![Num::I64(1), Num::I64(1)],
            "field \"price\" is f64, got i64",
        ),
    ] {
        let err = s.append(id, i64::MAX, &values).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
    assert_eq!(
        s.append(SeriesId(9), 0, &[Num::F64(1.0), Num::I64(1)]),
        Err(StreamError::UnknownSeries(9))
    );
    assert_eq!(s.len(), before);
    assert!(s.aggregate(None, 2, 0, 1).is_err());
}

#[test]
fn column_batches_append_as_events_one_by_one_would() {
    let one_by_one = lesson(2500, 1000);
    let mut batched = Stream::new(Schema::lesson(), config(1000));
    let id = batched.series("");
    let ids = vec![id; 2500];
    let timestamps: Vec<i64> = (0..2500).collect();
    let values = Batch {
        timestamps: timestamps.clone(),
        columns: vec![Column::F64((0..2500).map(|i| i as f64 * 0.1).collect())],
    };
    batched.append_columns(&ids, &values, 0..1234).unwrap();
    batched.append_columns(&ids, &values, 1234..2500).unwrap();
    assert_eq!(batched.len(), 2500);
    assert_eq!(batched.sealed_chunks(), one_by_one.sealed_chunks());
    assert_eq!(all(&batched), all(&one_by_one));
    // Shapes are checked before anything is taken.
    let ints = Batch {
        timestamps,
        columns: vec![Column::I64(vec![1; 2500])],
    };
    for (columns, rows, want) in [
        (&ints, 0..1, "got a column of i64"),
        (&values, 0..2501, "rows 0..2501 of 2500"),
    ] {
        let err = batched.append_columns(&ids, columns, rows).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
    }
    // Going back stops the batch at that event; those before it stay.
    let four = Batch {
        timestamps: vec![2600, 2601, 5, 2602],
        columns: vec![Column::F64(vec![1.0; 4])],
    };
    let err = batched.append_columns(&ids[..4], &four, 0..4).unwrap_err();
    assert!(
        matches!(
            err,
            StreamError::Backwards {
                timestamp: 5,
                accepted: 2502,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(batched.len(), 2502);
}

#[test]
fn going_backwards_is_refused_and_nothing_is_lost() {
    let mut s = lesson(2500, 1000);
    let err = s.append(SeriesId(0), 10, &[Num::F64(1.0)]).unwrap_err();
    assert_eq!(
        err,
        StreamError::Backwards {
            series: String::new(),
            timestamp: 10,
            last: 2499,
            accepted: 2500
        }
    );
    assert!(
        err.to_string()
            .contains("the 2500 events accepted so far are kept")
    );
    assert_eq!(all(&s).len(), 2500);
    // Equal timestamps are fine (two readings in one instant), and another
    // series has its own clock.
    s.append(SeriesId(0), 2499, &[Num::F64(5.0)]).unwrap();
    let other = s.series("other");
    s.append(other, 0, &[Num::F64(5.0)]).unwrap();
    assert_eq!(s.len(), 2502);
}

#[test]
fn range_and_aggregates_match_brute_force() {
    let s = lesson(10_000, 512);
    let events = all(&s);
    for (from, to) in [
        (0, 9999),
        (100, 100),
        (511, 1536),
        (-5, 3),
        (9990, 20_000),
        (50, 10),
    ] {
        let want: Vec<(i64, f64)> = events
            .iter()
            .copied()
            .filter(|(t, _)| (from..=to).contains(t))
            .collect();
        let b = s.scan(SeriesId(0), from, to).unwrap();
        assert_eq!(b.timestamps, want.iter().map(|e| e.0).collect::<Vec<_>>());
        let values: Vec<f64> = want.iter().map(|(_, v)| *v).collect();
        assert_eq!(b.columns[0], Column::F64(values.clone()), "{from}..={to}");
        let a = s.aggregate(Some(SeriesId(0)), 0, from, to).unwrap();
        assert_eq!(a.count, values.len());
        let sum: f64 = values.iter().sum();
        assert!(
            (a.sum - sum).abs() <= 1e-9 * sum.abs().max(1.0),
            "{a:?} vs {sum}"
        );
        if !values.is_empty() {
            assert_eq!(a.min, values.iter().copied().fold(f64::INFINITY, f64::min));
            assert_eq!(
                a.max,
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            );
        } else {
            assert_eq!(a.mean(), None);
        }
    }
}

#[test]
fn saves_and_loads_with_open_heads_series_and_fields() {
    let s = lesson(2500, 1000);
    let bytes = s.save().unwrap();
    let back = Stream::load(&bytes).unwrap();
    assert_eq!(back.len(), 2500);
    assert_eq!(all(&back), all(&s));
    assert_eq!(s.sealed_chunks(), 2, "saving did not seal the head");
    // Appending continues after the last loaded timestamp only.
    let mut back = back;
    assert!(back.append(SeriesId(0), 5, &[Num::F64(0.0)]).is_err());
    back.append(SeriesId(0), 2500, &[Num::F64(250.0)]).unwrap();

    let t = ticks(CodecPolicy::HandWritten);
    let back = Stream::load(&t.save().unwrap()).unwrap();
    assert_eq!(back.schema(), t.schema());
    assert_eq!(back.config(), t.config());
    assert_eq!(
        back.series_keys().collect::<Vec<_>>(),
        t.series_keys().collect::<Vec<_>>()
    );
    for id in [SeriesId(0), SeriesId(1)] {
        assert_eq!(
            back.scan(id, i64::MIN, i64::MAX).unwrap(),
            t.scan(id, i64::MIN, i64::MAX).unwrap()
        );
    }
}

#[test]
fn a_corrupt_chunk_is_named_and_the_chunks_before_it_stay_readable() {
    let s = lesson(4000, 1000);
    let bytes = s.save().unwrap();
    let header_end = 16 + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize + 4;
    let chunk_size = (bytes.len() - header_end) / 4;
    // Flip one byte inside the third chunk.
    let mut corrupt = bytes.clone();
    corrupt[header_end + 2 * chunk_size + chunk_size / 2] ^= 0xff;
    let Err(LoadError::Corrupt {
        chunk,
        chunks,
        problem,
        readable,
        ..
    }) = Stream::load(&corrupt)
    else {
        panic!("a flipped byte must be caught")
    };
    assert_eq!((chunk, chunks), (2, 4));
    assert!(
        matches!(problem, ChunkProblem::Checksum { .. }),
        "{problem}"
    );
    assert_eq!(all(&readable), all(&s)[..2000]);
    // Cut short inside the fourth chunk.
    let cut = &bytes[..bytes.len() - 10];
    let err = Stream::load(cut).unwrap_err();
    assert!(
        err.to_string().starts_with("chunk 3 of 4 (at byte ")
            && err.to_string().contains("): truncated: the chunk needs"),
        "{err}"
    );
    let LoadError::Corrupt { readable, .. } = err else {
        unreachable!()
    };
    assert_eq!(readable.len(), 3000);
    // A byte flipped anywhere in a chunk — its frame, body or checksum — is
    // corrupt or (a frame made longer) cut, never a panic, never accepted.
    for offset in [0, 1, 4, 9, chunk_size / 3, chunk_size - 5, chunk_size - 1] {
        let mut flipped = bytes.clone();
        flipped[header_end + chunk_size + offset] ^= 0x5a;
        match Stream::load(&flipped) {
            Err(LoadError::Corrupt {
                chunk: 1, problem, ..
            }) => assert!(
                matches!(
                    problem,
                    ChunkProblem::Checksum { .. } | ChunkProblem::Truncated { .. }
                ),
                "{offset}: {problem}"
            ),
            other => panic!("{offset}: {other:?}"),
        }
    }
    // Garbage after the last chunk is refused, naming where it starts.
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"garbage");
    let err = Stream::load(&trailing).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "7 bytes after the last chunk, at byte {}: not what was saved",
            bytes.len()
        )
    );
    let LoadError::Trailing { readable, .. } = err else {
        unreachable!()
    };
    assert_eq!(readable.len(), 4000);
    // A damaged header refuses the file; so do other files.
    let mut bad_header = bytes.clone();
    bad_header[17] ^= 1;
    assert!(matches!(
        Stream::load(&bad_header),
        Err(LoadError::Header(_))
    ));
    assert!(matches!(
        Stream::load(b"not a stream at all"),
        Err(LoadError::NotAStream)
    ));
    // Every cut is an error, never a panic.
    for len in 0..bytes.len() {
        assert!(Stream::load(&bytes[..len]).is_err(), "cut at {len}");
    }
}

#[test]
fn retention_drops_whole_old_chunks_and_says_how_many_events() {
    let mut s = lesson(5500, 1000); // 5 sealed chunks + 500 in the head
    assert_eq!(s.retain_since(2000), 2000);
    assert_eq!(s.len(), 3500);
    assert_eq!(all(&s)[0].0, 2000);
    // A cutoff inside a chunk keeps that chunk whole.
    assert_eq!(s.retain_since(2500), 0);
    // By size: keep at most the head plus one sealed chunk.
    let b = s.bytes();
    let last = (b.timestamps + b.fields[0]) / s.sealed_chunks();
    let limit = b.head + last + last / 2;
    let dropped = s.retain_bytes(limit);
    assert_eq!(dropped, 2000);
    assert_eq!(s.len(), 1500);
    assert!(s.bytes().total() <= limit);
    // Nothing sealed left to drop: the head stays.
    assert_eq!(s.retain_bytes(0), 1000);
    assert_eq!(s.len(), 500);
    assert_eq!(s.aggregate(None, 0, i64::MIN, i64::MAX).unwrap().count, 500);
}

#[test]
fn the_lessons_readings_take_well_under_a_byte_each() {
    for policy in [CodecPolicy::Smallest, CodecPolicy::HandWritten] {
        let mut s = Stream::new(
            Schema::lesson(),
            StreamConfig {
                chunk_len: 65_536,
                codecs: policy,
            },
        );
        let id = s.series("");
        for i in 0..1_000_000 {
            s.append(id, i, &[Num::F64(i as f64 * 0.1)]).unwrap();
        }
        s.seal().unwrap();
        let bytes = s.bytes();
        assert_eq!(bytes.head, 0);
        let per_reading = bytes.total() as f64 / 1e6;
        // The goal is 0.05 bytes per reading.
        assert!(
            per_reading <= 0.05,
            "{policy:?}: {per_reading} bytes per reading ({bytes:?})"
        );
    }
}
