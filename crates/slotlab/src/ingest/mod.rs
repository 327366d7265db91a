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
//!   event stream ([`SinkKind`]).
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

mod feed;
mod json;
mod metrics;
mod parse;
mod sink;

pub use metrics::{LatencySummary, Live, QueueStats};
pub use parse::{BadLine, InputFormat, ParseOptions};
pub use sink::{BLOCK_EVENTS, Sink, SinkKind, event_class, open_sink};

use crate::measure::{AllocScope, alloc};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use feed::{Packet, Plan};
use metrics::{Latency, QueueSampler};
use slotlab_stream::source::{Events, Sensors, Ticks};
use slotlab_stream::{CodecPolicy, Schema, StreamConfig};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

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

/// Where events come from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// A seeded sensor fleet.
    Sensors(Sensors),
    /// A seeded tick feed.
    Ticks(Ticks),
    /// A file of lines.
    File {
        /// The file.
        path: PathBuf,
        /// How its lines are written.
        format: InputFormat,
    },
    /// Standard input, read as it arrives.
    Stdin {
        /// How its lines are written.
        format: InputFormat,
    },
}

impl SourceSpec {
    /// A short description, e.g. `sensors (100, seed 42)`.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Sensors(s) => format!(
                "sensors ({} sensors, a reading per {} ms each, seed {})",
                s.sensors, s.interval_ms, s.seed
            ),
            SourceSpec::Ticks(t) => format!("ticks ({} symbols, seed {})", t.symbols, t.seed),
            SourceSpec::File { path, format } => format!("{} ({format})", path.display()),
            SourceSpec::Stdin { format } => format!("stdin ({format})"),
        }
    }

    /// True for the generated sources.
    pub fn is_synthetic(&self) -> bool {
        matches!(self, SourceSpec::Sensors(_) | SourceSpec::Ticks(_))
    }
}

/// What the source does when the pipeline is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFull {
    /// Wait until there is room (backpressure): nothing is lost.
    Block,
    /// Shed the batch that does not fit, counting its events as dropped.
    Drop,
}

impl std::fmt::Display for OnFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OnFull::Block => "block",
            OnFull::Drop => "drop",
        })
    }
}

/// One ingestion run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Where events come from.
    pub source: SourceSpec,
    /// Where they are stored.
    pub sink: SinkKind,
    /// Stop intake after this many events (lines, for files) have been
    /// taken from the source.
    pub events: Option<u64>,
    /// Stop intake after this long.
    pub duration: Option<Duration>,
    /// Synthetic sources: events per second (`None`: as fast as possible).
    pub rate: Option<f64>,
    /// What the source does when the pipeline is full.
    pub on_full: OnFull,
    /// Batches each channel holds.
    pub queue: usize,
    /// Events per batch (synthetic sources; files batch what one read
    /// returns).
    pub batch: usize,
    /// How lines are parsed.
    pub parse: ParseOptions,
    /// The stream sink's chunking and codecs.
    pub stream: StreamConfig,
    /// Stop intake when the sink holds more than this many bytes
    /// (default: [`default_memory_budget`]).
    pub max_memory: Option<u64>,
    /// A pause after each batch stored: simulates a slow downstream (a
    /// disk, a network) so backpressure and shedding can be watched.
    pub store_delay: Option<Duration>,
    /// Store nothing until intake has ended or a stop is asked for: a sink
    /// that is, for a while, infinitely slow. With it, what backpressure
    /// holds back and what shedding drops no longer depends on how the
    /// threads happen to be scheduled (tests and demonstrations).
    pub hold_store: bool,
    /// Transparent huge pages during the run.
    pub huge_pages: HugePages,
}

/// Transparent huge pages for the process while a run goes on
/// ([`crate::measure::system::set_transparent_huge_pages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HugePages {
    /// Off at a fixed rate (latency counts: a huge-page fault zeroes 2 MiB
    /// at once), on at full speed (throughput counts: fewer faults).
    Auto,
    /// On.
    On,
    /// Off.
    Off,
}

impl HugePages {
    /// Whether huge pages are wanted for a run at `rate`.
    pub fn wanted(self, rate: Option<f64>) -> bool {
        match self {
            HugePages::Auto => rate.is_none(),
            HugePages::On => true,
            HugePages::Off => false,
        }
    }
}

