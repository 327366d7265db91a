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

/// Whether a float literal has a non-zero digit before its exponent.
fn mantissa_is_nonzero(text: &str) -> bool {
    text.split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

/// `text` (trimmed) as a value of `kind`.
pub fn parse_value(text: &str, kind: FieldKind) -> Result<Num, ValueProblem> {
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
