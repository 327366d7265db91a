//! What the CLI tests that run CPython share.

/// Whether `python3` is on PATH; a test without it skips, and says so —
/// unless `SLOTLAB_REQUIRE_PYTHON` is set (CI), when it fails.
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