impl IngestConfig {
    /// `source` into `sink` with the defaults: until the source ends or a
    /// stop, as fast as possible, blocking when full, 16 batches of 4,096
    /// events per channel, the stream in 4,096-event chunks with the
    /// hand-written codecs (fast to seal).
    pub fn new(source: SourceSpec, sink: SinkKind) -> Self {
        Self {
            source,
            sink,
            events: None,
            duration: None,
            rate: None,
            on_full: OnFull::Block,
            queue: 16,
            batch: 4096,
            parse: ParseOptions::default(),
            stream: StreamConfig {
                chunk_len: 4096,
                codecs: CodecPolicy::HandWritten,
            },
            max_memory: default_memory_budget(),
            store_delay: None,
            hold_store: false,
            huge_pages: HugePages::Auto,
        }
    }
}

/// The sink's default memory budget: 70 % of the memory available now
/// (`MemAvailable`), leaving room for the batches in flight and the rest
/// of the system; `None` where that cannot be read.
pub fn default_memory_budget() -> Option<u64> {
    crate::measure::system::available_memory_bytes().map(|b| b / 10 * 7)
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

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The input ended, or the `events`/`duration` limit was reached.
    Finished,
    /// A [`Stop`] was requested (Ctrl-C, SIGTERM).
    Stopped,
    /// The sink reached `max_memory`.
    MemoryBudget {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Strict parsing met a bad line.
    Strict(BadLine),
    /// The input could not be read or is not usable (its header).
    SourceFailed(String),
    /// The sink refused an event.
    SinkFailed(String),
}

impl Ended {
    /// True when the run did not end the way it was asked to.
    pub fn is_failure(&self) -> bool {
        !matches!(self, Ended::Finished | Ended::Stopped)
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Ended::Finished => "the input ended or the limit was reached".to_owned(),
            Ended::Stopped => "stopped on request (Ctrl-C or SIGTERM); intake stopped, \
                               everything accepted was stored"
                .to_owned(),
            Ended::MemoryBudget { limit } => format!(
                "the sink reached the memory budget of {} bytes; intake stopped \
                 (raise --max-memory or lower --events/--duration)",
                limit
            ),
            Ended::Strict(bad) => format!(
                "line {}: {} (--strict stops at the first bad line)",
                bad.line, bad.reason
            ),
            Ended::SourceFailed(why) => format!("the source failed: {why}"),
            Ended::SinkFailed(why) => format!("the sink failed: {why}"),
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// Byte counts need the tracking allocator.
    #[error(
        "slotlab's TrackingAllocator is not this program's #[global_allocator], so the sink's \
         bytes could not be counted; install it in the binary"
    )]
    AllocatorNotInstalled,
    /// The input file could not be opened.
    #[error("cannot read {path}: {reason}")]
    Open {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    /// A pipeline thread could not be started.
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, String),
}

/// What one run did, measured.
#[derive(Debug, Clone)]
pub struct IngestRun {
    /// The sink.
    pub sink: SinkKind,
    /// The source, described.
    pub source: String,
    /// The events' fields (`None` when no event was accepted).
    pub schema: Option<Schema>,
    /// Series seen.
    pub series: usize,
    /// Events the parse stage accepted.
    pub accepted: u64,
    /// Events in the sink.
    pub stored: u64,
    /// Events shed at intake because the pipeline was full (`--on-full drop`).
    pub dropped: u64,
    /// Lines rejected by the parse stage.
    pub rejected: u64,
    /// The first rejected lines.
    pub bad: Vec<BadLine>,
    /// From the start until the last accepted event was stored.
    pub elapsed: Duration,
    /// Bytes the sink holds at the end: every byte it allocated and did
    /// not free, counted by the tracking allocator.
    pub held_bytes: u64,
    /// Process-wide peak of requested heap bytes above the start, all
    /// threads (batches in flight included).
    pub peak_bytes: u64,
    /// Creation-to-stored latency of every stored event.
    pub latency: LatencySummary,
    /// Channel source → parse, then parse → store: how full each was
    /// when its consumer took a batch.
    pub queues: [QueueStats; 2],
    /// The stored events read back from the sink: their count and the sum
    /// of their timestamps equal those of the accepted events.
    pub verified: bool,
    /// What the sink has to say (the stream's bytes per column, codecs).
    pub sink_notes: Vec<String>,
    /// Whether transparent huge pages were on (`None`: the system would
    /// not say or change them).
    pub huge_pages: Option<bool>,
    /// How it ended.
    pub ended: Ended,
}

