//! A census of a user's program: the live objects by class when it ended,
//! what `__slots__` would save, and whether each class can take them — as
//! `python/census.py` measured it inside the user's interpreter.

use serde::{Deserialize, Serialize};

/// What the census found, and how the program ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Census {
    /// The program as given (`app.py arg…`, `-m pkg arg…`).
    #[serde(default)]
    pub program: Vec<String>,
    /// The interpreter's version.
    pub python_version: String,
    /// `exit`, `raised`, `interrupted`, or `snapshot` (taken while it ran).
    pub ended: String,
    /// The program's exit status.
    pub status: i32,
    /// The last line of the exception that ended it, if one did.
    pub error: Option<String>,
    /// Seconds the program ran.
    pub program_s: f64,
    /// Objects the collector tracks at the end.
    pub objects: u64,
    /// Seconds of a bare walk of the same heap, measured in the same run:
    /// `gc.get_objects()` and one pass over it.
    #[serde(default)]
    pub walk_s: f64,
    /// Seconds to count them by class (that walk, then a count by type).
    pub counted_s: f64,
    /// Seconds to sample and measure the classes reported.
    pub sampled_s: f64,
    /// Resident set at the end, when the system says.
    pub rss_bytes: Option<u64>,
    /// The resident set's high-water mark when the program ended, before
    /// the census.
    #[serde(default)]
    pub peak_rss_before: Option<u64>,
    /// The high-water mark after the census.
    #[serde(default)]
    pub peak_rss_after: Option<u64>,
    /// The program's peak traced heap (tracemalloc over the whole run,
    /// `--verify` only).
    #[serde(default)]
    pub traced_peak: Option<u64>,
    /// Its traced heap when it ended.
    #[serde(default)]
    pub traced_end: Option<u64>,
    /// Classes with fewer live instances are not reported.
    pub min_instances: u64,
    /// Instances read per class at most.
    pub sample_max: u64,
    /// Copies built per measurement.
    pub copies: u64,
    /// Every class with enough instances.
    pub classes: Vec<ClassCensus>,
    /// Censuses taken while the program ran, one per SIGUSR1 (`--at
    /// signal`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<Census>,
    /// The program run again with the suggested `__slots__` (`--verify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// The program run again with the suggested `__slots__` applied, and the
/// two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Classes given `__slots__` in the run that counts.
    pub applied: Vec<String>,
    /// Classes whose change broke the program, with the error it raised;
    /// the others were verified without them.
    pub broke: Vec<(String, String)>,
    /// Whether the patched program ended as the original did.
    pub same_ending: bool,
    /// Whether it printed exactly what the original printed.
    pub same_stdout: bool,
    /// Seconds the original and the patched program ran.
    pub program_s: (f64, f64),
    /// Peak resident set of each when it ended (before its census).
    pub peak_rss: (Option<u64>, Option<u64>),
    /// Peak traced heap of each (tracemalloc over the whole run).
    #[serde(default)]
    pub traced_peak: (Option<u64>, Option<u64>),
    /// Per class: bytes per instance before and after, measured the same
    /// way in each run, and live instances after.
    pub classes: Vec<VerifiedClass>,
    /// Runs of the patched program (one more per change that broke it).
    pub runs: u32,
}

/// One class, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedClass {
    /// `module.qualname`.
    pub name: String,
    /// Bytes per instance before.
    pub bytes_before: Option<f64>,
    /// Bytes per instance after.
    pub bytes_after: Option<f64>,
    /// Live instances before and after.
    pub instances: (u64, u64),
    /// Its verdict in the patched run (`slotted` when the change took).
    pub verdict_after: Verdict,
}

/// One class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCensus {
    /// `module`.
    pub module: String,
    /// `qualname`.
    pub qualname: String,
    /// The file defining it.
    #[serde(default)]
    pub file: Option<String>,
    /// The line of its class statement.
    #[serde(default)]
    pub line: Option<u32>,
    /// Where `__slots__` goes in its body.
    #[serde(default)]
    pub insert: Option<Insertion>,
    /// The user's own code (not the standard library or site-packages).
    #[serde(default)]
    pub own: bool,
    /// Live instances, counted exactly.
    pub instances: u64,
    /// Instances whose attributes were read.
    #[serde(default)]
    pub sampled: u64,
    /// The attribute sets the sample showed, most common first.
    #[serde(default)]
    pub attr_sets: Vec<AttrSet>,
    /// Bytes per instance as the program builds them (tracemalloc over
    /// copies), when they could be built.
    #[serde(default)]
    pub bytes_now: Option<f64>,
    /// Bytes per instance with `__slots__`, measured the same way.
    #[serde(default)]
    pub bytes_slots: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, where it is not ready.
    #[serde(default)]
    pub reason: Option<String>,
    /// The `__slots__` tuple to declare (ready only).
    #[serde(default)]
    pub slots: Option<Vec<String>>,
    /// Bases that need `__slots__ = ()` too.
    #[serde(default)]
    pub bases: Vec<BaseChange>,
    /// Whether instances are weakly referenced (`"__weakref__"` kept).
    #[serde(default)]
    pub weakrefs: bool,
}

