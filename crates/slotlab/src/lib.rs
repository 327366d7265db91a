//! slotlab: object memory layout as an explicit, measured engineering choice.
//!
//! # What
//!
//! A Python lesson teaches that `__slots__` saves memory and time over a
//! per-instance `__dict__`. slotlab builds that lesson for real in Rust:
//!
//! - [`model`]: a dynamic object model with dict and slots layouts that keeps
//!   CPython's attribute semantics and error messages;
//! - [`measure`]: a tracking global allocator with exact byte counts, repeated
//!   timing with spread, and the [`measure::Measurement`] record;
//! - [`record`]: typed records, `#[derive(Record)]` (slots + dataclass in
//!   one), and [`record::RecordVec`], columnar storage;
//! - [`lab`]: the experiments, each returning measurements;
//! - [`report`]: renderers for those measurements.
//!
//! Data flows one way: experiment → `Vec<Measurement>` → report. The library
//! never prints.
//!
//! # Quick start
//!
//! ```
//! use slotlab::model::{Class, Instance, Str, Value};
//!
//! let class = Class::builder("Reading").slots(["timestamp", "value"]).build()?;
//! let mut r = Instance::new(&class);
//! r.set_attr(&Str::new("timestamp"), Value::Int(1))?;
//! assert_eq!(r.get_attr("timestamp")?, &Value::Int(1));
//! // One pointer-sized class header plus two 16-byte slots.
//! assert_eq!(class.instance_block_bytes(), 8 + 2 * 16);
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

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
