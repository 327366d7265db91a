//! Values an attribute can hold, and the shared string type.

use arcstr::ArcStr;
use rustc_hash::FxBuildHasher;
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{LazyLock, Mutex, PoisonError};

/// An immutable, reference-counted string: attribute names and `str` values.
///
/// One pointer wide and one heap block (count, length and bytes together),
/// like a CPython `str`. Cloning bumps a count.
///
/// Attribute names should be [`Str::intern`]ed, as CPython interns
/// identifiers: classes intern their slot and class-variable names, so a
/// lookup with an interned name is settled by comparing one pointer, before
/// any hashing or byte comparison.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str(ArcStr);

impl Str {
    /// A new string (one allocation; the empty string allocates nothing).
    pub fn new(text: &str) -> Self {
        Self(ArcStr::from(text))
    }

    /// The one shared `Str` for `text`: the first call allocates it, every
    /// later call returns it (a count bump). Interned strings live until the
    /// process ends, like CPython's interned identifiers usually do.
    pub fn intern(text: &str) -> Self {
        static INTERNED: LazyLock<Mutex<HashSet<Str, FxBuildHasher>>> =
            LazyLock::new(Mutex::default);
        // A poisoned lock only means another thread panicked mid-insert;
        // the set itself is still a valid set.
        let mut set = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = set.get(text) {
            return existing.clone();
        }
        let new = Str::new(text);
        set.insert(new.clone());
        new
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared string inside (a packed value holds its pointer).
    pub(super) fn into_arcstr(self) -> ArcStr {
        self.0
    }

    /// A `Str` around a shared string a packed value held.
    pub(super) fn from_arcstr(inner: ArcStr) -> Self {
        Self(inner)
    }

    /// The shared string, borrowed (tests count its references).
    #[cfg(test)]
    pub(super) fn as_arcstr(&self) -> &ArcStr {
        &self.0
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Str {
    fn from(text: String) -> Self {
        Self(ArcStr::from(text))
    }
}

// `Hash`/`Eq` above are `ArcStr`'s, which hash and compare the text exactly
// as `str` does, so looking a `Str` key up by `&str` is sound.
impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// A handle to an object on a [`Heap`](super::Heap): what [`super::Value::Object`]
/// holds. Four bytes: it fits a packed value's payload.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(u32);

impl ObjectId {
    /// The object's slot on its heap.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id's number, as a packed value holds it.
    pub(crate) fn raw(self) -> u32 {
        self.0
    }

    /// The id a packed value held.
    pub(crate) fn from_raw(raw: u32) -> Self {
        Self(raw)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A Python value as the object model holds it: 16 bytes, no heap block
/// except for strings.
///
/// `int` is limited to `i64` (CPython's is arbitrary-precision).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` that fits in 64 bits.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(Str),
    /// A reference to another object on a [`crate::model::Heap`].
    Object(ObjectId),
}

impl Value {
    /// The Python type name, as error messages print it (`'int'`, `'NoneType'`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Object(_) => "object",
        }
    }

    /// The value as a float when it is a number (`bool` counts, as in
    /// Python's `sum`), else `None`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Bool(b) => Some(f64::from(u8::from(b))),
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            Value::None | Value::Str(_) | Value::Object(_) => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(Str::new(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn value_is_at_most_16_bytes_and_unset_costs_nothing_extra() {
        assert!(size_of::<Value>() <= 16, "{}", size_of::<Value>());
        // An unset slot is `None` of `Option<Value>`, stored in the niche.
        assert_eq!(size_of::<Option<Value>>(), size_of::<Value>());
        assert_eq!(size_of::<Str>(), size_of::<usize>());
    }

    #[test]
    fn interned_strings_are_one_allocation() {
        let a = Str::intern("interned_once");
        let b = Str::intern("interned_once");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert!(!std::ptr::eq(
            a.as_str(),
            Str::new("interned_once").as_str()
        ));
    }

    #[test]
    fn str_looks_up_by_text() {
        let mut map = std::collections::HashMap::new();
        map.insert(Str::new("value"), 1);
        assert_eq!(map.get("value"), Some(&1));
    }

    #[test]
    fn type_names_and_numbers() {
        assert_eq!(Value::None.type_name(), "NoneType");
        assert_eq!(Value::from("x").type_name(), "str");
        assert_eq!(Value::from(true).as_f64(), Some(1.0));
        assert_eq!(Value::from(3i64).as_f64(), Some(3.0));
        assert_eq!(Value::from("x").as_f64(), None);
    }
}
