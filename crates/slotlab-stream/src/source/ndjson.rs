//! One NDJSON line read into its top-level fields, without building a
//! `serde_json::Value`: keys and strings borrow from the line where they
//! can, nested values are skipped (a field's value must be a number or a
//! string anyway), so a line costs one small vector.

use super::value::{Plain, read_digits};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A field's value, as far as an event cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A number, as written: the reader applies the same rules to it as to
    /// a CSV cell (an integer too large for a float, a value out of range,
    /// are seen in the text, which a parsed `f64` would have hidden).
    Number(&'a str),
    /// A string.
    Str(Cow<'a, str>),
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A list (not read further).
    Array,
    /// An object (not read further).
    Object,
}

impl Scalar<'_> {
    /// The same value, borrowed from this one (no copy of a string).
    pub fn view(&self) -> Scalar<'_> {
        match self {
            Scalar::Number(text) => Scalar::Number(text),
            Scalar::Str(s) => Scalar::Str(Cow::Borrowed(s.as_ref())),
            Scalar::Null => Scalar::Null,
            Scalar::Bool => Scalar::Bool,
            Scalar::Array => Scalar::Array,
            Scalar::Object => Scalar::Object,
        }
    }

    /// What kind of value it is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Number(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Null => "null",
            Scalar::Bool => "a boolean",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

impl fmt::Display for Scalar<'_> {
    /// Numbers as written; anything else by kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Number(text) => f.write_str(text),
            Scalar::Str(s) => write!(f, "{s:?}"),
            other => f.write_str(other.kind()),
        }
    }
}

/// A line's top-level fields, in the order written.
pub type Fields<'a> = Vec<(Cow<'a, str>, Scalar<'a>)>;

/// Why a line is not an event's fields.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// Valid JSON, but not an object.
    #[error("not a JSON object but {0}")]
    NotAnObject(&'static str),
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
}

/// Reads `line` as one JSON object.
pub fn read_line(line: &[u8]) -> Result<Fields<'_>, LineError> {
    match serde_json::from_slice::<Top<'_>>(line) {
        Ok(Top::Object(fields)) => Ok(fields),
        Ok(Top::Other(kind)) => Err(LineError::NotAnObject(kind)),
        Err(e) => Err(LineError::NotJson(e)),
    }
}

/// The value `name` has in `fields` (the first, if written twice).
pub fn get<'f, 'a>(fields: &'f Fields<'a>, name: &str) -> Option<&'f Scalar<'a>> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The keys of a line, in the order written, for reading the lines that
/// repeat them (the usual line of a file) without a general JSON parser:
/// [`Template::read_spans`] walks such a line once, checking every token, and
/// gives up — the caller then reads the line with [`read_line`] — at the
/// first thing it does not expect: another key or order, an escape, a
/// value that is not a plain number or string. What it does read, it reads
/// exactly as [`read_line`] would.
#[derive(Debug, Clone)]
pub struct Template {
    keys: Vec<String>,
    /// Whether the keys can be matched byte for byte (none holds a quote,
    /// a backslash or a control character, which a line must escape).
    plain: bool,
}

impl Template {
    /// The template of `keys`, in the order written.
    pub fn new(keys: &[&str]) -> Self {
        let plain = keys
            .iter()
            .all(|k| k.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'));
        Self {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            plain,
        }
    }

    /// The keys, in the order written.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Where each value of `line` lies (into `spans`, one per key, in
    /// order), when it is an object with exactly these keys in this order,
    /// each a plain number or a string without escapes; the line comes back
    /// as text for [`Span::scalar`]. `None` when it is anything else (valid
    /// or not).
    pub fn read_spans<'a>(&self, line: &'a [u8], spans: &mut Vec<Span>) -> Option<&'a str> {
        if !self.plain || line.len() > u32::MAX as usize {
            return None;
        }
        // Checked whole once: every slice below is cut at an ASCII byte.
        let text = std::str::from_utf8(line).ok()?;
        let line = text.as_bytes();
        spans.clear();
        let mut at = skip_space(line, 0);
        at = expect(line, at, b'{')?;
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                at = expect(line, skip_space(line, at), b',')?;
            }
            at = expect(line, skip_space(line, at), b'"')?;
            let key_at = at;
            at += key.len();
            if line.get(key_at..at)? != key.as_bytes() {
                return None;
            }
            at = expect(line, at, b'"')?;
            at = expect(line, skip_space(line, at), b':')?;
            at = skip_space(line, at);
            let (span, next) = match *line.get(at)? {
                b'"' => {
                    let len = line[at + 1..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
                    let end = at + 1 + len;
                    if line[end] != b'"' {
                        return None;
                    }
                    (Span::string(at + 1, end), end + 1)
                }
                b'-' | b'0'..=b'9' => {
                    let (end, plain) = number_end(line, at)?;
                    (Span::number(at, end, plain), end)
                }
                _ => return None,
            };
            spans.push(span);
            at = next;
        }
        at = expect(line, skip_space(line, at), b'}')?;
        (skip_space(line, at) == line.len()).then_some(text)
    }
}