impl IngestRun {
    /// Events stored per second of the run.
    pub fn events_per_s(&self) -> f64 {
        self.stored as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Bytes the sink holds per stored event.
    pub fn bytes_per_event(&self) -> f64 {
        self.held_bytes as f64 / self.stored.max(1) as f64
    }
}

/// State the stages share.
#[derive(Debug)]
struct Shared {
    stop: Stop,
    halt: AtomicBool,
    /// The source stage has returned: nothing more will be accepted.
    intake_ended: AtomicBool,
    ended: Mutex<Option<Ended>>,
    accepted: AtomicU64,
    rejected: AtomicU64,
    dropped: AtomicU64,
    stored: AtomicU64,
    held: AtomicU64,
    queued: [AtomicUsize; 2],
}

impl Shared {
    fn new(stop: Stop) -> Self {
        Self {
            stop,
            halt: AtomicBool::new(false),
            intake_ended: AtomicBool::new(false),
            ended: Mutex::new(None),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            held: AtomicU64::new(0),
            queued: [AtomicUsize::new(0), AtomicUsize::new(0)],
        }
    }

    /// Whether intake should stop.
    fn halted(&self) -> bool {
        self.halt.load(Relaxed) || self.stop.requested()
    }

    /// Stops intake for `why` (the first reason given is kept).
    fn end(&self, why: Ended) {
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        if ended.is_none() {
            *ended = Some(why);
        }
        self.halt.store(true, Relaxed);
    }

    fn ended(&self) -> Ended {
        let ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        match &*ended {
            Some(why) => why.clone(),
            None if self.stop.requested() => Ended::Stopped,
            None => Ended::Finished,
        }
    }

    fn live(&self, elapsed: Duration, capacity: usize) -> Live {
        Live {
            elapsed,
            accepted: self.accepted.load(Relaxed),
            stored: self.stored.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            held_bytes: self.held.load(Relaxed),
            queued: [self.queued[0].load(Relaxed), self.queued[1].load(Relaxed)],
            capacity,
        }
    }
}

/// Puts transparent huge pages back as they were (`Some`: they were
/// changed) when the run is over, however it ends.
struct HugePagesGuard(Option<bool>);

impl Drop for HugePagesGuard {
    fn drop(&mut self) {
        if let Some(before) = self.0 {
            let _ = crate::measure::system::set_transparent_huge_pages(before);
        }
    }
}

/// Nanoseconds from `epoch` to now.
fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Runs `config` until its input ends, its limit is reached or `stop` is
/// requested; `on_tick` gets the live figures once a second.
pub fn run(
    config: &IngestConfig,
    stop: &Stop,
    on_tick: &mut dyn FnMut(&Live),
) -> Result<IngestRun, IngestError> {
    if !alloc::is_installed() {
        return Err(IngestError::AllocatorNotInstalled);
    }
    if config.queue == 0 || config.batch == 0 {
        return Err(IngestError::Config(
            "the queue and batch sizes must be at least 1".to_owned(),
        ));
    }
    if let Some(rate) = config.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(IngestError::Config(format!(
            "--rate {rate}: a rate is a positive number of events per second"
        )));
    }
    let input = feed::Input::open(&config.source)?;
    let wanted = config.huge_pages.wanted(config.rate);
    let huge_pages =
        HugePagesGuard(crate::measure::system::set_transparent_huge_pages(wanted).ok());
    let shared = Arc::new(Shared::new(stop.clone()));
    let (source_tx, source_rx) = crossbeam_channel::bounded::<Packet>(config.queue);
    let (parse_tx, parse_rx) = crossbeam_channel::bounded::<EventBatch>(config.queue);
    let latency = Latency::new();
    let parser = parse::LineParser::new(config.parse.clone(), input.format());

    let scope = AllocScope::start();
    let epoch = Instant::now();
    let plan = Plan {
        events: config.events,
        deadline: config.duration.map(|d| epoch + d),
        rate: config.rate,
        batch: config.batch,
        on_full: config.on_full,
        epoch,
    };
    let spawn = |name: &'static str| thread::Builder::new().name(format!("ingest-{name}"));
    let source = {
        let shared = Arc::clone(&shared);
        spawn("source")
            .spawn(move || {
                input.run(source_tx, &plan, &shared);
                shared.intake_ended.store(true, Relaxed);
                alloc::publish_pending();
            })
            .map_err(|e| IngestError::Thread("source", e.to_string()))?
    };
    let parse = {
        let shared = Arc::clone(&shared);
        spawn("parse")
            .spawn(move || {
                let out = parse_stage(source_rx, parse_tx, parser, &shared);
                alloc::publish_pending();
                out
            })
            .map_err(|e| IngestError::Thread("parse", e.to_string()))?
    };
    let store = {
        let shared = Arc::clone(&shared);
        let store = StoreSettings {
            kind: config.sink,
            stream: config.stream,
            budget: config.max_memory,
            delay: config.store_delay,
            hold: config.hold_store,
        };
        spawn("store")
            .spawn(move || {
                let out = store_stage(parse_rx, store, latency, &shared, epoch);
                alloc::publish_pending();
                out
            })
            .map_err(|e| IngestError::Thread("store", e.to_string()))?
    };

