//! A batch of events on the wire: compact, versioned, checksummed.
//!
//! Layout (little-endian): version `u8` (1); fields `u8` count, each a kind
//! `u8` (0 f64, 1 i64) and a name (`u8` length, UTF-8); series `u16`
//! count, each a key (`u16` length, UTF-8); events `u32` count, then the
//! columns — each event's series index `u16`, timestamps `i64`, each
//! field's values (8 bytes) —; a CRC-32 `u32` of everything before it.

use slotlab_stream::source::Events;
use slotlab_stream::{Batch, Column, Field, FieldKind, Schema};

/// The batch format this build writes and reads.
pub const WIRE_VERSION: u8 = 1;

/// Why bytes are not a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than its own counts say.
    #[error("a batch cut short ({0} bytes)")]
    Truncated(usize),
    /// The checksum does not match.
    #[error("a batch whose checksum does not match")]
    Checksum,
    /// Another format version.
    #[error("a batch of format version {0}; this slotlab reads version {WIRE_VERSION}")]
    Version(u8),
    /// Checks out but cannot be events.
    #[error("a batch that is not events: {0}")]
    Invalid(&'static str),
    /// More series or fields than the format holds.
    #[error("more than {0} series or fields in one batch")]
    TooMany(usize),
}

/// Encodes `rows` of `events` (their series, timestamps and values) as
/// one batch; only the series those rows use are named in it.
pub fn encode(events: &Events, rows: &[usize], out: &mut Vec<u8>) -> Result<(), WireError> {
    let fields = events.schema.fields();
    if fields.len() > u8::MAX as usize {
        return Err(WireError::TooMany(u8::MAX as usize));
    }
    out.clear();
    out.push(WIRE_VERSION);
    out.push(fields.len() as u8);
    for f in fields {
        out.push(match f.kind {
            FieldKind::F64 => 0,
            FieldKind::I64 => 1,
        });
        let name = &f.name.as_bytes()[..f.name.len().min(u8::MAX as usize)];
        out.push(name.len() as u8);
        out.extend_from_slice(name);
    }
    // The series these rows use, numbered in order of first use.
    let mut local: Vec<u16> = vec![u16::MAX; events.keys.len()];
    let mut used: Vec<u32> = Vec::new();
    for &r in rows {
        let s = events.series[r] as usize;
        if local[s] == u16::MAX {
            if used.len() >= u16::MAX as usize {
                return Err(WireError::TooMany(u16::MAX as usize));
            }
            local[s] = used.len() as u16;
            used.push(s as u32);
        }
    }
    out.extend_from_slice(&(used.len() as u16).to_le_bytes());
    for &s in &used {
        let key = events.keys[s as usize].as_bytes();
        let key = &key[..key.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key);
    }
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    out.reserve(rows.len() * (10 + 8 * fields.len()) + 4);
    for &r in rows {
        out.extend_from_slice(&local[events.series[r] as usize].to_le_bytes());
    }
    for &r in rows {
        out.extend_from_slice(&events.batch.timestamps[r].to_le_bytes());
    }
    for column in &events.batch.columns {
        match column {
            Column::F64(v) => rows
                .iter()
                .for_each(|&r| out.extend_from_slice(&v[r].to_le_bytes())),
            Column::I64(v) => rows
                .iter()
                .for_each(|&r| out.extend_from_slice(&v[r].to_le_bytes())),
        }
    }
    let crc = crc32fast::hash(out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Reads bytes one field at a time.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(WireError::Truncated(self.bytes.len()))?;
        let part = self
            .bytes
            .get(self.at..end)
            .ok_or(WireError::Truncated(self.bytes.len()))?;
        self.at = end;
        Ok(part)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().unwrap_or_default(),
        ))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or_default(),
        ))
    }

    fn words(&mut self, n: usize) -> Result<impl Iterator<Item = [u8; 8]> + 'a, WireError> {
        let bytes = self.take(
            n.checked_mul(8)
                .ok_or(WireError::Truncated(self.bytes.len()))?,
        )?;
        Ok(bytes
            .chunks_exact(8)
            .map(|w| w.try_into().unwrap_or_default()))
    }

    fn text(&mut self, n: usize) -> Result<String, WireError> {
        std::str::from_utf8(self.take(n)?)
            .map(str::to_owned)
            .map_err(|_| WireError::Invalid("a name that is not UTF-8"))
    }
}

