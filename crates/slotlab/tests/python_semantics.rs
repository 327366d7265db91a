//! Runs the same statements under `python3` and through the object model,
//! and checks that every outcome, error message included, is the same, so
//! any drift from CPython is caught.
//!
//! Needs `python3` on PATH (every slotlab machine has it); fails, saying so,
//! when it is missing.

use slotlab::model::{Class, Instance, ModelError, Str, Value};
use std::collections::BTreeMap;
use std::process::Command;

/// The Python side: one `label<TAB>outcome` line per case.
const PYTHON_CASES: &str = r#"
def t(label, f):
    try:
        out = "OK " + repr(f())
    except Exception as e:
        out = f"{type(e).__name__}: {e}"
    print(label + "\t" + out.replace("\n", "\\n"))

def cls(src, name):
    ns = {}
    exec(src, ns)
    return ns[name]

class S:
    __slots__ = ("timestamp", "value")
    y = 5

def set_undeclared():
    S().foo = 1
t("set_undeclared", set_undeclared)
t("get_unset", lambda: S().value)
def get_deleted():
    s = S(); s.value = 1.5; del s.value; return s.value
t("get_deleted", get_deleted)
def del_unset():
    del S().value
t("del_unset", del_unset)
t("dict_of_slots", lambda: S().__dict__)
def set_dict_of_slots():
    S().__dict__ = {}
t("set_dict_of_slots", set_dict_of_slots)
t("get_class_var", lambda: S().y)
def set_class_var():
    S().y = 6
t("set_class_var", set_class_var)
def del_class_var():
    del S().y
t("del_class_var", del_class_var)
def set_and_get():
    s = S(); s.timestamp = 3; s.value = 0.25; return (s.timestamp, s.value)
t("set_and_get", set_and_get)

def subclass_dict():
    class Sub(S): pass
    u = Sub(); u.foo = 3; u.value = 1.0; u.y = 7
    return (list(u.__dict__), u.value, u.y)
t("subclass_dict", subclass_dict)
def dict_slot():
    SD = cls("class SD:\n __slots__ = ('a', '__dict__')", "SD")
    o = SD(); o.a = 1; o.zz = 2
    return list(o.__dict__)
t("dict_slot", dict_slot)

t("dict_twice", lambda: cls("class A:\n __slots__ = ('__dict__', '__dict__')", "A"))
t("dict_base_has_dict", lambda: cls("class B: pass\nclass A(B):\n __slots__ = ('__dict__',)", "A"))
t("weakref_twice", lambda: cls("class A:\n __slots__ = ('__weakref__', '__weakref__')", "A"))
t("conflicts_class_var", lambda: cls("class A:\n __slots__ = ('x',)\n x = 1", "A"))
t("layout_conflict", lambda: cls("class A:\n __slots__ = ('x',)\nclass B:\n __slots__ = ('y',)\nclass C(A, B): pass", "C"))
t("empty_slots_no_conflict", lambda: cls("class A:\n __slots__ = ('x',)\nclass B:\n __slots__ = ()\nclass C(A, B): pass", "C").__name__)
t("not_identifier", lambda: cls("class A:\n __slots__ = ('1x',)", "A"))
t("not_identifier_space", lambda: cls("class A:\n __slots__ = ('a b',)", "A"))
t("mangled", lambda: sorted(k for k in vars(cls("class A:\n __slots__ = ('__x', 'b')", "A")) if not k.startswith('__')))
t("mro_conflict", lambda: cls("class A: pass\nclass B(A): pass\nclass C(A, B): pass", "C"))
t("duplicate_base", lambda: cls("class A: pass\nclass C(A, A): pass", "C"))
t("diamond_mro", lambda: [k.__name__ for k in cls("class O: pass\nclass A(O): pass\nclass B(O): pass\nclass D(A, B): pass", "D").__mro__])

# Every dict case runs twice on the Rust side: the dict layout (CPython
# 3.11's shared keys) and the table layout must both behave as CPython.
def td(label, f):
    t(label, f)
    t(label + "@table", f)

class D:
    y = 1
def dict_order():
    d = D(); d.b = 0; d.a = 1; d.c = 2; d.b = 9; del d.a
    return list(d.__dict__.items())
td("dict_order", dict_order)
def dict_readd():
    d = D(); d.x = 1; d.y = 2; d.z = 3; del d.y; d.y = 4
    return list(d.__dict__)
td("dict_readd", dict_readd)
def dict_orders_per_instance():
    a = D(); a.p = 1; a.q = 2
    b = D(); b.q = 3; b.p = 4
    return (list(a.__dict__), list(b.__dict__))
