//! The names of [`Measurement::extra`](super::Measurement::extra) figures,
//! one constant each: experiments write them, claims and renderers read
//! them (`report::EXTRA_COLUMNS`), so a renamed key is a compile error, not
//! a column or a verdict that silently disappears. Families whose names are
//! made per item (`field_0_bytes_per_reading`, a queue's `_mean`/`_max`)
//! are spelled where they are made.

/// Events the pipeline accepted (ingest).
pub const ACCEPTED: &str = "accepted";
/// CPython's `sys.getallocatedblocks()` growth over the window.
pub const ALLOCATED_BLOCKS: &str = "allocated_blocks";
/// The record layouts' data rate as a share of the measured memory bandwidth.
pub const BANDWIDTH_FRACTION: &str = "bandwidth_fraction";
/// Heap blocks a full trace visited (gc, Rust).
pub const BLOCKS_VISITED: &str = "blocks_visited";
/// CPython's collections during the build (gc).
pub const BUILD_COLLECTIONS: &str = "build_collections";
/// The longest collection during the build, in seconds (gc).
pub const BUILD_PAUSE_MAX_S: &str = "build_pause_max_s";
/// The median collection during the build, in seconds (gc).
pub const BUILD_PAUSE_P50_S: &str = "build_pause_p50_s";
/// The 99th-percentile collection during the build, in seconds (gc).
pub const BUILD_PAUSE_P99_S: &str = "build_pause_p99_s";
/// All collections during the build, in seconds (gc).
pub const BUILD_PAUSE_TOTAL_S: &str = "build_pause_total_s";
/// Bytes the sink holds per stored event (ingest).
pub const BYTES_PER_EVENT: &str = "bytes_per_event";
/// Encoded bytes per reading, all columns (stream).
pub const BYTES_PER_READING: &str = "bytes_per_reading";
/// Bytes per object over traced CPython's dict class (compare).
pub const BYTES_VS_CPYTHON_DICT: &str = "bytes_vs_cpython_dict";
/// Bytes per object over traced CPython's slots class (compare).
pub const BYTES_VS_CPYTHON_SLOTS: &str = "bytes_vs_cpython_slots";
/// The checked result of the timed loop (access).
pub const CHECKSUM: &str = "checksum";
/// The rate the record layouts move their data, GB/s (compare).
pub const DATA_GB_PER_S: &str = "data_gb_per_s";
/// Million events decoded per second (stream).
pub const DECODE_M_PER_S: &str = "decode_m_per_s";
/// The median decode of everything, in seconds (stream).
pub const DECODE_MEDIAN_S: &str = "decode_median_s";
/// Events shed at intake because the pipeline was full (ingest).
pub const DROPPED: &str = "dropped";
/// CPython's empty loop, ns per object (access).
pub const EMPTY_LOOP_NS_PER_OBJECT: &str = "empty_loop_ns_per_object";
/// Million events encoded per second (stream).
pub const ENCODE_M_PER_S: &str = "encode_m_per_s";
/// Events stored per second (ingest).
pub const EVENTS_PER_S: &str = "events_per_s";
/// The time to free everything, in seconds (gc).
pub const FREE_PAUSE_S: &str = "free_pause_s";
/// `sys.getsizeof` of an instance's `__dict__`.
pub const GETSIZEOF_DICT: &str = "getsizeof_dict";
/// `sys.getsizeof` of one instance.
pub const GETSIZEOF_INSTANCE: &str = "getsizeof_instance";
/// Bytes the sink holds at the end (ingest).
pub const HELD_BYTES: &str = "held_bytes";
/// The model's per-instance block, in bytes (lesson).
pub const INSTANCE_BLOCK_BYTES: &str = "instance_block_bytes";
/// The median sum of `.value` alone, in seconds.
pub const ITERATE_MEDIAN_S: &str = "iterate_median_s";
/// Bytes of the series keys (stream).
pub const KEY_BYTES: &str = "key_bytes";
/// The longest creation-to-stored latency, µs (ingest).
pub const LATENCY_MAX_US: &str = "latency_max_us";
/// The mean creation-to-stored latency, µs (ingest).
pub const LATENCY_MEAN_US: &str = "latency_mean_us";
/// The median creation-to-stored latency, µs (ingest).
pub const LATENCY_P50_US: &str = "latency_p50_us";
/// The 99.9th-percentile creation-to-stored latency, µs (ingest).
pub const LATENCY_P999_US: &str = "latency_p999_us";
/// The 99th-percentile creation-to-stored latency, µs (ingest).
pub const LATENCY_P99_US: &str = "latency_p99_us";
/// Heap blocks alive at the peak (lesson).
pub const LIVE_BLOCKS: &str = "live_blocks";
/// CPython's ns per operation less its empty loop (access).
pub const NET_NS_PER_OP: &str = "net_ns_per_op";
/// Nanoseconds per object.
pub const NS_PER_OBJECT: &str = "ns_per_object";
/// Nanoseconds per read or write (access).
pub const NS_PER_OP: &str = "ns_per_op";
/// Objects a full trace reached (gc).
pub const OBJECTS_TRACED: &str = "objects_traced";
/// A full pause over CPython's full `gc.collect()` for its slots class (gc).
pub const PAUSE_VS_CPYTHON_SLOTS: &str = "pause_vs_cpython_slots";
/// Reallocations in the window (lesson).
pub const REALLOCATIONS: &str = "reallocations";
/// Lines rejected as not valid events (ingest).
pub const REJECTED: &str = "rejected";
/// Chunks sealed (stream).
pub const SEALED_CHUNKS: &str = "sealed_chunks";
/// Series (sensors, symbols) seen.
pub const SERIES: &str = "series";
/// Events the sink stored (ingest).
pub const STORED: &str = "stored";
/// The sum of `.value`: the checked result of the work.
pub const SUM: &str = "sum";
/// Time over what the data would take at the measured bandwidth (compare).
pub const TIME_VS_BANDWIDTH: &str = "time_vs_bandwidth";
/// Time over untraced CPython's dict class (compare).
pub const TIME_VS_CPYTHON_DICT: &str = "time_vs_cpython_dict";
/// Time over untraced CPython's slots class (compare).
pub const TIME_VS_CPYTHON_SLOTS: &str = "time_vs_cpython_slots";
/// Encoded timestamp bytes per reading (stream).
pub const TIMESTAMP_BYTES_PER_READING: &str = "timestamp_bytes_per_reading";
/// 1 when what was stored was read back and matched, else 0.
pub const VERIFIED: &str = "verified";
