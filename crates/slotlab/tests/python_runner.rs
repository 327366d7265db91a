//! The CPython runner: real cases under `python3`, and every failure mode
//! through fake interpreters that misbehave on purpose.
//!
//! The tests here run one at a time: a test writing a fake interpreter
//! while another forks to start Python lets the child inherit the open
//! file, and executing the fake then fails with "Text file busy".

use slotlab::measure::RepeatPlan;
use slotlab::python::{CaseOutcome, PyCase, PyMode, Python, PythonError};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the lock for one test; a failed test does not block the others.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

const ONE_RUN: RepeatPlan = RepeatPlan {
    warmup: 0,
    repetitions: std::num::NonZeroU32::MIN,
};

/// What `sum(r.value for r in data)` gives in CPython 3.11: left to right.
fn expected_sum(n: u64) -> f64 {
    (0..n).fold(0.0, |acc, i| acc + i as f64 * 0.1)
}

#[test]
fn every_case_runs_in_both_modes_under_python3() {
    let _serial = serial();
    let python = Python::probe("python3").expect("python3 on PATH");
    assert_eq!(python.info().implementation, "cpython");
    for case in PyCase::ALL {
        for mode in PyMode::ALL {
            let outcome = python.run_case(case, mode, 2000, ONE_RUN).unwrap();
            let CaseOutcome::Measured(m) = outcome else {
                panic!("{case:?} skipped on {}", python.info().version)
            };
            assert_eq!(m.layout, case.layout());
            assert_eq!(
                m.runtime.to_string(),
                format!("cpython-{} ({mode})", python.info().version)
            );
            assert_eq!((m.n, m.repetitions), (2000, 1));
            assert_eq!(m.extra["sum"], expected_sum(2000), "{case:?}");
            assert!(m.extra["getsizeof_instance"] > 0.0);
            assert_eq!(
                m.extra.contains_key("getsizeof_dict"),
                matches!(case, PyCase::Table | PyCase::Dict | PyCase::Dataclass),
                "{case:?}"
            );
            if mode == PyMode::Tracemalloc {
                // At least a list slot and an object per reading.
                assert!(
                    m.bytes_per_object > 40.0,
                    "{case:?}: {}",
                    m.bytes_per_object
                );
            } else {
                assert!(m.extra["allocated_blocks"] > 0.0, "{case:?}");
            }
        }
    }
}

#[test]
fn slots_use_less_traced_memory_than_dict_in_cpython() {
    let _serial = serial();
    let python = Python::probe("python3").unwrap();
    let bytes = |case| match python
        .run_case(case, PyMode::Tracemalloc, 5000, ONE_RUN)
        .unwrap()
    {
        CaseOutcome::Measured(m) => m.bytes_per_object,
        CaseOutcome::Skipped { reason, .. } => panic!("{reason}"),
    };
    assert!(bytes(PyCase::Slots) < bytes(PyCase::Dict));
}

#[test]
fn a_missing_interpreter_is_named_in_the_error() {
    let _serial = serial();
    let err = Python::probe("/nonexistent/python9").unwrap_err();
    assert!(matches!(err, PythonError::NotFound { .. }), "{err}");
    // The library names the interpreter and keeps the OS's reason as the
    // source; which flag to change is the CLI's to say.
    let text = err.to_string();
    assert!(text.contains("'/nonexistent/python9'"), "{text}");
    let source = std::error::Error::source(&err).expect("the OS's reason");
    assert!(
        source.downcast_ref::<std::io::Error>().is_some(),
        "{source}"
    );
}

/// A fake interpreter: answers the probe as `version`, and runs
/// `behaviour` (shell) for any case.
fn fake_python(name: &str, version: (u32, u32), behaviour: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slotlab-fake-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let (major, minor) = version;
    let script = format!(
        "#!/bin/sh\ncase \"$2\" in\n  *slotlab-probe*) echo '{{\"implementation\": \"cpython\", \"version\": \"{major}.{minor}.1\", \"major\": {major}, \"minor\": {minor}}}' ;;\n  *) {behaviour} ;;\nesac\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn an_interpreter_that_is_not_cpython_is_refused_at_the_probe() {
    let _serial = serial();
    let path = fake_python("pypy", (3, 10), "exit 1");
    let script = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, script.replace("\"cpython\"", "\"pypy\"")).unwrap();
    let err = Python::probe(path.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PythonError::NotCPython { .. }), "{err}");
    assert!(err.to_string().contains("is pypy, not CPython"), "{err}");
}