td("dict_orders_per_instance", dict_orders_per_instance)
def dict_after_vars():
    d = D(); d.m = 1; v = vars(d); d.n = 2; del d.m; d.m = 3
    return (list(v.items()), d.m)
td("dict_after_vars", dict_after_vars)
def dict_past_shared_keys():
    class Wide: pass
    w = Wide()
    for i in range(32):
        setattr(w, "k%d" % i, i)
    del w.k3
    other = Wide(); other.k31 = 1; other.k0 = 0
    return (list(w.__dict__)[:5], len(w.__dict__), w.k31, list(other.__dict__))
td("dict_past_shared_keys", dict_past_shared_keys)
def dict_del_dict():
    d = D(); d.a = 1; del d.__dict__; d.b = 2
    return (list(d.__dict__), hasattr(d, "a"))
td("dict_del_dict", dict_del_dict)
td("dict_missing", lambda: D().nope)
def dict_del_missing():
    del D().nope
td("dict_del_missing", dict_del_missing)
def dict_del_twice():
    d = D(); d.a = 1; del d.a; del d.a
td("dict_del_twice", dict_del_twice)
def dict_del_class_var():
    del D().y
td("dict_del_class_var", dict_del_class_var)
def dict_set_dict():
    D().__dict__ = 1
td("dict_set_dict", dict_set_dict)
def dict_set_dict_none():
    D().__dict__ = None
td("dict_set_dict_none", dict_set_dict_none)
"#;

fn outcome<T: std::fmt::Debug>(
    result: Result<T, ModelError>,
    ok: impl FnOnce(T) -> String,
) -> String {
    match result {
        Ok(v) => format!("OK {}", ok(v)),
        Err(e) => e.to_string().replace('\n', "\\n"),
    }
}

fn err_only(result: Result<impl std::fmt::Debug, ModelError>) -> String {
    outcome(result, |v| format!("unexpected success: {v:?}"))
}

/// Python's repr of the few values these cases return.
fn py(v: &Value) -> String {
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => slotlab::model::float_repr(*x),
        Value::Str(s) => format!("'{s}'"),
        other => format!("{other:?}"),
    }
}

fn py_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = items.into_iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

fn name(s: &str) -> Str {
    Str::new(s)
}

