//! The consumer's broker side, on its own thread with the client's tokio
//! runtime: partition leases, one durable pull consumer per partition
//! (resumed from its acknowledgement floor), fetches handed to the store
//! side in order, and each message acknowledged — or terminated, when the
//! store side refused it — once the store side says it is settled.

use super::{ConsumeError, ConsumePlan, Delivery, Settled, stream_error};
use crate::lease::Leases;
use crate::nats::BrokerError;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures_util::StreamExt as _;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// How long the server may be unreachable before a run gives up.
const OUTAGE: Duration = Duration::from_secs(30);
/// How long a fetch's next message may take before the fetch is given up.
const FETCH_WAIT: Duration = Duration::from_secs(2);

/// What the broker side counted.
#[derive(Debug, Default)]
pub(super) struct Fetched {
    pub messages: u64,
    pub redelivered: u64,
    pub acked: u64,
    pub pending: Vec<(u32, u64)>,
    pub latencies_ns: Vec<u64>,
    pub last_ack: Option<Instant>,
    /// Start to the last acknowledgement.
    pub seconds: f64,
    pub fetch_failures: u64,
    pub ack_failures: u64,
    /// Why fetching stopped (none: the store side stopped first).
    pub ended: Option<&'static str>,
}

/// A message handed over and not yet settled.
struct Unsettled {
    token: u64,
    message: jetstream::Message,
    published_ns: i128,
}

/// The partitions' consumers, made afresh from their acknowledgement
/// floors so the messages after it come in order: what an earlier run
/// left unacknowledged comes first, not after newer messages (a message at
/// or below the store's position is then a duplicate, never a gap).
async fn consumers(
    stream: &jetstream::stream::Stream,
    plan: &ConsumePlan,
) -> Result<Vec<(u32, jetstream::consumer::Consumer<pull::Config>)>, ConsumeError> {
    let setup = &plan.setup;
    let mut out = Vec::new();
    for &p in &plan.partitions {
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
        out.push((p, consumer));
    }
    Ok(out)
}

/// Runs the broker side until `stop`, a limit, `enough` (set by the store
/// side) or the store side going away; then acknowledges what the store
/// side settles until it is done.
pub(super) async fn run(
    url: &str,
    plan: &ConsumePlan,
    to_store: SyncSender<Delivery>,
    mut settled: tokio::sync::mpsc::UnboundedReceiver<Settled>,
    stop: &AtomicBool,
    enough: &AtomicBool,
) -> Result<Fetched, ConsumeError> {
    let setup = &plan.setup;
    let js = crate::nats::connect(url).await?;
    let stream = js.get_stream(&setup.name).await.map_err(|e| {
        use async_nats::jetstream::{ErrorCode, context::GetStreamErrorKind};
        match e.kind() {
            GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {
                BrokerError::Missing {
                    name: setup.name.clone(),
                    url: url.to_owned(),
                }
                .into()
            }
            _ => stream_error(setup, e),
        }
    })?;
    crate::nats::check_consumable(&stream.cached_info().config, setup, &plan.partitions)?;
    // One live consumer per partition and group: taken before the
    // consumers are touched, renewed while running, given back at the end.
    let replicas = stream.cached_info().config.num_replicas;
    let mut leases = Leases::take(&js, &setup.name, replicas, &plan.group, &plan.partitions)
        .await
        .map_err(BrokerError::from)?;
    let parts = consumers(&stream, plan).await?;
    let mut out = Fetched::default();
    let mut unsettled: VecDeque<Unsettled> = VecDeque::new();
    let mut token = 0u64;
    let started = Instant::now();
    let mut last_message = Instant::now();
    let mut failing: Option<Instant> = None;
    let mut store_gone = false;
    'run: loop {
        if stop.load(Ordering::Relaxed) {
            out.ended = Some("stopped on request");
        } else if enough.load(Ordering::Relaxed) {
            out.ended = Some("the --events limit");
        } else if plan.duration.is_some_and(|d| started.elapsed() >= d) {
            out.ended = Some("the --duration limit");
        } else if plan
            .idle
            .is_some_and(|idle| last_message.elapsed() >= idle && unsettled.is_empty())
        {
            out.ended = Some("no message for the --idle time");
        }
        if out.ended.is_some() {
            break;
        }
        if settled.is_closed() {
            // The store side stopped (its error is what the run returns).
            store_gone = true;
            break;
        }
        // Every call to the server is bounded: a server gone or unreachable
        // makes the client wait (it reconnects in the background) and would
        // otherwise hold this loop for good.
        if let Some(renewed) = bounded(leases.renew()).await {
            renewed.map_err(BrokerError::from)?;
        }
        if failing.is_some_and(|since| since.elapsed() > OUTAGE) {
            return Err(BrokerError::Gone {
                url: url.to_owned(),
                seconds: OUTAGE.as_secs(),
                acked: out.acked,
            }
            .into());
        }
        let mut got = 0;
        for (number, consumer) in &parts {
            // A fetch that fails (a leader election, a node gone) is tried
            // again; only a server gone for longer than OUTAGE ends the run.
            let fetched =
                bounded(consumer.fetch().max_messages(plan.fetch.max(1)).messages()).await;
            let Some(Ok(mut messages)) = fetched else {
                failing.get_or_insert_with(Instant::now);
                out.fetch_failures += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            };
            loop {
                // A fetch whose answer never comes (its consumer's leader
                // was on a node that died) is given up; what it would have
                // brought comes again after --ack-wait.
                let message = match tokio::time::timeout(FETCH_WAIT, messages.next()).await {
                    Ok(Some(Ok(message))) => message,
                    Ok(None) => {
                        failing = None;
                        break;
                    }
                    Ok(Some(Err(_))) | Err(_) => {
                        failing.get_or_insert_with(Instant::now);
                        out.fetch_failures += 1;
                        break;
                    }
                };
                failing = None;
                got += 1;
                out.messages += 1;
                let (sequence, delivered, published_ns) = match message.info() {
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
                token += 1;
                let mut delivery = Delivery {
                    token,
                    partition: *number,
                    sequence,
                    payload: message.payload.clone(),
                };
                unsettled.push_back(Unsettled {
                    token,
                    message,
                    published_ns,
                });
                // Handed over without blocking the runtime (the client's
                // connection is served on this thread too).
                loop {
                    match to_store.try_send(delivery) {
                        Ok(()) => break,
                        Err(TrySendError::Full(back)) => {
                            delivery = back;
                            settle(&mut settled, &mut unsettled, &mut out).await?;
                            tokio::time::sleep(Duration::from_micros(200)).await;
                        }
                        Err(TrySendError::Disconnected(_)) => {
                            store_gone = true;
                            break 'run;
                        }
                    }
                }
            }
            settle(&mut settled, &mut unsettled, &mut out).await?;
        }
        if got > 0 {
            last_message = Instant::now();
        } else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            settle(&mut settled, &mut unsettled, &mut out).await?;
        }
    }
    // Drain: the store side syncs what it holds and settles it, then stops.
    drop(to_store);
    while let Some(batch) = settled.recv().await {
        acknowledge(batch, &mut unsettled, &mut out).await?;
    }
    if store_gone {
        out.ended = None;
    }
    for (number, mut consumer) in parts {
        let pending = match bounded(consumer.info()).await {
            Some(Ok(info)) => info.num_pending,
            _ => 0,
        };
        out.pending.push((number, pending));
    }
    let _ = bounded(leases.release()).await;
    out.seconds = out.last_ack.map_or(0.0, |t| (t - started).as_secs_f64());
    Ok(out)
}

