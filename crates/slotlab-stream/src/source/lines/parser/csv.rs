//! The parser's CSV side: records split by the csv crate, line numbers
//! kept from byte offsets, the header fixing the fields.

use super::{At, BlockParser, Event, ParsedBlock};
use crate::source::lines::shape::Shape;
use crate::source::lines::{HeaderProblem, LineProblem, LineStop, MAX_FIELDS, MAX_LINE_BYTES};
use crate::source::time::parse_timestamp_noting_zone;
use crate::source::value::parse_value;
use std::sync::Arc;

impl BlockParser {
    pub(super) fn csv_block(
        &mut self,
        block: &mut ParsedBlock,
        text: &[u8],
        skipped: usize,
    ) -> Result<(), LineStop> {
        // Cells are trimmed of ASCII white space where they are read (the
        // csv crate's own trimming copies every record into a new one).
        // Records end at `\n` only (a `\r` before it is trimmed as white
        // space): a bare `\r` inside a line must not split it in two, or
        // the line count and the record count part ways.
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_reader(text);
        let mut record = ::csv::ByteRecord::new();
        // Line numbers from byte offsets (the csv crate's own count skips
        // blank lines), counted forward from the last record.
        let mut counted = (0usize, block.first_line);
        let mut line_at = |byte: usize| {
            let mut byte = byte.min(text.len());
            // A record's position can be that of the blank lines before it.
            while matches!(text.get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            let (from, line) = counted;
            let more = memchr::memchr_iter(b'\n', &text[from.min(byte)..byte]).count();
            counted = (byte, line + more as u64);
            counted.1
        };
        loop {
            let start = reader.position().byte() as usize;
            let (line, verdict, from, raw) = match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let at = record.position().map_or(start, |p| p.byte() as usize);
                    let number = line_at(at);
                    let end = (reader.position().byte() as usize).min(text.len());
                    let from = after_blank_lines(text, at.min(end), end);
                    let raw = &text[from..end];
                    if self.shape.is_none() {
                        self.csv_header(number, &record)?;
                        continue;
                    }
                    let bytes = raw.len();
                    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
                    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                    let at = At {
                        line: number,
                        text: raw,
                        offset: from + skipped,
                    };
                    let verdict = if bytes > MAX_LINE_BYTES {
                        Err(LineProblem::TooLong { bytes })
                    } else {
                        self.csv_row(block, &at, &record)
                    };
                    (number, verdict, from, raw)
                }
                Err(e) => {
                    let at = e.position().map_or(start, |p| p.byte() as usize);
                    let end = (reader.position().byte() as usize).min(text.len());
                    let from = after_blank_lines(text, at.min(end), end);
                    let raw = &text[from..end];
                    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
                    (
                        line_at(at),
                        Err(LineProblem::UnreadableRow(e.to_string())),
                        from,
                        raw.strip_suffix(b"\r").unwrap_or(raw),
                    )
                }
            };
            let at = At {
                line,
                text: raw,
                offset: from + skipped,
            };
            if !self.judge(block, &at, verdict) {
                return Ok(());
            }
        }
    }

    fn csv_header(&mut self, line: u64, record: &::csv::ByteRecord) -> Result<(), LineStop> {
        let stop = |problem| LineStop::Header { line, problem };
        let names: Vec<&str> = record
            .iter()
            .map(|name| std::str::from_utf8(name.trim_ascii()))
            .collect::<Result<_, _>>()
            .map_err(|_| stop(HeaderProblem::NotUtf8))?;
        self.shape = Some(Arc::new(Shape::fix(&names, &self.options).map_err(stop)?));
        Ok(())
    }

    fn csv_row(
        &mut self,
        block: &mut ParsedBlock,
        at: &At<'_>,
        record: &::csv::ByteRecord,
    ) -> Result<(), LineProblem> {
        let Self {
            shape,
            values,
            local,
            options,
            ..
        } = self;
        let shape = shape.as_deref().expect("the header comes first");
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
            std::str::from_utf8(record.get(i).unwrap_or_default().trim_ascii())
                .map_err(|e| LineProblem::UnreadableRow(format!("column {}: {e}", i + 1)))
        };
        let ts_text = cell(shape.ts_at)?;
        let key = match shape.series_at {
            Some(at) => cell(at)?,
            None => "",
        };
        values.clear();
        for (field, &place) in shape.schema.fields().iter().zip(&shape.field_at) {
            let value =
                parse_value(cell(place)?, field.kind).map_err(|problem| LineProblem::Value {
                    field: field.name.clone(),
                    problem,
                })?;
            values.push(value);
        }
        let (ts, naive) = parse_timestamp_noting_zone(ts_text)?;
        if naive {
            block.first_naive.get_or_insert(at.line);
        }
        let event = Event { key, ts, values };
        block.push(at, &shape.schema, local, &event, options.keep_rejects);
        Ok(())
    }
}

/// Where the record at `from` really starts: the csv crate places a record
/// at the blank lines before it.
fn after_blank_lines(text: &[u8], from: usize, end: usize) -> usize {
    from + text[from..end]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count()
}
