//! Mixed-radix packing: a block whose offsets take `k` values, `k` not a
//! power of two, packs `g` of them into one number `o₀ + k·o₁ + k²·o₂ + …`
//! below `k^g ≤ 2^64`, written in as few bits as that number needs. Five
//! values (a jitter of 0–4 ms, a reading that moves a tenth up or down,
//! rarely two) cost log₂5 ≈ 2.32 bits each instead of 3; three values
//! 1.6 instead of 2. Decoding divides by a constant `k` (a multiplication),
//! one instantiation per `k`.

use super::bits::{BitReader, BitWriter};

/// The largest range packed this way: above it, a power of two is never
/// far (a 6-bit range wastes at most 1/6 of its bits).
pub(super) const MAX_RANGE: u64 = 64;

/// Per range `k` (index), the values in a full group and the bits the
/// group's number takes.
const GROUPS: [(u8, u8); MAX_RANGE as usize + 1] = groups();

const fn groups() -> [(u8, u8); MAX_RANGE as usize + 1] {
    let mut table = [(0u8, 0u8); MAX_RANGE as usize + 1];
    let mut k = 2u64;
    while k <= MAX_RANGE {
        // The most values whose number stays below 2^64: k^g - 1 fits.
        let mut g = 0u32;
        let mut power = 1u128;
        while power * (k as u128) <= 1u128 << 64 {
            power *= k as u128;
            g += 1;
        }
        let largest = (power - 1) as u64;
        table[k as usize] = (g as u8, (64 - largest.leading_zeros()) as u8);
        k += 1;
    }
    table
}

/// Bits the number of `count` values of range `k` takes (`count` below a
/// full group's).
fn partial_bits(k: u64, count: usize) -> u32 {
    let mut largest = 1u64;
    for _ in 0..count {
        largest *= k;
    }
    64 - (largest - 1).leading_zeros()
}

/// Bits `count` offsets of range `k` take packed this way, or `None` when
/// `k` is not one this packing takes.
pub(super) fn packed_bits(k: u64, count: usize) -> Option<usize> {
    if !(3..=MAX_RANGE).contains(&k) {
        return None;
    }
    let (g, bits) = GROUPS[k as usize];
    let (g, bits) = (usize::from(g), usize::from(bits));
    Some(count / g * bits + partial_bits(k, count % g) as usize)
}

/// Writes the offsets of `block` above `min` (each below `k`, which
/// [`packed_bits`] takes).
pub(super) fn write(out: &mut BitWriter, block: &[i64], min: i64, k: u64) {
    let (g, bits) = GROUPS[k as usize];
    for group in block.chunks(usize::from(g)) {
        // o₀ + k·(o₁ + k·(o₂ + …)), the first offset the lowest digit.
        let number = group
            .iter()
            .rev()
            .fold(0u64, |acc, &v| acc * k + v.wrapping_sub(min) as u64);
        let width = if group.len() == usize::from(g) {
            u32::from(bits)
        } else {
            partial_bits(k, group.len())
        };
        out.write(number, width);
    }
}

/// Reads `count` offsets of range `k` (3 to [`MAX_RANGE`]), each added
/// (wrapping) to `base`. False when a group's number is not one
/// [`write`] makes (a corrupt column).
pub(super) fn read(
    reader: &mut BitReader<'_>,
    k: u64,
    count: usize,
    base: i64,
    out: &mut Vec<i64>,
) -> bool {
    macro_rules! by_range {
        ($($k:literal)*) => {
            match k {
                $($k => read_const::<$k>(reader, count, base, out),)*
                _ => false,
            }
        };
    }
    by_range!(3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
        31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57
        58 59 60 61 62 63 64)
}

/// Digits per part of a full group of range `K`: the most whose number
/// stays within 32 bits, so each part's digits come from 32-bit divisions.
const fn part_digits<const K: u64>() -> usize {
    let mut h = 0;
    let mut power = 1u64;
    while power * K <= 1 << 32 {
        power *= K;
        h += 1;
    }
    h
}

/// `K^i` for every digit `i` of a part (the rest zero).
const fn part_powers<const K: u64>() -> [u32; 32] {
    let mut table = [0u32; 32];
    let mut i = 0;
    let mut power = 1u64;
    while i < part_digits::<K>() {
        table[i] = power as u32;
        power *= K;
        i += 1;
    }
    table
}

