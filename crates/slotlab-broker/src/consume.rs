//! Ingesting from NATS JetStream into a durable store, in two stages: the
//! broker side (`consume/fetch.rs`, its own thread with the client's runtime) holds
//! a lease and a durable pull consumer per partition (`GROUP-<partition>`,
//! so each partition is read in order by one process at a time) and hands
//! each message over in order; the store side (the caller's thread) parses
//! it, appends its events with the message's stream sequence (the store's
//! position for that partition) and syncs at least every
//! `sync_every`, then tells the broker side which messages are settled —
//! only those a sync covers — and the broker side acknowledges them. A
//! redelivered message at or below its partition's durable position is
//! skipped: its events are counted as `duplicates`, never stored twice.

mod fetch;

use crate::nats::{BrokerError, StreamSetup};
use crate::wire;
use bytes::Bytes;
use slotlab_stream::source::Events;
use slotlab_stream::source::lines::{InputFormat, LineOptions, LineReader};
use slotlab_stream::store::{Store, StoreError};
use slotlab_stream::{Schema, SeriesId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What to consume, and when to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumePlan {
    /// The stream (it must exist: `publish` makes it).
    pub setup: StreamSetup,
    /// The partitions this process reads.
    pub partitions: Vec<u32>,
    /// Consumers are named `GROUP-<partition>`.
    pub group: String,
    /// Messages asked for per fetch.
    pub fetch: usize,
    /// Stop once this many events are stored (duplicates not counted).
    pub events: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop when no message has come for this long.
    pub idle: Option<Duration>,
    /// Sync the store at least this often while acknowledgements wait.
    pub sync_every: Duration,
    /// How long the server waits for an acknowledgement before it
    /// delivers a message again.
    pub ack_wait: Duration,
}

/// A message refused: its stream sequence and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its partition.
    pub partition: u32,
    /// Its stream sequence.
    pub sequence: u64,
    /// Why.
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consumed {
    /// Messages received (redeliveries included).
    pub messages: u64,
    /// Events in messages taken for storing.
    pub accepted: u64,
    /// Events stored.
    pub stored: u64,
    /// Events skipped: their message was at or below its partition's
    /// durable position (a redelivery after a restart).
    pub duplicates: u64,
    /// Messages the server had delivered before.
    pub redelivered: u64,
    /// Messages acknowledged (after the sync that covered them).
    pub acked: u64,
    /// Messages refused (terminated, not redelivered), the first few kept.
    pub rejected: u64,
    /// NDJSON lines refused in messages otherwise taken (their reasons
    /// among the first refusals).
    pub refused_lines: u64,
    /// The first refusals: messages, and NDJSON lines refused alone.
    pub first_rejected: Vec<Rejected>,
    /// Per partition, messages still pending at the end (consumer info).
    pub pending: Vec<(u32, u64)>,
    /// Publish-to-durable latency of each acknowledged message, ns.
    pub latencies_ns: Vec<u64>,
    /// Start to the last acknowledgement (a wait for messages that never
    /// came, --idle, left out).
    pub seconds: f64,
    /// Why the run ended.
    pub ended: &'static str,
    /// Fetches that failed and were tried again.
    pub fetch_failures: u64,
    /// Acknowledgements that could not be sent (their messages come again
    /// and are skipped as duplicates).
    pub ack_failures: u64,
}

impl Consumed {
    /// Keeps a refusal's reason among the first ten.
    fn note_refusal(&mut self, partition: u32, sequence: u64, reason: String) {
        if self.first_rejected.len() < 10 {
            self.first_rejected.push(Rejected {
                partition,
                sequence,
                reason,
            });
        }
    }
}

/// Why consuming failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsumeError {
    /// The broker failed.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The store failed (what was durable stays; unacknowledged messages
    /// come again).
    #[error("the store")]
    Store(#[from] StoreError),
}

fn stream_error(
    setup: &StreamSetup,
    e: impl std::error::Error + Send + Sync + 'static,
) -> ConsumeError {
    BrokerError::stream(&setup.name, e).into()
}

/// The store's position name for a partition.
pub fn position_name(setup: &StreamSetup, partition: u32) -> String {
    format!("nats:{}:{partition}", setup.name)
}

/// A message handed from the broker side to the store side.
#[derive(Debug)]
struct Delivery {
    /// Its place in the order of hand-over (from 1).
    token: u64,
    partition: u32,
    sequence: u64,
    payload: Bytes,
}

/// The store side's word to the broker side: every message up to `through`
/// is settled (its events durable, or skipped as duplicates); `refused`
/// ones are terminated instead of acknowledged.
#[derive(Debug, Default)]
struct Settled {
    through: u64,
    refused: Vec<u64>,
}

/// Messages handed over and waiting on the store side at most.
const HANDED: usize = 256;

/// Consumes as `plan` says into the store `open` opens (given the first
/// message's schema), until `stop` is set or a limit is reached; the store
/// is closed at the end. `on_tick` sees the store side's counts (accepted,
/// stored, duplicates, refusals) about once a second.
pub fn run(
    url: &str,
    plan: &ConsumePlan,
    open: impl FnOnce(&Schema) -> Result<Store, StoreError>,
    stop: &AtomicBool,
    on_tick: &mut dyn FnMut(&Consumed),
) -> Result<Consumed, ConsumeError> {
    let (to_store, deliveries) = std::sync::mpsc::sync_channel(HANDED);
    let (settle, settled) = tokio::sync::mpsc::unbounded_channel();
    let enough = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let broker = std::thread::Builder::new()
            .name("nats-consume".into())
            .spawn_scoped(scope, || {
                crate::nats::runtime()?
                    .block_on(fetch::run(url, plan, to_store, settled, stop, &enough))
            })
            .map_err(BrokerError::Runtime)?;
        let stored = store_side(plan, open, &deliveries, &settle, &enough, on_tick);
        drop(deliveries);
        drop(settle);
        let fetched = broker.join().map_err(|_| BrokerError::Stopped)??;
        let mut out = stored?;
        out.messages = fetched.messages;
        out.redelivered = fetched.redelivered;
        out.acked = fetched.acked;
        out.pending = fetched.pending;
        out.latencies_ns = fetched.latencies_ns;
        out.seconds = fetched.seconds;
        out.fetch_failures = fetched.fetch_failures;
        out.ack_failures = fetched.ack_failures;
        out.ended = fetched.ended.unwrap_or(out.ended);
        Ok(out)
    })
}

