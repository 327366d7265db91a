//! Command-line flags, parsed in two steps: clap reads raw flags, then each
//! value is checked with an error that names the flag.

use clap::{Args, Parser, Subcommand, ValueEnum};
use slotlab::ingest::{
    HugePages, IngestConfig, InputFormat, OnFull, ParseOptions, SinkKind, SourceSpec,
};
use slotlab::lab::seed::SeedLayout;
use slotlab::lab::stream::StreamSource;
use slotlab::report::Format;
use slotlab_stream::source::{Sensors, Ticks};
use slotlab_stream::{CodecPolicy, StreamConfig};
use std::path::PathBuf;

/// slotlab: what an object's memory layout costs, measured.
///
/// A Python lesson says `__slots__` saves memory and time over a
/// per-instance `__dict__`. slotlab runs that lesson's exercise through a
/// Rust object model with the same semantics, counts every heap byte with
/// a tracking allocator, and times it with repetitions.
#[derive(Debug, Parser)]
#[command(name = "slotlab", version, propagate_version = true)]
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

    /// One self-contained HTML page (inline SVG, no network requests) with
    /// the compare, gc, access, sweep and ingest results, their tables and
    /// charts, and the lesson's claims marked held or not held.
    ///
    /// Without --from it runs all five experiments (N = --n, the sweep from
    /// 1e3 to --n, ingest of --n sensor events into every sink) and
    /// can save what it measured with --json; with --from
    /// it renders saved results instead: a --json file, or any command's
    /// --format json output (repeat --from to combine several).
    Report(ReportArgs),

    /// The memory-optimized event stream on the lesson's readings: bytes
    /// per reading (total and per column), encode and decode speed, and the
    /// same readings held as Rust records, Rust slots objects and CPython
    /// slots objects, side by side.
    ///
    /// Events are appended to an open chunk per series; full chunks are
    /// sealed column by column, each column with the codec that measures
    /// smallest for it (--codecs: int packing after delta or
    /// delta-of-delta, a decimal codec, Gorilla XOR, or pco). --verify decodes everything and checks it bit for
    /// bit against the input.
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
}

/// `slotlab ingest --help`'s examples, kept apart so the help's wrapping
/// leaves their lines alone.
const INGEST_EXAMPLES: &str = "Examples:
  slotlab ingest                                          sensors, 10M events, every sink
  slotlab ingest --sink stream --duration 10s
  slotlab ingest --rate 1e6 --duration 5s --sink stream
  slotlab ingest --source events.ndjson --sink slots --strict
  producer | slotlab ingest --source - --input csv";

/// `slotlab compare` flags.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Readings per case: 1000000, 1_000_000 or 1e6.
    #[arg(long, default_value = "1000000", value_parser = parse_count, allow_negative_numbers = true)]
    pub n: u64,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub runtimes: RuntimeArgs,

    /// Skip the memory-bandwidth probe (a sequential read of 4× the largest
    /// cache, 256 MiB to 2 GiB) that the record layouts are judged against.
    #[arg(long)]
    pub no_bandwidth: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of the commands that measure N objects in both runtimes
/// (`access`, `gc`).
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// Objects: 1000000, 1_000_000 or 1e6.
    #[arg(long, default_value = "1000000", value_parser = parse_count, allow_negative_numbers = true)]
    pub n: u64,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub runtimes: RuntimeArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `slotlab report` flags.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Render these saved results instead of measuring (repeatable).
    #[arg(long, value_name = "FILE")]
    pub from: Vec<PathBuf>,

    /// Where to write the page.
    #[arg(long, value_name = "FILE", default_value = "slotlab-report.html")]
    pub out: PathBuf,

    /// Also save the measurements as JSON (for a later --from).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// N for compare, gc and access; the sweep's largest N.
    #[arg(long, default_value = "1000000", value_parser = parse_count, allow_negative_numbers = true)]
    pub n: u64,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub python_side: PythonArgs,

    /// Skip compare's memory-bandwidth probe.
    #[arg(long)]
    pub no_bandwidth: bool,
}

