//! The `slotlab` command. Parses flags, calls the library, prints.

mod cli;
mod output;
mod progress;

use anyhow::Context as _;
use clap::Parser;
use cli::{
    Cli, Command, CompareArgs, ExplainArgs, IngestArgs, LessonArgs, MeasureArgs, OutputArgs,
    ReportArgs, StreamArgs, SweepArgs,
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
use slotlab::lab::suite;
use slotlab::lab::sweep::{self, Sweep};
use slotlab::measure::alloc::PreferredBacking;
use slotlab::measure::{
    MonotonicClock, RepeatPlan, Results, Suite, TrackingAllocator, bandwidth, system,
};
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
        Command::Census(_) => interrupt_on_signals()?,
        _ => stop_on_signals()?,
    }
    match cli.command {
        Command::Lesson(args) => lesson_command(&args, quiet),
        Command::Compare(args) => compare_command(&args, quiet),
        Command::Explain(args) => explain_command(&args, quiet),
        Command::Sweep(args) => sweep_command(&args, quiet),
        Command::Access(args) => measure_command(&mut Access, &args, quiet),
        Command::Gc(args) => measure_command(&mut Gc, &args, quiet),
        Command::Report(args) => report_command(&args, quiet),
        Command::Stream(args) => stream_command(&args, quiet),
        Command::Ingest(args) => ingest_command(&args, quiet),
        Command::Census(args) => census_command(&args, quiet),
        Command::Inspect(args) => inspect_command(&args),
        Command::Query(args) => query_command(&args),
        Command::Export(args) => export_command(&args, quiet),
    }
}

/// Reads a saved stream whole; a damaged one is an error naming the chunk.
fn load_stream(path: &std::path::Path) -> anyhow::Result<(slotlab_stream::Stream, usize)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let stream =
        slotlab_stream::Stream::load(&bytes).with_context(|| format!("{}", path.display()))?;
    Ok((stream, bytes.len()))
}

