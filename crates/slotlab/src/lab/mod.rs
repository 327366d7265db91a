//! The experiments. Each returns [`Measurement`](crate::measure::Measurement)s
//! and prints nothing.

pub mod access;
pub mod census;
pub mod claims;
pub mod compare;
pub mod experiment;
pub mod explain;
pub mod gc;
pub mod ingest_bench;
pub mod lesson;
pub mod stream_bench;
pub mod suite;
pub mod sweep;

use crate::model::ModelError;

/// Why an experiment could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// N was zero.
    #[error("N must be at least 1")]
    ZeroN,
    /// N would not fit in the memory this machine has available.
    #[error(
        "N={n} does not fit: the {layout} layout needs about {needed} ({per_object:.1} bytes per object measured on a {pilot}-object pilot, plus {overhead:.0}% allocator overhead) but only {available} is available (MemAvailable in /proc/meminfo); choose a smaller N",
        needed = human_bytes(estimate.needed_bytes),
        per_object = estimate.bytes_per_object,
        pilot = estimate.pilot_n,
        overhead = (lesson::OVERHEAD_FACTOR - 1.0) * 100.0,
        available = estimate.available_bytes.map_or_else(|| "an unknown amount".to_owned(), |b| human_bytes(b as f64)),
    )]
    TooLarge {
        /// The requested N.
        n: u64,
        /// The layout it was requested for.
        layout: crate::ingest::Storage,
        /// The pilot's figures.
        estimate: lesson::MemoryEstimate,
    },
    /// Byte counts need the tracking allocator as the global allocator.
    #[error(
        "slotlab's TrackingAllocator is not this program's #[global_allocator], so byte counts would be zero; install it in the binary"
    )]
    AllocatorNotInstalled,
    /// A value that should be a number was not.
    #[error("object {index}: 'value' is a {type_name}, not a number")]
    NotANumber {
        /// The object's position in the list.
        index: usize,
        /// Its Python type name.
        type_name: &'static str,
    },
    /// The lesson's exercise failed in one layout.
    #[error("seed, {layout} layout")]
    Layout {
        /// The layout.
        layout: crate::ingest::Storage,
        /// What went wrong.
        #[source]
        source: Box<LabError>,
    },
    /// The object model refused an operation.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A baseline compressor failed.
    #[error("the compressor failed")]
    Compress(#[source] std::io::Error),
    /// The event stream refused an event or could not code a chunk.
    #[error(transparent)]
    Stream(#[from] slotlab_stream::StreamError),
    /// A program could not be run for a census, or its change written.
    #[error(transparent)]
    Census(#[from] census::CensusError),
    /// A CPython case could not be measured.
    #[error(transparent)]
    Python(#[from] crate::python::PythonError),
    /// A source of events could not be read.
    #[error(transparent)]
    Source(#[from] slotlab_stream::source::SourceError),
    /// Events could not be made into objects or records.
    #[error(transparent)]
    Sink(#[from] crate::ingest::SinkError),
    /// An ingestion run could not start.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// The stream experiment reads a synthetic source or a CSV file, not
    /// standard input (`ingest` reads that).
    #[error("the stream experiment reads a synthetic source or a CSV file, not standard input")]
    NotAFileSource,
    /// The lesson's exercise builds readings one by one as objects or
    /// records; the stream is not one of its layouts.
    #[error(
        "the lesson's exercise has no {0} layout: it builds table, dict, slots, record or columns"
    )]
    NotALessonLayout(crate::ingest::Storage),
    /// A source gave no events to measure.
    #[error("the source gave no events")]
    NoEvents,
    /// More events asked for than this machine can address.
    #[error("{0} events cannot be held in this machine's address space")]
    TooManyEvents(u64),
    /// More series than the machine's memory holds before any event.
    #[error(
        "{series} series would take about {} before any event is stored, but only {} is available",
        human_bytes(*needed_bytes),
        human_bytes(*available_bytes as f64)
    )]
    TooManySeries {
        /// Series the source names.
        series: u64,
        /// At up to `ingest::bounds::PER_SERIES_BYTES` each.
        needed_bytes: f64,
        /// Memory available.
        available_bytes: u64,
    },
}

pub use crate::measure::system::human_bytes;
