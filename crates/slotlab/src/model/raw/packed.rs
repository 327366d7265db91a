//! One-word values: a [`Value`] packed into 8 bytes, as JavaScript engines
//! and LuaJIT hold theirs (NaN-boxing).
//!
//! ```text
//! top 16 bits   meaning                       payload (low 48 bits)
//! < 0xFFF9      a float, its own bits          (every NaN is stored as the one quiet NaN)
//! 0xFFF9        an int in 48 bits             two's complement
//! 0xFFFA        an int beyond 48 bits         pointer to a boxed i64
//! 0xFFFB        a str                         pointer to its ArcStr (one count held)
//! 0xFFFC        an object on a heap           its ObjectId
//! 0xFFFD        a constant                    None, False, True, or unset
//! ```
//!
//! A float's bits never reach 0xFFF9 in their top 16: those are negative
//! NaNs with a payload, and every NaN is stored as `0x7FF8…0` (Python
//! cannot tell NaNs apart except through `struct`, which slotlab does not
//! model). Pointers must fit in 48 bits, which every x86-64 and AArch64
//! user-space address does unless a program asks the kernel for more;
//! [`Packed::new`] checks it.

use crate::model::value::{ObjectId, Str, Value};
use arcstr::ArcStr;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

const PAYLOAD_BITS: u32 = 48;
const PAYLOAD: u64 = (1 << PAYLOAD_BITS) - 1;
const TAG_INT: u64 = 0xFFF9;
const TAG_BIG_INT: u64 = 0xFFFA;
const TAG_STR: u64 = 0xFFFB;
const TAG_OBJECT: u64 = 0xFFFC;
const TAG_CONST: u64 = 0xFFFD;
const FIRST_TAG: u64 = TAG_INT << PAYLOAD_BITS;
const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

const NONE: u64 = TAG_CONST << PAYLOAD_BITS;
const FALSE: u64 = NONE | 1;
const TRUE: u64 = NONE | 2;
const UNSET: u64 = NONE | 3;

/// A value in one word, or "unset" (CPython's `NULL` in a slot or a values
/// array). Owns what it points at: a str's count, a big int's box.
#[repr(transparent)]
pub(crate) struct Packed(u64);

impl Packed {
    /// An empty slot (no value).
    pub(crate) const UNSET: Packed = Packed(UNSET);

    /// Packs `value`, taking over its string's count.
    // Always inlined: a caller that knows the variant (a float, an int) packs
    // it without the match.
    #[inline(always)]
    pub(crate) fn new(value: Value) -> Self {
        match value {
            Value::None => Packed(NONE),
            Value::Bool(false) => Packed(FALSE),
            Value::Bool(true) => Packed(TRUE),
            Value::Float(x) if x.is_nan() => Packed(CANONICAL_NAN),
            Value::Float(x) => Packed(x.to_bits()),
            Value::Int(i) if fits_48(i) => Packed(tagged(TAG_INT, i as u64 & PAYLOAD)),
            Value::Int(i) => Packed(tagged(TAG_BIG_INT, address(Box::into_raw(Box::new(i))))),
            Value::Str(s) => Packed(tagged(
                TAG_STR,
                address(ArcStr::into_raw(s.into_arcstr()).as_ptr()),
            )),
            Value::Object(id) => Packed(tagged(TAG_OBJECT, u64::from(id.raw()))),
        }
    }

    /// Whether the slot holds no value.
    #[inline]
    pub(crate) fn is_unset(&self) -> bool {
        self.0 == UNSET
    }

    /// The value, unpacked (a str's count is bumped), or `None` if unset.
    #[inline]
    pub(crate) fn get(&self) -> Option<Value> {
        let bits = self.0;
        if bits < FIRST_TAG {
            return Some(Value::Float(f64::from_bits(bits)));
        }
        let payload = bits & PAYLOAD;
        Some(match bits >> PAYLOAD_BITS {
            // Sign-extend the 48-bit payload.
            TAG_INT => Value::Int(((payload << 16) as i64) >> 16),
            // SAFETY: a TAG_BIG_INT payload is the address of the box `new` leaked,
            // still owned by `self` (freed only in `drop`).
            TAG_BIG_INT => Value::Int(unsafe { *(payload as *const i64) }),
            TAG_STR => Value::Str(Str::from_arcstr(ManuallyDrop::into_inner(
                // SAFETY: as in `str_ref`; the clone takes a count of its own, and the
                // `ManuallyDrop` keeps `self`'s count.
                ManuallyDrop::clone(&unsafe { self.str_ref(payload) }),
            ))),
            TAG_OBJECT => Value::Object(ObjectId::from_raw(payload as u32)),
            _ => match bits {
                NONE => Value::None,
                FALSE => Value::Bool(false),
                TRUE => Value::Bool(true),
                _ => return None,
            },
        })
    }

    /// The object it refers to, if it is an object reference.
    #[inline]
    pub(crate) fn object(&self) -> Option<ObjectId> {
        (self.0 >> PAYLOAD_BITS == TAG_OBJECT)
            .then(|| ObjectId::from_raw((self.0 & PAYLOAD) as u32))
    }

    /// The word itself (tests check the encoding).
    #[cfg(test)]
    fn bits(&self) -> u64 {
        self.0
    }

