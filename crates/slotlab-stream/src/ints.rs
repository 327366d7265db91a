//! Integer columns: a transform (none, delta, delta-of-delta) that turns a
//! column into small residuals, then frame-of-reference bit packing in
//! blocks (each block stores its minimum and the bit width of the largest
//! offset above it). The transform and block length are chosen per column
//! by computing the exact encoded size of each candidate.
//!
//! A block whose offsets take few values, not a power of two of them, is
//! packed in mixed radix instead ([`super::radix`]) when that is smaller.
//!
//! Layout: `transform u8`, `count varint`, `block_len varint`, for the
//! linear transform its step as a zig-zag varint, the first one or two
//! values as zig-zag varints (what the transform cannot make small), per
//! block `zigzag(min - previous min) varint` and its packing `u8` (a bit
//! width 0–64, or 128 + a radix range 3–64: columns with radix blocks need
//! this version to be read), then every block's offsets as one bit
//! stream.

use super::bits::{BitReader, BitWriter, get_varint, put_varint, unzigzag, varint_len, zigzag};

/// How a column is turned into residuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transform {
    /// The values themselves (frame of reference only).
    Raw,
    /// Differences between neighbours: counters, sorted ids.
    Delta,
    /// Differences of differences: regular timestamps become zeros.
    DeltaOfDelta,
    /// Distances from a straight line (the first value plus a fixed step
    /// per position, the column's average step): timestamps that keep a
    /// schedule with jitter become the jitter alone, where their
    /// differences would be the difference of two jitters.
    Linear,
}

impl Transform {
    const ALL: [Transform; 4] = [
        Transform::Raw,
        Transform::Delta,
        Transform::DeltaOfDelta,
        Transform::Linear,
    ];

    /// Leading values stored whole.
    fn heads(self) -> usize {
        match self {
            Transform::Raw => 0,
            Transform::Delta | Transform::Linear => 1,
            Transform::DeltaOfDelta => 2,
        }
    }

    fn tag(self) -> u8 {
        self as u8
    }

    fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.get(usize::from(tag)).copied()
    }

    /// The residual sequence, same length as `values` (wrapping, so any
    /// i64 column works); the first [`Transform::heads`] entries are the
    /// values the transform could not shrink.
    fn apply(self, values: &[i64], step: i64, out: &mut Vec<i64>) {
        out.clear();
        match self {
            Transform::Raw => out.extend_from_slice(values),
            Transform::Linear => {
                let first = values.first().copied().unwrap_or(0);
                out.extend(values.iter().enumerate().map(|(i, &v)| {
                    v.wrapping_sub(first.wrapping_add((i as i64).wrapping_mul(step)))
                }));
                if let Some(head) = out.first_mut() {
                    *head = first;
                }
            }
            Transform::Delta => {
                let mut prev = 0i64;
                out.extend(values.iter().map(|&v| {
                    let d = v.wrapping_sub(prev);
                    prev = v;
                    d
                }));
            }
            Transform::DeltaOfDelta => {
                let (mut prev, mut prev_delta) = (0i64, 0i64);
                out.extend(values.iter().enumerate().map(|(i, &v)| {
                    let d = v.wrapping_sub(prev);
                    prev = v;
                    let dd = if i == 0 {
                        v
                    } else {
                        d.wrapping_sub(prev_delta)
                    };
                    prev_delta = if i == 0 { 0 } else { d };
                    dd
                }));
                // Entry 1 holds the first delta itself: v1 - v0.
                if let (Some(&v0), Some(&v1)) = (values.first(), values.get(1)) {
                    out[1] = v1.wrapping_sub(v0);
                }
            }
        }
    }

    /// Inverts [`Transform::apply`] in place.
    fn undo(self, residuals: &mut [i64], step: i64) {
        match self {
            Transform::Raw => {}
            Transform::Linear => {
                let first = residuals.first().copied().unwrap_or(0);
                for (i, r) in residuals.iter_mut().enumerate().skip(1) {
                    *r = r.wrapping_add(first.wrapping_add((i as i64).wrapping_mul(step)));
                }
            }
            Transform::Delta => {
                let mut acc = 0i64;
                for r in residuals {
                    acc = acc.wrapping_add(*r);
                    *r = acc;
                }
            }
            Transform::DeltaOfDelta => {
                let (mut value, mut delta) = (0i64, 0i64);
                for (i, r) in residuals.iter_mut().enumerate() {
                    if i == 0 {
                        value = *r;
                    } else {
                        delta = if i == 1 { *r } else { delta.wrapping_add(*r) };
                        value = value.wrapping_add(delta);
                    }
                    *r = value;
                }
            }
        }
    }
}

