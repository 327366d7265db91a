//! `census`: a user's program run under its own interpreter, its live
//! objects counted by class when it ends, and for each class what
//! `__slots__` would save and whether it can take them — with the change
//! as a unified diff.

use super::LabError;
use super::experiment::{Context, Experiment};
use crate::measure::Results;
use crate::measure::census::{Census, Insertion, Verdict};
use crate::measure::census::{Verification, VerifiedClass};
use crate::python::Python;
use crate::python::census::{CensusOptions, CensusOutput, SlotChanges, run_census};
use std::collections::BTreeMap;

/// The census experiment.
#[derive(Debug, Clone)]
pub struct CensusRun {
    /// `SCRIPT.py ARGS…` or `-m MODULE ARGS…`.
    pub program: Vec<String>,
    /// What to report.
    pub options: CensusOptions,
    /// Run the program again with the suggested `__slots__` and compare.
    pub verify: bool,
    /// `--verify` changes library classes too (the standard library's and
    /// site-packages'), not only the user's own.
    pub include_packages: bool,
}

/// At most this many patched runs: each change that breaks the program
/// costs one more.
const MAX_VERIFY_RUNS: u32 = 6;

/// Why a program cannot be run for a census.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CensusError {
    /// Nothing to run.
    #[error("no program given: pass SCRIPT.py [ARGS...] or -m MODULE [ARGS...] after --")]
    NoProgram,
    /// `-m` without a module.
    #[error("-m needs a module name")]
    NoModule,
    /// The script is not there.
    #[error("no such script: {0}")]
    NoScript(String),
    /// A directory, device or pipe where a script should be.
    #[error("{0} is not a script file (a directory, device or pipe)")]
    NotAScript(String),
    /// A census needs an interpreter.
    #[error("a census runs the program under CPython; no interpreter was given")]
    NoInterpreter,
    /// A file the diff edits could not be read.
    #[error("cannot read {path} to write the change")]
    Source {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl CensusRun {
    /// Checks the program before anything runs.
    pub fn check(&self) -> Result<(), CensusError> {
        match self.program.first().map(String::as_str) {
            None => Err(CensusError::NoProgram),
            Some("-m") if self.program.len() < 2 => Err(CensusError::NoModule),
            Some("-m") => Ok(()),
            Some(script) if !std::path::Path::new(script).exists() => {
                Err(CensusError::NoScript(script.to_owned()))
            }
            Some(script) if !std::path::Path::new(script).is_file() => {
                Err(CensusError::NotAScript(script.to_owned()))
            }
            Some(_) => Ok(()),
        }
    }
}

impl Experiment for CensusRun {
    fn name(&self) -> &'static str {
        "census"
    }

    fn title(&self, _: &Context<'_>) -> String {
        format!("census of {}", self.program.join(" "))
    }

    fn steps(&self, _: &Context<'_>) -> Option<u64> {
        None
    }

    fn run(&mut self, cx: &mut Context<'_>) -> Result<Results, LabError> {
        self.check()?;
        let python = cx.python.clone().ok_or(CensusError::NoInterpreter)?;
        let mut options = self.options;
        options.capture = self.verify;
        options.trace = self.verify;
        cx.step("the program, counted");
        let first = run_census(
            python.interpreter(),
            &self.program,
            options,
            python.limits(),
            None,
        )?;
        let mut census = first.census.clone();
        let mut notes = notes(&census);
        let asked = crate::python::snapshots_asked();
        if self.options.on_signal && asked > census.snapshots.len() {
            notes.push(format!(
                "{asked} SIGUSR1 were passed on but {} snapshot(s) taken: the program ignores \
                 SIGUSR1 or handles it itself (a snapshot needs census's handler in place)",
                census.snapshots.len()
            ));
        }
        if self.verify {
            let packages = self.include_packages;
            census.verification = Some(verify(
                cx,
                &python,
                &self.program,
                options,
                &first,
                packages,
            )?);
        }
        Ok(Results {
            notes,
            census: Some(census),
            ..Results::default()
        })
    }
}

