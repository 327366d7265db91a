//! Ingesting from NATS JetStream into a durable store: one durable pull
//! consumer per partition (`GROUP-<partition>`), so each partition is read
//! in order by one process at a time; a message's events are appended to
//! the store together with the message's stream sequence (the store's
//! position for that partition), and the message is acknowledged only once
//! a sync covers them. A redelivered message at or below its partition's
//! durable position is acknowledged and skipped: its events are counted as
//! `duplicates`, never stored twice.

use crate::lease::Leases;
use crate::nats::{BrokerError, StreamSetup};
use crate::wire;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures_util::StreamExt as _;
use slotlab_stream::source::Events;
use slotlab_stream::source::lines::{InputFormat, LineOptions, LineReader};
use slotlab_stream::store::{Store, StoreError};
use slotlab_stream::{Schema, SeriesId};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The first refused messages.
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
    /// When the last message was acknowledged.
    pub last_ack: Option<Instant>,
    /// Fetches that failed and were tried again.
    pub fetch_failures: u64,
    /// Acknowledgements that could not be sent (their messages come again
    /// and are skipped as duplicates).
    pub ack_failures: u64,
}

/// How long the server may be unreachable before a run gives up.
const OUTAGE: Duration = Duration::from_secs(30);

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
    BrokerError::Stream {
        name: setup.name.clone(),
        source: Box::new(e),
    }
    .into()
}

/// The store's position name for a partition.
pub fn position_name(setup: &StreamSetup, partition: u32) -> String {
    format!("nats:{}:{partition}", setup.name)
}

/// One partition's consumer and line reader (for NDJSON messages).
struct Partition {
    number: u32,
    consumer: jetstream::consumer::Consumer<pull::Config>,
    position: String,
    lines: Option<LineReader>,
    line: u64,
}

/// A message's events, or why it has none.
fn decode(payload: &[u8], part: &mut Partition) -> Result<Events, String> {
    if payload.first() == Some(&b'{') {
        let reader = part
            .lines
            .get_or_insert_with(|| LineReader::new(InputFormat::Ndjson, LineOptions::default()));
        let before = reader.rejected();
        let mut events = None;
        reader
            .read_block(part.line + 1, payload, &mut events)
            .map_err(|e| e.to_string())?;
        part.line += payload.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let bad = reader.rejected() - before;
        return match events {
            Some(e) if bad == 0 => Ok(e),
            _ => Err(format!(
                "{bad} NDJSON lines that are not events: {}",
                reader
                    .bad_lines()
                    .last()
                    .map(|b| b.to_string())
                    .unwrap_or_default()
            )),
        };
    }
    wire::decode(payload).map_err(|e| e.to_string())
}

/// Consumes as `plan` says into the store `open` opens (given the first
/// message's schema), until `stop` is set or a limit is reached; the store
/// is closed at the end.
pub fn run(
    url: &str,
    plan: &ConsumePlan,
    open: impl FnOnce(&Schema) -> Result<Store, StoreError>,
    stop: &AtomicBool,
) -> Result<Consumed, ConsumeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BrokerError::Runtime)?;
    runtime.block_on(consume(url, plan, open, stop))
}

