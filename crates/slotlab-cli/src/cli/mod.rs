//! Command-line flags, parsed in two steps: clap reads raw flags, then each
//! value is checked with an error that names the flag.

mod commands;
mod common;
mod ingest;
mod publish;
mod store;
mod values;
pub use values::parse_duration;

pub use commands::{
    AggChoice, AtChoice, CensusArgs, CodecsArg, CompareArgs, ExplainArgs, ExportArgs, InspectArgs,
    LessonArgs, MeasureArgs, QueryArgs, ReportArgs, RowFormatChoice, SelectArgs, StreamArgs,
    SweepArgs,
};
pub use common::{OutputArgs, PythonArgs, RepeatArgs};
pub use ingest::{IngestArgs, SinkChoice};
pub use publish::{EncodingChoice, PublishArgs, nats_url};
pub use store::StoreArgs;

use clap::{Parser, Subcommand};
use std::fmt;

/// slotlab: what an object's memory layout costs, measured.
///
/// A Python lesson says `__slots__` saves memory and time over a
/// per-instance `__dict__`. slotlab runs that lesson's exercise through a
/// Rust object model with the same semantics, counts every heap byte with
/// a tracking allocator, and times it with repetitions.
#[derive(Debug, Parser)]
#[command(
    name = "slotlab",
    version,
    propagate_version = true,
    after_help = "Exit status:\n  \
      0    done (ingest too, when a first Ctrl-C or SIGTERM stopped it and it stored what it took)\n  \
      1    failed: one `error:` line on stderr (a report, if any, is still printed first)\n  \
      2    bad flags or arguments\n  \
      130  interrupted by Ctrl-C (SIGINT); interpreters slotlab started are killed\n  \
      143  interrupted by SIGTERM"
)]
pub struct Cli {
    /// No progress on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The experiments.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: the lesson's exercise for every layout, in Rust and in
    /// CPython, side by side in one table, with ratios and the lesson's
    /// claims checked against the figures.
    ///
    /// Rust: the dict and slots layouts of slotlab's object model. CPython:
    /// a normal class (dict), __slots__, @dataclass, @dataclass(slots=True),
    /// collections.namedtuple, typing.NamedTuple and a plain tuple, each in
    /// a fresh interpreter, in two named modes: "untraced" (CPython's real
    /// speed; memory = resident-set growth) and "tracemalloc" (the lesson's
    /// protocol, run once, cold: exact requested bytes, but tracing slows
    /// CPython several times). Time ratios are against untraced CPython;
    /// byte ratios against traced CPython.
    Compare(CompareArgs),

    /// Where the bytes of one Reading go, under each layout, in Rust and in
    /// CPython — and why sys.getsizeof, tracemalloc and pympler's asizeof
    /// give three different numbers for the same object.
    ///
    /// Rust parts are measured one step at a time with the tracking
    /// allocator (the list slot, Instance::new, each attribute set), with
    /// the block's layout and offsets; CPython parts come from a fresh
    /// interpreter (sys.getsizeof of the object, its int and float, the
    /// list's pointer; tracemalloc per reading; asizeof if pympler is
    /// installed).
    Explain(ExplainArgs),

    /// Time and bytes per object as N grows, for every layout in both
    /// runtimes, with SVG charts — and whether the gap per object grows
    /// with N or only the total does.
    ///
    /// N runs from --from to --to in --steps log-spaced sizes. Rust: all four
    /// layouts. CPython: dict, slots and dataclass(slots) (--all-cases for
    /// all seven), untraced (real speed) and traced once (exact bytes), as
    /// in compare. At the default range this takes a few minutes; --to 1e6
    /// is a quick look.
    Sweep(SweepArgs),

    /// What reading and writing .value costs per operation, by every route:
    /// by name through a dict instance's table, by name through a slots
    /// class's name → index table, with the index cached (what CPython's
    /// specializing interpreter keeps per call site), and a plain record
    /// field; CPython's dict, slots and dataclass(slots) running the same
    /// loops (with the empty loop's cost alongside).
    Access(MeasureArgs),

    /// Collector overhead with N objects alive: the Rust model's tracing
    /// collector (a full mark from the roots, the heap blocks it visits,
    /// and the time to free everything) next to CPython's gc (every
    /// collection during the build, timed with gc.callbacks, then full
    /// gc.collect() pauses) for dict, slots and dataclass(slots).
    Gc(MeasureArgs),

    /// One self-contained HTML page (inline SVG, no scripts, no network
    /// requests): a first screen with bytes and time per reading for every
    /// layout, Rust next to CPython, each of the lesson's claims in one
    /// line, and how it was measured; then a section per experiment with
    /// its charts and table.
    ///
    /// Without --from it runs compare, gc, access, sweep and ingest (N =
    /// --n, the sweep from 1e3 to --n, ingest of --n sensor events into
    /// every sink) and can save what it measured with --json; with --from
    /// it renders saved results instead: a --json file, or any command's
    /// --format json output — stream, ingest --store and census included
    /// (repeat --from to combine several).
    Report(ReportArgs),

    /// The memory-optimized event stream on the lesson's readings: bytes
    /// per reading (total and per column), encode and decode speed, and the
    /// same readings held as Rust records, Rust slots objects and CPython
    /// slots objects, side by side.
    ///
    /// Events are appended to an open chunk per series; full chunks are
    /// sealed column by column, each column with the hand-written codec
    /// that measures smallest for it (int packing after delta,
    /// delta-of-delta or distance from a line, in bits or mixed radix; a
    /// decimal codec; Gorilla XOR), or pco where it saves at least 5%
    /// (--codecs). --verify decodes everything and checks it bit for bit
    /// against the input.
    Stream(StreamArgs),

