//! `slotlab publish`: a source's events to NATS JetStream partitions.

use crate::cli::{EncodingChoice, PublishArgs};
use anyhow::Context as _;
use slotlab_broker::nats::StreamSetup;
use slotlab_broker::publish::{self, Encoding, PublishPlan};
use slotlab_stream::source::{Events, SourceSpec, SyntheticSource};
use std::process::ExitCode;

/// The next `n` events of a synthetic source, or of a file read whole.
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
            let mut events = Some(read.events);
            let mut at = 0;
            Box::new(move |n| {
                let all = events.as_ref()?;
                let end = (at + n).min(all.len());
                if at == end {
                    events = None;
                    return None;
                }
                let mut out = Events::with_capacity(all.schema.clone(), all.keys.clone(), end - at);
                out.series.extend_from_slice(&all.series[at..end]);
                out.batch
                    .timestamps
                    .extend_from_slice(&all.batch.timestamps[at..end]);
                for (mine, theirs) in out.batch.columns.iter_mut().zip(&all.batch.columns) {
                    mine.extend_range(theirs, at..end);
                }
                at = end;
                Some(out)
            })
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
        "published {} events in {} messages, acked {} ({:.2}M events/s, start to the last \
         acknowledgement over {:.2} s); {:.2} payload bytes per event on the wire ({:?})",
        done.events,
        done.messages,
        done.acked,
        done.events as f64 / done.seconds.max(1e-9) / 1e6,
        done.seconds,
        done.bytes as f64 / done.events.max(1) as f64,
        plan.encoding
    );
    Ok(ExitCode::SUCCESS)
}
