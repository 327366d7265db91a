//! `slotlab sweep` end to end, through the built binary.

use assert_cmd::Command;

fn slotlab() -> Command {
    Command::cargo_bin("slotlab").unwrap()
}

const SMALL: [&str; 11] = [
    "sweep", "--from", "1e3", "--to", "1e4", "--steps", "2", "--repeat", "1", "--warmup", "0",
];

#[test]
fn every_layout_at_every_n_with_the_growth_verdict_and_charts() {
    let dir = std::env::temp_dir().join(format!("slotlab-sweep-{}", std::process::id()));
    let out = slotlab()
        .args(SMALL)
        .args(["--format", "json", "--charts"])
        .arg(&dir)
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = value["measurements"].as_array().unwrap();
    // 2 sizes × (5 Rust layouts + 4 CPython cases × 2 modes).
    assert_eq!(rows.len(), 26);
    assert!(rows.iter().all(|m| m["experiment"] == "sweep"));
    assert!(
        rows.iter()
            .all(|m| m["extra"]["ns_per_object"].as_f64().unwrap() > 0.0)
    );
    let claim = &value["claims"][0];
    assert_eq!(
        claim["claim"],
        "Performance difference grows with object count"
    );
    assert!(["held", "not_held"].contains(&claim["verdict"].as_str().unwrap()));
    assert!(
        claim["evidence"]
            .as_str()
            .unwrap()
            .contains("per-object gap")
    );
    for (file, label) in [
        ("sweep-bytes.svg", ">Rust slots</text>"),
        ("sweep-time.svg", ">CPython dict</text>"),
    ] {
        let svg = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains(label), "{file}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rust_only_table() {
    let out = slotlab().args(SMALL).arg("--rust-only").assert().success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        table.contains("┆ columns ") && !table.contains("cpython"),
        "{table}"
    );
    assert!(
        table.contains("Performance difference grows with object count"),
        "{table}"
    );
}

#[test]
fn a_backwards_range_is_refused() {
    let out = slotlab()
        .args(["sweep", "--from", "1e5", "--to", "1e3"])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error: --from 100000 is larger than --to 1000"),
        "{stderr}"
    );
}
