//! Float columns, two hand-written ways.
//!
//! - **Gorilla XOR** (Pelkonen et al., VLDB 2015): each value XOR the one
//!   before; a repeat costs one bit, a change costs its meaningful bits,
//!   reusing the previous leading/trailing-zero window when it fits.
//! - **Decimal** (the idea behind ALP, Afroozeh et al., SIGMOD 2024): values
//!   that are exact decimals with few digits — `i * 0.1`, a temperature in
//!   tenths — become integers `round(v · 10^e)` that decode back bit for bit,
//!   then go through the integer codec (delta, bit packing). Values that do
//!   not come back exactly (NaN, -0.0, inf, more digits) are stored whole
//!   as exceptions.

use super::bits::{BitReader, BitWriter, get_varint, put_varint};
use super::ints;

/// Gorilla XOR: `count varint`, then the bit stream.
pub(super) fn gorilla_encode(values: &[f64]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, values.len() as u64);
    let mut bits = BitWriter::default();
    let mut prev = 0u64;
    // The previous window: leading zeros and meaningful bits (0 = none yet).
    let (mut lead, mut meaningful) = (0u32, 0u32);
    for (i, v) in values.iter().enumerate() {
        let v = v.to_bits();
        if i == 0 {
            bits.write(v, 64);
            prev = v;
            continue;
        }
        let xor = v ^ prev;
        prev = v;
        if xor == 0 {
            bits.write(0, 1);
            continue;
        }
        bits.write(1, 1);
        let l = xor.leading_zeros().min(31);
        let t = xor.trailing_zeros();
        if meaningful > 0 && l >= lead && t >= 64 - lead - meaningful {
            bits.write(0, 1);
            bits.write(xor >> (64 - lead - meaningful), meaningful);
        } else {
            lead = l;
            meaningful = 64 - l - t;
            bits.write(1, 1);
            bits.write(u64::from(lead), 5);
            // 1..=64 stored as 0..=63.
            bits.write(u64::from(meaningful - 1), 6);
            bits.write(xor >> t, meaningful);
        }
    }
    out.extend_from_slice(&bits.finish());
    out
}

/// The exact size [`gorilla_encode`] would produce, without writing it.
pub(super) fn gorilla_size(values: &[f64]) -> usize {
    let mut bits = 0usize;
    let mut prev = 0u64;
    let (mut lead, mut meaningful) = (0u32, 0u32);
    for (i, v) in values.iter().enumerate() {
        let v = v.to_bits();
        if i == 0 {
            bits += 64;
            prev = v;
            continue;
        }
        let xor = v ^ prev;
        prev = v;
        if xor == 0 {
            bits += 1;
            continue;
        }
        let l = xor.leading_zeros().min(31);
        let t = xor.trailing_zeros();
        if meaningful > 0 && l >= lead && t >= 64 - lead - meaningful {
            bits += 2 + meaningful as usize;
        } else {
            lead = l;
            meaningful = 64 - l - t;
            bits += 2 + 5 + 6 + meaningful as usize;
        }
    }
    super::bits::varint_len(values.len() as u64) + bits.div_ceil(8)
}

/// Decodes [`gorilla_encode`]'s output; it must hold `expected` values.
pub(super) fn gorilla_decode(
    bytes: &[u8],
    expected: usize,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    let mut at = 0;
    let count = get_varint(bytes, &mut at).ok_or("xor column: cut short")?;
    if count != expected as u64 {
        return Err(format!(
            "xor column: holds {count} values, the chunk says {expected}"
        ));
    }
    let mut bits = BitReader::new(&bytes[at..]);
    out.reserve(expected);
    let mut prev = 0u64;
    let (mut lead, mut meaningful) = (0u32, 0u32);
    for i in 0..expected {
        if i == 0 {
            prev = bits.read(64);
        } else if bits.read(1) == 1 {
            if bits.read(1) == 1 {
                lead = bits.read(5) as u32;
                meaningful = bits.read(6) as u32 + 1;
                if lead + meaningful > 64 {
                    return Err("xor column: window wider than 64 bits".to_owned());
                }
            } else if meaningful == 0 {
                return Err("xor column: reuses a window before setting one".to_owned());
            }
            prev ^= bits.read(meaningful) << (64 - lead - meaningful);
        }
        out.push(f64::from_bits(prev));
        if bits.overran() {
            return Err("xor column: bit stream cut short".to_owned());
        }
    }
    Ok(())
}

/// Powers of ten exactly representable in an f64, and their reciprocals
/// as the nearest f64 (what `0.1` in source code means).
pub(crate) const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];
const INV10: [f64; 19] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18,
];
/// Integers beyond this lose precision as f64.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// How digits turn back into a value: divided by 10^e (what parsing
/// "12.3" gives) or multiplied by 10^-e (what `123 as f64 * 0.1` gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Divide,
    Multiply,
}

