//! A run of `slotlab publish`: events from a source, routed by series to
//! partitions, packed up to a batch per message and published, paced to a
//! rate if asked.

use crate::nats::{BrokerError, Publisher, StreamSetup};
use crate::{partition, wire};
use slotlab_stream::source::Events;
use slotlab_stream::{Column, FieldKind};
use std::time::{Duration, Instant};

/// How messages carry events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The compact checksummed batch ([`wire`]).
    Binary,
    /// NDJSON lines, one event each (`series`, `timestamp`, the fields),
    /// for any client to read.
    Json,
}

/// What to publish, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishPlan {
    /// The stream and its partitions.
    pub setup: StreamSetup,
    /// Events per message at most (one partition's).
    pub batch: usize,
    /// The message format.
    pub encoding: Encoding,
    /// Events per second, or as fast as acknowledgements allow.
    pub rate: Option<f64>,
    /// Stop after this many events.
    pub events: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Messages unacknowledged at most.
    pub in_flight: usize,
}

/// What a run published.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Published {
    /// Events sent.
    pub events: u64,
    /// Messages published.
    pub messages: u64,
    /// Messages JetStream acknowledged.
    pub acked: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Publishes repeated after a failed acknowledgement.
    pub retried: u64,
    /// Start to the last acknowledgement.
    pub seconds: f64,
}

/// NDJSON lines for `rows` of `events`.
fn json_lines(events: &Events, rows: &[usize], out: &mut Vec<u8>) {
    use std::io::Write as _;
    out.clear();
    let fields = events.schema.fields();
    for &r in rows {
        let key =
            serde_json::to_string(&events.keys[events.series[r] as usize]).unwrap_or_default();
        let _ = write!(
            out,
            "{{\"series\":{key},\"timestamp\":{}",
            events.batch.timestamps[r]
        );
        for (f, column) in fields.iter().zip(&events.batch.columns) {
            let name = serde_json::to_string(&f.name).unwrap_or_default();
            let _ = match (f.kind, column) {
                (FieldKind::F64, Column::F64(v)) if v[r].is_finite() => {
                    write!(out, ",{name}:{:?}", v[r])
                }
                (FieldKind::I64, Column::I64(v)) => write!(out, ",{name}:{}", v[r]),
                _ => write!(out, ",{name}:null"),
            };
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Publishes events that `next(n)` hands out (up to `n` at a time; `None`
/// when the source ends) to the server at `url` as `plan` says.
pub fn run(
    url: &str,
    plan: &PublishPlan,
    mut next: impl FnMut(usize) -> Option<Events>,
) -> Result<Published, BrokerError> {
    let publisher = Publisher::connect(url, &plan.setup, plan.in_flight)?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut buf = Vec::new();
    let mut by_partition: Vec<Vec<usize>> = vec![Vec::new(); plan.setup.partitions.max(1) as usize];
    let chunk = plan.batch.max(1) * by_partition.len();
    loop {
        let left = plan.events.map_or(u64::MAX, |n| n.saturating_sub(sent));
        if left == 0 || plan.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let Some(events) = next(chunk.min(usize::try_from(left).unwrap_or(usize::MAX))) else {
            break;
        };
        if events.is_empty() {
            break;
        }
        let routes: Vec<u32> = events
            .keys
            .iter()
            .map(|k| partition::of(k, plan.setup.partitions))
            .collect();
        by_partition.iter_mut().for_each(Vec::clear);
        for (i, &s) in events.series.iter().enumerate() {
            by_partition[routes[s as usize] as usize].push(i);
        }
        for (p, rows) in by_partition.iter().enumerate() {
            for part in rows.chunks(plan.batch.max(1)) {
                match plan.encoding {
                    Encoding::Binary => wire::encode(&events, part, &mut buf)?,
                    Encoding::Json => json_lines(&events, part, &mut buf),
                }
                if publisher
                    .publish(p as u32, std::mem::take(&mut buf))
                    .is_err()
                {
                    // The publishing thread ended: its error says why.
                    return Err(publisher.finish().err().unwrap_or(BrokerError::Stopped));
                }
            }
        }
        sent += events.len() as u64;
        if let Some(rate) = plan.rate {
            let due = Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    let report = publisher.finish()?;
    Ok(Published {
        events: sent,
        messages: report.published,
        acked: report.acked,
        bytes: report.bytes,
        retried: report.retried,
        seconds: started.elapsed().as_secs_f64(),
    })
}