/// Acknowledges whatever the store side has settled so far.
async fn settle(
    settled: &mut tokio::sync::mpsc::UnboundedReceiver<Settled>,
    unsettled: &mut VecDeque<Unsettled>,
    out: &mut Fetched,
) -> Result<(), ConsumeError> {
    while let Ok(batch) = settled.try_recv() {
        acknowledge(batch, unsettled, out).await?;
    }
    Ok(())
}

/// Acknowledges the messages up to `batch.through` (in order), terminating
/// the refused ones so they are never delivered again.
async fn acknowledge(
    batch: Settled,
    unsettled: &mut VecDeque<Unsettled>,
    out: &mut Fetched,
) -> Result<(), ConsumeError> {
    let refused: HashSet<u64> = batch.refused.iter().copied().collect();
    // Once the server does not take an acknowledgement, the rest of the
    // batch is not offered (each would wait as long).
    let mut reachable = true;
    let now = crate::nats::unix_nanos();
    while unsettled.front().is_some_and(|u| u.token <= batch.through) {
        let Some(u) = unsettled.pop_front() else {
            break;
        };
        if refused.contains(&u.token) {
            // Not terminated (the server gone): it comes again after
            // --ack-wait and is refused again.
            if reachable {
                reachable = bounded(u.message.ack_with(AckKind::Term)).await.is_some();
            }
            continue;
        }
        let acked = if reachable {
            bounded(u.message.ack()).await
        } else {
            None
        };
        reachable &= acked.is_some();
        if !matches!(acked, Some(Ok(()))) {
            // It comes again after --ack-wait, and is skipped as a duplicate.
            out.ack_failures += 1;
            continue;
        }
        out.acked += 1;
        out.last_ack = Some(Instant::now());
        if u.published_ns > 0 {
            out.latencies_ns
                .push(u64::try_from(now - u.published_ns).unwrap_or(0));
        }
    }
    Ok(())
}

/// `call`, or `None` when the server has not answered within [`FETCH_WAIT`].
async fn bounded<T>(call: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::time::timeout(FETCH_WAIT, call).await.ok()
}
