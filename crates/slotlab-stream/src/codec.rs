//! Choosing a codec per column per chunk, by measuring: every allowed
//! candidate encodes the column and the smallest result is kept — or,
//! under [`CodecPolicy::Sampled`], pco is first tried on a sample and
//! encodes the column only where it promises to save enough.

use super::{floats, ints};
use pco::ChunkConfig;
use pco::standalone::{simple_compress, simple_decompress_into};

/// Which codecs a sealed chunk may choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CodecPolicy {
    /// Every codec below, pco included; the smallest wins (slowest to seal).
    Smallest,
    /// Only the hand-written codecs (integer packing, decimal, Gorilla XOR);
    /// the smallest of them wins.
    HandWritten,
    /// pco for every column.
    Pco,
    /// The hand-written codecs, and pco where it saves at least
    /// [`PCO_MARGIN`] of their bytes: pco encodes a sample of the column
    /// (a sixteenth, from its middle) first, and the whole column only when
    /// the sample promises that much (then the whole column must deliver
    /// it). The hand-written codecs' own choices — an integer column's
    /// transform, XOR or decimal — are made on the same sample. Nearly the bytes of
    /// [`CodecPolicy::Smallest`] at nearly the speed of the hand-written
    /// codecs, and pco's slower decoding only where it pays.
    #[default]
    Sampled,
}

impl CodecPolicy {
    /// Every policy, in the order of their tags in saved files.
    pub const ALL: [CodecPolicy; 4] = [
        CodecPolicy::Smallest,
        CodecPolicy::HandWritten,
        CodecPolicy::Pco,
        CodecPolicy::Sampled,
    ];
}

/// The share of the hand-written codecs' bytes pco must save to be kept
/// under [`CodecPolicy::Sampled`]: below it, its slower decoding costs
/// more than its bytes save.
pub const PCO_MARGIN: f64 = 0.05;

/// Under [`CodecPolicy::Sampled`]: `hand`, unless pco saves at least
/// [`PCO_MARGIN`] of its bytes — judged on a stretch from the column's
/// middle first (scaled to the whole column: pco's headers make the
/// estimate err on pco's side against it), then on the whole column.
fn sampled<T: pco::data_types::Number>(
    hand: EncodedColumn,
    values: &[T],
) -> Result<EncodedColumn, String> {
    let wanted = hand.bytes.len() as f64 * (1.0 - PCO_MARGIN);
    // A column too short to sample is judged whole.
    let sample = ints::sample(values).unwrap_or(values);
    let sample_bytes = pco_bytes(sample)?;
    let estimate = sample_bytes.len() as f64 * values.len() as f64 / sample.len().max(1) as f64;
    if estimate >= wanted {
        return Ok(hand);
    }
    let bytes = if sample.len() == values.len() {
        sample_bytes
    } else {
        pco_bytes(values)?
    };
    Ok(if (bytes.len() as f64) < wanted {
        EncodedColumn {
            codec: Codec::Pco,
            bytes,
        }
    } else {
        hand
    })
}

/// A column codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// pco (pcodec), the crate.
    Pco,
    /// Integers: none/delta/delta-of-delta/distance from a line, zig-zag,
    /// block bit packing.
    Ints,
    /// Floats: Gorilla XOR.
    Gorilla,
    /// Floats: exact decimals as integers, then [`Codec::Ints`].
    Decimal,
}

impl Codec {
    const ALL: [Codec; 4] = [Codec::Pco, Codec::Ints, Codec::Gorilla, Codec::Decimal];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pco => "pco",
            Codec::Ints => "int packing",
            Codec::Gorilla => "gorilla xor",
            Codec::Decimal => "decimal",
        }
    }

    fn tag(self) -> u8 {
        self as u8
    }

    pub(super) fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.get(usize::from(tag)).copied()
    }
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One encoded column of a sealed chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EncodedColumn {
    pub(super) codec: Codec,
    pub(super) bytes: Vec<u8>,
}

impl EncodedColumn {
    /// Bytes held, the codec tag included.
    pub(super) fn len(&self) -> usize {
        self.bytes.len() + 1
    }

