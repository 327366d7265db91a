//! What a run is asked to do: where events come from, how many, how fast,
//! what happens when the pipeline is full, and into which sink.

use super::{InputFormat, ParseOptions, Storage};
use slotlab_stream::source::SourceSpec;
use slotlab_stream::{CodecPolicy, StreamConfig};
use std::time::Duration;

/// A source as ingestion describes it in reports, e.g. `sensors (100
/// sensors, a reading per 1000 ms each, seed 42)`, `events.ndjson (ndjson)`.
pub fn describe_source(source: &SourceSpec, format: InputFormat) -> String {
    match source {
        SourceSpec::Sensors(s) => format!(
            "sensors ({} sensors, a reading per {} ms each, seed {})",
            s.sensors, s.interval_ms, s.seed
        ),
        SourceSpec::Ticks(t) => format!("ticks ({} symbols, seed {})", t.symbols, t.seed),
        SourceSpec::Lesson => "the lesson's readings (timestamp=i, value=i*0.1)".to_owned(),
        SourceSpec::File(path) => format!("{} ({format})", path.display()),
        SourceSpec::Stdin => format!("stdin ({format})"),
        _ => "another source".to_owned(),
    }
}

/// What the source does when the pipeline is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFull {
    /// Wait until there is room (backpressure): nothing is lost.
    Block,
    /// Shed the batch that does not fit, counting its events as dropped.
    Drop,
}

impl std::fmt::Display for OnFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OnFull::Block => "block",
            OnFull::Drop => "drop",
        })
    }
}

/// One ingestion run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Where events come from.
    pub source: SourceSpec,
    /// How the lines of a file or stdin are written (`None`: from the
    /// file's extension, else NDJSON).
    pub input: Option<InputFormat>,
    /// Where they are stored.
    pub sink: Storage,
    /// Stop intake after this many events (lines, for files) have been
    /// taken from the source.
    pub events: Option<u64>,
    /// Stop intake after this long.
    pub duration: Option<Duration>,
    /// Synthetic sources: events per second (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// What the source does when the pipeline is full.
    pub on_full: OnFull,
    /// Batches each channel holds.
    pub queue: usize,
    /// Events per batch (synthetic sources; files batch what one read
    /// returns).
    pub batch: usize,
    /// How lines are parsed.
    pub parse: ParseOptions,
    /// Threads parsing lines (files and stdin; at least 1): with more
    /// than one, blocks of lines are parsed side by side and settled in
    /// the order read.
    pub parse_threads: usize,
    /// The stream sink's chunking and codecs.
    pub stream: StreamConfig,
    /// Keep the stream sink's events in a durable store (`--store`).
    pub store: Option<super::StoreSpec>,
    /// Stop intake when the sink holds more than this many bytes
    /// (default: [`default_memory_budget`]).
    pub max_memory: Option<u64>,
    /// A pause after each batch stored: simulates a slow downstream (a
    /// disk, a network) so backpressure and shedding can be watched.
    pub store_delay: Option<Duration>,
    /// Store nothing until intake has ended or a stop is asked for: a sink
    /// that is, for a while, infinitely slow. With it, what backpressure
    /// holds back and what shedding drops no longer depends on how the
    /// threads happen to be scheduled (tests and demonstrations).
    pub hold_store: bool,
    /// Transparent huge pages during the run.
    pub huge_pages: HugePages,
}

/// Transparent huge pages for the process while a run goes on
/// ([`crate::measure::system::set_transparent_huge_pages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HugePages {
    /// Off at a fixed rate (latency counts: a huge-page fault zeroes 2 MiB
    /// at once), on at full speed (throughput counts: fewer faults).
    Auto,
    /// On.
    On,
    /// Off.
    Off,
}

impl HugePages {
    /// Whether huge pages are wanted for a run at `rate`.
    pub fn wanted(self, rate: Option<f64>) -> bool {
        match self {
            HugePages::Auto => rate.is_none(),
            HugePages::On => true,
            HugePages::Off => false,
        }
    }
}

impl IngestConfig {
    /// `source` into `sink` with the defaults: until the source ends or a
    /// stop, as fast as possible, blocking when full, 16 batches of 4,096
    /// events per channel, the stream in 4,096-event chunks with the
    /// hand-written codecs (fast to seal).
    pub fn new(source: SourceSpec, sink: Storage) -> Self {
        Self {
            source,
            input: None,
            sink,
            events: None,
            duration: None,
            rate: None,
            on_full: OnFull::Block,
            queue: 16,
            batch: 4096,
            parse: ParseOptions::default(),
            parse_threads: default_parse_threads(),
            stream: StreamConfig {
                chunk_len: 4096,
                codecs: CodecPolicy::HandWritten,
            },
            store: None,
            max_memory: default_memory_budget(),
            store_delay: None,
            hold_store: false,
            huge_pages: HugePages::Auto,
        }
    }
}

/// Parse threads by default: one per CPU this process may use.
pub fn default_parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The sink's default memory budget: 70 % of the memory available now
/// (`MemAvailable`), leaving room for the batches in flight and the rest
/// of the system; `None` where that cannot be read.
pub fn default_memory_budget() -> Option<u64> {
    crate::measure::system::available_memory_bytes().map(|b| b / 10 * 7)
}

impl IngestConfig {
    /// How the input's lines are written: `input`, else the file's
    /// extension, else NDJSON (synthetic sources have no lines).
    pub fn input_format(&self) -> InputFormat {
        self.input
            .or_else(|| match &self.source {
                SourceSpec::File(path) => InputFormat::from_path(path),
                _ => None,
            })
            .unwrap_or(InputFormat::Ndjson)
    }
}
