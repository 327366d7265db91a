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
    /// to `base`: one block of frame-of-reference offsets. Where the block
    /// lies wholly inside the bytes and `width` ≤ 56, each value is one
    /// unaligned 8-byte load, a shift and a mask.
    pub(super) fn read_block(&mut self, width: u32, count: usize, base: i64, out: &mut Vec<i64>) {
        let end_bit = self.bit + width as usize * count;
        // The last value's load reads 8 bytes from its first byte.
        let inside = count > 0 && (end_bit - width as usize) / 8 + 8 <= self.bytes.len();
        if width > 56 || !inside {
            out.extend((0..count).map(|_| base.wrapping_add(self.read(width) as i64)));
            return;
        }
        let mask = (1u64 << width) - 1;
        let bytes = self.bytes;
        let start = self.bit;
        out.extend((0..count).map(|k| {
            let bit = start + k * width as usize;
            let at = bit / 8;
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            let value = (u64::from_le_bytes(word) >> (bit % 8)) & mask;
            base.wrapping_add(value as i64)
        }));
        self.bit = end_bit;
    }

    pub(super) fn overran(&self) -> bool {
        self.bit > self.len_bits
    }
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
            for count in [1usize, 3, 17, 130] {
                let mut w = BitWriter::default();
                let mask = if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                };
                let values: Vec<u64> = (0..count as u64)
                    .map(|k| 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(k + 1) & mask)
                    .collect();
                // A lead-in of 3 bits so blocks start mid-byte.
                w.write(0b101, 3);
                for &v in &values {
                    w.write(v, width);
                }
                let bytes = w.finish();
                let mut r = BitReader::new(&bytes);
                assert_eq!(r.read(3), 0b101);
                let mut out = Vec::new();
                r.read_block(width, count, -7, &mut out);
                let want: Vec<i64> = values
                    .iter()
                    .map(|&v| (-7i64).wrapping_add(v as i64))
                    .collect();
                assert_eq!(out, want, "width {width}, count {count}");
                assert!(!r.overran());
                // One value past the end: zeros, and the overrun is noticed.
                r.read_block(width, 1, 0, &mut out);
                assert!(r.overran() || width * (count as u32 + 1) + 3 <= bytes.len() as u32 * 8);
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
