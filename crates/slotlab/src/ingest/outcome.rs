//! How a run ended and what it did: [`Ended`], [`IngestRun`], and
//! [`IngestError`] for a run that could not start.

use super::{BadLine, LatencySummary, QueueStats, SinkError, Storage};
use slotlab_stream::Schema;
use std::time::Duration;

/// Why the input stopped being usable partway.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum SourceFailure {
    /// Reading failed.
    #[error("reading after line {line}")]
    Read {
        /// Lines read before.
        line: u64,
        /// What the system said (shared: `Ended` is cloned).
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// A line longer than any event: not a file of lines.
    #[error("line {line} is longer than {max_mib} MiB: the input is not lines of NDJSON or CSV")]
    LineTooLong {
        /// The line's number.
        line: u64,
        /// The limit, in MiB.
        max_mib: usize,
    },
    /// The line that fixes the fields (a CSV header, NDJSON's first
    /// object) cannot.
    #[error("line {line}, which fixes the fields: {problem}")]
    Header {
        /// Its line number.
        line: u64,
        /// What is wrong with it.
        problem: slotlab_stream::source::lines::HeaderProblem,
    },
    /// A parse thread ended with a block unparsed (it panicked): the run
    /// stops rather than skip the block's lines.
    #[error("a parse thread failed")]
    ParserFailed,
}

impl PartialEq for SourceFailure {
    /// Read failures are equal when they happened after the same line with
    /// the same kind of error (`io::Error` itself is not comparable).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                SourceFailure::Read { line, source },
                SourceFailure::Read {
                    line: other_line,
                    source: other_source,
                },
            ) => line == other_line && source.kind() == other_source.kind(),
            (
                SourceFailure::LineTooLong { line, max_mib },
                SourceFailure::LineTooLong {
                    line: l,
                    max_mib: m,
                },
            ) => line == l && max_mib == m,
            (
                SourceFailure::Header { line, problem },
                SourceFailure::Header {
                    line: l,
                    problem: p,
                },
            ) => line == l && problem == p,
            (SourceFailure::ParserFailed, SourceFailure::ParserFailed) => true,
            _ => false,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// The input ended, or the `events`/`duration` limit was reached.
    Finished,
    /// A [`Stop`](super::Stop) was requested (Ctrl-C, SIGTERM).
    Stopped,
    /// The sink reached `max_memory`.
    MemoryBudget {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Strict parsing met a bad line.
    Strict(BadLine),
    /// The input could not be read or is not usable (its header).
    SourceFailed(SourceFailure),
    /// The sink refused an event.
    SinkFailed(SinkError),
}

impl Ended {
    /// True when the run did not end the way it was asked to.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Ended::Finished | Ended::Stopped)
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Ended::Finished => "the input ended or the limit was reached".to_owned(),
            Ended::Stopped => "stopped on request (Ctrl-C or SIGTERM); intake stopped, \
                               everything accepted was stored"
                .to_owned(),
            Ended::MemoryBudget { limit } => format!(
                "the sink reached the memory budget of {} bytes; intake stopped \
                 (raise --max-memory or lower --events/--duration)",
                limit
            ),
            Ended::Strict(bad) => format!("strict parsing stopped at {bad}"),
            Ended::SourceFailed(why) => {
                // The whole chain: the OS's words are the read error's source.
                let mut text = format!("the source failed: {why}");
                let mut cause = std::error::Error::source(why);
                while let Some(inner) = cause {
                    text.push_str(&format!(": {inner}"));
                    cause = inner.source();
                }
                text
            }
            Ended::SinkFailed(why) => format!("the sink failed: {why}"),
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Byte counts need the tracking allocator.
    #[error(
        "slotlab's TrackingAllocator is not this program's #[global_allocator], so the sink's \
         bytes could not be counted; install it in the binary"
    )]
    AllocatorNotInstalled,
    /// The input file could not be opened.
    #[error("cannot read {path}", path = path.display())]
    Open {
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The input is a directory.
    #[error("cannot read {path}: it is a directory, not a file of lines", path = path.display())]
    Directory {
        /// The directory.
        path: std::path::PathBuf,
    },
    /// A Parquet source that could not be read.
    #[error(transparent)]
    Parquet {
        /// Why.
        source: slotlab_stream::source::SourceError,
    },
    /// A saved stream given as a file of lines.
    #[error("{path} is a saved slotlab stream, not lines of NDJSON or CSV: read it with `slotlab query` or `slotlab inspect`", path = path.display())]
    SavedStream {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A kind of source this version of the pipeline does not know.
    #[error("this source cannot feed the ingestion pipeline")]
    UnknownSource,
    /// A channel of no batches, or batches of no events.
    #[error("the queue and batch sizes must be at least 1")]
    EmptyQueueOrBatch,
    /// A rate that is not a positive, finite number.
    #[error("a rate is a positive number of events per second, not {0}")]
    BadRate(f64),
    /// Standard input asked to feed several sinks in turn.
    #[error(
        "standard input can be read only once, so it cannot feed several sinks; save it to a file and pass the file, or choose one sink"
    )]
    StdinToSeveralSinks,
    /// A pipeline thread could not be started.
    #[error("cannot start the {stage} thread")]
    Thread {
        /// The stage.
        stage: &'static str,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// What the run would set aside before storing anything is more than
    /// the machine has.
    #[error(
        "the run would set aside about {} before storing anything, mostly for {largest}, but only {} is available",
        crate::measure::system::human_bytes(*needed_bytes),
        crate::measure::system::human_bytes(*available_bytes as f64)
    )]
    TooLarge {
        /// The estimate.
        needed_bytes: f64,
        /// Its largest part.
        largest: super::bounds::ReservePart,
        /// Memory available.
        available_bytes: u64,
    },
    /// A pipeline thread panicked.
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

