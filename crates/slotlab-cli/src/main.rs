//! The `slotlab` command. Parses flags, calls the library, prints.

mod broker;
mod census;
mod cli;
mod output;
mod page;
mod progress;
mod stored;

use anyhow::Context as _;
use clap::Parser;
use cli::{
    Cli, Command, CompareArgs, ExplainArgs, IngestArgs, LessonArgs, MeasureArgs, OutputArgs,
    StreamArgs, SweepArgs,
};
use output::Target;
use progress::Progress;
use slotlab::lab::LabError;
use slotlab::lab::access::Access;
use slotlab::lab::compare::Compare;
use slotlab::lab::experiment::{self, Context, Experiment, Settings};
use slotlab::lab::explain::Explain;
use slotlab::lab::gc::Gc;
use slotlab::lab::ingest_bench::IngestBench;
use slotlab::lab::lesson::Lesson;
use slotlab::lab::stream_bench::StreamBench;
use slotlab::lab::sweep::{self, Sweep};
use slotlab::measure::alloc::PreferredBacking;
use slotlab::measure::{MonotonicClock, RepeatPlan, Results, TrackingAllocator, bandwidth};
use slotlab::python::{PyCase, PythonError};
use slotlab::report::{self, Format};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// Every heap byte is counted. Small objects are served by mimalloc (unless
/// built without the `mimalloc` feature), as CPython serves its small
/// objects from its own allocator, pymalloc.
#[global_allocator]
static ALLOC: TrackingAllocator<PreferredBacking> = TrackingAllocator::preferred();

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            // An error caused by Ctrl-C/SIGTERM is reported as the interruption.
            if INTERRUPTED.load(Ordering::SeqCst) != 0 {
                wait_for_the_signal_thread();
            }
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The signal that interrupted the run (0: none).
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// The signal thread reports an interruption and exits; the main thread,
/// whose work failed because of it, waits for that.
fn wait_for_the_signal_thread() -> ! {
    loop {
        std::thread::park();
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    match cli.command {
        Command::Ingest(_) => {}
        Command::Census(_) => census::interrupt_on_signals()?,
        _ => stop_on_signals()?,
    }
    match cli.command {
        Command::Lesson(args) => lesson_command(&args, quiet),
        Command::Compare(args) => compare_command(&args, quiet),
        Command::Explain(args) => explain_command(&args, quiet),
        Command::Sweep(args) => sweep_command(&args, quiet),
        Command::Access(args) => measure_command(&mut Access, &args, quiet),
        Command::Gc(args) => measure_command(&mut Gc, &args, quiet),
        Command::Report(args) => page::report_command(&args, quiet),
        Command::Stream(args) => stream_command(&args, quiet),
        Command::Ingest(args) => ingest_command(&args, quiet),
        Command::Census(args) => census::census_command(&args, quiet),
        Command::Inspect(args) => stored::inspect_command(&args),
        Command::Query(args) => stored::query_command(&args),
        Command::Export(args) => stored::export_command(&args, quiet),
        Command::Publish(args) => broker::publish_command(&args, quiet),
    }
}

/// Ctrl-C or SIGTERM during a measurement: every interpreter slotlab
/// started is killed with its process group and reaped, no new one
/// starts, and slotlab exits 128 + the signal with one `error:` line.
/// (`ingest` drains instead: its own handler.)
fn stop_on_signals() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("cannot install the Ctrl-C/SIGTERM handler")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Said first, so the main thread, whose interpreter is about
                // to fail, leaves the report to this one.
                INTERRUPTED.store(signal, Ordering::SeqCst);
                let killed = slotlab::python::kill_children();
                // The runner reaps what it was waiting for; give it a moment.
                let deadline = Instant::now() + Duration::from_secs(2);
                while slotlab::python::children_alive() > 0 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                eprintln!(
                    "error: interrupted: stopped before the work was done{}",
                    if killed > 0 {
                        " (the interpreter it was running was killed)"
                    } else {
                        ""
                    }
                );
                std::process::exit(128 + signal);
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// The format asked for and the `--out` file, both checked before
/// anything is measured.
pub(crate) fn destination(
    output: &OutputArgs,
    default: Format,
) -> anyhow::Result<(Format, Option<Target>)> {
    let format = output.resolve_format(default)?;
    Ok((format, Target::check_opt(output.out.as_deref(), "--out")?))
}

/// What every measuring command shares: the context built once (the
/// interpreter probed before any work), progress drawn while the
/// experiment runs.
pub(crate) fn measure(
    experiment: &mut dyn Experiment,
    settings: &Settings,
    mut progress: Progress,
) -> anyhow::Result<Results> {
    let clock = MonotonicClock::new();
    let results = {
        let mut cx = Context::new(settings, &clock, &mut progress)
            .map_err(|e| python_hint(e, settings.rust))?;
        experiment::run(experiment, &mut cx)?
    };
    progress.finish();
    Ok(results)
}

/// Appends every event of `stream` to the store in `dir` and closes it;
/// a line saying what is stored.
fn store_stream(
    dir: &std::path::Path,
    options: slotlab_stream::store::StoreOptions,
    stream: &slotlab_stream::Stream,
) -> anyhow::Result<String> {
    use slotlab_stream::store::Store;
    let (mut store, recovery) = Store::open(dir, stream.schema(), stream.config(), options)?;
    let before = store.appended();
    let keys: Vec<String> = stream.series_keys().map(str::to_owned).collect();
    for key in &keys {
        let from = stream.find_series(key).context("a series vanished")?;
        let to = store.series(key)?;
        let batch = stream.scan(from, i64::MIN, i64::MAX)?;
        store.append_batch(&vec![to; batch.len()], &batch, 0..batch.len())?;
    }
    store.sync()?;
    let total = store.appended();
    let dropped = store.dropped();
    let path = dir.to_owned();
    let held = store.close()?.len();
    let bytes = slotlab_stream::store::disk_bytes(&path);
    let mut line = format!(
        "stored: {} events appended to {} ({} appended in all; {} were there{}), {} bytes on disk \
         = {:.4} B/reading held; WAL {}, closed (heads sealed, WAL emptied)",
        total - before,
        path.display(),
        total,
        before,
        if recovery.wal_cut_bytes > 0 {
            format!(", a torn WAL tail of {} bytes cut", recovery.wal_cut_bytes)
        } else {
            String::new()
        },
        bytes,
        bytes as f64 / held.max(1) as f64,
        slotlab::ingest::sync_words(options.sync),
    );
    if dropped.segments > 0 {
        line.push_str(&format!(
            "; retention dropped {} segments ({} events), {held} held",
            dropped.segments, dropped.events
        ));
    }
    Ok(line)
}

/// Writes every rejected line to `--rejects` as JSON lines (its number,
/// the reason, its text) and says so in the notes.
fn write_rejects(
    target: &Target,
    rejects: &[slotlab_stream::source::lines::Reject],
    notes: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut text = String::new();
    for reject in rejects {
        let line = serde_json::json!({
            "line": reject.bad.line,
            "reason": reject.bad.problem.to_string(),
            "text": reject.text,
        });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    target.write(text)?;
    notes.push(format!(
        "rejected lines: {} written to {} (JSON lines: line, reason, text)",
        rejects.len(),
        target.path().display()
    ));
    Ok(())
}

/// The library says a run's settings would not fit in memory; the CLI
/// adds which flags size it.
fn size_hint(err: anyhow::Error) -> anyhow::Error {
    use slotlab::ingest::IngestError;
    use slotlab::ingest::bounds::ReservePart;
    let flags = match err.downcast_ref::<LabError>() {
        Some(LabError::TooManySeries { .. }) => "lower --sensors or --symbols",
        Some(LabError::Ingest(IngestError::TooLarge { largest, .. })) => match largest {
            ReservePart::Series { .. } => "lower --sensors or --symbols",
            _ => "lower --queue or --batch",
        },
        _ => return err,
    };
    anyhow::anyhow!("{err:#} ({flags})")
}

/// The library says what is wrong with an interpreter; the CLI adds which
/// flags would fix it.
pub(crate) fn python_hint(err: LabError, rust_side: bool) -> anyhow::Error {
    match &err {
        LabError::Python(PythonError::NotFound { .. }) => anyhow::anyhow!(
            "{:#}; install CPython 3 or pass --python PATH{}",
            anyhow::Error::new(err),
            if rust_side { " (or --rust-only)" } else { "" }
        ),
        LabError::Python(PythonError::NotCPython { .. }) => anyhow::anyhow!(
            "{:#}; pass --python with a CPython interpreter",
            anyhow::Error::new(err)
        ),
        _ => err.into(),
    }
}

/// Renders `results` where `--out` says; exits non-zero when a run failed
/// or a verification did not match (after printing, so the figures show
/// what happened).
fn emit_results(
    results: &Results,
    format: Format,
    out: Option<&Target>,
) -> anyhow::Result<ExitCode> {
    output::emit(&report::render(format, results), out)?;
    match results.failure() {
        Some(why) => {
            eprintln!("error: {why}");
            Ok(ExitCode::FAILURE)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

pub(crate) fn settings(
    n: u64,
    repeat: &cli::RepeatArgs,
    rust: bool,
    python: Option<&cli::PythonArgs>,
) -> Settings {
    Settings {
        n,
        plan: repeat.plan(),
        rust,
        python: python.and_then(cli::PythonArgs::python).map(str::to_owned),
        python_limits: python.map(cli::PythonArgs::limits).unwrap_or_default(),
    }
}

fn lesson_command(args: &LessonArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (format, out) = destination(&args.output, Format::Text)?;
    let mut lesson = Lesson {
        layouts: args.layout.layouts(),
    };
    let settings = settings(args.n, &args.repeat, true, None);
    let results = measure(&mut lesson, &settings, Progress::new(quiet))?;
    emit_results(&results, format, out.as_ref())
}

fn compare_command(args: &CompareArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let mut compare = Compare {
        bandwidth_probe_bytes: (!args.no_bandwidth).then(bandwidth::default_probe_bytes),
    };
    measure_command(&mut compare, &args.measure, quiet)
}

fn explain_command(args: &ExplainArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (format, out) = destination(&args.output, Format::Text)?;
    let mut explain = Explain {
        layouts: args.layout.layouts(),
    };
    let settings = Settings {
        n: 1,
        plan: RepeatPlan::default(),
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
        python_limits: args.runtimes.python_side.limits(),
    };
    let results = measure(&mut explain, &settings, Progress::new(quiet))?;
    output::emit(
        &report::render_anatomies(format, &results.anatomies),
        out.as_ref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn sweep_command(args: &SweepArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (format, out) = destination(&args.output, Format::Table)?;
    if args.from > args.to {
        anyhow::bail!(
            "--from {} is larger than --to {}: the sweep goes from small N to large",
            args.from,
            args.to
        );
    }
    let mut sweep = Sweep {
        sizes: sweep::sizes(args.from, args.to, args.steps as usize),
        cases: if args.all_cases {
            PyCase::ALL.to_vec()
        } else {
            sweep::DEFAULT_CASES.to_vec()
        },
    };
    let settings = settings(
        args.to,
        &args.repeat,
        args.runtimes.rust(),
        Some(&args.runtimes.python_side),
    );
    // The charts' directory exists (or is made) before anything is measured.
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--charts: cannot create {}", dir.display()))?;
    }
    let results = measure(&mut sweep, &settings, Progress::new(quiet))?;
    if let Some(dir) = &args.charts {
        for chart in report::chart::sweep_charts(&results)? {
            let target = Target::check(&dir.join(format!("{}.svg", chart.stem)), "--charts")?;
            target.write(&chart.svg)?;
            if !quiet {
                eprintln!("wrote {} ({})", target.path().display(), chart.title);
            }
        }
    } else if !quiet {
        eprintln!("(add --charts DIR for SVG charts of bytes and time per object vs N)");
    }
    emit_results(&results, format, out.as_ref())
}

/// `compare`, `access` and `gc`: N objects in both runtimes.
fn measure_command(
    experiment: &mut dyn Experiment,
    args: &MeasureArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let (format, out) = destination(&args.output, Format::Table)?;
    let settings = settings(
        args.n,
        &args.repeat,
        args.runtimes.rust(),
        Some(&args.runtimes.python_side),
    );
    let results = measure(experiment, &settings, Progress::new(quiet))?;
    emit_results(&results, format, out.as_ref())
}

fn stream_command(args: &StreamArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (format, out) = destination(&args.output, Format::Table)?;
    let source = args.source();
    args.lines.check_applies(&source, &args.source)?;
    args.synthetic.check_applies(&source, &args.source)?;
    if !source.is_synthetic() && args.n.is_some() {
        anyhow::bail!(
            "--n: sizes a synthetic source; --source {} gives what it holds",
            args.source
        );
    }
    let n = args.n.unwrap_or(1_000_000);
    let mut bench = StreamBench {
        source,
        input: args.lines.format(),
        lines: args.lines.options()?,
        rejects: Vec::new(),
        chunk_len: usize::try_from(args.chunk).context("--chunk is too large")?,
        codecs: args.codecs.policy(),
        verify: args.verify,
        stream: None,
    };
    let save = Target::check_opt(args.save.as_deref(), "--save")?;
    let store = args.store.spec()?;
    let rejects = Target::check_opt(args.lines.rejects.as_deref(), "--rejects")?;
    let settings = settings(n, &args.repeat, true, Some(&args.python_side));
    let mut results = measure(&mut bench, &settings, Progress::new(quiet)).map_err(size_hint)?;
    if let (Some(target), Some(stream)) = (&save, &bench.stream) {
        let bytes = stream
            .save()
            .context("cannot encode the stream for --save")?;
        target.write(&bytes)?;
        results.notes.push(format!(
            "saved: {} ({} bytes, a checksum per chunk)",
            target.path().display(),
            bytes.len()
        ));
    }
    if let Some(target) = &rejects {
        write_rejects(target, &bench.rejects, &mut results.notes)?;
    }
    if let (Some((dir, options)), Some(stream)) = (&store, &bench.stream) {
        results
            .notes
            .push(store_stream(dir, *options, stream).context("--store")?);
    }
    emit_results(&results, format, out.as_ref())
}

fn ingest_command(args: &IngestArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    if args.source.starts_with("nats://") {
        return broker::nats_ingest_command(args, quiet);
    }
    let (format, out) = destination(&args.output, Format::Table)?;
    let (config, sinks) = args.config()?;
    let rejects = Target::check_opt(args.lines.rejects.as_deref(), "--rejects")?;
    // Ctrl-C or SIGTERM asks for a stop (intake ends, the pipeline drains,
    // the report is printed, exit 0); a second one quits at once and says
    // what is abandoned.
    let stop = slotlab::ingest::Stop::new();
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("cannot install the Ctrl-C/SIGTERM handler")?;
    {
        let stop = stop.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut received = signals.forever();
                if received.next().is_some() {
                    stop.request();
                }
                if let Some(signal) = received.next() {
                    eprintln!(
                        "error: interrupted again: quitting now; events still in the pipeline \
                         are not stored and no report is printed"
                    );
                    std::process::exit(128 + signal);
                }
            })
            .context("cannot start the signal thread")?;
    }
    let mut bench = IngestBench::new(config, sinks, stop.clone());
    // The run's size is ingest's own (--events, --duration or the input).
    let settings = Settings {
        n: 1,
        plan: RepeatPlan::ONCE,
        rust: true,
        python: None,
        python_limits: Default::default(),
    };
    let progress = Progress::new(quiet).stopping_on(stop.clone());
    let mut results = measure(&mut bench, &settings, progress).map_err(size_hint)?;
    if let Some(target) = &rejects {
        write_rejects(target, bench.rejects(), &mut results.notes)?;
    }
    if stop.requested() && !quiet {
        eprintln!("stopped on request: intake ended, every accepted event was stored");
    }
    emit_results(&results, format, out.as_ref())
}
