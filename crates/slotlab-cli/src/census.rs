//! `census`: a user's program counted by class, its signals handled so
//! that its census is still taken when it is interrupted.

use crate::cli;
use crate::output::{self, Target};
use crate::progress::Progress;
use crate::{destination, measure};
use anyhow::Context as _;
use slotlab::lab::experiment::Settings;
use slotlab::measure::RepeatPlan;
use slotlab::report::{self, Format};
use std::process::ExitCode;

/// Ctrl-C or SIGTERM during a census: the first interrupts the program
/// (SIGINT: it ends as on Ctrl-C and its census is still taken); a second
/// kills it and exits 128 + the signal.
pub(crate) fn interrupt_on_signals() -> anyhow::Result<()> {
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

pub(crate) fn census_command(args: &cli::CensusArgs, quiet: bool) -> anyhow::Result<ExitCode> {
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
