//! The one reader of NDJSON and CSV lines, for every command that reads a
//! file or standard input (`stream`, `ingest`): one set of rules.
//!
//! - **Fields** are fixed by the CSV header, or by the first NDJSON line
//!   that is a JSON object (its keys, in the order written). The **timestamp** is the
//!   field named by the options, else the first of `timestamp`, `time`,
//!   `ts`, `datetime`, `date` (any case); the **series** key is the field
//!   named `series` (any case) or as the options say; every other field is
//!   a number: a float, or an integer when listed in `ints`. Names given in
//!   the options must be fields of the input.
//! - **Timestamps**: an integer is kept as written (whatever epoch unit
//!   the data uses); an ISO-8601 date-time becomes epoch milliseconds, UTC
//!   when it has no offset; a bare date is midnight UTC.
//! - **Numbers** follow [`parse_value`]: nothing is rounded, nothing
//!   becomes infinity or zero.
//! - A UTF-8 byte-order mark at the start is skipped; a CSV header that is
//!   not UTF-8 stops the read.
//! - A line that breaks a rule is **rejected** with its number and the
//!   reason, never guessed at: longer than [`MAX_LINE_BYTES`], more than
//!   [`MAX_FIELDS`] fields, a field missing, extra or written twice, a
//!   timestamp older than its series' last. Each line costs time linear in
//!   its fields (a sort and binary searches).

use super::Events;
use super::ndjson::{self, Scalar};
use super::time::{TimestampError, parse_timestamp};
use super::value::{ValueProblem, parse_value};
use crate::{Field, FieldKind, Num, Schema, SchemaError};
use rustc_hash::FxHashMap;
use std::fmt;

/// The longest line read as an event; longer ones are rejected.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The most fields a line may have.
pub const MAX_FIELDS: usize = 4096;
/// Names that mark the timestamp field (any case), in order of preference.
pub const TIMESTAMP_NAMES: [&str; 5] = ["timestamp", "time", "ts", "datetime", "date"];
/// Bad lines kept with their reasons (all are counted).
pub const BAD_LINES_KEPT: usize = 10;

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line.
    Ndjson,
    /// A header row, then one event per row.
    Csv,
}

impl InputFormat {
    /// The format a file name suggests: `.csv` is CSV, `.ndjson`, `.jsonl`
    /// and `.json` are NDJSON.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(InputFormat::Csv),
            "ndjson" | "jsonl" | "json" => Some(InputFormat::Ndjson),
            _ => None,
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Ndjson => "ndjson",
            InputFormat::Csv => "csv",
        })
    }
}

/// How lines become events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOptions {
    /// The timestamp's field (`None`: the first of [`TIMESTAMP_NAMES`]).
    pub ts_field: Option<String>,
    /// The series key's field; without it every event is in one series.
    pub series_field: String,
    /// Fields held as 64-bit integers; every other field is a float.
    pub ints: Vec<String>,
    /// Stop at the first bad line instead of skipping it.
    pub strict: bool,
    /// Keep every rejected line's text (for `--rejects`), to be taken
    /// with [`LineReader::take_rejects`].
    pub keep_rejects: bool,
}

