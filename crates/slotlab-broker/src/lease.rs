//! Partition leases: at most one live consumer per partition of a stream
//! and consumer group. A lease is a key in a JetStream key-value bucket
//! (`slotlab-leases`, its entries expiring `LEASE` after their last write),
//! taken with a create that fails when the key exists and renewed with a
//! compare-and-set on its revision. A process that dies stops renewing, so
//! its leases expire and its restart, or another process, takes them; a
//! process that is alive renews, so a second process asking for the same
//! partition sees the revision move and is refused, naming the holder.

use async_nats::jetstream::{self, kv};
use std::time::{Duration, Instant};

/// How long a lease lasts after its last renewal.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often a holder renews.
pub const RENEW: Duration = Duration::from_secs(1);
/// The bucket leases live in.
const BUCKET: &str = "slotlab-leases";

/// Why a lease could not be taken or kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// Another live process consumes the partition.
    #[error(
        "partition {partition} of stream {stream} is being consumed by {holder} (consumer group \
         {group}): give this process other --partitions, or another --consumer group"
    )]
    Held {
        /// The partition.
        partition: u32,
        /// The stream.
        stream: String,
        /// The group.
        group: String,
        /// Who holds it (pid and host).
        holder: String,
    },
    /// The lease expired and another process took it (this process was
    /// stalled for longer than the lease).
    #[error(
        "lost the lease on partition {partition} of stream {stream} to {holder} (this process \
         stalled for longer than {LEASE:?}); its unacknowledged messages go to {holder}"
    )]
    Lost {
        /// The partition.
        partition: u32,
        /// The stream.
        stream: String,
        /// Who holds it now.
        holder: String,
    },
    /// The bucket could not be made or read.
    #[error("the lease bucket {BUCKET}")]
    Bucket(#[source] async_nats::Error),
}

/// One held lease.
#[derive(Debug)]
struct Held {
    partition: u32,
    key: String,
    revision: u64,
}

/// The leases a process holds.
#[derive(Debug)]
pub struct Leases {
    bucket: kv::Store,
    stream: String,
    me: String,
    held: Vec<Held>,
    renewed: Instant,
}

fn boxed(e: impl std::error::Error + Send + Sync + 'static) -> async_nats::Error {
    Box::new(e)
}

/// This process, as a holder: its pid, host and when it took the lease (a
/// pid can be reused).
fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "this host".to_owned());
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("pid {} on {host} (since {since} ms)", std::process::id())
}

