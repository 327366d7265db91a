//! Saving a stream to bytes and loading it back.
//!
//! Layout (little-endian): `SLOTSTRM`, format version `u32`, header length
//! `u32`, the header (chunk length, codec policy, the schema, the series
//! keys, the chunk count), the header's CRC-32, then every chunk framed by
//! its length (`u32`) and followed by its CRC-32 (see `chunk.rs`), and
//! nothing after the last. A chunk's checksum is checked before anything in
//! it is read, so a changed byte is called corrupt, never mistaken for a
//! cut. A damaged header refuses the whole file; a damaged chunk stops the
//! load there and keeps every chunk before it; bytes after the last chunk
//! are refused with their offset.

pub use super::chunk::ChunkProblem;
use super::chunk::SealedChunk;
use super::schema::{Field, FieldKind, Schema};
use super::{CodecPolicy, SeriesId, Stream, StreamConfig, StreamError};

/// Why a saved stream could not be loaded whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The bytes do not start like a saved slotlab stream.
    #[error("not a slotlab stream file (expected the SLOTSTRM header)")]
    NotAStream,
    /// Written by a format version this build does not read.
    #[error("stream file format version {0}; this slotlab reads version {VERSION}")]
    Version(u32),
    /// The header (schema, series keys) is damaged: nothing can be read.
    #[error("stream file header: {0}")]
    Header(#[from] HeaderFault),
    /// A chunk is corrupt or cut short; `readable` holds every chunk
    /// before it, intact and queryable.
    #[error("chunk {chunk} of {chunks} (at byte {at}): {problem} ({} events in the chunks before it are intact)", readable.len())]
    Corrupt {
        /// Which chunk (from 0).
        chunk: usize,
        /// Chunks the file says it holds.
        chunks: usize,
        /// Where it starts in the file.
        at: usize,
        /// What is wrong with it.
        problem: ChunkProblem,
        /// The stream as far as it could be read.
        readable: Box<Stream>,
    },
    /// Bytes after the last chunk: the file is not what was saved (every
    /// chunk, intact, is in `readable`).
    #[error("{bytes} bytes after the last chunk, at byte {at}: not what was saved")]
    Trailing {
        /// How many.
        bytes: usize,
        /// Where they start.
        at: usize,
        /// The whole stream the chunks hold.
        readable: Box<Stream>,
    },
}

/// What is wrong with a saved stream's header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderFault {
    /// The file ends inside it.
    #[error("truncated")]
    Truncated,
    /// Its bytes are not the ones written.
    #[error("checksum mismatch: the header is corrupt")]
    Checksum,
    /// It checks out but says something impossible.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    /// A field name or series key that is not UTF-8.
    #[error("a {0} is not UTF-8")]
    NotUtf8(&'static str),
    /// The schema it gives is not one.
    #[error(transparent)]
    Schema(#[from] crate::SchemaError),
    /// A series key written twice.
    #[error("series key {0:?} appears twice")]
    DuplicateKey(String),
}

const MAGIC: &[u8; 8] = b"SLOTSTRM";
const VERSION: u32 = 3;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn policy_tag(policy: CodecPolicy) -> u8 {
    CodecPolicy::ALL
        .iter()
        .position(|&p| p == policy)
        .unwrap_or(0) as u8
}

impl Stream {
    /// The stream as bytes: a header, then every chunk with its own
    /// checksum (open heads are written as one more sealed chunk each; the
    /// stream itself is unchanged).
    pub fn save(&self) -> Result<Vec<u8>, StreamError> {
        let mut header = Vec::new();
        header.extend_from_slice(&(self.config.chunk_len as u64).to_le_bytes());
        header.push(policy_tag(self.config.codecs));
        header.extend_from_slice(&(self.schema.fields().len() as u32).to_le_bytes());
        for field in self.schema.fields() {
            header.push(field.kind.tag());
            put_str(&mut header, &field.name);
        }
        header.extend_from_slice(&(self.series.len() as u32).to_le_bytes());
        for s in &self.series {
            put_str(&mut header, &s.key);
        }
        let mut chunks = Vec::new();
        for (id, s) in self.series.iter().enumerate() {
            chunks.extend(
                s.sealed
                    .iter()
                    .map(|c| (id as u32, std::borrow::Cow::Borrowed(c))),
            );
            if !s.head.is_empty() {
                let head = SealedChunk::seal(
                    &s.head.timestamps,
                    &s.head.columns,
                    &self.schema,
                    self.config.codecs,
                )?;
                chunks.push((id as u32, std::borrow::Cow::Owned(head)));
            }
        }
        header.extend_from_slice(&(chunks.len() as u64).to_le_bytes());
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&crc32fast::hash(&header).to_le_bytes());
        for (id, chunk) in chunks {
            chunk.write_to(id, &mut out);
        }
        Ok(out)
    }

    /// Reads a saved stream. A damaged chunk stops the load with an error
    /// naming it, carrying every chunk before it, readable.
    pub fn load(bytes: &[u8]) -> Result<Stream, LoadError> {
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(LoadError::NotAStream);
        }
        let u32_at = |at: usize| {
            bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
        };
        let version = u32_at(8).unwrap_or(0);
        if version != VERSION {
            return Err(LoadError::Version(version));
        }
        let header_len = u32_at(12).unwrap_or(0) as usize;
        let header = bytes
            .get(16..16usize.saturating_add(header_len))
            .ok_or(HeaderFault::Truncated)?;
        let crc = u32_at(16 + header_len).ok_or(HeaderFault::Truncated)?;
        if crc != crc32fast::hash(header) {
            return Err(HeaderFault::Checksum.into());
        }
        let (mut stream, chunks) = read_header(header)?;
        let mut at = 16 + header_len + 4;
        for index in 0..chunks {
            let result =
                SealedChunk::read_from(&bytes[at..], &stream.schema, stream.config.chunk_len, true)
                    .and_then(|(id, chunk, used)| {
                        let s = stream.series.get_mut(id as usize).ok_or_else(|| {
                            ChunkProblem::Invalid(format!(
                                "names series {id}, the file has {}",
                                stream.by_key.len()
                            ))
                        })?;
                        if chunk.min_ts > chunk.max_ts
                            || s.last.is_some_and(|last| chunk.min_ts < last)
                        {
                            return Err(ChunkProblem::Invalid(format!(
                                "out of time order in series {:?}",
                                s.key
                            )));
                        }
                        s.last = Some(chunk.max_ts);
                        stream.len += chunk.count;
                        s.sealed.push_back(chunk);
                        Ok(used)
                    });
            match result {
                Ok(used) => at += used,
                Err(problem) => {
                    return Err(LoadError::Corrupt {
                        chunk: index,
                        chunks,
                        at,
                        problem,
                        readable: Box::new(stream),
                    });
                }
            }
        }
        if at != bytes.len() {
            return Err(LoadError::Trailing {
                bytes: bytes.len() - at,
                at,
                readable: Box::new(stream),
            });
        }
        Ok(stream)
    }
}

