//! Child interpreters cannot hang slotlab or outlive it: a time limit, a
//! cap on their output, and Ctrl-C/SIGTERM kill them with their process
//! group. The "interpreters" are tiny shell scripts that answer the probe
//! through the real python3 and then misbehave on the first case.

mod common;

use assert_cmd::Command;
use common::has_python;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

/// A fake interpreter in `dir`: the probe goes to python3, any case runs
/// `body` (a shell snippet).
fn fake_python(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\ncase \"$2\" in\n  '# slotlab-probe'*) exec python3 \"$@\" ;;\nesac\n{body}\n"
    );
    std::fs::write(&path, script).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// `slotlab compare` on a small N with `python` as the interpreter (and
/// `extra` flags): it must fail with exit 1; its stderr.
fn compare_fails_with(python: &Path, extra: &[&str]) -> String {
    let assert = slotlab()
        .args([
            "--quiet",
            "compare",
            "--n",
            "100",
            "--repeat",
            "1",
            "--no-bandwidth",
        ])
        .args(extra)
        .arg("--python")
        .arg(python)
        .assert()
        .failure()
        .code(1);
    stderr_of(&assert)
}

#[test]
fn an_interpreter_that_never_ends_is_killed_at_the_timeout() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sleepy = fake_python(dir.path(), "sleepy", "sleep 60");
    let stderr = compare_fails_with(&sleepy, &["--python-timeout", "1s"]);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("sleepy"), "names the interpreter: {stderr}");
    assert!(
        stderr.contains("for longer than 1 s and was killed"),
        "{stderr}"
    );
    assert!(stderr.contains("table"), "names the case: {stderr}");
}

#[test]
fn an_interpreter_that_floods_stdout_is_cut_off() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let flood = fake_python(dir.path(), "flood", "exec yes flood");
    let stderr = compare_fails_with(&flood, &[]);
    assert!(
        stderr.contains("printed more than 67108864 bytes"),
        "{stderr}"
    );
}

#[test]
fn sigterm_kills_the_interpreter_and_its_group() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleeper.pid");
    let body = format!("sleep 60 &\necho $! > '{}'\nwait", pid_file.display());
    let sleepy = fake_python(dir.path(), "sleepy", &body);
    let run = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"))
        .args([
            "--quiet",
            "compare",
            "--n",
            "100",
            "--repeat",
            "1",
            "--no-bandwidth",
        ])
        .arg("--python")
        .arg(&sleepy)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) for the grandchild to start.
    let deadline = Instant::now() + Duration::from_secs(60);
    let sleeper: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the fake interpreter never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    common::sigterm(&run);
    let output = run.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: interrupted") && stderr.contains("was killed"),
        "{stderr}"
    );
    // The grandchild went with its group (poll briefly: the kernel may
    // take a moment to reap an orphan).
    let gone = (0..200).any(|_| {
        let alive = Path::new(&format!("/proc/{sleeper}")).exists()
            && !std::fs::read_to_string(format!("/proc/{sleeper}/stat"))
                .unwrap_or_default()
                .contains(") Z ");
        if alive {
            std::thread::sleep(Duration::from_millis(10));
        }
        !alive
    });
    assert!(gone, "process {sleeper} outlived slotlab");
}