/// Whether `holder` names a process on this host that no longer runs (no
/// such pid, or a zombie waiting to be reaped).
fn dead_here(holder: &str) -> bool {
    let Some((pid, host)) = holder
        .strip_prefix("pid ")
        .and_then(|r| r.split_once(" on "))
    else {
        return false;
    };
    let here = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.split(" (").next().unwrap_or("");
    if here.trim() != host || pid.parse::<u32>().is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command's closing parenthesis.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with(['Z', 'X'])),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

impl Leases {
    /// Takes the leases of `partitions` for `group`, waiting at most one
    /// lease period for a dead holder's to expire; refused when a holder
    /// renews meanwhile (it is alive).
    pub async fn take(
        js: &jetstream::Context,
        stream: &str,
        replicas: usize,
        group: &str,
        partitions: &[u32],
    ) -> Result<Leases, LeaseError> {
        let bucket = match js.get_key_value(BUCKET).await {
            Ok(bucket) => bucket,
            Err(_) => {
                // The bucket's stream made as the client's `create_key_value`
                // would make it (which first asks for account details that
                // nats-server 2.9 answers in a shape this client refuses).
                js.get_or_create_stream(jetstream::stream::Config {
                    name: format!("KV_{BUCKET}"),
                    description: Some("slotlab: which process consumes which partition".into()),
                    subjects: vec![format!("$KV.{BUCKET}.>")],
                    max_messages_per_subject: 1,
                    max_age: LEASE,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas.max(1),
                    allow_rollup: true,
                    deny_delete: true,
                    allow_direct: true,
                    discard: jetstream::stream::DiscardPolicy::New,
                    ..Default::default()
                })
                .await
                .map_err(|e| LeaseError::Bucket(boxed(e)))?;
                js.get_key_value(BUCKET)
                    .await
                    .map_err(|e| LeaseError::Bucket(boxed(e)))?
            }
        };
        let mut leases = Leases {
            bucket,
            stream: stream.to_owned(),
            me: holder(),
            held: Vec::new(),
            renewed: Instant::now(),
        };
        for &partition in partitions {
            let key = format!("{stream}.{group}.{partition}");
            let revision = match leases.acquire(&key, partition, group).await {
                Ok(revision) => revision,
                Err(e) => {
                    // Refused: what was taken is given back at once.
                    leases.release().await;
                    return Err(e);
                }
            };
            leases.held.push(Held {
                partition,
                key,
                revision,
            });
        }
        leases.renewed = Instant::now();
        Ok(leases)
    }

    async fn acquire(&self, key: &str, partition: u32, group: &str) -> Result<u64, LeaseError> {
        let deadline = Instant::now() + 2 * LEASE + RENEW;
        let mut seen: Option<(u64, String)> = None;
        loop {
            if let Ok(revision) = self.bucket.create(key, self.me.clone().into()).await {
                return Ok(revision);
            }
            let entry = self
                .bucket
                .entry(key)
                .await
                .map_err(|e| LeaseError::Bucket(boxed(e)))?;
            if let Some(entry) = entry.filter(|e| e.operation == kv::Operation::Put) {
                let holder = String::from_utf8_lossy(&entry.value).into_owned();
                // A holder on this host whose process is gone (SIGKILL, a
                // crash): its restart need not wait for the lease to expire.
                if dead_here(&holder) {
                    if let Ok(revision) = self
                        .bucket
                        .update(key, self.me.clone().into(), entry.revision)
                        .await
                    {
                        return Ok(revision);
                    }
                    continue;
                }
                let renewed = seen.as_ref().is_some_and(|(r, _)| *r != entry.revision);
                if renewed || Instant::now() >= deadline {
                    return Err(LeaseError::Held {
                        partition,
                        stream: self.stream.clone(),
                        group: group.to_owned(),
                        holder,
                    });
                }
                seen = Some((entry.revision, holder));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Renews every lease when `RENEW` has passed since the last renewal.
    /// A renewal the server cannot take now (a node gone, an election) is
    /// tried at the next call; a lease someone else took is an error.
    pub async fn renew(&mut self) -> Result<(), LeaseError> {
        if self.renewed.elapsed() < RENEW {
            return Ok(());
        }
        for held in &mut self.held {
            match self
                .bucket
                .update(&held.key, self.me.clone().into(), held.revision)
                .await
            {
                Ok(revision) => held.revision = revision,
                Err(_) => match self.bucket.entry(&held.key).await {
                    // Our own write, whose answer was lost.
                    Ok(Some(entry))
                        if entry.operation == kv::Operation::Put
                            && *entry.value == *self.me.as_bytes() =>
                    {
                        held.revision = entry.revision;
                    }
                    Ok(Some(entry)) if entry.operation == kv::Operation::Put => {
                        return Err(LeaseError::Lost {
                            partition: held.partition,
                            stream: self.stream.clone(),
                            holder: String::from_utf8_lossy(&entry.value).into_owned(),
                        });
                    }
                    // Expired while the server was away, and nobody took it.
                    Ok(_) => {
                        if let Ok(r) = self.bucket.create(&held.key, self.me.clone().into()).await {
                            held.revision = r;
                        }
                    }
                    // The server cannot answer now: tried at the next call.
                    Err(_) => {}
                },
            }
        }
        self.renewed = Instant::now();
        Ok(())
    }

    /// Gives every lease back (a clean stop: the next process need not wait
    /// for them to expire).
    pub async fn release(self) {
        for held in &self.held {
            let _ = self
                .bucket
                .delete_expect_revision(&held.key, Some(held.revision))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap()
            .trim()
            .to_owned()
    }

    #[test]
    fn a_holder_is_dead_only_when_its_process_on_this_host_is_gone() {
        let me = holder();
        assert!(me.starts_with(&format!("pid {} on {}", std::process::id(), host())));
        assert!(!dead_here(&me), "{me}");
        // Beyond any pid the kernel hands out.
        assert!(dead_here(&format!(
            "pid 4294967295 on {} (since 0 ms)",
            host()
        )));
        // Another host's process is never judged from here.
        assert!(!dead_here(
            "pid 4294967295 on elsewhere.example (since 0 ms)"
        ));
        assert!(!dead_here("someone"));
        // A child that exited but is not reaped yet (a zombie) is dead.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let zombie = format!("pid {} on {} (since 0 ms)", child.id(), host());
        let start = Instant::now();
        while !dead_here(&zombie) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(dead_here(&zombie));
        child.wait().unwrap();
        assert!(dead_here(&zombie));
    }
}