/// Reads the header field by field.
struct HeaderReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> HeaderReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HeaderFault> {
        let b = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or(HeaderFault::Invalid("a field runs past the header's end"))?;
        self.at += n;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HeaderFault> {
        self.take(N)?
            .try_into()
            .map_err(|_| HeaderFault::Invalid("a field runs past the header's end"))
    }

    fn str(&mut self, what: &'static str) -> Result<&'a str, HeaderFault> {
        let len = u32::from_le_bytes(self.array()?) as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| HeaderFault::NotUtf8(what))
    }
}

/// The stream the header describes (no events yet) and its chunk count.
fn read_header(header: &[u8]) -> Result<(Stream, usize), HeaderFault> {
    let mut r = HeaderReader {
        bytes: header,
        at: 0,
    };
    let chunk_len = u64::from_le_bytes(r.array()?);
    let tag = r.array::<1>()?[0];
    let codecs = *CodecPolicy::ALL
        .get(usize::from(tag))
        .ok_or(HeaderFault::Invalid("unknown codec policy"))?;
    let fields = u32::from_le_bytes(r.array()?);
    let mut schema = Vec::new();
    for _ in 0..fields {
        let kind = FieldKind::from_tag(r.array::<1>()?[0])
            .ok_or(HeaderFault::Invalid("unknown field type"))?;
        schema.push(Field::new(r.str("field name")?, kind));
    }
    let schema = Schema::new(schema).map_err(|e| match e {
        StreamError::Schema(s) => HeaderFault::Schema(s),
        _ => HeaderFault::Invalid("the schema"),
    })?;
    let chunk_len = usize::try_from(chunk_len)
        .ok()
        .filter(|&c| c > 0)
        .ok_or(HeaderFault::Invalid("chunk length out of range"))?;
    let mut stream = Stream::new(schema, StreamConfig { chunk_len, codecs });
    let series = u32::from_le_bytes(r.array()?);
    for i in 0..series {
        let key = r.str("series key")?;
        if stream.series(key) != SeriesId(i) {
            return Err(HeaderFault::DuplicateKey(key.to_owned()));
        }
    }
    let chunks = u64::from_le_bytes(r.array()?);
    let chunks =
        usize::try_from(chunks).map_err(|_| HeaderFault::Invalid("chunk count out of range"))?;
    if r.at != header.len() {
        return Err(HeaderFault::Invalid("bytes after the chunk count"));
    }
    Ok((stream, chunks))
}
