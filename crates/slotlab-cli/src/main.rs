//! The `slotlab` command. Parses flags, calls the library, prints.

mod cli;
mod output;

use anyhow::Context;
use clap::Parser;
use cli::{
    AccessArgs, Cli, Command, CompareArgs, ExplainArgs, GcArgs, ReportArgs, SeedArgs, SweepArgs,
};
use indicatif::{ProgressBar, ProgressStyle};
use slotlab::lab::access::{self, AccessConfig};
use slotlab::lab::compare::{self, CompareConfig, Step};
use slotlab::lab::explain;
use slotlab::lab::gc::{self, GcConfig};
use slotlab::lab::seed::{self, SeedConfig, SeedLayout};
use slotlab::lab::suite::{self, Suite, SuiteConfig};
use slotlab::lab::sweep::{self, SweepConfig};
use slotlab::measure::alloc::PreferredBacking;
use slotlab::measure::{MonotonicClock, RepeatPlan, Results, RunKind, TrackingAllocator};
use slotlab::python::PyCase as Case;
use slotlab::python::{PyCase, Python};
use slotlab::report;
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
    match cli.command {
        Command::Seed(args) => seed_command(&args, cli.quiet),
        Command::Compare(args) => compare_command(&args, cli.quiet),
        Command::Explain(args) => explain_command(&args),
        Command::Sweep(args) => sweep_command(&args, cli.quiet),
        Command::Access(args) => access_command(&args, cli.quiet),
        Command::Gc(args) => gc_command(&args, cli.quiet),
        Command::Report(args) => report_command(&args, cli.quiet),
    }
}

