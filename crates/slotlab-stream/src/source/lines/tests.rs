use super::*;
use crate::Num;

fn read(
    format: InputFormat,
    options: LineOptions,
    text: &str,
) -> (LineReader, Option<Events>, Result<(), LineStop>) {
    let mut reader = LineReader::new(format, options);
    let mut out = None;
    let end = reader.read_block(1, text.as_bytes(), &mut out);
    (reader, out, end)
}

fn problems(reader: &LineReader) -> Vec<String> {
    reader.bad_lines().iter().map(ToString::to_string).collect()
}

#[test]
fn ndjson_lines_fix_the_fields_and_bad_ones_are_named_by_line() {
    let text = "\u{feff}{\"ts\": 1, \"a\": 2.5, \"b\": 1}\n\
                \n\
                {\"ts\": 2, \"a\": 3, \"b\": \"x\"}\n\
                {\"ts\": 3, \"a\": 3}\n\
                {\"ts\": 4, \"a\": 3, \"b\": 1, \"c\": 1}\n\
                {\"ts\": 5, \"a\": 3, \"b\": 1, \"a\": 2}\n\
                [1]\n\
                {\"ts\": 6, \"a\": 1e400, \"b\": 1}\n\
                {\"ts\": 0, \"a\": 1, \"b\": 1}\n\
                {\"ts\": 7.5, \"a\": 1, \"b\": 1}\n\
                {\"ts\": 8, \"a\": 9007199254740993, \"b\": 1e-400}\n\
                {\"ts\": 9, \"a\": -4, \"b\": 0.25}\n";
    let (reader, out, end) = read(InputFormat::Ndjson, LineOptions::default(), text);
    assert_eq!(end, Ok(()));
    let events = out.unwrap();
    assert_eq!(events.batch.timestamps, [1, 9]);
    assert_eq!(
        events.schema.fields()[0].name,
        "a",
        "fields in the order written"
    );
    assert_eq!(events.batch.row(1), [Num::F64(-4.0), Num::F64(0.25)]);
    assert_eq!(reader.timestamp_field(), Some("ts"));
    assert_eq!(
        problems(&reader),
        [
            "line 3: \"b\": \"x\" is not a finite number",
            "line 4: no \"b\" field",
            "line 5: unexpected field \"c\"",
            "line 6: field \"a\" is written twice",
            "line 7: not a JSON object but an array",
            "line 8: \"a\": 1e400 is out of range for a 64-bit float",
            "line 9: timestamp 0 goes back from 1 in series \"\"",
            "line 10: timestamp 7.5 is not an integer epoch or an ISO-8601 string",
            "line 11: \"a\": 9007199254740993 cannot be held exactly as a float",
        ]
    );
    assert_eq!(
        reader.rejected(),
        9,
        "line 11 too (9007199254740993 is not exact)"
    );
}

/// A block that is not all UTF-8 is read line by line as one that is: a
/// bad byte in one line rejects that line alone, in the same gaps or not,
/// and carriage returns end lines either way.
#[test]
fn one_line_not_utf8_rejects_that_line_alone() {
    let lines: [&[u8]; 5] = [
        b"{\"ts\": 1, \"series\": \"s\xc3\xa9\", \"a\": 2.5}\r\n",
        b"{\"ts\": 2, \"series\": \"s\xff\", \"a\": 2.5}\n",
        b"{\"ts\": 3, \"series\": \"\xc3\xa9\", \"a\": 3.5}\r\n",
        b"{\"ts\":4,\"series\":\"\xc3\",\"a\":1}\n",
        b"{\"ts\": 5, \"series\": \"t\", \"a\": -1}\n",
    ];
    let text = lines.concat();
    assert!(std::str::from_utf8(&text).is_err());
    let mut reader = LineReader::new(InputFormat::Ndjson, LineOptions::default());
    let mut out = None;
    assert_eq!(reader.read_block(1, &text, &mut out), Ok(()));
    let events = out.unwrap();
    assert_eq!(events.batch.timestamps, [1, 3, 5]);
    assert_eq!(events.keys, ["s\u{e9}", "\u{e9}", "t"]);
    assert_eq!(reader.rejected(), 2);
    let bad = problems(&reader);
    assert!(bad[0].starts_with("line 2: not JSON"), "{bad:?}");
    assert!(bad[1].starts_with("line 4: not JSON"), "{bad:?}");
    // The good lines alone, in a block of valid UTF-8, read the same.
    let good = [lines[0], lines[2], lines[4]].concat();
    let mut reader = LineReader::new(InputFormat::Ndjson, LineOptions::default());
    let mut alone = None;
    assert_eq!(reader.read_block(1, &good, &mut alone), Ok(()));
    let alone = alone.unwrap();
    assert_eq!(alone.batch.timestamps, events.batch.timestamps);
    assert_eq!(alone.keys, events.keys);
    assert_eq!(alone.batch.columns, events.batch.columns);
}