fn read_const<const K: u64>(
    reader: &mut BitReader<'_>,
    count: usize,
    base: i64,
    out: &mut Vec<i64>,
) -> bool {
    let g = const { GROUPS[K as usize].0 as usize };
    let bits = const { GROUPS[K as usize].1 as u32 };
    // k^g itself, the first number no group makes (2^64 for k a power of
    // two: then every number is one).
    let limit = const { (K as u128).pow(GROUPS[K as usize].0 as u32) };
    // A full group's number splits into parts of `h` digits below 2^32;
    // each digit of a part is its own 32-bit division by a constant power
    // of k, so no digit waits for the one before (repeated division of
    // the 64-bit number by k made each wait for the last).
    let h = const { part_digits::<K>() };
    let part_range = const { (K as u128).pow(part_digits::<K>() as u32) as u64 };
    let powers = const { part_powers::<K>() };
    out.reserve(count);
    let mut digits = [0i64; 64];
    for _ in 0..count / g {
        let mut number = reader.read(bits);
        if u128::from(number) >= limit {
            return false;
        }
        for part_digits in digits[..g].chunks_mut(h) {
            let part = (number % part_range) as u32;
            number /= part_range;
            for (digit, &power) in part_digits.iter_mut().zip(&powers) {
                *digit = base.wrapping_add(i64::from(part / power % K as u32));
            }
        }
        out.extend_from_slice(&digits[..g]);
    }
    let n = count % g;
    if n > 0 {
        let mut number = reader.read(partial_bits(K, n));
        for _ in 0..n {
            out.push(base.wrapping_add((number % K) as i64));
            number /= K;
        }
        if number != 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_fill_a_word_and_no_more() {
        assert_eq!(GROUPS[3], (40, 64));
        assert_eq!(GROUPS[5], (27, 63));
        assert_eq!(GROUPS[64], (10, 60));
        for k in 3..=MAX_RANGE {
            let (g, bits) = GROUPS[k as usize];
            assert!((k as u128).pow(u32::from(g)) <= 1 << 64, "{k}");
            assert!((k as u128).pow(u32::from(g) + 1) > 1 << 64, "{k}");
            assert!(bits <= 64);
        }
        assert_eq!(packed_bits(5, 27 * 2 + 1), Some(63 * 2 + 3));
        assert_eq!(packed_bits(2, 10), None);
        assert_eq!(packed_bits(65, 10), None);
    }

    #[test]
    fn every_range_and_length_round_trips() {
        let mut rng = fastrand::Rng::with_seed(3);
        for k in 3..=MAX_RANGE {
            for count in [0, 1, 2, 26, 27, 28, 39, 40, 41, 129, 1000] {
                let offsets: Vec<u64> = (0..count)
                    .map(|i| match i % 7 {
                        0 => 0,
                        1 => k - 1,
                        _ => rng.u64(0..k),
                    })
                    .collect();
                let block: Vec<i64> = offsets.iter().map(|&o| o as i64 - 5).collect();
                let mut writer = BitWriter::default();
                write(&mut writer, &block, -5, k);
                let bytes = writer.finish();
                let bits = packed_bits(k, count).unwrap();
                assert_eq!(bytes.len(), bits.div_ceil(8), "k {k} count {count}");
                let mut reader = BitReader::new(&bytes);
                let mut out = vec![9];
                assert!(read(&mut reader, k, count, -5, &mut out));
                assert!(!reader.overran());
                let back: Vec<u64> = out[1..].iter().map(|&v| (v + 5) as u64).collect();
                assert_eq!(back, offsets, "k {k} count {count}");
            }
        }
    }

    #[test]
    fn a_number_no_group_makes_is_refused() {
        let mut writer = BitWriter::default();
        writer.write(u64::MAX, 64);
        let bytes = writer.finish();
        assert!(!read(
            &mut BitReader::new(&bytes),
            3,
            40,
            0,
            &mut Vec::new()
        ));
        // For every range: the largest number a full group makes reads as
        // all digits k − 1; the largest its bits hold, when more, is refused.
        for k in 3..=MAX_RANGE {
            let (g, bits) = GROUPS[k as usize];
            let (g, bits) = (usize::from(g), u32::from(bits));
            let largest = (u128::from(k).pow(g as u32) - 1) as u64;
            let mut writer = BitWriter::default();
            writer.write(largest, bits);
            let bytes = writer.finish();
            let mut out = Vec::new();
            assert!(
                read(&mut BitReader::new(&bytes), k, g, 1, &mut out),
                "k {k}"
            );
            assert_eq!(out, vec![k as i64; g], "k {k}");
            let all_ones = u64::MAX >> (64 - bits);
            if all_ones > largest {
                let mut writer = BitWriter::default();
                writer.write(all_ones, bits);
                let bytes = writer.finish();
                assert!(
                    !read(&mut BitReader::new(&bytes), k, g, 0, &mut out),
                    "k {k}"
                );
            }
        }
        assert!(!read(
            &mut BitReader::new(&bytes),
            65,
            1,
            0,
            &mut Vec::new()
        ));
    }
}
