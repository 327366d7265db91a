//! Flags shared by several commands: runtimes, repetitions, output.

use super::FlagError;
use super::values::{parse_count, parse_duration, parse_repeat, parse_warmup};
use clap::{Args, ValueEnum};
use slotlab::ingest::Storage;
use slotlab::python::ChildLimits;
use slotlab::report::Format;
use slotlab_stream::source::lines::{InputFormat, LineOptions};
use slotlab_stream::source::{SourceSpec, SyntheticOptions};
use std::path::PathBuf;

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

    /// How long one run of the interpreter may take before it (and every
    /// process it started) is killed: `90s`, `10m`, `1h`.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_duration)]
    pub python_timeout: std::time::Duration,
}

impl PythonArgs {
    /// The interpreter to run, unless `--rust-only`.
    pub fn python(&self) -> Option<&str> {
        (!self.rust_only).then_some(self.python.as_str())
    }

    /// The limits every run of the interpreter has.
    pub fn limits(&self) -> ChildLimits {
        ChildLimits {
            timeout: self.python_timeout,
            ..ChildLimits::DEFAULT
        }
    }
}

/// How a file's (or stdin's) lines become events: the one line reader's
/// settings, shared by `stream` and `ingest`.
#[derive(Debug, Args)]
pub struct LineArgs {
    /// How input lines are written [default: from the file's extension —
    /// .csv is CSV, .ndjson/.jsonl/.json NDJSON — else ndjson].
    #[arg(long, value_enum)]
    pub input: Option<InputChoice>,

    /// The timestamp's field (NDJSON) or column (CSV) [default: the first
    /// named timestamp, time, ts, datetime or date, in any case]. Integers
    /// are kept as written; ISO-8601 date-times become epoch milliseconds
    /// (UTC when they carry no offset).
    #[arg(long, value_name = "NAME")]
    pub ts_field: Option<String>,

    /// The series key's field or column (any case); without it every
    /// event is in one series.
    #[arg(long, default_value = "series", value_name = "NAME")]
    pub series_field: String,

    /// Fields held as 64-bit integers (comma-separated); the others are
    /// floats, and a value a float would change (an integer beyond 2^53,
    /// 1e400, 1e-400) is rejected, never rounded.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub ints: Vec<String>,

    /// Stop at the first bad line (otherwise bad lines are counted, the
    /// first ones shown with their line numbers, and skipped).
    #[arg(long)]
    pub strict: bool,

    /// Write every rejected line to FILE as JSON lines: its number, the
    /// reason and its text.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

/// `--input` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputChoice {
    /// One JSON object per line.
    Ndjson,
    /// A header row, then one event per row.
    Csv,
}

impl LineArgs {
    /// The line reader's options, or the flag that is wrong.
    pub fn options(&self) -> Result<LineOptions, FlagError> {
        if self.ts_field.as_deref().is_some_and(str::is_empty) {
            return Err(FlagError::new(
                "--ts-field",
                "needs a field name, not an empty one",
            ));
        }
        if self.series_field.is_empty() {
            return Err(FlagError::new(
                "--series-field",
                "needs a field name, not an empty one",
            ));
        }
        if self.ints.iter().any(String::is_empty) {
            return Err(FlagError::new(
                "--ints",
                "lists field names; one of them is empty",
            ));
        }
        Ok(LineOptions {
            ts_field: self.ts_field.clone(),
            series_field: self.series_field.clone(),
            ints: self.ints.clone(),
            strict: self.strict,
            keep_rejects: self.rejects.is_some(),
        })
    }

    /// The input format asked for.
    pub fn format(&self) -> Option<InputFormat> {
        self.input.map(|i| match i {
            InputChoice::Ndjson => InputFormat::Ndjson,
            InputChoice::Csv => InputFormat::Csv,
        })
    }