fn seed_command(args: &SeedArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = args
        .output
        .resolve_format(report::Format::Text)
        .map_err(anyhow::Error::msg)?;
    let layouts = args.layout.layouts();
    // Refuse an N that cannot fit before running anything.
    for &layout in &layouts {
        seed::check_fits(layout, args.n)?;
    }
    let plan = RepeatPlan {
        warmup: args.repeat.warmup,
        repetitions: args.repeat.repeat,
    };
    let clock = MonotonicClock::new();
    let mut measurements = Vec::new();
    for layout in layouts {
        let config = SeedConfig {
            n: args.n,
            layout,
            plan,
        };
        let bar = progress_bar(quiet, u64::from(plan.warmup + plan.repetitions));
        bar.set_prefix(format!("seed {layout} N={}", args.n));
        // Called as each run starts: the bar counts the runs finished.
        let mut finished = 0;
        let mut on_run = |kind: RunKind| {
            bar.set_message(match kind {
                RunKind::Warmup => "warm-up".to_owned(),
                RunKind::Measured(i) => format!("run {}/{}", i + 1, plan.repetitions),
            });
            bar.set_position(finished);
            bar.tick();
            finished += 1;
        };
        let measurement = seed::run(&config, &clock, &mut on_run)
            .with_context(|| format!("seed, {layout} layout"))?;
        bar.finish_and_clear();
        measurements.push(measurement);
    }
    let results = Results {
        measurements,
        claims: Vec::new(),
        notes: Vec::new(),
    };
    output::emit(
        &report::render(format, &results),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn compare_command(args: &CompareArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = args
        .output
        .resolve_format(report::Format::Table)
        .map_err(anyhow::Error::msg)?;
    let config = CompareConfig {
        n: args.n,
        plan: RepeatPlan {
            warmup: args.repeat.warmup,
            repetitions: args.repeat.repeat,
        },
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
        bandwidth_probe_bytes: (!args.no_bandwidth)
            .then(slotlab::measure::bandwidth::default_probe_bytes),
    };
    let steps = compare::steps(&config);
    let bar = progress_bar(quiet, steps.len() as u64);
    bar.set_prefix(format!("compare N={}", args.n));
    let mut finished = 0;
    let mut on_step = |step: &Step| {
        bar.set_message(step.label());
        bar.set_position(finished);
        bar.tick();
        finished += 1;
    };
    let output = compare::run(&config, &MonotonicClock::new(), &mut on_step)?;
    bar.finish_and_clear();
    output::emit(
        &report::render(format, &output.results),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn explain_command(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let format = args
        .output
        .resolve_format(report::Format::Text)
        .map_err(anyhow::Error::msg)?;
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
    let format = args
        .output
        .resolve_format(report::Format::Table)
        .map_err(anyhow::Error::msg)?;
    if args.from > args.to {
        anyhow::bail!(
            "--from {} is larger than --to {}: the sweep goes from small N to large",
            args.from,
            args.to
        );
    }
    let config = SweepConfig {
        sizes: sweep::sizes(args.from, args.to, args.steps as usize),
        plan: RepeatPlan {
            warmup: args.repeat.warmup,
            repetitions: args.repeat.repeat,
        },
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
        cases: if args.all_cases {
            Case::ALL.to_vec()
        } else {
            sweep::DEFAULT_CASES.to_vec()
        },
    };
    let steps = sweep::steps(&config);
    let bar = progress_bar(quiet, steps.len() as u64);
    bar.set_prefix("sweep");
    let mut finished = 0;
    let mut on_step = |step: &sweep::Step| {
        bar.set_message(step.label());
        bar.set_position(finished);
        bar.tick();
        finished += 1;
    };
    let results = sweep::run(&config, &MonotonicClock::new(), &mut on_step)?;
    bar.finish_and_clear();
    if let Some(dir) = &args.charts {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create --charts {}", dir.display()))?;
        for chart in report::chart::sweep_charts(&results)? {
            let path = dir.join(format!("{}.svg", chart.stem));
            output::write_file(&path, &chart.svg)?;
            if !quiet {
                eprintln!("wrote {} ({})", path.display(), chart.title);
            }
        }
    } else if !quiet {
        eprintln!("(add --charts DIR for SVG charts of bytes and time per object vs N)");
    }
    output::emit(
        &report::render(format, &results),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn access_command(args: &AccessArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = args
        .output
        .resolve_format(report::Format::Table)
        .map_err(anyhow::Error::msg)?;
    let config = AccessConfig {
        n: args.n,
        plan: RepeatPlan {
            warmup: args.repeat.warmup,
            repetitions: args.repeat.repeat,
        },
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
    };
    let steps = u64::from(config.rust) * 8 + u64::from(config.python.is_some()) * 3;
    let bar = progress_bar(quiet, steps);
    bar.set_prefix(format!("access N={}", args.n));
    let mut finished = 0;
    let mut on_step = |label: &str| {
        bar.set_message(label.to_owned());
        bar.set_position(finished);
        bar.tick();
        finished += 1;
    };
    let results = access::run(&config, &MonotonicClock::new(), &mut on_step)?;
    bar.finish_and_clear();
    output::emit(
        &report::render(format, &results),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn gc_command(args: &GcArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let format = args
        .output
        .resolve_format(report::Format::Table)
        .map_err(anyhow::Error::msg)?;
    let config = GcConfig {
        n: args.n,
        plan: RepeatPlan {
            warmup: args.repeat.warmup,
            repetitions: args.repeat.repeat,
        },
        rust: args.runtimes.rust(),
        python: args.runtimes.python().map(str::to_owned),
    };
    let steps = u64::from(config.rust) * 2 + u64::from(config.python.is_some()) * 3;
    let bar = progress_bar(quiet, steps);
    bar.set_prefix(format!("gc N={}", args.n));
    let mut finished = 0;
    let mut on_step = |label: &str| {
        bar.set_message(label.to_owned());
        bar.set_position(finished);
        bar.tick();
        finished += 1;
    };
    let results = gc::run(&config, &MonotonicClock::new(), &mut on_step)?;
    bar.finish_and_clear();
    output::emit(
        &report::render(format, &results),
        args.output.out.as_deref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn report_command(args: &ReportArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let (suite, about) = if args.from.is_empty() {
        let config = SuiteConfig {
            n: args.n,
            plan: RepeatPlan {
                warmup: args.repeat.warmup,
                repetitions: args.repeat.repeat,
            },
            python: (!args.rust_only).then(|| args.python.clone()),
            bandwidth_probe_bytes: (!args.no_bandwidth)
                .then(slotlab::measure::bandwidth::default_probe_bytes),
        };
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_prefix(format!("report N={}", args.n));
        if let Ok(style) = ProgressStyle::with_template("{prefix} {spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        let started = std::time::Instant::now();
        let suite = suite::run(&config, &MonotonicClock::new(), &mut |label: &str| {
            bar.set_message(label.to_owned());
            bar.tick();
        })?;
        bar.finish_and_clear();
        let about = format!(
            "Measured in this run: N = {} ({} measured runs after {} warm-up per case), {} \
             cores ({}), allocator {}, slotlab {}; {:.0} s in all.",
            args.n,
            args.repeat.repeat,
            args.repeat.warmup,
            slotlab::measure::system::cores(),
            slotlab::measure::system::cpu_model().unwrap_or_else(|| "unknown CPU".to_owned()),
            slotlab::measure::alloc::backing_allocator().unwrap_or("unknown"),
            env!("CARGO_PKG_VERSION"),
            started.elapsed().as_secs_f64()
        );
        (suite, about)
    } else {
        let mut suite = Suite::default();
        for path in &args.from {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --from {}", path.display()))?;
            let loaded = Suite::from_json(&text).with_context(|| {
                format!(
                    "--from {}: not slotlab results (expected a report --json file or a \
                     command's --format json output)",
                    path.display()
                )
            })?;
            suite.sections.extend(loaded.sections);
        }
        let files: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
        (
            suite,
            format!("Rendered from saved results: {}.", files.join(", ")),
        )
    };
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&suite).context("cannot encode the results")?;
        output::write_file(path, &json)?;
    }
    let mut charts = Vec::new();
    for section in suite.sections.iter().filter(|s| s.experiment == "sweep") {
        for chart in report::chart::sweep_charts(&section.results)? {
            charts.push((section.experiment.clone(), chart));
        }
    }
    let page = report::html::render_html(&about, &suite, &charts);
    output::write_file(&args.out, &page)?;
    if !quiet {
        eprintln!("wrote {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on stderr; hidden with --quiet or when stderr is not a
/// terminal.
fn progress_bar(quiet: bool, runs: u64) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(runs);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
