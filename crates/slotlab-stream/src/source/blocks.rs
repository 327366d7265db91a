//! Input read in blocks of whole lines, numbered, for the line reader:
//! the one way slotlab reads a file or standard input. A line longer than
//! [`MAX_BLOCK_LINE_BYTES`] means the input is not lines (`/dev/zero`, a
//! binary file) and ends the read.

use super::SourceError;
use super::lines::{FileEvents, InputFormat, LineOptions, LineReader, LineStop};
use std::io::{ErrorKind, Read};
use std::path::Path;

/// Bytes asked of the input per read.
const READ_BYTES: usize = 256 * 1024;
/// Room in a fresh block buffer beyond a read, for the line the last
/// read left over.
const SLACK_BYTES: usize = 16 * 1024;
/// The longest line a block may hold: past it the input is not lines.
pub const MAX_BLOCK_LINE_BYTES: usize = 64 << 20;

/// Whole lines read together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The lines, each ending in `\n` (the input's last may not).
    pub text: Vec<u8>,
    /// The first line's number, from 1.
    pub first_line: u64,
    /// Lines in the block.
    pub lines: u64,
}

/// Why a block could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The system failed the read.
    #[error("reading after line {line}")]
    Read {
        /// Lines read before.
        line: u64,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A line with no end in sight.
    #[error(
        "line {line} is longer than {} MiB: the input is not lines of NDJSON or CSV",
        MAX_BLOCK_LINE_BYTES >> 20
    )]
    NotLines {
        /// Its number.
        line: u64,
    },
}

/// Blocks of whole lines from `input`.
#[derive(Debug)]
pub struct LineBlocks<R> {
    input: R,
    /// The end of the last read, after its last newline.
    partial: Vec<u8>,
    /// Buffers of blocks done with, to hold the next blocks.
    spare: Vec<Vec<u8>>,
    lines_read: u64,
    done: bool,
}

/// Spare buffers kept at most.
const SPARE_BUFFERS: usize = 8;

impl<R: Read> LineBlocks<R> {
    /// Blocks of `input`'s lines.
    pub fn new(input: R) -> Self {
        Self {
            input,
            partial: Vec::new(),
            spare: Vec::new(),
            lines_read: 0,
            done: false,
        }
    }

    /// Takes back the buffer of a block done with, to hold a later block
    /// (fresh memory costs a page fault per 4 KiB; a reused buffer none).
    pub fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(buffer);
        }
    }

    /// Lines handed out so far.
    pub fn lines_read(&self) -> u64 {
        self.lines_read
    }

    /// The next block, or `None` at the end of the input.
    ///
    /// The input is read straight into the block's buffer (a spare one
    /// where there is one), after the line the last read left over; the
    /// buffer keeps its length between blocks, so only bytes past it are
    /// zeroed before a read (through a buffered reader every byte was
    /// copied once more, a tenth of an NDJSON ingest's time).
    pub fn next_block(&mut self) -> Result<Option<Block>, BlockError> {
        if self.done {
            return Ok(None);
        }
        let mut text = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(READ_BYTES + SLACK_BYTES));
        let mut filled = self.partial.len();
        if text.len() < filled {
            text.resize(filled, 0);
        }
        text[..filled].copy_from_slice(&self.partial);
        self.partial.clear();
        loop {
            if text.len() < filled + READ_BYTES {
                text.resize(filled + READ_BYTES, 0);
            }
            let read = match self.input.read(&mut text[filled..filled + READ_BYTES]) {
                Ok(read) => read,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    self.done = true;
                    return Err(BlockError::Read {
                        line: self.lines_read,
                        source,
                    });
                }
            };
            if read == 0 {
                self.done = true;
                text.truncate(filled);
                if text.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.block(text, 1)));
            }
            let end = filled + read;
            if let Some(last_newline) = memchr::memrchr(b'\n', &text[filled..end]) {
                let cut = filled + last_newline + 1;
                self.partial.extend_from_slice(&text[cut..end]);
                text.truncate(cut);
                return Ok(Some(self.block(text, 0)));
            }
            filled = end;
            if filled > MAX_BLOCK_LINE_BYTES {
                self.done = true;
                return Err(BlockError::NotLines {
                    line: self.lines_read + 1,
                });
            }
        }
    }

    /// A block of `text`: its newlines, plus `unterminated` (1 for a last
    /// line without one).
    fn block(&mut self, text: Vec<u8>, unterminated: u64) -> Block {
        let lines = memchr::memchr_iter(b'\n', &text).count() as u64 + unterminated;
        let block = Block {
            text,
            first_line: self.lines_read + 1,
            lines,
        };
        self.lines_read += lines;
        block
    }
}

/// Whether `file` starts like a saved slotlab stream (`SLOTSTRM`): binary,
/// not lines; `query` and `inspect` read it. The file is left at its start.
pub fn is_saved_stream(file: &mut std::fs::File) -> bool {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 8];
    let saved = file.read_exact(&mut magic).is_ok() && &magic == b"SLOTSTRM";
    let _ = file.seek(SeekFrom::Start(0));
    saved
}

