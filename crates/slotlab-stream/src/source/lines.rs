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
//! - **Numbers** follow [`parse_value`](super::value::parse_value): nothing is rounded, nothing
//!   becomes infinity or zero.
//! - A UTF-8 byte-order mark at the start is skipped; a CSV header that is
//!   not UTF-8 stops the read.
//! - A line that breaks a rule is **rejected** with its number and the
//!   reason, never guessed at: longer than [`MAX_LINE_BYTES`], more than
//!   [`MAX_FIELDS`] fields, a field missing, extra or written twice, a
//!   timestamp older than its series' last. Each line costs time linear in
//!   its fields (a sort and binary searches).

use super::Events;
use super::time::TimestampError;
use super::value::ValueProblem;
use crate::SchemaError;
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

/// A line's text as a reject keeps it.
fn lossy(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

mod parser;
mod reader;
mod shape;
pub use parser::{BlockParser, ParsedBlock};
pub use reader::LineReader;

#[cfg(test)]
mod tests;
