//! The ingestion pipeline end to end: stops, backpressure, shedding,
//! bounded memory, exact holdings, bad input.

use slotlab::ingest::{
    self, BLOCK_EVENTS, Ended, IngestConfig, IngestRun, InputFormat, OnFull, SourceSpec, Stop,
    Storage,
};
use slotlab::measure::TrackingAllocator;
use slotlab_stream::source::Sensors;
use std::io::Write;
use std::time::Duration;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

/// The peak is process-wide: one pipeline at a time, so no test sees
/// another's bytes.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sensors() -> SourceSpec {
    SourceSpec::Sensors(Sensors::new(100, Sensors::ONE_PER_SECOND_MS, 7))
}

fn run(config: &IngestConfig) -> IngestRun {
    let _one_at_a_time = serial();
    ingest::run(config, &Stop::new(), &mut |_| {}).expect("the run starts")
}

/// Runs `config` and requests a stop after `after`.
fn run_and_stop(config: &IngestConfig, after: Duration) -> IngestRun {
    let _one_at_a_time = serial();
    let stop = Stop::new();
    let stopper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            stop.request();
        })
    };
    let run = ingest::run(config, &stop, &mut |_| {}).expect("the run starts");
    stopper.join().unwrap();
    run
}

#[test]
fn a_stop_mid_run_stores_every_accepted_event_in_every_sink() {
    for sink in Storage::ALL {
        // No limit: only the stop ends it.
        let config = IngestConfig::new(sensors(), sink);
        let run = run_and_stop(&config, Duration::from_millis(150));
        assert_eq!(run.ended, Ended::Stopped, "{sink}");
        assert!(run.accepted > 0, "{sink}: nothing accepted before the stop");
        assert_eq!(run.accepted, run.stored, "{sink}");
        assert_eq!(run.dropped, 0, "{sink}: block mode never drops");
        assert!(
            run.verified,
            "{sink}: the sink does not hold the accepted events"
        );
        assert_eq!(run.latency.count, run.stored, "{sink}");
    }
}

#[test]
fn a_limit_is_met_exactly_and_read_back() {
    for sink in Storage::ALL {
        let mut config = IngestConfig::new(sensors(), sink);
        config.events = Some(12_345);
        config.batch = 1000;
        let run = run(&config);
        assert_eq!(run.ended, Ended::Finished);
        assert_eq!((run.accepted, run.stored), (12_345, 12_345), "{sink}");
        assert!(run.verified, "{sink}");
        assert_eq!(run.series, 100);
        assert!(
            run.held_bytes > 0 && run.peak_bytes >= run.held_bytes,
            "{run:?}"
        );
    }
}

#[test]
fn drop_mode_sheds_and_counts_what_a_slow_sink_cannot_take() {
    let mut config = IngestConfig::new(sensors(), Storage::Columns);
    config.events = Some(400_000);
    config.batch = 1000;
    config.queue = 2;
    config.on_full = OnFull::Drop;
    config.hold_store = true;
    let run = run(&config);
    // The sink takes nothing until intake ends, so at most both channels
    // full and a batch in each stage's hands were accepted; the other
    // 394 batches or more were shed.
    let in_flight_bound = (2 * config.queue as u64 + 3) * config.batch as u64;
    assert!(
        run.accepted <= in_flight_bound && run.dropped >= 400_000 - in_flight_bound,
        "accepted {}, dropped {}",
        run.accepted,
        run.dropped
    );
    assert_eq!(
        run.accepted + run.dropped,
        400_000,
        "every event is stored or counted"
    );
    assert_eq!(run.accepted, run.stored);
    assert!(run.verified);
}

#[test]
fn a_source_outrunning_a_slow_sink_is_held_back_by_the_channels() {
    let (queue, batch) = (4, 1024);
    let mut config = IngestConfig::new(sensors(), Storage::Columns);
    config.queue = queue;
    config.batch = batch;
    // The sink takes nothing until the stop, so everything accepted
    // before it is what the channels hold.
    config.hold_store = true;
    let run = run_and_stop(&config, Duration::from_millis(300));
    assert_eq!(run.accepted, run.stored);
    assert_eq!(run.dropped, 0);
    // Unbounded, the source would have made millions of events (tens of
    // MiB) in this time. Bounded, what is in flight is at most both
    // channels full plus a batch in each stage's hands, so that is all
    // that was accepted; an event in a batch is a series id, a
    // timestamp, a value and a creation stamp (28 bytes).
    let in_flight_events = (2 * queue as u64 + 3) * batch as u64;
    assert!(
        run.accepted <= in_flight_events,
        "{} accepted, more than the channels hold ({in_flight_events})",
        run.accepted
    );
    let batch_bytes = batch as u64 * 28 + 1024;
    let in_flight_bound = (2 * queue as u64 + 3) * batch_bytes;
    // Each thread publishes its balance in steps of up to 64 KiB.
    let slack = 4 * 64 * 1024;
    let in_flight = run.peak_bytes - run.held_bytes;
    assert!(
        in_flight <= in_flight_bound + slack,
        "{in_flight} bytes in flight, more than the channels hold ({in_flight_bound})"
    );
}