/// Whether `path` names a Parquet file (by its extension).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Reads the NDJSON or CSV file at `path` (a `.parquet` file through
/// [`super::parquet::read_parquet`]) (the format from its extension
/// unless given) through the line reader.
pub fn read_file(
    path: &Path,
    format: Option<InputFormat>,
    options: LineOptions,
) -> Result<FileEvents, SourceError> {
    let name = || path.display().to_string();
    if is_parquet(path) {
        return super::parquet::read_parquet(path, &options);
    }
    let mut file = std::fs::File::open(path).map_err(|source| SourceError::Open {
        path: name(),
        source,
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(SourceError::Directory { path: name() });
    }
    if is_saved_stream(&mut file) {
        return Err(SourceError::SavedStream { path: name() });
    }
    let format = format
        .or_else(|| InputFormat::from_path(path))
        .unwrap_or(InputFormat::Ndjson);
    let mut reader = LineReader::new(format, options);
    let mut blocks = LineBlocks::new(file);
    let mut events = None;
    while let Some(block) = blocks.next_block().map_err(|source| SourceError::Blocks {
        path: name(),
        source,
    })? {
        reader
            .read_block(block.first_line, &block.text, &mut events)
            .map_err(|stop: LineStop| SourceError::Stopped { path: name(), stop })?;
        blocks.recycle(block.text);
    }
    let Some(events) = events else {
        return Err(SourceError::Empty {
            path: name(),
            rejected: reader.rejected(),
        });
    };
    Ok(FileEvents {
        events,
        rejected: reader.rejected(),
        bad: reader.bad_lines().to_vec(),
        timestamp_field: reader.timestamp_field().unwrap_or_default().to_owned(),
        naive_times_as_utc: reader.saw_naive_time(),
        rejects: reader.take_rejects(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
        let mut blocks = LineBlocks::new(text);
        let mut out = Vec::new();
        while let Some(b) = blocks.next_block().unwrap() {
            out.push((b.first_line, b.lines, b.text));
        }
        out
    }

    #[test]
    fn blocks_hold_whole_lines_and_count_them() {
        assert_eq!(blocks(b""), []);
        assert_eq!(blocks(b"a\nb\n"), [(1, 2, b"a\nb\n".to_vec())]);
        assert_eq!(
            blocks(b"a\nb"),
            [(1, 1, b"a\n".to_vec()), (2, 1, b"b".to_vec())]
        );
        let long: Vec<u8> = (0..READ_BYTES * 3)
            .map(|i| if i % 1000 == 999 { b'\n' } else { b'x' })
            .collect();
        let got = blocks(&long);
        assert_eq!(
            got.iter().map(|b| b.1).sum::<u64>(),
            (READ_BYTES * 3).div_ceil(1000) as u64
        );
        assert_eq!(
            got.iter().flat_map(|b| b.2.clone()).collect::<Vec<u8>>(),
            long
        );
    }

    /// Hands out 1 to 997 bytes a read, in a scrambled order.
    struct Dribble<'a>(&'a [u8], usize);

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = (self.1 * 31 + 7) % 997 + 1;
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_and_recycled_buffers_keep_every_byte_and_line() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("line {i}{}\n", "x".repeat((i % 13) as usize)).into_bytes())
            .chain(*b"last, unterminated")
            .collect();
        for recycle in [false, true] {
            let mut blocks = LineBlocks::new(Dribble(&text, 0));
            let (mut got, mut lines, mut next_line) = (Vec::new(), 0, 1);
            while let Some(b) = blocks.next_block().unwrap() {
                assert_eq!(b.first_line, next_line);
                assert!(b.text.ends_with(b"\n") || b.text.ends_with(b"unterminated"));
                next_line += b.lines;
                lines += b.lines;
                got.extend_from_slice(&b.text);
                if recycle {
                    // A spare longer than the next block: its old bytes
                    // must not show.
                    let mut spare = b.text;
                    spare.resize(READ_BYTES * 2, b'\n');
                    blocks.recycle(spare);
                }
            }
            assert_eq!(got, text, "recycle {recycle}");
            assert_eq!(lines, 20_001);
            assert_eq!(blocks.lines_read(), 20_001);
        }
    }

    #[test]
    fn an_endless_line_is_not_lines() {
        let zeros = std::io::repeat(0).take((MAX_BLOCK_LINE_BYTES + READ_BYTES) as u64);
        let mut blocks = LineBlocks::new(zeros);
        let err = blocks.next_block().unwrap_err();
        assert!(matches!(err, BlockError::NotLines { line: 1 }), "{err}");
        assert!(blocks.next_block().unwrap().is_none());
    }

    #[test]
    fn the_projects_real_csv_reads_through_the_line_reader() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/seattle-temps-2010.csv");
        let read = read_file(&path, None, LineOptions::default()).unwrap();
        assert_eq!((read.events.len(), read.rejected), (8759, 0));
        assert_eq!(read.timestamp_field, "time");
        assert!(read.naive_times_as_utc);
    }
}