/// `slotlab stream` flags.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Events: `seed` (the lesson's readings, timestamp=i, value=i*0.1),
    /// `sensors` (a seeded fleet of thermometers, one reading per second
    /// each, values in tenths of a degree), `ticks` (seeded trades: price on
    /// a cent grid, size), or a CSV file: a header row, a timestamp column
    /// (named timestamp/time/ts/datetime/date, else the first; integer
    /// epoch or ISO-8601), an optional `series` column, numeric columns.
    #[arg(
        long,
        default_value = "seed",
        value_name = "seed|sensors|ticks|FILE.csv"
    )]
    pub source: String,

    /// Events for synthetic sources (a CSV file gives what it holds):
    /// 1000000, 1_000_000 or 1e6.
    #[arg(long, default_value = "1000000", value_parser = parse_count, allow_negative_numbers = true)]
    pub n: u64,

    /// Sensors in the fleet (`--source sensors`).
    #[arg(long, default_value = "100", value_parser = parse_count, allow_negative_numbers = true)]
    pub sensors: u64,

    /// Symbols traded (`--source ticks`).
    #[arg(long, default_value = "8", value_parser = parse_count, allow_negative_numbers = true)]
    pub symbols: u64,

    /// Seed for the synthetic sources: the same seed, the same events.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// CSV: stop at the first bad row (otherwise bad rows are skipped,
    /// counted and the first ones shown with line numbers).
    #[arg(long)]
    pub strict: bool,

    /// Events per sealed chunk (per series).
    #[arg(long, default_value = "65536", value_parser = parse_count, allow_negative_numbers = true)]
    pub chunk: u64,

    /// Which codecs a chunk's columns may use: `smallest` tries them all
    /// (pco included) and keeps the smallest; `hand` only the hand-written
    /// ones (int packing, decimal, Gorilla XOR; faster to seal); `pco` only pco.
    #[arg(long, value_enum, default_value_t = CodecsArg::Smallest)]
    pub codecs: CodecsArg,

    /// Decode everything and check it bit for bit against the input.
    #[arg(long)]
    pub verify: bool,

    /// Also save the encoded stream to FILE (a checksum per chunk).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub python_side: PythonArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

impl StreamArgs {
    /// The source the flags describe.
    pub fn source(&self) -> StreamSource {
        let count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        match self.source.as_str() {
            "seed" | "lesson" => StreamSource::Lesson,
            "sensors" => StreamSource::Sensors {
                sensors: count(self.sensors),
                seed: self.seed,
            },
            "ticks" => StreamSource::Ticks {
                symbols: count(self.symbols),
                seed: self.seed,
            },
            path => StreamSource::Csv {
                path: PathBuf::from(path),
                strict: self.strict,
            },
        }
    }
}