impl Scale {
    #[inline]
    fn decode(self, digits: i64, e: usize) -> f64 {
        match self {
            Scale::Divide => digits as f64 / POW10[e],
            Scale::Multiply => digits as f64 * INV10[e],
        }
    }

    /// Appends every digit's value, as [`Scale::decode`] gives it: one
    /// loop per scale, and for digits below 2^51 in magnitude (any column
    /// the encoder writes) a conversion the compiler vectorizes.
    fn decode_all(self, digits: &[i64], e: usize, out: &mut Vec<f64>) {
        let small = digits
            .iter()
            .fold(true, |small, &d| small & (d.unsigned_abs() < 1 << 51));
        let (pow, inv) = (POW10[e], INV10[e]);
        match (self, small) {
            (Scale::Divide, true) => out.extend(digits.iter().map(|&d| small_to_f64(d) / pow)),
            (Scale::Multiply, true) => out.extend(digits.iter().map(|&d| small_to_f64(d) * inv)),
            _ => out.extend(digits.iter().map(|&d| self.decode(d, e))),
        }
    }

    /// The digits of `v` at exponent `e`, when they decode back exactly.
    #[inline]
    fn digits(self, v: f64, e: usize) -> Option<i64> {
        let scaled = v * POW10[e];
        // False for NaN and the infinities too.
        if scaled.abs() < EXACT {
            // Rounds half away from zero without `round` (a libm call on
            // baseline x86-64); the check below decides anyway.
            let digits = (scaled + 0.5f64.copysign(scaled)) as i64;
            (self.decode(digits, e).to_bits() == v.to_bits()).then_some(digits)
        } else {
            None
        }
    }
}

/// `d as f64` for `|d|` below 2^51, without the scalar-only conversion:
/// 1.5·2^52 has a unit last place, so adding `d` to its bits gives exactly
/// 1.5·2^52 + d, and taking 1.5·2^52 away again is exact.
#[inline]
fn small_to_f64(d: i64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    f64::from_bits(MAGIC.to_bits().wrapping_add(d as u64)) - MAGIC
}

/// Values sampled to choose the exponent.
const SAMPLE: usize = 256;

/// The scale and exponent with the fewest exceptions on a sample (the
/// smallest exponent among equals: fewer digits).
fn choose(values: &[f64]) -> (Scale, usize) {
    let step = (values.len() / SAMPLE).max(1);
    let sample: Vec<f64> = values.iter().step_by(step).take(SAMPLE).copied().collect();
    let mut best = (usize::MAX, Scale::Divide, 0);
    for e in 0..POW10.len() {
        for scale in [Scale::Divide, Scale::Multiply] {
            let misses = sample
                .iter()
                .filter(|&&v| scale.digits(v, e).is_none())
                .count();
            if misses < best.0 {
                best = (misses, scale, e);
            }
            if misses == 0 {
                return (scale, e);
            }
        }
    }
    (best.1, best.2)
}

/// Decimal: `scale u8`, `e u8`, `exceptions varint`, per exception
/// `index gap varint` and its 8 raw bytes, then the digits as an integer
/// column (an exception repeats the digits before it, keeping deltas small).
pub(super) fn decimal_encode(values: &[f64]) -> Vec<u8> {
    decimal_encode_with(values, ints::encode)
}

/// [`decimal_encode`], its digits packed by `pack` (an [`ints`] encoder).
pub(super) fn decimal_encode_with(values: &[f64], pack: fn(&[i64]) -> Vec<u8>) -> Vec<u8> {
    let (scale, e) = choose(values);
    let mut digits = Vec::with_capacity(values.len());
    let mut exceptions = Vec::new();
    let mut prev = 0i64;
    for (i, &v) in values.iter().enumerate() {
        match scale.digits(v, e) {
            Some(d) => prev = d,
            None => exceptions.push((i, v)),
        }
        digits.push(prev);
    }
    let mut out = vec![scale as u8, e as u8];
    put_varint(&mut out, exceptions.len() as u64);
    let mut last = 0;
    for (i, v) in exceptions {
        put_varint(&mut out, (i - last) as u64);
        out.extend_from_slice(&v.to_bits().to_le_bytes());
        last = i;
    }
    out.extend_from_slice(&pack(&digits));
    out
}

