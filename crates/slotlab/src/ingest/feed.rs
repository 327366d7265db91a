//! The source stage: generates events or reads lines, stamps them with
//! their creation instant and offers them to the pipeline.

use super::shared::{Shared, nanos_since};
use super::{Ended, SourceFailure};
use super::{EventBatch, IngestError, InputFormat, OnFull};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use slotlab_stream::source::blocks::{BlockError, LineBlocks, MAX_BLOCK_LINE_BYTES};
use slotlab_stream::source::{Lesson, Replay, Sensors, SourceSpec, SyntheticSource, Ticks};
use std::fs::File;
use std::io::Read;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// What travels from the source to the parse stage.
#[derive(Debug)]
pub(super) enum Packet {
    /// Typed events (synthetic sources): the parse stage passes them on.
    Events(EventBatch),
    /// Whole lines of text to parse.
    Lines(LineBlock),
}

/// Whole lines read together.
#[derive(Debug)]
pub(super) struct LineBlock {
    /// The lines, each ending in `\n` (the input's last may not).
    pub text: Vec<u8>,
    /// The first line's number in the input, from 1.
    pub first_line: u64,
    /// When they were read, in nanoseconds since the run began.
    pub created_ns: u64,
}

/// What the source is asked to do.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    pub events: Option<u64>,
    pub deadline: Option<Instant>,
    pub rate: Option<f64>,
    pub batch: usize,
    pub on_full: OnFull,
    pub epoch: Instant,
}

