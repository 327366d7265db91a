//! The one shape every experiment has: a [`Context`] built once (N, the
//! repetition plan, the clock, which runtimes, the interpreter — probed
//! before any work — and where progress goes), and an [`Experiment`] that
//! says how many steps it will take and then runs them into [`Results`].

use super::LabError;
use crate::measure::{Clock, RepeatPlan, Results, Section, Suite};
use crate::python::{ChildLimits, Python};

/// What a command asks of an experiment, before anything is checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Objects or events per case (a sweep's largest N).
    pub n: u64,
    /// Warm-ups and measured repetitions.
    pub plan: RepeatPlan,
    /// Run the Rust side.
    pub rust: bool,
    /// Run the CPython side with this interpreter.
    pub python: Option<String>,
    /// How long each run of the interpreter may take and how much it may
    /// print.
    pub python_limits: ChildLimits,
}

/// Where an experiment says what it is doing. The CLI draws a bar or a
/// spinner on stderr; tests use [`NoProgress`].
pub trait Progress {
    /// Work begins: `total` steps if the experiment knows them (a bar),
    /// else open-ended (a spinner).
    fn begin(&mut self, title: &str, total: Option<u64>);
    /// The next step begins (outside any measured window), or, for long
    /// open-ended work, a line saying where it stands.
    fn step(&mut self, label: &str);
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&mut self, _title: &str, _total: Option<u64>) {}
    fn step(&mut self, _label: &str) {}
}

/// Everything an experiment is given, built once.
pub struct Context<'a> {
    /// Objects or events per case.
    pub n: u64,
    /// Warm-ups and measured repetitions.
    pub plan: RepeatPlan,
    /// Run the Rust side.
    pub rust: bool,
    /// The CPython interpreter, already probed.
    pub python: Option<Python>,
    /// The clock every timing reads.
    pub clock: &'a dyn Clock,
    progress: &'a mut dyn Progress,
    /// Put before every step's label (the suite names the experiment).
    prefix: Option<&'static str>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("n", &self.n)
            .field("plan", &self.plan)
            .field("rust", &self.rust)
            .field("python", &self.python)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// Checks `settings` and probes the interpreter, before any work, so a
    /// missing `python3` fails first rather than after minutes of Rust.
    pub fn new(
        settings: &Settings,
        clock: &'a dyn Clock,
        progress: &'a mut dyn Progress,
    ) -> Result<Self, LabError> {
        if settings.n == 0 {
            return Err(LabError::ZeroN);
        }
        let python = settings
            .python
            .as_deref()
            .map(|p| Python::probe_with(p, settings.python_limits))
            .transpose()?;
        Ok(Self {
            n: settings.n,
            plan: settings.plan,
            rust: settings.rust,
            python,
            clock,
            progress,
            prefix: None,
        })
    }

    /// The next step begins.
    pub fn step(&mut self, label: &str) {
        match self.prefix {
            Some(prefix) => self.progress.step(&format!("{prefix}: {label}")),
            None => self.progress.step(label),
        }
    }
}

/// One experiment: what it is called, how many steps it takes, and the
/// work itself.
pub trait Experiment {
    /// `compare`, `gc`, …: the command and the report section.
    fn name(&self) -> &'static str;

    /// What progress shows while it runs.
    fn title(&self, cx: &Context<'_>) -> String {
        format!("{} N={}", self.name(), cx.n)
    }

    /// The steps [`Experiment::run`] will report, if known up front.
    fn steps(&self, cx: &Context<'_>) -> Option<u64>;

    /// Runs every step, reporting each through [`Context::step`].
    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError>;
}

/// Begins `experiment`'s progress and runs it.
pub fn run(experiment: &mut dyn Experiment, cx: &mut Context<'_>) -> Result<Results, LabError> {
    let title = experiment.title(cx);
    let total = experiment.steps(cx);
    cx.progress.begin(&title, total);
    experiment.run(cx)
}

/// Runs several experiments as one piece of work (the report): one
/// progress bar over all their steps, each step named by its experiment,
/// a section each.
pub fn run_all(
    title: &str,
    experiments: &mut [Box<dyn Experiment>],
    cx: &mut Context<'_>,
) -> Result<Suite, LabError> {
    let total = experiments.iter().map(|e| e.steps(cx)).sum::<Option<u64>>();
    cx.progress.begin(title, total);
    let mut sections = Vec::new();
    for experiment in experiments.iter_mut() {
        cx.prefix = Some(experiment.name());
        let results = experiment.run(cx);
        cx.prefix = None;
        sections.push(Section {
            experiment: experiment.name().to_owned(),
            results: results?,
        });
    }
    Ok(Suite { sections })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::FakeClock;

    /// Records what it is told.
    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl Progress for Recorder {
        fn begin(&mut self, title: &str, total: Option<u64>) {
            self.0.push(format!("begin {title} {total:?}"));
        }
        fn step(&mut self, label: &str) {
            self.0.push(label.to_owned());
        }
    }

    struct Counting(u64);

    impl Experiment for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }
        fn steps(&self, _: &Context<'_>) -> Option<u64> {
            Some(self.0)
        }
        fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
            for i in 0..self.0 {
                cx.step(&format!("step {i}"));
            }
            Ok(Results::default())
        }
    }

    fn settings(n: u64) -> Settings {
        Settings {
            n,
            plan: RepeatPlan::ONCE,
            rust: true,
            python: None,
            python_limits: Default::default(),
        }
    }

    #[test]
    fn progress_gets_the_total_then_each_step() {
        let clock = FakeClock::new(std::time::Duration::from_millis(1));
        let mut recorder = Recorder::default();
        let mut cx = Context::new(&settings(10), &clock, &mut recorder).unwrap();
        run(&mut Counting(2), &mut cx).unwrap();
        assert_eq!(
            recorder.0,
            ["begin counting N=10 Some(2)", "step 0", "step 1"]
        );
    }

    #[test]
    fn a_suite_counts_every_step_and_names_each_by_its_experiment() {
        let clock = FakeClock::new(std::time::Duration::from_millis(1));
        let mut recorder = Recorder::default();
        let mut cx = Context::new(&settings(10), &clock, &mut recorder).unwrap();
        let mut experiments: Vec<Box<dyn Experiment>> =
            vec![Box::new(Counting(1)), Box::new(Counting(2))];
        let suite = run_all("all", &mut experiments, &mut cx).unwrap();
        assert_eq!(suite.sections.len(), 2);
        assert_eq!(
            recorder.0,
            [
                "begin all Some(3)",
                "counting: step 0",
                "counting: step 0",
                "counting: step 1"
            ]
        );
    }

    #[test]
    fn zero_n_and_a_missing_interpreter_fail_before_any_work() {
        let clock = FakeClock::new(std::time::Duration::from_millis(1));
        let mut progress = NoProgress;
        assert!(matches!(
            Context::new(&settings(0), &clock, &mut progress),
            Err(LabError::ZeroN)
        ));
        let mut missing = settings(10);
        missing.python = Some("/nonexistent/python3".to_owned());
        let err = Context::new(&missing, &clock, &mut progress).unwrap_err();
        assert!(matches!(err, LabError::Python(_)), "{err}");
    }
}
