//! High-volume ingestion, measured: the same workload through the
//! pipeline into each sink in turn, one row per sink, with the issue's
//! goals judged against the figures.

use super::LabError;
use super::claims::verdict;
use super::experiment::{Context, Experiment};
use crate::ingest::{self, IngestConfig, IngestRun, Live, SourceSpec, Stop, Storage};
use crate::measure::keys;
use crate::measure::{Claim, Measurement, Results, Runtime, TimeStats};
use slotlab_stream::source::lines::Reject;
use std::collections::BTreeMap;

/// The throughput goal: sensors into the stream, as fast as possible.
pub const THROUGHPUT_GOAL: f64 = 10e6;
/// The rate the latency goal is judged at.
pub const LATENCY_RATE: f64 = 1e6;
/// The latency goal at that rate: p99 within a millisecond.
pub const LATENCY_GOAL_NS: u64 = 1_000_000;

/// The same workload through the pipeline into each of several sinks in
/// turn (a stop skips the rest). Its size is the configuration's, not the
/// context's N. Progress is open-ended: a line once a second per run.
/// [`Results::failed`] is set when a run ended otherwise than asked (a bad
/// line under `--strict`, a failed source or sink, the memory budget).
#[derive(Debug)]
pub struct IngestBench {
    config: IngestConfig,
    sinks: Vec<Storage>,
    stop: Stop,
    rejects: Vec<Reject>,
}

impl IngestBench {
    /// `config` into each of `sinks`; `stop` ends intake early (Ctrl-C).
    pub fn new(config: IngestConfig, sinks: Vec<Storage>, stop: Stop) -> Self {
        Self {
            config,
            sinks,
            stop,
            rejects: Vec::new(),
        }
    }

    /// After a run: every line the first sink's run rejected, with its
    /// text (each run reads the same input), when the parse options keep
    /// them.
    pub fn rejects(&self) -> &[Reject] {
        &self.rejects
    }
}

impl Experiment for IngestBench {
    fn name(&self) -> &'static str {
        "ingest"
    }

    fn title(&self, _: &Context<'_>) -> String {
        "ingest".to_owned()
    }

    fn steps(&self, _: &Context<'_>) -> Option<u64> {
        None
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        run(
            &self.config,
            &self.sinks,
            &self.stop,
            &mut self.rejects,
            &mut |sink, live| cx.step(&live_line(sink, live)),
        )
    }
}

/// One run's live figures as a progress line.
fn live_line(sink: Storage, live: &Live) -> String {
    let rate = live.stored as f64 / live.elapsed.as_secs_f64().max(1e-9);
    let mut line = format!(
        "{sink}: {:.2}M stored, {:.2}M/s, {:.0} MiB held, queues {}/{} {}/{}",
        live.stored as f64 / 1e6,
        rate / 1e6,
        live.held_bytes as f64 / (1 << 20) as f64,
        live.queued[0],
        live.capacity,
        live.queued[1],
        live.capacity,
    );
    if live.dropped > 0 {
        line.push_str(&format!(", {} dropped", live.dropped));
    }
    if live.rejected > 0 {
        line.push_str(&format!(", {} rejected", live.rejected));
    }
    line
}

fn run(
    config: &IngestConfig,
    sinks: &[Storage],
    stop: &Stop,
    rejects: &mut Vec<Reject>,
    on_tick: &mut dyn FnMut(Storage, &Live),
) -> Result<Results, LabError> {
    if sinks.len() > 1 && matches!(config.source, SourceSpec::Stdin) {
        return Err(crate::ingest::IngestError::StdinToSeveralSinks.into());
    }
    let mut runs = Vec::new();
    for (i, &sink) in sinks.iter().enumerate() {
        if stop.requested() {
            break;
        }
        if i > 0 {
            // The last sink's memory, freed, goes back to the system now,
            // not while the next run is being timed.
            crate::measure::alloc::release_free_memory();
        }
        let config = IngestConfig {
            sink,
            ..config.clone()
        };
        let mut run = ingest::run(&config, stop, &mut |live| on_tick(sink, live))?;
        if i == 0 {
            *rejects = std::mem::take(&mut run.rejects);
        }
        runs.push(run);
    }
    Ok(Results {
        measurements: runs.iter().map(|r| measurement(config, r)).collect(),
        claims: goals(config, &runs),
        notes: notes(config, &runs),
        verified: Some(runs.iter().all(|r| r.verified)),
        failures: runs
            .iter()
            .filter_map(|r| {
                let why = r.failure()?;
                Some(if runs.len() > 1 {
                    format!("{}: {why}", r.sink)
                } else {
                    why
                })
            })
            .collect(),
        ..Results::default()
    })
}

