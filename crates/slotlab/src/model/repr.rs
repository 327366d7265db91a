//! Python's `repr` of a float, for output that must read as CPython's.

/// `repr(x)` as CPython prints it: the shortest string that reads back as
/// `x`, positional for `1e-4 <= |x| < 1e16` (always with a `.0` when
/// integral), else scientific with a sign and at least two exponent digits
/// (`1e+16`, `1.5e-07`); `inf`, `-inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `Debug` picks the same shortest digits and the same thresholds;
    // only the exponent is spelled differently (`1e16`, `1.5e-7`).
    let debug = format!("{x:?}");
    match debug.split_once('e') {
        None => debug,
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
    }
}

/// `repr(round(x, ndigits))`: rounded as CPython's `round` does (correctly,
/// from the exact binary value) and printed as [`float_repr`].
pub fn round_repr(x: f64, ndigits: usize) -> String {
    let rounded: f64 = format!("{x:.ndigits$}").parse().unwrap_or(x);
    float_repr(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython_spellings() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (1.0e-5, "1e-05"),
            (123456789.125, "123456789.125"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, expected) in cases {
            assert_eq!(float_repr(x), expected, "{x}");
        }
    }

    #[test]
    fn rounds_like_cpython_round() {
        assert_eq!(round_repr(0.0523, 3), "0.052");
        assert_eq!(round_repr(0.05, 3), "0.05");
        assert_eq!(round_repr(2.0, 3), "2.0");
        assert_eq!(round_repr(57.234567, 2), "57.23");
        // 2.675 is stored as 2.67499999..., so CPython gives 2.67.
        assert_eq!(round_repr(2.675, 2), "2.67");
    }
}
