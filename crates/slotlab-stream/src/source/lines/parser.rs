//! A block's lines parsed on their own: every line checked against the
//! shape and turned into an event or a problem, with series numbered
//! within the block. What needs every earlier block — the series' global
//! numbers, timestamps going back, counts, a strict stop — is settled
//! afterwards, in order, by [`LineReader::settle`](super::LineReader::settle);
//! so blocks can be parsed on several threads at once.

use super::shape::Shape;
use super::{InputFormat, LineOptions, LineProblem, LineStop, MAX_FIELDS, MAX_LINE_BYTES};
use crate::Num;
use crate::source::Events;
use crate::source::ndjson::{self, Scalar};
use crate::source::skeleton::Skeleton;
use crate::source::time::parse_timestamp_noting_zone;
use crate::source::value::{Plain, parse_value};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

mod csv;

/// Parses blocks of whole lines into events, each block on its own. A
/// reader's own parser fixes the shape on the first line;
/// [`LineReader::fork`](super::LineReader::fork) hands out copies that
/// share it, for other threads.
#[derive(Debug)]
pub struct BlockParser {
    format: InputFormat,
    options: Arc<LineOptions>,
    shape: Option<Arc<Shape>>,
    scratch: Scratch,
    /// Where a template found a line's values.
    spans: Vec<ndjson::Span>,
    /// The gaps between values of the last line the template read.
    skeleton: Option<Skeleton>,
}

/// The template's spans of `line` (into `spans`), and the line as text
/// (`text` where the block was checked, else checked here): by the learned
/// skeleton when the line repeats it, else by the template, whose line then
/// becomes the skeleton.
fn read_spans<'a>(
    skeleton: &mut Option<Skeleton>,
    spans: &mut Vec<ndjson::Span>,
    shape: &Shape,
    line: &'a [u8],
    text: Option<&'a str>,
) -> Option<&'a str> {
    if skeleton.as_ref().is_some_and(|s| s.read_spans(line, spans)) {
        return text.or_else(|| std::str::from_utf8(line).ok());
    }
    let text = shape.written.read_spans(line, spans)?;
    *skeleton = Some(Skeleton::of(line, spans));
    Some(text)
}

/// A rejected line, as parsing found it.
#[derive(Debug)]
pub(super) struct Problem {
    pub(super) line: u64,
    pub(super) problem: LineProblem,
    /// Its text, with [`LineOptions::keep_rejects`].
    pub(super) text: Option<String>,
}

/// One block's lines, parsed and not yet settled.
#[derive(Debug)]
pub struct ParsedBlock {
    pub(super) first_line: u64,
    /// The good lines' events; `series` numbers `keys`, the block's own.
    pub(super) events: Option<Events>,
    /// Each event's line, from the block's first.
    pub(super) lines: Vec<u32>,
    /// Each event's bytes in the block (with
    /// [`LineOptions::keep_rejects`], for a line settling rejects).
    pub(super) spans: Vec<Range<u32>>,
    /// The rejected lines, in order.
    pub(super) problems: Vec<Problem>,
    /// The first line with a date-time without an offset.
    pub(super) first_naive: Option<u64>,
    /// Why parsing stopped early (the line fixing the fields cannot);
    /// strict parsing stops after its first problem, without one.
    pub(super) stop: Option<LineStop>,
    /// Whether rejected lines keep their text (and events their `spans`).
    keep_rejects: bool,
}

/// Where an event came from in its block.
struct At<'t> {
    line: u64,
    text: &'t [u8],
    /// Where `text` starts in the block.
    offset: usize,
}

impl BlockParser {
    pub(super) fn new(format: InputFormat, options: LineOptions) -> Self {
        Self::with(format, Arc::new(options), None)
    }

    fn with(format: InputFormat, options: Arc<LineOptions>, shape: Option<Arc<Shape>>) -> Self {
        Self {
            format,
            options,
            shape,
            scratch: Scratch::default(),
            spans: Vec::new(),
            skeleton: None,
        }
    }

    /// A parser sharing this one's shape and options.
    pub(super) fn fork(&self) -> Self {
        Self::with(self.format, Arc::clone(&self.options), self.shape.clone())
    }

    pub(super) fn shape(&self) -> Option<&Shape> {
        self.shape.as_deref()
    }

    pub(super) fn options(&self) -> &LineOptions {
        &self.options
    }