impl Default for LineOptions {
    fn default() -> Self {
        Self {
            ts_field: None,
            series_field: "series".to_owned(),
            ints: Vec::new(),
            strict: false,
            keep_rejects: false,
        }
    }
}

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    /// Not JSON (the parser's message).
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("not a JSON object but {0}")]
    NotAnObject(&'static str),
    /// A CSV row the reader cannot split (the parser's message).
    #[error("unreadable row: {0}")]
    UnreadableRow(String),
    /// Longer than [`MAX_LINE_BYTES`].
    #[error("the line is {bytes} bytes long, over the {} MiB limit", MAX_LINE_BYTES >> 20)]
    TooLong {
        /// Its length.
        bytes: usize,
    },
    /// More than [`MAX_FIELDS`] fields.
    #[error("{fields} fields, over the limit of {MAX_FIELDS}")]
    TooManyFields {
        /// Fields on the line.
        fields: usize,
    },
    /// A CSV row with another number of columns than the header.
    #[error("{got} columns, the header has {expected}")]
    Columns {
        /// Columns in the row.
        got: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// A field of the first line missing.
    #[error("no {0:?} field")]
    Missing(String),
    /// A field the first line did not have.
    #[error("unexpected field {0:?}")]
    Unexpected(String),
    /// One field written twice.
    #[error("field {0:?} is written twice")]
    Twice(String),
    /// A timestamp that is not one.
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    /// A JSON timestamp that is neither an integer nor a string.
    #[error("timestamp {0} is not an integer epoch or an ISO-8601 string")]
    TimestampKind(String),
    /// A series key that is not a string or an integer.
    #[error("series {field:?} is {kind}, not a string")]
    SeriesKind {
        /// The series field.
        field: String,
        /// What it is.
        kind: &'static str,
    },
    /// A value that is not a number of its field's kind.
    #[error("{field:?}: {problem}")]
    Value {
        /// The field.
        field: String,
        /// What is wrong.
        problem: ValueProblem,
    },
    /// A JSON value that is not a number at all.
    #[error("{field:?} is {kind}, not a number")]
    NotANumber {
        /// The field.
        field: String,
        /// What it is.
        kind: &'static str,
    },
    /// A timestamp before the series' last.
    #[error("timestamp {timestamp} goes back from {last} in series {series:?}")]
    Backwards {
        /// The refused timestamp.
        timestamp: i64,
        /// The series' last.
        last: i64,
        /// The series.
        series: String,
    },
}

/// A rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number in the input, from 1.
    pub line: u64,
    /// Why.
    pub problem: LineProblem,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// A rejected line with its text, for `--rejects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The line and why.
    pub bad: BadLine,
    /// Its text (lossily decoded where it is not UTF-8).
    pub text: String,
}

/// Why the line that fixes the fields (a CSV header, NDJSON's first
/// object) cannot: reading stops.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// A header that is not UTF-8 text.
    #[error("the header is not UTF-8 text")]
    NotUtf8,
    /// No timestamp field.
    #[error("no timestamp field among {names:?} (looked for {})", .wanted.join(", "))]
    NoTimestamp {
        /// The fields there are.
        names: Vec<String>,
        /// The names looked for.
        wanted: Vec<String>,
    },
    /// Integer fields asked for that the input does not have.
    #[error("{unknown:?} declared integer fields, but the fields are {fields:?}")]
    UnknownInts {
        /// The names not found.
        unknown: Vec<String>,
        /// The fields there are.
        fields: Vec<String>,
    },
    /// The fields cannot make a schema (none, a duplicate, no name).
    #[error("schema: {0}")]
    Schema(#[from] SchemaError),
}

/// Why reading stopped before the input ended: the only two ways.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineStop {
    /// Strict reading met a bad line.
    #[error("strict parsing stopped at {0}")]
    Strict(BadLine),
    /// The line that fixes the fields cannot.
    #[error("line {line}, which fixes the fields: {problem}")]
    Header {
        /// Its number.
        line: u64,
        /// Why.
        problem: HeaderProblem,
    },
}

/// What a file held: its events, and what was rejected.
#[derive(Debug, Clone)]
pub struct FileEvents {
    /// Every good line's event, in order.
    pub events: Events,
    /// Lines rejected.
    pub rejected: u64,
    /// The first of them, with why.
    pub bad: Vec<BadLine>,
    /// The field the timestamps came from.
    pub timestamp_field: String,
    /// Whether date-times without an offset were read (taken as UTC).
    pub naive_times_as_utc: bool,
    /// Every rejected line with its text (with
    /// [`LineOptions::keep_rejects`]).
    pub rejects: Vec<Reject>,
}