/// `slotlab ingest` flags.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Where events come from: `sensors` (a seeded thermometer fleet),
    /// `ticks` (seeded trades), a file of NDJSON or CSV lines, or `-` for
    /// standard input, read as it arrives.
    ///
    /// NDJSON: one object per line, a timestamp (integer epoch milliseconds
    /// or an RFC 3339 string such as 2026-01-01T00:00:00Z), an optional
    /// series key, numeric fields. CSV: a header row naming the same
    /// columns. The first good line (or the header) fixes the fields; a line
    /// that does not match is rejected with its line number.
    #[arg(long, default_value = "sensors", value_name = "sensors|ticks|FILE|-")]
    pub source: String,

    /// Where events are stored [default: all, one after the other on the
    /// same workload; `stream` for stdin, which can be read once].
    #[arg(long, value_enum)]
    pub sink: Option<SinkChoice>,

    /// Events per second from a synthetic source (1e6, 250_000); without
    /// it, as fast as the pipeline takes them.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Stop intake after this long (10s, 1m, 500ms).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Stop intake after this many events (for files and stdin: lines, a
    /// CSV header included) [default for synthetic sources without
    /// --duration: 10M].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub events: Option<u64>,

    /// When the pipeline is full: `block` waits (backpressure, nothing
    /// lost), `drop` sheds the batch and counts it in `dropped`.
    #[arg(long, value_enum, default_value_t = OnFullChoice::Block)]
    pub on_full: OnFullChoice,

    /// How input lines are written [default: from the file's extension —
    /// .csv is CSV, .ndjson/.jsonl/.json NDJSON — else ndjson].
    #[arg(long, value_enum)]
    pub input: Option<InputChoice>,

    /// The timestamp's field (NDJSON) or column (CSV).
    #[arg(long, default_value = "timestamp", value_name = "NAME")]
    pub ts_field: String,

    /// The series key's field or column; lines without it are one series.
    #[arg(long, default_value = "series", value_name = "NAME")]
    pub series_field: String,

    /// Fields held as 64-bit integers (comma-separated); the others are
    /// floats, and an integer too large for a float is rejected.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub ints: Vec<String>,

    /// Stop at the first bad line (otherwise bad lines are counted, the
    /// first ones shown with their line numbers, and skipped).
    #[arg(long)]
    pub strict: bool,

    /// Sensors in the fleet (`--source sensors`).
    #[arg(long, default_value = "100", value_parser = parse_count, allow_negative_numbers = true)]
    pub sensors: u64,

    /// Symbols traded (`--source ticks`).
    #[arg(long, default_value = "8", value_parser = parse_count, allow_negative_numbers = true)]
    pub symbols: u64,

    /// Seed for the synthetic sources: the same seed, the same events.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Batches each channel holds: with --batch, what bounds the memory
    /// in flight.
    #[arg(long, default_value = "16", value_parser = parse_count, allow_negative_numbers = true)]
    pub queue: u64,

    /// Events per batch from a synthetic source.
    #[arg(long, default_value = "4096", value_parser = parse_count, allow_negative_numbers = true)]
    pub batch: u64,

    /// The stream sink's events per sealed chunk (per series).
    #[arg(long, default_value = "4096", value_parser = parse_count, allow_negative_numbers = true)]
    pub chunk: u64,

    /// The stream sink's codecs (see `slotlab stream --help`); `hand` seals
    /// fastest.
    #[arg(long, value_enum, default_value_t = CodecsArg::Hand)]
    pub codecs: CodecsArg,

    /// Stop intake when a sink holds more than this many bytes (4e9,
    /// 512MiB, 8GiB) [default: 70% of the memory available at the start].
    #[arg(long, value_parser = parse_bytes, value_name = "BYTES")]
    pub max_memory: Option<u64>,

    /// Pause this long after storing each batch (1ms, 200us): simulates a
    /// slow downstream, to watch backpressure (--on-full block) or
    /// shedding (--on-full drop).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub store_delay: Option<std::time::Duration>,

    /// Transparent huge pages for the run: `auto` turns them off under
    /// --rate (a huge-page fault zeroes 2 MiB at once, a stall of
    /// milliseconds on some machines) and on at full speed (fewer faults
    /// while memory grows fast).
    #[arg(long, value_enum, default_value_t = HugePagesChoice::Auto)]
    pub huge_pages: HugePagesChoice,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--sink` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SinkChoice {
    /// Object-model instances with a per-instance __dict__.
    Dict,
    /// Object-model instances with __slots__.
    Slots,
    /// Fixed-width records in one vector (rows).
    Record,
    /// One vector per column.
    Columns,
    /// The compressed event stream.
    Stream,
    /// Each of them in turn, on the same workload.
    All,
}

impl SinkChoice {
    /// The sinks this choice stands for.
    pub fn sinks(self) -> Vec<SinkKind> {
        match self {
            SinkChoice::Dict => vec![SinkKind::Dict],
            SinkChoice::Slots => vec![SinkKind::Slots],
            SinkChoice::Record => vec![SinkKind::Record],
            SinkChoice::Columns => vec![SinkKind::Columns],
            SinkChoice::Stream => vec![SinkKind::Stream],
            SinkChoice::All => SinkKind::ALL.to_vec(),
        }
    }
}

/// `--on-full` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnFullChoice {
    /// Wait for room: nothing is lost.
    Block,
    /// Shed the batch and count it.
    Drop,
}

/// `--huge-pages` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HugePagesChoice {
    /// Off under --rate, on at full speed.
    Auto,
    /// On.
    On,
    /// Off.
    Off,
}

/// `--input` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputChoice {
    /// One JSON object per line.
    Ndjson,
    /// A header row, then one event per row.
    Csv,
}

impl IngestArgs {
    /// The library's configuration, or what is wrong with the flags.
    pub fn config(&self) -> Result<(IngestConfig, Vec<SinkKind>), String> {
        let count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let synthetic = matches!(self.source.as_str(), "sensors" | "ticks");
        let input = self.input.map(|i| match i {
            InputChoice::Ndjson => InputFormat::Ndjson,
            InputChoice::Csv => InputFormat::Csv,
        });
        let source = match self.source.as_str() {
            "sensors" => SourceSpec::Sensors(Sensors::new(count(self.sensors), 1000, self.seed)),
            "ticks" => SourceSpec::Ticks(Ticks::new(count(self.symbols), self.seed)),
            "-" => SourceSpec::Stdin {
                format: input.unwrap_or(InputFormat::Ndjson),
            },
            path => {
                let path = PathBuf::from(path);
                let format = input
                    .or_else(|| InputFormat::from_path(&path))
                    .unwrap_or(InputFormat::Ndjson);
                SourceSpec::File { path, format }
            }
        };
        if synthetic && self.input.is_some() {
            return Err(format!(
                "--input describes lines of a file or stdin; --source {} makes its events itself",
                self.source
            ));
        }
        if !synthetic && self.rate.is_some() {
            return Err(
                "--rate paces the synthetic sources (sensors, ticks); a file or stdin is read as                  fast as it arrives"
                    .to_owned(),
            );
        }
        let sinks = match (self.sink, &source) {
            (Some(choice), _) => choice.sinks(),
            (None, SourceSpec::Stdin { .. }) => vec![SinkKind::Stream],
            (None, _) => SinkKind::ALL.to_vec(),
        };
        let events = match (self.events, self.duration) {
            (None, None) if synthetic => Some(DEFAULT_SYNTHETIC_EVENTS),
            (events, _) => events,
        };
        let mut config = IngestConfig::new(source, sinks[0]);
        config.events = events;
        config.duration = self.duration;
        config.rate = self.rate;
        config.on_full = match self.on_full {
            OnFullChoice::Block => OnFull::Block,
            OnFullChoice::Drop => OnFull::Drop,
        };
        config.queue = count(self.queue);
        config.batch = count(self.batch);
        config.parse = ParseOptions {
            ts_field: self.ts_field.clone(),
            series_field: self.series_field.clone(),
            ints: self.ints.clone(),
            strict: self.strict,
        };
        config.stream = StreamConfig {
            chunk_len: count(self.chunk),
            codecs: self.codecs.policy(),
        };
        config.store_delay = self.store_delay;
        config.huge_pages = match self.huge_pages {
            HugePagesChoice::Auto => HugePages::Auto,
            HugePagesChoice::On => HugePages::On,
            HugePagesChoice::Off => HugePages::Off,
        };
        if self.max_memory.is_some() {
            config.max_memory = self.max_memory;
        }
        Ok((config, sinks))
    }
}

/// Events a synthetic source makes when neither --events nor --duration
/// is given.
pub const DEFAULT_SYNTHETIC_EVENTS: u64 = 10_000_000;

/// `--rate`: events per second, a positive number (`1e6`, `250_000`).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | ','))
        .collect();
    match cleaned.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("expected events per second, a positive number such as 1e6 or 250_000".to_owned()),
    }
}

/// `--duration`: `10s`, `1m`, `500ms`, `1h 30m` (jiff's friendly format;
/// ISO 8601's `PT10S` too).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let expected = "expected a duration such as 10s, 1m or 500ms";
    match text.trim().parse::<jiff::SignedDuration>() {
        Ok(d) if d.is_positive() => std::time::Duration::try_from(d).map_err(|e| format!("{e}")),
        Ok(_) => Err("a duration must be longer than zero".to_owned()),
        Err(e) => Err(format!("{e}: {expected}")),
    }
}

/// A byte count: a count (`4e9`, `4_000_000_000`) with an optional unit:
/// KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    parse_count(number.trim())?
        .checked_mul(scale)
        .ok_or_else(|| "too large".to_owned())
}

/// `--codecs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecsArg {
    /// Every codec, pco included; the smallest wins per column per chunk.
    Smallest,
    /// The hand-written codecs only.
    Hand,
    /// pco only.
    Pco,
}

