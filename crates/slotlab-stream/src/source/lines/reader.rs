//! The line reader itself: the fields fixed by the first line, then every
//! line checked against them and turned into an event or a rejection.

use super::{
    BAD_LINES_KEPT, BadLine, HeaderProblem, InputFormat, LineOptions, LineProblem, LineStop,
    MAX_FIELDS, MAX_LINE_BYTES, Reject, TIMESTAMP_NAMES,
};
use crate::source::Events;
use crate::source::ndjson::{self, Scalar};
use crate::source::time::parse_timestamp_noting_zone;
use crate::source::value::parse_value;
use crate::{Field, FieldKind, Num, Schema, SchemaError};
use rustc_hash::FxHashMap;

mod csv;

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
    /// Every name, in the order the line wrote them (an NDJSON line with
    /// the same keys in the same order is read by position).
    written: ndjson::Template,
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
            written: ndjson::Template::new(names),
        })
    }
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
                let mut start = 0;
                let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
                for (i, end) in ends.enumerate() {
                    let line = &text[start..end];
                    start = end + 1;
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
        let template = self.shape.as_ref().map(|s| &s.written);
        let fast = template.and_then(|t| t.read(line));
        let in_order = fast.is_some();
        let mut fields = match fast.map_or_else(|| ndjson::read_line(line), Ok) {
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
        // A line with the first line's keys in the first line's order (the
        // usual line) is read by position; any other is sorted once, and
        // every lookup below is a binary search.
        let in_order = in_order
            || template.is_some_and(|t| {
                fields.len() == t.keys().len()
                    && fields.iter().zip(t.keys()).all(|((k, _), w)| k == w)
            });
        if !in_order {
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = fields.windows(2).find(|w| w[0].0 == w[1].0) {
                return Ok(Err(LineProblem::Twice(w[0].0.clone().into_owned())));
            }
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
        // `at`: the name's place in the written order (the shape's `ts_at`,
        // `series_at`, `field_at`), where an in-order line holds it.
        let get = |name: &str, at: usize| {
            if in_order {
                return fields.get(at).map(|(_, value)| value);
            }
            fields
                .binary_search_by(|(k, _)| k.as_ref().cmp(name))
                .ok()
                .map(|i| &fields[i].1)
        };
        let mut naive_time = false;
        let ts = match get(&shape.ts_name, shape.ts_at) {
            None => return Ok(Err(LineProblem::Missing(shape.ts_name.clone()))),
            Some(Scalar::Number(text)) if !text.contains(['.', 'e', 'E']) => {
                match text.parse::<i64>() {
                    Ok(t) => t,
                    Err(_) => return Ok(Err(LineProblem::TimestampKind((*text).to_owned()))),
                }
            }
            Some(Scalar::Str(text)) => match parse_timestamp_noting_zone(text) {
                Ok((t, naive)) => {
                    naive_time = naive;
                    t
                }
                Err(e) => return Ok(Err(e.into())),
            },
            Some(other) => return Ok(Err(LineProblem::TimestampKind(other.to_string()))),
        };
        let key = match (&shape.series_name, shape.series_at) {
            (Some(name), Some(at)) => match get(name, at) {
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
            _ => None,
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
        for (field, &at) in shape.schema.fields().iter().zip(&shape.field_at) {
            let value = match get(&field.name, at) {
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
        let key = key.unwrap_or(std::borrow::Cow::Borrowed(""));
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
}