/// What the store side keeps per partition: its position's name in the
/// store, and the reader of its NDJSON messages (their line numbers run on
/// across messages) with the series keys it has seen — a block's events
/// name only the keys new to the reader, their series indices running on
/// from the earlier blocks'.
struct Partition {
    position: String,
    reader: Option<LineReader>,
    line: u64,
    keys: Vec<String>,
    local: Vec<u32>,
}

impl Partition {
    fn new(position: String) -> Self {
        Self {
            position,
            reader: None,
            line: 0,
            keys: Vec::new(),
            local: Vec::new(),
        }
    }

    /// Makes a block's events name their own keys (indices into the keys
    /// they use), as a wire batch's do.
    fn own_keys(&mut self, events: &mut Events) {
        self.keys.append(&mut events.keys);
        self.local.clear();
        self.local.resize(self.keys.len(), u32::MAX);
        for s in &mut events.series {
            let at = &mut self.local[*s as usize];
            if *at == u32::MAX {
                *at = events.keys.len() as u32;
                events.keys.push(self.keys[*s as usize].clone());
            }
            *s = *at;
        }
    }
}

/// A message's events, how many of its NDJSON lines were refused and the
/// first reasons (the same line rules as files: a bad line is refused
/// alone), or why it has no events.
fn decode(payload: &[u8], part: &mut Partition) -> Result<(Events, u64, Vec<String>), String> {
    if payload.first() == Some(&b'{') {
        let reader = part
            .reader
            .get_or_insert_with(|| LineReader::new(InputFormat::Ndjson, LineOptions::default()));
        let (before, kept) = (reader.rejected(), reader.bad_lines().len());
        let mut events = None;
        reader
            .read_block(part.line + 1, payload, &mut events)
            .map_err(|e| e.to_string())?;
        part.line += payload.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let bad = reader.rejected() - before;
        let reasons: Vec<String> = reader.bad_lines()[kept.min(reader.bad_lines().len())..]
            .iter()
            .map(ToString::to_string)
            .collect();
        if let Some(events) = events.as_mut() {
            part.own_keys(events);
        }
        return match events.filter(|e| !e.is_empty()) {
            Some(e) => Ok((e, bad, reasons)),
            None => Err(format!(
                "{bad} NDJSON lines, none an event: {}",
                reasons.last().cloned().unwrap_or_default()
            )),
        };
    }
    wire::decode(payload)
        .map(|e| (e, 0, Vec::new()))
        .map_err(|e| e.to_string())
}

/// Field names, for a refusal.
fn names(schema: &Schema) -> Vec<&str> {
    schema.fields().iter().map(|f| f.name.as_str()).collect()
}