#[test]
fn row_and_column_sinks_hold_exactly_their_blocks() {
    use slotlab_stream::{Column, Field};
    use std::mem::size_of;
    let held = |sink, blocks: u64| {
        let mut config = IngestConfig::new(sensors(), sink);
        config.events = Some(blocks * BLOCK_EVENTS as u64);
        let run = run(&config);
        assert_eq!(run.stored, blocks * BLOCK_EVENTS as u64);
        run.held_bytes
    };
    // From four full blocks to eight, the sink adds four blocks and its
    // list of blocks grows from four entries to eight; nothing else.
    let block = BLOCK_EVENTS as u64;
    let record = held(Storage::Record, 8) - held(Storage::Record, 4);
    // A row: series id, timestamp, value, 8 bytes each.
    assert_eq!(record, 4 * block * 24 + 4 * size_of::<Vec<u64>>() as u64);
    let columns = held(Storage::Columns, 8) - held(Storage::Columns, 4);
    // A column block: its series ids (4 bytes), timestamps and values (8
    // each), its schema (one field named "celsius") and its one column.
    let per_block = block * 20
        + (size_of::<Field>() + "celsius".len() + size_of::<Column>()) as u64
        + size_of::<slotlab_stream::source::Events>() as u64;
    assert_eq!(columns, 4 * per_block);
}

fn file_with(text: &str, ext: &str) -> tempfile_path::TempPath {
    tempfile_path::write(text, ext)
}

/// A tiny temporary-file helper (no extra dependency).
mod tempfile_path {
    use std::path::PathBuf;

    pub struct TempPath(pub PathBuf);

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    pub fn write(text: &str, ext: &str) -> TempPath {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "slotlab-ingest-{}-{}.{ext}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut file = std::fs::File::create(&path).unwrap();
        super::Write::write_all(&mut file, text.as_bytes()).unwrap();
        TempPath(path)
    }
}

#[test]
fn files_are_read_line_by_line_with_bad_lines_named() {
    let ndjson = file_with(
        "{\"timestamp\": 1, \"series\": \"a\", \"v\": 1.5}\n\
         {\"timestamp\": 2, \"series\": \"a\", \"v\": \"x\"}\n\
         not json\n\
         {\"timestamp\": \"1970-01-01T00:00:00.003Z\", \"series\": \"b\", \"v\": 2}\n\
         {\"timestamp\": 4, \"series\": \"a\", \"v\": 3}",
        "ndjson",
    );
    let csv = file_with(
        "timestamp,series,v\n1,a,1.5\n2,a,x\nnot,a\n3,b,2\n4,a,3\n",
        "csv",
    );
    for (file, format) in [(&ndjson, InputFormat::Ndjson), (&csv, InputFormat::Csv)] {
        for sink in Storage::ALL {
            // The format from the file's extension.
            let config = IngestConfig::new(SourceSpec::File(file.0.clone()), sink);
            assert_eq!(config.input_format(), format);
            let run = run(&config);
            assert_eq!(run.ended, Ended::Finished, "{format} {sink}");
            assert_eq!(
                (run.accepted, run.stored, run.rejected),
                (3, 3, 2),
                "{format}"
            );
            assert!(run.verified);
            let first_bad = if format == InputFormat::Csv { 3 } else { 2 };
            let lines: Vec<u64> = run.bad.iter().map(|b| b.line).collect();
            assert_eq!(lines, [first_bad, first_bad + 1], "{format}: {:?}", run.bad);
        }
    }
}

#[test]
fn strict_stops_at_the_first_bad_line_and_keeps_the_good_ones() {
    let file = file_with(
        "{\"timestamp\": 1, \"v\": 1}\n{\"timestamp\": 2, \"v\": 2}\n{\"timestamp\": 3}\n{\"timestamp\": 4, \"v\": 4}\n",
        "ndjson",
    );
    let mut config = IngestConfig::new(SourceSpec::File(file.0.clone()), Storage::Stream);
    config.input = Some(InputFormat::Ndjson);
    config.parse.strict = true;
    let run = run(&config);
    match &run.ended {
        Ended::Strict(bad) => assert_eq!(bad.line, 3, "{bad:?}"),
        other => panic!("{other:?}"),
    }
    assert!(run.ended.is_failure());
    assert_eq!((run.accepted, run.stored), (2, 2));
}

#[test]
fn a_missing_file_is_an_error_before_anything_runs() {
    let source = SourceSpec::File("/nonexistent/events.ndjson".into());
    let _one_at_a_time = serial();
    let err = ingest::run(
        &IngestConfig::new(source, Storage::Dict),
        &Stop::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/events.ndjson"),
        "{err}"
    );
}

