//! The line reader's CSV side: records split by the csv crate, line
//! numbers kept from byte offsets, the header fixing the fields.

use super::{LineReader, Shape};
use crate::source::Events;
use crate::source::lines::{HeaderProblem, LineProblem, LineStop, MAX_FIELDS, MAX_LINE_BYTES};
use crate::source::time::parse_timestamp_noting_zone;
use crate::source::value::parse_value;

impl LineReader {
    pub(super) fn csv_block(
        &mut self,
        first_line: u64,
        text: &[u8],
        out: &mut Option<Events>,
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
        let mut counted = (0usize, first_line);
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
            .map(|name| std::str::from_utf8(name.trim_ascii()))
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
            std::str::from_utf8(record.get(i).unwrap_or_default().trim_ascii())
                .map_err(|e| LineProblem::UnreadableRow(format!("column {}: {e}", i + 1)))
        };
        let ts_text = cell(shape.ts_at)?;
        let key = match shape.series_at {
            Some(at) => cell(at)?,
            None => "",
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
        let (ts, naive) = parse_timestamp_noting_zone(ts_text)?;
        self.saw_naive_time |= naive;
        self.accept(key, ts, out)
    }
}