    /// High-volume ingestion: events flow source → parse → store, each
    /// stage on its own thread, joined by bounded channels, into one sink
    /// per layout — dict objects, slots objects, record rows, columns, the
    /// compressed stream — on the same workload, side by side.
    ///
    /// Reports events/s, bytes the sink holds per event (counted exactly),
    /// peak memory, channel occupancy, creation-to-stored latency
    /// (p50/p99/p99.9/max) and events accepted, stored, dropped and
    /// rejected, with live progress on a terminal. When the store stage
    /// falls behind, the source waits (--on-full block) or sheds batches and
    /// counts them (--on-full drop). Ctrl-C or SIGTERM stops intake, stores
    /// everything accepted and prints the report (Ctrl-C twice quits now).
    #[command(after_help = INGEST_EXAMPLES)]
    Ingest(IngestArgs),

    /// The lesson's exercise: build N Reading(timestamp=i, value=i*0.1)
    /// objects, sum .value, print time and peak memory per layout.
    ///
    /// The time window holds the build and the sum, as the lesson's
    /// perf_counter window does; memory is the peak of requested heap bytes
    /// in that window, counted exactly by slotlab's tracking allocator (the
    /// lesson uses tracemalloc). Before a large N, a 10,000-object pilot
    /// estimates the memory needed and refuses an N that would not fit.
    ///
    /// (`slotlab seed` is the same command, its earlier name.)
    #[command(visible_alias = "seed")]
    Lesson(LessonArgs),

    /// Which classes in YOUR program should use __slots__, and what it
    /// saves: runs the program under your interpreter, counts its live
    /// objects by class when it ends, and for each class with enough
    /// instances measures bytes per instance now and with __slots__, gives
    /// a verdict (ready, blocked and why, slotted, dataclass) and the exact
    /// change; --diff writes it as a patch.
    ///
    /// The program runs as __main__ with its arguments, in this directory
    /// and environment, on this terminal. Its exit status is passed
    /// through; if it raises, the census is of what existed then. Ctrl-C
    /// (or SIGTERM) interrupts the program, whose census is still taken; a
    /// second one stops it at once.
    #[command(after_help = CENSUS_EXAMPLES)]
    Census(CensusArgs),

    /// What a saved stream holds: series and their time ranges, events,
    /// chunks, the codec of each column, bytes per reading per column.
    /// Every checksum is checked; a corrupt chunk is named (exit 1).
    Inspect(InspectArgs),

    /// Read a saved stream back: its events (CSV, NDJSON or a table), or
    /// aggregates per series and per time bucket (--agg, --every), whole
    /// chunks answered from their summaries without decoding.
    #[command(after_help = QUERY_EXAMPLES)]
    Query(QueryArgs),

    /// Write a saved stream's events out for other tools: Parquet (through
    /// the Apache parquet crate: a dictionary-encoded series column, INT64
    /// timestamps as stored, delta and byte-stream-split encodings, zstd,
    /// statistics; DuckDB, pyarrow and Spark read it), CSV or NDJSON.
    Export(ExportArgs),

    /// Publish events to NATS JetStream for `ingest` processes to share:
    /// the stream made if missing (subjects PREFIX.<partition>, file
    /// storage), each series routed by a stable hash of its key to one
    /// partition, up to --batch events of a partition per message, every
    /// message acknowledged (a bounded number in flight).
    #[command(after_help = PUBLISH_EXAMPLES)]
    Publish(PublishArgs),
}

const PUBLISH_EXAMPLES: &str = "Examples:
  nats-server -js &                                   # a local server with JetStream
  slotlab publish --to nats://127.0.0.1:4222 --events 1e7 --partitions 8
  slotlab publish --to nats://127.0.0.1:4222 --source events.ndjson --encoding json";

const QUERY_EXAMPLES: &str = "Examples:
  slotlab stream --source data/seattle-temps-2010.csv --save temps.slotstream
  slotlab query temps.slotstream --from 2010-07-01 --to 2010-07-02 --format table
  slotlab query temps.slotstream --agg count,mean,min,max --every 24h
  slotlab inspect temps.slotstream --verify";

const CENSUS_EXAMPLES: &str = "Examples:
  slotlab census -- app.py --input big.json
  slotlab census --min-instances 100 --top 10 -- -m mypackage.cli serve
  slotlab census --diff slots.patch -- app.py && git apply slots.patch
  slotlab census --format json --out census.json -- app.py";

/// `slotlab ingest --help`'s examples, kept apart so the help's wrapping
/// leaves their lines alone.
const INGEST_EXAMPLES: &str = "Examples:
  slotlab ingest                                          sensors, 10M events, every sink
  slotlab ingest --sink stream --duration 10s
  slotlab ingest --rate 1e6 --duration 5s --sink stream
  slotlab ingest --source events.ndjson --sink slots --strict
  producer | slotlab ingest --source - --input csv";

/// A flag whose value is wrong, or that does not go with another flag:
/// what the second parsing step reports, naming the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagError {
    /// The flag, e.g. `--rate`.
    pub flag: &'static str,
    /// What is wrong, in words that follow the flag.
    pub problem: String,
}

impl FlagError {
    /// `flag` is wrong: `problem`.
    pub fn new(flag: &'static str, problem: impl Into<String>) -> Self {
        Self {
            flag,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.flag, self.problem)
    }
}

impl std::error::Error for FlagError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