#[test]
fn ndjson_lines_in_the_first_lines_order_or_any_other_read_alike() {
    // Lines 1, 2 and 4 keep the first line's key order (read by position);
    // line 3 writes the same keys in another order (read by name).
    let text = "{\"time\": 1, \"sensor\": \"s1\", \"a\": 0.5, \"b\": 2}\n\
                {\"time\": 2, \"sensor\": \"s2\", \"a\": 1.5, \"b\": 3}\n\
                {\"b\": 4, \"a\": 2.5, \"time\": 3, \"sensor\": \"s1\"}\n\
                {\"time\": 4, \"sensor\": 7, \"a\": 3.5, \"b\": 5}\n";
    let options = LineOptions {
        series_field: "sensor".to_owned(),
        ..LineOptions::default()
    };
    let (reader, out, end) = read(InputFormat::Ndjson, options, text);
    assert_eq!(end, Ok(()));
    assert!(problems(&reader).is_empty(), "{:?}", problems(&reader));
    let events = out.unwrap();
    assert_eq!(events.batch.timestamps, [1, 2, 3, 4]);
    assert_eq!(events.keys, ["s1", "s2", "7"]);
    assert_eq!(events.series, [0, 1, 0, 2]);
    for (i, (a, b)) in [(0.5, 2.0), (1.5, 3.0), (2.5, 4.0), (3.5, 5.0)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            events.batch.row(i),
            [Num::F64(a), Num::F64(b)],
            "line {}",
            i + 1
        );
    }
}

#[test]
fn csv_and_ndjson_read_the_same_events_the_same_way() {
    let csv = "Time,series,temp,count\n\
               2010-01-01T00:00,a,1.5,3\n\
               2010-01-01T01:00,a,2.5,4\n\
               2010-01-01T00:30,b,-1,5\n";
    let ndjson = "{\"Time\": \"2010-01-01T00:00\", \"series\": \"a\", \"temp\": 1.5, \"count\": 3}\n\
                  {\"Time\": \"2010-01-01T01:00\", \"series\": \"a\", \"temp\": 2.5, \"count\": 4}\n\
                  {\"Time\": \"2010-01-01T00:30\", \"series\": \"b\", \"temp\": -1, \"count\": 5}\n";
    let options = LineOptions {
        ints: vec!["count".into()],
        ..LineOptions::default()
    };
    let (c, from_csv, _) = read(InputFormat::Csv, options.clone(), csv);
    let (n, from_json, _) = read(InputFormat::Ndjson, options, ndjson);
    let (from_csv, from_json) = (from_csv.unwrap(), from_json.unwrap());
    assert_eq!(from_csv.batch, from_json.batch);
    assert_eq!(from_csv.keys, ["a", "b"]);
    assert_eq!(from_csv.series, from_json.series);
    assert_eq!(from_csv.batch.timestamps[0], 1_262_304_000_000);
    assert!(c.saw_naive_time() && n.saw_naive_time());
    assert_eq!(c.rejected() + n.rejected(), 0);
}

#[test]
fn headers_that_cannot_fix_the_fields_stop_the_read() {
    let stop = |format, options: LineOptions, text: &str| {
        read(format, options, text).2.unwrap_err().to_string()
    };
    assert_eq!(
        stop(InputFormat::Csv, LineOptions::default(), "when,v\n1,2\n"),
        "line 1, which fixes the fields: no timestamp field among [\"when\", \"v\"] \
         (looked for timestamp, time, ts, datetime, date)"
    );
    let ints = LineOptions {
        ints: vec!["nosuch".into()],
        ..LineOptions::default()
    };
    assert!(
        stop(InputFormat::Csv, ints, "ts,v\n").contains("[\"nosuch\"] declared integer fields")
    );
    assert!(stop(InputFormat::Csv, LineOptions::default(), "ts,a,a\n").contains("appears twice"));
    let mut reader = LineReader::new(InputFormat::Csv, LineOptions::default());
    let err = reader
        .read_block(1, b"ts,\xff\xfe\n1,2\n", &mut None)
        .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let named = LineOptions {
        ts_field: Some("when".into()),
        ..LineOptions::default()
    };
    let (_, out, end) = read(InputFormat::Csv, named, "when,v\n5,2\n");
    assert_eq!((end, out.unwrap().batch.timestamps), (Ok(()), vec![5]));
}

