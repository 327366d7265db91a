//! One set of rules for the text of a value, whether it came from a CSV
//! cell or an NDJSON number: what is a timestamp, a float, an integer, and
//! what is refused (never rounded, never turned into infinity or zero).

use crate::{FieldKind, Num};

/// Largest integer every `f64` holds exactly (2^53).
pub const EXACT_F64: u64 = 1 << 53;

/// Why a value's text is not the number its field holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// Not a number at all (or `inf`, `NaN`: not finite).
    #[error("{text:?} is not a finite number")]
    NotANumber {
        /// The text.
        text: String,
    },
    /// A fraction or an exponent in an integer field.
    #[error("{text:?} is not an integer")]
    NotAnInteger {
        /// The text.
        text: String,
    },
    /// An integer beyond what the field's type holds.
    #[error("{text:?} is out of range for a 64-bit integer")]
    IntegerOutOfRange {
        /// The text.
        text: String,
    },
    /// An integer a float would round (beyond 2^53): list the field as an
    /// integer field instead.
    #[error("{text} cannot be held exactly as a float")]
    NotExact {
        /// The text.
        text: String,
    },
    /// A float that would become infinity or zero.
    #[error("{text} is out of range for a 64-bit float")]
    FloatOutOfRange {
        /// The text.
        text: String,
    },
}

