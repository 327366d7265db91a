//! The dict layout's states against CPython 3.11's own: the same steps on
//! the same readings, and after each one the state every CPython object is
//! in (read from the interpreter by `cases.py`) must be the state every
//! model instance is in. Then the model's exact bytes in each state.

use slotlab::lab::explain::states;
use slotlab::measure::{AllocScope, DictAction, DictScenario, DictStep, TrackingAllocator};
use slotlab::model::{Class, DictPlace, DictState, Instance, SHARED_KEYS_MAX_SIZE, Str, Value};
use slotlab::python::Python;
use std::collections::BTreeMap;

#[global_allocator]
static ALLOC: TrackingAllocator = TrackingAllocator::new();

const N: u64 = 1000;

/// Every rule the model copies from CPython 3.11, one scenario each: the
/// explain demonstrations plus a few more.
fn scenarios() -> Vec<DictScenario> {
    let mut all = states::scenarios();
    let set = |name: &str| DictAction::Set(name.to_owned());
    let scenario = |name: &str, steps| DictScenario {
        name: name.to_owned(),
        steps,
    };
    all.extend([
        scenario(
            "29 attributes fit",
            vec![DictAction::NewWide(29), set("k0"), DictAction::Vars],
        ),
        scenario(
            "a shared dict takes a new key while the keys have room, then loses them",
            vec![DictAction::New, DictAction::Vars, set("a"), set("b")],
        ),
        scenario(
            "a deleted attribute is gone, the rest stay inline",
            vec![
                DictAction::Build,
                DictAction::Del("timestamp".to_owned()),
                set("note"),
            ],
        ),
    ]);
    all
}

fn states_of(steps: &[DictStep]) -> Vec<(String, String, BTreeMap<DictPlace, u64>)> {
    steps
        .iter()
        .map(|s| (s.scenario.clone(), s.action.code(), s.states.clone()))
        .collect()
}

#[test]
fn every_step_leaves_each_object_in_the_state_cpython_3_11_leaves_it_in() {
    let python = Python::probe("python3").expect("python3 on PATH (it checks the model)");
    let scenarios = scenarios();
    let rust = states::rust(N, &scenarios).unwrap();
    let cpython = states::cpython(&python, N, &scenarios).unwrap();
    if (python.info().major, python.info().minor) != (3, 11) {
        eprintln!(
            "skipped: states are read from CPython 3.11's object layout; this is {}",
            python.info().version
        );
        assert!(cpython.iter().all(|s| s.states.is_empty()));
        return;
    }
    // Every object of a step in one state, on both sides.
    assert!(rust.iter().all(|s| s.states.values().sum::<u64>() == N));
    assert_eq!(states_of(&rust), states_of(&cpython));
    // Sizing one object alone sees no state: sys.getsizeof(r) counts neither
    // the values nor a dict, the model's block never moves.
    for side in [&rust, &cpython] {
        for pair in side.windows(2) {
            if pair[0].scenario == pair[1].scenario {
                assert_eq!(pair[0].getsizeof, pair[1].getsizeof, "{pair:?}");
            }
        }
    }
    assert!(cpython.iter().all(|s| s.getsizeof.is_some()));
    // Sharing breaks where CPython's memory jumps: each own dict costs
    // CPython at least a dict object (48 bytes) per reading.
    for (i, step) in cpython.iter().enumerate().skip(1) {
        let before = &cpython[i - 1];
        let became_own = step.states.contains_key(&DictPlace::Own)
            && !before.states.contains_key(&DictPlace::Own)
            && before.scenario == step.scenario;
        if became_own {
            assert!(
                step.bytes_per_object - before.bytes_per_object >= 48.0,
                "{step:?}"
            );
        }
    }
}

/// The block CPython 3.11's rules give the k-th reading of a fresh class
/// with two keys: room for 29, then one fewer each, down to 2 + 1.
fn block(k: u64) -> u64 {
    let capacity = (29 - k.min(26)).max(3);
    8 + (3 + capacity).next_multiple_of(8) + 8 * capacity
}