/// Decodes a batch into events (its own schema and series keys).
pub fn decode(bytes: &[u8]) -> Result<Events, WireError> {
    let Some(body_len) = bytes.len().checked_sub(4) else {
        return Err(WireError::Truncated(bytes.len()));
    };
    if let Some(&version) = bytes.first()
        && version != WIRE_VERSION
    {
        return Err(WireError::Version(version));
    }
    let (body, crc) = bytes.split_at(body_len);
    if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().unwrap_or_default()) {
        return Err(WireError::Checksum);
    }
    let mut r = Reader { bytes: body, at: 1 };
    let mut fields = Vec::new();
    for _ in 0..r.u8()? {
        let kind = match r.u8()? {
            0 => FieldKind::F64,
            1 => FieldKind::I64,
            _ => return Err(WireError::Invalid("an unknown field kind")),
        };
        let len = r.u8()? as usize;
        fields.push(Field::new(r.text(len)?, kind));
    }
    let schema = Schema::new(fields).map_err(|_| WireError::Invalid("fields no schema takes"))?;
    let mut keys = Vec::new();
    for _ in 0..r.u16()? {
        let len = r.u16()? as usize;
        keys.push(r.text(len)?);
    }
    let n = r.u32()? as usize;
    let series: Vec<u32> = r
        .take(n.checked_mul(2).ok_or(WireError::Truncated(body.len()))?)?
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_le_bytes([w[0], w[1]])))
        .collect();
    if series.iter().any(|&s| s as usize >= keys.len()) {
        return Err(WireError::Invalid("an event of a series not named"));
    }
    let timestamps: Vec<i64> = r.words(n)?.map(i64::from_le_bytes).collect();
    let mut columns = Vec::new();
    for f in schema.fields() {
        columns.push(match f.kind {
            FieldKind::F64 => Column::F64(r.words(n)?.map(f64::from_le_bytes).collect()),
            FieldKind::I64 => Column::I64(r.words(n)?.map(i64::from_le_bytes).collect()),
        });
    }
    if r.at != body.len() {
        return Err(WireError::Invalid("bytes after the last column"));
    }
    Ok(Events {
        schema,
        keys,
        series,
        batch: Batch {
            timestamps,
            columns,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slotlab_stream::source::{Sensors, SyntheticSource};

    #[test]
    fn a_batch_round_trips_and_damage_is_named() {
        let events = Sensors::default().generate(1000);
        let rows: Vec<usize> = (0..1000).filter(|i| i % 3 == 0).collect();
        let mut out = Vec::new();
        encode(&events, &rows, &mut out).unwrap();
        let back = decode(&out).unwrap();
        assert_eq!(back.len(), rows.len());
        assert_eq!(back.schema, events.schema);
        for (k, &r) in rows.iter().enumerate() {
            assert_eq!(
                back.keys[back.series[k] as usize],
                events.keys[events.series[r] as usize]
            );
            assert_eq!(back.batch.timestamps[k], events.batch.timestamps[r]);
            assert_eq!(back.batch.row(k), events.batch.row(r));
        }
        // Every single-byte change and every cut is refused, never a panic.
        for at in 0..out.len() {
            let mut bad = out.clone();
            bad[at] ^= 0x40;
            assert!(
                decode(&bad).is_err(),
                "a change at byte {at} went unnoticed"
            );
            assert!(
                decode(&out[..at]).is_err(),
                "a cut at byte {at} went unnoticed"
            );
        }
        let mut newer = out.clone();
        newer[0] = WIRE_VERSION + 1;
        assert_eq!(
            decode(&newer).unwrap_err(),
            WireError::Version(WIRE_VERSION + 1)
        );
    }
}
