//! Writing a command's output: to stdout, or whole to a file.

use anyhow::Context;
use std::io::{ErrorKind, Write};
use std::path::Path;

/// Writes `text` to `out` (replacing it only once fully written) or to
/// stdout. A closed stdout (`slotlab … | head`) is not an error.
pub fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => write_file(path, text, "--out"),
        None => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
            other => other.context("cannot write to stdout"),
        },
    }
}

/// Writes to a temporary file beside `path`, then renames it over `path`:
/// a full disk or a crash leaves any earlier file intact. `flag` names the
/// option the path came from, for errors.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>, flag: &str) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{flag} {}: not a file path", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(contents.as_ref())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {flag} {}", path.display()));
    }
    Ok(())
}