/// Decodes [`decimal_encode`]'s output; it must hold `expected` values.
pub(super) fn decimal_decode(
    bytes: &[u8],
    expected: usize,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    let bad = |what: &str| format!("decimal column: {what}");
    let (&[scale, e], rest) = bytes
        .split_first_chunk::<2>()
        .ok_or_else(|| bad("cut short"))?;
    let scale = match scale {
        0 => Scale::Divide,
        1 => Scale::Multiply,
        _ => return Err(bad("unknown scale")),
    };
    let e = usize::from(e);
    if e >= POW10.len() {
        return Err(bad("exponent out of range"));
    }
    let mut at = 0;
    let count = get_varint(rest, &mut at).ok_or_else(|| bad("cut short"))?;
    if count > expected as u64 {
        return Err(bad("more exceptions than values"));
    }
    let mut exceptions = Vec::with_capacity(count as usize);
    let mut index = 0usize;
    for _ in 0..count {
        let gap = get_varint(rest, &mut at).ok_or_else(|| bad("cut short"))?;
        index = usize::try_from(gap)
            .ok()
            .and_then(|g| index.checked_add(g))
            .filter(|&i| i < expected)
            .ok_or_else(|| bad("exception index out of range"))?;
        let raw = rest
            .get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .ok_or_else(|| bad("cut short"))?;
        at += 8;
        exceptions.push((index, f64::from_bits(u64::from_le_bytes(raw))));
    }
    // The digits go through one buffer per thread, kept between columns: a
    // fresh one per chunk was an allocation (and, past the allocator's mmap
    // threshold, fresh pages) per column decoded.
    thread_local! {
        static DIGITS: std::cell::RefCell<Vec<i64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    DIGITS.with_borrow_mut(|digits| {
        digits.clear();
        ints::decode(&rest[at..], expected, digits)?;
        let start = out.len();
        scale.decode_all(digits, e, out);
        for (i, v) in exceptions {
            out[start + i] = v;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odd() -> Vec<f64> {
        vec![
            f64::NAN,
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            f64::MIN,
            f64::MAX,
            f64::MIN_POSITIVE,
            3.25,
            3.25,
            -7.1,
            f64::from_bits(0x7ff8_dead_beef_0001), // a NaN with a payload
        ]
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn small_digits_convert_as_the_cast_does() {
        let edge = (1i64 << 51) - 1;
        let mut digits = vec![
            0,
            1,
            -1,
            7,
            -7,
            123_456_789,
            edge,
            -edge,
            edge - 1,
            -(edge - 1),
        ];
        digits.extend((0..2000u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64) >> 13));
        for d in digits {
            assert_eq!(small_to_f64(d).to_bits(), (d as f64).to_bits(), "{d}");
        }
        // Digits past 2^51 (only a corrupt or foreign column) take the cast.
        for scale in [Scale::Divide, Scale::Multiply] {
            let digits = [5, 1 << 51, -(1 << 51), i64::MAX, i64::MIN, -3];
            let mut out = Vec::new();
            scale.decode_all(&digits, 1, &mut out);
            let want: Vec<u64> = digits
                .iter()
                .map(|&d| scale.decode(d, 1).to_bits())
                .collect();
            assert_eq!(out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn both_codecs_round_trip_odd_values_bit_for_bit() {
        let walk: Vec<f64> = (0..3000)
            .map(|i| ((i * 7919) % 1000) as f64 / 7.0)
            .collect();
        for values in [odd(), vec![], vec![1.5], walk] {
            assert_eq!(gorilla_size(&values), gorilla_encode(&values).len());
            let mut back = Vec::new();
            gorilla_decode(&gorilla_encode(&values), values.len(), &mut back).unwrap();
            assert_eq!(bits(&back), bits(&values));
            let mut back = Vec::new();
            decimal_decode(&decimal_encode(&values), values.len(), &mut back).unwrap();
            assert_eq!(bits(&back), bits(&values));
        }
    }

    #[test]
    fn the_lessons_values_become_a_linear_integer_column() {
        let values: Vec<f64> = (0..65_536).map(|i| i as f64 * 0.1).collect();
        assert_eq!(choose(&values), (Scale::Multiply, 1));
        let encoded = decimal_encode(&values);
        assert!(encoded.len() < 24, "{} bytes", encoded.len());
        let mut back = Vec::new();
        decimal_decode(&encoded, values.len(), &mut back).unwrap();
        assert_eq!(bits(&back), bits(&values));
        // XOR sees new mantissa bits almost every time.
        let xor = gorilla_encode(&values).len() as f64 / values.len() as f64;
        assert!(xor > 4.0, "{xor}");
    }

    #[test]
    fn parsed_decimals_pick_division() {
        let values: Vec<f64> = ["39.4", "39.2", "-1.3", "0.7", "12.3", "100.1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(choose(&values), (Scale::Divide, 1));
    }

    #[test]
    fn corrupt_columns_are_errors() {
        let values: Vec<f64> = (0..500).map(|i| (i as f64).sqrt()).collect();
        for encoded in [gorilla_encode(&values), decimal_encode(&values)] {
            let gorilla = encoded == gorilla_encode(&values);
            for cut in (0..encoded.len()).step_by(7) {
                let short = &encoded[..cut];
                let mut out = Vec::new();
                let result = if gorilla {
                    gorilla_decode(short, 500, &mut out)
                } else {
                    decimal_decode(short, 500, &mut out)
                };
                assert!(result.is_err(), "cut at {cut} decoded");
            }
        }
        assert!(gorilla_decode(&gorilla_encode(&values), 499, &mut Vec::new()).is_err());
    }
}