fn measurement(config: &IngestConfig, run: &IngestRun) -> Measurement {
    let lat = &run.latency;
    let us = |ns: u64| ns as f64 / 1e3;
    let mut extra = BTreeMap::from([
        (keys::ACCEPTED.to_owned(), run.accepted as f64),
        (keys::STORED.to_owned(), run.stored as f64),
        (keys::DROPPED.to_owned(), run.dropped as f64),
        (keys::REJECTED.to_owned(), run.rejected as f64),
        (keys::EVENTS_PER_S.to_owned(), run.events_per_s()),
        (keys::BYTES_PER_EVENT.to_owned(), run.bytes_per_event()),
        (keys::HELD_BYTES.to_owned(), run.held_bytes as f64),
        (keys::SERIES.to_owned(), run.series as f64),
        (keys::LATENCY_P50_US.to_owned(), us(lat.p50_ns)),
        (keys::LATENCY_P99_US.to_owned(), us(lat.p99_ns)),
        (keys::LATENCY_P999_US.to_owned(), us(lat.p999_ns)),
        (keys::LATENCY_MAX_US.to_owned(), us(lat.max_ns)),
        (keys::LATENCY_MEAN_US.to_owned(), lat.mean_ns / 1e3),
        (keys::VERIFIED.to_owned(), f64::from(u8::from(run.verified))),
    ]);
    for (name, q) in ["queue_parse", "queue_store"].iter().zip(&run.queues) {
        extra.insert(format!("{name}_mean"), q.mean());
        extra.insert(format!("{name}_max"), q.max as f64);
    }
    let parse = match &config.source {
        SourceSpec::File(_) | SourceSpec::Stdin if config.parse_threads > 1 => format!(
            "parse ({} threads, blocks settled in the order read)",
            config.parse_threads
        ),
        _ => "parse".to_owned(),
    };
    let method = format!(
        "{} from {}: source → {parse} → store threads, channels of {} batches of up to {} \
         events, on full: {}; time = start until the last accepted event was stored{}; \
         events/s = stored ÷ time; held B/event = bytes the sink allocated and kept, counted \
         exactly by the tracking allocator on the store thread; peak = process-wide peak of \
         requested heap bytes above the start (batches in flight included); latency = \
         creation to stored, HDR histogram, 3 significant digits; one run",
        run.sink.describe(),
        run.source,
        config.queue,
        config.batch,
        config.on_full,
        if run.sink == Storage::Stream {
            " (sealing the open chunks included)"
        } else {
            ""
        },
    );
    let mut m = Measurement::new(
        "ingest",
        Runtime::Rust,
        run.sink.name(),
        run.stored,
        0,
        TimeStats::from_samples(&[run.elapsed]),
        method,
    )
    .with_peak(run.peak_bytes);
    m.extra = extra;
    m
}

/// Events per second into a durable store (issue 16).
const STORE_THROUGHPUT_GOAL: f64 = 5e6;

fn find(runs: &[IngestRun], sink: Storage) -> Option<&IngestRun> {
    runs.iter().find(|r| r.sink == sink && r.stored > 0)
}

fn millions(x: f64) -> String {
    format!("{:.2}M", x / 1e6)
}

