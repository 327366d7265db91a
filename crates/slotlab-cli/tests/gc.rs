//! `slotlab gc` end to end, through the built binary.

use assert_cmd::Command;

#[test]
fn rust_and_cpython_pauses_with_the_ratio_and_the_claim() {
    let out = Command::cargo_bin("slotlab")
        .unwrap()
        .args([
            "gc", "--n", "5000", "--repeat", "2", "--warmup", "0", "--format", "json",
        ])
        .assert()
        .success();
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = value["measurements"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        7,
        "rust table, dict, slots; cpython table, dict, slots, dataclass(slots)"
    );
    let rust_slots = rows
        .iter()
        .find(|m| m["implementation"] == "rust" && m["layout"] == "slots")
        .unwrap();
    assert_eq!(rust_slots["extra"]["objects_traced"], 5000.0);
    assert_eq!(rust_slots["extra"]["blocks_visited"], 5000.0);
    assert!(
        rust_slots["extra"]["pause_vs_cpython_slots"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let cpython_slots = rows
        .iter()
        .find(|m| m["implementation"] != "rust" && m["layout"] == "slots")
        .unwrap();
    assert_eq!(
        cpython_slots["extra"]["objects_traced"], 5000.0,
        "gc tracks every reading"
    );
    assert!(
        cpython_slots["extra"]["build_collections"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    let expected: f64 = (0..5000).fold(0.0, |acc, i| acc + f64::from(i) * 0.1);
    assert_eq!(
        cpython_slots["extra"]["checksum"].as_f64().unwrap(),
        expected
    );
    assert_eq!(value["claims"][0]["claim"], "Lower GC overhead");
}
