//! `slotlab explain` end to end, through the built binary.

use assert_cmd::Command;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = slotlab().arg("explain").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn both_runtimes_and_every_measure() {
    let text = stdout_of(&["--layout", "slots"]);
    for needle in [
        "ReadingSlots in rust (slots layout): 32 B per reading",
        "@8    slot 'timestamp' (a packed value)",
        "Instance::new: the object block",
        "in cpython-3.",
        "sys.getsizeof(obj)",
        "tracemalloc (peak / N, N=10000)",
        "pympler asizeof(obj)",
        "counts: ",
        "leaves out: ",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn json_parts_add_up_and_cpython_figures_come_from_python() {
    let out = stdout_of(&["--format", "json"]);
    let anatomies: serde_json::Value = serde_json::from_str(&out).unwrap();
    let anatomies = anatomies.as_array().unwrap();
    // Rust: table, dict, slots, record, columns; CPython: table, dict,
    // slots, dataclass(slots) (columns have no CPython counterpart).
    assert_eq!(anatomies.len(), 9);
    for a in anatomies {
        let parts = a["parts"].as_array().unwrap();
        let total: f64 = parts.iter().map(|p| p["bytes"].as_f64().unwrap()).sum();
        if a["runtime"] == "rust" {
            let requested = a["measures"][1]["bytes"].as_f64().unwrap();
            assert_eq!(total, requested);
        } else {
            // The CPython parts end with the rest tracemalloc saw.
            let traced = a["measures"][1]["bytes"].as_f64().unwrap();
            assert!((total - traced).abs() < 1e-6, "{total} vs {traced}");
            let getsizeof = a["measures"][0]["bytes"].as_f64().unwrap();
            assert!(getsizeof > 0.0 && getsizeof < traced);
        }
    }
    let dict = anatomies
        .iter()
        .find(|a| a["runtime"] != "rust" && a["layout"] == "dict")
        .unwrap();
    assert!(
        dict["measures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "sys.getsizeof(obj.__dict__)")
    );
}

#[test]
fn rust_only_needs_no_python_and_a_missing_one_is_an_error() {
    let text = stdout_of(&["--rust-only", "--python", "/nonexistent/python"]);
    assert!(!text.contains("cpython"), "{text}");
    let out = slotlab()
        .args(["explain", "--python", "/nonexistent/python"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error: cannot run the Python interpreter"),
        "{stderr}"
    );
}

#[test]
fn the_dict_layout_shows_what_moves_it_in_both_runtimes() {
    let text = stdout_of(&["--layout", "dict"]);
    for needle in [
        "what moves a __dict__",
        "vars(r)",
        "dict sharing the class's keys ×10000",
        "dict with its own keys ×10000",
        "values header",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let out = stdout_of(&["--layout", "dict", "--format", "json"]);
    let anatomies: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps = |rust: bool| -> Vec<serde_json::Value> {
        let a = anatomies
            .as_array()
            .unwrap()
            .iter()
            .find(|a| (a["runtime"] == "rust") == rust)
            .unwrap();
        a["dict_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| serde_json::json!([s["scenario"], s["action"], s["states"]]))
            .collect()
    };
    let rust = steps(true);
    assert!(rust.len() >= 10, "{rust:?}");
    assert_eq!(rust, steps(false), "the same states after every step");
}
