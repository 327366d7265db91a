//! CSV files: a header row, a timestamp column, an optional `series`
//! column, numeric columns. Bad rows are reported with their line numbers
//! and skipped (or, strict, stop the read); they are never guessed at.

use super::time::parse_timestamp;
use super::{Events, SourceError};
use crate::{Batch, Column, Field, FieldKind, Num, Schema};
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::Path;

/// Names that mark the timestamp column (any case); otherwise it is the
/// first column.
const TIMESTAMP_NAMES: [&str; 5] = ["timestamp", "time", "ts", "datetime", "date"];
/// The name that marks the series column (any case).
const SERIES_NAME: &str = "series";
/// Bad rows kept for the report (all are counted).
const BAD_ROWS_KEPT: usize = 20;

/// How to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// Stop at the first bad row instead of skipping it.
    pub strict: bool,
}

/// A row that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line number in the file, from 1 (the header is line 1).
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a CSV file held.
#[derive(Debug, Clone)]
pub struct CsvEvents {
    /// Every good row, in file order.
    pub events: Events,
    /// The first bad rows (up to 20).
    pub bad: Vec<BadRow>,
    /// Every bad row, counted.
    pub rejected: u64,
    /// The column used for timestamps.
    pub timestamp_column: String,
}

/// Reads the CSV file at `path`.
pub fn read_csv(path: &Path, options: CsvOptions) -> Result<CsvEvents, SourceError> {
    let file = std::fs::File::open(path).map_err(|e| SourceError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    read_csv_from(file, &path.display().to_string(), options)
}

/// One numeric column while reading: integers until the first value that
/// is not one turns the whole column into floats.
struct Numbers {
    name: String,
    at: usize,
    values: Column,
}

impl Numbers {
    fn push(&mut self, value: Num) {
        match (&mut self.values, value) {
            (Column::I64(v), Num::I64(i)) => v.push(i),
            (Column::F64(v), value) => v.push(value.as_f64()),
            (Column::I64(ints), Num::F64(x)) => {
                let mut floats: Vec<f64> = ints.iter().map(|&i| i as f64).collect();
                floats.push(x);
                self.values = Column::F64(floats);
            }
        }
    }
}

/// Reads CSV from `input`; `name` labels errors.
pub fn read_csv_from(
    input: impl Read,
    name: &str,
    options: CsvOptions,
) -> Result<CsvEvents, SourceError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(input);
    let header_error = |reason: String| SourceError::Header {
        path: name.to_owned(),
        reason,
    };
    let headers = reader
        .headers()
        .map_err(|e| header_error(format!("cannot read the header row: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(header_error(
            "the file is empty: expected a header row".into(),
        ));
    }
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let ts_at = find(&TIMESTAMP_NAMES).unwrap_or(0);
    let series_at = find(&[SERIES_NAME]).filter(|&s| s != ts_at);
    let mut numbers: Vec<Numbers> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != ts_at && Some(*i) != series_at)
        .map(|(at, h)| Numbers {
            name: h.to_owned(),
            at,
            values: Column::I64(Vec::new()),
        })
        .collect();
    if numbers.is_empty() {
        return Err(header_error(format!(
            "no value columns: the header has only {:?}",
            headers.iter().collect::<Vec<_>>()
        )));
    }
    // Checks names early (duplicates, empty), before reading any row.
    Schema::new(
        numbers
            .iter()
            .map(|n| Field::new(n.name.clone(), FieldKind::F64))
            .collect(),
    )
    .map_err(|e| header_error(e.to_string()))?;

    let mut keys: Vec<String> = Vec::new();
    let mut key_index: FxHashMap<String, u32> = FxHashMap::default();
    let mut last: Vec<i64> = Vec::new();
    let mut series = Vec::new();
    let mut timestamps = Vec::new();
    let mut bad = Vec::new();
    let mut rejected = 0u64;
    let mut record = ::csv::StringRecord::new();
    let mut row_values: Vec<Num> = Vec::with_capacity(numbers.len());
    loop {
        let line_before = reader.position().line() + 1;
        let verdict = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line_before, |p| p.line());
                check_row(&record, headers.len(), ts_at, &numbers, &mut row_values)
                    .and_then(|ts| {
                        let key = series_at.and_then(|s| record.get(s)).unwrap_or("");
                        let index = match key_index.get(key) {
                            Some(&i) => i,
                            None => keys.len() as u32,
                        };
                        match last.get(index as usize) {
                            Some(&prev) if ts < prev => Err(format!(
                                "timestamp {ts} goes back from {prev} in series {key:?}"
                            )),
                            _ => Ok((index, key, ts)),
                        }
                    })
                    .map_err(|reason| (line, reason))
            }
            Err(e) => Err((
                e.position().map_or(line_before, |p| p.line()),
                format!("unreadable row: {e}"),
            )),
        };
        match verdict {
            Ok((index, key, ts)) => {
                if index as usize == keys.len() {
                    keys.push(key.to_owned());
                    key_index.insert(key.to_owned(), index);
                    last.push(ts);
                }
                last[index as usize] = ts;
                series.push(index);
                timestamps.push(ts);
                for (column, &value) in numbers.iter_mut().zip(&row_values) {
                    column.push(value);
                }
            }
            Err((line, reason)) => {
                if options.strict {
                    return Err(SourceError::Strict {
                        path: name.to_owned(),
                        line,
                        reason,
                    });
                }
                rejected += 1;
                if bad.len() < BAD_ROWS_KEPT {
                    bad.push(BadRow { line, reason });
                }
            }
        }
    }
    if timestamps.is_empty() {
        return Err(SourceError::Empty {
            path: name.to_owned(),
            bad: rejected,
        });
    }
    let mut fields = Vec::with_capacity(numbers.len());
    let mut columns = Vec::with_capacity(numbers.len());
    for n in numbers {
        fields.push(Field::new(n.name, n.values.kind()));
        columns.push(n.values);
    }
    let schema = Schema::new(fields).map_err(|e| header_error(e.to_string()))?;
    Ok(CsvEvents {
        events: Events {
            schema,
            keys,
            series,
            batch: Batch {
                timestamps,
                columns,
            },
        },
        bad,
        rejected,
        timestamp_column: headers.get(ts_at).unwrap_or_default().to_owned(),
    })
}