/// Block lengths tried; 0 means one block for the whole column.
const BLOCK_LENS: [usize; 4] = [128, 1024, 8192, 0];
/// The finest block length: every other divides into it.
const GRAIN: usize = 128;

/// Bits needed for the largest offset above a block's minimum.
#[inline]
fn width(min: i64, max: i64) -> u32 {
    64 - (max.wrapping_sub(min) as u64).leading_zeros()
}

/// How a block's offsets are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    /// Each offset in this many bits (0 to 64).
    Bits(u32),
    /// Offsets below this range, packed as mixed-radix numbers
    /// ([`super::radix`]).
    Radix(u64),
}

/// The tag byte of a radix block is this plus its range (bit widths are
/// 0 to 64).
const RADIX_TAG: u8 = 128;

impl Packing {
    /// The cheaper packing of `len` values between `min` and `max`, and
    /// its bits.
    #[inline]
    fn of(min: i64, max: i64, len: usize) -> (Self, usize) {
        let w = width(min, max);
        let bits = len * w as usize;
        let range = (max.wrapping_sub(min) as u64).wrapping_add(1);
        match super::radix::packed_bits(range, len) {
            Some(radix) if radix < bits => (Packing::Radix(range), radix),
            _ => (Packing::Bits(w), bits),
        }
    }

    fn tag(self) -> u8 {
        match self {
            Packing::Bits(w) => w as u8,
            Packing::Radix(range) => RADIX_TAG + range as u8,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0..=64 => Some(Packing::Bits(u32::from(tag))),
            _ => {
                let range = u64::from(tag.checked_sub(RADIX_TAG)?);
                super::radix::packed_bits(range, 0).map(|_| Packing::Radix(range))
            }
        }
    }
}

/// Exact encoded size of the packed part of `residuals` with blocks of
/// `block_len`, from per-grain (min, max) pairs.
fn packed_size(grains: &[(i64, i64)], count: usize, block_len: usize) -> usize {
    let per_block = grains_per_block(grains, block_len);
    let mut bytes = 0usize;
    let mut bits = 0usize;
    let mut prev_min = 0i64;
    for (b, (min, max)) in block_ranges(grains, block_len).enumerate() {
        let len = (count - b * per_block * GRAIN).min(per_block * GRAIN);
        bytes += varint_len(zigzag(min.wrapping_sub(prev_min))) + 1;
        bits += Packing::of(min, max, len).1;
        prev_min = min;
    }
    bytes + bits.div_ceil(8)
}

/// Grains in a block of `block_len` (0: one block of them all).
fn grains_per_block(grains: &[(i64, i64)], block_len: usize) -> usize {
    if block_len == 0 {
        grains.len().max(1)
    } else {
        block_len / GRAIN
    }
}

/// Each block's (min, max), from the grains it holds.
fn block_ranges(grains: &[(i64, i64)], block_len: usize) -> impl Iterator<Item = (i64, i64)> + '_ {
    grains
        .chunks(grains_per_block(grains, block_len))
        .map(|block| {
            let min = block.iter().map(|g| g.0).min().unwrap_or(0);
            let max = block.iter().map(|g| g.1).max().unwrap_or(0);
            (min, max)
        })
}

/// Per-grain (min, max) of `residuals`.
fn grains(residuals: &[i64]) -> Vec<(i64, i64)> {
    residuals.chunks(GRAIN).map(min_max).collect()
}

