//! The parse stage: blocks of lines into typed events, through the one
//! line reader every command shares
//! ([`slotlab_stream::source::lines::LineReader`]: its rules, its reasons
//! for rejecting a line). This stage adds what the pipeline needs: each
//! event's creation stamp, and a stop when reading must end.

use super::feed::LineBlock;
use super::{Ended, EventBatch, SourceFailure};
use slotlab_stream::source::lines::{LineReader, LineStop, Reject};

pub use slotlab_stream::source::lines::{BadLine, InputFormat, LineOptions as ParseOptions};

/// What one block of lines gave.
#[derive(Debug, Default)]
pub(super) struct ParsedBlock {
    /// Its good events (`None` when there were none).
    pub batch: Option<EventBatch>,
    /// Why intake must stop (strict mode met a bad line; the line that
    /// fixes the fields cannot).
    pub stop: Option<Ended>,
}

/// Parses blocks of lines in order.
#[derive(Debug)]
pub(super) struct LineParser {
    reader: LineReader,
}

impl LineParser {
    pub(super) fn new(options: ParseOptions, format: InputFormat) -> Self {
        Self {
            reader: LineReader::new(format, options),
        }
    }

    /// Parses `block`.
    pub(super) fn parse(&mut self, block: &LineBlock) -> ParsedBlock {
        let mut events = None;
        let end = self
            .reader
            .read_block(block.first_line, &block.text, &mut events);
        let keyed = self.reader.keyed();
        let batch = events.map(|events| {
            let created_ns = vec![block.created_ns; events.len()];
            EventBatch {
                events,
                keyed,
                created_ns,
            }
        });
        let stop = end.err().map(|stop| match stop {
            LineStop::Strict(bad) => Ended::Strict(bad),
            LineStop::Header { line, problem } => {
                Ended::SourceFailed(SourceFailure::Header { line, problem })
            }
        });
        ParsedBlock { batch, stop }
    }

    /// Lines rejected so far.
    pub(super) fn rejected(&self) -> u64 {
        self.reader.rejected()
    }

    /// The first rejected lines.
    pub(super) fn bad_lines(&self) -> Vec<BadLine> {
        self.reader.bad_lines().to_vec()
    }

    /// Every rejected line since the last call, with its text.
    pub(super) fn take_rejects(&mut self) -> Vec<Reject> {
        self.reader.take_rejects()
    }

    /// Whether a date-time without an offset was read (taken as UTC).
    pub(super) fn saw_naive_time(&self) -> bool {
        self.reader.saw_naive_time()
    }
}