#[test]
fn limits_reject_the_line_and_strict_stops_at_the_first() {
    let wide: String = (0..=MAX_FIELDS).map(|i| format!("\"f{i}\": 1, ")).collect();
    let text = format!(
        "{{\"ts\": 1, \"v\": 1}}\n{{{wide}\"ts\": 2}}\n{{\"ts\": 3, \"v\": \"{}\"}}\n",
        "x".repeat(MAX_LINE_BYTES)
    );
    let (reader, out, _) = read(InputFormat::Ndjson, LineOptions::default(), &text);
    assert_eq!(out.unwrap().len(), 1);
    let got = problems(&reader);
    assert!(
        got[0].starts_with("line 2: 4098 fields, over the limit of 4096"),
        "{got:?}"
    );
    assert!(got[1].contains("over the 1 MiB limit"), "{got:?}");
    let strict = LineOptions {
        strict: true,
        keep_rejects: true,
        ..LineOptions::default()
    };
    let (mut reader, out, end) = read(InputFormat::Csv, strict, "ts,v\n1,1\n2,x\n3,3\n");
    assert_eq!(out.unwrap().len(), 1);
    assert_eq!(
        end.unwrap_err().to_string(),
        "strict parsing stopped at line 3: \"v\": \"x\" is not a finite number"
    );
    let rejects = reader.take_rejects();
    assert_eq!((rejects.len(), rejects[0].text.as_str()), (1, "2,x"));
}

#[test]
fn csv_line_numbers_count_blank_lines_and_blocks() {
    let mut reader = LineReader::new(InputFormat::Csv, LineOptions::default());
    let mut out = None;
    reader.read_block(1, b"ts,v\n\n1,1\n", &mut out).unwrap();
    reader.read_block(4, b"2,1,1\n\n3,y\n", &mut out).unwrap();
    assert_eq!(
        problems(&reader),
        [
            "line 4: 3 columns, the header has 2",
            "line 6: \"v\": \"y\" is not a finite number"
        ]
    );
    assert_eq!(out.unwrap().len(), 1);
}

/// Found by the fuzzer: a bare `\r` inside a line split it into two
/// records. Lines end at `\n`; `\r\n` endings still read.
#[test]
fn a_bare_carriage_return_does_not_split_a_line() {
    let (reader, out, end) = read(
        InputFormat::Csv,
        LineOptions::default(),
        "time,v\r\n1,2\r\n2,3\r4\n\"3\",5\r\n",
    );
    assert_eq!(end, Ok(()));
    assert_eq!(out.unwrap().batch.timestamps, [1, 3]);
    assert_eq!(
        problems(&reader),
        ["line 3: \"v\": \"3\\r4\" is not a finite number"]
    );
}

/// Cells, quoted or not, and the header's names are read without the
/// white space around them.
#[test]
fn csv_cells_are_trimmed_quoted_or_not() {
    let (reader, out, end) = read(
        InputFormat::Csv,
        LineOptions {
            series_field: "key".into(),
            ..LineOptions::default()
        },
        " time ,\tv , key\r\n 1 , 2.5 ,a\r\n\"\t2 \",\" -3\",\" b \" \n",
    );
    assert_eq!(end, Ok(()));
    assert!(problems(&reader).is_empty(), "{:?}", problems(&reader));
    let events = out.unwrap();
    assert_eq!(events.schema.fields()[0].name, "v");
    assert_eq!(events.batch.timestamps, [1, 2]);
    assert_eq!(events.batch.columns[0].get(1), Some(Num::F64(-3.0)));
    assert_eq!(events.keys, ["a", "b"]);
}

