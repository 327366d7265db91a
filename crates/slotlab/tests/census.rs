//! `census` on fixture programs, one per verdict, under the real CPython:
//! exact instance counts, the exact suggested tuple, CPython's reasons.

use slotlab::measure::census::{Census, ClassCensus, Verdict};
use slotlab::python::ChildLimits;
use slotlab::python::census::{CensusOptions, take_census};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/census")
        .join(name)
}

/// The census of a fixture, or `None` (said) without python3.
fn census(name: &str) -> Option<Census> {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("SLOTLAB_REQUIRE_PYTHON").is_none(),
            "python3 is required here"
        );
        eprintln!("skipped: no python3 on PATH");
        return None;
    }
    let program = vec![fixture(name).display().to_string()];
    let options = CensusOptions::default();
    Some(take_census("python3", &program, options, ChildLimits::DEFAULT).unwrap())
}

fn class<'a>(census: &'a Census, qualname: &str) -> &'a ClassCensus {
    census
        .classes
        .iter()
        .find(|c| c.qualname == qualname)
        .unwrap_or_else(|| panic!("no {qualname} in {:?}", census.classes))
}

fn slots(class: &ClassCensus) -> Vec<&str> {
    class.slots.iter().flatten().map(String::as_str).collect()
}

#[test]
fn a_ready_class_gets_its_exact_tuple_and_a_measured_saving() {
    let Some(c) = census("ready.py") else { return };
    assert_eq!((c.ended.as_str(), c.status), ("exit", 0));
    let reading = class(&c, "Reading");
    assert_eq!(reading.instances, 3000);
    assert_eq!(reading.verdict, Verdict::Ready);
    assert_eq!(slots(reading), ["timestamp", "value"]);
    assert!(reading.own);
    assert_eq!(reading.line, Some(2));
    // After the docstring, indented as the body is.
    let insert = reading.insert.as_ref().unwrap();
    assert_eq!((insert.insert_line, insert.indent), (4, 4));
    let (now, with_slots) = (reading.bytes_now.unwrap(), reading.bytes_slots.unwrap());
    assert!(with_slots < now, "{with_slots} < {now}");
    assert_eq!(reading.record_bytes(), Some(16.0));
}

#[test]
fn a_base_with_a_dict_needs_empty_slots_too() {
    let Some(c) = census("base.py") else { return };
    let square = class(&c, "Square");
    assert_eq!(
        (square.verdict, slots(square)),
        (Verdict::Ready, vec!["side"])
    );
    let bases: Vec<&str> = square.bases.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(bases, ["__main__.Shape"]);
    assert_eq!(square.bases[0].line, Some(2));
}

#[test]
fn blocked_classes_say_why_in_cpythons_words() {
    let Some(c) = census("dynamic.py") else {
        return;
    };
    let node = class(&c, "Node");
    assert_eq!(node.verdict, Verdict::Blocked);
    // The sample is 1,000 of the 3,000; every third has `extra`.
    let sets: Vec<&[String]> = node.attr_sets.iter().map(|s| &s.attrs[..]).collect();
    assert_eq!(sets, [&["id"][..], &["id", "extra"][..]]);
    assert_eq!(node.sampled, 1000);
    assert_eq!(
        node.attr_sets.iter().map(|s| s.instances).sum::<u64>(),
        1000
    );
    assert!((332..=335).contains(&node.attr_sets[1].instances));
    let Some(c) = census("conflict.py") else {
        return;
    };
    let config = class(&c, "Config");
    assert_eq!(config.verdict, Verdict::Blocked);
    assert!(
        config
            .reason
            .as_deref()
            .unwrap()
            .starts_with("'retries' in __slots__ conflicts with class variable")
    );
    let Some(c) = census("varsize.py") else {
        return;
    };
    let money = class(&c, "Money");
    assert_eq!(money.verdict, Verdict::Blocked);
    assert_eq!(
        money.reason.as_deref(),
        Some("nonempty __slots__ not supported for subtype of 'int'")
    );
    // CPython 3.11 lets a str subclass take slots: measured, not assumed.
    assert_eq!(class(&c, "Label").verdict, Verdict::Ready);
    let Some(c) = census("reads_dict.py") else {
        return;
    };
    let row = class(&c, "Row");
    assert_eq!(row.verdict, Verdict::Blocked);
    assert!(
        row.reason
            .as_deref()
            .unwrap()
            .contains("reads_dict.py:9: .__dict__"),
        "{:?}",
        row.reason
    );
}

#[test]
fn weakrefs_slotted_classes_and_dataclasses() {
    let Some(c) = census("weakrefs.py") else {
        return;
    };
    let handle = class(&c, "Handle");
    assert_eq!(slots(handle), ["n", "__weakref__"]);
    assert_eq!(handle.bases[0].name, "__main__.Resource");
    let Some(c) = census("slotted.py") else {
        return;
    };
    assert_eq!(class(&c, "Point").verdict, Verdict::Slotted);
    let Some(c) = census("dataclass.py") else {
        return;
    };
    let event = class(&c, "Event");
    assert_eq!((event.verdict, event.line), (Verdict::Dataclass, Some(6)));
}

#[test]
fn a_program_that_raises_is_counted_and_its_status_kept() {
    let Some(c) = census("raises.py") else { return };
    assert_eq!((c.ended.as_str(), c.status), ("raised", 1));
    assert_eq!(
        c.error.as_deref(),
        Some("RuntimeError: boom after building")
    );
    assert_eq!(class(&c, "Item").instances, 3000);
}
