//! Output files through the binary: never written through a planted
//! symlink, devices and FIFOs written in place, links kept, modes kept,
//! concurrent runs each leaving a whole file, bad paths refused before any
//! measuring.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

/// A quick lesson run writing JSON to `out`.
fn lesson_to(out: &Path) -> Command {
    let mut cmd = slotlab();
    cmd.args(["--quiet", "lesson", "--layout", "slots", "--n", "100"])
        .args([
            "--repeat", "1", "--warmup", "0", "--format", "json", "--out",
        ])
        .arg(out);
    cmd
}

#[test]
fn a_planted_temp_name_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    symlink(&victim, dir.path().join(".r.json.tmp")).unwrap();
    let out = dir.path().join("r.json");
    lesson_to(&out).assert().success();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert!(json["measurements"].is_array(), "{json}");
}

#[test]
fn a_link_stays_a_link_and_its_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    fs::write(&real, "old").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.json");
    symlink(&real, &link).unwrap();
    lesson_to(&link).assert().success();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&real).unwrap().contains("measurements"));
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    lesson_to(&fifo).assert().success();
    assert!(reader.join().unwrap().contains("measurements"));
    assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a FIFO");
}

#[test]
fn a_full_device_fails_with_one_error_line() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let out = lesson_to(Path::new("/dev/full")).assert().failure().code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: --out"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!fs::metadata("/dev/full").unwrap().is_file());
}

#[test]
fn bad_output_paths_are_refused_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    // N = 1e12 would be refused by the memory check; the path is checked
    // first, so the error is about the path.
    for (flag, path, want) in [
        ("--out", dir.path().join("missing/r.json"), "no directory"),
        ("--out", dir.path().to_owned(), "is a directory"),
    ] {
        slotlab()
            .args(["lesson", "--n", "1e12", "--format", "json", flag])
            .arg(&path)
            .assert()
            .failure()
            .code(1)
            .stderr(predicate::str::starts_with(format!("error: {flag}")))
            .stderr(predicate::str::contains(want));
    }
    slotlab()
        .args(["stream", "--rust-only", "--n", "1e12", "--save"])
        .arg(dir.path().join("missing/s.slotstream"))
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: --save"));
    slotlab()
        .args(["report", "--rust-only", "--n", "1e12", "--json"])
        .arg(dir.path().join("missing/r.json"))
        .assert()
        .failure()
        .stderr(predicate::str::starts_with("error: --json"));
}

#[test]
fn concurrent_runs_each_leave_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("same.json");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("slotlab"));
            cmd.args(["--quiet", "lesson", "--layout", "slots", "--n", "100"])
                .args([
                    "--repeat", "1", "--warmup", "0", "--format", "json", "--out",
                ])
                .arg(&out);
            cmd.spawn().unwrap()
        })
        .collect();
    for mut run in runs {
        assert!(run.wait().unwrap().success());
    }
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert!(json["measurements"].is_array());
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temp file left behind");
}
