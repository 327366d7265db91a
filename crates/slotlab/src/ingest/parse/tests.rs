//! Unit tests of `parse.rs`.

use super::*;
use slotlab_stream::Column;

fn block(text: &str) -> LineBlock {
    LineBlock {
        text: text.as_bytes().to_vec(),
        first_line: 1,
        created_ns: 7,
    }
}

fn parser(format: InputFormat, strict: bool) -> LineParser {
    LineParser::new(
        ParseOptions {
            strict,
            ints: vec!["size".into()],
            ..ParseOptions::default()
        },
        format,
    )
}

#[test]
fn ndjson_lines_become_typed_events_and_bad_ones_are_named() {
    let mut p = parser(InputFormat::Ndjson, false);
    let got = p.parse(&block(
        "{\"timestamp\": 1000, \"series\": \"a\", \"price\": 1.5, \"size\": 3}\n\
         {\"timestamp\": \"1970-01-01T00:00:02Z\", \"series\": \"b\", \"price\": 2, \"size\": 4}\n\
         \n\
         {\"timestamp\": 3000, \"series\": \"a\", \"price\": \"2\", \"size\": 4}\n\
         [1, 2]\n\
         {\"timestamp\": 3000, \"series\": \"a\", \"price\": 1.0\n\
         {\"timestamp\": 1.5, \"series\": \"a\", \"price\": 1.0, \"size\": 1}\n\
         {\"series\": \"a\", \"price\": 1.0, \"size\": 1}\n\
         {\"timestamp\": 500, \"series\": \"a\", \"price\": 1.0, \"size\": 1}\n\
         {\"timestamp\": 4000, \"series\": \"a\", \"price\": 1.0, \"size\": 1.5}\n\
         {\"timestamp\": 4000, \"series\": \"a\", \"price\": 1.0, \"size\": 1, \"x\": 0}\n\
         {\"timestamp\": 4000, \"series\": \"a\", \"price\": 1.0}\n\
         {\"timestamp\": \"2026-01-01 00:00\", \"series\": \"a\", \"price\": 1, \"size\": 1}\n\
         {\"timestamp\": 5000, \"series\": \"a\", \"price\": -0.5, \"size\": 9}",
    ));
    assert!(got.stop.is_none());
    let batch = got.batch.unwrap();
    let e = &batch.events;
    assert!(batch.keyed);
    assert_eq!(e.keys, ["a", "b"]);
    assert_eq!(e.series, [0, 1, 0]);
    assert_eq!(e.batch.timestamps, [1000, 2000, 5000]);
    assert_eq!(e.batch.columns[0].to_f64(), [1.5, 2.0, -0.5]);
    assert_eq!(e.batch.columns[1], Column::I64(vec![3, 4, 9]));
    assert_eq!(batch.created_ns, [7, 7, 7]);
    let lines: Vec<u64> = p.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    assert_eq!(p.rejected, 10);
    let reasons: Vec<&str> = p.bad.iter().map(|b| b.reason.as_str()).collect();
    for (reason, expect) in reasons.iter().zip([
        "\"price\" is a string, not a number",
        "not a JSON object but an array",
        "not JSON",
        "not an integer number of epoch milliseconds",
        "no \"timestamp\" field",
        "goes back from 1000",
        "\"size\": 1.5 is not a 64-bit integer",
        "unexpected field \"x\"",
        "no \"size\" field",
        "neither integer epoch milliseconds nor an RFC 3339",
    ]) {
        assert!(reason.contains(expect), "{reason:?} lacks {expect:?}");
    }
}

#[test]
fn strict_stops_at_the_first_bad_line_keeping_the_good_ones_before() {
    let mut p = parser(InputFormat::Ndjson, true);
    let got = p.parse(&block(
        "{\"timestamp\": 1, \"v\": 1}\n{\"timestamp\": 2, \"v\": null}\n{\"timestamp\": 3, \"v\": 3}\n",
    ));
    assert_eq!(got.batch.unwrap().events.batch.timestamps, [1]);
    match got.stop {
        Some(Ended::Strict(bad)) => {
            assert_eq!(bad.line, 2);
            assert!(bad.reason.contains("null"), "{}", bad.reason);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn huge_integers_in_float_fields_are_refused() {
    let mut p = parser(InputFormat::Ndjson, false);
    let got = p.parse(&block(
        "{\"timestamp\": 1, \"v\": 9007199254740993}\n{\"timestamp\": 1, \"v\": 9007199254740992}\n",
    ));
    assert_eq!(got.batch.unwrap().events.len(), 1);
    assert!(p.bad[0].reason.contains("--ints"), "{:?}", p.bad);
}

#[test]
fn csv_blocks_keep_the_header_and_count_lines_across_blocks() {
    let mut p = parser(InputFormat::Csv, false);
    let first = p.parse(&block("timestamp,series,price,size\n1000,a,1.5,3\n"));
    assert_eq!(first.batch.unwrap().events.batch.timestamps, [1000]);
    let mut second = block("2000,b,x,1\n3000,a,2.5\n\n1970-01-01T00:00:04Z,a,inf,2\n5000,a,2,2\n");
    second.first_line = 3;
    let got = p.parse(&second);
    let batch = got.batch.unwrap();
    assert_eq!(batch.events.keys, Vec::<String>::new());
    assert_eq!(batch.events.batch.timestamps, [5000]);
    let lines: Vec<u64> = p.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4, 6]);
    assert!(p.bad[1].reason.contains("3 columns, the header has 4"));
}

#[test]
fn a_csv_header_without_the_timestamp_column_stops_the_run() {
    let mut p = parser(InputFormat::Csv, false);
    let got = p.parse(&block("time,v\n1,2\n"));
    match got.stop {
        Some(Ended::SourceFailed(why)) => assert!(why.to_string().contains("--ts-field"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn formats_follow_the_file_name() {
    use std::path::Path;
    assert_eq!(
        InputFormat::from_path(Path::new("a.CSV")),
        Some(InputFormat::Csv)
    );
    assert_eq!(
        InputFormat::from_path(Path::new("a.jsonl")),
        Some(InputFormat::Ndjson)
    );
    assert_eq!(InputFormat::from_path(Path::new("a.txt")), None);
}
