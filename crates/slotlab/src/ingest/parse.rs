//! The parse stage's rules: NDJSON and CSV lines into typed events.
//!
//! An event is a timestamp (integer epoch milliseconds or an RFC 3339
//! date-time with its offset), an optional series key and numeric fields.
//! The fields are fixed by the first good line (NDJSON: its keys, sorted)
//! or the header (CSV). Every later line must carry exactly those fields;
//! one that does not — broken JSON, not an object, a missing or unparsable
//! timestamp, a value that is not a number, a field too many or too few, a
//! timestamp older than its series' last — is rejected with its line
//! number, never guessed at.

use super::feed::LineBlock;
use super::{BAD_LINES_KEPT, Ended, EventBatch, SourceFailure};
use rustc_hash::FxHashMap;
use slotlab_stream::source::ndjson::{self as json, Scalar};
use slotlab_stream::source::time::{parse_epoch_or_rfc3339, parse_rfc3339};
use slotlab_stream::{Field, FieldKind, Num, Schema};

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

impl std::fmt::Display for InputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputFormat::Ndjson => "ndjson",
            InputFormat::Csv => "csv",
        })
    }
}

/// How lines become events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// The timestamp's field (or column).
    pub ts_field: String,
    /// The series key's field; events without it are all in one series.
    pub series_field: String,
    /// Fields held as 64-bit integers; every other field is a float.
    pub ints: Vec<String>,
    /// Stop at the first bad line instead of skipping it.
    pub strict: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            ts_field: "timestamp".to_owned(),
            series_field: "series".to_owned(),
            ints: Vec::new(),
            strict: false,
        }
    }
}

/// A rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number in the input, from 1.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// The events fixed by the first good line or the header.
#[derive(Debug)]
struct Shape {
    schema: Schema,
    keyed: bool,
    /// CSV only: where each part of an event is in a row.
    csv: Option<CsvColumns>,
}

/// The column of the timestamp, of the series, of each field, and how many
/// columns a row has.
#[derive(Debug)]
struct CsvColumns {
    ts_at: usize,
    series_at: Option<usize>,
    field_at: Vec<usize>,
    columns: usize,
}

/// What one block of lines gave.
#[derive(Debug, Default)]
pub(super) struct ParsedBlock {
    /// Its good events (`None` when there were none).
    pub batch: Option<EventBatch>,
    /// Why intake must stop (strict mode met a bad line; a CSV header is
    /// unusable).
    pub stop: Option<Ended>,
}

/// Parses blocks of lines in order, remembering the shape, the series and
/// each series' last timestamp.
#[derive(Debug)]
pub(super) struct LineParser {
    options: ParseOptions,
    format: InputFormat,
    shape: Option<Shape>,
    series: FxHashMap<String, u32>,
    last: Vec<i64>,
    /// Lines rejected so far.
    pub rejected: u64,
    /// The first of them.
    pub bad: Vec<BadLine>,
    values: Vec<Num>,
}