#[test]
fn the_memory_budget_stops_intake_and_says_so() {
    let mut config = IngestConfig::new(sensors(), Storage::Dict);
    config.max_memory = Some(1 << 20);
    let run = run(&config);
    assert_eq!(run.ended, Ended::MemoryBudget { limit: 1 << 20 });
    assert!(run.ended.is_failure());
    assert_eq!(run.accepted, run.stored);
    assert!(run.verified);
}

/// What the up-front bound assumes per series is what a series really
/// costs: the held bytes of a fleet of 2,000 less those of a fleet of 20,
/// one event per sensor, per extra sensor, in every sink.
#[test]
fn a_series_costs_no_more_than_the_bound_assumes() {
    use slotlab::ingest::bounds::PER_SERIES_BYTES;
    let held = |sink: Storage, sensors: usize| {
        let config = IngestConfig {
            events: Some(sensors as u64),
            ..IngestConfig::new(
                SourceSpec::Sensors(Sensors::new(sensors, Sensors::ONE_PER_SECOND_MS, 3)),
                sink,
            )
        };
        let r = run(&config);
        assert_eq!(r.stored, sensors as u64);
        r.held_bytes as f64
    };
    for sink in [
        Storage::Dict,
        Storage::Slots,
        Storage::Record,
        Storage::Columns,
        Storage::Stream,
    ] {
        let per_series = (held(sink, 2000) - held(sink, 20)) / 1980.0;
        assert!(
            per_series > 0.0 && per_series <= PER_SERIES_BYTES as f64,
            "{sink}: {per_series:.0} bytes per series"
        );
        eprintln!("{sink}: {per_series:.0} bytes per series");
    }
}

/// Bad lines are rejected, never dropped: in drop mode lines are parsed
/// first and parsed events shed, so `rejected` is the same in both modes
/// and every line is accounted for once.
#[test]
fn rejected_is_the_same_in_block_and_drop_modes() {
    let lines = 200_000u64;
    let text: String = (0..lines)
        .map(|i| {
            if i % 1000 == 999 {
                format!(
                    "{{\"timestamp\": {i}, \"series\": \"s{}\", \"v\": \"bad\"}}\n",
                    i % 50
                )
            } else {
                format!(
                    "{{\"timestamp\": {i}, \"series\": \"s{}\", \"v\": {i}.5}}\n",
                    i % 50
                )
            }
        })
        .collect();
    let file = file_with(&text, "ndjson");
    for on_full in [OnFull::Block, OnFull::Drop] {
        let mut config = IngestConfig::new(SourceSpec::File(file.0.clone()), Storage::Columns);
        config.on_full = on_full;
        config.queue = 2;
        // In drop mode the sink takes nothing until intake ends: most
        // parsed events must be shed.
        config.hold_store = on_full == OnFull::Drop;
        let run = run(&config);
        assert_eq!(run.rejected, 200, "{on_full:?}");
        assert_eq!(
            run.accepted + run.dropped + run.rejected,
            lines,
            "{on_full:?}"
        );
        assert_eq!(run.accepted, run.stored, "{on_full:?}");
        assert!(run.verified, "{on_full:?}");
        if on_full == OnFull::Drop {
            assert!(run.dropped > 0, "the held sink made the parse stage shed");
        } else {
            assert_eq!(run.dropped, 0);
        }
    }
}

/// A file of many blocks, with bad lines and series going back in time
/// throughout, reads the same on one parse thread as on four: the same
/// events stored, the same lines rejected for the same reasons, the same
/// strict stop.
#[test]
fn parse_threads_read_a_file_as_one_thread_does() {
    let mut text = String::from("time,series,v\n");
    // Good lines only in the first blocks (about 9,000 lines each), so
    // the strict stop comes in a block a worker parsed.
    for i in 0..60_000u64 {
        let late = i >= 30_000;
        let t = 1_767_225_600_000 + i / 7 * 1000 - (late && i % 13 == 0) as u64 * 5000;
        match i % 997 {
            500 if late => text.push_str("not,a\n"),
            501 if late => text.push_str(&format!("{t},s{},warm\n", i % 7)),
            _ => text.push_str(&format!("{t},s{},{}.25\n", i % 7, i % 100)),
        }
    }
    let file = file_with(&text, "csv");
    let outcome = |threads: usize, strict: bool| {
        let mut config = IngestConfig::new(SourceSpec::File(file.0.clone()), Storage::Stream);
        config.parse_threads = threads;
        config.parse.keep_rejects = true;
        config.parse.strict = strict;
        let run = run(&config);
        let rejects: Vec<_> = run
            .rejects
            .iter()
            .map(|r| (r.bad.clone(), r.text.clone()))
            .collect();
        (
            (
                run.accepted,
                run.stored,
                run.rejected,
                run.series,
                run.verified,
            ),
            run.bad,
            rejects,
            format!("{:?}", run.ended),
        )
    };
    let one = outcome(1, false);
    assert!(one.0.2 > 2000, "lines rejected: {:?}", one.0);
    assert_eq!(outcome(4, false), one);
    let strict = outcome(1, true);
    assert!(strict.3.contains("Strict"), "{}", strict.3);
    assert_eq!(outcome(4, true), strict);
}