/// The least and greatest of `values` (`(i64::MAX, i64::MIN)` when empty),
/// in four independent lanes: baseline x86-64 has no 64-bit vector
/// min/max, and one compare-and-select chain per value waits on the last.
#[inline]
fn min_max(values: &[i64]) -> (i64, i64) {
    const LANES: usize = 4;
    let mut mins = [i64::MAX; LANES];
    let mut maxs = [i64::MIN; LANES];
    let mut quads = values.chunks_exact(LANES);
    for quad in &mut quads {
        for lane in 0..LANES {
            mins[lane] = mins[lane].min(quad[lane]);
            maxs[lane] = maxs[lane].max(quad[lane]);
        }
    }
    for (lane, &v) in quads.remainder().iter().enumerate() {
        mins[lane] = mins[lane].min(v);
        maxs[lane] = maxs[lane].max(v);
    }
    let min = mins.into_iter().min().unwrap_or(i64::MAX);
    let max = maxs.into_iter().max().unwrap_or(i64::MIN);
    (min, max)
}

/// The linear transform's step: the column's average step, rounded to the
/// nearest integer (0 for fewer than two values).
fn average_step(values: &[i64]) -> i64 {
    match (values.first(), values.last()) {
        (Some(&first), Some(&last)) if values.len() > 1 => {
            let span = i128::from(last) - i128::from(first);
            let steps = (values.len() - 1) as i128;
            // Rounded half away from zero; any i64 span over ≥ 1 step fits.
            let rounded = (span.abs() + steps / 2) / steps * span.signum();
            i64::try_from(rounded).unwrap_or(0)
        }
        _ => 0,
    }
}

/// Encodes an integer column with the smallest transform and block length.
pub(super) fn encode(values: &[i64]) -> Vec<u8> {
    // Each transform's residuals, in straight passes the compiler can
    // vectorize; sizes come from per-grain (min, max) pairs.
    let step = average_step(values);
    let mut delta = Vec::with_capacity(values.len());
    Transform::Delta.apply(values, step, &mut delta);
    let mut dod = Vec::with_capacity(values.len());
    Transform::DeltaOfDelta.apply(values, step, &mut dod);
    let mut linear = Vec::with_capacity(values.len());
    Transform::Linear.apply(values, step, &mut linear);
    let candidates = [
        (Transform::Raw, values),
        (Transform::Delta, &delta[..]),
        (Transform::DeltaOfDelta, &dod[..]),
        (Transform::Linear, &linear[..]),
    ];
    let mut best: Option<(Packed, Transform, &[i64])> = None;
    for (transform, residuals) in candidates {
        let packed = smallest_packing(transform, step, residuals);
        if best.as_ref().is_none_or(|(b, _, _)| packed.size < b.size) {
            best = Some((packed, transform, residuals));
        }
    }
    match best {
        Some((packed, transform, residuals)) => write(transform, &packed, step, residuals),
        None => write(Transform::Raw, &Packed::default(), step, values),
    }
}

/// The values a sample holds: a sixteenth of the column, from its middle.
/// Below [`MIN_SAMPLE`] a column is judged whole.
pub(super) fn sample<T>(values: &[T]) -> Option<&[T]> {
    let len = values.len() / 16;
    let from = (values.len() - len) / 2;
    (len >= MIN_SAMPLE).then(|| &values[from..from + len])
}

/// The fewest values a sample holds.
pub(super) const MIN_SAMPLE: usize = 1024;

/// [`encode`], its transform chosen on a [`sample`] of the column (each
/// transform's exact size there) and applied to the whole column once; the
/// block length is still chosen exactly. A column too short to sample is
/// encoded by [`encode`].
pub(super) fn encode_sampled(values: &[i64]) -> Vec<u8> {
    let Some(sample) = sample(values) else {
        return encode(values);
    };
    let step = average_step(values);
    let mut residuals = Vec::with_capacity(sample.len());
    let mut best: Option<(usize, Transform)> = None;
    for transform in Transform::ALL {
        transform.apply(sample, step, &mut residuals);
        let size = smallest_packing(transform, step, &residuals).size;
        if best.is_none_or(|(s, _)| size < s) {
            best = Some((size, transform));
        }
    }
    let transform = best.map_or(Transform::Raw, |(_, t)| t);
    residuals.clear();
    transform.apply(values, step, &mut residuals);
    let packed = smallest_packing(transform, step, &residuals);
    write(transform, &packed, step, &residuals)
}

