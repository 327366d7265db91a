//! slotlab: object memory layout as an explicit, measured engineering choice.
//!
//! # What
//!
//! A Python lesson teaches that `__slots__` saves memory and time over a
//! per-instance `__dict__`. slotlab builds that lesson for real in Rust:
//!
//! - [`model`]: a dynamic object model with table, dict (CPython 3.11's
//!   shared keys and inline values) and slots layouts that keeps CPython's
//!   attribute semantics and error messages, values packed in one word;
//! - [`measure`]: a tracking global allocator with exact byte counts, repeated
//!   timing with spread, and the result types: [`measure::Measurement`]
//!   (with a typed [`measure::Runtime`]), [`measure::Results`],
//!   [`measure::Suite`];
//! - [`record`]: typed records, `#[derive(Record)]` (slots + dataclass in
//!   one), and [`record::RecordVec`], columnar storage;
//! - [`report`]: renderers for those results, one per output format;
//! - [`python`]: the CPython runner (a fresh interpreter per case);
//! - [`ingest`]: a staged ingestion pipeline into one sink per layout;
//! - [`lab`]: the experiments, each an [`lab::experiment::Experiment`] run
//!   in a [`lab::experiment::Context`].
//!
//! The storage engine (the event stream, its codecs and sources) is its own
//! crate, `slotlab-stream`, re-exported here as [`stream`].
//!
//! Data flows one way: experiment → [`measure::Results`] → report. The
//! library never prints. Modules are layered (ARCHITECTURE.md lists the
//! order; a test enforces it).
//!
//! # Features
//!
//! - `mimalloc` (default): mimalloc as the tracking allocator's backing
//!   allocator ([`measure::alloc::PreferredBacking`]).
//! - `zstd`: the stream experiment's zstd-3 baseline row (a C library).
//!
//! # Quick start
//!
//! ```
//! use slotlab::model::{Class, Instance, Str, Value};
//!
//! let class = Class::builder("Reading").slots(["timestamp", "value"]).build()?;
//! let mut r = Instance::new(&class);
//! r.set_attr(&Str::new("timestamp"), Value::Int(1))?;
//! assert_eq!(r.get_attr("timestamp")?, Value::Int(1));
//! // One pointer-sized class header plus two one-word slots.
//! assert_eq!(class.instance_block_bytes(), 8 + 2 * 8);
//! # Ok::<(), slotlab::model::ModelError>(())
//! ```
//!
//! # Caveats
//!
//! Byte counts need [`measure::TrackingAllocator`] installed as the
//! program's `#[global_allocator]`; experiments refuse to run without it.

#![deny(missing_docs, missing_debug_implementations)]

// Lets `#[derive(Record)]`'s `::slotlab::...` paths resolve inside this crate.
extern crate self as slotlab;

pub mod ingest;
pub mod lab;
pub mod measure;
pub mod model;
pub mod python;
pub mod record;
pub mod report;

/// The storage engine: events, sources, the stream, codecs, the saved file.
pub use slotlab_stream as stream;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