/// What one run did, measured.
#[derive(Debug, Clone)]
pub struct IngestRun {
    /// The sink.
    pub sink: Storage,
    /// The source, described.
    pub source: String,
    /// The events' fields (`None` when no event was accepted).
    pub schema: Option<Schema>,
    /// Series seen.
    pub series: usize,
    /// Events the parse stage accepted.
    pub accepted: u64,
    /// Events in the sink.
    pub stored: u64,
    /// Events shed at intake because the pipeline was full (`--on-full drop`).
    pub dropped: u64,
    /// Lines rejected by the parse stage.
    pub rejected: u64,
    /// The first rejected lines.
    pub bad: Vec<BadLine>,
    /// Every rejected line with its text (when the parse options keep
    /// them, for `--rejects`).
    pub rejects: Vec<slotlab_stream::source::lines::Reject>,
    /// Whether date-times without an offset were read (taken as UTC).
    pub naive_times_as_utc: bool,
    /// From the start until the last accepted event was stored.
    pub elapsed: Duration,
    /// Bytes the sink holds at the end: every byte it allocated and did
    /// not free, counted by the tracking allocator.
    pub held_bytes: u64,
    /// Process-wide peak of requested heap bytes above the start, all
    /// threads (batches in flight included).
    pub peak_bytes: u64,
    /// Creation-to-stored latency of every stored event.
    pub latency: LatencySummary,
    /// Channel source → parse, then parse → store: how full each was
    /// when its consumer took a batch.
    pub queues: [QueueStats; 2],
    /// The stored events read back from the sink: their count and the sum
    /// of their timestamps equal those of the accepted events.
    pub verified: bool,
    /// What the sink has to say (the stream's bytes per column, codecs).
    pub sink_notes: Vec<String>,
    /// Whether transparent huge pages were on (`None`: the system would
    /// not say or change them).
    pub huge_pages: Option<bool>,
    /// How it ended.
    pub ended: Ended,
}

impl IngestRun {
    /// Events stored per second of the run.
    pub fn events_per_s(&self) -> f64 {
        self.stored as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Why the run failed, in one sentence: it ended otherwise than asked,
    /// or it stored nothing though nobody stopped it (empty input, a
    /// header alone, every line rejected). `None` for a good run.
    pub fn failure(&self) -> Option<String> {
        if self.ended.is_failure() {
            return Some(self.ended.describe());
        }
        if self.stored > 0 || self.ended == Ended::Stopped {
            return None;
        }
        Some(match self.bad.first() {
            Some(first) if self.rejected > 0 => format!(
                "nothing stored: every one of the {} lines read was rejected (the first: {first})",
                self.rejected
            ),
            _ => "nothing stored: the input held no events".to_owned(),
        })
    }

    /// Bytes the sink holds per stored event.
    pub fn bytes_per_event(&self) -> f64 {
        self.held_bytes as f64 / self.stored.max(1) as f64
    }
}