/// A column's residuals at their best block length.
#[derive(Debug, Default)]
struct Packed {
    /// Encoded bytes, exactly.
    size: usize,
    /// Values per block (0: one block).
    block_len: usize,
    /// Per-grain (min, max) of the residuals after the heads.
    grains: Vec<(i64, i64)>,
}

/// The exact encoded size of `residuals` (of `transform`) at its best
/// block length, that length, and the grains both came from.
fn smallest_packing(transform: Transform, step: i64, residuals: &[i64]) -> Packed {
    let heads = transform.heads().min(residuals.len());
    let step_bytes = if transform == Transform::Linear {
        varint_len(zigzag(step))
    } else {
        0
    };
    let head_bytes: usize = step_bytes
        + residuals[..heads]
            .iter()
            .map(|&v| varint_len(zigzag(v)))
            .sum::<usize>();
    let body = &residuals[heads..];
    let grains = grains(body);
    let (size, block_len) = BLOCK_LENS
        .into_iter()
        .map(|block_len| {
            (
                head_bytes + packed_size(&grains, body.len(), block_len),
                block_len,
            )
        })
        .min_by_key(|&(size, _)| size)
        .unwrap_or((head_bytes, 0));
    Packed {
        size,
        block_len,
        grains,
    }
}

/// Writes `residuals` (of `transform`) packed as `packed` says.
fn write(transform: Transform, packed: &Packed, step: i64, residuals: &[i64]) -> Vec<u8> {
    let block_len = packed.block_len;
    let heads = transform.heads().min(residuals.len());
    let body = &residuals[heads..];
    let mut out = vec![transform.tag()];
    put_varint(&mut out, residuals.len() as u64);
    put_varint(&mut out, block_len as u64);
    if transform == Transform::Linear {
        put_varint(&mut out, zigzag(step));
    }
    for &h in &residuals[..heads] {
        put_varint(&mut out, zigzag(h));
    }
    let block_len = if block_len == 0 {
        body.len().max(1)
    } else {
        block_len
    };
    let mut bits = BitWriter::default();
    let mut prev_min = 0i64;
    // Each block's (min, max) from its grains (not a second pass over it).
    let ranges = block_ranges(&packed.grains, packed.block_len);
    for (block, (min, max)) in body.chunks(block_len).zip(ranges) {
        let (packing, _) = Packing::of(min, max, block.len());
        put_varint(&mut out, zigzag(min.wrapping_sub(prev_min)));
        out.push(packing.tag());
        prev_min = min;
        match packing {
            Packing::Bits(0) => {}
            Packing::Bits(w) => {
                for &v in block {
                    bits.write(v.wrapping_sub(min) as u64, w);
                }
            }
            Packing::Radix(range) => super::radix::write(&mut bits, block, min, range),
        }
    }
    out.extend_from_slice(&bits.finish());
    out
}

