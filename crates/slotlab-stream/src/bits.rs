//! Bit-level writing and reading, zig-zag and LEB128 varints: the pieces
//! the hand-written codecs are made of.

/// Appends bits, least significant first, into 64-bit words.
#[derive(Debug, Default)]
pub(super) struct BitWriter {
    out: Vec<u8>,
    word: u64,
    filled: u32,
}

impl BitWriter {
    /// Writes the low `width` bits of `value` (`width` ≤ 64).
    #[inline]
    pub(super) fn write(&mut self, value: u64, width: u32) {
        debug_assert!(width <= 64);
        if width == 0 {
            return;
        }
        let value = if width == 64 {
            value
        } else {
            value & ((1u64 << width) - 1)
        };
        self.word |= value << self.filled;
        let room = 64 - self.filled;
        if width >= room {
            self.out.extend_from_slice(&self.word.to_le_bytes());
            // The bits of `value` that did not fit (none when it fit exactly).
            self.word = if room == 64 { 0 } else { value >> room };
            self.filled = width - room;
        } else {
            self.filled += width;
        }
    }

    /// The bytes written, the last partial word trimmed to whole bytes.
    pub(super) fn finish(mut self) -> Vec<u8> {
        let tail = self.filled.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.word.to_le_bytes()[..tail]);
        self.out
    }
}

/// Reads what [`BitWriter`] wrote, straight from the column's bytes (no
/// copy). Reading past the end yields zero bits and sets
/// [`BitReader::overran`], so a corrupt column decodes to garbage that the
/// caller rejects, never to a panic.
#[derive(Debug)]
pub(super) struct BitReader<'a> {
    bytes: &'a [u8],
    len_bits: usize,
    bit: usize,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            len_bits: bytes.len() * 8,
            bit: 0,
        }
    }

    /// Reads `width` bits (≤ 64).
    #[inline]
    pub(super) fn read(&mut self, width: u32) -> u64 {
        debug_assert!(width <= 64);
        let byte = self.bit / 8;
        let shift = (self.bit % 8) as u32;
        self.bit += width as usize;
        // Nine bytes hold any 64 bits at any shift; near the end they are
        // the bytes left, then zeros.
        let window = match self.bytes.get(byte..byte + 9) {
            Some(nine) => <[u8; 9]>::try_from(nine).unwrap_or([0; 9]),
            None => {
                let mut tail = [0u8; 9];
                let left = self.bytes.get(byte..).unwrap_or_default();
                tail[..left.len().min(9)].copy_from_slice(&left[..left.len().min(9)]);
                tail
            }
        };
        let mut low = [0u8; 8];
        low.copy_from_slice(&window[..8]);
        let low = u64::from_le_bytes(low);
        let joined = if shift == 0 {
            low
        } else {
            (low >> shift) | (u64::from(window[8]) << (64 - shift))
        };
        if width >= 64 {
            joined
        } else {
            joined & ((1u64 << width) - 1)
        }
    }

    /// Appends `count` values of `width` bits (≤ 64), each added (wrapping)
    /// to `base`: one block of frame-of-reference offsets. Widths up to 56
    /// go eight values at a time through [`unpack`], compiled once per
    /// width; what is left (the last values of a column, wider values) is
    /// read one by one.
    pub(super) fn read_block(&mut self, width: u32, count: usize, base: i64, out: &mut Vec<i64>) {
        let done = if width <= 56 {
            macro_rules! by_width {
                ($($w:literal)*) => {
                    match width {
                        $($w => unpack::<$w>(self.bytes, self.bit, count, base, out),)*
                        _ => 0,
                    }
                };
            }
            by_width!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28
                29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56)
        } else {
            0
        };
        self.bit += width as usize * done;
        out.extend((done..count).map(|_| base.wrapping_add(self.read(width) as i64)));
    }

    pub(super) fn overran(&self) -> bool {
        self.bit > self.len_bits
    }
}

/// Bytes a group of eight values is read from: a group of `W` ≤ 56 bits
/// per value spans `W` bytes from its first, and its last value's 8-byte
/// load starts at most `(7 + 7W) / 8` ≤ 49 bytes in.
const GROUP_WINDOW: usize = 64;

