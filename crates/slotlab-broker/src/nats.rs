//! Publishing to NATS JetStream: a stream with one subject per partition
//! (`PREFIX.<partition>`, file storage, the replicas asked for), messages
//! published with acknowledgements, a bounded number in flight. The
//! client and its runtime live on this module's own thread; callers hand
//! it messages through a bounded channel and stay synchronous.

use async_nats::jetstream::{self, stream};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use std::time::Duration;

/// The stream events go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSetup {
    /// The stream's name.
    pub name: String,
    /// Subjects are `PREFIX.<partition>`.
    pub prefix: String,
    /// Partitions (subjects).
    pub partitions: u32,
    /// Copies the cluster keeps (1 or 3).
    pub replicas: usize,
}

/// How a stream `publish` made describes itself, before and after its
/// partition count.
const DESCRIBED: (&str, &str) = ("slotlab events: ", " partitions");

impl StreamSetup {
    /// What the stream's description says, and is checked against.
    fn description(&self) -> String {
        format!("{}{}{}", DESCRIBED.0, self.partitions, DESCRIBED.1)
    }

    /// The partition count a stream's description gives, when `publish`
    /// made it.
    fn described_partitions(description: Option<&str>) -> Option<u32> {
        description?
            .strip_prefix(DESCRIBED.0)?
            .strip_suffix(DESCRIBED.1)?
            .parse()
            .ok()
    }

    /// The subject of `partition`.
    pub fn subject(&self, partition: u32) -> String {
        format!("{}.{partition}", self.prefix)
    }
}

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The server could not be reached.
    #[error("cannot connect to {url}")]
    Connect {
        /// Where.
        url: String,
        /// What the client said.
        #[source]
        source: async_nats::Error,
    },
    /// The stream could not be made or read.
    #[error("stream {name}")]
    Stream {
        /// Its name.
        name: String,
        /// What the server said.
        #[source]
        source: async_nats::Error,
    },
    /// The stream to consume does not exist.
    #[error(
        "stream {name} does not exist on {url}: `slotlab publish --to {url}` makes it, or \
         --stream names another"
    )]
    Missing {
        /// Its name.
        name: String,
        /// Where.
        url: String,
    },
    /// The stream exists with another configuration.
    #[error("stream {name} exists with another configuration: {found} (asked: {asked})")]
    Mismatch {
        /// Its name.
        name: String,
        /// What it has.
        found: String,
        /// What was asked.
        asked: String,
    },
    /// A publish or its acknowledgement failed.
    #[error("publishing to {subject} failed after {acked} acknowledged messages")]
    Publish {
        /// The subject.
        subject: String,
        /// Messages acknowledged before.
        acked: u64,
        /// What the client said.
        #[source]
        source: async_nats::Error,
    },
    /// The server stopped answering.
    #[error(
        "{url} has not answered for {seconds} s; {acked} messages were acknowledged before (their \
         events are in the store), the rest come again to the next run"
    )]
    Gone {
        /// Where.
        url: String,
        /// For how long.
        seconds: u64,
        /// Messages acknowledged before.
        acked: u64,
    },
    /// The publishing thread is gone (its error is what `finish` returns).
    #[error("the publishing thread stopped")]
    Stopped,
    /// Events that do not fit a batch.
    #[error(transparent)]
    Wire(#[from] crate::wire::WireError),
    /// The runtime could not start.
    #[error("cannot start the client's runtime")]
    Runtime(#[source] std::io::Error),
    /// A partition's lease (another live consumer has it, or had to take
    /// it).
    #[error(transparent)]
    Lease(Box<crate::lease::LeaseError>),
}

impl From<crate::lease::LeaseError> for BrokerError {
    fn from(e: crate::lease::LeaseError) -> Self {
        BrokerError::Lease(Box::new(e))
    }
}

/// What a publisher did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublishReport {
    /// Messages published.
    pub published: u64,
    /// Messages the stream acknowledged (stored).
    pub acked: u64,
    /// Payload bytes published.
    pub bytes: u64,
    /// Publishes repeated after a failed acknowledgement (same message id:
    /// stored once).
    pub retried: u64,
}

