//! The broker commands: `slotlab publish` (a source's events to NATS
//! JetStream partitions) and `slotlab ingest --source nats://…` (from
//! JetStream partitions into a durable store).

use crate::cli::{EncodingChoice, PublishArgs};
use anyhow::Context as _;
use slotlab_broker::nats::StreamSetup;
use slotlab_broker::publish::{self, Encoding, PublishPlan};
use slotlab_stream::source::{Events, SourceSpec, SyntheticSource};
use std::process::ExitCode;

/// The next `n` events of a synthetic source, or of a file read whole (none
/// left: an empty batch).
fn feed(spec: &SourceSpec) -> anyhow::Result<Box<dyn FnMut(usize) -> Option<Events>>> {
    fn synthetic<S: SyntheticSource + 'static>(
        mut s: S,
    ) -> Box<dyn FnMut(usize) -> Option<Events>> {
        Box::new(move |n| {
            let mut out = Events::with_capacity(s.schema(), s.keys(), n);
            s.fill(&mut out, n);
            Some(out)
        })
    }
    Ok(match spec {
        SourceSpec::Lesson => synthetic(slotlab_stream::source::Lesson::default()),
        SourceSpec::Sensors(s) => synthetic(s.clone()),
        SourceSpec::Ticks(t) => synthetic(t.clone()),
        SourceSpec::File(path) => {
            let read = slotlab_stream::source::blocks::read_file(path, None, Default::default())
                .with_context(|| format!("--source {}", path.display()))?;
            if read.rejected > 0 {
                eprintln!(
                    "note: {}: {} lines rejected (not published); the first: {:?}",
                    path.display(),
                    read.rejected,
                    read.bad.first().map(|b| b.to_string())
                );
            }
            synthetic(slotlab_stream::source::Replay::new(read.events))
        }
        _ => anyhow::bail!("--source: publish reads sensors, ticks, lesson or a file"),
    })
}

pub(crate) fn publish_command(args: &PublishArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let url = args.url()?;
    let (name, prefix) = args.names()?;
    let spec = SourceSpec::parse(&args.source, &args.synthetic.options());
    args.synthetic.check_applies(&spec, "--source")?;
    let partitions = u32::try_from(args.partitions)
        .ok()
        .filter(|&p| p <= 4096)
        .context("--partitions: at most 4096")?;
    let events = args
        .events
        .or_else(|| (spec.is_synthetic() && args.duration.is_none()).then_some(1_000_000));
    let plan = PublishPlan {
        setup: StreamSetup {
            name,
            prefix,
            partitions,
            replicas: usize::from(args.replicas),
        },
        batch: usize::try_from(args.batch)
            .unwrap_or(usize::MAX)
            .min(1 << 20),
        encoding: match args.encoding {
            EncodingChoice::Binary => Encoding::Binary,
            EncodingChoice::Json => Encoding::Json,
        },
        rate: args.rate,
        events,
        duration: args.duration,
        in_flight: usize::try_from(args.in_flight)
            .unwrap_or(usize::MAX)
            .min(1 << 16),
    };
    let next = feed(&spec)?;
    let done = publish::run(&url, &plan, next).with_context(|| format!("--to {url}"))?;
    if !quiet {
        eprintln!(
            "published to {url}, stream {} ({} partitions)",
            plan.setup.name, partitions
        );
    }
    println!(
        "published {} events in {} messages, acked {} ({} publishes repeated after a failed \
         acknowledgement, stored once by message id; {:.2}M events/s, start to the last \
         acknowledgement over {:.2} s); {:.2} payload bytes per event on the wire ({:?})",
        done.events,
        done.messages,
        done.acked,
        done.retried,
        done.events as f64 / done.seconds.max(1e-9) / 1e6,
        done.seconds,
        done.bytes as f64 / done.events.max(1) as f64,
        plan.encoding
    );
    Ok(ExitCode::SUCCESS)
}

/// Nanoseconds at quantile `q` of `sorted`, in ms.
fn quantile_ms(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1e6
}