#[test]
#[cfg(target_pointer_width = "64")]
fn each_state_costs_exactly_its_blocks() {
    let scenario = |steps| DictScenario {
        name: "bytes".to_owned(),
        steps,
    };
    let run = |steps| -> Vec<f64> {
        let steps = states::rust(N, &[scenario(steps)]).unwrap();
        steps
            .iter()
            .map(|s| s.bytes_per_object * N as f64)
            .collect()
    };
    let set = |name: &str| DictAction::Set(name.to_owned());
    let bytes = run(vec![DictAction::Build, set("note"), DictAction::Vars]);
    // The list, one block per reading (the first readings with more room).
    let built = 8 * N + (0..N).map(block).sum::<u64>();
    assert_eq!(bytes[0], built as f64);
    // The third attribute takes the room kept: nothing allocated.
    assert_eq!(bytes[1], built as f64);
    // vars(r): a table of its own per reading: its box (an IndexMap header,
    // 56), its index (4 × 8 + 4 + 16) and entries (3 of 24, room for 3).
    assert_eq!(bytes[2], (built + N * (56 + 52 + 72)) as f64);
    // A fourth key the class cannot take: a table with its own keys, grown
    // for the fourth entry: the box, an index of 8 buckets (8 × 8 + 8 + 16)
    // and entries with room for 7 (the index's capacity).
    let bytes = run(vec![DictAction::Build, set("note"), set("tag")]);
    assert_eq!(bytes[2], (built + N * (56 + 88 + 7 * 24)) as f64);
}

/// The `__dict__`'s keys in the instance's order.
fn order(r: &Instance) -> Vec<String> {
    r.attributes()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k.to_string())
        .collect()
}

#[test]
fn states_and_their_figures_through_the_api() {
    let class = Class::builder("R").build().unwrap();
    let names: Vec<Str> = ["timestamp", "value", "note", "tag"]
        .iter()
        .map(|n| Str::intern(n))
        .collect();
    // Settle the class: 26 readings take its spare room.
    let settle: Vec<Instance> = (0..30)
        .map(|_| {
            let mut r = Instance::new(&class);
            r.set_attr(&names[0], Value::Int(1)).unwrap();
            r.set_attr(&names[1], Value::Float(0.5)).unwrap();
            r
        })
        .collect();
    assert_eq!(class.shared_keys_room(), Some((2, 1)));
    let scope = AllocScope::start();
    let mut r = Instance::new(&class);
    assert_eq!(scope.stats().bytes_now, 40);
    r.set_attr(&names[1], Value::Float(0.5)).unwrap();
    r.set_attr(&names[0], Value::Int(1)).unwrap();
    assert_eq!(
        r.dict_state(),
        Some(DictState::Inline {
            capacity: 3,
            len: 2
        })
    );
    // Its own order, the class's keys.
    assert_eq!(order(&r), ["value", "timestamp"]);
    let keys: Vec<String> = class.shared_keys().iter().map(|k| k.to_string()).collect();
    assert_eq!(keys, ["timestamp", "value"]);
    drop(keys);
    // The room kept takes a third key, for every reading of the class.
    r.set_attr(&names[2], Value::None).unwrap();
    assert_eq!(
        r.dict_state(),
        Some(DictState::Inline {
            capacity: 3,
            len: 3
        })
    );
    assert_eq!(class.shared_keys_room(), Some((3, 0)));
    assert_eq!(scope.stats().bytes_now, 40);
    // A fourth: the class's keys are full; this reading gets its own.
    r.set_attr(&names[3], Value::None).unwrap();
    assert_eq!(r.dict_state(), Some(DictState::Own { len: 4 }));
    assert_eq!(r.get_attr("value").unwrap(), Value::Float(0.5));
    assert_eq!(order(&r), ["value", "timestamp", "note", "tag"]);
    drop(r);
    assert_eq!(
        scope.stats().bytes_now,
        0,
        "a materialized table is freed with its reading"
    );
    drop(settle);
}

#[test]
fn a_class_holds_at_most_30_keys_and_its_first_instance_29() {
    assert_eq!(SHARED_KEYS_MAX_SIZE, 30);
    let class = Class::builder("Wide").build().unwrap();
    let mut r = Instance::new(&class);
    for k in 0..29 {
        r.set_attr(&Str::intern(&format!("k{k}")), Value::Int(k))
            .unwrap();
    }
    assert_eq!(
        r.dict_state(),
        Some(DictState::Inline {
            capacity: 29,
            len: 29
        })
    );
    r.set_attr(&Str::intern("k29"), Value::Int(29)).unwrap();
    assert_eq!(r.dict_state(), Some(DictState::Own { len: 30 }));
    assert_eq!(class.shared_keys_room(), Some((29, 0)));
}