/// Attempts after a failed acknowledgement, and the pause before each
/// (times the attempt): enough to outlast a leader election.
const RETRIES: u32 = 20;
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// A publisher: messages in, acknowledged by JetStream on its own thread.
#[derive(Debug)]
pub struct Publisher {
    tx: Option<tokio::sync::mpsc::Sender<(u32, Vec<u8>)>>,
    thread: Option<std::thread::JoinHandle<Result<PublishReport, BrokerError>>>,
}

pub(crate) fn boxed(e: impl std::error::Error + Send + Sync + 'static) -> async_nats::Error {
    Box::new(e)
}

impl BrokerError {
    /// What the server said about stream `name`.
    pub(crate) fn stream(
        name: &str,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> BrokerError {
        BrokerError::Stream {
            name: name.to_owned(),
            source: boxed(e),
        }
    }
}

/// The client's runtime for one of this crate's threads.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, BrokerError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BrokerError::Runtime)
}

/// Now, in nanoseconds since the Unix epoch (JetStream's clock).
pub(crate) fn unix_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// A JetStream context on the server at `url` (5 s to connect).
pub async fn connect(url: &str) -> Result<jetstream::Context, BrokerError> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|e| BrokerError::Connect {
            url: url.to_owned(),
            source: boxed(e),
        })?;
    Ok(jetstream::new(client))
}

/// Makes the stream if it is missing; refuses one set up otherwise.
async fn ensure_stream(js: &jetstream::Context, setup: &StreamSetup) -> Result<(), BrokerError> {
    let subjects = vec![format!("{}.*", setup.prefix)];
    let config = stream::Config {
        name: setup.name.clone(),
        description: Some(setup.description()),
        subjects: subjects.clone(),
        storage: stream::StorageType::File,
        num_replicas: setup.replicas,
        ..Default::default()
    };
    let mut stream = js
        .get_or_create_stream(config)
        .await
        .map_err(|e| BrokerError::stream(&setup.name, e))?;
    let info = stream
        .info()
        .await
        .map_err(|e| BrokerError::stream(&setup.name, e))?;
    let found = &info.config;
    let same = found.subjects == subjects
        && found.num_replicas == setup.replicas
        && found.description.as_deref() == Some(setup.description().as_str());
    if !same {
        return Err(BrokerError::Mismatch {
            name: setup.name.clone(),
            found: format!(
                "subjects {:?}, {} replicas, {:?}",
                found.subjects, found.num_replicas, found.description
            ),
            asked: format!(
                "subjects {subjects:?}, {} replicas, {:?}",
                setup.replicas,
                setup.description()
            ),
        });
    }
    Ok(())
}

/// Checks that a stream found for consuming takes `PREFIX.<partition>`
/// subjects and, when `publish` made it (its description says how many),
/// has every partition asked for.
pub(crate) fn check_consumable(
    found: &stream::Config,
    setup: &StreamSetup,
    partitions: &[u32],
) -> Result<(), BrokerError> {
    let mismatch = |found: String, asked: String| BrokerError::Mismatch {
        name: setup.name.clone(),
        found,
        asked,
    };
    let takes = [format!("{}.*", setup.prefix), format!("{}.>", setup.prefix)];
    if !found.subjects.iter().any(|s| takes.contains(s) || s == ">") {
        return Err(mismatch(
            format!("subjects {:?}", found.subjects),
            format!("subjects {}.<partition> (--subjects)", setup.prefix),
        ));
    }
    if let Some(count) = StreamSetup::described_partitions(found.description.as_deref())
        && let Some(&beyond) = partitions.iter().find(|&&p| p >= count)
    {
        return Err(mismatch(
            format!("{count} partitions (0-{})", count.saturating_sub(1)),
            format!("partition {beyond} (--partitions)"),
        ));
    }
    Ok(())
}