fn rust_cases() -> BTreeMap<String, String> {
    let s = Class::builder("S")
        .slots(["timestamp", "value"])
        .class_var("y", 5i64)
        .build()
        .unwrap();
    let new_s = || Instance::new(&s);
    let slots =
        |name: &str, list: &[&str]| Class::builder(name).slots(list.iter().copied()).build();
    let plain = |n: &str| Class::builder(n).build().unwrap();
    let mut cases = Cases::default();

    cases.insert(
        "set_undeclared",
        err_only(new_s().set_attr(&name("foo"), Value::Int(1))),
    );
    cases.insert("get_unset", err_only(new_s().get_attr("value")));
    cases.insert("get_deleted", {
        let mut i = new_s();
        i.set_attr(&name("value"), Value::Float(1.5)).unwrap();
        i.del_attr("value").unwrap();
        err_only(i.get_attr("value"))
    });
    cases.insert("del_unset", err_only(new_s().del_attr("value")));
    cases.insert("dict_of_slots", err_only(new_s().vars().map(|d| d.len())));
    cases.insert(
        "set_dict_of_slots",
        err_only(new_s().set_attr(&name("__dict__"), Value::None)),
    );
    cases.insert("get_class_var", outcome(new_s().get_attr("y"), |v| py(&v)));
    cases.insert(
        "set_class_var",
        err_only(new_s().set_attr(&name("y"), Value::Int(6))),
    );
    cases.insert("del_class_var", err_only(new_s().del_attr("y")));
    cases.insert("set_and_get", {
        let mut i = new_s();
        i.set_attr(&name("timestamp"), Value::Int(3)).unwrap();
        i.set_attr(&name("value"), Value::Float(0.25)).unwrap();
        let pair = (i.get_attr("timestamp"), i.get_attr("value"));
        format!("OK ({}, {})", py(&pair.0.unwrap()), py(&pair.1.unwrap()))
    });

    cases.insert("subclass_dict", {
        let sub = Class::builder("Sub").base(&s).build().unwrap();
        let mut u = Instance::new(&sub);
        u.set_attr(&name("foo"), Value::Int(3)).unwrap();
        u.set_attr(&name("value"), Value::Float(1.0)).unwrap();
        u.set_attr(&name("y"), Value::Int(7)).unwrap();
        let keys = keys(&mut u);
        format!(
            "OK ({keys}, {}, {})",
            py(&u.get_attr("value").unwrap()),
            py(&u.get_attr("y").unwrap())
        )
    });
    cases.insert("dict_slot", {
        let sd = slots("SD", &["a", "__dict__"]).unwrap();
        let mut o = Instance::new(&sd);
        o.set_attr(&name("a"), Value::Int(1)).unwrap();
        o.set_attr(&name("zz"), Value::Int(2)).unwrap();
        format!("OK {}", keys(&mut o))
    });

    cases.insert(
        "dict_twice",
        err_only(slots("A", &["__dict__", "__dict__"])),
    );
    let b = plain("B");
    cases.insert(
        "dict_base_has_dict",
        err_only(Class::builder("A").base(&b).slots(["__dict__"]).build()),
    );
    cases.insert(
        "weakref_twice",
        err_only(slots("A", &["__weakref__", "__weakref__"])),
    );
    cases.insert(
        "conflicts_class_var",
        err_only(
            Class::builder("A")
                .slots(["x"])
                .class_var("x", 1i64)
                .build(),
        ),
    );
    let ax = slots("A", &["x"]).unwrap();
    let by = slots("B", &["y"]).unwrap();
    let empty = slots("B", &[]).unwrap();
    cases.insert(
        "layout_conflict",
        err_only(Class::builder("C").base(&ax).base(&by).build()),
    );
    cases.insert(
        "empty_slots_no_conflict",
        outcome(Class::builder("C").base(&ax).base(&empty).build(), |c| {
            format!("'{}'", c.name())
        }),
    );
    cases.insert("not_identifier", err_only(slots("A", &["1x"])));
    cases.insert("not_identifier_space", err_only(slots("A", &["a b"])));
    cases.insert(
        "mangled",
        outcome(slots("A", &["__x", "b"]), |c| {
            py_list(c.slot_names().iter().map(|n| n.as_str()))
        }),
    );
    let a = plain("A");
    let b_of_a = Class::builder("B").base(&a).build().unwrap();
    cases.insert(
        "mro_conflict",
        err_only(Class::builder("C").base(&a).base(&b_of_a).build()),
    );
    cases.insert(
        "duplicate_base",
        err_only(Class::builder("C").base(&a).base(&a).build()),
    );
    cases.insert("diamond_mro", {
        let o = plain("O");
        let a = Class::builder("A").base(&o).build().unwrap();
        let b = Class::builder("B").base(&o).build().unwrap();
        let d = Class::builder("D").base(&a).base(&b).build().unwrap();
        format!("OK {}", py_list(d.mro_names()))
    });

    let dict = Class::builder("D").class_var("y", 1i64).build().unwrap();
    dict_cases(&mut cases, "", &dict, || {
        Class::builder("Wide").build().unwrap()
    });
    let table = Class::builder("D")
        .class_var("y", 1i64)
        .table()
        .build()
        .unwrap();
    dict_cases(&mut cases, "@table", &table, || {
        Class::builder("Wide").table().build().unwrap()
    });
    cases.0
}

/// Outcomes by label.
#[derive(Default)]
struct Cases(BTreeMap<String, String>);

impl Cases {
    fn insert(&mut self, label: &str, outcome: String) {
        self.0.insert(label.to_owned(), outcome);
    }
}

