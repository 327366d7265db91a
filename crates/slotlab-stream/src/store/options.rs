//! How a writer keeps a store: when it syncs, how big a segment grows,
//! when the WAL is checkpointed, what retention keeps, how chunks align.

use std::time::Duration;

/// When appended events are made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// fsync after every append.
    Always,
    /// fsync when this long has passed since the last (group commit).
    Interval(Duration),
    /// Only on close.
    Never,
}

/// What retention keeps: segments are dropped whole, oldest first, never
/// the one being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Drop a segment once its newest event is older than the store's
    /// newest by more than this (in timestamp units: ms for ingested
    /// events).
    pub age: Option<i64>,
    /// Drop the oldest segments while the segments take more bytes.
    pub bytes: Option<u64>,
}

/// How a writer keeps the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// When the WAL is synced.
    pub sync: SyncPolicy,
    /// A segment is closed, and a new one begun, past this many bytes.
    pub segment_bytes: u64,
    /// The WAL is checkpointed past this many bytes.
    pub wal_bytes: u64,
    /// What is kept.
    pub retain: Retention,
    /// Chunks aligned to windows of this many timestamp units (an hour:
    /// 3,600,000 for ms), so queries bucketed by a multiple answer from
    /// summaries ([`crate::Stream::set_chunk_span`]); `None`: chunks end
    /// when full.
    pub chunk_span: Option<i64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            sync: SyncPolicy::Interval(Duration::from_millis(100)),
            segment_bytes: 64 << 20,
            wal_bytes: 64 << 20,
            retain: Retention::default(),
            chunk_span: None,
        }
    }
}

impl StoreOptions {
    /// The defaults with this sync policy.
    pub fn with_sync(sync: SyncPolicy) -> Self {
        Self {
            sync,
            ..Self::default()
        }
    }
}