    /// Tag, length, bytes.
    pub(super) fn write_to(&self, out: &mut Vec<u8>) {
        out.push(self.codec.tag());
        out.extend_from_slice(&(self.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.bytes);
    }

    /// Reads one column at `*at`, advancing it.
    pub(super) fn read_from(bytes: &[u8], at: &mut usize) -> Result<Self, String> {
        let cut = || "truncated inside a column".to_owned();
        let codec = bytes.get(*at).ok_or_else(cut)?;
        let codec = Codec::from_tag(*codec).ok_or_else(|| format!("unknown codec tag {codec}"))?;
        let len = bytes
            .get(*at + 1..*at + 9)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .ok_or_else(cut)?;
        let start = *at + 9;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(cut)?;
        *at = end;
        Ok(Self {
            codec,
            bytes: bytes[start..end].to_vec(),
        })
    }
}

/// Encodes `column` with `codec` alone, as the stream would inside a chunk
/// (for comparing codecs on whole series). Gorilla and decimal take floats
/// only, integer packing integers only.
pub fn encode_column(column: &super::Column, codec: Codec) -> Result<Vec<u8>, super::StreamError> {
    use super::Column;
    let error = |e: String| super::StreamError::Codec(e);
    Ok(match (column, codec) {
        (Column::F64(v), Codec::Pco) => pco_bytes(v).map_err(error)?,
        (Column::I64(v), Codec::Pco) => pco_bytes(v).map_err(error)?,
        (Column::I64(v), Codec::Ints) => ints::encode(v),
        (Column::F64(v), Codec::Gorilla) => floats::gorilla_encode(v),
        (Column::F64(v), Codec::Decimal) => floats::decimal_encode(v),
        (_, codec) => {
            return Err(error(format!(
                "{codec} does not take {} columns",
                match column {
                    Column::F64(_) => "float",
                    Column::I64(_) => "integer",
                }
            )));
        }
    })
}

/// pco with its default configuration.
fn pco_bytes<T: pco::data_types::Number>(values: &[T]) -> Result<Vec<u8>, String> {
    simple_compress(values, &ChunkConfig::default()).map_err(pco_error)
}

fn pco_error(e: pco::errors::PcoError) -> String {
    format!("pco: {e}")
}

fn smallest(candidates: impl IntoIterator<Item = EncodedColumn>) -> EncodedColumn {
    candidates
        .into_iter()
        .min_by_key(|c| c.bytes.len())
        .unwrap_or(EncodedColumn {
            codec: Codec::Ints,
            bytes: ints::encode(&[]),
        })
}

/// Encodes an integer column under `policy`.
pub(super) fn encode_i64(values: &[i64], policy: CodecPolicy) -> Result<EncodedColumn, String> {
    let pco = || -> Result<EncodedColumn, String> {
        Ok(EncodedColumn {
            codec: Codec::Pco,
            bytes: pco_bytes(values)?,
        })
    };
    // Sampled, the transform is chosen on a sample.
    let hand = |sampling: bool| EncodedColumn {
        codec: Codec::Ints,
        bytes: if sampling {
            ints::encode_sampled(values)
        } else {
            ints::encode(values)
        },
    };
    Ok(match policy {
        CodecPolicy::Pco => pco()?,
        CodecPolicy::HandWritten => hand(false),
        CodecPolicy::Smallest => smallest([hand(false), pco()?]),
        CodecPolicy::Sampled => sampled(hand(true), values)?,
    })
}

/// Encodes a float column under `policy`.
pub(super) fn encode_f64(values: &[f64], policy: CodecPolicy) -> Result<EncodedColumn, String> {
    let pco = || -> Result<EncodedColumn, String> {
        Ok(EncodedColumn {
            codec: Codec::Pco,
            bytes: pco_bytes(values)?,
        })
    };
    // XOR's size is counted without writing it: it is written only when
    // it wins. Sampled, the digits' transform is chosen on a sample, and
    // XOR is counted whole only when a sample of it comes within half
    // again of decimal's size (it is usually far larger, or far smaller).
    let hand = |sampling: bool| {
        let pack = if sampling {
            ints::encode_sampled
        } else {
            ints::encode
        };
        let decimal = floats::decimal_encode_with(values, pack);
        let hopeless = sampling
            && ints::sample(values).is_some_and(|sample| {
                let estimate = floats::gorilla_size(sample) * values.len() / sample.len();
                estimate > decimal.len() + decimal.len() / 2
            });
        if !hopeless && floats::gorilla_size(values) < decimal.len() {
            EncodedColumn {
                codec: Codec::Gorilla,
                bytes: floats::gorilla_encode(values),
            }
        } else {
            EncodedColumn {
                codec: Codec::Decimal,
                bytes: decimal,
            }
        }
    };
    Ok(match policy {
        CodecPolicy::Pco => pco()?,
        CodecPolicy::HandWritten => hand(false),
        CodecPolicy::Smallest => smallest([hand(false), pco()?]),
        CodecPolicy::Sampled => sampled(hand(true), values)?,
    })
}

/// Decodes an integer column of `expected` values, appending to `out`.
pub(super) fn decode_i64(
    column: &EncodedColumn,
    expected: usize,
    out: &mut Vec<i64>,
) -> Result<(), String> {
    match column.codec {
        Codec::Ints => ints::decode(&column.bytes, expected, out),
        Codec::Pco => pco_into(&column.bytes, expected, out),
        other => Err(format!("an integer column cannot be {other}")),
    }
}

/// Decodes a float column of `expected` values, appending to `out`.
pub(super) fn decode_f64(
    column: &EncodedColumn,
    expected: usize,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    match column.codec {
        Codec::Gorilla => floats::gorilla_decode(&column.bytes, expected, out),
        Codec::Decimal => floats::decimal_decode(&column.bytes, expected, out),
        Codec::Pco => pco_into(&column.bytes, expected, out),
        Codec::Ints => Err("a float column cannot be int packing".to_owned()),
    }
}

/// Decodes a pco column straight into `out` (no intermediate vector):
/// it must hold exactly `expected` values; on an error `out` is as it was.
fn pco_into<T: pco::data_types::Number + Default>(
    bytes: &[u8],
    expected: usize,
    out: &mut Vec<T>,
) -> Result<(), String> {
    let start = out.len();
    out.resize(start + expected, T::default());
    let progress = match simple_decompress_into(bytes, &mut out[start..]) {
        Ok(progress) => progress,
        Err(e) => {
            out.truncate(start);
            return Err(pco_error(e));
        }
    };
    if !progress.finished || progress.n_processed != expected {
        out.truncate(start);
        return Err(format!(
            "pco column: does not hold the {expected} values the chunk says ({} read{})",
            progress.n_processed,
            if progress.finished { "" } else { ", more left" }
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_limits_the_choice_and_smallest_takes_the_smallest() {
        let values: Vec<f64> = (0..4096).map(|i| i as f64 * 0.1).collect();
        let pco = encode_f64(&values, CodecPolicy::Pco).unwrap();
        let hand = encode_f64(&values, CodecPolicy::HandWritten).unwrap();
        let best = encode_f64(&values, CodecPolicy::Smallest).unwrap();
        assert_eq!(pco.codec, Codec::Pco);
        assert_eq!(hand.codec, Codec::Decimal);
        assert_eq!(best.len(), pco.len().min(hand.len()));
        for column in [pco, hand, best] {
            let mut back = Vec::new();
            decode_f64(&column, values.len(), &mut back).unwrap();
            assert_eq!(back, values);
            let mut bytes = Vec::new();
            column.write_to(&mut bytes);
            let mut at = 0;
            assert_eq!(EncodedColumn::read_from(&bytes, &mut at).unwrap(), column);
            assert_eq!(at, bytes.len());
        }
        let ints: Vec<i64> = (0..4096).map(|i| i * 3).collect();
        let column = encode_i64(&ints, CodecPolicy::Smallest).unwrap();
        let mut back = Vec::new();
        decode_i64(&column, 4096, &mut back).unwrap();
        assert_eq!(back, ints);
        assert!(decode_i64(&column, 4095, &mut Vec::new()).is_err());
        assert!(decode_f64(&column, 4096, &mut Vec::new()).is_err() || column.codec == Codec::Pco);
    }

    /// Sampled keeps the hand-written codecs unless pco saves at least
    /// the margin, and takes pco where it does.
    #[test]
    fn sampled_takes_pco_only_where_it_saves_enough() {
        // Skewed sizes (mostly 100, now and then many lots): entropy coding
        // beats bit packing by far.
        let mut rng = fastrand::Rng::with_seed(5);
        let sizes: Vec<i64> = (0..65_536)
            .map(|_| 100 * (1 + i64::from(rng.u64(..).leading_zeros().min(40))))
            .collect();
        let hand = encode_i64(&sizes, CodecPolicy::HandWritten).unwrap();
        let sampled = encode_i64(&sizes, CodecPolicy::Sampled).unwrap();
        assert_eq!(sampled.codec, Codec::Pco);
        assert!((sampled.len() as f64) < hand.len() as f64 * (1.0 - PCO_MARGIN));
        // The lesson's i * 0.1: decimal makes it nearly nothing, so it stays.
        let tenths: Vec<f64> = (0..65_536).map(|i| f64::from(i) * 0.1).collect();
        let sampled = encode_f64(&tenths, CodecPolicy::Sampled).unwrap();
        let hand = encode_f64(&tenths, CodecPolicy::HandWritten).unwrap();
        assert_eq!((sampled.codec, sampled.len()), (hand.codec, hand.len()));
        // Whatever it keeps decodes, for columns of every length.
        for len in [0, 1, 100, 1024, 5000] {
            let column = encode_i64(&sizes[..len], CodecPolicy::Sampled).unwrap();
            let mut back = Vec::new();
            decode_i64(&column, len, &mut back).unwrap();
            assert_eq!(back, &sizes[..len]);
        }
    }

    #[test]
    fn a_pco_column_decodes_in_place_and_a_wrong_count_changes_nothing() {
        let values: Vec<i64> = (0..1000).map(|i| i * i % 977).collect();
        let column = EncodedColumn {
            codec: Codec::Pco,
            bytes: pco_bytes(&values).unwrap(),
        };
        let mut out = vec![7i64];
        decode_i64(&column, 1000, &mut out).unwrap();
        assert_eq!(out[0], 7);
        assert_eq!(&out[1..], &values[..]);
        for wrong in [999, 1001, 0] {
            let mut out = vec![7i64];
            let err = decode_i64(&column, wrong, &mut out).unwrap_err();
            assert!(err.contains(&format!("the {wrong} values")), "{err}");
            assert_eq!(out, [7]);
        }
        let mut out = vec![1.5f64];
        assert!(
            decode_f64(&column, 1000, &mut out).is_err(),
            "an i64 pco column is not floats"
        );
        assert_eq!(out, [1.5]);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn float() -> impl Strategy<Value = f64> {
            prop_oneof![
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(-0.0),
                (-100_000i64..100_000).prop_map(|d| d as f64 / 10.0),
                (-100_000i64..100_000).prop_map(|d| d as f64 * 0.01),
                any::<u64>().prop_map(f64::from_bits),
            ]
        }

        fn int() -> impl Strategy<Value = i64> {
            prop_oneof![Just(i64::MIN), Just(i64::MAX), -1000i64..1000, any::<i64>()]
        }

        fn bits(values: &[f64]) -> Vec<u64> {
            values.iter().map(|v| v.to_bits()).collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn every_float_codec_round_trips(values in prop::collection::vec(float(), 0..700)) {
                for codec in [Codec::Pco, Codec::Gorilla, Codec::Decimal] {
                    let column = EncodedColumn {
                        codec,
                        bytes: encode_column(&crate::Column::F64(values.clone()), codec).unwrap(),
                    };
                    let mut back = Vec::new();
                    decode_f64(&column, values.len(), &mut back).unwrap();
                    prop_assert_eq!(bits(&back), bits(&values), "{}", codec);
                }
            }

            #[test]
            fn every_int_codec_round_trips(values in prop::collection::vec(int(), 0..700)) {
                for codec in [Codec::Pco, Codec::Ints] {
                    let column = EncodedColumn {
                        codec,
                        bytes: encode_column(&crate::Column::I64(values.clone()), codec).unwrap(),
                    };
                    let mut back = Vec::new();
                    decode_i64(&column, values.len(), &mut back).unwrap();
                    prop_assert_eq!(&back, &values, "{}", codec);
                }
            }
        }
    }
}