async fn consume(
    url: &str,
    plan: &ConsumePlan,
    open: impl FnOnce(&Schema) -> Result<Store, StoreError>,
    stop: &AtomicBool,
) -> Result<Consumed, ConsumeError> {
    let setup = &plan.setup;
    let js = crate::nats::connect(url).await?;
    let stream = js
        .get_stream(&setup.name)
        .await
        .map_err(|e| stream_error(setup, e))?;
    // One live consumer per partition and group: taken before the
    // consumers are touched, renewed while running, given back at the end.
    let replicas = stream.cached_info().config.num_replicas;
    let mut leases = Leases::take(&js, &setup.name, replicas, &plan.group, &plan.partitions)
        .await
        .map_err(BrokerError::from)?;
    let mut parts = Vec::new();
    for &p in &plan.partitions {
        // A consumer resumes from its acknowledgement floor, made afresh so
        // the messages after it come in order: what an earlier run left
        // unacknowledged comes first, not after newer messages (a message at
        // or below the store's position is then a duplicate, never a gap).
        let name = format!("{}-{p}", plan.group);
        let floor = match stream.consumer_info(&name).await {
            Ok(info) => {
                stream
                    .delete_consumer(&name)
                    .await
                    .map_err(|e| stream_error(setup, e))?;
                info.ack_floor.stream_sequence
            }
            Err(_) => 0,
        };
        let config = pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: setup.subject(p),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: plan.ack_wait,
            max_ack_pending: 100_000,
            deliver_policy: if floor > 0 {
                jetstream::consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: floor + 1,
                }
            } else {
                jetstream::consumer::DeliverPolicy::All
            },
            ..Default::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| stream_error(setup, e))?;

        parts.push(Partition {
            number: p,
            consumer,
            position: position_name(setup, p),
            lines: None,
            line: 0,
        });
    }
    let mut open = Some(open);
    let mut store: Option<Store> = None;
    let mut ids: Vec<SeriesId> = Vec::new();
    let mut out = Consumed::default();
    // Messages waiting for a sync: (message, events appended up to them,
    // published at).
    let mut waiting: Vec<(jetstream::Message, u64, i128)> = Vec::new();
    let started = Instant::now();
    let mut last_message = Instant::now();
    let mut last_sync = Instant::now();
    let mut failing: Option<Instant> = None;
    out.ended = "stopped on request";
    'run: while !stop.load(Ordering::Relaxed) {
        if plan.duration.is_some_and(|d| started.elapsed() >= d) {
            out.ended = "the --duration limit";
            break;
        }
        leases.renew().await.map_err(BrokerError::from)?;
        let mut got = 0;
        for part in &mut parts {
            // A fetch that fails (a leader election, a node gone) is tried
            // again; only a server gone for longer than OUTAGE ends the run.
            let fetched = part
                .consumer
                .fetch()
                .max_messages(plan.fetch.max(1))
                .messages()
                .await;
            let mut messages = match fetched {
                Ok(messages) => messages,
                Err(e) => {
                    if failing.get_or_insert_with(Instant::now).elapsed() > OUTAGE {
                        return Err(stream_error(setup, e));
                    }
                    out.fetch_failures += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            };
            failing = None;
            while let Some(message) = messages.next().await {
                let message = match message {
                    Ok(message) => message,
                    Err(_) => {
                        out.fetch_failures += 1;
                        break;
                    }
                };
                got += 1;
                out.messages += 1;
                let (sequence, delivered, published) = match message.info() {
                    Ok(info) => (
                        info.stream_sequence,
                        info.delivered,
                        info.published.unix_timestamp_nanos(),
                    ),
                    Err(_) => (0, 1, 0),
                };
                if delivered > 1 {
                    out.redelivered += 1;
                }
                let events = match decode(&message.payload, part) {
                    Ok(events) => events,
                    Err(reason) => {
                        reject(&mut out, &message, part.number, sequence, reason).await?;
                        continue;
                    }
                };
                if store.is_none() {
                    let open = open.take().ok_or(BrokerError::Stopped)?;
                    store = Some(open(&events.schema)?);
                }
                let Some(s) = store.as_mut() else { break 'run };
                if events.schema != *s.stream().schema() {
                    let reason = format!(
                        "fields {:?}, the store's {:?}",
                        events
                            .schema
                            .fields()
                            .iter()
                            .map(|f| &f.name)
                            .collect::<Vec<_>>(),
                        s.stream()
                            .schema()
                            .fields()
                            .iter()
                            .map(|f| &f.name)
                            .collect::<Vec<_>>()
                    );
                    reject(&mut out, &message, part.number, sequence, reason).await?;
                    continue;
                }
                let n = events.len() as u64;
                if s.position(&part.position).is_some_and(|at| sequence <= at) {
                    out.duplicates += n;
                    waiting.push((message, s.appended(), published));
                    continue;
                }
                ids.clear();
                let keys: Vec<SeriesId> = events
                    .keys
                    .iter()
                    .map(|k| s.series(k))
                    .collect::<Result<_, _>>()?;
                ids.extend(events.series.iter().map(|&i| keys[i as usize]));
                let before = s.stream().len() as u64;
                let appended = s.append_batch_at(
                    &ids,
                    &events.batch,
                    0..events.len(),
                    Some((&part.position, sequence)),
                );
                match appended {
                    Ok(()) | Err(StoreError::Stream(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                out.accepted += n;
                out.stored += s.stream().len() as u64 - before;
                waiting.push((message, s.appended(), published));
            }
            // After each partition's fetch: acknowledge what a sync covers,
            // syncing first when acknowledgements have waited long enough.
            if let Some(s) = store.as_mut() {
                if !waiting.is_empty()
                    && s.durable() < s.appended()
                    && last_sync.elapsed() >= plan.sync_every
                {
                    s.sync()?;
                    last_sync = Instant::now();
                }
                ack_durable(&mut waiting, s.durable(), &mut out).await?;
            }
        }
        if got > 0 {
            last_message = Instant::now();
        }
        if plan.events.is_some_and(|n| out.stored >= n) {
            out.ended = "the --events limit";
            break;
        }
        if got == 0 {
            if plan.idle.is_some_and(|idle| last_message.elapsed() >= idle) {
                out.ended = "no message for the --idle time";
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // Drain: make everything durable, acknowledge it, close the store.
    if let Some(mut s) = store {
        s.sync()?;
        ack_durable(&mut waiting, s.durable(), &mut out).await?;
        s.close()?;
    }
    out.seconds = out.last_ack.map_or(0.0, |t| (t - started).as_secs_f64());
    for part in &mut parts {
        let pending = match part.consumer.info().await {
            Ok(info) => info.num_pending,
            Err(_) => 0,
        };
        out.pending.push((part.number, pending));
    }
    leases.release().await;
    Ok(out)
}

/// Acknowledges the waiting messages whose events are durable.
async fn ack_durable(
    waiting: &mut Vec<(jetstream::Message, u64, i128)>,
    durable: u64,
    out: &mut Consumed,
) -> Result<(), ConsumeError> {
    let now = time_now_ns();
    let mut kept = Vec::new();
    for (message, upto, published) in waiting.drain(..) {
        if upto > durable {
            kept.push((message, upto, published));
            continue;
        }
        if message.ack().await.is_err() {
            // It comes again after --ack-wait, and is skipped as a duplicate.
            out.ack_failures += 1;
            continue;
        }
        out.acked += 1;
        out.last_ack = Some(Instant::now());
        if published > 0 {
            out.latencies_ns
                .push(u64::try_from(now - published).unwrap_or(0));
        }
    }
    *waiting = kept;
    Ok(())
}

fn time_now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Refuses a message for good (terminated: not redelivered) and counts it.
async fn reject(
    out: &mut Consumed,
    message: &jetstream::Message,
    partition: u32,
    sequence: u64,
    reason: String,
) -> Result<(), ConsumeError> {
    message
        .ack_with(AckKind::Term)
        .await
        .map_err(|e| BrokerError::Publish {
            subject: message.subject.to_string(),
            acked: out.acked,
            source: e,
        })?;
    out.rejected += 1;
    if out.first_rejected.len() < 10 {
        out.first_rejected.push(Rejected {
            partition,
            sequence,
            reason,
        });
    }
    Ok(())
}
