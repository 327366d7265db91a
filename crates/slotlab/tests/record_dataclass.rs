//! `#[derive(Record)]` against CPython's `@dataclass`: the same classes and
//! values, built in both, must print the same `repr`, compare equal the
//! same way and order the same way.

use slotlab::record::{Record, RecordVec};
use std::process::Command;

#[derive(Record, Clone)]
#[record(order)]
struct Reading {
    timestamp: i64,
    value: f64,
}

#[derive(Record, Clone)]
struct Mixed {
    id: u32,
    ratio: f32,
    ok: bool,
    name: String,
    note: Option<String>,
}

#[derive(Record)]
#[record(frozen)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Record)]
struct Defaults {
    a: i64,
    #[record(default = 2.5)]
    b: f64,
    #[record(default = "none")]
    c: String,
}

#[derive(Record)]
struct AllDefault {
    #[record(default = 1)]
    n: i32,
    #[record(default = false)]
    flag: bool,
}

const PYTHON: &str = r#"
from dataclasses import dataclass
from typing import Optional

@dataclass(order=True)
class Reading:
    timestamp: int
    value: float

@dataclass
class Mixed:
    id: int
    ratio: float
    ok: bool
    name: str
    note: Optional[str]

@dataclass(frozen=True)
class Point:
    x: float
    y: float

@dataclass
class Defaults:
    a: int
    b: float = 2.5
    c: str = "none"

@dataclass
class AllDefault:
    n: int = 1
    flag: bool = False

readings = [Reading(1, 0.1), Reading(-5, 1e16), Reading(0, -0.0), Reading(2, 1.5e-7),
            Reading(3, float("nan")), Reading(1, 0.05), Reading(1, float("inf"))]
for r in readings:
    print(repr(r))
a, b, c = Reading(1, 0.1), Reading(1, 0.2), Reading(1, 0.1)
print(a == b, a == c, a < b, b < a, a <= c, a >= c, a > c)
n = Reading(3, float("nan"))
print(n < Reading(3, 1.0), n > Reading(3, 1.0), n <= Reading(3, float("nan")))
print(sorted(r for r in readings if r.value == r.value))
print(repr(Mixed(7, 0.10000000149011612, True, "it's", None)))
print(repr(Mixed(0, -2.5, False, 'say "hi"', "tab\there")))
print(repr(Mixed(1, 0.0, True, "both ' and \"", "\u00e9\u200b\\")))
print(repr(Point(1.0, 2.0)))
print(repr(Defaults(1)), repr(Defaults(1, 3.0, "x")))
print(repr(AllDefault()))
"#;

fn rust_lines() -> Vec<String> {
    let readings = [
        Reading::new(1, 0.1),
        Reading::new(-5, 1e16),
        Reading::new(0, -0.0),
        Reading::new(2, 1.5e-7),
        Reading::new(3, f64::NAN),
        Reading::new(1, 0.05),
        Reading::new(1, f64::INFINITY),
    ];
    let py_bool = |b: bool| if b { "True" } else { "False" }.to_owned();
    let mut lines: Vec<String> = readings.iter().map(ToString::to_string).collect();
    let (a, b, c) = (
        Reading::new(1, 0.1),
        Reading::new(1, 0.2),
        Reading::new(1, 0.1),
    );
    lines.push(
        [a == b, a == c, a < b, b < a, a <= c, a >= c, a > c]
            .map(py_bool)
            .join(" "),
    );
    let n = Reading::new(3, f64::NAN);
    lines.push(
        [
            n < Reading::new(3, 1.0),
            n > Reading::new(3, 1.0),
            n <= Reading::new(3, f64::NAN),
        ]
        .map(py_bool)
        .join(" "),
    );
    let mut sorted: Vec<Reading> = readings
        .iter()
        .filter(|r| !r.value().is_nan())
        .cloned()
        .collect();
    sorted.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let items: Vec<String> = sorted.iter().map(ToString::to_string).collect();
    lines.push(format!("[{}]", items.join(", ")));
    lines.push(Mixed::new(7, 0.1, true, "it's".into(), None).to_string());
    lines.push(
        Mixed::new(
            0,
            -2.5,
            false,
            "say \"hi\"".into(),
            Some("tab\there".into()),
        )
        .to_string(),
    );
    lines.push(
        Mixed::new(
            1,
            0.0,
            true,
            "both ' and \"".into(),
            Some("\u{e9}\u{200b}\\".into()),
        )
        .to_string(),
    );
    lines.push(Point::new(1.0, 2.0).to_string());
    lines.push(format!(
        "{} {}",
        Defaults::with_defaults(1),
        Defaults::new(1, 3.0, "x".into())
    ));
    lines.push(AllDefault::default().to_string());
    lines
}

#[test]
fn repr_eq_and_order_match_cpython_dataclasses() {
    let out = Command::new("python3")
        .args(["-c", PYTHON])
        .output()
        .expect("python3 on PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python = String::from_utf8(out.stdout).unwrap();
    let python: Vec<&str> = python.lines().collect();
    let rust = rust_lines();
    assert_eq!(python.len(), rust.len());
    for (i, (p, r)) in python.iter().zip(&rust).enumerate() {
        assert_eq!(p, r, "line {i}: CPython vs Record");
    }
}

#[test]
fn getters_setters_and_metadata() {
    let mut r = Reading::new(1, 0.5);
    r.set_value(2.5);
    assert_eq!((*r.timestamp(), *r.value()), (1, 2.5));
    assert_eq!(Reading::NAME, "Reading");
    let names: Vec<&str> = Reading::FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(names, ["timestamp", "value"]);
    assert_eq!(Reading::FIELDS[0].type_name, "i64");
    assert_eq!(
        Reading::FIELDS[1].offset,
        std::mem::offset_of!(Reading, value)
    );
    assert_eq!(size_of::<Reading>(), 16);
    assert_eq!(slotlab::record::padding_bytes::<Reading>(), 0);
    assert_eq!(Defaults::FIELDS[2].default, Some("\"none\""));
    assert_eq!(Point::new(3.0, 4.0).x(), &3.0);
    let mixed = Mixed::FIELDS;
    assert_eq!(mixed[4].type_name, "Option<String>");
}

#[test]
fn record_vec_stores_columns() {
    let mut v: RecordVec<Mixed> = RecordVec::with_capacity(2);
    v.push(Mixed::new(1, 0.5, true, "a".into(), None));
    v.push(Mixed::new(2, 1.5, false, "b".into(), Some("n".into())));
    assert_eq!(v.len(), 2);
    assert_eq!(v.id(), &[1, 2]);
    assert_eq!(v.name(), &["a".to_owned(), "b".to_owned()]);
    assert_eq!(
        v.get(1).unwrap().to_string(),
        "Mixed(id=2, ratio=1.5, ok=False, name='b', note='n')"
    );
    assert!(v.get(2).is_none());
    let ids: Vec<u32> = v.iter().map(|m| *m.id()).collect();
    assert_eq!(ids, [1, 2]);
    let readings: RecordVec<Reading> = (0..5).map(|i| Reading::new(i, i as f64)).collect();
    assert_eq!(readings.value().iter().sum::<f64>(), 10.0);
    assert_eq!(readings.iter().len(), 5);
}