/// `slotlab ingest --source nats://…`: JetStream partitions into a store.
pub(crate) fn nats_ingest_command(
    args: &crate::cli::IngestArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    use slotlab_broker::consume::{self, ConsumePlan};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let url = crate::cli::nats_url("--source", &args.source)?;
    let (name, prefix) = args.broker.names()?;
    let partitions = args.broker.partition_list()?;
    let group = args.broker.group()?;
    let Some((dir, options)) = args.store.spec()? else {
        anyhow::bail!("--source {url}: needs --store DIR (acknowledged events must be durable)");
    };
    if args
        .sink
        .is_some_and(|s| s != crate::cli::SinkChoice::Stream)
    {
        anyhow::bail!("--sink: --source nats://… stores into --store's stream");
    }
    if args.rate.is_some() {
        anyhow::bail!("--rate: the broker sets the pace of --source nats://…");
    }
    let config = slotlab_stream::StreamConfig {
        chunk_len: usize::try_from(args.chunk.unwrap_or(16_384)).unwrap_or(usize::MAX),
        codecs: args
            .codecs
            .unwrap_or(crate::cli::CodecsArg::Sampled)
            .policy(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the Ctrl-C/SIGTERM handler")?;
    }
    let plan = ConsumePlan {
        setup: StreamSetup {
            name,
            prefix,
            partitions: partitions.len() as u32,
            replicas: 1,
        },
        partitions,
        group,
        fetch: 256,
        events: args.events,
        duration: args.duration,
        idle: args.broker.idle,
        sync_every: match options.sync {
            slotlab_stream::store::SyncPolicy::Interval(d) => d,
            _ => std::time::Duration::from_millis(100),
        },
        ack_wait: args.broker.ack_wait,
    };
    let open = |schema: &slotlab_stream::Schema| {
        slotlab_stream::store::Store::open(&dir, schema, config, options).map(|(s, _)| s)
    };
    // A spinner with the counts so far (none with --quiet, or when stderr is
    // not a terminal).
    let spinner = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        spinner.set_style(style);
    }
    let started = std::time::Instant::now();
    let mut on_tick = |c: &consume::Consumed| {
        spinner.set_message(format!(
            "from {url}: stored {} ({:.2}M events/s), duplicates {}, rejected {}{}",
            c.stored,
            c.stored as f64 / started.elapsed().as_secs_f64().max(1e-9) / 1e6,
            c.duplicates,
            c.rejected,
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                " — stopping: syncing and acknowledging what was stored"
            } else {
                ""
            }
        ));
        spinner.tick();
    };
    let done = consume::run(&url, &plan, open, &stop, &mut on_tick);
    spinner.finish_and_clear();
    let done = done.with_context(|| format!("--source {url}"))?;
    let mut latencies = done.latencies_ns.clone();
    latencies.sort_unstable();
    let pending: Vec<String> = done
        .pending
        .iter()
        .map(|(p, n)| format!("{p}: {n}"))
        .collect();
    println!(
        "ingested from {url} (stream {}, partitions {}) into {}: messages {}, accepted {}, \
         stored {}, refused by the store {}, duplicates {}, redelivered {}, acked {}, rejected {}, NDJSON lines refused {}; {:.2}M events/s \
         stored over {:.2} s (start to the last acknowledgement); publish to durable p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         pending at the end {{{}}}; fetches tried again {}, acknowledgements lost {}; ended: {}",
        plan.setup.name,
        args.broker.partitions,
        dir.display(),
        done.messages,
        done.accepted,
        done.stored,
        done.accepted - done.stored,
        done.duplicates,
        done.redelivered,
        done.acked,
        done.rejected,
        done.refused_lines,
        done.stored as f64 / done.seconds.max(1e-9) / 1e6,
        done.seconds,
        quantile_ms(&latencies, 0.5),
        quantile_ms(&latencies, 0.99),
        quantile_ms(&latencies, 1.0),
        pending.join(", "),
        done.fetch_failures,
        done.ack_failures,
        done.ended
    );
    for r in &done.first_rejected {
        eprintln!(
            "rejected: partition {} stream sequence {}: {}",
            r.partition, r.sequence, r.reason
        );
    }
    Ok(ExitCode::SUCCESS)
}