/// How it was measured, in words, and what the census itself cost.
fn notes(census: &Census) -> Vec<String> {
    let mut notes = vec![format!(
        "Measured in CPython {}: live objects counted by class with gc.get_objects() when the \
         program ended ({} objects, {:.2} s); per class with at least {} instances, up to {} \
         instances read (reading __dict__ makes a real dict in 3.11, so only the sample is \
         read) and bytes per instance measured with tracemalloc over {} copies built with the \
         same attributes in the same order, values shared, as the class is and with __slots__ \
         ({:.2} s). Savings are shares of the resident set at the end.",
        census.python_version,
        census.objects,
        census.counted_s,
        census.min_instances,
        census.sample_max,
        census.copies,
        census.sampled_s
    )];
    if census.walk_s > 0.0 {
        notes.push(format!(
            "The census itself: counting took {:.3} s, {:.1}× a bare walk of the same heap \
             (gc.get_objects() and one pass over it) measured in the same run ({:.3} s); sampling and measuring {:.3} s.",
            census.counted_s,
            census.counted_s / census.walk_s,
            census.walk_s,
            census.sampled_s
        ));
    }
    if let (Some(before), Some(after)) = (census.peak_rss_before, census.peak_rss_after)
        && before > 0
    {
        notes.push(format!(
            "Peak resident set: {} when the program ended, {} after the census (+{:.1}%).",
            crate::measure::system::human_bytes(before as f64),
            crate::measure::system::human_bytes(after as f64),
            100.0 * (after.saturating_sub(before)) as f64 / before as f64
        ));
    }
    notes
}

/// The changes the census suggests for the user's own files (and the
/// libraries' with `packages`), leaving out `dropped` classes: each ready
/// class's `__slots__`, each base's `()`.
fn changes(census: &Census, dropped: &[String], packages: bool) -> SlotChanges {
    let mut changes = SlotChanges::new();
    for class in census
        .classes
        .iter()
        .filter(|c| c.verdict == Verdict::Ready && (c.own || packages))
    {
        if dropped.contains(&class.name()) {
            continue;
        }
        let (Some(file), Some(slots)) = (&class.file, &class.slots) else {
            continue;
        };
        changes
            .entry(file.clone())
            .or_default()
            .insert(class.qualname.clone(), slots.clone());
        for base in &class.bases {
            if let (Some(file), Some(qualname)) = (&base.file, &base.qualname) {
                changes
                    .entry(file.clone())
                    .or_default()
                    .entry(qualname.clone())
                    .or_default();
            }
        }
    }
    changes
}

/// The program run again with the suggested `__slots__`; a change that
/// breaks it is dropped (and said) and the rest run again.
fn verify(
    cx: &mut Context<'_>,
    python: &Python,
    program: &[String],
    options: CensusOptions,
    first: &CensusOutput,
    packages: bool,
) -> Result<Verification, LabError> {
    let before = &first.census;
    let mut broke: Vec<(String, String)> = Vec::new();
    let mut runs = 0;
    loop {
        let dropped: Vec<String> = broke.iter().map(|(c, _)| c.clone()).collect();
        let changes = changes(before, &dropped, packages);
        let applied: Vec<String> = before
            .classes
            .iter()
            .filter(|c| {
                c.verdict == Verdict::Ready && (c.own || packages) && !dropped.contains(&c.name())
            })
            .map(|c| c.name())
            .collect();
        runs += 1;
        cx.step(&format!(
            "the program with __slots__ on {} classes",
            applied.len()
        ));
        let after = run_census(
            python.interpreter(),
            program,
            options,
            python.limits(),
            Some(&changes),
        )?;
        let same_ending =
            after.census.ended == before.ended && after.census.status == before.status;
        if !same_ending && runs < MAX_VERIFY_RUNS {
            // Which change broke it: a class the error names.
            let error = after.census.error.clone().unwrap_or_default();
            let culprit = applied.iter().find(|name| {
                let short = name.rsplit('.').next().unwrap_or(name);
                error.contains(&format!("'{short}'")) || error.contains(short)
            });
            if let Some(culprit) = culprit {
                broke.push((culprit.clone(), error));
                continue;
            }
        }
        let classes = before
            .classes
            .iter()
            .filter(|c| applied.contains(&c.name()))
            .map(|c| {
                let now = after.census.classes.iter().find(|a| a.name() == c.name());
                VerifiedClass {
                    name: c.name(),
                    bytes_before: c.bytes_now,
                    bytes_after: now.and_then(|a| a.bytes_now),
                    instances: (c.instances, now.map_or(0, |a| a.instances)),
                    verdict_after: now.map_or(Verdict::Unreadable, |a| a.verdict),
                }
            })
            .collect();
        return Ok(Verification {
            applied,
            broke,
            same_ending,
            same_stdout: first.stdout == after.stdout,
            program_s: (before.program_s, after.census.program_s),
            peak_rss: (before.peak_rss_before, after.census.peak_rss_before),
            traced_peak: (before.traced_peak, after.census.traced_peak),
            classes,
            runs,
        });
    }
}

