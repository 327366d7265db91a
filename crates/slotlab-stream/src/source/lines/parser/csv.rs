//! The parser's CSV side: lines without quotes split at commas, others
//! by the csv crate (line numbers kept from byte offsets), the header
//! fixing the fields.

use super::{At, BlockParser, ParsedBlock};
use crate::source::lines::shape::Shape;
use crate::source::lines::{HeaderProblem, LineProblem, LineStop, MAX_FIELDS, MAX_LINE_BYTES};
use crate::source::time::parse_timestamp_noting_zone;
use crate::source::value::parse_value;
use std::sync::Arc;

/// A record's cells, however they were split.
trait Row {
    /// Cells in the record.
    fn len(&self) -> usize;
    /// Cell `i`, trimmed of ASCII white space, as text.
    fn cell(&self, i: usize) -> Result<&str, std::str::Utf8Error>;
}

impl Row for ::csv::ByteRecord {
    fn len(&self) -> usize {
        ::csv::ByteRecord::len(self)
    }

    fn cell(&self, i: usize) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(self.get(i).unwrap_or_default().trim_ascii())
    }
}

/// A line without quotes, split at its commas.
struct Split<'a> {
    line: &'a [u8],
    /// The line as text, when all of it is UTF-8 (checked once).
    text: Option<&'a str>,
    /// Where each cell ends (the last at the line's end).
    ends: &'a [usize],
}

impl Split<'_> {
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        start..self.ends[i]
    }
}

impl Row for Split<'_> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn cell(&self, i: usize) -> Result<&str, std::str::Utf8Error> {
        let range = self.range(i);
        match self.text {
            // Cut at commas, which are ASCII: always on a boundary.
            Some(text) => Ok(text.get(range).unwrap_or_default().trim_ascii()),
            None => std::str::from_utf8(self.line[range].trim_ascii()),
        }
    }
}

impl BlockParser {
    /// A block of CSV lines: split at newlines and commas where it holds
    /// no quote (the usual block: what the csv crate would do, without its
    /// work), else by the csv crate.
    pub(super) fn csv_block(
        &mut self,
        block: &mut ParsedBlock,
        text: &[u8],
        skipped: usize,
    ) -> Result<(), LineStop> {
        if memchr::memchr(b'"', text).is_none() {
            self.csv_plain_block(block, text, skipped)
        } else {
            self.csv_quoted_block(block, text, skipped)
        }
    }

    /// Lines without a quote: a record per line that is not empty (the
    /// csv crate skips empty lines), a cell per comma.
    fn csv_plain_block(
        &mut self,
        block: &mut ParsedBlock,
        text: &[u8],
        skipped: usize,
    ) -> Result<(), LineStop> {
        let mut ends = Vec::new();
        let mut start = 0;
        let line_ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
        for (i, end) in line_ends.enumerate() {
            let line = &text[start..end];
            let offset = start + skipped;
            let terminated = end < text.len();
            start = end + 1;
            if line.is_empty() {
                continue;
            }
            let number = block.first_line + i as u64;
            ends.clear();
            ends.extend(memchr::memchr_iter(b',', line));
            ends.push(line.len());
            let row = Split {
                line,
                text: std::str::from_utf8(line).ok(),
                ends: &ends,
            };
            if self.shape.is_none() {
                self.csv_header(number, &row)?;
                continue;
            }
            let raw = line.strip_suffix(b"\r").unwrap_or(line);
            let at = At {
                line: number,
                text: raw,
                offset,
            };
            let bytes = line.len() + usize::from(terminated);
            let verdict = if bytes > MAX_LINE_BYTES {
                Err(LineProblem::TooLong { bytes })
            } else {
                self.csv_row(block, &at, &row)
            };
            if !self.judge(block, &at, verdict) {
                break;
            }
        }
        Ok(())
    }

    fn csv_quoted_block(
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
            // A record's position can be that of the blank lines before it
            // (empty ones: a line holding only `\r` is a record).
            while text.get(byte) == Some(&b'\n') {
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

    fn csv_header(&mut self, line: u64, record: &impl Row) -> Result<(), LineStop> {
        let stop = |problem| LineStop::Header { line, problem };
        let names: Vec<&str> = (0..record.len())
            .map(|i| record.cell(i))
            .collect::<Result<_, _>>()
            .map_err(|_| stop(HeaderProblem::NotUtf8))?;
        self.shape = Some(Arc::new(Shape::fix(&names, &self.options).map_err(stop)?));
        Ok(())
    }

    fn csv_row(
        &mut self,
        block: &mut ParsedBlock,
        at: &At<'_>,
        record: &impl Row,
    ) -> Result<(), LineProblem> {
        let shape = self.shape.as_deref().expect("the header comes first");
        let scratch = &mut self.scratch;
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
            record
                .cell(i)
                .map_err(|e| LineProblem::UnreadableRow(format!("column {}: {e}", i + 1)))
        };
        let ts_text = cell(shape.ts_at)?;
        let key = match shape.series_at {
            Some(at) => cell(at)?,
            None => "",
        };
        scratch.values.clear();
        for (field, &place) in shape.schema.fields().iter().zip(&shape.field_at) {
            let value =
                parse_value(cell(place)?, field.kind).map_err(|problem| LineProblem::Value {
                    field: field.name.clone(),
                    problem,
                })?;
            scratch.values.push(value);
        }
        let (ts, naive) = parse_timestamp_noting_zone(ts_text)?;
        scratch.add(block, at, &shape.schema, key, ts, naive);
        Ok(())
    }
}

/// Where the record at `from` really starts: the csv crate places a record
/// at the blank lines before it.
fn after_blank_lines(text: &[u8], from: usize, end: usize) -> usize {
    from + text[from..end].iter().take_while(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::lines::{InputFormat, LineOptions};

    /// `text` parsed by one path, as everything it found.
    fn parse(text: &[u8], plain: bool) -> String {
        let options = LineOptions {
            keep_rejects: true,
            ..LineOptions::default()
        };
        let mut parser = BlockParser::new(InputFormat::Csv, options);
        let mut block = parser.parse(1, b"");
        let end = if plain {
            parser.csv_plain_block(&mut block, text, 0)
        } else {
            parser.csv_quoted_block(&mut block, text, 0)
        };
        format!("{block:?} {end:?}")
    }

    /// Text without quotes reads the same split at commas as through the
    /// csv crate: good and bad rows, blank lines, `\r`, white space,
    /// bytes that are not UTF-8, a header that cannot be one — for every
    /// one-byte change of a sample.
    #[test]
    fn lines_without_quotes_read_as_the_csv_crate_reads_them() {
        let base: &[u8] =
            b"time , series,v\r\n1,a, 2.5\n\n2,b,x\n 3 ,a,4\r\n4,c\n\r\n5,a,6,7\n6,\xff,1\n7,b,8";
        let bytes = b" \t\r\n,.-0159ax\xc3\xff";
        let mut texts = vec![base.to_vec()];
        for at in 0..base.len() {
            texts.push([&base[..at], &base[at + 1..]].concat());
            for &b in bytes {
                let mut changed = base.to_vec();
                changed[at] = b;
                texts.push(changed);
                texts.push([&base[..at], &[b][..], &base[at..]].concat());
            }
        }
        for text in &texts {
            assert_eq!(
                parse(text, true),
                parse(text, false),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(parse(base, true).contains("Backwards") || parse(base, true).contains("Columns"));
    }
}