impl CodecsArg {
    /// The library's policy.
    pub fn policy(self) -> CodecPolicy {
        match self {
            CodecsArg::Smallest => CodecPolicy::Smallest,
            CodecsArg::Hand => CodecPolicy::HandWritten,
            CodecsArg::Pco => CodecPolicy::Pco,
        }
    }
}

/// `slotlab sweep` flags.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The smallest N.
    #[arg(long, default_value = "1e3", value_parser = parse_count, allow_negative_numbers = true)]
    pub from: u64,

    /// The largest N.
    #[arg(long, default_value = "1e7", value_parser = parse_count, allow_negative_numbers = true)]
    pub to: u64,

    /// How many sizes, log-spaced from --from to --to.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub steps: u32,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub runtimes: RuntimeArgs,

    /// All seven CPython layouts instead of dict, slots and dataclass(slots).
    #[arg(long)]
    pub all_cases: bool,

    /// Write sweep-bytes.svg and sweep-time.svg into this directory
    /// (created if missing).
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `slotlab explain` flags.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Which layout to take apart.
    #[arg(long, value_enum, default_value_t = LayoutChoice::All)]
    pub layout: LayoutChoice,

    #[command(flatten)]
    pub runtimes: RuntimeArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `slotlab lesson` flags.
