//! The line reader itself: blocks parsed (by its own parser, or by forks
//! of it on other threads), then settled in order against everything read
//! before — the series' numbers, each series' last timestamp, the counts
//! of rejected lines, a strict stop.

use super::parser::{BlockParser, ParsedBlock, Problem};
use super::{BAD_LINES_KEPT, BadLine, InputFormat, LineOptions, LineProblem, LineStop, Reject};
use crate::Schema;
use crate::source::Events;
use rustc_hash::FxHashMap;

/// Reads blocks of whole lines into events, remembering the fields, the
/// series and each series' last timestamp across blocks.
///
/// [`LineReader::read_block`] reads a block at once. To parse blocks on
/// several threads, take a [`BlockParser`] per thread from
/// [`LineReader::fork`] once the fields are fixed, and hand each
/// [`ParsedBlock`] back to [`LineReader::settle`] in the blocks' order:
/// the events, rejections and stops are the very ones `read_block` gives.
#[derive(Debug)]
pub struct LineReader {
    parser: BlockParser,
    series: FxHashMap<String, u32>,
    last: Vec<i64>,
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
            parser: BlockParser::new(format, options),
            series: FxHashMap::default(),
            last: Vec::new(),
            rejected: 0,
            bad: Vec::new(),
            rejects: Vec::new(),
            saw_naive_time: false,
        }
    }

    /// The events' fields, once the first line has fixed them.
    pub fn schema(&self) -> Option<&Schema> {
        self.parser.shape().map(|s| &s.schema)
    }

    /// Whether events carry a series key (once fixed).
    pub fn keyed(&self) -> bool {
        self.parser.shape().is_some_and(|s| s.series_at.is_some())
    }

    /// The timestamp field's name (once fixed).
    pub fn timestamp_field(&self) -> Option<&str> {
        self.parser.shape().map(|s| s.ts_name.as_str())
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

    /// A parser for another thread, once the fields are fixed (`None`
    /// before: the line that fixes them must be read here first).
    pub fn fork(&self) -> Option<BlockParser> {
        self.parser.shape().map(|_| self.parser.fork())
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
        let parsed = self.parser.parse(first_line, text);
        self.settle(text, parsed, out)
    }

    /// Settles `parsed`, the block `text` parsed by this reader's parser or
    /// a fork of it, after every block before it: its series get the
    /// reader's numbers, an event older than its series' last is rejected,
    /// rejections are counted in line order, and the good events are
    /// appended to `out` as [`LineReader::read_block`] does.
    pub fn settle(
        &mut self,
        text: &[u8],
        parsed: ParsedBlock,
        out: &mut Option<Events>,
    ) -> Result<(), LineStop> {
        let ParsedBlock {
            first_line,
            events,
            lines,
            spans,
            problems,
            first_naive,
            stop,
            ..
        } = parsed;
        let mut problems = problems.into_iter().peekable();
        let mut stopped = None;
        if let Some(mut events) = events {
            // Events before `cut` are kept, less the `dropped`.
            let mut cut = lines.len();
            let mut dropped = Vec::new();
            let mut new_keys = Vec::new();
            let mut remap = vec![u32::MAX; events.keys.len()];
            for (i, &rel) in lines.iter().enumerate() {
                let line = first_line + u64::from(rel);
                if let Err(why) = self.judge_before(&mut problems, line) {
                    (stopped, cut) = (Some(why), i);
                    break;
                }
                let local = events.series[i] as usize;
                let ts = events.batch.timestamps[i];
                if remap[local] == u32::MAX {
                    let key = &events.keys[local];
                    remap[local] = match self.series.get(key.as_str()) {
                        Some(&known) => known,
                        None => {
                            let new = self.last.len() as u32;
                            self.series.insert(key.clone(), new);
                            self.last.push(ts);
                            new_keys.push(key.clone());
                            new
                        }
                    };
                }
                let global = remap[local];
                let last = self.last[global as usize];
                if ts < last {
                    let problem = LineProblem::Backwards {
                        timestamp: ts,
                        last,
                        series: events.keys[local].clone(),
                    };
                    let text = spans
                        .get(i)
                        .and_then(|span| text.get(span.start as usize..span.end as usize))
                        .map(super::lossy);
                    dropped.push(i);
                    if let Err(why) = self.judge(line, problem, text) {
                        (stopped, cut) = (Some(why), i);
                        break;
                    }
                    continue;
                }
                self.last[global as usize] = ts;
                events.series[i] = global;
            }
            events.keys = new_keys;
            keep(&mut events, cut, &dropped);
            match out {
                None if events.is_empty() && events.keys.is_empty() => {}
                None => *out = Some(events),
                Some(out) => out.append(events),
            }
        }
        if stopped.is_none() {
            stopped = self.judge_before(&mut problems, u64::MAX).err().or(stop);
        }
        let stop_line = match &stopped {
            Some(LineStop::Strict(bad)) => bad.line,
            Some(LineStop::Header { line, .. }) => *line,
            None => u64::MAX,
        };
        self.saw_naive_time |= first_naive.is_some_and(|line| line <= stop_line);
        stopped.map_or(Ok(()), Err)
    }

    /// Counts the problems on lines before `line`; an error when reading
    /// must stop.
    fn judge_before(
        &mut self,
        problems: &mut std::iter::Peekable<std::vec::IntoIter<Problem>>,
        line: u64,
    ) -> Result<(), LineStop> {
        while let Some(problem) = problems.next_if(|p| p.line < line) {
            self.judge(problem.line, problem.problem, problem.text)?;
        }
        Ok(())
    }

    /// Counts a rejected line; an error when reading must stop.
    fn judge(
        &mut self,
        line: u64,
        problem: LineProblem,
        text: Option<String>,
    ) -> Result<(), LineStop> {
        let bad = BadLine { line, problem };
        self.rejected += 1;
        if self.bad.len() < BAD_LINES_KEPT {
            self.bad.push(bad.clone());
        }
        // Only a reader keeping rejects has their text.
        if let Some(text) = text {
            self.rejects.push(Reject {
                bad: bad.clone(),
                text,
            });
        }
        if self.parser.options().strict {
            return Err(LineStop::Strict(bad));
        }
        Ok(())
    }
}

/// Keeps `events`' first `cut`, less the `dropped`.
fn keep(events: &mut Events, cut: usize, dropped: &[usize]) {
    if cut == events.len() && dropped.is_empty() {
        return;
    }
    let mut keep = vec![false; events.len()];
    keep[..cut].fill(true);
    for &i in dropped {
        keep[i] = false;
    }
    events.retain_indices(&keep);
}
