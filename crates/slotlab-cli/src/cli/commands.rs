//! Each measuring command's own flags.

use super::common::{
    LayoutChoice, LineArgs, OutputArgs, PythonArgs, RepeatArgs, RuntimeArgs, SyntheticArgs,
};
use super::values::{parse_count, parse_steps};
use clap::{Args, ValueEnum};
use slotlab_stream::CodecPolicy;
use slotlab_stream::source::SourceSpec;
use std::path::PathBuf;

/// `slotlab compare` flags.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub measure: MeasureArgs,

    /// Skip the memory-bandwidth probe (a sequential read of 4× the largest
    /// cache, 256 MiB to 2 GiB) that the record layouts are judged against.
    #[arg(long)]
    pub no_bandwidth: bool,
}

/// Flags of the commands that measure N objects in both runtimes
/// (`compare`, `access`, `gc`).
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
    /// Render these saved results instead of measuring (repeatable): a
    /// --json file, or a command's --format json output.
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
    /// Events: `lesson` (the lesson's readings, timestamp=i, value=i*0.1;
    /// `seed` is its earlier name),
    /// `sensors` (a seeded fleet of thermometers, one reading per second
    /// each, values in tenths of a degree), `ticks` (seeded trades: price on
    /// a cent grid, size), or a file of NDJSON or CSV lines (a timestamp
    /// field, an optional series field, numeric fields; read by the same
    /// rules as `ingest`).
    #[arg(
        long,
        default_value = "lesson",
        value_name = "lesson|sensors|ticks|FILE"
    )]
    pub source: String,

    /// Events for synthetic sources: 1000000, 1_000_000 or 1e6 [default:
    /// 1e6; a file gives what it holds].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub n: Option<u64>,

    #[command(flatten)]
    pub synthetic: SyntheticArgs,

    #[command(flatten)]
    pub lines: LineArgs,

    /// Events per sealed chunk (per series).
    #[arg(long, default_value = "65536", value_parser = parse_count, allow_negative_numbers = true)]
    pub chunk: u64,

    /// Which codecs a chunk's columns may use: `sampled` the hand-written
    /// ones (int packing, decimal, Gorilla XOR), and pco where a sample
    /// of the column, then the whole column, shows it saves at least 5%
    /// (nearly smallest's bytes, nearly hand's speed); `smallest` tries
    /// every codec on every column and keeps the smallest (slowest);
    /// `hand` only the hand-written ones (fastest to seal and decode);
    /// `pco` only pco.
    #[arg(long, value_enum, default_value_t = CodecsArg::Sampled)]
    pub codecs: CodecsArg,

    /// Decode everything and check it bit for bit against the input.
    #[arg(long)]
    pub verify: bool,

    /// When the census is taken: `exit` (when the program ends, raises or
    /// is interrupted), or `signal`: also each time slotlab or the program
    /// receives SIGUSR1 (`kill -USR1 PID`), for services that run until
    /// stopped; every snapshot is reported.
    #[arg(long, value_enum, default_value_t = AtChoice::Exit)]
    pub at: AtChoice,

    /// With --verify, change the ready classes of libraries too (the
    /// standard library's and site-packages'), in the run only.
    #[arg(long, requires = "verify")]
    pub include_packages: bool,

    /// Also save the encoded stream to FILE (a checksum per chunk).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    #[command(flatten)]
    pub store: super::StoreArgs,

    #[command(flatten)]
    pub repeat: RepeatArgs,

    #[command(flatten)]
    pub python_side: PythonArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

impl StreamArgs {
    /// The source the flags describe.
    pub fn source(&self) -> SourceSpec {
        SourceSpec::parse(&self.source, &self.synthetic.options())
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
    #[arg(long, default_value = "5", value_parser = parse_steps)]
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

/// `--codecs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodecsArg {
    /// The hand-written codecs, and pco where it saves at least 5% (judged
    /// on a sample first).
    Sampled,
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
            CodecsArg::Sampled => CodecPolicy::Sampled,
            CodecsArg::Smallest => CodecPolicy::Smallest,
            CodecsArg::Hand => CodecPolicy::HandWritten,
            CodecsArg::Pco => CodecPolicy::Pco,
        }
    }
}

/// `slotlab census` flags.
#[derive(Debug, Args)]
pub struct CensusArgs {
    /// The Python interpreter to run the program with.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: String,

    /// Classes with fewer live instances are left out.
    #[arg(long, default_value = "1000", value_parser = parse_count, allow_negative_numbers = true)]
    pub min_instances: u64,