/// Where a value lies in a line [`Template::read_spans`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
    string: bool,
    /// A number's digits, read where it was found.
    plain: Option<Plain>,
}

impl Span {
    /// A string's characters (between its quotes).
    pub(super) fn string(start: usize, end: usize) -> Self {
        // Lines are at most u32::MAX bytes (checked before).
        Self {
            start: start as u32,
            end: end as u32,
            string: true,
            plain: None,
        }
    }

    /// A number, and its digits where they are [`Plain`].
    pub(super) fn number(start: usize, end: usize, plain: Option<Plain>) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
            string: false,
            plain,
        }
    }

    /// A number's digits, where they are [`Plain`].
    pub fn plain(self) -> Option<Plain> {
        self.plain
    }

    /// Where the value starts in its line (after a string's quote).
    pub(super) fn start(self) -> usize {
        self.start as usize
    }

    /// Where the value ends in its line (at a string's closing quote).
    pub(super) fn end(self) -> usize {
        self.end as usize
    }

    /// Whether the value is a string.
    pub(super) fn is_string(self) -> bool {
        self.string
    }

    /// The value, in `text` (the line it was read from).
    pub fn scalar(self, text: &str) -> Scalar<'_> {
        let value = text
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default();
        if self.string {
            Scalar::Str(Cow::Borrowed(value))
        } else {
            Scalar::Number(value)
        }
    }
}

/// The first place at or after `at` that is not JSON whitespace.
fn skip_space(line: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = line.get(at) {
        at += 1;
    }
    at
}

/// The place after `byte`, if `byte` is at `at`.
fn expect(line: &[u8], at: usize, byte: u8) -> Option<usize> {
    (line.get(at) == Some(&byte)).then_some(at + 1)
}

/// Where the JSON number starting at `at` ends (`None` if it is not one):
/// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`; and, read on the way,
/// its digits as one integer where it has no exponent and at most 18
/// digits (so that integer cannot overflow).
pub(super) fn number_end(line: &[u8], mut at: usize) -> Option<(usize, Option<Plain>)> {
    let (mut value, mut count) = (0u64, 0usize);
    let negative = line.get(at) == Some(&b'-');
    if negative {
        at += 1;
    }
    match line.get(at) {
        Some(b'0') => {
            at += 1;
            count = 1;
        }
        Some(b'1'..=b'9') => read_digits(line, &mut at, &mut value, &mut count),
        _ => return None,
    }
    let mut scale = 0;
    if line.get(at) == Some(&b'.') {
        at += 1;
        let from = at;
        read_digits(line, &mut at, &mut value, &mut count);
        scale = at - from;
        if scale == 0 {
            return None;
        }
    }
    let mut exponent = false;
    if let Some(b'e' | b'E') = line.get(at) {
        exponent = true;
        at += 1;
        if let Some(b'+' | b'-') = line.get(at) {
            at += 1;
        }
        let from = at;
        while line.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == from {
            return None;
        }
    }
    let plain = (!exponent && count <= 18).then_some(Plain {
        digits: value,
        count: count as u8,
        scale: scale as u8,
        negative,
    });
    Some((at, plain))
}