/// The row's timestamp, its values into `values`; or why it is bad.
fn check_row(
    record: &::csv::StringRecord,
    columns: usize,
    ts_at: usize,
    numbers: &[Numbers],
    values: &mut Vec<Num>,
) -> Result<i64, String> {
    if record.len() != columns {
        return Err(format!(
            "{} columns, the header has {columns}",
            record.len()
        ));
    }
    let ts = parse_timestamp(record.get(ts_at).unwrap_or_default()).map_err(|e| e.to_string())?;
    values.clear();
    for n in numbers {
        let text = record.get(n.at).unwrap_or_default();
        if text.is_empty() {
            return Err(format!("column {:?} is empty", n.name));
        }
        if let Ok(int) = text.parse::<i64>() {
            values.push(Num::I64(int));
        } else if let Ok(float) = text.parse::<f64>() {
            values.push(Num::F64(float));
        } else {
            return Err(format!("column {:?}: {text:?} is not a number", n.name));
        }
    }
    Ok(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, strict: bool) -> Result<CsvEvents, SourceError> {
        read_csv_from(text.as_bytes(), "test.csv", CsvOptions { strict })
    }

    #[test]
    fn reads_series_timestamps_and_infers_kinds() {
        let csv = "time,series,temp,count\n\
                   2026-01-01T00:00Z,a,1.5,3\n\
                   2026-01-01T00:00:01Z,b,2,4\n\
                   1767225602000,a,-0.25,5\n";
        let got = read(csv, false).unwrap();
        let e = &got.events;
        assert_eq!(got.timestamp_column, "time");
        assert_eq!(e.keys, ["a", "b"]);
        assert_eq!(e.series, [0, 1, 0]);
        assert_eq!(e.batch.timestamps[1] - e.batch.timestamps[0], 1000);
        assert_eq!(e.batch.columns[0], Column::F64(vec![1.5, 2.0, -0.25]));
        assert_eq!(e.batch.columns[1], Column::I64(vec![3, 4, 5]));
        assert_eq!(e.schema.fields()[1].kind, FieldKind::I64);
        assert_eq!(got.rejected, 0);
    }

    #[test]
    fn bad_rows_are_named_by_line_and_skipped_or_strict() {
        let csv = "date,temp\n\
                   2026-01-01,1.0\n\
                   2026-01-02,warm\n\
                   not a date,2.0\n\
                   2026-01-03\n\
                   2026-01-04,\n\
                   2025-12-31,3.0\n\
                   2026-01-05,4.0\n";
        let got = read(csv, false).unwrap();
        assert_eq!(got.events.len(), 2);
        assert_eq!(got.rejected, 5);
        let lines: Vec<u64> = got.bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        assert!(got.bad[0].reason.contains("\"warm\" is not a number"));
        assert!(got.bad[1].reason.contains("neither an integer"));
        assert!(got.bad[2].reason.contains("1 columns, the header has 2"));
        assert!(got.bad[3].reason.contains("is empty"));
        assert!(got.bad[4].reason.contains("goes back"));
        let err = read(csv, true).unwrap_err().to_string();
        assert!(
            err.starts_with("test.csv: line 3: column \"temp\""),
            "{err}"
        );
    }

    #[test]
    fn unusable_files_are_refused() {
        for (csv, want) in [
            ("", "expected a header row"),
            ("timestamp\n1\n", "no value columns"),
            ("timestamp,a,a\n1,2,3\n", "appears twice"),
            ("timestamp,a\nx,1\n", "no valid rows (1 rejected)"),
        ] {
            let err = read(csv, false).unwrap_err().to_string();
            assert!(err.contains(want), "{csv:?}: {err}");
        }
    }
}
