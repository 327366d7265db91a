//! [`PyRepr`]: values spelled as Python's `repr` spells them.

use crate::model::{float_repr, str_repr};
use std::fmt;

/// Writes a value as Python's `repr` would: what a dataclass `repr` shows
/// for a field.
pub trait PyRepr {
    /// Writes `repr(self)`.
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

macro_rules! int_repr {
    ($($t:ty),*) => {$(
        impl PyRepr for $t {
            fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{self}")
            }
        }
    )*};
}
int_repr!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl PyRepr for f64 {
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&float_repr(*self))
    }
}

impl PyRepr for f32 {
    /// As the Python float holding the same value (`0.1f32` is
    /// `0.10000000149011612`).
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&float_repr(f64::from(*self)))
    }
}

impl PyRepr for bool {
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if *self { "True" } else { "False" })
    }
}

impl PyRepr for String {
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&str_repr(self))
    }
}

impl PyRepr for &str {
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&str_repr(self))
    }
}

impl<T: PyRepr> PyRepr for Option<T> {
    fn py_repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(value) => value.py_repr(f),
            None => f.write_str("None"),
        }
    }
}
