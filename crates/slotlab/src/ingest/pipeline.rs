//! The pipeline itself: three named threads joined by bounded channels,
//! started, watched and drained by [`run`].

use super::config::describe_source;
use super::feed::{self, Packet, Plan};
use super::metrics::{Latency, QueueSampler};
use super::shared::{Shared, nanos_since};
use super::{
    BadLine, Ended, EventBatch, IngestConfig, IngestError, IngestRun, LatencySummary, Live, OnFull,
    Sink, SinkError, Stop, Storage, open_sink, parse,
};
use crate::measure::{AllocScope, alloc};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use slotlab_stream::source::lines::Reject;
use slotlab_stream::{Schema, StreamConfig};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::thread;
use std::time::{Duration, Instant};

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
        return Err(IngestError::EmptyQueueOrBatch);
    }
    if let Some(rate) = config.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(IngestError::BadRate(rate));
    }
    super::bounds::check(config, None)?;
    let input = feed::Input::open(&config.source, config.input_format(), &config.parse)?;
    let wanted = config.huge_pages.wanted(config.rate);
    let huge_pages =
        HugePagesGuard(crate::measure::system::set_transparent_huge_pages(wanted).ok());
    let shared = Arc::new(Shared::new(stop.clone()));
    let (source_tx, source_rx) = crossbeam_channel::bounded::<Packet>(config.queue);
    let (parse_tx, parse_rx) = crossbeam_channel::bounded::<EventBatch>(config.queue);
    let latency = Latency::new();
    // Buffers of blocks parsed go back to the source for later blocks.
    let (spare_tx, spare_rx) = crossbeam_channel::bounded::<Vec<u8>>(config.queue + 8);
    let parser = parse::LineParser::new(config.parse.clone(), input.format(), config.parse_threads)
        .recycling_into(spare_tx);

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
                input.run(source_tx, spare_rx, &plan, &shared);
                shared.intake_ended.store(true, Relaxed);
                alloc::publish_pending();
            })
            .map_err(|source| IngestError::Thread {
                stage: "source",
                source,
            })?
    };
    let parse = {
        let shared = Arc::clone(&shared);
        let on_full = config.on_full;
        spawn("parse")
            .spawn(move || {
                let out = parse_stage(source_rx, parse_tx, parser, on_full, &shared);
                alloc::publish_pending();
                out
            })
            .map_err(|source| IngestError::Thread {
                stage: "parse",
                source,
            })?
    };
    // Dropped when the store stage ends (returning or unwinding), which
    // wakes the wait below at once (it slept 20 ms between looks, ~10 ms
    // added to every run).
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(0);
    let store = {
        let shared = Arc::clone(&shared);
        let store = StoreSettings {
            kind: config.sink,
            stream: config.stream,
            store: config.store.clone(),
            budget: config.max_memory,
            delay: config.store_delay,
            hold: config.hold_store,
            seal_threads: config.parse_threads,
        };
        spawn("store")
            .spawn(move || {
                let out = store_stage(parse_rx, store, latency, &shared, epoch);
                alloc::publish_pending();
                drop(done_tx);
                out
            })
            .map_err(|source| IngestError::Thread {
                stage: "store",
                source,
            })?
    };

    let mut next_tick = epoch + Duration::from_secs(1);
    while done_rx.recv_deadline(next_tick) == Err(RecvTimeoutError::Timeout) {
        on_tick(&shared.live(epoch.elapsed(), config.queue));
        next_tick += Duration::from_secs(1);
    }
    let stored = store.join().map_err(|_| IngestError::Panicked("store"))?;
    let parsed = parse.join().map_err(|_| IngestError::Panicked("parse"))?;
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
        source: describe_source(&config.source, config.input_format()),
        schema: parsed.schema,
        series: parsed.series,
        accepted,
        stored: stored.stored,
        dropped: shared.dropped.load(Relaxed),
        rejected: shared.rejected.load(Relaxed),
        bad: parsed.bad,
        rejects: parsed.rejects,
        naive_times_as_utc: parsed.naive_times_as_utc,
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
    rejects: Vec<Reject>,
    naive_times_as_utc: bool,
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
    on_full: OnFull,
    shared: &Shared,
) -> Parsed {
    let mut queue = QueueSampler::default();
    let mut forward = Forward {
        output,
        on_full,
        shared,
        timestamp_sum: 0,
        schema: None,
        series: 0,
        unsent_keys: Vec::new(),
        rejects: Vec::new(),
        failure: None,
    };
    let mut quiet_since: Option<Instant> = None;
    let mut input_over = false;
    'stage: loop {
        // Blocks the workers have finished go on in order; while they hold
        // as many as they should, or the input is over, wait for the oldest.
        while let Some(outcome) = parser.next(input_over || parser.full()) {
            if !forward.settled(outcome, &mut parser) {
                break 'stage;
            }
        }
        if input_over {
            break;
        }
        // With blocks at the workers, come back soon for them.
        let wait = if parser.in_flight() > 0 {
            Duration::from_millis(1)
        } else {
            Duration::from_millis(50)
        };
        let packet = match receive(&input, wait) {
            Ok(packet) => packet,
            Err(RecvTimeoutError::Disconnected) => {
                input_over = true;
                continue;
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.halted() && parser.in_flight() == 0 {
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
        match packet {
            Packet::Events(batch) => {
                if !forward.send(Some(batch), false) {
                    break;
                }
            }
            Packet::Lines(block) => parser.submit(block),
        }
    }
    Parsed {
        schema: forward.schema,
        series: forward.series,
        bad: parser.bad_lines(),
        rejects: forward.rejects,
        naive_times_as_utc: parser.saw_naive_time(),
        timestamp_sum: forward.timestamp_sum,
        queue,
        failure: forward.failure,
    }
}

/// The parse stage's hand-over to the store stage, and its tallies.
struct Forward<'s> {
    output: Sender<EventBatch>,
    on_full: OnFull,
    shared: &'s Shared,
    timestamp_sum: i64,
    schema: Option<Schema>,
    series: usize,
    /// Keys of new series in shed batches go with the next batch sent.
    unsent_keys: Vec<String>,
    /// Every rejected line with its text (with `--rejects`).
    rejects: Vec<Reject>,
    /// Why the stage stopped early.
    failure: Option<Ended>,
}

impl Forward<'_> {
    /// Hands on a block of lines' `outcome`, `parser`'s counts taken after
    /// it; false when the stage must stop.
    fn settled(&mut self, outcome: parse::BlockOutcome, parser: &mut parse::LineParser) -> bool {
        self.shared.rejected.store(parser.rejected(), Relaxed);
        self.rejects.append(&mut parser.take_rejects());
        let go_on = self.send(outcome.batch, true);
        if let Some(why) = outcome.stop {
            self.shared.end(why.clone());
            self.failure = Some(why);
            return false;
        }
        go_on
    }

    /// Hands `batch` on (`parsed_here`: made from lines, which
    /// `--on-full drop` may shed); false when the store stage is gone.
    fn send(&mut self, batch: Option<EventBatch>, parsed_here: bool) -> bool {
        let Some(mut batch) = batch.filter(|b| !b.is_empty()) else {
            return true;
        };
        if self.schema.is_none() {
            self.schema = Some(batch.events.schema.clone());
        }
        if !self.unsent_keys.is_empty() {
            self.unsent_keys.append(&mut batch.events.keys);
            batch.events.keys = std::mem::take(&mut self.unsent_keys);
        }
        let (events, new_keys) = (batch.len() as u64, batch.events.keys.len());
        let batch_sum = batch
            .events
            .batch
            .timestamps
            .iter()
            .fold(0i64, |sum, &t| sum.wrapping_add(t));
        // Parsed lines are shed here under --on-full drop (the source
        // never sheds them, so a bad line is rejected in either mode);
        // accepted events are never shed after this point.
        let sent = if parsed_here && self.on_full == OnFull::Drop {
            match self.output.try_send(batch) {
                Ok(()) => Ok(true),
                Err(crossbeam_channel::TrySendError::Full(shed)) => {
                    self.shared.dropped.fetch_add(events, Relaxed);
                    self.unsent_keys = shed.events.keys;
                    Ok(false)
                }
                Err(crossbeam_channel::TrySendError::Disconnected(_)) => Err(()),
            }
        } else {
            self.output.send(batch).map(|()| true).map_err(|_| ())
        };
        match sent {
            Ok(true) => {
                self.series += new_keys;
                self.timestamp_sum = self.timestamp_sum.wrapping_add(batch_sum);
                self.shared.accepted.fetch_add(events, Relaxed);
                true
            }
            Ok(false) => true,
            Err(()) => {
                self.failure = Some(Ended::SinkFailed(SinkError::StoppedEarly));
                false
            }
        }
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
#[derive(Debug, Clone)]
struct StoreSettings {
    kind: Storage,
    stream: StreamConfig,
    store: Option<super::StoreSpec>,
    budget: Option<u64>,
    delay: Option<Duration>,
    hold: bool,
    /// Threads that seal the stream's open heads once the input is drained
    /// (the parse threads', idle by then).
    seal_threads: usize,
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
        store,
        budget,
        delay,
        hold,
        seal_threads,
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
            None => open_sink(
                kind,
                &batch.events.schema,
                batch.keyed,
                stream,
                seal_threads,
                store.as_ref(),
            )
            .and_then(|mut s| {
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