/// One line to add to a file.
struct Addition {
    line: u32,
    text: String,
}

/// The suggested changes for the ready classes in the user's own files,
/// as a unified diff (`git apply` takes it): `__slots__` for each class
/// and `__slots__ = ()` for each base that needs it. Paths are as the
/// census saw them, relative to the current directory where they are
/// below it.
pub fn suggested_diff(census: &Census) -> Result<String, CensusError> {
    let mut by_file: BTreeMap<String, Vec<Addition>> = BTreeMap::new();
    let mut add = |file: &Option<String>, insert: &Option<Insertion>, text: String| {
        if let (Some(file), Some(at)) = (file, insert) {
            let additions = by_file.entry(file.clone()).or_default();
            if !additions.iter().any(|a| a.line == at.insert_line) {
                additions.push(Addition {
                    line: at.insert_line,
                    text: format!("{}{text}", " ".repeat(at.indent as usize)),
                });
            }
        }
    };
    for class in census
        .classes
        .iter()
        .filter(|c| c.verdict == Verdict::Ready && c.own)
    {
        let Some(slots) = &class.slots else { continue };
        let names: Vec<String> = slots.iter().map(|s| format!("{s:?}")).collect();
        let tuple = match names.len() {
            1 => format!("({},)", names[0]),
            _ => format!("({})", names.join(", ")),
        };
        add(&class.file, &class.insert, format!("__slots__ = {tuple}"));
        for base in &class.bases {
            add(&base.file, &base.insert, "__slots__ = ()".to_owned());
        }
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut diff = String::new();
    for (file, mut additions) in by_file {
        let text = std::fs::read_to_string(&file).map_err(|source| CensusError::Source {
            path: file.clone(),
            source,
        })?;
        let lines: Vec<&str> = text.lines().collect();
        additions.sort_by_key(|a| a.line);
        let shown = std::path::Path::new(&file)
            .strip_prefix(&cwd)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| file.clone());
        diff.push_str(&format!("--- a/{shown}\n+++ b/{shown}\n"));
        // Additions within six lines of each other share a hunk (with
        // three lines of context each side), so hunks never overlap.
        let mut groups: Vec<Vec<Addition>> = Vec::new();
        for addition in additions {
            match groups.last_mut() {
                Some(group) if addition.line <= group[group.len() - 1].line + 6 => {
                    group.push(addition)
                }
                _ => groups.push(vec![addition]),
            }
        }
        let mut added_before = 0usize;
        for group in groups {
            let first = group[0].line.saturating_sub(1) as usize;
            let last = group[group.len() - 1].line.saturating_sub(1) as usize;
            let from = first.saturating_sub(3);
            let to = (last + 3).min(lines.len());
            let old_len = to - from;
            diff.push_str(&format!(
                "@@ -{},{} +{},{} @@\n",
                from + 1,
                old_len,
                from + 1 + added_before,
                old_len + group.len()
            ));
            let mut next = group.iter().peekable();
            for (i, line) in lines.iter().enumerate().take(to).skip(from) {
                while let Some(addition) = next.next_if(|a| a.line as usize == i + 1) {
                    diff.push_str(&format!("+{}\n", addition.text));
                }
                diff.push_str(&format!(" {line}\n"));
            }
            for addition in next {
                diff.push_str(&format!("+{}\n", addition.text));
            }
            added_before += group.len();
        }
    }
    Ok(diff)
}