#[derive(Debug, Args)]
pub struct LessonArgs {
    /// Readings to build: 1000000, 1_000_000 or 1e6.
    #[arg(long, default_value = "1000000", value_parser = parse_count, allow_negative_numbers = true)]
    pub n: u64,

    /// Which class layout to measure.
    #[arg(long, value_enum, default_value_t = LayoutChoice::All)]
    pub layout: LayoutChoice,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Which runtimes to run, shared by commands that compare them.
#[derive(Debug, Args)]
pub struct RuntimeArgs {
    #[command(flatten)]
    pub python_side: PythonArgs,

    /// Only the CPython side.
    #[arg(long, conflicts_with = "rust_only")]
    pub python_only: bool,
}

impl RuntimeArgs {
    /// The interpreter to run, unless `--rust-only`.
    pub fn python(&self) -> Option<&str> {
        self.python_side.python()
    }

    /// Whether to run the Rust side.
    pub fn rust(&self) -> bool {
        !self.python_only
    }
}

/// The CPython side's interpreter, or none: every command that can run
/// CPython takes these.
#[derive(Debug, Args)]
pub struct PythonArgs {
    /// The Python interpreter for the CPython side.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: String,

    /// Only the Rust side (no Python needed).
    #[arg(long)]
    pub rust_only: bool,
}

impl PythonArgs {
    /// The interpreter to run, unless `--rust-only`.
    pub fn python(&self) -> Option<&str> {
        (!self.rust_only).then_some(self.python.as_str())
    }
}

/// Repetition flags, shared by measuring commands.
#[derive(Debug, Args)]
pub struct RepeatArgs {
    /// Measured runs per case; the time shown is their median.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,