/// `list(o.__dict__.items())`, as CPython prints it.
fn items(o: &mut Instance) -> String {
    let items: Vec<String> = o
        .vars()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("('{k}', {})", py(v)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// `list(o.__dict__)`, as CPython prints it (materializing, as CPython does).
fn keys(o: &mut Instance) -> String {
    let items = o.vars().unwrap();
    py_list(items.iter().map(|(k, _)| k.as_str()))
}

/// The cases every `__dict__` layout must pass, labelled with `suffix`.
fn dict_cases(cases: &mut Cases, suffix: &str, d: &Class, wide: impl Fn() -> Class) {
    let new_d = || Instance::new(d);
    let mut case =
        |label: &str, outcome: String| cases.insert(&format!("{label}{suffix}"), outcome);
    case("dict_order", {
        let mut i = new_d();
        for (k, v) in [("b", 0), ("a", 1), ("c", 2), ("b", 9)] {
            i.set_attr(&name(k), Value::Int(v)).unwrap();
        }
        i.del_attr("a").unwrap();
        format!("OK {}", items(&mut i))
    });
    case("dict_readd", {
        let mut i = new_d();
        for (k, v) in [("x", 1), ("y", 2), ("z", 3)] {
            i.set_attr(&name(k), Value::Int(v)).unwrap();
        }
        i.del_attr("y").unwrap();
        i.set_attr(&name("y"), Value::Int(4)).unwrap();
        format!("OK {}", keys(&mut i))
    });
    case("dict_orders_per_instance", {
        let (mut a, mut b) = (new_d(), new_d());
        a.set_attr(&name("p"), Value::Int(1)).unwrap();
        a.set_attr(&name("q"), Value::Int(2)).unwrap();
        b.set_attr(&name("q"), Value::Int(3)).unwrap();
        b.set_attr(&name("p"), Value::Int(4)).unwrap();
        format!("OK ({}, {})", keys(&mut a), keys(&mut b))
    });
    case("dict_after_vars", {
        let mut i = new_d();
        i.set_attr(&name("m"), Value::Int(1)).unwrap();
        assert_eq!(items(&mut i), "[('m', 1)]");
        // CPython's `v` is the live dict: it shows what came after.
        i.set_attr(&name("n"), Value::Int(2)).unwrap();
        i.del_attr("m").unwrap();
        i.set_attr(&name("m"), Value::Int(3)).unwrap();
        format!("OK ({}, {})", items(&mut i), py(&i.get_attr("m").unwrap()))
    });
    case("dict_past_shared_keys", {
        let class = wide();
        let mut w = Instance::new(&class);
        for i in 0..32 {
            w.set_attr(&name(&format!("k{i}")), Value::Int(i)).unwrap();
        }
        w.del_attr("k3").unwrap();
        let mut other = Instance::new(&class);
        other.set_attr(&name("k31"), Value::Int(1)).unwrap();
        other.set_attr(&name("k0"), Value::Int(0)).unwrap();
        let items = w.vars().unwrap();
        let first: Vec<&str> = items.iter().take(5).map(|(k, _)| k.as_str()).collect();
        format!(
            "OK ({}, {}, {}, {})",
            py_list(first),
            items.len(),
            py(&w.get_attr("k31").unwrap()),
            keys(&mut other)
        )
    });
    case("dict_del_dict", {
        let mut i = new_d();
        i.set_attr(&name("a"), Value::Int(1)).unwrap();
        i.del_attr("__dict__").unwrap();
        i.set_attr(&name("b"), Value::Int(2)).unwrap();
        let has_a = i.get_attr("a").is_ok();
        format!(
            "OK ({}, {})",
            keys(&mut i),
            if has_a { "True" } else { "False" }
        )
    });
    case("dict_missing", err_only(new_d().get_attr("nope")));
    case("dict_del_missing", err_only(new_d().del_attr("nope")));
    case("dict_del_twice", {
        let mut i = new_d();
        i.set_attr(&name("a"), Value::Int(1)).unwrap();
        i.del_attr("a").unwrap();
        err_only(i.del_attr("a"))
    });
    case("dict_del_class_var", err_only(new_d().del_attr("y")));
    case(
        "dict_set_dict",
        err_only(new_d().set_attr(&name("__dict__"), Value::Int(1))),
    );
    case(
        "dict_set_dict_none",
        err_only(new_d().set_attr(&name("__dict__"), Value::None)),
    );
}

fn python_cases() -> BTreeMap<String, String> {
    let output = Command::new("python3")
        .args(["-c", PYTHON_CASES])
        .output()
        .expect("python3 must be on PATH for this test (it checks the model against CPython)");
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (label, out) = line.split_once('\t').expect("label<TAB>outcome");
            (label.to_owned(), out.to_owned())
        })
        .collect()
}

#[test]
fn the_model_behaves_as_cpython() {
    let python = python_cases();
    let rust = rust_cases();
    let python_labels: Vec<&str> = python.keys().map(String::as_str).collect();
    let rust_labels: Vec<&str> = rust.keys().map(String::as_str).collect();
    assert_eq!(
        python_labels, rust_labels,
        "both sides must run the same cases"
    );
    let mismatches: Vec<String> = rust
        .iter()
        .filter(|(label, out)| python[*label] != **out)
        .map(|(label, out)| format!("{label}:\n  cpython: {}\n  slotlab: {out}", python[label]))
        .collect();
    assert!(
        mismatches.is_empty(),
        "differs from CPython:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn the_python_side_is_cpython_3_11_or_later() {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.implementation.name, sys.version_info >= (3, 11))",
        ])
        .output()
        .expect("python3 on PATH");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "cpython True");
}
