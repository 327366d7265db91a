//! The lesson's own Python code, run verbatim.

use super::{PythonError, run};

/// The lesson this project implements (`python/slots-lesson.md`, a copy
/// of the seed lesson; a test checks it against the original when that
/// is at hand).
pub const LESSON: &str = include_str!("../../../../python/slots-lesson.md");

/// Replaces tracemalloc's functions with no-ops before the lesson's code
/// imports it, so the same code runs untraced.
pub const NO_TRACEMALLOC: &str = "import tracemalloc\n\
tracemalloc.start = lambda *a: None\n\
tracemalloc.stop = lambda: None\n\
tracemalloc.get_traced_memory = lambda: (0, 0)\n";

/// One of the lesson's ```python blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonCase {
    /// `dict` or `slots`.
    pub layout: &'static str,
    /// The block, with its `N = 1_000_000` set to the N asked for.
    pub code: String,
}

/// The lesson's ```python blocks in `markdown`, N set to `n`.
pub fn cases(markdown: &str, n: u64) -> Vec<LessonCase> {
    let mut cases = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```python\n") {
        let body = &rest[start + "```python\n".len()..];
        let Some(end) = body.find("```") else { break };
        let code = body[..end].replace("N = 1_000_000", &format!("N = {n}"));
        let layout = if code.contains("__slots__") {
            "slots"
        } else {
            "dict"
        };
        cases.push(LessonCase { layout, code });
        rest = &body[end..];
    }
    cases
}

/// What one run of a lesson block printed: `Time:` in seconds and
/// `Peak memory:` in MB (MiB, as the lesson computes it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LessonRun {
    /// Seconds, rounded to 3 decimals by the lesson.
    pub seconds: f64,
    /// MiB, rounded to 2 decimals by the lesson.
    pub peak_mib: f64,
}

/// Runs `code` with `interpreter` in a fresh process (untraced: with
/// [`NO_TRACEMALLOC`] first) and reads what it printed.
pub fn run_case(
    interpreter: &str,
    case: &LessonCase,
    traced: bool,
) -> Result<LessonRun, PythonError> {
    let code = if traced {
        case.code.clone()
    } else {
        format!("{NO_TRACEMALLOC}{}", case.code)
    };
    let label = format!("lesson {}", case.layout);
    let stdout = run(
        interpreter,
        &label,
        &["-c", &code],
        super::ChildLimits::DEFAULT,
    )?;
    let field = |prefix: &str, suffix: &str| {
        stdout.lines().find_map(|l| {
            l.strip_prefix(prefix)?
                .strip_suffix(suffix)?
                .trim()
                .parse()
                .ok()
        })
    };
    match (field("Time:", "seconds"), field("Peak memory:", "MB")) {
        (Some(seconds), Some(peak_mib)) => Ok(LessonRun { seconds, peak_mib }),
        _ => Err(PythonError::Malformed {
            interpreter: interpreter.to_owned(),
            case: label,
            problem: super::OutputProblem::NoLessonLines,
            output: super::head(&stdout, 200),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_and_sets_n() {
        let md = "intro\n```python\nN = 1_000_000\nclass A: pass\n```\ntext\n```python\nN = 1_000_000\nclass B:\n    __slots__ = ()\n```\n```\nnot python\n```\n";
        let cases = cases(md, 42);
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].layout, "dict");
        assert_eq!(cases[1].layout, "slots");
        assert!(cases[0].code.starts_with("N = 42\n"));
    }
}
