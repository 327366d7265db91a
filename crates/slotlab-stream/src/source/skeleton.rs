//! The bytes between a line's values, learned from one line the template
//! read, for reading the lines written the same way — nearly every line of
//! a file one program wrote — with one comparison per gap instead of a
//! token-by-token walk: `{"time": ` · value · `, "sensor": "` · value ·
//! `", "temp": ` · value · `}`. A line that differs anywhere outside its
//! values (spacing, keys, a value of another kind) is not read here; the
//! caller then asks [`Template::read_spans`], which decides.

#[cfg(doc)]
use super::ndjson::Template;
use super::ndjson::{Span, number_end};

/// The gaps around a line's values, and each value's kind.
#[derive(Debug, Clone)]
pub struct Skeleton {
    /// The bytes before each value (a string's opening quote included),
    /// then those after the last value.
    gaps: Vec<Box<[u8]>>,
    /// Whether each value is a string.
    strings: Vec<bool>,
}

impl Skeleton {
    /// The skeleton of `line`, whose values are at `spans` (as
    /// [`Template::read_spans`] found them).
    pub fn of(line: &[u8], spans: &[Span]) -> Self {
        let mut gaps = Vec::with_capacity(spans.len() + 1);
        let mut at = 0;
        for span in spans {
            gaps.push(line.get(at..span.start()).unwrap_or_default().into());
            at = span.end();
        }
        gaps.push(line.get(at..).unwrap_or_default().into());
        Self {
            gaps,
            strings: spans.iter().map(|s| s.is_string()).collect(),
        }
    }

    /// Whether `line` has exactly this skeleton's gaps and values of its
    /// kinds; then where each value lies is in `spans`, as
    /// [`Template::read_spans`] gives them for a line of valid UTF-8 (which
    /// the caller checks, once per block where it can).
    pub fn read_spans(&self, line: &[u8], spans: &mut Vec<Span>) -> bool {
        self.spans_of(line, spans).is_some()
    }

    fn spans_of(&self, line: &[u8], spans: &mut Vec<Span>) -> Option<()> {
        if line.len() > u32::MAX as usize {
            return None;
        }
        spans.clear();
        let mut at = 0;
        for (gap, &string) in self.gaps.iter().zip(&self.strings) {
            at = after(line, at, gap)?;
            let span = if string {
                // The first quote, backslash or control character must be
                // the closing quote (escapes are the template's to judge).
                let end = at
                    + line
                        .get(at..)?
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                        .filter(|&len| line[at + len] == b'"')?;
                Span::string(at, end)
            } else {
                let (end, plain) = number_end(line, at)?;
                Span::number(at, end, plain)
            };
            spans.push(span);
            at = span.end();
        }
        let last = self.gaps.last()?;
        same(line.get(at..)?, last).then_some(())
    }
}

/// The place after `gap`, if `line` holds it at `at`.
#[inline]
fn after(line: &[u8], at: usize, gap: &[u8]) -> Option<usize> {
    let end = at.checked_add(gap.len())?;
    same(line.get(at..end)?, gap).then_some(end)
}

/// Whether two short byte strings are equal, eight bytes at a time (the
/// last eight overlapping), without a call to the C library's `memcmp`.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ndjson::{Template, one_byte_changes};

    /// Where a reader found a line's values, with the line as text.
    type Read<'a> = Option<(&'a str, Vec<Span>)>;

    /// `line` as the template reads it, and as `skeleton` does.
    fn read_both<'a>(
        template: &Template,
        skeleton: &Skeleton,
        line: &'a [u8],
    ) -> (Read<'a>, Read<'a>) {
        let mut spans = Vec::new();
        let by_template = template
            .read_spans(line, &mut spans)
            .map(|t| (t, spans.clone()));
        let by_skeleton = skeleton
            .read_spans(line, &mut spans)
            .then(|| std::str::from_utf8(line).ok().map(|t| (t, spans)))
            .flatten();
        (by_template, by_skeleton)
    }

    #[test]
    fn short_strings_compare_as_slices_do() {
        let texts: [&[u8]; 8] = [
            b"",
            b"a",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefghi",
            b", \"sensor\": \"",
            b"0123456789abcdef",
            b"0123456789abcdeX",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn a_skeleton_reads_what_the_template_reads_or_gives_up() {
        let template = Template::new(&["time", "sensor", "temp"]);
        let base = &br#"{"time": 1767225600002, "sensor": "s-1", "temp": 21.39}"#[..];
        let mut spans = Vec::new();
        template
            .read_spans(base, &mut spans)
            .expect("the template reads it");
        let skeleton = Skeleton::of(base, &spans);
        // Other values in the same gaps are read.
        for line in [
            &br#"{"time": 5, "sensor": "", "temp": -0.5e+3}"#[..],
            "{\"time\": 0, \"sensor\": \"\u{e9}t\u{e9} \", \"temp\": 1E5}".as_bytes(),
        ] {
            let (t, s) = read_both(&template, &skeleton, line);
            assert!(s.is_some(), "{}", String::from_utf8_lossy(line));
            assert_eq!(t, s);
        }
        // Every one-byte change of the line: whatever the skeleton still
        // reads, the template reads the same way.
        let (mut read, mut refused) = (0, 0);
        for line in one_byte_changes(base) {
            match read_both(&template, &skeleton, &line) {
                (t, Some(s)) => {
                    assert_eq!(t, Some(s), "{}", String::from_utf8_lossy(&line));
                    read += 1;
                }
                (_, None) => refused += 1,
            }
        }
        assert!(
            read > 300 && refused > 300,
            "{read} read, {refused} refused"
        );
    }
}
