//! What the CLI tests that run CPython share.

/// Whether `python3` is on PATH; a test without it skips, and says so —
/// unless `SLOTLAB_REQUIRE_PYTHON` is set (CI), when it fails.
#[allow(dead_code)] // not every test file runs CPython
pub fn has_python() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("SLOTLAB_REQUIRE_PYTHON").is_none(),
            "python3 is required here (SLOTLAB_REQUIRE_PYTHON is set)"
        );
        eprintln!("skipped: no python3 on PATH");
    }
    found
}

/// Per series, its events as `slotlab query` prints them (timestamp and
/// values), from a saved stream or a store.
#[allow(dead_code)] // not every test file reads stores back
pub fn stored_events(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let out = assert_cmd::Command::cargo_bin("slotlab")
        .unwrap()
        .arg("query")
        .arg(path)
        .assert()
        .success();
    let mut by_series: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .skip(1)
    {
        let (series, rest) = line.split_once(',').unwrap();
        by_series
            .entry(series.to_owned())
            .or_default()
            .push(rest.to_owned());
    }
    by_series
}

/// Sends SIGTERM to `child` (as `kill -TERM` does), and checks it was sent.
#[allow(dead_code)] // not every test file signals a child
pub fn sigterm(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}
