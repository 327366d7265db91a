//! `slotlab ingest`'s flags, and the library configuration they make.

use super::commands::CodecsArg;
use super::common::{LineArgs, OutputArgs, SyntheticArgs};
use super::values::{parse_bytes, parse_count, parse_duration, parse_rate, parse_threads};
use super::{FlagError, StoreArgs};
use clap::{Args, ValueEnum};
use slotlab::ingest::{HugePages, IngestConfig, OnFull, SourceSpec, Storage};
use slotlab_stream::StreamConfig;

/// `slotlab ingest` flags.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Where events come from: `sensors` (a seeded thermometer fleet),
    /// `ticks` (seeded trades), `lesson` (the lesson's readings), a file of
    /// NDJSON or CSV lines, or `-` for standard input, read as it arrives.
    ///
    /// NDJSON: one object per line, a timestamp (integer epoch milliseconds
    /// or an RFC 3339 string such as 2026-01-01T00:00:00Z), an optional
    /// series key, numeric fields. CSV: a header row naming the same
    /// columns. The first good line (or the header) fixes the fields; a line
    /// that does not match is rejected with its line number.
    ///
    /// `nats://HOST:PORT`: from a NATS JetStream stream (`slotlab publish`
    /// fills one) into the durable store --store names: one durable pull
    /// consumer per partition, each message acknowledged once a sync
    /// covers its events, a redelivered one skipped as duplicates.
    #[arg(
        long,
        default_value = "sensors",
        value_name = "sensors|ticks|lesson|FILE|-|nats://HOST:PORT"
    )]
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

    #[command(flatten)]
    pub lines: LineArgs,

    #[command(flatten)]
    pub synthetic: SyntheticArgs,

    /// Threads parsing a file's or stdin's lines (1 to 64) [default: one
    /// per CPU]. Blocks of lines are parsed side by side and settled in
    /// the order read: the events, rejections and line numbers are those
    /// of one thread.
    #[arg(long, value_parser = parse_threads, value_name = "N", allow_negative_numbers = true)]
    pub parse_threads: Option<u32>,

    /// Batches each channel holds: with --batch, what bounds the memory
    /// in flight.
    #[arg(long, default_value = "16", value_parser = parse_count, allow_negative_numbers = true)]
    pub queue: u64,

    /// Events per batch from a synthetic source [default: 4096; a file is
    /// batched as it is read].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub batch: Option<u64>,

    /// The stream sink's events per sealed chunk (per series) [default:
    /// 4096; with --store 16384: chunks kept on disk are worth making
    /// larger].
    #[arg(long, value_parser = parse_count, allow_negative_numbers = true)]
    pub chunk: Option<u64>,

    /// The stream sink's codecs (see `slotlab stream --help`): `hand` seals
    /// fastest [default: hand; with --store sampled: on disk, bytes count
    /// for longer than the sealing].
    #[arg(long, value_enum)]
    pub codecs: Option<CodecsArg>,

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
    pub store: StoreArgs,

    #[command(flatten)]
    pub broker: super::publish::ConsumeArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--sink` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SinkChoice {
    /// Object-model instances with a hash table per instance.
    Table,
    /// Object-model instances with CPython 3.11's __dict__ (shared keys, inline values).
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
    pub fn sinks(self) -> Vec<Storage> {
        match self {
            SinkChoice::Table => vec![Storage::Table],
            SinkChoice::Dict => vec![Storage::Dict],
            SinkChoice::Slots => vec![Storage::Slots],
            SinkChoice::Record => vec![Storage::Record],
            SinkChoice::Columns => vec![Storage::Columns],
            SinkChoice::Stream => vec![Storage::Stream],
            SinkChoice::All => Storage::ALL.to_vec(),
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

/// Events per batch from a synthetic source, unless `--batch` says.
const DEFAULT_BATCH: u64 = 4096;

impl IngestArgs {
    /// The library's configuration, or what is wrong with the flags.
    pub fn config(&self) -> Result<(IngestConfig, Vec<Storage>), FlagError> {
        let count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let source = SourceSpec::parse(&self.source, &self.synthetic.options());
        let synthetic = source.is_synthetic();
        let input = self.lines.format();
        self.lines.check_applies(&source, &self.source)?;
        self.synthetic.check_applies(&source, &self.source)?;
        if !synthetic && self.batch.is_some() {
            return Err(FlagError::new(
                "--batch",
                "sizes the batches of a synthetic source; a file or stdin is batched as it is read",
            ));
        }
        if !synthetic && self.rate.is_some() {
            return Err(FlagError::new(
                "--rate",
                "paces the synthetic sources (sensors, ticks); a file or stdin is read as fast \
                 as it arrives",
            ));
        }
        let sinks = match (self.sink, &source) {
            (Some(choice), _) if self.store.store.is_some() && choice != SinkChoice::Stream => {
                return Err(FlagError::new(
                    "--sink",
                    "--store keeps the stream sink's events; the other sinks hold theirs in memory",
                ));
            }
            (_, _) if self.store.store.is_some() => vec![Storage::Stream],
            (Some(choice), _) => choice.sinks(),
            (None, SourceSpec::Stdin) => vec![Storage::Stream],
            (None, _) => Storage::ALL.to_vec(),
        };
        if matches!(source, SourceSpec::Stdin) && sinks.len() > 1 {
            return Err(FlagError::new(
                "--sink",
                "all runs the input once per sink, and standard input can be read only once: \
                 save it to a file and pass the file, or choose one sink",
            ));
        }
        let events = match (self.events, self.duration) {
            (None, None) if synthetic => Some(DEFAULT_SYNTHETIC_EVENTS),
            (events, _) => events,
        };
        let mut config = IngestConfig::new(source, sinks[0]);
        config.input = input;
        config.events = events;
        config.duration = self.duration;
        config.rate = self.rate;
        config.on_full = match self.on_full {
            OnFullChoice::Block => OnFull::Block,
            OnFullChoice::Drop => OnFull::Drop,
        };
        config.queue = count(self.queue);
        config.batch = count(self.batch.unwrap_or(DEFAULT_BATCH));
        config.parse = self.lines.options()?;
        if let Some(threads) = self.parse_threads {
            config.parse_threads = threads as usize;
        }
        if let Some((dir, options)) = self.store.spec()? {
            config.store = Some(slotlab::ingest::StoreSpec { dir, options });
        }
        let stored = self.store.store.is_some();
        config.stream = StreamConfig {
            chunk_len: count(self.chunk.unwrap_or(if stored { 16_384 } else { 4096 })),
            codecs: self
                .codecs
                .unwrap_or(if stored {
                    CodecsArg::Sampled
                } else {
                    CodecsArg::Hand
                })
                .policy(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

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
        assert_eq!(sinks, Storage::ALL);
        assert_eq!(config.events, Some(DEFAULT_SYNTHETIC_EVENTS));
        let (config, sinks) = parse(&["--source", "-"]).unwrap();
        assert_eq!(sinks, [Storage::Stream]);
        assert_eq!(config.events, None);
        let (config, _) = parse(&["--source", "x.csv", "--sink", "slots"]).unwrap();
        assert!(matches!(config.source, SourceSpec::File(_)));
        assert_eq!(config.input_format(), slotlab::ingest::InputFormat::Csv);
        let (config, _) = parse(&["--duration", "2s"]).unwrap();
        assert_eq!(config.events, None);
        assert!(
            parse(&["--source", "x.csv", "--rate", "10"]).unwrap_err()
                == FlagError::new(
                    "--rate",
                    "paces the synthetic sources (sensors, ticks); a file or stdin is read as \
                     fast as it arrives"
                )
        );
        assert_eq!(parse(&["--input", "csv"]).unwrap_err().flag, "--input");
        assert_eq!(
            parse(&["--source", "-", "--sink", "all"]).unwrap_err().flag,
            "--sink"
        );
    }

    #[test]
    fn parse_threads_and_codecs_are_bounded_and_defaulted() {
        let config = |args: &[&str]| {
            let mut argv = vec!["slotlab", "ingest", "--source", "x.ndjson"];
            argv.extend(args);
            Cli::try_parse_from(argv).map(|cli| match cli.command {
                Command::Ingest(a) => a.config().unwrap().0,
                other => panic!("{other:?}"),
            })
        };
        let default = config(&[]).unwrap();
        assert_eq!(
            default.parse_threads,
            slotlab::ingest::default_parse_threads()
        );
        assert_eq!(
            default.stream.codecs,
            slotlab_stream::CodecPolicy::HandWritten
        );
        assert_eq!(config(&["--parse-threads", "3"]).unwrap().parse_threads, 3);
        for bad in ["0", "65", "-1", "two"] {
            let err = config(&["--parse-threads", bad]).unwrap_err().to_string();
            assert!(err.contains("--parse-threads"), "{bad}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("events");
        let stored = config(&["--store", store.to_str().unwrap()]).unwrap();
        assert_eq!(stored.stream.codecs, slotlab_stream::CodecPolicy::Sampled);
    }
}
