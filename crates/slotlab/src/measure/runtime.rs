//! Who ran a measurement: slotlab's Rust model, or CPython in one of its two
//! memory modes. Typed, so a claim never matches on a label; spelled in one
//! place ([`fmt::Display`]) and read back only from saved results.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How memory is measured on the Python side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PyMode {
    /// The lesson's protocol: tracemalloc on; peak = its traced peak.
    Tracemalloc,
    /// No tracing; memory = resident-set growth, plus allocated blocks.
    Untraced,
}

impl PyMode {
    /// Both modes.
    pub const ALL: [PyMode; 2] = [PyMode::Tracemalloc, PyMode::Untraced];

    /// The name `cases.py` takes, and reports show.
    pub fn name(self) -> &'static str {
        match self {
            PyMode::Tracemalloc => "tracemalloc",
            PyMode::Untraced => "untraced",
        }
    }

    /// How memory is measured in this mode, in words.
    pub fn method(self) -> &'static str {
        match self {
            PyMode::Tracemalloc => {
                "memory: tracemalloc's traced peak in the window (the lesson's protocol; \
                 tracing slows allocation several times, so this time is not CPython's speed)"
            }
            PyMode::Untraced => {
                "memory: growth of the resident set (VmRSS) over the window, which includes \
                 allocator arenas and pages kept from earlier runs; no tracing, so this time \
                 is CPython's speed"
            }
        }
    }
}

impl fmt::Display for PyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The runtime that produced a [`Measurement`](super::Measurement).
///
/// Spelled `rust`, `cpython-3.11.7` or `cpython-3.11.7 (untraced)` in every
/// output, exactly as slotlab has always written it, and parsed back from
/// that spelling.
///
/// ```
/// use slotlab::measure::{PyMode, Runtime};
///
/// let cpython = Runtime::cpython("3.11.7", PyMode::Untraced);
/// assert_eq!(cpython.to_string(), "cpython-3.11.7 (untraced)");
/// assert_eq!("cpython-3.11.7 (untraced)".parse::<Runtime>(), Ok(cpython));
/// assert_eq!("rust".parse::<Runtime>(), Ok(Runtime::Rust));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Runtime {
    /// slotlab's own model and records, in this process.
    Rust,
    /// CPython, in a fresh interpreter per case.
    CPython {
        /// `platform.python_version()`, e.g. `3.11.7`.
        version: String,
        /// How its memory was measured, where the experiment measures
        /// memory (`gc` and `access` time only, and name no mode).
        mode: Option<PyMode>,
    },
}

impl Runtime {
    /// CPython `version`, its memory measured in `mode` (`None` where the
    /// experiment measures time only).
    pub fn cpython(version: impl Into<String>, mode: impl Into<Option<PyMode>>) -> Self {
        Runtime::CPython {
            version: version.into(),
            mode: mode.into(),
        }
    }

    /// Whether this is slotlab's Rust side.
    pub fn is_rust(&self) -> bool {
        matches!(self, Runtime::Rust)
    }

    /// Whether this is CPython, in any mode.
    pub fn is_cpython(&self) -> bool {
        matches!(self, Runtime::CPython { .. })
    }

    /// CPython's memory mode, if this is CPython.
    pub fn py_mode(&self) -> Option<PyMode> {
        match self {
            Runtime::Rust => None,
            Runtime::CPython { mode, .. } => *mode,
        }
    }

    /// The runtime as a sentence names it: `Rust`, `CPython 3.11.7`.
    pub fn title(&self) -> String {
        match self {
            Runtime::Rust => "Rust".to_owned(),
            Runtime::CPython { version, .. } => format!("CPython {version}"),
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runtime::Rust => f.write_str("rust"),
            Runtime::CPython {
                version,
                mode: None,
            } => write!(f, "cpython-{version}"),
            Runtime::CPython {
                version,
                mode: Some(mode),
            } => write!(f, "cpython-{version} ({mode})"),
        }
    }
}

/// A runtime label that is neither `rust` nor `cpython-VERSION (MODE)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown runtime {0:?}: expected \"rust\" or \"cpython-VERSION\", optionally followed by \" (tracemalloc)\" or \" (untraced)\""
)]
pub struct RuntimeParseError(String);

impl FromStr for Runtime {
    type Err = RuntimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = || RuntimeParseError(text.to_owned());
        if text == "rust" {
            return Ok(Runtime::Rust);
        }
        let rest = text.strip_prefix("cpython-").ok_or_else(fail)?;
        let (version, mode) = match rest.split_once(" (") {
            None => (rest, None),
            Some((version, mode)) => match mode.strip_suffix(')').ok_or_else(fail)? {
                "tracemalloc" => (version, Some(PyMode::Tracemalloc)),
                "untraced" => (version, Some(PyMode::Untraced)),
                _ => return Err(fail()),
            },
        };
        if version.is_empty() || version.contains(' ') {
            return Err(fail());
        }
        Ok(Runtime::cpython(version, mode))
    }
}

impl Serialize for Runtime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Runtime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_reads_back_as_itself() {
        for runtime in [
            Runtime::Rust,
            Runtime::cpython("3.11.7", PyMode::Tracemalloc),
            Runtime::cpython("3.13.0rc1", PyMode::Untraced),
            Runtime::cpython("3.11.7", None),
        ] {
            assert_eq!(runtime.to_string().parse::<Runtime>(), Ok(runtime));
        }
    }

    #[test]
    fn labels_that_are_not_runtimes_are_refused() {
        for text in [
            "",
            "Rust",
            "cpython",
            "cpython- (untraced)",
            "cpython-",
            "cpython-3.11.7 (untraced",
            "cpython-3.11 .7",
            "cpython-3.11.7 (traced)",
            "pypy-7.3 (untraced)",
        ] {
            assert!(text.parse::<Runtime>().is_err(), "{text:?}");
        }
    }
}