fn run_fake(name: &str, version: (u32, u32), behaviour: &str) -> Result<CaseOutcome, PythonError> {
    let path = fake_python(name, version, behaviour);
    let python = Python::probe(path.to_str().unwrap())?;
    python.run_case(PyCase::Slots, PyMode::Tracemalloc, 10, ONE_RUN)
}

#[test]
fn a_crashing_script_reports_interpreter_case_and_stderr() {
    let _serial = serial();
    let err = run_fake(
        "crashes",
        (3, 11),
        "echo 'Traceback: MemoryError' >&2; exit 1",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PythonError::Crashed { .. }), "{text}");
    assert!(
        text.contains("crashes") && text.contains("slots (tracemalloc)"),
        "{text}"
    );
    assert!(text.contains("MemoryError"), "{text}");
}

#[test]
fn malformed_output_is_an_error_not_a_panic() {
    let _serial = serial();
    for (name, behaviour) in [
        ("garbage", "echo 'this is not json'"),
        ("empty", "true"),
        ("no_runs", "echo '{\"case\": \"slots\"}'"),
        (
            "no_memory",
            "echo '{\"samples_s\": [0.1], \"iterate_s\": [0.01]}'",
        ),
    ] {
        let err = run_fake(name, (3, 11), behaviour).unwrap_err();
        assert!(
            matches!(err, PythonError::Malformed { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
}

#[test]
fn a_case_too_new_for_the_interpreter_is_skipped_with_the_reason() {
    let _serial = serial();
    let path = fake_python("old", (3, 9), "exit 3");
    let python = Python::probe(path.to_str().unwrap()).unwrap();
    let outcome = python
        .run_case(PyCase::DataclassSlots, PyMode::Untraced, 10, ONE_RUN)
        .unwrap();
    let CaseOutcome::Skipped { reason, .. } = outcome else {
        panic!("should skip: {outcome:?}")
    };
    assert!(
        reason.contains("3.10") && reason.contains("3.9.1"),
        "{reason}"
    );
}

#[test]
fn an_interpreter_too_old_for_every_case_is_refused() {
    let _serial = serial();
    let path = fake_python("ancient", (3, 6), "exit 3");
    let err = Python::probe(path.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, PythonError::TooOld { .. }), "{err}");
    assert!(err.to_string().contains("3.6.1"), "{err}");
}

#[test]
fn traced_figures_agree_with_the_lessons_own_code_within_5_percent() {
    let _serial = serial();
    use slotlab::python::lesson;
    let n = 100_000;
    let python = Python::probe("python3").unwrap();
    let cases = lesson::cases(lesson::LESSON, n);
    assert_eq!(
        cases.iter().map(|c| c.layout).collect::<Vec<_>>(),
        ["dict", "slots"]
    );
    for case in cases {
        let verbatim = lesson::run_case("python3", &case, true).unwrap();
        let ours = match python
            .run_case(
                if case.layout == "dict" {
                    PyCase::Dict
                } else {
                    PyCase::Slots
                },
                PyMode::Tracemalloc,
                n,
                ONE_RUN,
            )
            .unwrap()
        {
            CaseOutcome::Measured(m) => m.peak_mib(),
            CaseOutcome::Skipped { reason, .. } => panic!("{reason}"),
        };
        let gap = (ours - verbatim.peak_mib).abs() / verbatim.peak_mib;
        assert!(
            gap <= 0.05,
            "{}: cases.py {ours:.2} MiB vs the lesson's {:.2} MiB",
            case.layout,
            verbatim.peak_mib
        );
    }
}

#[test]
fn the_vendored_lesson_is_the_seed_lesson() {
    let _serial = serial();
    // CI and this project's machines keep shared/ beside the repository.
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seed/slots-lesson.md");
    match std::fs::read_to_string(&original) {
        Ok(text) => assert_eq!(
            text,
            slotlab::python::lesson::LESSON,
            "python/slots-lesson.md has drifted from {}",
            original.display()
        ),
        Err(_) => eprintln!("note: {} not found; nothing to compare", original.display()),
    }
}
