//! Unit tests of `class.rs`.

use super::*;
use crate::model::ModelError;

fn slots(name: &str, names: &[&str]) -> Class {
    Class::builder(name)
        .slots(names.iter().copied())
        .build()
        .unwrap()
}

#[test]
fn no_slots_means_dict() {
    let d = Class::builder("D").build().unwrap();
    assert!(d.has_dict() && d.slot_names().is_empty());
    assert_eq!(d.mro_names(), ["D", "object"]);
}

#[test]
fn slots_class_has_no_dict_and_sorted_slots() {
    let s = slots("S", &["value", "timestamp"]);
    assert!(!s.has_dict());
    assert_eq!(s.slot_names(), &[Str::new("timestamp"), Str::new("value")]);
    assert_eq!(s.slot_index("value"), Some(1));
}

#[test]
fn subclass_without_slots_gets_dict_and_keeps_base_slots() {
    let s = slots("S", &["x"]);
    let sub = Class::builder("Sub").base(&s).build().unwrap();
    assert!(sub.has_dict());
    assert_eq!(sub.slot_index("x"), Some(0));
    assert_eq!(sub.mro_names(), ["Sub", "S", "object"]);
}

#[test]
fn dict_in_slots_gives_dict() {
    let c = slots("C", &["a", "__dict__"]);
    assert!(c.has_dict());
    assert_eq!(c.slot_names(), &[Str::new("a")]);
}

#[test]
fn second_dict_slot_is_disallowed() {
    let err = Class::builder("A").slots(["__dict__", "__dict__"]).build();
    assert_eq!(err.unwrap_err(), ModelError::DictSlotDisallowed);
    let b = Class::builder("B").build().unwrap();
    let err = Class::builder("A").base(&b).slots(["__dict__"]).build();
    assert_eq!(
        err.unwrap_err().to_string(),
        "TypeError: __dict__ slot disallowed: we already got one"
    );
}

#[test]
fn weakref_slot_rules() {
    assert!(slots("A", &["__weakref__"]).has_weakref());
    assert!(!slots("A", &["x"]).has_weakref());
    let err = Class::builder("A")
        .slots(["__weakref__", "__weakref__"])
        .build();
    assert_eq!(err.unwrap_err(), ModelError::WeakrefSlotDisallowed);
}

#[test]
fn slot_conflicting_with_class_variable() {
    let err = Class::builder("A")
        .class_var("x", 1i64)
        .slots(["x"])
        .build();
    assert_eq!(
        err.unwrap_err().to_string(),
        "ValueError: 'x' in __slots__ conflicts with class variable"
    );
}

#[test]
fn two_bases_with_slots_conflict_but_empty_slots_do_not() {
    let a = slots("A", &["x"]);
    let b = slots("B", &["y"]);
    let err = Class::builder("C").base(&a).base(&b).build();
    assert_eq!(
        err.unwrap_err().to_string(),
        "TypeError: multiple bases have instance lay-out conflict"
    );
    let empty = slots("E", &[]);
    let c = Class::builder("C").base(&a).base(&empty).build().unwrap();
    assert_eq!(c.slot_names(), &[Str::new("x")]);
}

#[test]
fn layouts_along_one_line_do_not_conflict() {
    let a = slots("A", &["x"]);
    let b = Class::builder("B").base(&a).build().unwrap();
    let c = Class::builder("C").base(&a).slots(["y"]).build().unwrap();
    let d = Class::builder("D").base(&c).base(&b).build().unwrap();
    assert_eq!(d.slot_names(), &[Str::new("x"), Str::new("y")]);
    assert!(d.has_dict());
    assert_eq!(d.mro_names(), ["D", "C", "B", "A", "object"]);
}

#[test]
fn slot_names_must_be_identifiers() {
    for bad in ["1x", "a b", "", "a-b"] {
        let err = Class::builder("A").slots([bad]).build();
        assert_eq!(err.unwrap_err(), ModelError::SlotNotIdentifier, "{bad:?}");
    }
    for good in ["_x", "class", "é", "x1"] {
        assert!(
            Class::builder("A").slots([good]).build().is_ok(),
            "{good:?}"
        );
    }
}

#[test]
fn private_slot_names_are_mangled() {
    assert_eq!(slots("A", &["__x"]).slot_names(), &[Str::new("_A__x")]);
    assert_eq!(slots("_B", &["__x"]).slot_names(), &[Str::new("_B__x")]);
    assert_eq!(slots("A", &["__x__"]).slot_names(), &[Str::new("__x__")]);
    assert_eq!(slots("__", &["__x"]).slot_names(), &[Str::new("__x")]);
}

#[test]
fn duplicate_slot_names_are_kept_and_the_last_wins() {
    let a = slots("A", &["a", "a"]);
    assert_eq!(a.slot_names().len(), 2);
    assert_eq!(a.slot_index("a"), Some(1));
}

#[test]
fn mro_errors() {
    let a = Class::builder("A").build().unwrap();
    let b = Class::builder("B").base(&a).build().unwrap();
    let err = Class::builder("C").base(&a).base(&b).build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "TypeError: Cannot create a consistent method resolution\norder (MRO) for bases A, B"
    );
    let err = Class::builder("C").base(&a).base(&a).build().unwrap_err();
    assert_eq!(err.to_string(), "TypeError: duplicate base class A");
}

#[test]
fn diamond_mro_is_c3() {
    let o = Class::builder("O").build().unwrap();
    let a = Class::builder("A").base(&o).build().unwrap();
    let b = Class::builder("B").base(&o).build().unwrap();
    let d = Class::builder("D").base(&a).base(&b).build().unwrap();
    assert_eq!(d.mro_names(), ["D", "A", "B", "O", "object"]);
}

#[test]
fn class_vars_resolve_along_the_mro() {
    let a = Class::builder("A").class_var("k", 1i64).build().unwrap();
    let b = Class::builder("B")
        .base(&a)
        .class_var("k", 2i64)
        .build()
        .unwrap();
    let c = Class::builder("C").base(&a).build().unwrap();
    assert_eq!(b.class_var("k"), Some(&Value::Int(2)));
    assert_eq!(c.class_var("k"), Some(&Value::Int(1)));
    // A base's class variable may share a name with a subclass's slot.
    let s = Class::builder("S").base(&a).slots(["k"]).build().unwrap();
    assert_eq!(s.slot_index("k"), Some(0));
}

#[test]
fn instance_block_sizes() {
    let word = std::mem::size_of::<usize>();
    // Slots: the class pointer and one word per slot.
    assert_eq!(slots("S", &["a", "b"]).instance_block_bytes(), 3 * word);
    // Table: the class pointer and the table's header (an IndexMap).
    let table = Class::builder("T").table().build().unwrap();
    assert_eq!(table.instance_block_bytes(), word + 56);
    assert_eq!(table.layout(), crate::model::Layout::Table);
    // Dict: the class pointer, the values' header (3 bytes and one order byte per
    // value, rounded to a word), then the values: the first instance gets 29.
    let dict = Class::builder("D").build().unwrap();
    assert_eq!(dict.layout(), crate::model::Layout::Dict);
    assert_eq!(dict.instance_block_bytes(), word + 32 + 29 * word);
    let layout = dict.instance_layout();
    assert_eq!(
        (
            layout.dict_offset,
            layout.values_offset,
            layout.values_capacity
        ),
        (Some(8), Some(40), Some(29))
    );
}