    /// # Safety
    ///
    /// `payload` must be this value's TAG_STR payload: the pointer `ArcStr::into_raw`
    /// gave `new`, whose count `self` still holds (released only in `drop`).
    unsafe fn str_ref(&self, payload: u64) -> ManuallyDrop<ArcStr> {
        debug_assert_eq!(self.0 >> PAYLOAD_BITS, TAG_STR);
        // The `ManuallyDrop` keeps this borrow from releasing `self`'s count.
        // SAFETY: by the caller's contract the pointer came from `ArcStr::into_raw` (a
        // `NonNull`, so non-null) and is live.
        let arc = unsafe { ArcStr::from_raw(NonNull::new_unchecked(payload as *mut ())) };
        ManuallyDrop::new(arc)
    }
}

impl Clone for Packed {
    fn clone(&self) -> Self {
        match self.get() {
            Some(value) => Packed::new(value),
            None => Packed::UNSET,
        }
    }
}

impl Drop for Packed {
    #[inline]
    fn drop(&mut self) {
        let payload = self.0 & PAYLOAD;
        match self.0 >> PAYLOAD_BITS {
            // SAFETY: the payload is the box `new` leaked, owned by `self` alone, and
            // freed only here.
            TAG_BIG_INT => drop(unsafe { Box::from_raw(payload as *mut i64) }),
            // SAFETY: the payload is the `ArcStr::into_raw` pointer whose count `self`
            // holds; taking it back releases that count once, here.
            TAG_STR => drop(ManuallyDrop::into_inner(unsafe { self.str_ref(payload) })),
            _ => {}
        }
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(value) => value.fmt(f),
            None => f.write_str("<unset>"),
        }
    }
}

// A `Packed` owns a `Box<i64>` or an `ArcStr` count, both `Send + Sync`.
// SAFETY: moving the word moves that ownership, as moving a `Value` would.
unsafe impl Send for Packed {}
// SAFETY: `&Packed` only reads (`get` bumps an atomic count), as `&Value` does.
unsafe impl Sync for Packed {}

#[inline]
fn fits_48(i: i64) -> bool {
    (i << 16) >> 16 == i
}

#[inline]
fn tagged(tag: u64, payload: u64) -> u64 {
    debug_assert_eq!(payload & !PAYLOAD, 0);
    (tag << PAYLOAD_BITS) | payload
}

/// A pointer's address, checked to fit the payload.
fn address<T>(ptr: *const T) -> u64 {
    let address = ptr as usize as u64;
    assert!(
        address & !PAYLOAD == 0,
        "a heap address above 2^48 ({address:#x}) cannot be packed into a value"
    );
    address
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(value: Value) -> Value {
        Packed::new(value).get().unwrap()
    }

    #[test]
    fn every_kind_of_value_comes_back() {
        let values = [
            Value::None,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int((1 << 47) - 1),
            Value::Int(-(1 << 47)),
            Value::Int(1 << 47),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Float(0.1),
            Value::Float(-0.0),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(f64::MIN_POSITIVE / 2.0),
            Value::Str(Str::new("")),
            Value::Str(Str::new("a longer string")),
            Value::Object(ObjectId::from_raw(u32::MAX)),
        ];
        for value in values {
            let back = round_trip(value.clone());
            assert_eq!(back, value);
            if let (Value::Float(a), Value::Float(b)) = (&back, &value) {
                assert_eq!(a.to_bits(), b.to_bits(), "{a}");
            }
        }
    }

    #[test]
    fn ints_past_48_bits_are_boxed_and_the_rest_are_not() {
        let small = Packed::new(Value::Int(-(1 << 47)));
        assert_eq!(small.bits() >> PAYLOAD_BITS, TAG_INT);
        let big = Packed::new(Value::Int(1 << 47));
        assert_eq!(big.bits() >> PAYLOAD_BITS, TAG_BIG_INT);
        assert_eq!(big.clone().get(), Some(Value::Int(1 << 47)));
    }

    #[test]
    fn every_nan_is_the_one_quiet_nan_and_no_float_looks_like_a_tag() {
        let negative_payload_nan = f64::from_bits(0xFFFF_0000_0000_0001);
        for x in [f64::NAN, -f64::NAN, negative_payload_nan] {
            let packed = Packed::new(Value::Float(x));
            assert_eq!(packed.bits(), CANONICAL_NAN);
            assert!(matches!(packed.get(), Some(Value::Float(y)) if y.is_nan()));
        }
        let most_negative = Packed::new(Value::Float(f64::NEG_INFINITY));
        assert!(most_negative.bits() < FIRST_TAG);
    }

    #[test]
    fn unset_is_not_a_value() {
        assert!(Packed::UNSET.is_unset());
        assert_eq!(Packed::UNSET.get(), None);
        assert!(!Packed::new(Value::None).is_unset());
    }

    #[test]
    fn strings_keep_their_count_and_give_it_back() {
        let s = Str::new("counted");
        let packed = Packed::new(Value::Str(s.clone()));
        let read = packed.get();
        let copy = packed.clone();
        assert_eq!(ArcStr::strong_count(s.as_arcstr()), Some(4));
        drop((packed, read, copy));
        assert_eq!(ArcStr::strong_count(s.as_arcstr()), Some(1));
    }

    #[test]
    fn object_references_are_found() {
        let id = ObjectId::from_raw(7);
        assert_eq!(Packed::new(Value::Object(id)).object(), Some(id));
        assert_eq!(Packed::new(Value::Int(7)).object(), None);
    }
}
