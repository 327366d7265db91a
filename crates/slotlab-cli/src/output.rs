//! Writing a command's output: to stdout, or whole to a file checked
//! before any work (`slotlab_stream::output`).

use anyhow::Context;
use slotlab_stream::output::OutputFile;
use std::io::{ErrorKind, Write};
use std::path::Path;

/// An output file named by a flag, already checked.
#[derive(Debug, Clone)]
pub struct Target {
    file: OutputFile,
    flag: &'static str,
}

impl Target {
    /// Checks `path` (given with `flag`) before any work: a missing
    /// directory or a directory path fails now, not after the measuring.
    pub fn check(path: &Path, flag: &'static str) -> anyhow::Result<Self> {
        let file = OutputFile::check(path).with_context(|| flag.to_string())?;
        Ok(Self { file, flag })
    }

    /// [`Target::check`] for an optional flag.
    pub fn check_opt(path: Option<&Path>, flag: &'static str) -> anyhow::Result<Option<Self>> {
        path.map(|p| Self::check(p, flag)).transpose()
    }

    /// Writes `contents` whole (atomically for a regular file, in place
    /// for a device or FIFO).
    pub fn write(&self, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
        self.file
            .write(contents.as_ref())
            .with_context(|| self.flag.to_string())
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// Writes `text` to `out`, or to stdout. A closed stdout
/// (`slotlab … | head`) is not an error.
pub fn emit(text: &str, out: Option<&Target>) -> anyhow::Result<()> {
    match out {
        Some(target) => target.write(text),
        None => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to stdout"),
        },
    }
}
