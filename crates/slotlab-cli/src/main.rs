//! The `slotlab` command. Parses flags, calls the library, prints.

mod cli;
mod output;
mod progress;

use anyhow::Context;
use clap::Parser;
use cli::{
    Cli, Command, CompareArgs, ExplainArgs, IngestArgs, MeasureArgs, OutputArgs, ReportArgs,
    SeedArgs, StreamArgs, SweepArgs,
};
use progress::Progress;
use slotlab::lab::access::{self, AccessConfig};
use slotlab::lab::compare::{self, CompareConfig};
use slotlab::lab::explain;
use slotlab::lab::gc::{self, GcConfig};
use slotlab::lab::seed::{self, SeedConfig, SeedLayout};
use slotlab::lab::stream::StreamBenchConfig;
use slotlab::lab::suite::{self, SuiteConfig};
use slotlab::lab::sweep::{self, SweepConfig};
use slotlab::measure::Suite;
use slotlab::measure::alloc::PreferredBacking;
use slotlab::measure::{MonotonicClock, Results, RunKind, TrackingAllocator, bandwidth, system};
use slotlab::python::{PyCase, Python};
use slotlab::report::{self, Format};
use std::process::ExitCode;

/// Every heap byte is counted. Small objects are served by mimalloc (unless
/// built without the `mimalloc` feature), as CPython serves its small
/// objects from its own allocator, pymalloc.
#[global_allocator]
static ALLOC: TrackingAllocator<PreferredBacking> = TrackingAllocator::preferred();

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    match cli.command {
        Command::Seed(args) => seed_command(&args, quiet),
        Command::Compare(args) => compare_command(&args, quiet),
        Command::Explain(args) => explain_command(&args),
        Command::Sweep(args) => sweep_command(&args, quiet),
        Command::Access(args) => access_command(&args, quiet),
        Command::Gc(args) => gc_command(&args, quiet),
        Command::Report(args) => report_command(&args, quiet),
        Command::Stream(args) => stream_command(&args, quiet),
        Command::Ingest(args) => ingest_command(&args, quiet),
    }
}

/// The format asked for, checked before anything is measured.
fn format_of(output: &OutputArgs, default: Format) -> anyhow::Result<Format> {
    output.resolve_format(default).map_err(anyhow::Error::msg)
}

/// Renders `results` and writes them where `--out` says.
fn emit_results(
    results: &Results,
    format: Format,
    output: &OutputArgs,
) -> anyhow::Result<ExitCode> {
    output::emit(&report::render(format, results), output.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

fn seed_command(args: &SeedArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Text)?;
    let layouts = args.layout.layouts();
    // Refuse an N that cannot fit before running anything.
    for &layout in &layouts {
        seed::check_fits(layout, args.n)?;
    }
    let plan = args.repeat.plan();
    let clock = MonotonicClock::new();
    let mut measurements = Vec::new();
    for layout in layouts {
        let config = SeedConfig {
            n: args.n,
            layout,
            plan,
        };
        let runs = u64::from(plan.warmup + plan.repetitions.get());
        let mut progress = Progress::bar(quiet, runs, format!("seed {layout} N={}", args.n));
        let mut on_run = |kind: RunKind| match kind {
            RunKind::Warmup => progress.step("warm-up"),
            RunKind::Measured(i) => progress.step(&format!("run {}/{}", i + 1, plan.repetitions)),
        };
        let measurement = seed::run(&config, &clock, &mut on_run)
            .with_context(|| format!("seed, {layout} layout"))?;
        progress.finish();
        measurements.push(measurement);
    }
    let results = Results {
        measurements,
        ..Results::default()
    };
    emit_results(&results, format, &args.output)
}

fn compare_command(args: &CompareArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Table)?;
    let config = CompareConfig {
        n: args.n,
        plan: args.repeat.plan(),
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
        bandwidth_probe_bytes: (!args.no_bandwidth).then(bandwidth::default_probe_bytes),
    };
    let steps = compare::steps(&config).len() as u64;
    let mut progress = Progress::bar(quiet, steps, format!("compare N={}", args.n));
    let results = compare::run(&config, &MonotonicClock::new(), &mut |step| {
        progress.step(&step.label());
    })?;
    progress.finish();
    emit_results(&results, format, &args.output)
}

fn explain_command(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Text)?;
    let python = args.runtimes.python().map(Python::probe).transpose()?;
    let mut anatomies = Vec::new();
    for layout in args.layout.layouts() {
        if args.runtimes.rust() {
            anatomies.push(explain::rust(layout)?);
        }
        // CPython's counterpart of each layout; columns have none in the
        // standard library.
        let case = match layout {
            SeedLayout::Dict => Some(PyCase::Dict),
            SeedLayout::Slots => Some(PyCase::Slots),
            SeedLayout::Record => Some(PyCase::DataclassSlots),
            _ => None,
        };
        if let (Some(python), Some(case)) = (&python, case) {
            anatomies.extend(explain::cpython(python, case)?);
        }
    }
    output::emit(
        &report::render_anatomies(format, &anatomies),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn sweep_command(args: &SweepArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Table)?;
    if args.from > args.to {
        anyhow::bail!(
            "--from {} is larger than --to {}: the sweep goes from small N to large",
            args.from,
            args.to
        );
    }
    let config = SweepConfig {
        sizes: sweep::sizes(args.from, args.to, args.steps as usize),
        plan: args.repeat.plan(),
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
        cases: if args.all_cases {
            PyCase::ALL.to_vec()
        } else {
            sweep::DEFAULT_CASES.to_vec()
        },
    };
    let steps = sweep::steps(&config).len() as u64;
    let mut progress = Progress::bar(quiet, steps, "sweep".to_owned());
    let results = sweep::run(&config, &MonotonicClock::new(), &mut |step| {
        progress.step(&step.label());
    })?;
    progress.finish();
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --charts {}", dir.display()))?;
        for chart in report::chart::sweep_charts(&results)? {
            let path = dir.join(format!("{}.svg", chart.stem));
            output::write_file(&path, &chart.svg, "--charts")?;
            if !quiet {
                eprintln!("wrote {} ({})", path.display(), chart.title);
            }
        }
    } else if !quiet {
        eprintln!("(add --charts DIR for SVG charts of bytes and time per object vs N)");
    }
    emit_results(&results, format, &args.output)
}