/// Where a line goes into a class body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insertion {
    /// The line the new statement takes (1-based).
    pub insert_line: u32,
    /// The body's indentation, in columns.
    pub indent: u32,
}

/// Instances sharing one set of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrSet {
    /// The attributes, in insertion order.
    pub attrs: Vec<String>,
    /// Sampled instances with exactly these.
    pub instances: u64,
}

/// A base that must declare `__slots__ = ()` for the class to lose its
/// `__dict__`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseChange {
    /// `module.qualname`.
    pub name: String,
    /// Its qualname alone.
    #[serde(default)]
    pub qualname: Option<String>,
    /// Its file.
    pub file: Option<String>,
    /// Its class statement.
    pub line: Option<u32>,
    /// Where its `__slots__` goes.
    #[serde(default)]
    pub insert: Option<Insertion>,
}

/// What a class can do about `__slots__`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It can take `__slots__` now, with the change given.
    Ready,
    /// Something stands in the way (the reason says what).
    Blocked,
    /// It has no `__dict__` already.
    Slotted,
    /// A named tuple: already compact.
    #[serde(rename = "named tuple")]
    NamedTuple,
    /// A dataclass: `@dataclass(slots=True)`.
    Dataclass,
    /// The census could not read it.
    Unreadable,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Ready => "ready",
            Verdict::Blocked => "blocked",
            Verdict::Slotted => "slotted",
            Verdict::NamedTuple => "named tuple",
            Verdict::Dataclass => "dataclass",
            Verdict::Unreadable => "unreadable",
        })
    }
}

/// `file:line` (the file relative to the current directory when below it).
pub fn location(file: Option<&str>, line: Option<u32>) -> String {
    let Some(file) = file else {
        return "?".to_owned();
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = std::path::Path::new(file)
        .strip_prefix(&cwd)
        .map_or_else(|_| file.to_owned(), |p| p.display().to_string());
    match line {
        Some(line) => format!("{shown}:{line}"),
        None => shown,
    }
}

impl BaseChange {
    /// `file:line`, as far as known.
    pub fn location(&self) -> String {
        location(self.file.as_deref(), self.line)
    }
}

impl ClassCensus {
    /// `module.qualname`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.module, self.qualname)
    }

    /// `file:line`, as far as known (the file relative to the current
    /// directory when it is below it).
    pub fn location(&self) -> String {
        location(self.file.as_deref(), self.line)
    }

    /// Bytes per instance `__slots__` would save (0 when unknown or none).
    pub fn saving_per_instance(&self) -> f64 {
        match (self.bytes_now, self.bytes_slots) {
            (Some(now), Some(slots)) if now > slots => now - slots,
            _ => 0.0,
        }
    }

    /// What `__slots__` would save over every live instance.
    pub fn saving_bytes(&self) -> f64 {
        self.saving_per_instance() * self.instances as f64
    }

    /// The same instance as a typed record: 8 bytes per field.
    pub fn record_bytes(&self) -> Option<f64> {
        self.attr_sets
            .first()
            .map(|set| 8.0 * set.attrs.len() as f64)
    }
}

impl Census {
    /// Classes ranked by what `__slots__` would save, most first.
    pub fn ranked(&self) -> Vec<&ClassCensus> {
        let mut ranked: Vec<&ClassCensus> = self.classes.iter().collect();
        ranked.sort_by(|a, b| {
            b.saving_bytes()
                .total_cmp(&a.saving_bytes())
                .then(b.instances.cmp(&a.instances))
        });
        ranked
    }

    /// What the ready classes would save in all.
    pub fn ready_saving_bytes(&self) -> f64 {
        self.classes
            .iter()
            .filter(|c| c.verdict == Verdict::Ready)
            .map(ClassCensus::saving_bytes)
            .fold(0.0, |sum, b| sum + b)
    }
}