fn inspect_command(args: &cli::InspectArgs) -> anyhow::Result<ExitCode> {
    let (stream, size) = load_stream(&args.path)?;
    let mut text = report::stored::inspect(&stream, size)?;
    text.push_str(&format!(
        "every checksum checked ({} chunks, each decoded once on load)\n",
        stream.sealed_chunks()
    ));
    if args.verify {
        let keys: Vec<String> = stream.series_keys().map(str::to_owned).collect();
        for key in &keys {
            let id = stream.find_series(key).context("a series vanished")?;
            let summary = stream.series_summary(id)?;
            let decoded = stream.scan(id, i64::MIN, i64::MAX)?.len();
            if decoded != summary.events {
                anyhow::bail!(
                    "series {key:?}: {decoded} events decoded, the chunks say {}",
                    summary.events
                );
            }
        }
        text.push_str(&format!(
            "verified: every series decoded whole, {} events, as the chunks say\n",
            stream.len()
        ));
    }
    output::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// A timestamp flag: an integer as stored, or ISO-8601 (epoch ms).
fn timestamp_flag(text: &str, flag: &str) -> anyhow::Result<i64> {
    slotlab_stream::source::time::parse_timestamp(text).with_context(|| flag.to_owned())
}

/// The series and time range a query or export asks for.
fn selection(
    stream: &slotlab_stream::Stream,
    path: &std::path::Path,
    keys: &[String],
    from: &Option<String>,
    to: &Option<String>,
) -> anyhow::Result<(Vec<slotlab_stream::SeriesId>, i64, i64)> {
    let from = from
        .as_deref()
        .map(|t| timestamp_flag(t, "--from"))
        .transpose()?;
    let to = to
        .as_deref()
        .map(|t| timestamp_flag(t, "--to"))
        .transpose()?;
    let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
    if from > to {
        anyhow::bail!("--from is after --to: nothing can be in that range");
    }
    let series = if keys.is_empty() {
        stream
            .series_keys()
            .filter_map(|k| stream.find_series(k))
            .collect::<Vec<_>>()
    } else {
        keys.iter()
            .map(|k| {
                stream
                    .find_series(k)
                    .with_context(|| format!("--series: no series {k:?} in {}", path.display()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    Ok((series, from, to))
}

fn export_command(args: &cli::ExportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "parquet" | "csv" | "ndjson" | "jsonl") {
        anyhow::bail!(
            "--out: {}: write .parquet, .csv or .ndjson (the format comes from the extension)",
            args.out.display()
        );
    }
    let out = Target::check(&args.out, "--out")?;
    let (stream, _) = load_stream(&args.path)?;
    let (series, from, to) = selection(&stream, &args.path, &args.series, &args.from, &args.to)?;
    let started = Instant::now();
    let (bytes, events) = if ext == "parquet" {
        let mut bytes = Vec::new();
        let done = slotlab_stream::export::write_parquet(&stream, &series, from, to, &mut bytes)?;
        (bytes, done.events)
    } else {
        let format = if ext == "csv" {
            report::stored::RowFormat::Csv
        } else {
            report::stored::RowFormat::Ndjson
        };
        let fields: Vec<usize> = (0..stream.schema().fields().len()).collect();
        let text = report::stored::events(&stream, &series, &fields, from, to, format)?;
        let events = text.lines().count() - usize::from(ext == "csv");
        (text.into_bytes(), events)
    };
    let seconds = started.elapsed().as_secs_f64();
    out.write(&bytes)?;
    if !quiet {
        eprintln!(
            "wrote {} ({} events, {} bytes = {:.3} B/event; encoding {:.1}M events/s, timed in this run)",
            out.path().display(),
            events,
            bytes.len(),
            bytes.len() as f64 / events.max(1) as f64,
            events as f64 / seconds.max(1e-9) / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn query_command(args: &cli::QueryArgs) -> anyhow::Result<ExitCode> {
    use report::stored::{Agg, RowFormat};
    let out = Target::check_opt(args.out.as_deref(), "--out")?;
    let (stream, _) = load_stream(&args.path)?;
    let (series, from, to) = selection(&stream, &args.path, &args.series, &args.from, &args.to)?;
    let names = stream.schema().fields();
    let fields: Vec<usize> = if args.fields.is_empty() {
        (0..names.len()).collect()
    } else {
        args.fields
            .iter()
            .map(|f| {
                stream.schema().index_of(f).with_context(|| {
                    let known: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                    format!("--fields: no field {f:?} (the fields are {known:?})")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let format = match args.format {
        cli::RowFormatChoice::Csv => RowFormat::Csv,
        cli::RowFormatChoice::Ndjson => RowFormat::Ndjson,
        cli::RowFormatChoice::Table => RowFormat::Table,
    };
    let text = if args.agg.is_empty() {
        report::stored::events(&stream, &series, &fields, from, to, format)?
    } else {
        let every = match args.every.as_deref() {
            None => None,
            Some(text) => Some(match text.trim().parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    let d =
                        cli::parse_duration(text).map_err(|e| anyhow::anyhow!("--every: {e}"))?;
                    i64::try_from(d.as_millis()).context("--every is too long")?
                }
            }),
        };
        let aggs: Vec<Agg> = args
            .agg
            .iter()
            .map(|a| match a {
                cli::AggChoice::Count => Agg::Count,
                cli::AggChoice::Sum => Agg::Sum,
                cli::AggChoice::Min => Agg::Min,
                cli::AggChoice::Max => Agg::Max,
                cli::AggChoice::Mean => Agg::Mean,
            })
            .collect();
        let (text, how) =
            report::stored::aggregates(&stream, &series, &fields, from, to, every, &aggs, format)?;
        eprintln!("{how}");
        text
    };
    output::emit(&text, out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM during a census: the first interrupts the program
/// (SIGINT: it ends as on Ctrl-C and its census is still taken); a second
/// kills it and exits 128 + the signal.
fn interrupt_on_signals() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGUSR1])
        .context("cannot install the Ctrl-C/SIGTERM handler")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut interrupted = false;
            for signal in signals.forever() {
                if signal == SIGUSR1 {
                    // `--at signal`: the program takes a census snapshot
                    // (without it, SIGUSR1 would end the program).
                    slotlab::python::snapshot_children();
                } else if !interrupted {
                    // From a terminal the program got Ctrl-C itself; SIGTERM
                    // reached only slotlab. Either way it is interrupted once.
                    interrupted = true;
                    slotlab::python::interrupt_children();
                } else {
                    slotlab::python::kill_children();
                    eprintln!("error: interrupted again: the program was killed; no census");
                    std::process::exit(128 + signal);
                }
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

fn census_command(args: &cli::CensusArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use slotlab::lab::census::{CensusRun, suggested_diff};
    use slotlab::python::census::CensusOptions;
    let (format, out) = destination(&args.output, Format::Table)?;
    let diff = Target::check_opt(args.diff.as_deref(), "--diff")?;
    let mut run = CensusRun {
        program: args.program.clone(),
        options: CensusOptions {
            min_instances: args.min_instances,
            sample_max: args.sample,
            capture: false,
            on_signal: args.at == cli::AtChoice::Signal,
            trace: false,
        },
        verify: args.verify,
        include_packages: args.include_packages,
    };
    run.check()?;
    let settings = Settings {
        n: 1,
        plan: RepeatPlan::ONCE,
        rust: false,
        python: Some(args.python.clone()),
        python_limits: slotlab::python::ChildLimits {
            timeout: args.timeout,
            ..Default::default()
        },
    };
    let results = measure(&mut run, &settings, Progress::new(quiet || !args.verify))?;
    let Some(census) = &results.census else {
        anyhow::bail!("the census gave no result");
    };
    let top = usize::try_from(args.top).unwrap_or(usize::MAX);
    output::emit(
        &report::census::render(format, census, &results.notes, top),
        out.as_ref(),
    )?;
    if let Some(target) = &diff {
        let patch = suggested_diff(census)?;
        target.write(&patch)?;
        if !quiet {
            eprintln!(
                "wrote {} ({} lines; apply it with git apply)",
                target.path().display(),
                patch.lines().count()
            );
        }
    }
    if census.status != 0 {
        let why = match (census.ended.as_str(), &census.error) {
            ("raised", Some(error)) => format!("the program raised {error}"),
            ("interrupted", _) => "the program was interrupted".to_owned(),
            _ => format!("the program exited with status {}", census.status),
        };
        eprintln!("error: {why} (its census is above)");
        return Ok(ExitCode::from(
            u8::try_from(census.status).unwrap_or(1).max(1),
        ));
    }
    Ok(ExitCode::SUCCESS)
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
fn destination(output: &OutputArgs, default: Format) -> anyhow::Result<(Format, Option<Target>)> {
    let format = output.resolve_format(default)?;
    Ok((format, Target::check_opt(output.out.as_deref(), "--out")?))
}

/// What every measuring command shares: the context built once (the
/// interpreter probed before any work), progress drawn while the
/// experiment runs.
fn measure(
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
fn python_hint(err: LabError, rust_side: bool) -> anyhow::Error {
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

fn settings(
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
    emit_results(&results, format, out.as_ref())
}

fn ingest_command(args: &IngestArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use signal_hook::consts::{SIGINT, SIGTERM};
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

fn report_command(args: &ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let json = Target::check_opt(args.json.as_deref(), "--json")?;
    let out = Target::check(&args.out, "--out")?;
    let (suite, about) = if args.from.is_empty() {
        measure_suite(args, quiet)?
    } else {
        load_suite(args)?
    };
    if let Some(target) = &json {
        let text = serde_json::to_string_pretty(&suite).context("cannot encode the results")?;
        target.write(text)?;
    }
    let mut charts = Vec::new();
    for section in suite.sections.iter().filter(|s| s.experiment == "sweep") {
        for chart in report::chart::sweep_charts(&section.results)? {
            charts.push((section.experiment.clone(), chart));
        }
    }
    let page = report::html::render_html(&about, &suite, &charts);
    out.write(page)?;
    if !quiet {
        eprintln!("wrote {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs every experiment; the suite and a line saying how.
fn measure_suite(args: &ReportArgs, quiet: bool) -> anyhow::Result<(Suite, String)> {
    let settings = settings(args.n, &args.repeat, true, Some(&args.python_side));
    let bandwidth_probe_bytes = (!args.no_bandwidth).then(bandwidth::default_probe_bytes);
    let clock = MonotonicClock::new();
    let mut progress = Progress::new(quiet);
    let started = std::time::Instant::now();
    let suite = {
        let mut cx = Context::new(&settings, &clock, &mut progress)
            .map_err(|e| python_hint(e, settings.rust))?;
        suite::run(&mut cx, bandwidth_probe_bytes)?
    };
    progress.finish();
    let about = format!(
        "Measured in this run: N = {} ({} measured runs after {} warm-up per case), {} cores \
         ({}), allocator {}, slotlab {}; {:.0} s in all.",
        args.n,
        args.repeat.repeat,
        args.repeat.warmup,
        system::cores(),
        system::cpu_model().unwrap_or_else(|| "unknown CPU".to_owned()),
        slotlab::measure::alloc::backing_allocator().unwrap_or("unknown"),
        env!("CARGO_PKG_VERSION"),
        started.elapsed().as_secs_f64()
    );
    Ok((suite, about))
}

/// Reads every `--from` file into one suite; the suite and a line saying
/// where it came from.
fn load_suite(args: &ReportArgs) -> anyhow::Result<(Suite, String)> {
    let mut suite = Suite::default();
    for path in &args.from {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --from {}", path.display()))?;
        let loaded = Suite::from_json(&text).with_context(|| {
            format!(
                "--from {}: not slotlab results (expected a report --json file or a command's \
                 --format json output)",
                path.display()
            )
        })?;
        suite.sections.extend(loaded.sections);
    }
    let files: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
    let about = format!("Rendered from saved results: {}.", files.join(", "));
    Ok((suite, about))
}