impl Plan {
    fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Events stamped with one reading of the clock (synthetic sources at
/// full speed: reading the clock per event would cost more than making it).
const STAMP_EVERY: usize = 256;
/// A rate-limited source sends at most one partial batch per linger: at
/// 1M events/s, batches of ~100 events rather than a batch per wake-up
/// (tens of thousands a second, each costing every stage a wake-up).
const LINGER: Duration = Duration::from_micros(100);
/// Longest sleep of a rate-limited source, so a stop is seen promptly.
const MAX_NAP: Duration = Duration::from_millis(10);

/// An opened source, ready to run on its own thread.
#[derive(Debug)]
pub(super) enum Input {
    Lesson(Lesson),
    Sensors(Sensors),
    Ticks(Ticks),
    /// A Parquet file, read whole when opened, replayed in order.
    Replay(Replay),
    File(File, InputFormat),
    Stdin(InputFormat),
}

impl Input {
    /// Opens `spec` (a file is opened here, so a missing one is reported
    /// before any thread starts).
    pub fn open(
        spec: &SourceSpec,
        format: InputFormat,
        parse: &super::ParseOptions,
    ) -> Result<Self, IngestError> {
        Ok(match spec {
            SourceSpec::Lesson => Input::Lesson(Lesson::default()),
            SourceSpec::Sensors(s) => Input::Sensors(s.clone()),
            SourceSpec::Ticks(t) => Input::Ticks(t.clone()),
            SourceSpec::File(path) if slotlab_stream::source::blocks::is_parquet(path) => {
                let read = slotlab_stream::source::parquet::read_parquet(path, parse)
                    .map_err(|source| IngestError::Parquet { source })?;
                Input::Replay(Replay::new(read.events))
            }
            SourceSpec::File(path) => {
                let mut file = File::open(path).map_err(|source| IngestError::Open {
                    path: path.clone(),
                    source,
                })?;
                if file.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(IngestError::Directory { path: path.clone() });
                }
                if slotlab_stream::source::blocks::is_saved_stream(&mut file) {
                    return Err(IngestError::SavedStream { path: path.clone() });
                }
                Input::File(file, format)
            }
            SourceSpec::Stdin => Input::Stdin(format),
            _ => return Err(IngestError::UnknownSource),
        })
    }

    /// How lines are written (synthetic sources have none).
    pub fn format(&self) -> InputFormat {
        match self {
            Input::File(_, format) | Input::Stdin(format) => *format,
            Input::Lesson(_) | Input::Sensors(_) | Input::Ticks(_) | Input::Replay(_) => {
                InputFormat::Ndjson
            }
        }
    }

    /// Feeds the pipeline until the input ends, the plan's limit or a stop;
    /// lines are read into the buffers `spare` brings back where it can.
    pub fn run(self, out: Sender<Packet>, spare: Receiver<Vec<u8>>, plan: &Plan, shared: &Shared) {
        match self {
            Input::Lesson(l) => generate(l, &out, plan, shared),
            Input::Sensors(s) => generate(s, &out, plan, shared),
            Input::Ticks(t) => generate(t, &out, plan, shared),
            Input::Replay(r) => generate(r, &out, plan, shared),
            Input::File(file, _) => read_lines(file, &out, &spare, plan, shared),
            Input::Stdin(_) => read_lines(std::io::stdin().lock(), &out, &spare, plan, shared),
        }
    }
}

/// Hands `packet` (of `events` events) to the pipeline: waits for room,
/// or sheds it and counts it. False when the pipeline is gone.
fn offer(
    out: &Sender<Packet>,
    packet: Packet,
    events: u64,
    on_full: OnFull,
    shared: &Shared,
) -> Offered {
    match on_full {
        OnFull::Block => match out.send(packet) {
            Ok(()) => Offered::Sent,
            Err(_) => Offered::Closed,
        },
        OnFull::Drop => match out.try_send(packet) {
            Ok(()) => Offered::Sent,
            Err(TrySendError::Full(_)) => {
                shared.dropped.fetch_add(events, Relaxed);
                Offered::Dropped
            }
            Err(TrySendError::Disconnected(_)) => Offered::Closed,
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Offered {
    Sent,
    Dropped,
    Closed,
}

/// Runs a synthetic source.
fn generate<S: SyntheticSource>(mut source: S, out: &Sender<Packet>, plan: &Plan, shared: &Shared) {
    let schema = source.schema();
    // Every key goes with the first batch that reaches the pipeline.
    let mut keys = source.keys();
    let mut produced = 0u64;
    let mut last_send = Duration::ZERO;
    loop {
        if shared.halted() || plan.expired() {
            return;
        }
        let mut n = plan.batch as u64;
        if let Some(left) = source.remaining() {
            n = n.min(left);
            if n == 0 {
                return;
            }
        }
        if let Some(limit) = plan.events {
            n = n.min(limit.saturating_sub(produced));
            if n == 0 {
                return;
            }
        }
        if let Some(rate) = plan.rate {
            let now = plan.epoch.elapsed();
            let ready = ((now.as_secs_f64() * rate) as u64).saturating_sub(produced);
            // Wait for the next event, and, short of a full batch, for the
            // linger to pass since the last send: fewer, fuller batches.
            if ready < n {
                let next = Duration::from_secs_f64((produced + 1) as f64 / rate);
                let wake = next.max(last_send + LINGER);
                if wake > now {
                    std::thread::sleep((wake - now).min(MAX_NAP));
                    continue;
                }
            }
            n = n.min(ready);
            if n == 0 {
                continue;
            }
            last_send = now;
        }
        let n = n as usize;
        let mut batch = EventBatch::new(schema.clone(), true, n);
        batch.events.keys.clone_from(&keys);
        match plan.rate {
            // Each event is stamped with the instant it was due, not when
            // it was made: a late source shows up as latency.
            Some(rate) => {
                source.fill(&mut batch.events, n);
                let ns_per_event = 1e9 / rate;
                batch.created_ns.extend(
                    (produced..produced + n as u64).map(|i| (i as f64 * ns_per_event) as u64),
                );
            }
            None => {
                let mut left = n;
                while left > 0 {
                    let step = left.min(STAMP_EVERY);
                    source.fill(&mut batch.events, step);
                    let now = nanos_since(plan.epoch);
                    batch.created_ns.extend(std::iter::repeat_n(now, step));
                    left -= step;
                }
            }
        }
        produced += n as u64;
        match offer(out, Packet::Events(batch), n as u64, plan.on_full, shared) {
            Offered::Sent => keys.clear(),
            Offered::Dropped => {}
            Offered::Closed => return,
        }
    }
}

/// Reads whole lines from `input` in blocks (the stream crate's
/// [`LineBlocks`]: the one way a file or stdin is read). Blocks are never
/// shed here: with `--on-full drop` the parse stage sheds parsed events,
/// so a bad line is counted as rejected whatever the mode.
fn read_lines(
    input: impl Read,
    out: &Sender<Packet>,
    spare: &Receiver<Vec<u8>>,
    plan: &Plan,
    shared: &Shared,
) {
    let mut blocks = LineBlocks::new(input);
    loop {
        if shared.halted() || plan.expired() {
            return;
        }
        // A buffer the parse stage is done with holds the next block: one
        // taken per block read, the rest left waiting in the channel (taken
        // all at once, those past the blocks' few spares were dropped, and
        // later blocks faulted in fresh pages).
        if let Ok(buffer) = spare.try_recv() {
            blocks.recycle(buffer);
        }
        let lines_before = blocks.lines_read();
        let mut block = match blocks.next_block() {
            Ok(Some(block)) => block,
            Ok(None) => return,
            Err(BlockError::NotLines { line }) => {
                shared.end(Ended::SourceFailed(SourceFailure::LineTooLong {
                    line,
                    max_mib: MAX_BLOCK_LINE_BYTES >> 20,
                }));
                return;
            }
            Err(BlockError::Read { line, source }) => {
                shared.end(Ended::SourceFailed(SourceFailure::Read {
                    line,
                    source: std::sync::Arc::new(source),
                }));
                return;
            }
            Err(other) => {
                shared.end(Ended::SourceFailed(SourceFailure::Read {
                    line: lines_before,
                    source: std::sync::Arc::new(std::io::Error::other(other)),
                }));
                return;
            }
        };
        let mut last_block = false;
        if let Some(limit) = plan.events {
            let room = limit.saturating_sub(lines_before);
            if block.lines >= room {
                // Keep the first `room` lines.
                let cut = block
                    .text
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .nth(room.saturating_sub(1) as usize)
                    .map_or(block.text.len(), |(i, _)| i + 1);
                block.text.truncate(if room == 0 { 0 } else { cut });
                block.lines = room;
                last_block = true;
            }
        }
        if block.lines == 0 {
            return;
        }
        let packet = Packet::Lines(LineBlock {
            text: block.text,
            first_line: block.first_line,
            created_ns: nanos_since(plan.epoch),
        });
        if offer(out, packet, block.lines, OnFull::Block, shared) == Offered::Closed || last_block {
            return;
        }
    }
}