/// Unpacks whole groups of eight `W`-bit values from bit `start` of
/// `bytes` while a group's [`GROUP_WINDOW`] lies inside them, each added
/// (wrapping) to `base`; returns how many values it appended (a multiple
/// of eight, at most `count`). With `W` a constant and every load inside a
/// fixed-size window, each value is a load, a shift, a mask and an add,
/// with no bounds check.
fn unpack<const W: usize>(
    bytes: &[u8],
    start: usize,
    count: usize,
    base: i64,
    out: &mut Vec<i64>,
) -> usize {
    const { assert!(W >= 1 && W <= 56) };
    let mask = (1u64 << W) - 1;
    let shift = start % 8;
    let windows = bytes
        .get(start / 8..)
        .unwrap_or_default()
        .array_windows::<GROUP_WINDOW>()
        .step_by(W);
    let groups = (count / 8).min(windows.len());
    let from = out.len();
    out.resize(from + groups * 8, 0);
    for (window, values) in windows.zip(out[from..].chunks_exact_mut(8)) {
        for (k, value) in values.iter_mut().enumerate() {
            let bit = shift + k * W;
            let i = bit / 8;
            let mut word = [0u8; 8];
            word.copy_from_slice(&window[i..i + 8]);
            let offset = (u64::from_le_bytes(word) >> (bit % 8)) & mask;
            *value = base.wrapping_add(offset as i64);
        }
    }
    groups * 8
}

/// Signed to unsigned, small magnitudes to small numbers.
#[inline]
pub(super) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The inverse of [`zigzag`].
#[inline]
pub(super) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Appends `v` as a LEB128 varint.
pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes [`put_varint`] writes for `v`.
#[inline]
pub(super) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros()).div_ceil(7) as usize
}

/// Reads a varint at `*at`, advancing it; `None` when cut short or longer
/// than ten bytes.
pub(super) fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_read_back_at_every_width_inside_and_at_the_end() {
        for width in 1..=64u32 {
            // Every start within a byte; blocks too short for a group of
            // eight, ending inside one, and long enough for many groups.
            for (lead, count) in [(3, 1usize), (0, 3), (5, 8), (7, 17), (1, 130), (6, 1000)] {
                let mut w = BitWriter::default();
                let mask = if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                };
                let values: Vec<u64> = (0..count as u64)
                    .map(|k| 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(k + 1) & mask)
                    .collect();
                w.write(0b1010101 & ((1 << lead) - 1), lead);
                for &v in &values {
                    w.write(v, width);
                }
                // What follows the block is read from where the block ends.
                w.write(0x2d, 7);
                let bytes = w.finish();
                let mut r = BitReader::new(&bytes);
                assert_eq!(r.read(lead), 0b1010101 & ((1 << lead) - 1));
                let mut out = Vec::new();
                r.read_block(width, count, -7, &mut out);
                let want: Vec<i64> = values
                    .iter()
                    .map(|&v| (-7i64).wrapping_add(v as i64))
                    .collect();
                assert_eq!(out, want, "width {width}, count {count}");
                assert_eq!(r.read(7), 0x2d, "width {width}, count {count}");
                assert!(!r.overran());
                // One value past the end: zeros, and the overrun is noticed.
                r.read_block(width, 1, 0, &mut out);
                assert!(
                    r.overran() || width * (count as u32 + 1) + lead + 7 <= bytes.len() as u32 * 8
                );
            }
        }
    }

    #[test]
    fn bits_round_trip_at_every_width_and_alignment() {
        let mut w = BitWriter::default();
        let mut want = Vec::new();
        for width in 0..=64u32 {
            for k in 0..3u64 {
                let v = 0x9E37_79B9_7F4A_7C15u64.rotate_left((width + k as u32) % 64) ^ k;
                w.write(v, width);
                let masked = if width == 64 {
                    v
                } else {
                    v & ((1u64 << width) - 1)
                };
                want.push((masked, width));
            }
        }
        let bytes = w.finish();
        let total: u32 = want.iter().map(|(_, w)| w).sum();
        assert_eq!(bytes.len(), total.div_ceil(8) as usize);
        let mut r = BitReader::new(&bytes);
        for (v, width) in want {
            assert_eq!(r.read(width), v, "width {width}");
        }
        assert!(!r.overran());
        r.read(9);
        assert!(r.overran());
    }

    #[test]
    fn zigzag_and_varints() {
        for v in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        assert_eq!((zigzag(0), zigzag(-1), zigzag(1)), (0, 1, 2));
        let mut out = Vec::new();
        for v in [0, 127, 128, u64::MAX] {
            let before = out.len();
            put_varint(&mut out, v);
            assert_eq!(out.len() - before, varint_len(v), "{v}");
        }
        let mut at = 0;
        for v in [0, 127, 128, u64::MAX] {
            assert_eq!(get_varint(&out, &mut at), Some(v));
        }
        assert_eq!(get_varint(&out, &mut at), None);
        assert_eq!(get_varint(&[0x80; 11], &mut 0), None);
    }
}