fn goals(config: &IngestConfig, runs: &[IngestRun]) -> Vec<Claim> {
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let mut claims = Vec::new();

    let full_speed_sensors =
        matches!(config.source, SourceSpec::Sensors(_)) && config.rate.is_none();
    let in_memory = config.store.is_none();
    let judged = match find(runs, Storage::Stream).filter(|_| full_speed_sensors && in_memory) {
        Some(r) => vec![(
            r.events_per_s() >= THROUGHPUT_GOAL && r.verified,
            format!(
                "stream: {} events/s over {} events (goal {}); peak {:.1} MiB, the sink \
                 holding {:.1} MiB ({:.2} B/event){}",
                millions(r.events_per_s()),
                r.stored,
                millions(THROUGHPUT_GOAL),
                mib(r.peak_bytes),
                mib(r.held_bytes),
                r.bytes_per_event(),
                if r.verified { "" } else { "; NOT VERIFIED" }
            ),
        )],
        None => Vec::new(),
    };
    claims.push(verdict(
        "Goal: at least 10M events/s from the synthetic sensor source into the stream sink, \
         memory bounded",
        judged,
        "it needs --source sensors --sink stream (or all) without --rate or --store",
    ));

    // The same run into a durable store: the WAL, segments and the close.
    let default_sync = config
        .store
        .as_ref()
        .is_some_and(|s| s.options.sync == slotlab_stream::store::StoreOptions::default().sync);
    let judged = match find(runs, Storage::Stream).filter(|_| full_speed_sensors && default_sync) {
        Some(r) => vec![(
            r.events_per_s() >= STORE_THROUGHPUT_GOAL && r.verified,
            format!(
                "durable store: {} events/s over {} events (goal {}){}",
                millions(r.events_per_s()),
                r.stored,
                millions(STORE_THROUGHPUT_GOAL),
                if r.verified { "" } else { "; NOT VERIFIED" }
            ),
        )],
        None => Vec::new(),
    };
    if config.store.is_some() {
        claims.push(verdict(
            "Goal: at least 5M events/s from the synthetic sensor source into a durable store \
             with the default sync (group commit every 100 ms)",
            judged,
            "it needs --source sensors without --rate, and the default --sync",
        ));
    }

    // Judged where the throughput goal is: sensors into the stream; the
    // other sinks' quantiles stand beside it, unjudged.
    let at_rate = matches!(config.source, SourceSpec::Sensors(_))
        && config.rate.is_some_and(|r| (r - LATENCY_RATE).abs() < 1.0);
    let quantiles = |r: &IngestRun| {
        format!(
            "{}: p99 {:.0} µs, p50 {:.0} µs, p99.9 {:.0} µs, max {:.0} µs",
            r.sink,
            r.latency.p99_ns as f64 / 1e3,
            r.latency.p50_ns as f64 / 1e3,
            r.latency.p999_ns as f64 / 1e3,
            r.latency.max_ns as f64 / 1e3
        )
    };
    let judged = match find(runs, Storage::Stream).filter(|_| at_rate) {
        Some(stream) => {
            let others: Vec<String> = runs
                .iter()
                .filter(|r| r.sink != Storage::Stream && r.stored > 0)
                .map(quantiles)
                .collect();
            vec![(
                stream.latency.p99_ns <= LATENCY_GOAL_NS,
                format!(
                    "{} (goal p99 ≤ {:.0} µs){}{}",
                    quantiles(stream),
                    LATENCY_GOAL_NS as f64 / 1e3,
                    if others.is_empty() {
                        ""
                    } else {
                        "; not judged: "
                    },
                    others.join("; ")
                ),
            )]
        }
        None => Vec::new(),
    };
    claims.push(verdict(
        "Goal: p99 creation-to-stored latency within 1 ms, sensors into the stream sink at a \
         fixed 1M events/s",
        judged,
        "it needs --source sensors --rate 1e6 with the stream sink (or all)",
    ));

    let mut judged = Vec::new();
    if let (Some(dict), Some(slots)) = (find(runs, Storage::Dict), find(runs, Storage::Slots)) {
        judged.push((
            slots.bytes_per_event() < dict.bytes_per_event(),
            format!(
                "slots hold {:.1} B/event, dict {:.1}",
                slots.bytes_per_event(),
                dict.bytes_per_event()
            ),
        ));
        judged.push((
            slots.events_per_s() > dict.events_per_s(),
            format!(
                "slots store {} events/s, dict {}",
                millions(slots.events_per_s()),
                millions(dict.events_per_s())
            ),
        ));
    }
    let stored: Vec<&IngestRun> = runs.iter().filter(|r| r.stored > 0).collect();
    if let Some(stream) = find(runs, Storage::Stream)
        && stored.len() > 1
    {
        let smallest = stored
            .iter()
            .all(|r| stream.bytes_per_event() <= r.bytes_per_event());
        judged.push((
            smallest,
            format!(
                "the stream holds {:.2} B/event, the fewest of the {} sinks: {}",
                stream.bytes_per_event(),
                stored.len(),
                if smallest { "yes" } else { "no" }
            ),
        ));
    }
    claims.push(verdict(
        "The lesson, at scale: layout decides ingestion speed and memory — slots beat dict on \
         both, and the compressed stream holds the fewest bytes",
        judged,
        "it needs --sink all (or several runs side by side)",
    ));
    claims
}