/// Where each part of an event is, fixed by the first line.
#[derive(Debug)]
struct Shape {
    schema: Schema,
    /// The timestamp field's name, and its CSV column.
    ts_name: String,
    ts_at: usize,
    /// The series field's name and CSV column, if any.
    series_name: Option<String>,
    series_at: Option<usize>,
    /// Each schema field's CSV column.
    field_at: Vec<usize>,
    /// CSV columns in a row.
    columns: usize,
    /// Every name of the line, sorted (for finding an extra field).
    sorted_names: Vec<String>,
}

impl Shape {
    /// The shape `names` (in the line's order) give under `options`.
    fn fix(names: &[&str], options: &LineOptions) -> Result<Self, HeaderProblem> {
        let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        let wanted: Vec<String> = match &options.ts_field {
            Some(name) => vec![name.clone()],
            None => TIMESTAMP_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let ts_at = match &options.ts_field {
            Some(name) => names.iter().position(|n| n == name),
            None => wanted.iter().find_map(|w| find(w)),
        }
        .ok_or_else(|| HeaderProblem::NoTimestamp {
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            wanted,
        })?;
        let series_at = find(&options.series_field).filter(|&i| i != ts_at);
        let field_at: Vec<usize> = (0..names.len())
            .filter(|&i| i != ts_at && Some(i) != series_at)
            .collect();
        let unknown: Vec<String> = options
            .ints
            .iter()
            .filter(|i| !field_at.iter().any(|&at| names[at] == i.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(HeaderProblem::UnknownInts {
                unknown,
                fields: field_at.iter().map(|&i| names[i].to_owned()).collect(),
            });
        }
        let schema = Schema::new(
            field_at
                .iter()
                .map(|&i| {
                    let kind = if options.ints.iter().any(|n| n == names[i]) {
                        FieldKind::I64
                    } else {
                        FieldKind::F64
                    };
                    Field::new(names[i], kind)
                })
                .collect(),
        )
        .map_err(|e| match e {
            crate::StreamError::Schema(s) => HeaderProblem::Schema(s),
            _ => HeaderProblem::Schema(SchemaError::NoFields),
        })?;
        let mut sorted_names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        sorted_names.sort_unstable();
        Ok(Self {
            schema,
            ts_name: names[ts_at].to_owned(),
            ts_at,
            series_name: series_at.map(|i| names[i].to_owned()),
            series_at,
            field_at,
            columns: names.len(),
            sorted_names,
        })
    }
}

/// A timestamp's text, and whether it was a date-time without an offset
/// (taken as UTC).
fn read_time(text: &str) -> Result<(i64, bool), TimestampError> {
    let t = parse_timestamp(text)?;
    let trimmed = text.trim();
    let naive = trimmed.parse::<i64>().is_err() && trimmed.parse::<jiff::Timestamp>().is_err();
    Ok((t, naive))
}

/// Reads blocks of whole lines into events, remembering the fields, the
/// series and each series' last timestamp across blocks.
#[derive(Debug)]
pub struct LineReader {
    format: InputFormat,
    options: LineOptions,
    shape: Option<Shape>,
    series: FxHashMap<String, u32>,
    last: Vec<i64>,
    values: Vec<Num>,
    /// Lines rejected so far.
    rejected: u64,
    /// The first [`BAD_LINES_KEPT`] of them.
    bad: Vec<BadLine>,
    rejects: Vec<Reject>,
    /// Whether a date-time without an offset was read (taken as UTC).
    saw_naive_time: bool,
}

impl LineReader {
    /// A reader of `format` lines under `options`.
    pub fn new(format: InputFormat, options: LineOptions) -> Self {
        Self {
            format,
            options,
            shape: None,
            series: FxHashMap::default(),
            last: Vec::new(),
            values: Vec::new(),
            rejected: 0,
            bad: Vec::new(),
            rejects: Vec::new(),
            saw_naive_time: false,
        }
    }

    /// The events' fields, once the first line has fixed them.
    pub fn schema(&self) -> Option<&Schema> {
        self.shape.as_ref().map(|s| &s.schema)
    }

    /// Whether events carry a series key (once fixed).
    pub fn keyed(&self) -> bool {
        self.shape.as_ref().is_some_and(|s| s.series_at.is_some())
    }

    /// The timestamp field's name (once fixed).
    pub fn timestamp_field(&self) -> Option<&str> {
        self.shape.as_ref().map(|s| s.ts_name.as_str())
    }

    /// Lines rejected so far.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The first rejected lines, with why.
    pub fn bad_lines(&self) -> &[BadLine] {
        &self.bad
    }

    /// Every rejected line since the last call, with its text (only with
    /// [`LineOptions::keep_rejects`]).
    pub fn take_rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    /// Whether a date-time without an offset was read (and taken as UTC).
    pub fn saw_naive_time(&self) -> bool {
        self.saw_naive_time
    }

    /// Reads `text` — whole lines, the first numbered `first_line` — and
    /// appends the good events to `out` (made on the first event: new
    /// series keys are pushed to its `keys`, ids count from the reader's
    /// first series). Stops early on a strict bad line or an unusable
    /// header.
    pub fn read_block(
        &mut self,
        first_line: u64,
        text: &[u8],
        out: &mut Option<Events>,
    ) -> Result<(), LineStop> {
        let text = if first_line == 1 {
            text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
        } else {
            text
        };
        match self.format {
            InputFormat::Ndjson => {
                for (i, line) in text.split(|&b| b == b'\n').enumerate() {
                    let number = first_line + i as u64;
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let verdict = self.json_line(number, line, out)?;
                    self.judge(number, line, verdict)?;
                }
                Ok(())
            }
            InputFormat::Csv => self.csv_block(first_line, text, out),
        }
    }

    /// Counts a rejected line; an error when reading must stop.
    fn judge(
        &mut self,
        line: u64,
        text: &[u8],
        verdict: Result<(), LineProblem>,
    ) -> Result<(), LineStop> {
        let Err(problem) = verdict else {
            return Ok(());
        };
        let bad = BadLine { line, problem };
        self.rejected += 1;
        if self.bad.len() < BAD_LINES_KEPT {
            self.bad.push(bad.clone());
        }
        if self.options.keep_rejects {
            self.rejects.push(Reject {
                bad: bad.clone(),
                text: String::from_utf8_lossy(text).into_owned(),
            });
        }
        if self.options.strict {
            return Err(LineStop::Strict(bad));
        }
        Ok(())
    }

    /// One NDJSON line: `Err` stops reading (the line that fixes the
    /// fields cannot), `Ok(Err)` rejects the line.
    fn json_line(
        &mut self,
        number: u64,
        line: &[u8],
        out: &mut Option<Events>,
    ) -> Result<Result<(), LineProblem>, LineStop> {
        if line.len() > MAX_LINE_BYTES {
            return Ok(Err(LineProblem::TooLong { bytes: line.len() }));
        }
        let mut fields = match ndjson::read_line(line) {
            Ok(fields) => fields,
            Err(ndjson::LineError::NotAnObject(kind)) => {
                return Ok(Err(LineProblem::NotAnObject(kind)));
            }
            Err(e) => {
                let message = match e {
                    ndjson::LineError::NotJson(inner) => inner.to_string(),
                    other => other.to_string(),
                };
                return Ok(Err(LineProblem::NotJson(message)));
            }
        };
        if fields.len() > MAX_FIELDS {
            return Ok(Err(LineProblem::TooManyFields {
                fields: fields.len(),
            }));
        }
        // The first object fixes the fields in the order written.
        let written: Option<Vec<String>> = self
            .shape
            .is_none()
            .then(|| fields.iter().map(|(k, _)| k.to_string()).collect());
        // Sorted once: every lookup below is a binary search.
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = fields.windows(2).find(|w| w[0].0 == w[1].0) {
            return Ok(Err(LineProblem::Twice(w[0].0.clone().into_owned())));
        }
        if let Some(written) = written {
            let names: Vec<&str> = written.iter().map(String::as_str).collect();
            let shape = Shape::fix(&names, &self.options).map_err(|problem| LineStop::Header {
                line: number,
                problem,
            })?;
            self.shape = Some(shape);
        }
        let shape = self.shape.as_ref().expect("fixed above");
        let get = |name: &str| {
            fields
                .binary_search_by(|(k, _)| k.as_ref().cmp(name))
                .ok()
                .map(|i| &fields[i].1)
        };
        let mut naive_time = false;
        let ts = match get(&shape.ts_name) {
            None => return Ok(Err(LineProblem::Missing(shape.ts_name.clone()))),
            Some(Scalar::Number(text)) if !text.contains(['.', 'e', 'E']) => {
                match text.parse::<i64>() {
                    Ok(t) => t,
                    Err(_) => return Ok(Err(LineProblem::TimestampKind((*text).to_owned()))),
                }
            }
            Some(Scalar::Str(text)) => match read_time(text) {
                Ok((t, naive)) => {
                    naive_time = naive;
                    t
                }
                Err(e) => return Ok(Err(e.into())),
            },
            Some(other) => return Ok(Err(LineProblem::TimestampKind(other.to_string()))),
        };
        let key = match &shape.series_name {
            None => None,
            Some(name) => match get(name) {
                None => return Ok(Err(LineProblem::Missing(name.clone()))),
                Some(Scalar::Str(s)) => Some(s.clone()),
                Some(Scalar::Number(n)) if !n.contains(['.', 'e', 'E']) => {
                    Some(std::borrow::Cow::Borrowed(*n))
                }
                Some(other) => {
                    return Ok(Err(LineProblem::SeriesKind {
                        field: name.clone(),
                        kind: other.kind(),
                    }));
                }
            },
        };
        let expected = shape.columns;
        if fields.len() != expected {
            // A field missing, or one the first line did not have.
            if let Some((extra, _)) = fields.iter().find(|(k, _)| {
                shape
                    .sorted_names
                    .binary_search_by(|n| n.as_str().cmp(k))
                    .is_err()
            }) {
                return Ok(Err(LineProblem::Unexpected(extra.clone().into_owned())));
            }
        }
        self.values.clear();
        for field in shape.schema.fields() {
            let value = match get(&field.name) {
                None => return Ok(Err(LineProblem::Missing(field.name.clone()))),
                Some(Scalar::Number(text)) => parse_value(text, field.kind),
                Some(Scalar::Str(text)) => parse_value(text, field.kind),
                Some(other) => {
                    return Ok(Err(LineProblem::NotANumber {
                        field: field.name.clone(),
                        kind: other.kind(),
                    }));
                }
            };
            match value {
                Ok(v) => self.values.push(v),
                Err(problem) => {
                    return Ok(Err(LineProblem::Value {
                        field: field.name.clone(),
                        problem,
                    }));
                }
            }
        }
        let key = key.as_deref().unwrap_or("").to_owned();
        self.saw_naive_time |= naive_time;
        Ok(self.accept(&key, ts, out))
    }

    /// Appends the event in `self.values`, unless its timestamp goes back.
    fn accept(&mut self, key: &str, ts: i64, out: &mut Option<Events>) -> Result<(), LineProblem> {
        let schema = &self
            .shape
            .as_ref()
            .expect("a shape before any event")
            .schema;
        let known = self.series.get(key).copied();
        if let Some(prev) = known.and_then(|s| self.last.get(s as usize).copied())
            && ts < prev
        {
            return Err(LineProblem::Backwards {
                timestamp: ts,
                last: prev,
                series: key.to_owned(),
            });
        }
        let events =
            out.get_or_insert_with(|| Events::with_capacity(schema.clone(), Vec::new(), 1024));
        let series = match known {
            Some(s) => s,
            None => {
                let s = self.last.len() as u32;
                self.series.insert(key.to_owned(), s);
                self.last.push(ts);
                events.keys.push(key.to_owned());
                s
            }
        };
        self.last[series as usize] = ts;
        events.series.push(series);
        events.batch.timestamps.push(ts);
        for (column, &value) in events.batch.columns.iter_mut().zip(&self.values) {
            column.push(value);
        }
        Ok(())
    }

    fn csv_block(
        &mut self,
        first_line: u64,
        text: &[u8],
        out: &mut Option<Events>,
    ) -> Result<(), LineStop> {
        // Records end at `\n` only (a `\r` before it is trimmed as white
        // space): a bare `\r` inside a line must not split it in two, or
        // the line count and the record count part ways.
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(::csv::Trim::All)
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_reader(text);
        let mut record = ::csv::ByteRecord::new();
        // Line numbers from byte offsets (the csv crate's own count skips
        // blank lines), counted forward from the last record.
        let mut counted = (0usize, first_line);
        let mut line_at = |byte: usize| {
            let mut byte = byte.min(text.len());
            // A record's position can be that of the blank lines before it.
            while matches!(text.get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            let (from, line) = counted;
            let more = text[from.min(byte)..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = (byte, line + more as u64);
            counted.1
        };
        loop {
            let start = reader.position().byte() as usize;
            let (line, verdict, raw) = match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let at = record.position().map_or(start, |p| p.byte() as usize);
                    let number = line_at(at);
                    let end = (reader.position().byte() as usize).min(text.len());
                    let raw = &text[at.min(end)..end];
                    if self.shape.is_none() {
                        self.csv_header(number, &record)?;
                        continue;
                    }
                    let verdict = if raw.len() > MAX_LINE_BYTES {
                        Err(LineProblem::TooLong { bytes: raw.len() })
                    } else {
                        self.csv_row(&record, out)
                    };
                    (number, verdict, raw)
                }
                Err(e) => {
                    let at = e.position().map_or(start, |p| p.byte() as usize);
                    let end = (reader.position().byte() as usize).min(text.len());
                    (
                        line_at(at),
                        Err(LineProblem::UnreadableRow(e.to_string())),
                        &text[at.min(end)..end],
                    )
                }
            };
            let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
            self.judge(line, raw.strip_suffix(b"\r").unwrap_or(raw), verdict)?;
        }
    }

    fn csv_header(&mut self, line: u64, record: &::csv::ByteRecord) -> Result<(), LineStop> {
        let stop = |problem| LineStop::Header { line, problem };
        let names: Vec<&str> = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<_, _>>()
            .map_err(|_| stop(HeaderProblem::NotUtf8))?;
        self.shape = Some(Shape::fix(&names, &self.options).map_err(stop)?);
        Ok(())
    }

    fn csv_row(
        &mut self,
        record: &::csv::ByteRecord,
        out: &mut Option<Events>,
    ) -> Result<(), LineProblem> {
        let shape = self.shape.as_ref().expect("the header comes first");
        if record.len() > MAX_FIELDS {
            return Err(LineProblem::TooManyFields {
                fields: record.len(),
            });
        }
        if record.len() != shape.columns {
            return Err(LineProblem::Columns {
                got: record.len(),
                expected: shape.columns,
            });
        }
        let cell = |i: usize| -> Result<&str, LineProblem> {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .map_err(|e| LineProblem::UnreadableRow(format!("column {}: {e}", i + 1)))
        };
        let ts_text = cell(shape.ts_at)?;
        let key = match shape.series_at {
            Some(at) => cell(at)?.to_owned(),
            None => String::new(),
        };
        let mut values = std::mem::take(&mut self.values);
        values.clear();
        for (field, &at) in shape.schema.fields().iter().zip(&shape.field_at) {
            let value = parse_value(cell(at)?, field.kind).map_err(|problem| LineProblem::Value {
                field: field.name.clone(),
                problem,
            });
            match value {
                Ok(v) => values.push(v),
                Err(e) => {
                    self.values = values;
                    return Err(e);
                }
            }
        }
        self.values = values;
        let (ts, naive) = read_time(ts_text)?;
        self.saw_naive_time |= naive;
        self.accept(&key, ts, out)
    }
}

#[cfg(test)]
mod tests;
