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

/// `repr(s)` as CPython prints a `str`: single quotes unless the text holds
/// a single quote and no double quote; backslash, the quote, `\t`, `\n`,
/// `\r` escaped; other non-printable characters as `\xNN`, `\uNNNN` or
/// `\UNNNNNNNN`. Non-printable means: control characters, separators other
/// than the space, format characters, private use (unassigned code points,
/// which CPython also escapes, are printed as they are).
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let escaped = if code < 0x100 {
                    format!("\\x{code:02x}")
                } else if code < 0x10000 {
                    format!("\\u{code:04x}")
                } else {
                    format!("\\U{code:08x}")
                };
                out.push_str(&escaped);
            }
        }
    }
    out.push(quote);
    out
}

/// `str.isprintable()` for one character, without Unicode's unassigned
/// code points (see [`str_repr`]).
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    let control = c.is_control();
    let separator = matches!(
        code,
        0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000
    );
    let format = matches!(
        code,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
            | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
            | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f
    );
    let private = matches!(code, 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd);
    !(control || separator || format || private)
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
    fn str_reprs() {
        assert_eq!(str_repr("abc"), "'abc'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(str_repr("a\tb\n\\"), "'a\\tb\\n\\\\'");
        assert_eq!(str_repr("\u{7}\u{a0}\u{200b}é"), "'\\x07\\xa0\\u200bé'");
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