    /// Unmeasured runs before them (warm caches and allocator pools).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1_000))]
    pub warmup: u32,
}

impl RepeatArgs {
    /// The library's repetition plan.
    pub fn plan(&self) -> slotlab::measure::RepeatPlan {
        // --repeat's parser allows 1..=10,000 only.
        let repetitions =
            std::num::NonZeroU32::new(self.repeat).unwrap_or(std::num::NonZeroU32::MIN);
        slotlab::measure::RepeatPlan::new(self.warmup, repetitions)
    }
}

/// Output flags, shared by every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: from --out's extension, else the command's
    /// own: text for seed, table for compare].
    #[arg(long, value_enum)]
    pub format: Option<FormatChoice>,

    /// Write the output to this file instead of stdout (replaced whole, never
    /// left half-written).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `--layout` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutChoice {
    /// Object model, a class without __slots__: a per-instance __dict__.
    Dict,
    /// Object model, __slots__ = ("timestamp", "value").
    Slots,
    /// A #[derive(Record)] struct in a Vec (array of structs).
    Record,
    /// The same record in a RecordVec (struct of arrays).
    Columns,
    /// All of them, one after the other.
    All,
}

impl LayoutChoice {
    /// The layouts this choice stands for.
    pub fn layouts(self) -> Vec<SeedLayout> {
        match self {
            LayoutChoice::Dict => vec![SeedLayout::Dict],
            LayoutChoice::Slots => vec![SeedLayout::Slots],
            LayoutChoice::Record => vec![SeedLayout::Record],
            LayoutChoice::Columns => vec![SeedLayout::Columns],
            LayoutChoice::All => SeedLayout::ALL.to_vec(),
        }
    }
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatChoice {
    /// The lesson's own output.
    Text,
    /// A table with the lesson's claims under it.
    Table,
    /// Every figure of every measurement, and the claims.
    Json,
    /// One row per measurement, every field a column.
    Csv,
    /// A Markdown table and the claims.
    Md,
}

impl From<FormatChoice> for Format {
    fn from(choice: FormatChoice) -> Self {
        match choice {
            FormatChoice::Text => Format::Text,
            FormatChoice::Table => Format::Table,
            FormatChoice::Json => Format::Json,
            FormatChoice::Csv => Format::Csv,
            FormatChoice::Md => Format::Md,
        }
    }
}

impl OutputArgs {
    /// The format to write: `--format`, else `--out`'s extension, else the
    /// command's `default`.
    pub fn resolve_format(&self, default: Format) -> Result<Format, String> {
        if let Some(choice) = self.format {
            return Ok(choice.into());
        }
        match &self.out {
            None => Ok(default),
            Some(path) => Format::from_path(path).ok_or_else(|| {
                format!(
                    "--out {}: cannot tell the format from the file name; add --format text|table|json|csv|md",
                    path.display()
                )
            }),
        }
    }
}

/// A count of objects: digits with optional `_` or `,` separators, or
/// scientific notation with a whole result (`1e6`, `2.5e6`). At least 1.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | ','))
        .collect();
    if cleaned.starts_with('-') {
        return Err("N must be a positive whole number".to_owned());
    }
    let n = if cleaned.bytes().all(|b| b.is_ascii_digit()) && !cleaned.is_empty() {
        cleaned
            .parse::<u64>()
            .map_err(|_| format!("too large (at most {})", u64::MAX))?
    } else if cleaned.contains(['e', 'E']) {
        let value: f64 = cleaned.parse().map_err(|_| not_a_count())?;
        // 2^64 is exactly representable; anything at or above it overflows.
        if !value.is_finite() || value >= 18_446_744_073_709_551_616.0 {
            return Err(format!("too large (at most {})", u64::MAX));
        }
        if value.fract() != 0.0 || value < 0.0 {
            return Err("N must be a whole number".to_owned());
        }
        value as u64
    } else {
        return Err(not_a_count());
    };
    if n == 0 {
        return Err("N must be at least 1".to_owned());
    }
    Ok(n)
}