/// The store side: parses, appends and syncs what the broker side hands
/// over, and tells it what is settled; ends when the broker side stops
/// handing over (after a last sync) or the store fails.
fn store_side(
    plan: &ConsumePlan,
    open: impl FnOnce(&Schema) -> Result<Store, StoreError>,
    deliveries: &Receiver<Delivery>,
    settle: &tokio::sync::mpsc::UnboundedSender<Settled>,
    enough: &AtomicBool,
    on_tick: &mut dyn FnMut(&Consumed),
) -> Result<Consumed, ConsumeError> {
    let mut next_tick = Instant::now() + Duration::from_secs(1);
    let mut open = Some(open);
    let mut store: Option<Store> = None;
    let mut partitions: HashMap<u32, Partition> = HashMap::new();
    let mut ids: Vec<SeriesId> = Vec::new();
    let mut keys: Vec<SeriesId> = Vec::new();
    let mut out = Consumed {
        ended: "stopped on request",
        ..Consumed::default()
    };
    // Handed-over messages not yet settled: (token, events appended up to
    // them); and the refused among them.
    let mut waiting: std::collections::VecDeque<(u64, u64)> = Default::default();
    let mut refused: Vec<u64> = Vec::new();
    let mut last_sync = Instant::now();
    loop {
        let wait = plan
            .sync_every
            .saturating_sub(last_sync.elapsed())
            .max(Duration::from_millis(1));
        let delivery = match deliveries.recv_timeout(wait) {
            Ok(d) => Some(d),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let idle = delivery.is_none();
        if let Some(d) = delivery {
            let mut refuse = |reason: String, out: &mut Consumed| {
                refused.push(d.token);
                out.rejected += 1;
                out.note_refusal(d.partition, d.sequence, reason);
            };
            let part = partitions
                .entry(d.partition)
                .or_insert_with(|| Partition::new(position_name(&plan.setup, d.partition)));
            match decode(&d.payload, part) {
                Err(reason) => refuse(reason, &mut out),
                Ok((events, bad, bad_lines)) => {
                    out.refused_lines += bad;
                    for reason in bad_lines {
                        out.note_refusal(d.partition, d.sequence, reason);
                    }
                    if store.is_none() {
                        let open = open.take().ok_or(BrokerError::Stopped)?;
                        store = Some(open(&events.schema)?);
                    }
                    let Some(s) = store.as_mut() else { break };
                    let position = &part.position;
                    let n = events.len() as u64;
                    if events.schema != *s.stream().schema() {
                        let reason = format!(
                            "fields {:?}, the store's {:?}",
                            names(&events.schema),
                            names(s.stream().schema())
                        );
                        refuse(reason, &mut out);
                    } else if s.position(position).is_some_and(|at| d.sequence <= at) {
                        out.duplicates += n;
                    } else {
                        keys.clear();
                        for k in &events.keys {
                            keys.push(s.series(k)?);
                        }
                        ids.clear();
                        ids.extend(events.series.iter().map(|&i| keys[i as usize]));
                        out.stored += append_message(s, &ids, &events, position, d.sequence)?;
                        out.accepted += n;
                        if plan.events.is_some_and(|limit| out.stored >= limit) {
                            enough.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
            let upto = store.as_ref().map_or(0, Store::appended);
            waiting.push_back((d.token, upto));
        }
        let synced = match store.as_mut() {
            Some(s) if s.durable() < s.appended() && last_sync.elapsed() >= plan.sync_every => {
                s.sync()?;
                last_sync = Instant::now();
                true
            }
            _ => false,
        };
        if Instant::now() >= next_tick {
            on_tick(&out);
            next_tick += Duration::from_secs(1);
        }
        if synced || idle {
            let durable = store.as_ref().map_or(0, Store::durable);
            send_settled(&mut waiting, &mut refused, durable, settle);
        }
    }
    // Drain: everything durable and settled, the store closed.
    if let Some(mut s) = store {
        s.sync()?;
        send_settled(&mut waiting, &mut refused, s.durable(), settle);
        s.close()?;
    } else {
        send_settled(&mut waiting, &mut refused, 0, settle);
    }
    Ok(out)
}

/// Appends a message's events (`ids` their series in the store) with its
/// sequence as `position`; an event older than its series' last is refused
/// alone and the rest still taken. Events stored.
fn append_message(
    s: &mut Store,
    ids: &[SeriesId],
    events: &Events,
    position: &str,
    sequence: u64,
) -> Result<u64, StoreError> {
    let (mut start, mut stored) = (0, 0);
    while start < events.len() {
        let before = s.stream().len();
        let appended = s.append_batch_at(
            ids,
            &events.batch,
            start..events.len(),
            Some((position, sequence)),
        );
        let taken = s.stream().len() - before;
        stored += taken as u64;
        match appended {
            Ok(()) => break,
            Err(StoreError::Stream(_)) => start += taken + 1,
            Err(e) => return Err(e),
        }
    }
    Ok(stored)
}

/// Tells the broker side which messages are settled: those whose events
/// are all durable (a prefix, since they were appended in order).
fn send_settled(
    waiting: &mut std::collections::VecDeque<(u64, u64)>,
    refused: &mut Vec<u64>,
    durable: u64,
    settle: &tokio::sync::mpsc::UnboundedSender<Settled>,
) {
    let mut through = None;
    while let Some(&(token, upto)) = waiting.front() {
        if upto > durable {
            break;
        }
        through = Some(token);
        waiting.pop_front();
    }
    if let Some(through) = through {
        let (now, later): (Vec<u64>, Vec<u64>) = refused.iter().partition(|&&t| t <= through);
        *refused = later;
        // The broker side gone: what is durable stays, and its messages
        // come again as duplicates.
        let _ = settle.send(Settled {
            through,
            refused: now,
        });
    }
}
