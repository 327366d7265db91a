//! The parse stage: blocks of lines into typed events, through the one
//! line reader every command shares
//! ([`slotlab_stream::source::lines::LineReader`]: its rules, its reasons
//! for rejecting a line). This stage adds what the pipeline needs: each
//! event's creation stamp, a stop when reading must end, and parsing on
//! several threads.
//!
//! With more than one parse thread, the first block (the line that fixes
//! the fields) is read here; after it, blocks go to worker threads, each
//! with its own [`BlockParser`], and come back in the order they were
//! read to be settled by the one reader — series numbers, timestamps going
//! back, rejection counts and strict stops are exactly those of reading
//! every block here.

use super::feed::LineBlock;
use super::{Ended, EventBatch, SourceFailure};
use crate::measure::alloc;
use crossbeam_channel::{Receiver, Sender};
use slotlab_stream::source::lines::{BlockParser, LineReader, LineStop, ParsedBlock, Reject};
use std::collections::VecDeque;
use std::thread::JoinHandle;

pub use slotlab_stream::source::lines::{BadLine, InputFormat, LineOptions as ParseOptions};

/// What one block of lines gave.
#[derive(Debug, Default)]
pub(super) struct BlockOutcome {
    /// Its good events (`None` when there were none).
    pub batch: Option<EventBatch>,
    /// Why intake must stop (strict mode met a bad line; the line that
    /// fixes the fields cannot).
    pub stop: Option<Ended>,
}

/// A block handed to a worker, and where its parse goes.
struct Job {
    block: LineBlock,
    reply: Sender<(LineBlock, ParsedBlock)>,
}

/// A block on its way through the stage, in the order read.
enum Pending {
    /// Read and settled here.
    Settled(Box<BlockOutcome>),
    /// With a worker.
    Parsing(Receiver<(LineBlock, ParsedBlock)>),
}

/// The worker threads and their queue of blocks.
struct Pool {
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the queue ends each worker after its current block.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Parses blocks of lines in order, on `threads` threads.
pub(super) struct LineParser {
    reader: LineReader,
    threads: usize,
    pool: Option<Pool>,
    pending: VecDeque<Pending>,
    /// Where the buffers of blocks done with go back to.
    recycle: Option<Sender<Vec<u8>>>,
}

impl std::fmt::Debug for LineParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineParser")
            .field("threads", &self.threads)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl LineParser {
    pub(super) fn new(options: ParseOptions, format: InputFormat, threads: usize) -> Self {
        Self {
            reader: LineReader::new(format, options),
            threads: threads.max(1),
            pool: None,
            pending: VecDeque::new(),
            recycle: None,
        }
    }

    /// Sends the buffer of every block done with to `spare` (dropped when
    /// it is full).
    pub(super) fn recycling_into(mut self, spare: Sender<Vec<u8>>) -> Self {
        self.recycle = Some(spare);
        self
    }

    fn done_with(&self, block: LineBlock) {
        if let Some(spare) = &self.recycle {
            let _ = spare.try_send(block.text);
        }
    }

    /// Blocks taken and not yet handed back.
    pub(super) fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Whether the workers hold as many blocks as they should: time to
    /// wait for the oldest.
    pub(super) fn full(&self) -> bool {
        self.pending.len() >= 2 * self.threads
    }

    /// Takes `block`: parsed here while the fields are not fixed (or with
    /// one thread), else handed to a worker.
    pub(super) fn submit(&mut self, block: LineBlock) {
        if self.pool.is_none() && self.threads > 1 && self.reader.schema().is_some() {
            self.pool = self.start_pool();
            if self.pool.is_none() {
                // No thread could be started: parse here from now on.
                self.threads = 1;
            }
        }
        let Some(jobs) = self.pool.as_ref().and_then(|p| p.jobs.as_ref()) else {
            return self.read_here(block);
        };
        let (reply, parsed) = crossbeam_channel::bounded(1);
        match jobs.send(Job { block, reply }) {
            Ok(()) => self.pending.push_back(Pending::Parsing(parsed)),
            Err(crossbeam_channel::SendError(job)) => {
                // Every worker is gone (a panic): parse here from now on.
                self.pool = None;
                self.threads = 1;
                self.read_here(job.block);
            }
        }
    }

    /// Reads and settles `block` on the stage's own thread.
    fn read_here(&mut self, block: LineBlock) {
        let mut events = None;
        let end = self
            .reader
            .read_block(block.first_line, &block.text, &mut events);
        let parsed = outcome(&self.reader, &block, events, end);
        self.pending.push_back(Pending::Settled(Box::new(parsed)));
        self.done_with(block);
    }

    /// The oldest block's outcome, if it is ready (or, with `wait`, once
    /// it is).
    pub(super) fn next(&mut self, wait: bool) -> Option<BlockOutcome> {
        let ready = match self.pending.front()? {
            Pending::Settled(_) => None,
            Pending::Parsing(reply) if wait => Some(reply.recv()),
            Pending::Parsing(reply) => match reply.try_recv() {
                Ok(parsed) => Some(Ok(parsed)),
                Err(crossbeam_channel::TryRecvError::Empty) => return None,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    Some(Err(crossbeam_channel::RecvError))
                }
            },
        };
        let outcome = match (self.pending.pop_front()?, ready) {
            (Pending::Settled(outcome), _) => *outcome,
            (Pending::Parsing(_), Some(Ok((block, parsed)))) => {
                let mut events = None;
                let end = self.reader.settle(&block.text, parsed, &mut events);
                let outcome = outcome(&self.reader, &block, events, end);
                self.done_with(block);
                outcome
            }
            // The worker died with the block (a panic in parsing): end
            // the run rather than skip lines.
            (Pending::Parsing(_), _) => BlockOutcome {
                batch: None,
                stop: Some(Ended::SourceFailed(SourceFailure::ParserFailed)),
            },
        };
        Some(outcome)
    }

    /// The workers, once the fields are fixed (`None` before, or when no
    /// thread can be started).
    fn start_pool(&self) -> Option<Pool> {
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(2 * self.threads);
        let mut workers = Vec::new();
        for i in 0..self.threads {
            let mut parser: BlockParser = self.reader.fork()?;
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ingest-parse-{i}"))
                .spawn(move || {
                    for Job { block, reply } in queue {
                        let parsed = parser.parse(block.first_line, &block.text);
                        let _ = reply.send((block, parsed));
                    }
                    alloc::publish_pending();
                });
            match spawned {
                Ok(worker) => workers.push(worker),
                Err(_) => break,
            }
        }
        (!workers.is_empty()).then_some(Pool {
            jobs: Some(jobs),
            workers,
        })
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

/// A block's events stamped with its creation instant, and its stop.
fn outcome(
    reader: &LineReader,
    block: &LineBlock,
    events: Option<slotlab_stream::source::Events>,
    end: Result<(), LineStop>,
) -> BlockOutcome {
    let keyed = reader.keyed();
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
    BlockOutcome { batch, stop }
}