    /// Parses `text` — whole lines, the first numbered `first_line`.
    pub fn parse(&mut self, first_line: u64, text: &[u8]) -> ParsedBlock {
        self.scratch.local.clear();
        let mut block = ParsedBlock {
            first_line,
            events: None,
            lines: Vec::with_capacity(self.scratch.expect),
            spans: Vec::new(),
            problems: Vec::new(),
            first_naive: None,
            stop: None,
            keep_rejects: self.options.keep_rejects,
        };
        let (text, skipped) = match text.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) if first_line == 1 => (rest, 3),
            _ => (text, 0),
        };
        let end = match self.format {
            InputFormat::Ndjson => self.json_block(&mut block, text, skipped),
            InputFormat::Csv => self.csv_block(&mut block, text, skipped),
        };
        block.stop = end.err();
        self.scratch.expect = block.lines.len();
        block
    }

    fn json_block(
        &mut self,
        block: &mut ParsedBlock,
        text: &[u8],
        skipped: usize,
    ) -> Result<(), LineStop> {
        // A block of valid UTF-8 (the usual one) is checked once here: its
        // lines, cut at newlines, are valid too, and need no check each.
        let valid = std::str::from_utf8(text).ok();
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
        for (i, end) in ends.enumerate() {
            let line = &text[start..end];
            let line_text = valid.and_then(|v| v.get(start..end));
            let offset = start + skipped;
            start = end + 1;
            let (line, line_text) = match line.strip_suffix(b"\r") {
                Some(cut) => (cut, line_text.and_then(|t| t.strip_suffix('\r'))),
                None => (line, line_text),
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let at = At {
                line: block.first_line + i as u64,
                text: line,
                offset,
            };
            let verdict = self.json_line(block, &at, line_text)?;
            if !self.judge(block, &at, verdict) {
                break;
            }
        }
        Ok(())
    }

    /// Notes a rejected line; false when parsing should stop (strict).
    fn judge(
        &self,
        block: &mut ParsedBlock,
        at: &At<'_>,
        verdict: Result<(), LineProblem>,
    ) -> bool {
        let Err(problem) = verdict else {
            return true;
        };
        let text = block.keep_rejects.then(|| super::lossy(at.text));
        block.problems.push(Problem {
            line: at.line,
            problem,
            text,
        });
        !self.options.strict
    }

    /// One NDJSON line: `Err` stops reading (the line that fixes the
    /// fields cannot), `Ok(Err)` rejects the line.
    /// `text` is the line as text when its block was checked already.
    fn json_line(
        &mut self,
        block: &mut ParsedBlock,
        at: &At<'_>,
        text: Option<&str>,
    ) -> Result<Result<(), LineProblem>, LineStop> {
        let line = at.text;
        if line.len() > MAX_LINE_BYTES {
            return Ok(Err(LineProblem::TooLong { bytes: line.len() }));
        }
        // The usual line: the first line's keys in its order, each value
        // found where the template says (no fields built) — first by the
        // gaps between values learned from an earlier line, which nearly
        // every line of a file repeats.
        if let Some(shape) = self.shape.as_deref()
            && let Some(text) = read_spans(&mut self.skeleton, &mut self.spans, shape, line, text)
        {
            let spans = &self.spans;
            let get = |_: &str, place: usize| spans.get(place).map(|span| span.scalar(text));
            let plain = |place: usize| spans.get(place).and_then(|span| span.plain());
            return Ok(self.scratch.json_event(shape, get, plain, None, block, at));
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
        let first_names: Option<Vec<String>> = self
            .shape
            .is_none()
            .then(|| fields.iter().map(|(k, _)| k.to_string()).collect());
        let written = self.shape.as_ref().map(|s| &s.written);
        // A line with the first line's keys in the first line's order is
        // read by position; any other is sorted once, and every lookup
        // below is a binary search.
        let in_order = written.is_some_and(|t| {
            fields.len() == t.keys().len() && fields.iter().zip(t.keys()).all(|((k, _), w)| k == w)
        });
        if !in_order {
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = fields.windows(2).find(|w| w[0].0 == w[1].0) {
                return Ok(Err(LineProblem::Twice(w[0].0.clone().into_owned())));
            }
        }
        if let Some(names) = first_names {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let shape = Shape::fix(&names, &self.options).map_err(|problem| LineStop::Header {
                line: at.line,
                problem,
            })?;
            self.shape = Some(Arc::new(shape));
            return self.json_line(block, at, text);
        }
        let shape = self.shape.as_deref().expect("fixed above");
        // A field missing, or one the first line did not have.
        let extra = (fields.len() != shape.columns)
            .then(|| {
                fields.iter().find(|(k, _)| {
                    shape
                        .sorted_names
                        .binary_search_by(|n| n.as_str().cmp(k))
                        .is_err()
                })
            })
            .flatten()
            .map(|(k, _)| k.as_ref());
        // `place`: the name's place in the written order (the shape's
        // `ts_at`, `series_at`, `field_at`), where an in-order line holds it.
        let get = |name: &str, place: usize| {
            if in_order {
                return fields.get(place).map(|(_, value)| value.view());
            }
            fields
                .binary_search_by(|(k, _)| k.as_ref().cmp(name))
                .ok()
                .map(|i| fields[i].1.view())
        };
        Ok(self
            .scratch
            .json_event(shape, get, |_| None, extra, block, at))
    }
}

/// What a line's event is built with, kept from line to line.
#[derive(Debug, Default)]
struct Scratch {
    /// The line's values, in the schema's order.
    values: Vec<Num>,
    /// The block's series, numbered in order of first appearance.
    local: FxHashMap<String, u32>,
    /// Events the last block held: room made for as many at once (blocks
    /// are of one size, so mostly alike; grown from small, a block's
    /// vectors were reallocated and copied a dozen times).
    expect: usize,
}

impl Scratch {
    /// The event of an NDJSON line whose values `get` finds by name and
    /// place (and `plain`, by place, a number's digits where its reader
    /// read them already), `extra` a field the first line did not have:
    /// added to `block`, or why the line is rejected.
    fn json_event<'t>(
        &mut self,
        shape: &Shape,
        get: impl Fn(&str, usize) -> Option<Scalar<'t>>,
        plain: impl Fn(usize) -> Option<Plain>,
        extra: Option<&str>,
        block: &mut ParsedBlock,
        at: &At<'_>,
    ) -> Result<(), LineProblem> {
        let mut naive_time = false;
        // Numbers whose digits were read with them are taken as they are;
        // their text is looked at only for the rest.
        let ts = if let Some(t) = plain(shape.ts_at).and_then(Plain::integer) {
            t
        } else {
            match get(&shape.ts_name, shape.ts_at) {
                None => return Err(LineProblem::Missing(shape.ts_name.clone())),
                Some(Scalar::Number(text)) if !text.contains(['.', 'e', 'E']) => {
                    match text.parse::<i64>() {
                        Ok(t) => t,
                        Err(_) => return Err(LineProblem::TimestampKind(text.to_owned())),
                    }
                }
                Some(Scalar::Str(text)) => {
                    let (t, naive) = parse_timestamp_noting_zone(&text)?;
                    naive_time = naive;
                    t
                }
                Some(other) => return Err(LineProblem::TimestampKind(other.to_string())),
            }
        };
        let key = match (&shape.series_name, shape.series_at) {
            (Some(name), Some(place)) => match get(name, place) {
                None => return Err(LineProblem::Missing(name.clone())),
                Some(Scalar::Str(s)) => s,
                Some(Scalar::Number(n)) if !n.contains(['.', 'e', 'E']) => Cow::Borrowed(n),
                Some(other) => {
                    return Err(LineProblem::SeriesKind {
                        field: name.clone(),
                        kind: other.kind(),
                    });
                }
            },
            _ => Cow::Borrowed(""),
        };
        if let Some(extra) = extra {
            return Err(LineProblem::Unexpected(extra.to_owned()));
        }
        self.values.clear();
        for (field, &place) in shape.schema.fields().iter().zip(&shape.field_at) {
            if let Some(value) = plain(place).and_then(|p| p.value(field.kind)) {
                self.values.push(value);
                continue;
            }
            let value = match get(&field.name, place) {
                None => return Err(LineProblem::Missing(field.name.clone())),
                Some(Scalar::Number(text)) => parse_value(text, field.kind),
                Some(Scalar::Str(text)) => parse_value(&text, field.kind),
                Some(other) => {
                    return Err(LineProblem::NotANumber {
                        field: field.name.clone(),
                        kind: other.kind(),
                    });
                }
            };
            match value {
                Ok(v) => self.values.push(v),
                Err(problem) => {
                    return Err(LineProblem::Value {
                        field: field.name.clone(),
                        problem,
                    });
                }
            }
        }
        self.add(block, at, &shape.schema, &key, ts, naive_time);
        Ok(())
    }

    /// Adds the event of `self.values` at `ts` in series `key`, read at
    /// `at`, to `block`, its series numbered within the block.
    fn add(
        &mut self,
        block: &mut ParsedBlock,
        at: &At<'_>,
        schema: &crate::Schema,
        key: &str,
        ts: i64,
        naive_time: bool,
    ) {
        let events = block.events.get_or_insert_with(|| {
            Events::with_capacity(schema.clone(), Vec::new(), self.expect.max(1024))
        });
        let series = match self.local.get(key) {
            Some(&s) => s,
            None => {
                let s = events.keys.len() as u32;
                self.local.insert(key.to_owned(), s);
                events.keys.push(key.to_owned());
                s
            }
        };
        events.series.push(series);
        events.batch.timestamps.push(ts);
        for (column, &value) in events.batch.columns.iter_mut().zip(&self.values) {
            column.push(value);
        }
        block.lines.push((at.line - block.first_line) as u32);
        if block.keep_rejects {
            let start = at.offset as u32;
            block.spans.push(start..start + at.text.len() as u32);
        }
        if naive_time {
            block.first_naive.get_or_insert(at.line);
        }
    }
}
