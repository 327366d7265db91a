//! One NDJSON line read into its top-level fields, without building a
//! `serde_json::Value`: keys and strings borrow from the line where they
//! can, nested values are skipped (a field's value must be a number or a
//! string anyway), so a line costs one small vector.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