/// A whole line: an object's fields, or the kind of what it was instead.
enum Top<'a> {
    Object(Fields<'a>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            fields.push((key, map.next_value::<Scalar<'de>>()?));
        }
        Ok(Top::Object(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Top::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Top::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Top::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Top::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Top::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Top::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Top::Other("null"))
    }
}

/// A key, borrowed from the line unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    /// The value's raw text, classified by its first byte; numbers stay
    /// text, strings are unescaped only when they hold an escape.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <&'de serde_json::value::RawValue>::deserialize(d)?.get();
        Ok(match raw.as_bytes().first() {
            Some(b'"') => match raw.get(1..raw.len() - 1) {
                Some(inner) if !inner.contains('\\') => Scalar::Str(Cow::Borrowed(inner)),
                _ => Scalar::Str(Cow::Owned(
                    serde_json::from_str::<String>(raw).map_err(de::Error::custom)?,
                )),
            },
            Some(b'{') => Scalar::Object,
            Some(b'[') => Scalar::Array,
            Some(b'n') => Scalar::Null,
            Some(b't' | b'f') => Scalar::Bool,
            _ => Scalar::Number(raw),
        })
    }
}

/// Every line one byte away from `base` — a byte taken out, changed or
/// put in, at every place, of bytes that matter to JSON — for tests that
/// two readers agree on whatever they read.
#[cfg(test)]
pub(super) fn one_byte_changes(base: &[u8]) -> Vec<Vec<u8>> {
    let bytes = b" \t\"\\{}[],:-+.eE0159xu\x01\x7f\xc3\xff";
    let mut lines = Vec::new();
    for at in 0..base.len() {
        lines.push([&base[..at], &base[at + 1..]].concat());
        for &b in bytes {
            let mut changed = base.to_vec();
            changed[at] = b;
            lines.push(changed);
            lines.push([&base[..at], &[b][..], &base[at..]].concat());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::value::parse_value;
    use crate::{FieldKind, Num};

    /// Where a number's reader keeps its digits, they give what its text
    /// gives, as a float and as an integer, bit for bit.
    #[test]
    fn plain_numbers_give_what_their_text_gives() {
        let mut rng = fastrand::Rng::with_seed(23);
        let mut taken = 0;
        for _ in 0..100_000 {
            let (int_digits, frac_digits) = (rng.u32(0..19), rng.u32(0..10));
            let int = rng.u64(0..10u64.pow(int_digits));
            let frac = rng.u64(0..10u64.pow(frac_digits));
            let width = rng.usize(1..=12);
            let sign = ["", "-"][rng.usize(0..2)];
            let text = match rng.u8(0..4) {
                0 => format!("{sign}{int}"),
                1 => format!("{sign}{int}.{frac:0width$}"),
                2 => format!("{sign}0.{frac:0width$}"),
                _ => format!("{sign}{int}e{}", rng.i32(-5..5)),
            };
            let bytes = text.as_bytes();
            let (end, plain) = number_end(bytes, 0).unwrap();
            assert_eq!(end, bytes.len(), "{text}");
            let Some(plain) = plain else {
                assert!(text.contains('e') || text.len() - sign.len() > 19, "{text}");
                continue;
            };
            for kind in [FieldKind::F64, FieldKind::I64] {
                if let Some(value) = plain.value(kind) {
                    let by_text = parse_value(&text, kind).unwrap();
                    match (value, by_text) {
                        (Num::F64(a), Num::F64(b)) => {
                            assert_eq!(a.to_bits(), b.to_bits(), "{text}")
                        }
                        (a, b) => assert_eq!(a, b, "{text}"),
                    }
                    taken += 1;
                }
            }
            if let Some(t) = plain.integer() {
                assert_eq!(Ok(t), text.parse::<i64>(), "{text}");
            }
        }
        assert!(taken > 80_000, "{taken}");
    }

    #[test]
    fn fields_numbers_strings_and_what_is_not_an_object() {
        let line = br#"{"a": 1, "b": -2.5, "c": "x\ny", "d": [1, {"e": 2}], "f": null, "g": 18446744073709551615, "h": {"i": []}, "j": true}"#;
        let fields = read_line(line).unwrap();
        let values: Vec<(&str, Scalar<'_>)> = fields
            .iter()
            .map(|(k, v)| (k.as_ref(), v.clone()))
            .collect();
        assert_eq!(
            values,
            [
                ("a", Scalar::Number("1")),
                ("b", Scalar::Number("-2.5")),
                ("c", Scalar::Str("x\ny".into())),
                ("d", Scalar::Array),
                ("f", Scalar::Null),
                ("g", Scalar::Number("18446744073709551615")),
                ("h", Scalar::Object),
                ("j", Scalar::Bool),
            ]
        );
        assert_eq!(get(&fields, "b"), Some(&Scalar::Number("-2.5")));
        assert_eq!(get(&fields, "z"), None);
        for (text, kind) in [
            ("[1]", "an array"),
            ("3", "a number"),
            ("\"s\"", "a string"),
            ("null", "null"),
        ] {
            let err = read_line(text.as_bytes()).unwrap_err();
            assert!(
                matches!(err, LineError::NotAnObject(k) if k == kind),
                "{err}"
            );
            assert_eq!(err.to_string(), format!("not a JSON object but {kind}"));
        }
        for broken in [&b"{\"a\": 1"[..], b"{\"a\": 1} x"] {
            let err = read_line(broken).unwrap_err();
            assert!(matches!(err, LineError::NotJson(_)), "{err}");
            assert!(err.to_string().starts_with("not JSON: "), "{err}");
        }
    }

    /// `line`'s fields as `template` reads them.
    fn read<'a>(template: &Template, line: &'a [u8]) -> Option<Fields<'a>> {
        let mut spans = Vec::new();
        let text = template.read_spans(line, &mut spans)?;
        let keys = template.keys().iter();
        Some(
            keys.zip(spans)
                .map(|(key, span)| (Cow::Owned(key.clone()), span.scalar(text)))
                .collect(),
        )
    }

    #[test]
    fn a_template_reads_what_read_line_reads_or_gives_up() {
        let template = Template::new(&["time", "sensor", "temp"]);
        let reads = [
            &br#"{"time": 1767225600002, "sensor": "s-1", "temp": 21.39}"#[..],
            b"{\"time\":-0.5e+3,\"sensor\":\"\xc3\xa9t\xc3\xa9\",\"temp\":0}   ",
            b"\t{ \"time\" :1E5 ,\r\"sensor\": 7, \"temp\"\n: \"x\" }",
        ];
        for line in reads {
            let fields = read(&template, line).expect("a line in the template's order");
            assert_eq!(fields, read_line(line).unwrap());
        }
        let gives_up = [
            &br#"{"time": 1, "temp": 2, "sensor": "s"}"#[..],
            br#"{"time": 1, "sensor": "s"}"#,
            br#"{"time": 1, "sensor": "s", "temp": 2, "x": 3}"#,
            br#"{"time": 1, "sensor": "s\"q", "temp": 2}"#,
            br#"{"time": 1, "sensor": "s", "temp": null}"#,
            br#"{"time": [1], "sensor": "s", "temp": 2}"#,
            br#"{"ti\u006de": 1, "sensor": "s", "temp": 2}"#,
        ];
        for line in gives_up {
            assert!(
                read(&template, line).is_none(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        // Every one-byte change of a good line: whatever the template still
        // reads, read_line reads the same (and whatever it refuses as JSON,
        // the template refuses too).
        let mut checked = 0;
        for line in one_byte_changes(reads[0]) {
            if let Some(fields) = read(&template, &line) {
                let general = read_line(&line);
                assert!(
                    general.as_ref().is_ok_and(|g| *g == fields),
                    "{}: {general:?}",
                    String::from_utf8_lossy(&line)
                );
                checked += 1;
            }
        }
        assert!(checked > 400, "only {checked} changed lines read");
        // Keys that a line must escape are never matched byte for byte.
        assert!(read(&Template::new(&["a\"b"]), br#"{"a"b": 1}"#).is_none());
    }
}