impl Publisher {
    /// Connects to `url`, makes (or checks) the stream, and starts the
    /// publishing thread, at most `in_flight` messages unacknowledged.
    pub fn connect(
        url: &str,
        setup: &StreamSetup,
        in_flight: usize,
    ) -> Result<Publisher, BrokerError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, Vec<u8>)>(64);
        let (url, setup) = (url.to_owned(), setup.clone());
        let thread = std::thread::Builder::new()
            .name("nats-publish".into())
            .spawn(move || {
                runtime()?.block_on(async move {
                    let connected = async {
                        let js = connect(&url).await?;
                        ensure_stream(&js, &setup).await?;
                        Ok::<_, BrokerError>(js)
                    }
                    .await;
                    let js = match connected {
                        Ok(js) => {
                            let _ = ready_tx.send(true);
                            js
                        }
                        Err(e) => {
                            let _ = ready_tx.send(false);
                            return Err(e);
                        }
                    };
                    let mut report = PublishReport::default();
                    // Every message gets an id (this run's, and its number):
                    // one sent again after a failed acknowledgement (a
                    // leader election, a node gone) is stored once.
                    let run = format!(
                        "{:016x}",
                        unix_nanos() as u64 ^ u64::from(std::process::id())
                    );
                    // One message in flight per partition, the rest queued:
                    // a partition's messages are stored in the order given
                    // even when one must be sent again.
                    let partitions = setup.partitions.max(1) as usize;
                    let mut queues: Vec<std::collections::VecDeque<(bytes::Bytes, String)>> =
                        vec![Default::default(); partitions];
                    let mut busy = vec![false; partitions];
                    let mut queued = 0usize;
                    let mut pending = FuturesUnordered::new();
                    let mut next_id = 0u64;
                    let mut retries = 0u64;
                    let send = |p: usize, payload: bytes::Bytes, id: String, attempt: u32| {
                        let js = js.clone();
                        let subject = setup.subject(p as u32);
                        async move {
                            if attempt > 0 {
                                tokio::time::sleep(RETRY_PAUSE * attempt).await;
                            }
                            let message = jetstream::message::PublishMessage::build()
                                .payload(payload.clone())
                                .message_id(&id);
                            let acked = match js.send_publish(subject, message).await {
                                Ok(ack) => ack.await.map(drop).map_err(boxed),
                                Err(e) => Err(boxed(e)),
                            };
                            (p, payload, id, attempt, acked)
                        }
                    };
                    let mut open = true;
                    while open || !pending.is_empty() {
                        let room = queued < in_flight.max(1);
                        tokio::select! {
                            message = rx.recv(), if open && room => match message {
                                Some((partition, payload)) => {
                                    let p = (partition as usize).min(partitions - 1);
                                    report.published += 1;
                                    report.bytes += payload.len() as u64;
                                    let id = format!("{run}-{next_id}");
                                    next_id += 1;
                                    let payload = bytes::Bytes::from(payload);
                                    if busy[p] {
                                        queues[p].push_back((payload, id));
                                        queued += 1;
                                    } else {
                                        busy[p] = true;
                                        pending.push(send(p, payload, id, 0));
                                    }
                                }
                                None => open = false,
                            },
                            Some((p, payload, id, attempt, acked)) = pending.next(), if !pending.is_empty() => {
                                match acked {
                                    Ok(()) => {
                                        report.acked += 1;
                                        match queues[p].pop_front() {
                                            Some((payload, id)) => {
                                                queued -= 1;
                                                pending.push(send(p, payload, id, 0));
                                            }
                                            None => busy[p] = false,
                                        }
                                    }
                                    Err(_) if attempt < RETRIES => {
                                        retries += 1;
                                        pending.push(send(p, payload, id, attempt + 1));
                                    }
                                    Err(e) => {
                                        return Err(BrokerError::Publish {
                                            subject: setup.subject(p as u32),
                                            acked: report.acked,
                                            source: e,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    report.retried = retries;
                    Ok(report)
                })
            })
            .map_err(BrokerError::Runtime)?;
        let mut publisher = Publisher {
            tx: Some(tx),
            thread: Some(thread),
        };
        if ready_rx.recv() != Ok(true) {
            return Err(publisher.join().err().unwrap_or(BrokerError::Stopped));
        }
        Ok(publisher)
    }

    /// Hands a message for `partition` to the publishing thread (waits
    /// while its channel is full).
    pub fn publish(&self, partition: u32, payload: Vec<u8>) -> Result<(), BrokerError> {
        let tx = self.tx.as_ref().ok_or(BrokerError::Stopped)?;
        tx.blocking_send((partition, payload))
            .map_err(|_| BrokerError::Stopped)
    }

    fn join(&mut self) -> Result<PublishReport, BrokerError> {
        self.tx = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(BrokerError::Stopped),
        }
    }

    /// Waits for every message's acknowledgement; what was published.
    pub fn finish(mut self) -> Result<PublishReport, BrokerError> {
        self.join()
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.join();
    }
}
