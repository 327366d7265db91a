//! `slotlab census` end to end: the table, JSON, the exit status passed
//! through, bad programs, and a --diff that git applies and that makes the
//! next census say "slotted".

mod common;

use assert_cmd::Command;
use common::has_python;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../slotlab/tests/census")
        .join(name)
}

fn census(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("slotlab")
        .unwrap()
        .current_dir(dir)
        .arg("census")
        .args(args)
        .assert()
}

#[test]
fn the_diff_applies_and_the_patched_program_is_slotted() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["ready.py", "base.py"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(dir.path())
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !git(&["init", "-q"]) {
        eprintln!("skipped: no git");
        return;
    }
    for name in ["ready.py", "base.py"] {
        let out = census(
            dir.path(),
            &["--quiet", "--diff", "slots.patch", "--", name],
        )
        .success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(stdout.contains("ready"), "{stdout}");
        assert!(
            git(&["apply", "slots.patch"]),
            "the patch applies to {name}"
        );
        // The program's own output goes to stdout too: the census to a file.
        census(dir.path(), &["--out", "census.json", "--", name]).success();
        let text = std::fs::read_to_string(dir.path().join("census.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let verdicts: Vec<&str> = json["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["verdict"].as_str().unwrap())
            .collect();
        assert_eq!(verdicts, ["slotted"], "{name} after the patch: {json}");
    }
    // The patched program still prints what it printed.
    let run = std::process::Command::new("python3")
        .current_dir(dir.path())
        .arg("ready.py")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "449850.0");
}

#[test]
fn the_programs_status_is_passed_through_and_said() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = census(dir.path(), &["--", fixture("raises.py").to_str().unwrap()])
        .failure()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(
        stdout.contains("raised (RuntimeError: boom after building)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("__main__.Item"),
        "the census is still taken: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("error: the program raised RuntimeError: boom after building"),
        "{stderr}"
    );
    let exits = dir.path().join("exits.py");
    std::fs::write(&exits, "import sys\nsys.exit(3)\n").unwrap();
    let out = census(dir.path(), &["--", "exits.py"]).failure().code(3);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(
        stdout.contains("No class had 1000 or more live instances"),
        "{stdout}"
    );
}

#[test]
fn bad_programs_get_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["--", "missing.py"][..],
            "error: no such script: missing.py",
        ),
        (&["--", "-m"][..], "error: -m needs a module name"),
        (
            &["--python", "/nonexistent/python", "--", "-m", "json.tool"][..],
            "error: cannot run the Python interpreter",
        ),
    ] {
        let out = census(dir.path(), args).failure();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr);
        assert!(stderr.starts_with(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn verify_measures_the_patched_program_and_reports_what_breaks() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = |name: &str| {
        census(
            dir.path(),
            &[
                "--verify",
                "--out",
                "c.json",
                "--",
                fixture(name).to_str().unwrap(),
            ],
        )
        .success();
        let text = std::fs::read_to_string(dir.path().join("c.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["verification"].clone()
    };
    let v = json("ready.py");
    assert_eq!(
        (v["same_ending"].as_bool(), v["same_stdout"].as_bool()),
        (Some(true), Some(true))
    );
    let reading = &v["classes"][0];
    assert_eq!(reading["name"], "__main__.Reading");
    assert_eq!(reading["verdict_after"], "slotted");
    let (before, after) = (
        reading["bytes_before"].as_f64().unwrap(),
        reading["bytes_after"].as_f64().unwrap(),
    );
    assert!(
        after < before,
        "{after} < {before}: the saving is measured, not assumed"
    );
    let v = json("dynamic_later.py");
    assert_eq!(v["applied"], serde_json::json!(["__main__.Packet"]));
    assert_eq!(v["broke"][0][0], "__main__.Session");
    assert_eq!(
        v["broke"][0][1],
        "AttributeError: 'Session' object has no attribute 'debug'"
    );
    assert_eq!(
        (v["same_ending"].as_bool(), v["same_stdout"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["runs"], 2);
}

#[test]
fn at_signal_takes_a_snapshot_per_sigusr1() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = census(
        dir.path(),
        &[
            "--at",
            "signal",
            "--min-instances",
            "500",
            "--",
            fixture("snapshots.py").to_str().unwrap(),
        ],
    )
    .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout);
    assert!(stdout.contains("Snapshot 1 of 2"), "{stdout}");
    assert!(stdout.contains("Snapshot 2 of 2"), "{stdout}");
    let counts: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("__main__.Job") && l.contains('┆'))
        .map(|l| l.split('┆').nth(3).unwrap().trim())
        .collect();
    assert_eq!(counts, ["1000", "2000", "3000"], "{stdout}");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("snapshot 2 taken"), "{stderr}");
    // Without --at signal the same program is ended by its own SIGUSR1
    // (the default action): the census says how it ended, no hang.
    let out = census(
        dir.path(),
        &["--", fixture("snapshots.py").to_str().unwrap()],
    )
    .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(stderr.contains("error:"), "{stderr}");
}

#[test]
fn sigterm_interrupts_the_program_and_its_census_is_still_taken() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let run = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"))
        .current_dir(dir.path())
        .args(["census", "--"])
        .arg(fixture("forever.py"))
        .arg(&ready)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the program never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::sigterm(&run);
    let out = run.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "the program's status, passed through"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("was interrupted; the census is of what existed then"),
        "{stdout}"
    );
    assert!(stdout.contains("__main__.Conn"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: the program was interrupted"),
        "{stderr}"
    );
}