    let mut next_tick = epoch + Duration::from_secs(1);
    while !store.is_finished() {
        thread::sleep(Duration::from_millis(20));
        if Instant::now() >= next_tick {
            on_tick(&shared.live(epoch.elapsed(), config.queue));
            next_tick += Duration::from_secs(1);
        }
    }
    let stored = store
        .join()
        .map_err(|_| IngestError::Thread("store", "it panicked".to_owned()))?;
    let parsed = parse
        .join()
        .map_err(|_| IngestError::Thread("parse", "it panicked".to_owned()))?;
    // A source blocked reading stdin cannot be woken; it holds nothing
    // accepted, so it is left behind.
    if source.is_finished() {
        let _ = source.join();
    }
    if let Some(why) = parsed.failure.clone() {
        shared.end(why);
    }
    let peak_bytes = scope.stats().process_peak_bytes;
    let accepted = shared.accepted.load(Relaxed);
    Ok(IngestRun {
        sink: config.sink,
        source: config.source.describe(),
        schema: parsed.schema,
        series: parsed.series,
        accepted,
        stored: stored.stored,
        dropped: shared.dropped.load(Relaxed),
        rejected: shared.rejected.load(Relaxed),
        bad: parsed.bad,
        elapsed: stored.elapsed,
        held_bytes: stored.held_bytes,
        peak_bytes,
        latency: stored.latency,
        queues: [
            parsed.queue.stats(config.queue),
            stored.queue.stats(config.queue),
        ],
        verified: stored.stored == accepted && stored.timestamp_sum == Some(parsed.timestamp_sum),
        sink_notes: stored.notes,
        huge_pages: huge_pages.0.map(|_| wanted),
        ended: shared.ended(),
    })
}

/// How long a stage keeps polling an empty channel (yielding the CPU
/// between polls) before it sleeps. A sleeping thread's wake-up can take
/// milliseconds on a virtual machine whose idle CPU was halted; while
/// batches keep coming, polling keeps them from waiting for it.
const POLL: Duration = Duration::from_micros(500);

/// The next item of `input`: polled for [`POLL`], then waited for up to
/// `timeout`.
fn receive<T>(input: &Receiver<T>, timeout: Duration) -> Result<T, RecvTimeoutError> {
    let start = Instant::now();
    loop {
        match input.try_recv() {
            Ok(item) => return Ok(item),
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                return Err(RecvTimeoutError::Disconnected);
            }
            Err(crossbeam_channel::TryRecvError::Empty) if start.elapsed() < POLL => {
                thread::yield_now();
            }
            Err(crossbeam_channel::TryRecvError::Empty) => return input.recv_timeout(timeout),
        }
    }
}

/// What the parse stage hands back.
struct Parsed {
    schema: Option<Schema>,
    series: usize,
    bad: Vec<BadLine>,
    timestamp_sum: i64,
    queue: QueueSampler,
    failure: Option<Ended>,
}

/// How long the parse stage waits, after a stop, for a source that sends
/// nothing (one blocked reading stdin).
const STOP_GRACE: Duration = Duration::from_millis(300);

