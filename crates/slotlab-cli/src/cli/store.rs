//! The durable store's flags, shared by `ingest` and `stream`.

use super::FlagError;
use super::values::{parse_age, parse_bytes};
use clap::{Args, ValueEnum};
use slotlab_stream::store::{Retention, StoreOptions, SyncPolicy};
use std::path::PathBuf;
use std::time::Duration;

/// `--store` and what goes with it.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Keep the events in the durable store in DIR (created if missing,
    /// appended to if it exists; its schema and chunking must match): a
    /// write-ahead log, sealed chunks in segment files, a MANIFEST; closed
    /// at the end (heads sealed, log emptied). `query`, `inspect` and
    /// `export` read it, even while a writer is at work.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// With --store: when the write-ahead log is synced — `interval`
    /// (every 100 ms: group commit), `always` (after every batch: slow),
    /// `never` (only at checkpoints and the end).
    #[arg(long, value_enum, default_value_t = SyncChoice::Interval, requires = "store")]
    pub sync: SyncChoice,

    /// With --store: drop whole segments whose newest event is older than
    /// the store's newest by more than this (30d, 12h, 90m; event time,
    /// not the clock). The segment being written is never dropped.
    #[arg(long, value_parser = parse_age, value_name = "AGE", requires = "store")]
    pub retain: Option<i64>,

    /// With --store: drop the oldest segments while the segments take more
    /// than this (1G, 500MiB). The segment being written is never dropped.
    #[arg(long, value_parser = parse_bytes, value_name = "BYTES", requires = "store")]
    pub retain_bytes: Option<u64>,

    /// With --store: align chunks to windows of this span (1h, 1d; event
    /// time): a chunk never straddles one, so `query --every` by a
    /// multiple answers every chunk from its summary without decoding.
    /// Costs bytes when a series has few events per window.
    #[arg(long, value_parser = parse_age, value_name = "SPAN", requires = "store")]
    pub chunk_span: Option<i64>,

    /// With --store: close a segment and begin the next past this size
    /// (retention drops whole segments) [default: 64MiB].
    #[arg(long, value_parser = parse_bytes, value_name = "BYTES", requires = "store")]
    pub segment_bytes: Option<u64>,
}

/// `--sync` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncChoice {
    /// After every batch.
    Always,
    /// Every 100 ms.
    Interval,
    /// Only at checkpoints and the end.
    Never,
}

impl StoreArgs {
    /// The store's directory and options, checked.
    pub fn spec(&self) -> Result<Option<(PathBuf, StoreOptions)>, FlagError> {
        let Some(dir) = &self.store else {
            return Ok(None);
        };
        if dir.exists() && !dir.is_dir() {
            return Err(FlagError::new(
                "--store",
                format!("{} is not a directory", dir.display()),
            ));
        }
        slotlab_stream::store::Store::preflight(dir)
            .map_err(|e| FlagError::new("--store", format!("{:#}", anyhow::Error::new(e))))?;
        let defaults = StoreOptions::default();
        let options = StoreOptions {
            sync: match self.sync {
                SyncChoice::Always => SyncPolicy::Always,
                SyncChoice::Interval => SyncPolicy::Interval(Duration::from_millis(100)),
                SyncChoice::Never => SyncPolicy::Never,
            },
            segment_bytes: self.segment_bytes.unwrap_or(defaults.segment_bytes),
            retain: Retention {
                age: self.retain,
                bytes: self.retain_bytes,
            },
            chunk_span: self.chunk_span,
            ..defaults
        };
        Ok(Some((dir.clone(), options)))
    }
}
