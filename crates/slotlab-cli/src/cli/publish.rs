//! `slotlab publish` flags.

use super::FlagError;
use super::common::SyntheticArgs;
use super::values::{parse_count, parse_duration, parse_rate};
use clap::{Args, ValueEnum};

/// `slotlab publish` flags.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The NATS server (JetStream enabled): nats://HOST:PORT.
    #[arg(long, value_name = "URL")]
    pub to: String,

    /// The JetStream stream, made if missing (file storage); one that
    /// exists with other subjects, replicas or partitions is refused.
    #[arg(long, value_name = "NAME", default_value = "slotlab")]
    pub stream: String,

    /// Subjects are PREFIX.<partition>.
    #[arg(long, value_name = "PREFIX", default_value = "slotlab.events")]
    pub subjects: String,

    /// Partitions: each series goes to one, by a stable hash of its key,
    /// so one consumer reads it in order.
    #[arg(long, value_parser = parse_count, default_value = "8")]
    pub partitions: u64,

    /// Copies the cluster keeps of the stream (1, or 3 on a 3-node cluster).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: u8,

    /// Where events come from: `sensors`, `ticks`, `lesson`, or a file
    /// (NDJSON, CSV or Parquet).
    #[arg(
        long,
        value_name = "sensors|ticks|lesson|FILE",
        default_value = "sensors"
    )]
    pub source: String,

    /// Events per second (1e6); without it, as fast as acknowledgements allow.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Stop after this many events [default for synthetic sources without
    /// --duration: 1M].
    #[arg(long, value_parser = parse_count)]
    pub events: Option<u64>,

    /// Stop after this long (10s, 1m).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Events per message at most (one partition's): larger messages cost
    /// the server less per event (4096 sensor events are ~74 KB).
    #[arg(long, value_parser = parse_count, default_value = "4096")]
    pub batch: u64,

    /// Messages unacknowledged at most.
    #[arg(long, value_parser = parse_count, default_value = "256")]
    pub in_flight: u64,

    /// `binary`: compact checksummed batches (a version byte, columns, a
    /// CRC-32); `json`: NDJSON lines, one event each, for any client.
    #[arg(long, value_enum, default_value_t = EncodingChoice::Binary)]
    pub encoding: EncodingChoice,

    #[command(flatten)]
    pub synthetic: SyntheticArgs,
}

/// `--encoding` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EncodingChoice {
    /// Compact checksummed batches.
    Binary,
    /// NDJSON lines.
    Json,
}

/// A server address given with `flag`, checked: nats://HOST:PORT.
pub fn nats_url(flag: &'static str, text: &str) -> Result<String, FlagError> {
    let port_ok = text
        .strip_prefix("nats://")
        .and_then(|rest| rest.rsplit_once(':'))
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !port_ok {
        return Err(FlagError::new(
            flag,
            format!("{text}: expected nats://HOST:PORT"),
        ));
    }
    Ok(text.to_owned())
}

/// `ingest --source nats://…` flags.
#[derive(Debug, Clone, Args)]
pub struct ConsumeArgs {
    /// With --source nats://…: the JetStream stream to read.
    #[arg(long = "stream", value_name = "NAME", default_value = "slotlab")]
    pub nats_stream: String,

    /// With --source nats://…: subjects are PREFIX.<partition>.
    #[arg(
        long = "subjects",
        value_name = "PREFIX",
        default_value = "slotlab.events"
    )]
    pub nats_subjects: String,

    /// With --source nats://…: the partitions this process reads (0-3,7);
    /// several processes split a stream's partitions between them. Each
    /// partition is leased to one live process per --consumer group: a
    /// process asking for one that another live process reads is refused,
    /// naming it; a dead holder's lease is taken over (at once on the same
    /// host, within 5 s elsewhere).
    #[arg(long, value_name = "LIST", default_value = "0-7")]
    pub partitions: String,

    /// With --source nats://…: consumers are named GROUP-<partition>, so a
    /// restarted process (or another given the partitions) resumes them.
    #[arg(long, value_name = "GROUP", default_value = "slotlab")]
    pub consumer: String,

    /// With --source nats://…: stop when no message has come for this long
    /// (2s) [default: run until --events, --duration or Ctrl-C].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub idle: Option<std::time::Duration>,

    /// With --source nats://…: how long the server waits for an
    /// acknowledgement before delivering a message again.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION", default_value = "30s")]
    pub ack_wait: std::time::Duration,
}

impl ConsumeArgs {
    /// The partitions, checked: numbers and ranges, each at most 4095.
    pub fn partition_list(&self) -> Result<Vec<u32>, FlagError> {
        let bad = || {
            FlagError::new(
                "--partitions",
                format!("{:?}: expected a list such as 0-3,7", self.partitions),
            )
        };
        let mut out = Vec::new();
        for part in self.partitions.split(',') {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u32, u32) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if a > b || b > 4095 {
                return Err(bad());
            }
            out.extend(a..=b);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The stream name and subject prefix, checked.
    pub fn names(&self) -> Result<(String, String), FlagError> {
        check_names(&self.nats_stream, &self.nats_subjects)
    }

    /// The consumer group, checked: it names consumers and leases.
    pub fn group(&self) -> Result<String, FlagError> {
        let g = &self.consumer;
        if g.is_empty()
            || g.len() > 64
            || !g
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(FlagError::new(
                "--consumer",
                format!("{g:?}: letters, digits, - and _ (at most 64)"),
            ));
        }
        Ok(g.clone())
    }
}

impl PublishArgs {
    /// The server address, checked: nats://HOST:PORT.
    pub fn url(&self) -> Result<String, FlagError> {
        nats_url("--to", &self.to)
    }

    /// The stream name and subject prefix, checked.
    pub fn names(&self) -> Result<(String, String), FlagError> {
        check_names(&self.stream, &self.subjects)
    }
}

/// A stream name and subject prefix, checked (NATS refuses spaces,
/// wildcards and dots in a stream name).
fn check_names(stream: &str, subjects: &str) -> Result<(String, String), FlagError> {
    let bad_name = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
    if stream.is_empty() || stream.contains(bad_name) {
        return Err(FlagError::new(
            "--stream",
            format!("{stream:?}: a name without spaces, dots, * or >"),
        ));
    }
    let bad_subject = |c: char| c.is_whitespace() || matches!(c, '*' | '>');
    if subjects.is_empty()
        || subjects.contains(bad_subject)
        || subjects.starts_with('.')
        || subjects.ends_with('.')
    {
        return Err(FlagError::new(
            "--subjects",
            format!("{subjects:?}: a subject prefix such as slotlab.events"),
        ));
    }
    Ok((stream.to_owned(), subjects.to_owned()))
}