fn parse_stage(
    input: Receiver<Packet>,
    output: Sender<EventBatch>,
    mut parser: parse::LineParser,
    shared: &Shared,
) -> Parsed {
    let mut queue = QueueSampler::default();
    let mut timestamp_sum = 0i64;
    let mut schema = None;
    let mut series = 0usize;
    let mut failure = None;
    let mut quiet_since: Option<Instant> = None;
    loop {
        let packet = match receive(&input, Duration::from_millis(50)) {
            Ok(packet) => packet,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if shared.halted() {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= STOP_GRACE {
                        break;
                    }
                }
                continue;
            }
        };
        quiet_since = None;
        let waiting = input.len();
        queue.sample(waiting);
        shared.queued[0].store(waiting, Relaxed);
        let (batch, stop) = match packet {
            Packet::Events(batch) => (Some(batch), None),
            Packet::Lines(block) => {
                let parsed = parser.parse(&block);
                shared.rejected.store(parser.rejected, Relaxed);
                (parsed.batch, parsed.stop)
            }
        };
        if let Some(batch) = batch.filter(|b| !b.is_empty()) {
            if schema.is_none() {
                schema = Some(batch.events.schema.clone());
            }
            series += batch.events.keys.len();
            timestamp_sum = batch
                .events
                .timestamps
                .iter()
                .fold(timestamp_sum, |sum, &t| sum.wrapping_add(t));
            shared.accepted.fetch_add(batch.len() as u64, Relaxed);
            // Accepted events are never shed: this send waits for room.
            if output.send(batch).is_err() {
                failure = Some(Ended::SinkFailed(
                    "the store stage stopped before the input was drained".to_owned(),
                ));
                break;
            }
        }
        if let Some(why) = stop {
            shared.end(why.clone());
            failure = Some(why);
            break;
        }
    }
    Parsed {
        schema,
        series,
        bad: std::mem::take(&mut parser.bad),
        timestamp_sum,
        queue,
        failure,
    }
}

/// What the store stage hands back.
struct Stored {
    stored: u64,
    held_bytes: u64,
    elapsed: Duration,
    latency: LatencySummary,
    queue: QueueSampler,
    timestamp_sum: Option<i64>,
    notes: Vec<String>,
}

/// What the store stage is told.
#[derive(Debug, Clone, Copy)]
struct StoreSettings {
    kind: SinkKind,
    stream: StreamConfig,
    budget: Option<u64>,
    delay: Option<Duration>,
    hold: bool,
}

fn store_stage(
    input: Receiver<EventBatch>,
    settings: StoreSettings,
    mut latency: Latency,
    shared: &Shared,
    epoch: Instant,
) -> Stored {
    let StoreSettings {
        kind,
        stream,
        budget,
        delay,
        hold,
    } = settings;
    while hold && !(shared.intake_ended.load(Relaxed) || shared.halted()) {
        thread::sleep(Duration::from_millis(1));
    }
    let mut queue = QueueSampler::default();
    let mut sink: Option<Box<dyn Sink>> = None;
    // Bytes the sink allocated minus bytes it freed, call by call.
    let mut held: i64 = 0;
    let mut failed = false;
    loop {
        let batch = match receive(&input, Duration::from_secs(3600)) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => continue,
        };
        let waiting = input.len();
        queue.sample(waiting);
        shared.queued[1].store(waiting, Relaxed);
        if failed {
            continue;
        }
        let scope = AllocScope::start();
        let result = match &mut sink {
            Some(sink) => sink.store(&batch),
            None => open_sink(kind, &batch.events.schema, batch.keyed, stream).and_then(|mut s| {
                let stored = s.store(&batch);
                sink = Some(s);
                stored
            }),
        };
        held += scope.stats().bytes_now;
        drop(scope);
        let count = sink.as_ref().map_or(0, |s| s.len());
        shared.stored.store(count, Relaxed);
        latency.record(&batch.created_ns, nanos_since(epoch));
        let held_now = u64::try_from(held).unwrap_or(0);
        shared.held.store(held_now, Relaxed);
        if let Err(why) = result {
            shared.end(Ended::SinkFailed(why));
            failed = true;
        } else if let Some(limit) = budget.filter(|&limit| held_now > limit) {
            shared.end(Ended::MemoryBudget { limit });
        }
        if let Some(delay) = delay {
            thread::sleep(delay);
        }
    }
    if let Some(sink) = &mut sink
        && !failed
    {
        let scope = AllocScope::start();
        let finished = sink.finish();
        held += scope.stats().bytes_now;
        if let Err(why) = finished {
            shared.end(Ended::SinkFailed(why));
        }
    }
    let elapsed = epoch.elapsed();
    let (stored, timestamp_sum, notes) = match &sink {
        Some(sink) => (sink.len(), sink.timestamp_sum().ok(), sink.notes()),
        None => (0, Some(0), Vec::new()),
    };
    Stored {
        stored,
        held_bytes: u64::try_from(held).unwrap_or(0),
        elapsed,
        latency: latency.summary(),
        queue,
        timestamp_sum,
        notes,
    }
}