fn access_command(args: &MeasureArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Table)?;
    let config = AccessConfig {
        n: args.n,
        plan: args.repeat.plan(),
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
    };
    let steps = u64::from(config.rust) * 8 + u64::from(config.python.is_some()) * 3;
    let mut progress = Progress::bar(quiet, steps, format!("access N={}", args.n));
    let results = access::run(&config, &MonotonicClock::new(), &mut |label| {
        progress.step(label)
    })?;
    progress.finish();
    emit_results(&results, format, &args.output)
}

fn gc_command(args: &MeasureArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Table)?;
    let config = GcConfig {
        n: args.n,
        plan: args.repeat.plan(),
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
    };
    let steps = u64::from(config.rust) * 2 + u64::from(config.python.is_some()) * 3;
    let mut progress = Progress::bar(quiet, steps, format!("gc N={}", args.n));
    let results = gc::run(&config, &MonotonicClock::new(), &mut |label| {
        progress.step(label)
    })?;
    progress.finish();
    emit_results(&results, format, &args.output)
}

fn stream_command(args: &StreamArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.output, Format::Table)?;
    let config = StreamBenchConfig {
        source: args.source(),
        n: args.n,
        chunk_len: usize::try_from(args.chunk).context("--chunk is too large")?,
        codecs: args.codecs.policy(),
        plan: args.repeat.plan(),
        verify: args.verify,
        python: args.python_side.python().map(str::to_owned),
    };
    let mut progress = Progress::spinner(quiet, format!("stream {}", config.source.describe()));
    let run = slotlab::lab::stream::run(&config, &MonotonicClock::new(), &mut |label| {
        progress.step(label)
    })?;
    progress.finish();
    let mut results = run.results;
    if let Some(path) = &args.save {
        let bytes = run
            .stream
            .save()
            .context("cannot encode the stream for --save")?;
        output::write_file(path, &bytes, "--save")?;
        results.notes.push(format!(
            "saved: {} ({} bytes, a checksum per chunk)",
            path.display(),
            bytes.len()
        ));
    }
    let failed = results.notes.iter().any(|n| n.starts_with("VERIFY FAILED"));
    emit_results(&results, format, &args.output)?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn ingest_command(args: &IngestArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let format = format_of(&args.output, Format::Table)?;
    let (config, sinks) = args.config().map_err(anyhow::Error::msg)?;
    // Ctrl-C or SIGTERM asks for a stop (intake ends, the pipeline drains,
    // the report is printed); a second one, with the stop already asked
    // for, quits at once. The shutdown must be registered first.
    let stop = slotlab::ingest::Stop::new();
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.flag())
            .and_then(|_| signal_hook::flag::register(signal, stop.flag()))
            .context("cannot install the Ctrl-C/SIGTERM handler")?;
    }
    let mut progress = Progress::spinner(quiet, "ingest".to_owned());
    let outcome = slotlab::lab::ingest::run(&config, &sinks, &stop, &mut |sink, live| {
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
        if stop.requested() {
            line.push_str(" — stopping, storing what was accepted (Ctrl-C again quits)");
        }
        progress.step(&line);
    })?;
    progress.finish();
    if stop.requested() && !quiet {
        eprintln!("stopped on request: intake ended, every accepted event was stored");
    }
    emit_results(&outcome.results, format, &args.output)?;
    Ok(if outcome.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn report_command(args: &ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (suite, about) = if args.from.is_empty() {
        measure_suite(args, quiet)?
    } else {
        load_suite(args)?
    };
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&suite).context("cannot encode the results")?;
        output::write_file(path, &json, "--json")?;
    }
    let mut charts = Vec::new();
    for section in suite.sections.iter().filter(|s| s.experiment == "sweep") {
        for chart in report::chart::sweep_charts(&section.results)? {
            charts.push((section.experiment.clone(), chart));
        }
    }
    let page = report::html::render_html(&about, &suite, &charts);
    output::write_file(&args.out, &page, "--out")?;
    if !quiet {
        eprintln!("wrote {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs every experiment; the suite and a line saying how.
fn measure_suite(args: &ReportArgs, quiet: bool) -> anyhow::Result<(Suite, String)> {
    let config = SuiteConfig {
        n: args.n,
        plan: args.repeat.plan(),
        python: args.python_side.python().map(str::to_owned),
        bandwidth_probe_bytes: (!args.no_bandwidth).then(bandwidth::default_probe_bytes),
    };
    let mut progress = Progress::spinner(quiet, format!("report N={}", args.n));
    let started = std::time::Instant::now();
    let suite = suite::run(&config, &MonotonicClock::new(), &mut |label| {
        progress.step(label)
    })?;
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