    /// Refuses these flags for a source that makes its events itself.
    pub fn check_applies(&self, source: &SourceSpec, source_flag: &str) -> Result<(), FlagError> {
        if !source.is_synthetic() {
            return Ok(());
        }
        let given = [
            ("--input", self.input.is_some()),
            ("--ts-field", self.ts_field.is_some()),
            ("--series-field", self.series_field != "series"),
            ("--ints", !self.ints.is_empty()),
            ("--strict", self.strict),
            ("--rejects", self.rejects.is_some()),
        ];
        match given.iter().find(|(_, on)| *on) {
            Some((flag, _)) => Err(FlagError::new(
                flag,
                format!(
                    "describes lines of a file or stdin; --source {source_flag} makes its events itself"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The synthetic sources' settings, shared by `stream` and `ingest`.
#[derive(Debug, Args)]
pub struct SyntheticArgs {
    /// Sensors in the fleet (`--source sensors`) [default: 100].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub sensors: Option<u64>,

    /// Symbols traded (`--source ticks`) [default: 8].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub symbols: Option<u64>,

    /// Seed for the synthetic sources: the same seed, the same events
    /// [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
}

impl SyntheticArgs {
    /// The library's settings.
    pub fn options(&self) -> SyntheticOptions {
        let count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let defaults = SyntheticOptions::default();
        SyntheticOptions {
            sensors: self.sensors.map_or(defaults.sensors, count),
            symbols: self.symbols.map_or(defaults.symbols, count),
            seed: self.seed.unwrap_or(defaults.seed),
        }
    }

    /// Refuses a flag that sizes a synthetic source other than `source`.
    pub fn check_applies(&self, source: &SourceSpec, source_flag: &str) -> Result<(), FlagError> {
        let (sensors, ticks) = (
            matches!(source, SourceSpec::Sensors(_)),
            matches!(source, SourceSpec::Ticks(_)),
        );
        let refused = [
            (
                "--sensors",
                self.sensors.is_some() && !sensors,
                "sizes the fleet of --source sensors",
            ),
            (
                "--symbols",
                self.symbols.is_some() && !ticks,
                "sizes the feed of --source ticks",
            ),
            (
                "--seed",
                self.seed.is_some() && !(sensors || ticks),
                "seeds --source sensors and ticks",
            ),
        ];
        match refused.iter().find(|(_, wrong, _)| *wrong) {
            Some((flag, _, what)) => Err(FlagError::new(
                flag,
                format!("{what}; --source {source_flag} has no use for it"),
            )),
            None => Ok(()),
        }
    }
}

/// Repetition flags, shared by measuring commands.
#[derive(Debug, Args)]
pub struct RepeatArgs {
    /// Measured runs per case (1 to 10,000; 5, 1e3); the time shown is
    /// their median.
    #[arg(long, default_value = "5", value_parser = parse_repeat)]
    pub repeat: u32,

    /// Unmeasured runs before them, 0 to 1,000 (warm caches and allocator
    /// pools).
    #[arg(long, default_value = "1", value_parser = parse_warmup)]
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
    /// Object model, a __dict__ that is a hash table per instance (the lesson's description).
    Table,
    /// Object model, a class without __slots__: CPython 3.11's __dict__ (shared keys, inline values).
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
    pub fn layouts(self) -> Vec<Storage> {
        match self {
            LayoutChoice::Table => vec![Storage::Table],
            LayoutChoice::Dict => vec![Storage::Dict],
            LayoutChoice::Slots => vec![Storage::Slots],
            LayoutChoice::Record => vec![Storage::Record],
            LayoutChoice::Columns => vec![Storage::Columns],
            LayoutChoice::All => Storage::LESSON.to_vec(),
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
    pub fn resolve_format(&self, default: Format) -> Result<Format, FlagError> {
        if let Some(choice) = self.format {
            return Ok(choice.into());
        }
        match &self.out {
            None => Ok(default),
            Some(path) => Format::from_path(path).ok_or_else(|| {
                FlagError::new(
                    "--out",
                    format!(
                        "{}: cannot tell the format from the file name; add --format \
                         text|table|json|csv|md",
                        path.display()
                    ),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                .to_string()
                .contains("--format")
        );
        let none = OutputArgs {
            format: None,
            out: None,
        };
        assert_eq!(resolve(none), Ok(Format::Table));
    }
}