/// Whether `text` is an integer literal: an optional sign, then digits.
fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON number without an exponent, as its reader found it: `±digits /
/// 10^scale`, `count` digits in all (at most 18, so `digits` is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plain {
    pub(crate) digits: u64,
    pub(crate) count: u8,
    pub(crate) scale: u8,
    pub(crate) negative: bool,
}

impl Plain {
    /// The number as an integer, when it is written as one.
    pub fn integer(self) -> Option<i64> {
        // At most 18 digits: below 2^63.
        let magnitude = (self.scale == 0).then_some(self.digits as i64)?;
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// The float nearest the number, for at most 15 digits: they are
    /// below 2^53 and their power of ten is exact, so one division, which
    /// IEEE 754 rounds correctly, gives what the general parser gives
    /// (Clinger's fast path).
    fn float(self) -> Option<f64> {
        (self.count <= 15).then(|| {
            let x = self.digits as f64 / crate::floats::POW10[usize::from(self.scale)];
            if self.negative { -x } else { x }
        })
    }

    /// The value [`parse_value`] gives the number's text as `kind`, where
    /// it can say without the text: integers written as such, and floats
    /// of at most 15 digits. For anything else, `None`: the text decides.
    pub fn value(self, kind: FieldKind) -> Option<Num> {
        match kind {
            FieldKind::I64 => self.integer().map(Num::I64),
            FieldKind::F64 => self.float().map(Num::F64),
        }
    }
}

/// Reads the ASCII digits of `bytes` from `at` on into `value` (wrapping
/// past 19 digits: `count` says how many there were), `at` left after them.
pub(crate) fn read_digits(bytes: &[u8], at: &mut usize, value: &mut u64, count: &mut usize) {
    while let Some(&b) = bytes.get(*at)
        && b.is_ascii_digit()
    {
        *value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        *count += 1;
        *at += 1;
    }
}

/// Whether a float literal has a non-zero digit before its exponent.
fn mantissa_is_nonzero(text: &str) -> bool {
    text.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

/// The value of a plain decimal — an optional sign, digits, optionally a
/// point and more digits, at most 15 digits in all — or `None` for any
/// other text: read as its [`Plain`] digits, the very float the general
/// parser gives, without its work.
fn plain_decimal(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    // Digits, then optionally a point and at least one more digit, and
    // nothing else.
    let (mut value, mut count, mut at) = (0u64, 0usize, 0usize);
    read_digits(digits, &mut at, &mut value, &mut count);
    let whole = at;
    let mut scale = 0;
    if whole > 0 && digits.get(at) == Some(&b'.') {
        at += 1;
        read_digits(digits, &mut at, &mut value, &mut count);
        scale = at - whole - 1;
        if scale == 0 {
            return None;
        }
    }
    if at != digits.len() || count == 0 || count > 15 {
        return None;
    }
    Plain {
        digits: value,
        count: count as u8,
        scale: scale as u8,
        negative,
    }
    .float()
}

/// `text` (trimmed) as a value of `kind`.
pub fn parse_value(text: &str, kind: FieldKind) -> Result<Num, ValueProblem> {
    if kind == FieldKind::F64
        && let Some(x) = plain_decimal(text)
    {
        return Ok(Num::F64(x));
    }
    let text = text.trim();
    let owned = || text.to_owned();
    match kind {
        FieldKind::I64 => {
            if is_integer_literal(text) {
                text.parse::<i64>()
                    .map(Num::I64)
                    .map_err(|_| ValueProblem::IntegerOutOfRange { text: owned() })
            } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                Err(ValueProblem::NotAnInteger { text: owned() })
            } else {
                Err(ValueProblem::NotANumber { text: owned() })
            }
        }
        FieldKind::F64 => {
            if is_integer_literal(text) {
                // Beyond 2^53 an integer may not survive as a float.
                let exact = text
                    .parse::<i128>()
                    .is_ok_and(|i| i.unsigned_abs() <= u128::from(EXACT_F64));
                return if exact {
                    Ok(Num::F64(text.parse::<f64>().unwrap_or_default()))
                } else {
                    Err(ValueProblem::NotExact { text: owned() })
                };
            }
            // Only a text with an `i` or an `n` can spell either (most
            // texts have neither, and are not copied to find out).
            let spelled = text.bytes().any(|b| matches!(b, b'i' | b'I' | b'n' | b'N')) && {
                let lower = text.to_ascii_lowercase();
                lower.contains("inf") || lower.contains("nan")
            };
            if spelled {
                return Err(ValueProblem::NotANumber { text: owned() });
            }
            match text.parse::<f64>() {
                Ok(x) if !x.is_finite() => Err(ValueProblem::FloatOutOfRange { text: owned() }),
                Ok(x) if x == 0.0 && mantissa_is_nonzero(text) => {
                    Err(ValueProblem::FloatOutOfRange { text: owned() })
                }
                Ok(x) => Ok(Num::F64(x)),
                Err(_) => Err(ValueProblem::NotANumber { text: owned() }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str) -> Result<Num, ValueProblem> {
        parse_value(text, FieldKind::F64)
    }

    fn i(text: &str) -> Result<Num, ValueProblem> {
        parse_value(text, FieldKind::I64)
    }

    #[test]
    fn floats_refuse_what_they_would_change() {
        assert_eq!(f("2.5"), Ok(Num::F64(2.5)));
        assert_eq!(f(" -0.0 "), Ok(Num::F64(-0.0)));
        assert_eq!(f("1e-300"), Ok(Num::F64(1e-300)));
        assert_eq!(f("0e5"), Ok(Num::F64(0.0)));
        assert_eq!(f("9007199254740992"), Ok(Num::F64(9007199254740992.0)));
        assert!(matches!(
            f("9007199254740993"),
            Err(ValueProblem::NotExact { .. })
        ));
        assert!(matches!(
            f("123456789012345678901234567890"),
            Err(ValueProblem::NotExact { .. })
        ));
        assert!(matches!(
            f("1e400"),
            Err(ValueProblem::FloatOutOfRange { .. })
        ));
        assert!(matches!(
            f("1e-400"),
            Err(ValueProblem::FloatOutOfRange { .. })
        ));
        for bad in ["", "warm", "inf", "-Infinity", "NaN", "1,5"] {
            assert!(
                matches!(f(bad), Err(ValueProblem::NotANumber { .. })),
                "{bad}"
            );
        }
    }

    /// Every plain decimal the fast path takes gives the general parser's
    /// float, bit for bit; anything else it leaves alone.
    #[test]
    fn plain_decimals_read_as_the_general_parser_reads_them() {
        let mut rng = fastrand::Rng::with_seed(19);
        let mut taken = 0;
        for _ in 0..200_000 {
            let (int_digits, frac_digits) = (rng.u32(0..16), rng.u32(0..16));
            let int = rng.u64(0..10u64.pow(int_digits));
            let frac = rng.u64(0..10u64.pow(frac_digits));
            let width = rng.usize(1..=16);
            let sign = ["", "-", "+"][rng.usize(0..3)];
            let text = match rng.u8(0..3) {
                0 => format!("{sign}{int}"),
                1 => format!("{sign}{int}.{frac:0width$}"),
                _ => format!("{sign}0.{frac:0width$}"),
            };
            if let Some(x) = plain_decimal(&text) {
                let general: f64 = text.parse().unwrap();
                assert_eq!(x.to_bits(), general.to_bits(), "{text}");
                taken += 1;
            }
        }
        assert!(taken > 50_000, "{taken}");
        for text in [
            "",
            "-",
            "+",
            ".5",
            "5.",
            "1.2.3",
            "1e5",
            " 1",
            "1 ",
            "1234567890123456",
            "0x10",
            "--1",
            "1_0",
            "inf",
        ] {
            assert_eq!(plain_decimal(text), None, "{text:?}");
        }
        assert_eq!(
            plain_decimal("-0").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
        assert_eq!(plain_decimal("123456789012345"), Some(123456789012345.0));
    }

    #[test]
    fn integers_keep_what_they_are_given() {
        assert_eq!(i("9007199254740993"), Ok(Num::I64(9007199254740993)));
        assert_eq!(i("-5"), Ok(Num::I64(-5)));
        assert!(matches!(i("2.5"), Err(ValueProblem::NotAnInteger { .. })));
        assert!(matches!(
            i("99999999999999999999"),
            Err(ValueProblem::IntegerOutOfRange { .. })
        ));
        assert!(matches!(i("x"), Err(ValueProblem::NotANumber { .. })));
    }
}