fn notes(config: &IngestConfig, runs: &[IngestRun]) -> Vec<String> {
    let mut notes = Vec::new();
    let limit = match (config.events, config.duration) {
        (Some(n), Some(d)) => format!(
            "{n} events or {:.1} s, whichever comes first",
            d.as_secs_f64()
        ),
        (Some(n), None) => format!("{n} events"),
        (None, Some(d)) => format!("{:.1} s", d.as_secs_f64()),
        (None, None) => "until the input ends".to_owned(),
    };
    let rate = match config.rate {
        Some(r) => format!(
            "at a fixed {} events/s (each event stamped with the instant it was due, so a \
             source that falls behind shows as latency)",
            millions(r)
        ),
        None if config.source.is_synthetic() => {
            "as fast as possible (the clock read every 256 events for creation stamps)".to_owned()
        }
        None => "as fast as it can be read (each block of lines stamped when read)".to_owned(),
    };
    notes.push(format!(
        "Workload: {}, {limit}, {rate}. Each sink got the same workload in turn, one run each, \
         on this machine's {} cores (figures vary with load; compare rows of one run).",
        crate::ingest::describe_source(&config.source, config.input_format()),
        crate::measure::system::cores()
    ));
    if runs.iter().any(|r| r.naive_times_as_utc) {
        notes
            .push("date-times without an offset were taken as UTC (epoch milliseconds)".to_owned());
    }
    if runs.len() > 1 {
        let mut by_speed: Vec<&IngestRun> = runs.iter().filter(|r| r.stored > 0).collect();
        by_speed.sort_by(|a, b| b.events_per_s().total_cmp(&a.events_per_s()));
        let mut by_bytes = by_speed.clone();
        by_bytes.sort_by(|a, b| a.bytes_per_event().total_cmp(&b.bytes_per_event()));
        notes.push(format!(
            "Ranking by events/s: {}. By bytes held per event: {}.",
            by_speed
                .iter()
                .map(|r| format!("{} {}", r.sink, millions(r.events_per_s())))
                .collect::<Vec<_>>()
                .join(" > "),
            by_bytes
                .iter()
                .map(|r| format!("{} {:.1}", r.sink, r.bytes_per_event()))
                .collect::<Vec<_>>()
                .join(" < ")
        ));
    }
    let mut shown_bad = None;
    for run in runs {
        let mut line = format!(
            "{}: accepted {}, stored {}, dropped {}, rejected {}; {}; ended: {}",
            run.sink,
            run.accepted,
            run.stored,
            run.dropped,
            run.rejected,
            if run.verified {
                "verified (count and timestamp sum read back from the sink match the accepted \
                 events)"
            } else {
                "VERIFY FAILED: the sink does not hold exactly the accepted events"
            },
            run.ended.describe()
        );
        if let Some(schema) = &run.schema {
            let fields: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| format!("{} ({})", f.name, f.kind))
                .collect();
            line.push_str(&format!(
                "; fields {}; {} series",
                fields.join(", "),
                run.series
            ));
        }
        let [parse, store] = &run.queues;
        line.push_str(&format!(
            "; channel occupancy (batches waiting, of {}): to parse mean {:.1} max {}, to \
             store mean {:.1} max {}",
            parse.capacity,
            parse.mean(),
            parse.max,
            store.mean(),
            store.max
        ));
        line.push_str(match run.huge_pages {
            Some(true) => "; transparent huge pages on",
            Some(false) => "; transparent huge pages off",
            None => "",
        });
        notes.push(line);
        if run.accepted == 0 && run.rejected == 0 && run.dropped == 0 {
            notes.push(format!("{}: the input held no events", run.sink));
        }
        if run.rejected > 0 && shown_bad != Some(&run.bad) {
            shown_bad = Some(&run.bad);
            let shown: Vec<String> = run.bad.iter().map(ToString::to_string).collect();
            notes.push(format!(
                "{}: rejected {} bad lines (not stored; --strict stops at the first): {}{}",
                run.sink,
                run.rejected,
                shown.join("; "),
                if run.rejected > shown.len() as u64 {
                    "; …"
                } else {
                    ""
                }
            ));
        }
        notes.extend(run.sink_notes.iter().map(|n| format!("{}: {n}", run.sink)));
    }
    notes
}
