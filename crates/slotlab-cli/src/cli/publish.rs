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

    /// Events per message at most (one partition's).
    #[arg(long, value_parser = parse_count, default_value = "1000")]
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

impl PublishArgs {
    /// The server address, checked: nats://HOST:PORT.
    pub fn url(&self) -> Result<String, FlagError> {
        let rest = self.to.strip_prefix("nats://").ok_or_else(|| {
            FlagError::new("--to", format!("{}: expected nats://HOST:PORT", self.to))
        })?;
        let port_ok = rest
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(FlagError::new(
                "--to",
                format!("{}: expected nats://HOST:PORT", self.to),
            ));
        }
        Ok(self.to.clone())
    }

    /// The stream name and subject prefix, checked (NATS refuses spaces,
    /// wildcards and dots in a stream name).
    pub fn names(&self) -> Result<(String, String), FlagError> {
        let bad_name = |c: char| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\');
        if self.stream.is_empty() || self.stream.contains(bad_name) {
            return Err(FlagError::new(
                "--stream",
                format!("{:?}: a name without spaces, dots, * or >", self.stream),
            ));
        }
        let bad_subject = |c: char| c.is_whitespace() || matches!(c, '*' | '>');
        if self.subjects.is_empty()
            || self.subjects.contains(bad_subject)
            || self.subjects.starts_with('.')
            || self.subjects.ends_with('.')
        {
            return Err(FlagError::new(
                "--subjects",
                format!(
                    "{:?}: a subject prefix such as slotlab.events",
                    self.subjects
                ),
            ));
        }
        Ok((self.stream.clone(), self.subjects.clone()))
    }
}