    /// Show the K classes that would save most.
    #[arg(long, default_value = "20", value_parser = parse_count, allow_negative_numbers = true)]
    pub top: u64,

    /// Instances read per class to learn its attribute sets (reading
    /// __dict__ makes a real dict in CPython 3.11: only the sample is read).
    #[arg(long, default_value = "1000", value_parser = parse_count, allow_negative_numbers = true)]
    pub sample: u64,

    /// Write the suggested __slots__ for the ready classes in your own
    /// files as a unified diff (apply it with `git apply FILE`).
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,

    /// Run the program again with the suggested __slots__ applied (by
    /// source transformation at import; no file is changed) and compare:
    /// its exit, its stdout byte for byte, its run time and peak memory,
    /// bytes per instance. A change that breaks the program is dropped,
    /// said, and the rest verified without it. Both runs' output is
    /// captured (not shown) and their stdin is empty.
    #[arg(long)]
    pub verify: bool,

    /// When the census is taken: `exit` (when the program ends, raises or
    /// is interrupted), or `signal`: also each time slotlab or the program
    /// receives SIGUSR1 (`kill -USR1 PID`), for services that run until
    /// stopped; every snapshot is reported.
    #[arg(long, value_enum, default_value_t = AtChoice::Exit)]
    pub at: AtChoice,

    /// With --verify, change the ready classes of libraries too (the
    /// standard library's and site-packages'), in the run only.
    #[arg(long, requires = "verify")]
    pub include_packages: bool,

    /// How long the program may run before it is killed (its census is
    /// then lost): `90s`, `10m`, `1h`.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = super::values::parse_duration)]
    pub timeout: std::time::Duration,

    #[command(flatten)]
    pub output: OutputArgs,

    /// The program: SCRIPT.py [ARGS...] or -m MODULE [ARGS...], after --.
    /// Its own output goes to the terminal as usual (before the census;
    /// use --out for the census alone in a file).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM"
    )]
    pub program: Vec<String>,
}

/// `--at` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AtChoice {
    /// When the program ends.
    Exit,
    /// Also on each SIGUSR1.
    Signal,
}

/// `slotlab inspect` flags.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A saved stream (`stream --save FILE`) or a store (`stream --store DIR`).
    #[arg(value_name = "FILE|DIR")]
    pub path: PathBuf,

    /// Also decode every series whole and check it against the chunks'
    /// counts (loading already checks every checksum).
    #[arg(long)]
    pub verify: bool,
}

/// The series and time range `query` and `export` read.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only these series (repeat the flag) [default: every series].
    #[arg(long = "series", value_name = "KEY")]
    pub series: Vec<String>,

    /// From this timestamp on: an integer as stored, or an ISO-8601
    /// date-time (epoch milliseconds, UTC without an offset).
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub from: Option<String>,

    /// Up to this timestamp (inclusive), written as --from.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub to: Option<String>,
}

/// `slotlab query` flags.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// A saved stream (`stream --save FILE`) or a store (`stream --store DIR`).
    #[arg(value_name = "FILE|DIR")]
    pub path: PathBuf,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Only these fields (comma-separated) [default: every field].
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub fields: Vec<String>,

    /// Aggregates instead of events: count,sum,min,max,mean (whole chunks
    /// are answered from their summaries, without decoding).
    #[arg(long, value_delimiter = ',', value_enum, value_name = "AGG,...")]
    pub agg: Vec<AggChoice>,

    /// Aggregates per time bucket of this width: an integer in the
    /// timestamps' own unit, or a duration (1h, 15m) in milliseconds (what
    /// ISO-8601 timestamps become).
    #[arg(long, value_name = "WIDTH", requires = "agg")]
    pub every: Option<String>,

    /// csv, ndjson or table.
    #[arg(long, value_enum, default_value_t = RowFormatChoice::Csv)]
    pub format: RowFormatChoice,

    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `--agg` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AggChoice {
    /// Events.
    Count,
    /// Sum of values.
    Sum,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Sum over count.
    Mean,
    /// The value at the earliest timestamp (decodes a bucket's first chunk).
    First,
    /// The value at the latest timestamp (decodes a bucket's last chunk).
    Last,
}

/// `query --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowFormatChoice {
    /// Comma-separated, a header row first.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// Aligned columns.
    Table,
}

/// `slotlab export` flags.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A saved stream (`stream --save FILE`) or a store (`stream --store DIR`).
    #[arg(value_name = "FILE|DIR")]
    pub path: PathBuf,

    /// Where to write: .parquet, .csv or .ndjson (the format from the
    /// extension).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub select: SelectArgs,
}