fn not_a_count() -> String {
    "expected a whole number such as 1000000, 1_000_000 or 1e6".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("1_000_000"), Ok(1_000_000));
        assert_eq!(parse_count("1,000"), Ok(1000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("2.5E3"), Ok(2500));
        assert!(parse_count("0").unwrap_err().contains("at least 1"));
        assert!(parse_count("-5").unwrap_err().contains("positive"));
        assert!(parse_count("abc").unwrap_err().contains("whole number"));
        assert!(parse_count("").unwrap_err().contains("whole number"));
        assert!(parse_count("1.5").unwrap_err().contains("whole number"));
        assert!(parse_count("1.5e0").unwrap_err().contains("whole number"));
        assert!(
            parse_count("99999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_count("1e30").unwrap_err().contains("too large"));
    }

    #[test]
    fn format_from_out_extension() {
        let out = |path: &str, format| OutputArgs {
            format,
            out: Some(path.into()),
        };
        let resolve = |o: OutputArgs| o.resolve_format(Format::Table);
        assert_eq!(resolve(out("r.json", None)), Ok(Format::Json));
        assert_eq!(resolve(out("r.csv", None)), Ok(Format::Csv));
        assert_eq!(
            resolve(out("r.json", Some(FormatChoice::Text))),
            Ok(Format::Text)
        );
        assert!(
            resolve(out("r.xyz", None))
                .unwrap_err()
                .contains("--format")
        );
        let none = OutputArgs {
            format: None,
            out: None,
        };
        assert_eq!(resolve(none), Ok(Format::Table));
    }

    #[test]
    fn rates_durations_and_byte_counts() {
        assert_eq!(parse_rate("1e6"), Ok(1e6));
        assert_eq!(parse_rate("250_000"), Ok(250_000.0));
        assert!(parse_rate("0").is_err() && parse_rate("fast").is_err());
        assert_eq!(
            parse_duration("10s"),
            Ok(std::time::Duration::from_secs(10))
        );
        assert_eq!(
            parse_duration("500ms"),
            Ok(std::time::Duration::from_millis(500))
        );
        assert!(
            parse_duration("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert_eq!(
            parse_duration("1h 30m"),
            Ok(std::time::Duration::from_secs(5400))
        );
        assert_eq!(parse_duration("1m"), Ok(std::time::Duration::from_secs(60)));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("ten").unwrap_err().contains("10s"));
        assert_eq!(parse_bytes("4e9"), Ok(4_000_000_000));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("2 GB"), Ok(2_000_000_000));
        assert!(
            parse_bytes("5 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn ingest_flags_pick_sources_and_sinks() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["slotlab", "ingest"];
            argv.extend(args);
            match Cli::try_parse_from(argv).unwrap().command {
                Command::Ingest(a) => a.config(),
                other => panic!("{other:?}"),
            }
        };
        let (config, sinks) = parse(&[]).unwrap();
        assert_eq!(sinks, SinkKind::ALL);
        assert_eq!(config.events, Some(DEFAULT_SYNTHETIC_EVENTS));
        let (config, sinks) = parse(&["--source", "-"]).unwrap();
        assert_eq!(sinks, [SinkKind::Stream]);
        assert_eq!(config.events, None);
        let (config, _) = parse(&["--source", "x.csv", "--sink", "slots"]).unwrap();
        assert!(matches!(
            config.source,
            SourceSpec::File {
                format: InputFormat::Csv,
                ..
            }
        ));
        let (config, _) = parse(&["--duration", "2s"]).unwrap();
        assert_eq!(config.events, None);
        assert!(
            parse(&["--source", "x.csv", "--rate", "10"])
                .unwrap_err()
                .contains("--rate")
        );
        assert!(parse(&["--input", "csv"]).unwrap_err().contains("--input"));
    }

    #[test]
    fn clap_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