impl LineParser {
    pub(super) fn new(options: ParseOptions, format: InputFormat) -> Self {
        Self {
            options,
            format,
            shape: None,
            series: FxHashMap::default(),
            last: Vec::new(),
            rejected: 0,
            bad: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Parses `block`.
    pub(super) fn parse(&mut self, block: &LineBlock) -> ParsedBlock {
        let mut out = ParsedBlock::default();
        match self.format {
            InputFormat::Ndjson => {
                for (i, line) in block.text.split(|&b| b == b'\n').enumerate() {
                    let number = block.first_line + i as u64;
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let verdict = self.json_line(line, &mut out, block.created_ns);
                    if self.judge(number, verdict, &mut out) {
                        break;
                    }
                }
            }
            InputFormat::Csv => self.csv_block(block, &mut out),
        }
        out
    }

    /// Counts a bad line; true when intake must stop.
    fn judge(&mut self, line: u64, verdict: Result<(), String>, out: &mut ParsedBlock) -> bool {
        let Err(reason) = verdict else {
            return false;
        };
        let bad = BadLine { line, reason };
        self.rejected += 1;
        if self.bad.len() < BAD_LINES_KEPT {
            self.bad.push(bad.clone());
        }
        if self.options.strict {
            out.stop = Some(Ended::Strict(bad));
            return true;
        }
        false
    }

    fn json_line(
        &mut self,
        line: &[u8],
        out: &mut ParsedBlock,
        created: u64,
    ) -> Result<(), String> {
        let fields = json::read_line(line).map_err(|e| e.to_string())?;
        let (ts_field, series_field) = (&self.options.ts_field, &self.options.series_field);
        let ts = match json::get(&fields, ts_field) {
            Some(value) => json_timestamp(value)?,
            None => return Err(format!("no {ts_field:?} field")),
        };
        let key = match json::get(&fields, series_field) {
            None => None,
            Some(Scalar::Str(s)) => Some(s.clone()),
            Some(n @ (Scalar::Int(_) | Scalar::UInt(_))) => Some(n.to_string().into()),
            Some(other) => {
                return Err(format!(
                    "series {series_field:?} is {}, not a string",
                    other.kind()
                ));
            }
        };
        if let Some(shape) = &self.shape {
            if shape.keyed && key.is_none() {
                return Err(format!("no {series_field:?} field"));
            }
            if !shape.keyed && key.is_some() {
                return Err(format!(
                    "has a {series_field:?} field, which the first line did not"
                ));
            }
            self.values.clear();
            for field in shape.schema.fields() {
                let Some(value) = json::get(&fields, &field.name) else {
                    return Err(format!("no {:?} field", field.name));
                };
                self.values
                    .push(json_number(&field.name, field.kind, value)?);
            }
            let expected = shape.schema.fields().len() + 1 + usize::from(shape.keyed);
            if fields.len() != expected {
                return Err(
                    match fields.iter().find(|(k, _)| {
                        k != ts_field && k != series_field && shape.schema.index_of(k).is_none()
                    }) {
                        Some((extra, _)) => format!("unexpected field {extra:?}"),
                        None => "a field is written twice".to_owned(),
                    },
                );
            }
        } else {
            let mut names: Vec<&str> = fields
                .iter()
                .map(|(k, _)| k.as_ref())
                .filter(|k| k != ts_field && k != series_field)
                .collect();
            names.sort_unstable();
            let schema = Schema::new(
                names
                    .iter()
                    .map(|&k| Field::new(k, self.kind_of_field(k)))
                    .collect(),
            )
            .map_err(|e| format!("cannot fix the fields from this line: {e}"))?;
            // The first good line fixes the shape; check it is good first.
            let shape = Shape {
                schema,
                keyed: key.is_some(),
                csv: None,
            };
            self.values.clear();
            for field in shape.schema.fields() {
                let value = json::get(&fields, &field.name).unwrap_or(&Scalar::Null);
                self.values
                    .push(json_number(&field.name, field.kind, value)?);
            }
            self.shape = Some(shape);
        }
        self.accept(key.as_deref().unwrap_or(""), ts, out, created)
    }

    fn kind_of_field(&self, name: &str) -> FieldKind {
        if self.options.ints.iter().any(|i| i == name) {
            FieldKind::I64
        } else {
            FieldKind::F64
        }
    }

    /// Appends the event in `self.values`, unless its timestamp goes back.
    fn accept(
        &mut self,
        key: &str,
        ts: i64,
        out: &mut ParsedBlock,
        created: u64,
    ) -> Result<(), String> {
        let shape = self.shape.as_ref().expect("a shape before any event");
        let known = self.series.get(key).copied();
        if let Some(prev) = known.and_then(|s| self.last.get(s as usize).copied())
            && ts < prev
        {
            return Err(format!(
                "timestamp {ts} goes back from {prev} in series {key:?}"
            ));
        }
        let batch = out
            .batch
            .get_or_insert_with(|| EventBatch::new(shape.schema.clone(), shape.keyed, 1024));
        let series = match known {
            Some(s) => s,
            None => {
                let s = self.last.len() as u32;
                self.series.insert(key.to_owned(), s);
                self.last.push(ts);
                batch.events.keys.push(key.to_owned());
                s
            }
        };
        self.last[series as usize] = ts;
        batch.events.series.push(series);
        batch.events.batch.timestamps.push(ts);
        for (column, &value) in batch.events.batch.columns.iter_mut().zip(&self.values) {
            column.push(value);
        }
        batch.created_ns.push(created);
        Ok(())
    }

    fn csv_block(&mut self, block: &LineBlock, out: &mut ParsedBlock) {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(::csv::Trim::All)
            .from_reader(block.text.as_slice());
        let mut record = ::csv::StringRecord::new();
        // Line numbers from byte offsets (the csv crate's own line count
        // skips blank lines), counted forward from the last record.
        let mut counted = (0usize, block.first_line);
        let mut line_at = |byte: u64| {
            let mut byte = usize::try_from(byte)
                .unwrap_or(usize::MAX)
                .min(block.text.len());
            // A record's position can be that of the blank lines before it.
            while matches!(block.text.get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            let (from, line) = counted;
            let more = block.text[from.min(byte)..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = (byte, line + more as u64);
            counted.1
        };
        loop {
            let byte_before = reader.position().byte();
            let (line, verdict) = match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let number = line_at(record.position().map_or(byte_before, |p| p.byte()));
                    if self.shape.is_none() {
                        match self.csv_header(&record) {
                            Ok(()) => continue,
                            Err(why) => {
                                out.stop = Some(Ended::SourceFailed(SourceFailure::Header {
                                    line: number,
                                    reason: why,
                                }));
                                return;
                            }
                        }
                    }
                    (number, self.csv_row(&record, out, block.created_ns))
                }
                Err(e) => (
                    line_at(e.position().map_or(byte_before, |p| p.byte())),
                    Err(format!("unreadable row: {e}")),
                ),
            };
            if self.judge(line, verdict, out) {
                return;
            }
        }
    }

    fn csv_header(&mut self, record: &::csv::StringRecord) -> Result<(), String> {
        let names: Vec<&str> = record.iter().collect();
        let ts_at = names
            .iter()
            .position(|n| *n == self.options.ts_field)
            .ok_or_else(|| {
                format!(
                    "no column named {:?} among {names:?} (--ts-field names the timestamp column)",
                    self.options.ts_field
                )
            })?;
        let series_at = names.iter().position(|n| *n == self.options.series_field);
        let field_at: Vec<usize> = (0..names.len())
            .filter(|&i| i != ts_at && Some(i) != series_at)
            .collect();
        let fields = field_at
            .iter()
            .map(|&i| Field::new(names[i], self.kind_of_field(names[i])))
            .collect();
        let schema = Schema::new(fields).map_err(|e| e.to_string())?;
        self.shape = Some(Shape {
            schema,
            keyed: series_at.is_some(),
            csv: Some(CsvColumns {
                ts_at,
                series_at,
                field_at,
                columns: names.len(),
            }),
        });
        Ok(())
    }

    fn csv_row(
        &mut self,
        record: &::csv::StringRecord,
        out: &mut ParsedBlock,
        created: u64,
    ) -> Result<(), String> {
        let shape = self.shape.as_ref().expect("the header comes first");
        let at = shape.csv.as_ref().expect("a CSV header fixes the columns");
        if record.len() != at.columns {
            return Err(format!(
                "{} columns, the header has {}",
                record.len(),
                at.columns
            ));
        }
        let ts = parse_epoch_or_rfc3339(record.get(at.ts_at).unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let key = at.series_at.and_then(|i| record.get(i)).unwrap_or("");
        self.values.clear();
        for (field, &at) in shape.schema.fields().iter().zip(&at.field_at) {
            let text = record.get(at).unwrap_or_default();
            let value = match field.kind {
                FieldKind::I64 => text.parse::<i64>().ok().map(Num::I64),
                FieldKind::F64 => text
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(Num::F64),
            };
            let Some(value) = value else {
                return Err(format!(
                    "{:?}: {text:?} is not {}",
                    field.name,
                    match field.kind {
                        FieldKind::I64 => "an integer",
                        FieldKind::F64 => "a finite number",
                    }
                ));
            };
            self.values.push(value);
        }
        let key = key.to_owned();
        self.accept(&key, ts, out, created)
    }
}

/// A JSON timestamp: an integer (epoch milliseconds) or an RFC 3339 string.
fn json_timestamp(value: &Scalar<'_>) -> Result<i64, String> {
    match value {
        Scalar::Int(ms) => Ok(*ms),
        n @ (Scalar::UInt(_) | Scalar::Float(_)) => Err(format!(
            "timestamp {n} is not an integer number of epoch milliseconds"
        )),
        Scalar::Str(s) => parse_rfc3339(s).map_err(|e| e.to_string()),
        other => Err(format!(
            "timestamp is {}, not epoch milliseconds or an RFC 3339 string",
            other.kind()
        )),
    }
}

/// Largest integer every `f64` holds exactly.
const EXACT_F64: u64 = 1 << 53;

/// A JSON number as a field of `kind`.
fn json_number(name: &str, kind: FieldKind, value: &Scalar<'_>) -> Result<Num, String> {
    let not_exact =
        || format!("{name:?}: {value} cannot be held exactly as a float (list it in --ints)");
    match (kind, value) {
        (FieldKind::I64, Scalar::Int(i)) => Ok(Num::I64(*i)),
        (FieldKind::I64, Scalar::UInt(_) | Scalar::Float(_)) => {
            Err(format!("{name:?}: {value} is not a 64-bit integer"))
        }
        (FieldKind::F64, Scalar::Int(i)) if i.unsigned_abs() <= EXACT_F64 => {
            Ok(Num::F64(*i as f64))
        }
        (FieldKind::F64, Scalar::Int(_) | Scalar::UInt(_)) => Err(not_exact()),
        (FieldKind::F64, Scalar::Float(x)) if x.is_finite() => Ok(Num::F64(*x)),
        (FieldKind::F64, Scalar::Float(_)) => Err(not_exact()),
        (_, other) => Err(format!("{name:?} is {}, not a number", other.kind())),
    }
}

#[cfg(test)]
mod tests;