/// Decodes a column [`encode`] wrote, appending to `out`; it must hold
/// `expected` values (checked before anything is allocated).
pub(super) fn decode(bytes: &[u8], expected: usize, out: &mut Vec<i64>) -> Result<(), String> {
    let bad = |what: &str| format!("integer column: {what}");
    let transform = bytes
        .first()
        .and_then(|&t| Transform::from_tag(t))
        .ok_or_else(|| bad("unknown transform"))?;
    let mut at = 1;
    let varint = |at: &mut usize| get_varint(bytes, at).ok_or_else(|| bad("cut short"));
    let count = usize::try_from(varint(&mut at)?).map_err(|_| bad("count too large"))?;
    if count != expected {
        return Err(format!(
            "integer column: holds {count} values, the chunk says {expected}"
        ));
    }
    let block_len = usize::try_from(varint(&mut at)?).map_err(|_| bad("block too large"))?;
    let step = if transform == Transform::Linear {
        unzigzag(varint(&mut at)?)
    } else {
        0
    };
    let heads = transform.heads().min(count);
    let start = out.len();
    out.reserve(count);
    for _ in 0..heads {
        out.push(unzigzag(varint(&mut at)?));
    }
    let body = count - heads;
    let block_len = if block_len == 0 {
        body.max(1)
    } else {
        block_len
    };
    let blocks = body.div_ceil(block_len);
    let mut headers = Vec::with_capacity(blocks.min(bytes.len()));
    let mut prev_min = 0i64;
    for _ in 0..blocks {
        let min = prev_min.wrapping_add(unzigzag(varint(&mut at)?));
        let tag = *bytes.get(at).ok_or_else(|| bad("cut short"))?;
        at += 1;
        let packing = Packing::from_tag(tag).ok_or_else(|| bad("unknown block packing"))?;
        headers.push((min, packing));
        prev_min = min;
    }
    let mut reader = BitReader::new(&bytes[at..]);
    for (b, (min, packing)) in headers.into_iter().enumerate() {
        let len = (body - b * block_len).min(block_len);
        match packing {
            Packing::Bits(0) => out.extend(std::iter::repeat_n(min, len)),
            Packing::Bits(w) => reader.read_block(w, len, min, out),
            Packing::Radix(range) => {
                if !super::radix::read(&mut reader, range, len, min, out) {
                    return Err(bad("a radix group out of range"));
                }
            }
        }
    }
    if reader.overran() {
        return Err(bad("bit stream cut short"));
    }
    transform.undo(&mut out[start..], step);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[i64]) -> usize {
        let bytes = encode(values);
        let mut back = Vec::new();
        decode(&bytes, values.len(), &mut back).unwrap();
        assert_eq!(back, values);
        bytes.len()
    }

    /// The transform chosen on a sample, applied to the whole column,
    /// decodes to the column; on columns of one kind throughout it is
    /// the exhaustive choice, to the byte.
    #[test]
    fn a_sampled_choice_round_trips_and_matches_on_steady_columns() {
        let mut rng = fastrand::Rng::with_seed(11);
        let jittered: Vec<i64> = (0..65_536)
            .map(|i| 1_767_225_600_000 + i * 1000 + rng.i64(0..5))
            .collect();
        let mut level = 200i64;
        let walk: Vec<i64> = (0..65_536)
            .map(|_| {
                level += rng.i64(-2..=2);
                level
            })
            .collect();
        let noise: Vec<i64> = (0..20_000).map(|_| rng.i64(..)).collect();
        for (name, column) in [("jittered", &jittered), ("walk", &walk), ("noise", &noise)] {
            let sampled = encode_sampled(column);
            let mut back = Vec::new();
            decode(&sampled, column.len(), &mut back).unwrap();
            assert_eq!(&back, column, "{name}");
            assert_eq!(sampled.len(), encode(column).len(), "{name}");
        }
        // Too short to sample: the exhaustive encoding itself.
        assert_eq!(encode_sampled(&walk[..8000]), encode(&walk[..8000]));
    }

    #[test]
    fn transforms_invert() {
        let values = [5, -3, i64::MAX, i64::MIN, 0, 7, 7, 7];
        let mut residuals = Vec::new();
        for t in Transform::ALL {
            for step in [0, 7, -3, i64::MAX, average_step(&values)] {
                t.apply(&values, step, &mut residuals);
                t.undo(&mut residuals, step);
                assert_eq!(residuals, values, "{t:?} step {step}");
            }
        }
    }

    #[test]
    fn regular_timestamps_cost_almost_nothing() {
        let ts: Vec<i64> = (0..65_536).map(|i| 1_700_000_000_000 + i * 1000).collect();
        let size = round_trip(&ts);
        assert!(size < 16, "{size} bytes");
    }

    #[test]
    fn jittered_and_extreme_columns_round_trip() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let jittered: Vec<i64> = (0..10_000)
            .map(|i| i * 1000 + (next() % 50) as i64)
            .collect();
        let size = round_trip(&jittered);
        // ~6 bits of jitter twice over (delta-of-delta) vs 7 bits raw: well
        // under two bytes per value either way.
        assert!(size < 10_000 * 2, "{size}");
        round_trip(&[]);
        round_trip(&[42]);
        round_trip(&[i64::MIN, i64::MAX, i64::MIN, 0, i64::MAX]);
        round_trip(
            &(0..300)
                .map(|_| next() as i64 - (1 << 30))
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn a_schedule_with_jitter_costs_its_jitter() {
        // Every 1000 ms plus 0–4 ms of jitter: the jitter alone is 5 values
        // (3 bits); differences of jitter are 9 (4 bits), their second
        // differences 17 (5 bits).
        let mut state = 11u64;
        let ts: Vec<i64> = (0..40_000)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                1_767_225_600_000 + i * 1000 + ((state >> 33) % 5) as i64
            })
            .collect();
        let bytes = encode(&ts);
        assert_eq!(bytes[0], Transform::Linear.tag());
        let size = round_trip(&ts);
        assert!(size <= 40_000 * 3 / 8 + 64, "{size} bytes");
        // Steps that do not fit one line, and extreme spans, still round-trip.
        round_trip(&[i64::MIN, i64::MAX]);
        round_trip(&[i64::MAX, i64::MIN, 0]);
        round_trip(&(0..5000).map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(average_step(&[10, 20, 31]), 11);
        assert_eq!(average_step(&[31, 20, 10]), -11);
        assert_eq!(average_step(&[i64::MIN, i64::MAX]), 0);
    }

    #[test]
    fn corrupt_columns_are_errors_not_panics() {
        let bytes = encode(&(0..1000).map(|i| i * i).collect::<Vec<_>>());
        for cut in 0..bytes.len() {
            assert!(
                decode(&bytes[..cut], 1000, &mut Vec::new()).is_err(),
                "{cut}"
            );
        }
        assert!(decode(&[9], 0, &mut Vec::new()).is_err());
        // A count other than the chunk's is refused before allocating.
        let mut huge = vec![0u8];
        put_varint(&mut huge, u64::MAX >> 1);
        put_varint(&mut huge, 0);
        let err = decode(&huge, 1000, &mut Vec::new()).unwrap_err();
        assert!(err.contains("the chunk says 1000"), "{err}");
    }

    /// A column of radix blocks, every byte of it changed in turn to
    /// every value: decoding gives an error or some values, never a panic,
    /// and a cut column is always an error.
    #[test]
    fn corrupt_radix_columns_are_errors_not_panics() {
        let mut rng = fastrand::Rng::with_seed(2);
        let values: Vec<i64> = (0..3000).map(|_| rng.i64(0..5)).collect();
        let bytes = encode(&values);
        assert!(
            bytes.len() * 8 < values.len() * 5 / 2,
            "radix packing used: {} bytes",
            bytes.len()
        );
        for at in 0..bytes.len() {
            for b in [
                0u8, 1, 2, 63, 64, 65, 127, 128, 130, 131, 133, 192, 193, 255,
            ] {
                let mut changed = bytes.clone();
                changed[at] = b;
                let _ = decode(&changed, values.len(), &mut Vec::new());
            }
            assert!(decode(&bytes[..at], values.len(), &mut Vec::new()).is_err());
        }
        let mut back = Vec::new();
        decode(&bytes, values.len(), &mut back).unwrap();
        assert_eq!(back, values);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Columns of few values (where radix blocks appear) round-trip,
            /// whole or sampled.
            #[test]
            fn small_ranges_round_trip(
                base in any::<i64>(),
                range in 1i64..70,
                offsets in prop::collection::vec(0i64..70, 0..3000),
            ) {
                let values: Vec<i64> =
                    offsets.iter().map(|o| base.wrapping_add(o % range)).collect();
                for bytes in [encode(&values), encode_sampled(&values)] {
                    let mut back = Vec::new();
                    decode(&bytes, values.len(), &mut back).unwrap();
                    prop_assert_eq!(&back, &values);
                }
            }
        }
    }
}
