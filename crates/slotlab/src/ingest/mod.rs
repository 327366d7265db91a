//! High-volume ingestion: a staged pipeline, **source → parse → store**,
//! each stage on its own thread, joined by bounded channels.
//!
//! - The **source** generates events (a seeded sensor fleet or tick feed,
//!   at a target rate or as fast as it can) or reads lines (an NDJSON or
//!   CSV file, stdin) and stamps each event with its creation instant.
//! - The **parse** stage turns lines into typed events ([`ParseOptions`]):
//!   a line that is not a valid event is rejected with its line number,
//!   never guessed at. Synthetic events arrive typed and pass through.
//! - The **store** stage appends events to a [`Sink`], one per layout:
//!   dict objects, slots objects, record rows, columns, the compressed
//!   event stream ([`Storage`]).
//!
//! When a stage falls behind, its input channel fills and the stage before
//! it blocks ([`OnFull::Block`], backpressure), or — [`OnFull::Drop`] — the
//! source sheds the batch it could not hand over and counts it in
//! `dropped`. Load is shed only at intake: once the parse stage has
//! accepted an event, it is stored. A [`Stop`] request (Ctrl-C, SIGTERM)
//! stops intake; everything accepted is drained into the sink before
//! [`run`] returns.
//!
//! Memory: the sink's holdings are counted exactly (every allocation the
//! sink makes, by the tracking allocator, on the store thread); the peak is
//! process-wide, so it includes the batches in the channels, which the
//! channel capacities bound.

pub mod bounds;
mod config;
mod feed;
mod metrics;
mod outcome;
mod parse;
mod pipeline;
mod shared;
mod sink;

pub use config::{
    HugePages, IngestConfig, OnFull, default_memory_budget, default_parse_threads, describe_source,
};
pub use outcome::{Ended, IngestError, IngestRun, SourceFailure};
pub use pipeline::run;
pub use slotlab_stream::source::SourceSpec;

pub use metrics::{LatencySummary, Live, QueueStats};
pub use parse::{BadLine, InputFormat, ParseOptions};
pub use sink::{
    BLOCK_EVENTS, Sink, SinkError, Storage, StoreSpec, event_class, event_object, open_sink,
    sync_words,
};

use slotlab_stream::Schema;
use slotlab_stream::source::Events;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Bad lines kept for the report (all are counted).
pub const BAD_LINES_KEPT: usize = 10;

/// Events moving through the pipeline together.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The events. `events.keys` holds only the series keys first seen in
    /// this batch, numbered after every key of earlier batches.
    pub events: Events,
    /// Whether events carry a series (a sensor id, a symbol); without one
    /// every event is in the one unnamed series.
    pub keyed: bool,
    /// Each event's creation instant, in nanoseconds since the run began.
    pub created_ns: Vec<u64>,
}

impl EventBatch {
    /// An empty batch of `schema`-shaped events, room for `capacity`.
    pub fn new(schema: Schema, keyed: bool, capacity: usize) -> Self {
        Self {
            events: Events::with_capacity(schema, Vec::new(), capacity),
            keyed,
            created_ns: Vec::with_capacity(capacity),
        }
    }

    /// Events in the batch.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// Asks a running pipeline to stop intake; clone it into a signal handler.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Not requested yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The flag itself, for `signal_hook::flag::register`.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    /// Requests the stop.
    pub fn request(&self) {
        self.0.store(true, Relaxed);
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.load(Relaxed)
    }
}