/// Everything a reader ends with, for comparing two ways of reading.
fn outcome(
    reader: &mut LineReader,
    out: Option<Events>,
    end: Result<(), LineStop>,
) -> (
    String,
    Vec<BadLine>,
    Vec<Reject>,
    u64,
    bool,
    Result<(), LineStop>,
) {
    (
        format!("{out:?}"),
        reader.bad_lines().to_vec(),
        reader.take_rejects(),
        reader.rejected(),
        reader.saw_naive_time(),
        end,
    )
}

/// Lines of every kind: good ones in five series, series going back in
/// time, lines that are not JSON or miss a field, naive date-times.
fn mixed_lines(format: InputFormat, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut lines = vec![match format {
        InputFormat::Ndjson => r#"{"ts": 1767225600000, "series": "s0", "v": 0.5}"#.to_owned(),
        InputFormat::Csv => "ts,series,v".to_owned(),
    }];
    // Seconds into 2026, written as epoch milliseconds or, now and then,
    // as a date-time without an offset.
    let mut time = 10i64;
    for _ in 0..400 {
        time += rng.i64(-3..6);
        let series = format!("s{}", rng.u32(0..5));
        let v = rng.u32(0..1000) as f64 / 8.0;
        let ts = if rng.u8(0..20) == 0 {
            format!("\"2026-01-01T00:{:02}:{:02}\"", time / 60, time % 60)
        } else {
            (1_767_225_600_000 + time * 1000).to_string()
        };
        lines.push(match (format, rng.u8(0..25)) {
            (_, 0) => String::new(),
            (InputFormat::Ndjson, 1) => "{not json".to_owned(),
            (InputFormat::Ndjson, 2) => format!(r#"{{"ts": {ts}, "v": {v}}}"#),
            (InputFormat::Ndjson, 3) => {
                format!(r#"{{"v": {v}, "series": "{series}", "ts": {ts}}}"#)
            }
            (InputFormat::Ndjson, _) => {
                format!(r#"{{"ts": {ts}, "series": "{series}", "v": {v}}}"#)
            }
            (InputFormat::Csv, 1) => format!("{ts},{series}"),
            (InputFormat::Csv, 2) => format!("{ts},{series},warm"),
            (InputFormat::Csv, _) => format!("{ts},\"{series}\",{v}"),
        });
    }
    lines
}

/// Reading a text at once, in blocks, or in blocks parsed by forks and
/// settled in order gives the same events, rejections, counts and stop.
#[test]
fn blocks_parsed_apart_and_settled_in_order_read_as_one() {
    for format in [InputFormat::Ndjson, InputFormat::Csv] {
        for strict in [false, true] {
            for seed in 0..6 {
                let lines = mixed_lines(format, seed);
                let text = lines.join("\n") + "\n";
                let options = LineOptions {
                    strict,
                    keep_rejects: true,
                    ..LineOptions::default()
                };
                let (mut whole, out, end) = read(format, options.clone(), &text);
                let expected = outcome(&mut whole, out, end);
                assert!(expected.3 > 0, "some lines are rejected");
                // Blocks of 1 to 40 lines; the first read by the reader
                // (it fixes the fields), the rest by two forks in turn.
                let mut rng = fastrand::Rng::with_seed(seed + 100);
                let mut reader = LineReader::new(format, options.clone());
                let mut forks: Vec<BlockParser> = Vec::new();
                let (mut out, mut end, mut first) = (None, Ok(()), 0usize);
                while first < lines.len() && end.is_ok() {
                    let count = rng.usize(1..=40).min(lines.len() - first);
                    let block = lines[first..first + count].join("\n") + "\n";
                    let number = first as u64 + 1;
                    end = match forks.len() {
                        0 => {
                            let end = reader.read_block(number, block.as_bytes(), &mut out);
                            forks.extend(reader.fork());
                            forks.extend(reader.fork());
                            end
                        }
                        n => {
                            let parsed = forks[first % n].parse(number, block.as_bytes());
                            reader.settle(block.as_bytes(), parsed, &mut out)
                        }
                    };
                    first += count;
                }
                let got = outcome(&mut reader, out, end);
                let case = format!("{format} strict={strict} seed={seed}");
                assert_eq!(got.0, expected.0, "{case}: events");
                assert_eq!(got.1, expected.1, "{case}: bad lines");
                for (a, b) in got.2.iter().zip(&expected.2) {
                    assert_eq!(a, b, "{case}: rejects");
                }
                assert_eq!(got, expected, "{case}");
            }
        }
    }
}
